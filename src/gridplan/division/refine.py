"""Local search on a partition: boundary moves that keep every grid contiguous.

The :class:`Engine` holds the partition as plain Python lists (fastest for
scalar loops) and offers three operations used by the seeding and the final
refinement:

* :meth:`Engine.balance` - bring every grid inside its ``[lo, hi]`` band, by
  direct moves to neighbouring grids and, when stuck, by pushing load along a
  chain of grids (overloaded grid -> ... -> grid with room);
* :meth:`Engine.improve` - passes of moves that shorten the cut boundary and
  even out areas while never increasing any balance violation;
* :meth:`Engine.removable` - whether a unit can leave its grid without
  splitting it (local test in the 2-hop ball first, full search only when
  that fails and the grid is small enough).

Contiguity is an invariant: a move is made only when the donor stays
connected (the receiver is adjacent by construction), so a contiguous start
stays contiguous.

>>> from gridplan.division._graph import lattice
>>> adj, x, y = lattice(4, 1)
>>> nb, ln = adj.neighbour_lists()
>>> e = Engine(nb, ln, weight=[1.0] * 4, area=[1.0] * 4, part=[0, 0, 0, 1],
...            targets=[2.0, 2.0], lo=[2.0, 2.0], hi=[2.0, 2.0])
>>> e.balance([0, 1]), e.part
(True, [0, 0, 1, 1])
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from gridplan.division.criteria import Bound

__all__ = ["Engine", "Split"]


def _find(root: list[int], x: int) -> int:
    while root[x] != x:
        root[x] = root[root[x]]
        x = root[x]
    return x


def _components(n: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Connected components of ``n`` nodes joined by edges ``rows``-``cols``: each
    node's label is the lowest node of its component (min-label propagation with
    pointer jumping; arrays only, fast on the small graphs of a pair of grids)."""
    lab = np.arange(n)
    while True:
        m = np.minimum(lab[rows], lab[cols])
        new = lab.copy()
        np.minimum.at(new, rows, m)
        np.minimum.at(new, cols, m)
        new = new[new]
        if np.array_equal(new, lab):
            return lab
        lab = new


def _sums(mask: np.ndarray, values: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Per row of ``mask``: ``start`` plus the ``values`` it selects, added left to right
    (the rounding of a plain loop, so that scores do not depend on the batch)."""
    terms = np.where(mask, values, 0.0)
    if start is not None:
        terms = np.concatenate([start[:, None], terms], axis=1)
    if terms.shape[1] == 0:
        return np.zeros(len(mask))
    return np.cumsum(terms, axis=1)[:, -1]


def _repair_side(
    x: np.ndarray, side: bool, ei: np.ndarray, ej: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """Rows of ``x`` (candidate splits, ``True``: in A) with the stray pieces of
    ``side`` handed over: each row keeps the heaviest piece of that side (then the
    largest, then the one holding the lowest unit)."""
    c, n = x.shape
    on = x if side else ~x
    kept = on[:, ei] & on[:, ej]
    base = (np.arange(c) * n)[:, None]
    lab = _components(c * n, (base + ei)[kept], (base + ej)[kept]).reshape(c, n)
    heads = on & (lab == np.arange(c * n).reshape(c, n))  # the lowest unit of each piece
    split = np.flatnonzero(heads.sum(axis=1) > 1)
    if len(split) == 0:
        return x
    sub_on, sub_lab = on[split], lab[split]
    labs = sub_lab[sub_on]
    wsum = np.bincount(labs, weights=np.broadcast_to(w, sub_on.shape)[sub_on], minlength=c * n)
    size = np.bincount(labs, minlength=c * n)
    ids = np.flatnonzero(size)  # each piece by its lowest unit, grouped by row
    order = ids[np.lexsort((ids, -size[ids], -wsum[ids], ids // n))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = order[1:] // n != order[:-1] // n
    keep = np.zeros(c * n, dtype=bool)
    keep[order[first]] = True
    out = x.copy()
    out[split] = np.where(sub_on & ~keep[sub_lab], not side, x[split])
    return out


def _repair(x: np.ndarray, ei: np.ndarray, ej: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Hand stray pieces of side A to B, then B's strays to A (both end connected).

    ``x``: one candidate split per row (``True``: in A), over a pair's units
    with local edges ``ei``-``ej`` and loads ``w``.
    """
    return _repair_side(_repair_side(x, True, ei, ej, w), False, ei, ej, w)


class Split(Enum):
    """How :meth:`Engine.recombine` scores and accepts a re-split of grids ``a`` and ``b``.

    The best candidate minimises (violation, shape cost) and is applied only
    when it beats the current split.
    """

    FIT = "fit"  #: violation of both grids
    SHAPE = "shape"  #: both in band, and a lower shape cost than now (straight cuts only)
    PUSH = "push"  #: violation of ``a`` alone; ``b`` absorbs the rest


class _PairCut:
    """Candidate re-splits of two grids: local arrays, scores and the best so far.

    Candidates come in batches (one split per row of a boolean array,
    ``True``: in ``a``), scored together with array operations.
    """

    def __init__(self, e: Engine, a: int, b: int, units: list[int], mode: Split) -> None:
        self.e, self.a, self.b, self.units, self.mode = e, a, b, units, mode
        self.n = len(units)
        part = e.part
        arr = e.arrays()
        pos = np.asarray(units, dtype=np.int64)
        self.w = w = arr.w[pos]
        self.total = sum(w.tolist())
        # Local edges i < j, in unit order then neighbour order.
        start, count = arr.indptr[pos], arr.indptr[pos + 1] - arr.indptr[pos]
        i = np.repeat(np.arange(self.n), count)
        at = np.repeat(start - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
        local = np.full(len(arr.indptr) - 1, -1, dtype=np.int64)
        local[pos] = np.arange(self.n)
        j = local[arr.indices[at]]
        inner = j > i
        self.ei, self.ej, self.el = i[inner], j[inner], arr.lens[at][inner]
        locked = arr.locked[pos]
        now = np.array([part[u] == a for u in units], dtype=bool)
        self.pin_a, self.pin_b = locked & now, locked & ~now  # must stay in a / in b
        self.pinned = bool(locked.any())
        self.per = arr.per[pos] if arr.per is not None else None
        self.ar = arr.a[pos]
        self.per_sum = sum(self.per.tolist()) if self.per is not None else 0.0
        self.ar_sum = sum(self.ar.tolist())
        # Extra criteria, in the units of shape(): gains are compactness * shape (* scale).
        scale = e.shape_scale if e.per is not None else 1.0 / e.len_scale
        self.extra_scale = 1.0 / (max(e.compactness, 1e-6) * scale)
        self.now = now.tolist()
        load = float(_sums(now[None], w)[0])
        self.current = (round(self.viol(load), 12), float(self.scores(now[None])[0]))
        self.best: list = []

    def viol(self, load_a: float) -> float:
        va = self.e.violation(self.a, load_a)
        if self.mode is Split.PUSH:
            return va
        return va + self.e.violation(self.b, self.total - load_a)

    def shapes(self, x: np.ndarray) -> np.ndarray:
        """Shape cost of each split (rows of ``x``), summed in the order of one split's loop."""
        xi, xj = x[:, self.ei], x[:, self.ej]
        el = self.el
        if self.per is None:
            return _sums(xi != xj, el)
        pa = _sums(x, self.per)
        pb = self.per_sum - pa
        pa = _sums(xi & xj, -2 * el, start=pa)
        pb = _sums(~xi & ~xj, -2 * el, start=pb)
        aa = _sums(x, self.ar)
        ab = self.ar_sum - aa
        return (pa * pa / np.maximum(aa, 1e-12) + pb * pb / np.maximum(ab, 1e-12)) / (4 * np.pi)

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Shape cost of each split, plus the extra criteria's cost when there are any."""
        out = self.shapes(x)
        if self.e.extra:
            a, b, units = self.a, self.b, self.units
            for r, in_a in enumerate(x.tolist()):
                extra = sum(c.pair_cost(a, b, units, in_a, self.now) for c in self.e.extra)
                out[r] += extra * self.extra_scale
        return out

    def consider(self, x: np.ndarray, loads: np.ndarray | None = None) -> None:
        """Keep the best of the splits ``x`` (in row order: the first of equals wins)."""
        if loads is None:
            loads = _sums(x, self.w)
        ok = x.any(axis=1) & ~x.all(axis=1)
        if self.pinned:
            ok &= x[:, self.pin_a].all(axis=1) & ~x[:, self.pin_b].any(axis=1)
        rows = np.flatnonzero(ok).tolist()
        if not rows:
            return
        v = [round(self.viol(float(loads[r])), 12) for r in rows]
        if self.mode is Split.SHAPE:  # both grids must stay in band
            rows = [r for r, f in zip(rows, v, strict=True) if f <= 0]
            v = [0.0] * len(rows)
        if not rows:
            return
        s = self.scores(x[rows]).tolist()
        best = self.best
        for r, vr, sr in zip(rows, v, s, strict=True):
            key = (vr, sr)
            if not best or key < best[0]:
                best[:] = [key, x[r]]

    def perfect(self) -> bool:
        return bool(self.best) and self.best[0][0] == 0

    def better(self) -> np.ndarray | None:
        """The best split when it beats the current one, else ``None``."""
        best, current = self.best, self.current
        if not best or best[0] >= current:
            return None
        if self.mode is Split.SHAPE and best[0][1] >= current[1] - 1e-9 * max(1.0, current[1]):
            return None
        return best[1]


@dataclass
class _EngineArrays:
    """Neighbours (CSR, in the order of ``Engine.nbrs``), loads, areas, perimeters, locks."""

    indptr: np.ndarray
    indices: np.ndarray
    lens: np.ndarray
    w: np.ndarray
    a: np.ndarray
    per: np.ndarray | None
    locked: np.ndarray

    @classmethod
    def build(cls, e: Engine) -> _EngineArrays:
        indptr = np.zeros(len(e.nbrs) + 1, dtype=np.int64)
        np.cumsum([len(r) for r in e.nbrs], out=indptr[1:])
        return cls(
            indptr,
            np.fromiter((v for r in e.nbrs for v in r), dtype=np.int64, count=int(indptr[-1])),
            np.fromiter((x for r in e.lens for x in r), dtype=float, count=int(indptr[-1])),
            np.asarray(e.w, dtype=float),
            np.asarray(e.a, dtype=float),
            None if e.per is None else np.asarray(e.per, dtype=float),
            np.asarray(e.locked, dtype=bool),
        )


class Engine:
    """Mutable partition state plus the move machinery.

    ``part[u]`` is the grid of unit ``u``; units whose grid is not in the
    grid set passed to an operation are never touched by it. ``targets``,
    ``lo`` and ``hi`` are per-grid loads; ``locked[u]`` pins a unit.
    """

    def __init__(
        self,
        nbrs: list[list[int]],
        lens: list[list[float]],
        weight: Sequence[float],
        area: Sequence[float],
        part: list[int],
        targets: Sequence[float],
        lo: Sequence[float],
        hi: Sequence[float],
        *,
        locked: Sequence[bool] | None = None,
        area_targets: Sequence[float] | None = None,
        compactness: float = 1.0,
        area_weight: float = 0.0,
        perimeter: Sequence[float] | None = None,
        full_check_cap: int = 4000,
        deadline: float | None = None,
    ) -> None:
        self.nbrs = nbrs
        self.lens = lens
        self.w = list(map(float, weight))
        self.a = list(map(float, area))
        self.part = part
        self.T = list(map(float, targets))
        self.lo = list(map(float, lo))
        self.hi = list(map(float, hi))
        self.locked = list(locked) if locked is not None else [False] * len(part)
        self.per = list(map(float, perimeter)) if perimeter is not None else None
        self.area_targets = list(area_targets) if area_targets is not None else None
        self.compactness = float(compactness)
        self.area_weight = float(area_weight)
        flat = [x for row in lens for x in row if x > 0]
        # Gains are measured in "typical shared edges" so weights are unitless.
        self.len_scale = float(np.mean(flat)) if flat else 1.0
        self.edge_eps = 1e-3  # per cut edge: breaks ties between zero-length (bridge) edges
        a_pos = [x for x in self.a if x > 0]
        self.unit_area = float(np.mean(a_pos)) if a_pos else 1.0
        # With unit perimeters, shape is scored by sum of P^2 / (4 pi A) over grids (1 / Polsby-
        # Popper: it punishes the worst shapes most); without, by cut length.
        self.restore(part)
        self.full_check_cap = full_check_cap
        self.recombine_cap = 3000  # largest pair (in units) re-split by spanning trees
        self.rng = np.random.default_rng(0)
        self.xy: tuple[list[float], list[float]] | None = None  # unit centroids, optional
        self.deadline = deadline
        self.n_moves = 0
        self.extra: list[Bound] = []  # extra soft criteria (gridplan.division.criteria)
        self._arrays: _EngineArrays | None = None
        self.stall_rounds: int | None = None  # see balance()

    # -- bookkeeping ----------------------------------------------------------------------

    def arrays(self) -> _EngineArrays:
        """The unit data as arrays (for batched pair re-splits), built on first use."""
        if self._arrays is None:
            self._arrays = _EngineArrays.build(self)
        return self._arrays

    def restore(self, part: list[int]) -> None:
        """Take ``part`` (copied) as the partition and recount every per-grid total."""
        k = len(self.T)
        self.part = part = list(part)
        self.W = [0.0] * k
        self.A = [0.0] * k
        self.P = [0.0] * k
        self.size = [0] * k
        self.members: list[set[int]] = [set() for _ in range(k)]
        self.ver = [0] * k  # bumped on every change: lets failed pair re-splits be skipped
        self._failed: dict[tuple[int, int, Split], tuple[int, int, int]] = {}
        w, a, per, nbrs, lens = self.w, self.a, self.per, self.nbrs, self.lens
        for u, g in enumerate(part):
            if 0 <= g < k:
                self.W[g] += w[u]
                self.A[g] += a[u]
                self.size[g] += 1
                self.members[g].add(u)
                if per is not None:
                    self.P[g] += per[u] - sum(
                        ln for v, ln in zip(nbrs[u], lens[u], strict=True) if part[v] == g
                    )
        for b in getattr(self, "extra", ()):
            b.reset(part)
        sizes = [s for s in self.size if s > 0]
        self.shape_scale = float(np.sqrt(np.mean(sizes))) if sizes else 1.0

    def objective(self, grids: Sequence[int]) -> float:
        """What :meth:`improve` lowers: shape (scaled like its gains) plus area evenness."""
        out = (
            self.compactness
            * self.shape_cost(grids)
            * (self.shape_scale if self.per is not None else 1.0)
        )
        if self.area_weight and self.area_targets is not None:
            at = self.area_targets
            out += (
                self.area_weight
                * sum((self.A[g] - at[g]) ** 2 / max(at[g], 1e-12) for g in grids)
                / self.unit_area
            )
        if self.extra:
            out += sum(b.cost() for b in self.extra)
        return out

    def shape_cost(self, grids: Iterable[int]) -> float:
        """Sum of 1 / Polsby-Popper (with perimeters) or of grid perimeters in edges."""
        if self.per is None:
            part = self.part
            return (
                sum(
                    ln
                    for g in grids
                    for u in self.members[g]
                    for v, ln in zip(self.nbrs[u], self.lens[u], strict=True)
                    if part[v] != g
                )
                / self.len_scale
            )
        return sum(self.P[g] ** 2 / (4 * np.pi * self.A[g]) for g in grids if self.A[g] > 0)

    def assign(self, u: int, q: int) -> None:
        """Put an unassigned (``part[u] == -1``) or assigned unit into grid ``q``."""
        if self.part[u] >= 0:
            self.move(u, q)
            return
        if self.per is not None:
            self.P[q] += self.per[u] - 2 * self._raw(u).get(q, 0.0)
        self.W[q] += self.w[u]
        self.A[q] += self.a[u]
        self.size[q] += 1
        self.members[q].add(u)
        self.part[u] = q
        self.ver[q] += 1

    def move(self, u: int, q: int) -> None:
        p = self.part[u]
        if self.per is not None:
            raw = self._raw(u)
            self.P[p] -= self.per[u] - 2 * raw.get(p, 0.0)
            self.P[q] += self.per[u] - 2 * raw.get(q, 0.0)
        w, a = self.w[u], self.a[u]
        self.W[p] -= w
        self.W[q] += w
        self.A[p] -= a
        self.A[q] += a
        self.size[p] -= 1
        self.size[q] += 1
        self.members[p].discard(u)
        self.members[q].add(u)
        self.part[u] = q
        self.ver[p] += 1
        self.ver[q] += 1
        self.n_moves += 1
        if self.extra:
            for b in self.extra:
                b.moved(u, p, q)

    def violation(self, g: int, load: float) -> float:
        """Distance of ``load`` outside grid ``g``'s band, relative to its target."""
        t = self.T[g] if self.T[g] > 0 else 1.0
        if load > self.hi[g]:
            return (load - self.hi[g]) / t
        if load < self.lo[g]:
            return (self.lo[g] - load) / t
        return 0.0

    def total_violation(self, grids: Iterable[int]) -> float:
        return sum(self.violation(g, self.W[g]) for g in grids)

    def out_of_band(self, grids: Iterable[int]) -> list[int]:
        tol = 1e-9
        return [g for g in grids if self.W[g] > self.hi[g] + tol or self.W[g] < self.lo[g] - tol]

    def _timed_out(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    # -- contiguity -----------------------------------------------------------------------

    def removable(self, u: int, g: int | None = None) -> bool:
        """True when grid ``g`` (default: ``u``'s) stays connected without ``u``."""
        part, nb = self.part, self.nbrs
        if g is None:
            g = part[u]
        if self.size[g] <= 1:
            return False
        ring = [v for v in nb[u] if part[v] == g]
        if len(ring) <= 1:
            return True
        targets = set(ring)
        # Local test: are the grid-neighbours of u joined inside u's 2-hop ball?
        ball = set(ring)
        for v in ring:
            for x in nb[v]:
                if part[x] == g:
                    ball.add(x)
        ball.discard(u)
        if self._reaches(ring[0], targets, u, g, ball):
            return True
        if self.size[g] > self.full_check_cap:
            return False  # conservative: never risk a split we cannot afford to verify
        return self._reaches(ring[0], targets, u, g, None)

    def _reaches(self, start: int, targets: set[int], skip: int, g: int, ball: set[int] | None):
        part, nb = self.part, self.nbrs
        left = len(targets) - 1
        seen = {start, skip}
        stack = [start]
        while stack:
            v = stack.pop()
            for x in nb[v]:
                if x in seen or part[x] != g or (ball is not None and x not in ball):
                    continue
                seen.add(x)
                if x in targets:
                    left -= 1
                    if left == 0:
                        return True
                stack.append(x)
        return False

    # -- scoring --------------------------------------------------------------------------

    def _shared(self, u: int) -> dict[int, float]:
        """Shared boundary (in len_scale units, plus a per-edge epsilon) per adjacent grid."""
        part = self.part
        out: dict[int, float] = {}
        s, eps = 1.0 / self.len_scale, self.edge_eps
        for v, ln in zip(self.nbrs[u], self.lens[u], strict=True):
            g = part[v]
            out[g] = out.get(g, 0.0) + ln * s + eps
        return out

    def _raw(self, u: int) -> dict[int, float]:
        """Shared boundary length (metres) of ``u`` with each adjacent grid."""
        part = self.part
        out: dict[int, float] = {}
        for v, ln in zip(self.nbrs[u], self.lens[u], strict=True):
            g = part[v]
            out[g] = out.get(g, 0.0) + ln
        return out

    def _shape_gain(self, u: int, p: int, q: int, raw: dict[int, float]) -> float:
        """Decrease of sum P^2/(4 pi A) over grids p, q when u moves (scaled to ~1 a move)."""
        per, a = self.per[u], self.a[u]  # type: ignore[index]
        lp, lq = raw.get(p, 0.0), raw.get(q, 0.0)
        pp0, pq0 = self.P[p], self.P[q]
        ap0, aq0 = max(self.A[p], 1e-12), max(self.A[q], 1e-12)
        pp1 = pp0 - per + 2 * lp
        pq1 = pq0 + per - 2 * lq
        ap1, aq1 = max(ap0 - a, 1e-12), aq0 + a
        before = pp0 * pp0 / ap0 + pq0 * pq0 / aq0
        after = pp1 * pp1 / ap1 + pq1 * pq1 / aq1
        return (before - after) / (4 * np.pi) * self.shape_scale

    def _area_delta(self, u: int, p: int, q: int) -> float:
        if self.area_weight == 0.0 or self.area_targets is None:
            return 0.0
        a, at = self.a[u], self.area_targets
        ap, aq = self.A[p], self.A[q]
        d = ((ap - a - at[p]) ** 2 - (ap - at[p]) ** 2) / max(at[p], 1e-12)
        d += ((aq + a - at[q]) ** 2 - (aq - at[q]) ** 2) / max(at[q], 1e-12)
        return self.area_weight * d / self.unit_area

    def _delta_v(self, u: int, p: int, q: int) -> float:
        w = self.w[u]
        return (
            self.violation(p, self.W[p] - w)
            + self.violation(q, self.W[q] + w)
            - self.violation(p, self.W[p])
            - self.violation(q, self.W[q])
        )

    def boundary(self, g: int) -> list[int]:
        """Units of ``g`` with a neighbour in another grid, sorted."""
        part, nb = self.part, self.nbrs
        return sorted(u for u in self.members[g] if any(part[v] != g for v in nb[u]))

    def grid_neighbours(self, g: int, active: set[int]) -> list[int]:
        part = self.part
        out = {part[v] for u in self.members[g] for v in self.nbrs[u]}
        return sorted(h for h in out if h != g and h in active)

    # -- balance --------------------------------------------------------------------------

    def balance(self, grids: Iterable[int], max_rounds: int = 100) -> bool:
        """Move units until every grid in ``grids`` is inside its band; True on success."""
        active = set(grids)
        order = sorted(active)
        stalled, last = 0, float("inf")
        for _ in range(max_rounds):
            bad = self.out_of_band(order)
            if not bad or self._timed_out():
                return not bad
            # Re-splits that only improve shapes count as progress: when the band is
            # known to be out of reach, stop after ``stall_rounds`` rounds in a row
            # without a lower violation.
            now = self.total_violation(order)
            stalled = stalled + 1 if now >= last - 1e-12 else 0
            if self.stall_rounds is not None and stalled >= self.stall_rounds:
                return False
            last = min(last, now)
            bad.sort(key=lambda g: (-self.violation(g, self.W[g]), g))
            progress = False
            for g in bad:
                if self.violation(g, self.W[g]) > 0:
                    progress |= self._direct(g, active)
            if not progress:
                for g in bad:
                    if self.violation(g, self.W[g]) > 0 and self._pair_fix(g, active):
                        progress = True
            if not progress:
                for g in bad:
                    if self.violation(g, self.W[g]) > 0 and self._push(g, active):
                        progress = True
                        break
            if not progress:
                return False
        return not self.out_of_band(order)

    def _direct(self, g: int, active: set[int]) -> bool:
        """Moves between ``g`` and its neighbours that reduce the total violation."""
        part = self.part
        over = self.W[g] > self.hi[g]
        cands = self._out_moves(g, active) if over else self._in_moves(g, active)
        cands.sort()
        moved = False
        for _, _, u, q in cands:
            if self.violation(g, self.W[g]) <= 0:
                break
            src, dst = (g, q) if over else (q, g)
            if part[u] != src or self._delta_v(u, src, dst) >= -1e-12:
                continue
            if not any(part[v] == dst for v in self.nbrs[u]) or not self.removable(u, src):
                continue
            self.move(u, dst)
            moved = True
        return moved

    def _out_moves(self, g: int, active: set[int]) -> list[tuple[float, float, int, int]]:
        """Moves of ``g``'s boundary units out of overloaded ``g`` that lower the violation."""
        cands: list[tuple[float, float, int, int]] = []
        for u in self.boundary(g):
            if self.locked[u] or self.w[u] <= 0:
                continue
            sh = self._shared(u)
            own = sh.get(g, 0.0)
            for q, s in sh.items():
                if q != g and q in active:
                    dv = self._delta_v(u, g, q)
                    if dv < -1e-12:
                        cands.append((-(s - own), dv, u, q))
        return cands

    def _in_moves(self, g: int, active: set[int]) -> list[tuple[float, float, int, int]]:
        """Moves of neighbouring units into underloaded ``g`` that lower the violation."""
        part = self.part
        cands: list[tuple[float, float, int, int]] = []
        seen: set[int] = set()
        for h in self.boundary(g):
            for u in self.nbrs[h]:
                q = part[u]
                if q == g or q not in active or u in seen or self.locked[u]:
                    continue
                seen.add(u)
                if self.w[u] <= 0:
                    continue
                sh = self._shared(u)
                dv = self._delta_v(u, q, g)
                if dv < -1e-12:
                    cands.append((-(sh.get(g, 0.0) - sh.get(q, 0.0)), dv, u, q))
        return cands

    def _push(self, g: int, active: set[int]) -> bool:
        """Shift load along a chain of grids from/to one of the nearest grids with room."""
        over = self.W[g] > self.hi[g]

        def has_room(r: int) -> bool:
            return self.W[r] < self.T[r] if over else self.W[r] > self.T[r]

        prev: dict[int, int] = {g: -1}
        queue = deque([g])
        found: list[int] = []
        while queue and len(found) < 3:
            h = queue.popleft()
            nbrs = self.grid_neighbours(h, active)
            for i in self.rng.permutation(len(nbrs)).tolist():
                r = nbrs[i]
                if r not in prev:
                    prev[r] = h
                    if has_room(r):
                        found.append(r)
                    else:
                        queue.append(r)
        # Several chains, nearest first: when one is blocked by coarse units, another
        # may pass.
        return any(self._push_chain(g, r, prev, over) for r in found)

    def _push_chain(self, g: int, found: int, prev: dict[int, int], over: bool) -> bool:
        chain = [found]
        while chain[-1] != g:
            chain.append(prev[chain[-1]])
        chain.reverse()  # g ... found
        before = self.total_violation(chain)
        log: list[tuple[int, int]] = []
        for i in range(len(chain) - 1):
            a, b = chain[i], chain[i + 1]
            if self.violation(a, self.W[a]) <= 0:
                continue
            # Re-split a+b so that a lands in its band and b takes the rest; unit by
            # unit transfers are the fallback (large pairs, or no tree cut fits).
            if self.recombine(a, b, Split.PUSH, log=log):
                continue
            if over:  # a has too much: hand its surplus to b
                self._transfer(a, b, self.W[a] - self.T[a], log)
            else:  # a has too little: take the deficit from b
                self._transfer(b, a, self.T[a] - self.W[a], log)
        if self.total_violation(chain) < before - 1e-12:
            return True
        for u, p in reversed(log):
            self.move(u, p)
        return False

    def _pair_fix(self, g: int, active: set[int]) -> bool:
        """Re-split ``g`` with a neighbour to lower their joint violation."""
        return any(self.recombine(g, q, Split.FIT) for q in self.grid_neighbours(g, active))

    def recombine(
        self,
        a: int,
        b: int,
        mode: Split = Split.FIT,
        tries: int = 4,
        log: list[tuple[int, int]] | None = None,
    ) -> bool:
        """Re-split grids ``a`` and ``b``; True when the pair was changed.

        Candidates: straight cuts across the pair at 6 angles (compact),
        each repaired to two connected sides, then - unless ``mode`` is
        :attr:`Split.SHAPE` - cuts of random spanning trees of the pair,
        which reach load splits that coarse units deny to single moves. Both
        sides of either kind of cut are connected. Locked units keep their
        grid. See :class:`Split` for what each mode minimises and accepts.
        """
        memo = (a, b, mode)
        sig = (self.ver[a], self.ver[b])
        last = self._failed.get(memo)
        if last is not None and last[:2] == sig and last[2] >= 3:
            return False  # failed three times and nothing changed since
        units = sorted(self.members[a] | self.members[b])
        n = len(units)
        if n < 2 or n > self.recombine_cap:
            return False
        if not self._recombine(a, b, units, mode, tries, log):
            tries_so_far = last[2] + 1 if last is not None and last[:2] == sig else 1
            self._failed[memo] = (*sig, tries_so_far)
            return False
        return True

    def _straight_cuts(self, cut: _PairCut) -> None:
        """Offer straight cuts at 6 angles (through the load goals), repaired, to ``cut``."""
        if self.xy is None:
            return
        a, b, units, n = cut.a, cut.b, cut.units, cut.n
        total = cut.total
        ta, tb = self.T[a], self.T[b]
        goals = sorted(
            {
                self.T[a],
                self.lo[a],
                self.hi[a],
                total * ta / (ta + tb) if ta + tb > 0 else total / 2,
            }
        )
        xs = np.array([self.xy[0][u] for u in units])
        ys = np.array([self.xy[1][u] for u in units])
        ang = self.rng.uniform(0, np.pi) + np.arange(6) * np.pi / 6
        order = np.argsort(
            np.cos(ang)[:, None] * xs[None, :] + np.sin(ang)[:, None] * ys[None, :],
            axis=1,
            kind="stable",
        )
        cum = np.cumsum(cut.w[order], axis=1)
        at = (cum[:, :, None] < np.array(goals)[None, None, :]).sum(axis=1).tolist()
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(n)[None, :], axis=1)
        rows, which = [], []
        for r, ats in enumerate(at):
            cuts = sorted({c for g in ats for c in range(max(1, g), min(n, g + 2))})
            rows += cuts
            which += [r] * len(cuts)
        if rows:
            x = rank[which] < np.array(rows)[:, None]
            cut.consider(_repair(x, cut.ei, cut.ej, cut.w))

    def _recombine(
        self,
        a: int,
        b: int,
        units: list[int],
        mode: Split,
        tries: int,
        log: list[tuple[int, int]] | None,
    ) -> bool:
        cut = _PairCut(self, a, b, units, mode)
        self._straight_cuts(cut)
        if mode is not Split.SHAPE and not cut.perfect():
            for _ in range(tries):
                self._tree_cuts(cut)
                if cut.perfect():
                    break
        best = cut.better()
        if best is None:
            return False
        part = self.part
        for u, in_a in zip(units, best.tolist(), strict=True):
            q = a if in_a else b
            if part[u] != q:
                if log is not None:
                    log.append((u, part[u]))
                self.move(u, q)
        return True

    def _tree_cuts(self, cut: _PairCut) -> None:
        """Offer the best few cuts of one random spanning tree to ``cut``."""
        n, ei, ej, w, total = cut.n, cut.ei.tolist(), cut.ej.tolist(), cut.w.tolist(), cut.total
        order = np.argsort(self.rng.random(len(ei))).tolist()
        root = list(range(n))
        tree: list[list[int]] = [[] for _ in range(n)]
        for e in order:
            ri, rj = _find(root, ei[e]), _find(root, ej[e])
            if ri != rj:
                root[ri] = rj
                tree[ei[e]].append(ej[e])
                tree[ej[e]].append(ei[e])
        # Preorder from node 0: a subtree is a contiguous range of the order.
        pre: list[int] = []
        parent = [-1] * n
        stack = [0]
        seen = [False] * n
        seen[0] = True
        while stack:
            v = stack.pop()
            pre.append(v)
            for c in tree[v]:
                if not seen[c]:
                    seen[c] = True
                    parent[c] = v
                    stack.append(c)
        if len(pre) < n:
            return  # the pair is not connected
        pos = [0] * n
        for i, v in enumerate(pre):
            pos[v] = i
        sub = w[:]
        size = [1] * n
        for v in reversed(pre[1:]):
            sub[parent[v]] += sub[v]
            size[parent[v]] += size[v]
        cands = []
        for v in pre[1:]:
            s = sub[v]
            for load_a, a_is_sub in ((s, True), (total - s, False)):
                cands.append((round(cut.viol(load_a), 12), v, a_is_sub, load_a))
        cands.sort(key=lambda c: c[0])
        top = cands[:6]
        if not top:
            return
        pos_a = np.array(pos)
        lo_i = np.array([pos[v] for _, v, _, _ in top])[:, None]
        hi_i = lo_i + np.array([size[v] for _, v, _, _ in top])[:, None]
        inside = (lo_i <= pos_a[None, :]) & (pos_a[None, :] < hi_i)
        x = inside == np.array([s for _, _, s, _ in top])[:, None]
        cut.consider(x, np.array([load for _, _, _, load in top]))

    def improve_pairs(self, grids: Iterable[int], rng: np.random.Generator) -> int:
        """Re-cut every pair of adjacent grids straight when that makes shapes better.

        Single-unit moves stall when the band is narrow and units are coarse;
        re-cutting a pair moves many units at once and keeps both in band.
        """
        active = set(grids)
        pairs = sorted(
            {
                (min(g, h), max(g, h))
                for g in sorted(active)
                for h in self.grid_neighbours(g, active)
            }
        )
        changed = 0
        for i in rng.permutation(len(pairs)).tolist():
            if self._timed_out():
                break
            a, b = pairs[i]
            if self.recombine(a, b, Split.SHAPE):
                changed += 1
        return changed

    def _transfer(self, src: int, dst: int, amount: float, log: list[tuple[int, int]]) -> None:
        """Move about ``amount`` of load from ``src`` to adjacent ``dst``, compact moves first."""
        part = self.part
        slack = max(0.0, self.hi[src] - self.T[src]) * 0.5
        while amount > slack and not self._timed_out():
            best = None
            for u in self.boundary(src):
                w = self.w[u]
                if self.locked[u] or w <= 0 or w > amount + slack:
                    continue
                if not any(part[v] == dst for v in self.nbrs[u]):
                    continue
                sh = self._shared(u)
                key = (-(sh.get(dst, 0.0) - sh.get(src, 0.0)), -w, u)
                if (best is None or key < best) and self.removable(u, src):
                    best = key
            if best is None:
                return
            u = best[2]
            log.append((u, src))
            self.move(u, dst)
            amount -= self.w[u]

    # -- improvement ----------------------------------------------------------------------

    def improve(self, grids: Iterable[int], rng: np.random.Generator, max_passes: int = 12) -> int:
        """Passes of objective-improving moves; never increases a balance violation."""
        active = set(grids)
        part, nb = self.part, self.nbrs
        total = 0
        for _ in range(max_passes):
            units = sorted(
                u
                for g in sorted(active)
                for u in self.members[g]
                if not self.locked[u] and any(part[v] != g for v in nb[u])
            )
            if not units:
                break
            order = rng.permutation(len(units)).tolist()
            moved = 0
            for i in order:
                if self._timed_out():
                    return total + moved
                u = units[i]
                p = part[u]
                q = self._best_move(u, p, active)
                if q >= 0 and self.removable(u, p):
                    self.move(u, q)
                    moved += 1
            total += moved
            if moved == 0:
                break
        return total

    def _best_move(self, u: int, p: int, active: set[int]) -> int:
        """The grid ``u`` gains most by joining (balance first, then shape and area), or -1."""
        if self.per is not None:
            sh = raw = self._raw(u)
            if len(raw) < 2:
                return -1
            part = self.part
            cnt: dict[int, int] = {}
            for v in self.nbrs[u]:
                cnt[part[v]] = cnt.get(part[v], 0) + 1
        else:
            sh = self._shared(u)
            if len(sh) < 2:
                return -1
            own = sh.get(p, 0.0)
        best_gain, best_q = 1e-9, -1
        for q in sorted(sh):
            if q == p or q not in active:
                continue
            dv = self._delta_v(u, p, q)
            if dv > 1e-12:
                continue
            if self.per is not None:
                shape = self._shape_gain(u, p, q, raw) + self.edge_eps * (
                    cnt.get(q, 0) - cnt.get(p, 0)
                )
            else:
                shape = sh[q] - own
            gain = self.compactness * shape - self._area_delta(u, p, q)
            if self.extra:
                gain -= sum(b.delta(u, p, q) for b in self.extra)
            if dv < -1e-12:
                gain += 1e6 * -dv  # balance first
            if gain > best_gain:
                best_gain, best_q = gain, q
        return best_q
