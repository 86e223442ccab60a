"""Initial partition: recursive inertial bisection with contiguity repair.

Each step cuts a connected piece that must hold ``k`` grids into two pieces
holding ``k1`` and ``k - k1`` grids: units are sorted along the piece's
principal axis and cut where the running load reaches ``k1 / k`` of the
total. That gives compact, near-balanced halves; then

1. *repair*: stray components of one side are handed to the other side,
   twice (A's strays to B, then B's strays to A). Inside a connected piece
   this always leaves both sides connected: after the first pass A is one
   component, and every stray of B touches only A.
2. *balance*: boundary moves (see :class:`~gridplan.division.refine.Engine`)
   bring each side within a slack of its share that shrinks with the number
   of grids below it, so the errors of successive levels stay well inside
   the tolerance.

>>> import numpy as np
>>> from gridplan.division._graph import lattice
>>> from gridplan.division.refine import Engine
>>> adj, x, y = lattice(6, 4)
>>> nb, ln = adj.neighbour_lists()
>>> e = Engine(nb, ln, [1.0] * 24, [1.0] * 24, [0] * 24, [6.0] * 4, [6.0] * 4, [6.0] * 4)
>>> bisect(adj, e, np.arange(24), [0, 1, 2, 3], np.ones(24), x, y, np.ones(24), 0.0,
...        np.random.default_rng(0))
>>> sorted(e.size)
[6, 6, 6, 6]
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from gridplan.division._graph import Adjacency
from gridplan.division.refine import Engine

__all__ = ["bisect", "side_components"]


def side_components(adj: Adjacency, units: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Component label (within its own side) of each unit of ``units``.

    ``side`` is a boolean per entry of ``units``; edges join units on the same side.
    """
    m = len(units)
    pos = np.full(adj.n, -1, dtype=np.int64)
    pos[units] = np.arange(m)
    starts = adj.indptr[units]
    counts = adj.indptr[units + 1] - starts
    total = int(counts.sum())
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    entries = offsets + np.arange(total)
    src = np.repeat(np.arange(m), counts)
    dst = pos[adj.indices[entries]]
    keep = dst >= 0
    src, dst = src[keep], dst[keep]
    keep = side[src] == side[dst]
    mat = sparse.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.int8), (src[keep], dst[keep])), shape=(m, m)
    )
    return connected_components(mat, directed=False)[1]


def _keep_main(comp: np.ndarray, mask: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Mask of the units of ``mask`` outside its heaviest (then largest) component."""
    labels = comp[mask]
    if len(labels) == 0:
        return np.zeros_like(mask)
    uniq, inv = np.unique(labels, return_inverse=True)
    if len(uniq) == 1:
        return np.zeros_like(mask)
    wsum = np.bincount(inv, weights=weight[mask], minlength=len(uniq))
    cnt = np.bincount(inv, minlength=len(uniq))
    best = np.lexsort((-np.arange(len(uniq)), cnt, wsum))[-1]
    out = np.zeros_like(mask)
    out[np.flatnonzero(mask)[inv != best]] = True
    return out


def _axis(x: np.ndarray, y: np.ndarray, area: np.ndarray, rng: np.random.Generator):
    """Unit vector of the longest principal axis, slightly jittered by the seed."""
    wts = area if area.sum() > 0 else np.ones_like(area)
    mx, my = np.average(x, weights=wts), np.average(y, weights=wts)
    dx, dy = x - mx, y - my
    cxx = np.average(dx * dx, weights=wts)
    cyy = np.average(dy * dy, weights=wts)
    cxy = np.average(dx * dy, weights=wts)
    angle = 0.5 * math.atan2(2 * cxy, cxx - cyy) + rng.uniform(-0.15, 0.15)
    return math.cos(angle), math.sin(angle)


def bisect(
    adj: Adjacency,
    engine: Engine,
    units: np.ndarray,
    labels: list[int],
    weight: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    area: np.ndarray,
    tol: float,
    rng: np.random.Generator,
) -> None:
    """Split connected ``units`` (all in grid ``labels[0]``) into the grids ``labels``.

    The engine's targets for those grids are overwritten with split targets;
    callers set final targets afterwards.
    """
    stack = [(np.asarray(units, dtype=np.int64), list(labels))]
    while stack:
        s, labs = stack.pop()
        k, lab = len(labs), labs[0]
        if k <= 1 or len(s) <= 1:
            continue
        k1 = k // 2
        if k % 2 and rng.random() < 0.5:
            k1 = k - k1
        k2 = k - k1
        w = weight[s]
        total = float(w.sum())
        if total <= 0:
            w = np.ones(len(s))
            total = float(len(s))
        ax, ay = _axis(x[s], y[s], area[s], rng)
        order = np.argsort(x[s] * ax + y[s] * ay, kind="stable")
        cum = np.cumsum(w[order])
        goal = total * k1 / k
        cut = int(np.searchsorted(cum, goal))
        if cut < len(s) and cut > 0 and goal - cum[cut - 1] < cum[cut] - goal:
            cut -= 1
        cut = min(max(cut + 1, k1), len(s) - k2)
        side = np.zeros(len(s), dtype=bool)
        side[order[:cut]] = True  # True = side A (k1 grids)
        comp = side_components(adj, s, side)
        side[_keep_main(comp, side, w)] = False
        comp = side_components(adj, s, side)
        side[_keep_main(comp, ~side, w)] = True

        b = labs[k1]
        for u in s[~side].tolist():
            engine.move(u, b)
        per = float(weight[s].sum()) / k
        slack = 0.2 * tol * per * math.sqrt(min(k1, k2))
        for g, kk in ((lab, k1), (b, k2)):
            engine.T[g] = per * kk
            engine.lo[g] = per * kk - slack
            engine.hi[g] = per * kk + slack
        engine.balance([lab, b], max_rounds=50)
        part = engine.part
        sa = np.fromiter((u for u in s.tolist() if part[u] == lab), dtype=np.int64)
        sb = np.fromiter((u for u in s.tolist() if part[u] == b), dtype=np.int64)
        stack.append((sb, labs[k1:]))
        stack.append((sa, labs[:k1]))
