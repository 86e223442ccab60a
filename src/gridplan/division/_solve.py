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
from dataclasses import dataclass, field

import numpy as np

from gridplan.division._graph import Adjacency
from gridplan.division.refine import Engine
from gridplan.division.seed import bisect, side_components

__all__ = ["Problem", "Result", "effort", "largest_remainder", "solve"]


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


def _group_seed(
    p: Problem,
    e: Engine,
    units: np.ndarray,
    labels: list[int],
    locked_labels: list[int],
    rng: np.random.Generator,
) -> None:
    """Seed one group: locked grids first, then free components by bisection."""
    part = e.part
    target = float(p.weight[units].sum()) / len(labels)
    free_labels = [g for g in labels if g not in set(locked_labels)]
    if locked_labels:
        locked = p.locked
        if locked is None:  # pragma: no cover - locked labels come from p.locked
            raise ValueError("locked labels given without Problem.locked")
        for u in units.tolist():
            if locked[u] >= 0:
                e.assign(u, int(locked[u]))
        # Grow partial locked grids towards the target, breadth first, so they
        # are not left starving when the free part is split around them.
        for g in locked_labels:
            frontier = deque(sorted(e.members[g]))
            while frontier and e.W[g] < target:
                u = frontier.popleft()
                for v in e.nbrs[u]:
                    if part[v] == -1 and e.W[g] < target:
                        e.assign(v, g)
                        frontier.append(v)
    free = np.array([u for u in units.tolist() if part[u] == -1], dtype=np.int64)
    if len(free) == 0:
        return
    comp = side_components(p.adj, free, np.ones(len(free), dtype=bool))
    n_comp = int(comp.max()) + 1
    cw = np.bincount(comp, weights=p.weight[free], minlength=n_comp)
    cn = np.bincount(comp, minlength=n_comp)
    k_free = len(free_labels)
    if k_free:
        share = cw / cw.sum() * k_free if cw.sum() > 0 else cn / cn.sum() * k_free
        mins = np.zeros(n_comp, dtype=np.int64)
        if not locked_labels:
            mins[:] = 1  # without locked grids every piece needs a grid of its own
        alloc = largest_remainder(share, k_free, mins)
        alloc = np.minimum(alloc, cn)
    else:
        alloc = np.zeros(n_comp, dtype=np.int64)
    nxt = 0
    for c in range(n_comp):
        members = free[comp == c]
        if alloc[c] == 0:
            # Join the lightest adjacent grid (a locked one: free pieces touch only those).
            adj_grids = sorted({part[v] for u in members.tolist() for v in e.nbrs[u]} - {-1})
            g = (
                min(adj_grids, key=lambda h: (e.W[h] / max(e.T[h], 1e-12), h))
                if adj_grids
                else free_labels[0]
                if free_labels
                else labels[0]
            )
            for u in members.tolist():
                e.assign(u, g)
            continue
        lab = free_labels[nxt]
        kk = int(alloc[c])
        for u in members.tolist():
            e.assign(u, lab)
        sub = free_labels[nxt : nxt + kk]
        bisect(p.adj, e, members, sub, p.weight, p.x, p.y, p.area, p.tolerance, rng)
        nxt += kk
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


def _attempt(p: Problem, rng: np.random.Generator, deadline: float | None, rounds: int):
    n = len(p.weight)
    nb, ln = p.adj.neighbour_lists()
    k = int(sum(p.m))
    offsets = p.offsets
    grid_group = np.repeat(np.arange(len(p.m)), p.m)
    gw = np.bincount(p.group, weights=p.weight, minlength=len(p.m))
    ga = np.bincount(p.group, weights=p.area, minlength=len(p.m))
    mm = np.maximum(np.asarray(p.m, dtype=float), 1)
    targets = (gw / mm)[grid_group]
    area_targets = (ga / mm)[grid_group]
    tol = p.tolerance
    locked = p.locked if p.locked is not None else np.full(n, -1)
    e = Engine(
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
    e.rng = rng
    e.xy = (p.x.tolist(), p.y.tolist())
    order = np.argsort(p.group, kind="stable")
    bounds = np.searchsorted(p.group[order], np.arange(len(p.m) + 1))
    for gi in range(len(p.m)):
        units = order[bounds[gi] : bounds[gi + 1]]
        labels = list(range(offsets[gi], offsets[gi] + p.m[gi]))
        if not labels or len(units) == 0:
            continue
        locked_labels = sorted({int(v) for v in locked[units] if v >= 0})
        rest = [g for g in labels if g not in locked_labels]
        # Locked labels first in the group keeps the free ones consecutive.
        labels = locked_labels + rest
        _group_seed(p, e, units, labels, locked_labels, rng)
    # Final bands (bisect overwrote targets with split targets).
    for g in range(k):
        e.T[g] = float(targets[g])
        e.lo[g] = float(targets[g] * (1 - tol))
        e.hi[g] = float(targets[g] * (1 + tol))
    for gi in range(len(p.m)):
        _fill_empty(e, list(range(offsets[gi], offsets[gi] + p.m[gi])))
    grids = list(range(k))
    e.restore(e.part)
    e.balance(grids)
    e.improve(grids, rng)
    e.improve_pairs(grids, rng)
    e.improve(grids, rng, max_passes=4)
    if e.out_of_band(grids):
        e.balance(grids)
        e.improve(grids, rng, max_passes=4)
    # Perturbation rounds: improve shapes with the band widened, pull back into the
    # band (compact moves first), polish; keep the result when it is better and valid.
    best_part, best_viol, best_obj = list(e.part), e.total_violation(grids), e.objective(grids)
    for _ in range(rounds):
        if e._timed_out():
            break
        for g in grids:
            e.lo[g] = float(targets[g] * (1 - 3 * tol))
            e.hi[g] = float(targets[g] * (1 + 3 * tol))
        e.improve(grids, rng, max_passes=4)
        for g in grids:
            e.lo[g] = float(targets[g] * (1 - tol))
            e.hi[g] = float(targets[g] * (1 + tol))
        e.balance(grids)
        e.improve(grids, rng, max_passes=6)
        e.improve_pairs(grids, rng)
        e.improve(grids, rng, max_passes=2)
        viol, obj = e.total_violation(grids), e.objective(grids)
        if (viol, obj) < (best_viol - 1e-12, best_obj) or (
            viol <= best_viol + 1e-12 and obj < best_obj - 1e-9
        ):
            best_part, best_viol, best_obj = list(e.part), viol, obj
        else:
            e.restore(best_part)
    e.restore(best_part)
    labels_arr = np.asarray(e.part, dtype=np.int64)
    return labels_arr, targets, grid_group, e.total_violation(grids), e.n_moves, e.objective(grids)


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


def solve(p: Problem) -> Result:
    """Partition: seeded attempts (see :func:`effort`), keep the best.

    Best = smallest total balance violation, then lowest objective. With a
    ``time_limit`` the search also stops at it (then the result depends on
    the machine's speed); the first attempt always completes its seeding
    and balancing.
    """
    start = time.perf_counter()
    deadline = start + p.time_limit if p.time_limit else None
    n = len(p.weight)
    attempts, rounds, extra = effort(n)
    if p.attempts is not None:
        attempts = p.attempts
    if p.rounds is not None:
        rounds = p.rounds
    rng = np.random.default_rng(p.seed)
    best = None
    tries = 0
    while tries < attempts + (extra if best is not None and best[3] > 0 else 0):
        tries += 1
        res = _attempt(p, np.random.default_rng(rng.integers(2**63)), deadline, rounds)
        if (
            best is None
            or (res[3], res[5]) < (best[3] - 1e-12, best[5])
            or (res[3] <= best[3] + 1e-12 and res[5] < best[5] - 1e-9)
        ):
            best = res
        if deadline is not None and time.perf_counter() > deadline:
            break
    if best is None:
        raise ValueError(f"attempts={attempts}: solve needs at least one attempt")
    labels, targets, grid_group, viol, moves, _ = best
    return Result(labels, targets, grid_group, float(viol), tries, moves)
