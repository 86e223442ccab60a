"""The core solver over arrays: seed every group, then balance and refine.

Groups are the parents grids must nest in (one group without nesting). The
working adjacency must have no edge between groups and each group must be
connected; :func:`gridplan.division.api.divide` prepares it that way.

>>> import numpy as np
>>> from gridplan.division._graph import lattice
>>> adj, x, y = lattice(10, 10)
>>> p = Problem(adj, np.ones(100), np.ones(100), x, y, np.zeros(100, dtype=int), [4])
>>> r = solve(p)
>>> np.bincount(r.labels).tolist(), r.violation
([25, 25, 25, 25], 0.0)
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from gridplan.division._graph import Adjacency
from gridplan.division.criteria import Criterion, SearchContext
from gridplan.division.refine import Engine
from gridplan.division.seed import bisect, side_components

__all__ = [
    "Attempt",
    "Problem",
    "Result",
    "effort",
    "largest_remainder",
    "out_of_reach",
    "solve",
]


#: Balance rounds in a row without a lower violation after which an attempt stops
#: balancing when some grid must be out of tolerance (see :func:`out_of_reach`).
STALLED = 3

#: Perturbation rounds in a row without improvement after which an attempt stops. On
#: 50-200 units (3-10 grids) a third or fourth round after two failed ones never
#: improved a plan (benchmarks/RESULTS.md, small territories).
PATIENCE = 2


@dataclass
class Problem:
    """Arrays of one division problem (positions ``0..n-1``).

    ``locked[u]`` is ``-1`` or a grid label; locked labels of group ``g``
    must lie in ``offsets[g] .. offsets[g] + m[g] - 1``.
    """

    adj: Adjacency
    weight: np.ndarray
    area: np.ndarray
    x: np.ndarray
    y: np.ndarray
    group: np.ndarray
    m: list[int]
    locked: np.ndarray | None = None
    perimeter: np.ndarray | None = None
    tolerance: float = 0.05
    compactness: float = 1.0
    area_weight: float = 0.0
    seed: int = 0
    time_limit: float | None = None
    attempts: int | None = None  # None: chosen by effort()
    rounds: int | None = None
    criteria: Sequence[Criterion] = ()  # extra soft criteria, bound to ``context``
    context: SearchContext | None = None
    # Balance gives up after this many rounds in a row without a lower violation
    # (None: it never does); solve() sets it when the band is out of reach.
    stall_rounds: int | None = None

    @property
    def offsets(self) -> list[int]:
        return [0, *np.cumsum(self.m).tolist()][:-1]


@dataclass
class Result:
    labels: np.ndarray
    targets: np.ndarray
    grid_group: np.ndarray
    violation: float
    attempts: int
    moves: int = 0
    log: list[str] = field(default_factory=list)


def largest_remainder(quotas: np.ndarray, total: int, minimum: np.ndarray) -> np.ndarray:
    """Integers summing to ``total``, each >= ``minimum``, closest to ``quotas``.

    Floors first (raised to the minimum), then the largest remainders get
    the seats left; ties go to the earlier entry. Surplus seats (when the
    minimums exceed the floors) are taken back from the smallest remainders.

    >>> largest_remainder(np.array([2.5, 1.2, 0.3]), 4, np.array([1, 1, 1])).tolist()
    [2, 1, 1]
    """
    q = np.asarray(quotas, dtype=float)
    out = np.maximum(np.floor(q).astype(np.int64), minimum)
    rem = q - out
    order = np.lexsort((np.arange(len(q)), -rem))
    i = 0
    while out.sum() < total:
        out[order[i % len(q)]] += 1
        i += 1
    order = np.lexsort((np.arange(len(q)), rem))
    i = 0
    while out.sum() > total:
        j = order[i % len(q)]
        if out[j] > minimum[j]:
            out[j] -= 1
        i += 1
        if i > 10 * len(q) * (1 + int(out.sum())):  # minimums exceed the total
            break
    return out


def _seed_locked(
    p: Problem, e: Engine, units: np.ndarray, locked_labels: list[int], target: float
) -> None:
    """Locked units into their grids, each grown breadth first towards ``target``.

    Grown so that partial locked grids are not left starving when the free
    part is split around them.
    """
    locked = p.locked
    if locked is None:  # pragma: no cover - locked labels come from p.locked
        raise ValueError("locked labels given without Problem.locked")
    part = e.part
    for u in units.tolist():
        if locked[u] >= 0:
            e.assign(u, int(locked[u]))
    for g in locked_labels:
        frontier = deque(sorted(e.members[g]))
        while frontier and e.W[g] < target:
            u = frontier.popleft()
            for v in e.nbrs[u]:
                if part[v] == -1 and e.W[g] < target:
                    e.assign(v, g)
                    frontier.append(v)


def _grids_per_piece(
    p: Problem, free: np.ndarray, comp: np.ndarray, k_free: int, has_locked: bool
) -> np.ndarray:
    """Free grids shared among the free pieces by load (each at most its unit count)."""
    n_comp = int(comp.max()) + 1
    cw = np.bincount(comp, weights=p.weight[free], minlength=n_comp)
    cn = np.bincount(comp, minlength=n_comp)
    if not k_free:
        return np.zeros(n_comp, dtype=np.int64)
    share = cw / cw.sum() * k_free if cw.sum() > 0 else cn / cn.sum() * k_free
    mins = np.zeros(n_comp, dtype=np.int64)
    if not has_locked:
        mins[:] = 1  # without locked grids every piece needs a grid of its own
    return np.minimum(largest_remainder(share, k_free, mins), cn)


def _join_lightest(e: Engine, members: np.ndarray, fallback: int) -> None:
    """A piece without a grid of its own joins the lightest adjacent grid (a locked one)."""
    adj_grids = sorted({e.part[v] for u in members.tolist() for v in e.nbrs[u]} - {-1})
    g = min(adj_grids, key=lambda h: (e.W[h] / max(e.T[h], 1e-12), h)) if adj_grids else fallback
    for u in members.tolist():
        e.assign(u, g)


def _group_seed(
    p: Problem,
    e: Engine,
    units: np.ndarray,
    labels: list[int],
    locked_labels: list[int],
    rng: np.random.Generator,
) -> None:
    """Seed one group: locked grids first, then free components by bisection."""
    free_labels = [g for g in labels if g not in set(locked_labels)]
    if locked_labels:
        _seed_locked(p, e, units, locked_labels, float(p.weight[units].sum()) / len(labels))
    free = np.array([u for u in units.tolist() if e.part[u] == -1], dtype=np.int64)
    if len(free) == 0:
        return
    comp = side_components(p.adj, free, np.ones(len(free), dtype=bool))
    alloc = _grids_per_piece(p, free, comp, len(free_labels), bool(locked_labels))
    nxt = 0
    for c in range(len(alloc)):
        members = free[comp == c]
        if alloc[c] == 0:
            _join_lightest(e, members, free_labels[0] if free_labels else labels[0])
            continue
        for u in members.tolist():
            e.assign(u, free_labels[nxt])
        sub = free_labels[nxt : nxt + int(alloc[c])]
        bisect(p.adj, e, members, sub, p.weight, p.x, p.y, p.area, p.tolerance, rng)
        nxt += int(alloc[c])
    # Free labels not used (pieces smaller than their share): filled later.


def _fill_empty(e: Engine, labels: list[int]) -> None:
    """Give every empty grid one unit taken from the largest grid that can spare one."""
    for g in labels:
        if e.size[g] > 0:
            continue
        for h in sorted(labels, key=lambda h: (-e.size[h], h)):
            if e.size[h] < 2:
                break
            cand = [u for u in sorted(e.members[h]) if not e.locked[u] and e.removable(u, h)]
            if cand:
                u = min(cand, key=lambda u: (sum(1 for v in e.nbrs[u] if e.part[v] == h), u))
                e.move(u, g)
                break


@dataclass
class Attempt:
    """One seeded attempt's best partition and its scores."""

    labels: np.ndarray
    targets: np.ndarray
    grid_group: np.ndarray
    violation: float
    moves: int
    objective: float

    def beats(self, other: Attempt | None) -> bool:
        """Lower violation first, then a lower objective (with tolerances for ties)."""
        if other is None:
            return True
        return (self.violation, self.objective) < (other.violation - 1e-12, other.objective) or (
            self.violation <= other.violation + 1e-12 and self.objective < other.objective - 1e-9
        )


def _engine(
    p: Problem, targets: np.ndarray, area_targets: np.ndarray, deadline: float | None
) -> Engine:
    n = len(p.weight)
    nb, ln = p.adj.neighbour_lists()
    tol = p.tolerance
    locked = p.locked if p.locked is not None else np.full(n, -1)
    return Engine(
        nb,
        ln,
        p.weight.tolist(),
        p.area.tolist(),
        [-1] * n,
        targets.tolist(),
        (targets * (1 - tol)).tolist(),
        (targets * (1 + tol)).tolist(),
        locked=(locked >= 0).tolist(),
        area_targets=area_targets.tolist(),
        compactness=p.compactness,
        area_weight=p.area_weight,
        deadline=deadline,
        perimeter=None if p.perimeter is None else p.perimeter.tolist(),
    )


def _seed_all(p: Problem, e: Engine, rng: np.random.Generator) -> None:
    """Seed every group (locked labels first in a group keep the free ones consecutive)."""
    offsets = p.offsets
    locked = p.locked if p.locked is not None else np.full(len(p.weight), -1)
    order = np.argsort(p.group, kind="stable")
    bounds = np.searchsorted(p.group[order], np.arange(len(p.m) + 1))
    for gi in range(len(p.m)):
        units = order[bounds[gi] : bounds[gi + 1]]
        labels = list(range(offsets[gi], offsets[gi] + p.m[gi]))
        if not labels or len(units) == 0:
            continue
        locked_labels = sorted({int(v) for v in locked[units] if v >= 0})
        labels = locked_labels + [g for g in labels if g not in locked_labels]
        _group_seed(p, e, units, labels, locked_labels, rng)


def _set_bands(e: Engine, targets: np.ndarray, tol: float) -> None:
    for g in range(len(targets)):
        e.lo[g] = float(targets[g] * (1 - tol))
        e.hi[g] = float(targets[g] * (1 + tol))


def _first_polish(e: Engine, grids: list[int], rng: np.random.Generator) -> None:
    e.restore(e.part)
    e.balance(grids)
    e.improve(grids, rng)
    e.improve_pairs(grids, rng)
    e.improve(grids, rng, max_passes=4)
    if e.out_of_band(grids):
        e.balance(grids)
        e.improve(grids, rng, max_passes=4)


def _perturb(
    e: Engine, grids: list[int], targets: np.ndarray, p: Problem, rng: np.random.Generator
) -> None:
    """Perturbation rounds: improve shapes with the band widened, pull back into the
    band (compact moves first), polish; keep the result when it is better and valid.

    Stops after :data:`PATIENCE` rounds in a row that did not improve the plan.
    """
    best_part, best_viol, best_obj = list(e.part), e.total_violation(grids), e.objective(grids)
    fails = 0
    for _ in range(p.rounds or 0):
        if e._timed_out() or fails >= PATIENCE:
            break
        _set_bands(e, targets, 3 * p.tolerance)
        e.improve(grids, rng, max_passes=4)
        _set_bands(e, targets, p.tolerance)
        e.balance(grids)
        e.improve(grids, rng, max_passes=6)
        e.improve_pairs(grids, rng)
        e.improve(grids, rng, max_passes=2)
        viol, obj = e.total_violation(grids), e.objective(grids)
        if (viol, obj) < (best_viol - 1e-12, best_obj) or (
            viol <= best_viol + 1e-12 and obj < best_obj - 1e-9
        ):
            best_part, best_viol, best_obj = list(e.part), viol, obj
            fails = 0
        else:
            e.restore(best_part)
            fails += 1
    e.restore(best_part)


def _context(p: Problem, e: Engine, grid_group: np.ndarray) -> SearchContext:
    base = p.context
    return SearchContext(
        e.nbrs,
        e.lens,
        {} if base is None else base.columns,
        p.group,
        grid_group,
        p.area,
        p.perimeter,
    )


def _attempt(p: Problem, rng: np.random.Generator, deadline: float | None) -> Attempt:
    """Seed, balance and refine once; ``p.rounds`` perturbation rounds."""
    grid_group = np.repeat(np.arange(len(p.m)), p.m)
    gw = np.bincount(p.group, weights=p.weight, minlength=len(p.m))
    ga = np.bincount(p.group, weights=p.area, minlength=len(p.m))
    mm = np.maximum(np.asarray(p.m, dtype=float), 1)
    targets = (gw / mm)[grid_group]
    e = _engine(p, targets, (ga / mm)[grid_group], deadline)
    e.rng = rng
    e.xy = (p.x.tolist(), p.y.tolist())
    e.stall_rounds = p.stall_rounds
    _seed_all(p, e, rng)
    # Final bands (bisect overwrote targets with split targets).
    for g in range(len(targets)):
        e.T[g] = float(targets[g])
    _set_bands(e, targets, p.tolerance)
    offsets = p.offsets
    for gi in range(len(p.m)):
        _fill_empty(e, list(range(offsets[gi], offsets[gi] + p.m[gi])))
    grids = list(range(len(targets)))
    if p.criteria:  # bound once the partition is complete; restore() recounts them
        e.extra = [c.bind(_context(p, e, grid_group)) for c in p.criteria]
    _first_polish(e, grids, rng)
    _perturb(e, grids, targets, p, rng)
    return Attempt(
        np.asarray(e.part, dtype=np.int64),
        targets,
        grid_group,
        e.total_violation(grids),
        e.n_moves,
        e.objective(grids),
    )


def effort(n: int) -> tuple[int, int, int]:
    """(attempts, perturbation rounds, extra attempts while out of band) for ``n`` units.

    Counted in work, never in wall-clock time, so that a seed gives the same
    plan on any machine. Restarts are cheap on small inputs and the best of a
    few is clearly better; on large ones one attempt uses the time budget.

    >>> effort(500), effort(3_000), effort(10_000), effort(50_000)
    ((4, 4, 12), (1, 2, 10), (1, 2, 3), (1, 2, 0))
    """
    attempts = max(1, min(8, round(2_000 / max(n, 1))))
    rounds = 4 if n <= 1_000 else 2
    # Extra attempts run only while the best plan is still out of tolerance: tight bands
    # on coarse units (buildings of 100+ households in 300-household grids) need them.
    extra = 0 if n > 30_000 else max(1, min(12, round(30_000 / max(n, 1))))
    return attempts, rounds, extra


def out_of_reach(p: Problem) -> bool:
    """True when some grid must be out of tolerance whatever the plan.

    The necessary checks of :func:`gridplan.division.prepare.necessary_tolerance`:
    a unit heavier than its group's grids may be, or a group with fewer
    loaded units than grids. Extra attempts cannot help then.
    """
    m = np.asarray(p.m, dtype=float)
    loads = np.bincount(p.group, weights=p.weight, minlength=len(m))
    hi = loads / np.maximum(m, 1) * (1 + p.tolerance)
    heavy = (p.weight > hi[p.group] + 1e-9) & (m[p.group] > 1)
    loaded = np.bincount(p.group, weights=(p.weight > 0).astype(float), minlength=len(m))
    return bool(heavy.any() or ((loaded < m) & (loads > 0)).any())


def solve(p: Problem) -> Result:
    """Partition: seeded attempts (see :func:`effort`), keep the best.

    Best = smallest total balance violation, then lowest objective. With a
    ``time_limit`` the search also stops at it (then the result depends on
    the machine's speed); the first attempt always completes its seeding
    and balancing. When :func:`out_of_reach`: no extra attempts, and
    balancing stops after :data:`STALLED` rounds without progress.
    """
    start = time.perf_counter()
    deadline = start + p.time_limit if p.time_limit else None
    n = len(p.weight)
    attempts, rounds, extra = effort(n)
    if p.attempts is not None:
        attempts = p.attempts
    if p.rounds is not None:
        rounds = p.rounds
    run = replace(p, rounds=rounds)
    if out_of_reach(p):
        extra = 0
        run = replace(run, stall_rounds=STALLED if p.stall_rounds is None else p.stall_rounds)
    rng = np.random.default_rng(p.seed)
    best: Attempt | None = None
    tries = 0
    while tries < attempts + (extra if best is not None and best.violation > 0 else 0):
        tries += 1
        res = _attempt(run, np.random.default_rng(rng.integers(2**63)), deadline)
        if res.beats(best):
            best = res
        if deadline is not None and time.perf_counter() > deadline:
            break
    if best is None:
        raise ValueError(f"attempts={attempts}: solve needs at least one attempt")
    return Result(
        best.labels, best.targets, best.grid_group, float(best.violation), tries, best.moves
    )
