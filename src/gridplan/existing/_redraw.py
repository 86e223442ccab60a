"""Last resort of a re-balance: re-draw, with ``divide()``, the smallest neighbourhoods that fix it.

When whole units cannot follow the flows (units heavy against the
tolerance, grids one unit thick at their boundary), each grid still out of
bounds is taken with its neighbouring grids, ring after ring, until their
mean load leaves room for the tolerance; that neighbourhood alone is divided
anew into the same number of grids, and the new grids take the old codes
they share most load with (:func:`scipy.optimize.linear_sum_assignment`).
Everything outside the neighbourhoods keeps its grid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import linear_sum_assignment

from gridplan.errors import GridplanError

if TYPE_CHECKING:
    from gridplan.territory import Territory

__all__ = ["redraw"]

_EPS = 1e-9


def _grid_neighbours(nb: list[list[int]], labels: np.ndarray, k: int) -> list[set[int]]:
    out: list[set[int]] = [set() for _ in range(k)]
    for u, vs in enumerate(nb):
        for v in vs:
            if labels[u] != labels[v]:
                out[labels[u]].add(int(labels[v]))
    return out


def _neighbourhood(
    g: int,
    near: list[set[int]],
    load: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    tol: float,
    taken: set[int],
) -> tuple[list[int], float]:
    """``g`` and rings of free neighbours until their mean load leaves room for half the tolerance.

    Returns the grids and the tolerance their re-drawing needs so that every
    grid lands within ``g``'s bounds (0 when no neighbourhood leaves room).
    """
    lo, hi = float(bounds[0][g]), float(bounds[1][g])
    cluster = {g}
    while True:
        ring = set().union(*(near[c] for c in cluster)) - cluster - taken
        if not ring:
            return sorted(cluster), -1.0
        cluster |= ring
        mean = float(load[sorted(cluster)].mean())
        inner = min(hi / mean - 1, 1 - lo / mean, tol) if mean > 0 else 0.0
        if inner >= 0.5 * tol:
            return sorted(cluster), inner


def _match(old: np.ndarray, new: np.ndarray, weight: np.ndarray, grids: list[int]) -> np.ndarray:
    """New sub-labels -> old grid labels, keeping as much load (then units) in place as can be."""
    pos = {g: i for i, g in enumerate(grids)}
    rows = np.array([pos[int(g)] for g in old])
    shared = np.zeros((len(grids), len(grids)))
    np.add.at(shared, (rows, new), weight)
    count = np.zeros_like(shared)
    np.add.at(count, (rows, new), 1.0)
    r, c = linear_sum_assignment(shared * (len(old) + 1) + count, maximize=True)
    back = np.empty(len(grids), dtype=np.int64)
    back[c] = np.asarray(grids)[r]
    return back[new]


def redraw(
    territory: Territory,
    nb: list[list[int]],
    labels: np.ndarray,
    weight: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    tol: float,
    balance: str,
    locked: np.ndarray,
) -> np.ndarray:
    """Labels with the neighbourhoods of grids out of bounds divided anew (when that helps)."""
    from gridplan.division import divide
    from gridplan.territory import Territory

    lo, hi = bounds
    labels = labels.copy()
    k = len(lo)
    load = np.bincount(labels, weights=weight, minlength=k)
    bad = [g for g in range(k) if load[g] < lo[g] - _EPS or load[g] > hi[g] + _EPS]
    near = _grid_neighbours(nb, labels, k)
    done: set[int] = set()
    units = territory.units
    for g in bad:
        if g in done:
            continue
        grids, inner = _neighbourhood(g, near, load, bounds, tol, done)
        inside = np.flatnonzero(np.isin(labels, grids))
        mean = float(load[grids].mean())
        if inner < 0 or float(weight[inside].max()) > mean * (1 + inner):
            continue  # no room, or a unit heavier than a grid may be: divide cannot help
        done |= set(grids)
        sub = Territory(
            units.iloc[inside],
            population=territory.population_col,
            households=territory.households_col,
            demand=[
                c
                for c in [balance]
                if c not in (territory.population_col, territory.households_col)
            ],
            contiguity=territory.contiguity,
            snap=territory.snap,
            islands="connect",
        )
        lock = {units.index[u]: f"L{labels[u]}" for u in inside[locked[inside]]}
        try:
            plan = divide(
                sub,
                n_grids=len(grids),
                balance=balance,
                tolerance=inner,
                locked=lock or None,
                strict=False,
            )
        except GridplanError:
            continue
        codes, new = np.unique(plan.assignment.to_numpy(dtype=str), return_inverse=True)
        if len(codes) != len(grids) or not plan.metrics["contiguous"]:
            continue
        before = sum(max(0.0, lo[x] - load[x], load[x] - hi[x]) for x in grids)
        trial = _match(labels[inside], new, weight[inside], grids)
        if (trial != labels[inside])[locked[inside]].any():
            continue  # a locked unit would change grid
        after_load = np.bincount(trial, weights=weight[inside], minlength=k)
        after = sum(max(0.0, lo[x] - after_load[x], after_load[x] - hi[x]) for x in grids)
        if after < before - _EPS:
            labels[inside] = trial
    return labels
