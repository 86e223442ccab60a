"""Re-balancing on plain arrays: a minimum flow between grids, then boundary units moved along it.

Units are positions ``0..n-1`` with neighbour lists (edges never cross
parents); grids are labels ``0..k-1`` with load bounds ``lo``/``hi``. One
round solves, on the graph of neighbouring grids, the linear programme

    minimise  sum of flows f[a, b] >= 0
    such that lo[g] <= load[g] - out-flow[g] + in-flow[g] <= hi[g]

(a lower bound on the load that has to cross grid boundaries, solved with
HiGHS through :func:`scipy.optimize.linprog`), then moves boundary units of
``a`` into ``b`` along every flow, downstream pairs first, never a locked
unit nor one whose removal would split its grid. Units are indivisible, so
rounds repeat on the new loads until every grid is within its bounds.

>>> from gridplan.division._graph import lattice
>>> adj, _, _ = lattice(6, 1)
>>> nb, lens = adj.neighbour_lists()
>>> m = Mover(nb, lens, [0, 0, 0, 0, 1, 1], [1.0] * 6, [False] * 6, [2.9, 2.9], [3.1, 3.1])
>>> m.run(), m.labels
(True, [0, 0, 0, 1, 1, 1])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

__all__ = ["Mover"]

_EPS = 1e-9
#: Units without load moved in one transfer, at most: they only open the way to loaded ones.
_MAX_EMPTY_MOVES = 25


class Mover:
    """Mutable state of a re-balance: labels, loads and grid sizes."""

    def __init__(
        self,
        nb: list[list[int]],
        lens: list[list[float]],
        labels: Sequence[int],
        weight: Sequence[float],
        locked: Sequence[bool],
        lo: Sequence[float],
        hi: Sequence[float],
    ) -> None:
        self.nb, self.lens = nb, lens
        self.labels = [int(v) for v in labels]
        self.w = [float(v) for v in weight]
        self.locked = [bool(v) for v in locked]
        self.lo, self.hi = [float(v) for v in lo], [float(v) for v in hi]
        k = len(self.lo)
        self.load = [0.0] * k
        self.size = [0] * k
        self.members: list[set[int]] = [set() for _ in range(k)]
        for u, g in enumerate(self.labels):
            self.load[g] += self.w[u]
            self.size[g] += 1
            self.members[g].add(u)

    # -- state ----------------------------------------------------------------------------

    def violation(self, g: int) -> float:
        return max(0.0, self.lo[g] - self.load[g], self.load[g] - self.hi[g])

    def out_of_bounds(self) -> list[int]:
        return [g for g in range(len(self.lo)) if self.violation(g) > _EPS * (1 + self.hi[g])]

    def move(self, u: int, q: int) -> None:
        p = self.labels[u]
        self.load[p] -= self.w[u]
        self.load[q] += self.w[u]
        self.size[p] -= 1
        self.size[q] += 1
        self.labels[u] = q
        self.members[p].discard(u)
        self.members[q].add(u)

    def removable(self, u: int) -> bool:
        """True when ``u``'s grid stays one non-empty piece without ``u``."""
        g, lab = self.labels[u], self.labels
        if self.size[g] <= 1:
            return False
        ring = [v for v in self.nb[u] if lab[v] == g]
        if len(ring) <= 1:
            return True
        left = set(ring[1:])
        seen = {u, ring[0]}
        stack = [ring[0]]
        while stack:
            v = stack.pop()
            for x in self.nb[v]:
                if x not in seen and lab[x] == g:
                    seen.add(x)
                    left.discard(x)
                    if not left:
                        return True
                    stack.append(x)
        return not left

    # -- flows ----------------------------------------------------------------------------

    def arcs(self) -> list[tuple[int, int]]:
        """Directed grid pairs ``(a, b)`` where ``a`` has an unlocked unit next to ``b``."""
        out: set[tuple[int, int]] = set()
        lab = self.labels
        for u, a in enumerate(lab):
            if self.locked[u]:
                continue
            for v in self.nb[u]:
                if lab[v] != a:
                    out.add((a, lab[v]))
        return sorted(out)

    def flows(self) -> dict[tuple[int, int], float] | None:
        """The minimum flow that brings every grid within bounds; ``None`` if there is none."""
        arcs = self.arcs()
        k = len(self.lo)
        if not arcs:
            return None if self.out_of_bounds() else {}
        src = np.array([a for a, _ in arcs])
        dst = np.array([b for _, b in arcs])
        cols = np.arange(len(arcs))
        # net[g] = in-flow - out-flow; need lo - load <= net <= hi - load.
        net = sparse.csr_matrix(
            (
                np.concatenate([np.ones(len(arcs)), -np.ones(len(arcs))]),
                (np.concatenate([dst, src]), np.concatenate([cols, cols])),
            ),
            shape=(k, len(arcs)),
        )
        load, lo, hi = np.array(self.load), np.array(self.lo), np.array(self.hi)
        res = linprog(
            np.ones(len(arcs)),
            A_ub=sparse.vstack([net, -net]).tocsr(),
            b_ub=np.concatenate([hi - load, load - lo]),
            bounds=(0, None),
            method="highs",
        )
        if res.status != 0:
            return None
        return {arc: float(f) for arc, f in zip(arcs, res.x, strict=True) if f > _EPS}

    # -- moving units ---------------------------------------------------------------------

    def _pick(self, cands: list[int], b: int, need: float, room: float) -> int | None:
        """The unit to move next: the lightest that completes ``need``, else the heaviest."""
        fits = [u for u in cands if self.w[u] <= room + _EPS]
        done = [u for u in fits if self.w[u] >= need - _EPS]

        def toward_b(u: int) -> float:
            lab = self.labels
            return sum(ln for v, ln in zip(self.nb[u], self.lens[u], strict=True) if lab[v] == b)

        if done:
            return min(done, key=lambda u: (self.w[u], -toward_b(u), u))
        if fits:
            return max(fits, key=lambda u: (self.w[u], toward_b(u), -u))
        return None

    def transfer(self, a: int, b: int, xlo: float, xhi: float, barred: set[int]) -> float:
        """Move units of ``a`` next to ``b`` into ``b`` until at least ``xlo`` (at most ``xhi``)."""
        lab = self.labels
        frontier = {u for u in self.members[a] if any(lab[v] == b for v in self.nb[u])}
        x, empty = 0.0, 0
        while x < xlo - _EPS:
            cands = sorted(
                u
                for u in frontier
                if not self.locked[u]
                and u not in barred
                and self.removable(u)
                and (self.w[u] > 0 or empty < _MAX_EMPTY_MOVES)
            )
            u = self._pick(cands, b, xlo - x, xhi - x)
            if u is None:
                break
            self.move(u, b)
            barred.add(u)
            x += self.w[u]
            empty += self.w[u] <= 0
            frontier.discard(u)
            frontier.update(v for v in self.nb[u] if lab[v] == a)
        return x

    def apply(self, flows: dict[tuple[int, int], float]) -> float:
        """Move units along ``flows``, downstream pairs first; returns the load moved."""
        left = dict(flows)
        moved = 0.0
        barred: set[int] = set()
        while left:
            busy = {a for a, _ in left}
            ready = [arc for arc in left if arc[1] not in busy] or list(left)
            a, b = max(ready, key=lambda arc: (left[arc], -arc[0], -arc[1]))
            del left[(a, b)]
            rest_a = sum(f for (p, q), f in left.items() if q == a) - sum(
                f for (p, q), f in left.items() if p == a
            )
            rest_b = sum(f for (p, q), f in left.items() if q == b) - sum(
                f for (p, q), f in left.items() if p == b
            )
            xlo = max(self.load[a] + rest_a - self.hi[a], self.lo[b] - self.load[b] - rest_b)
            xhi = min(self.load[a] + rest_a - self.lo[a], self.hi[b] - self.load[b] - rest_b)
            if xlo > _EPS:
                moved += self.transfer(a, b, xlo, max(xhi, xlo), barred)
        return moved

    def _fits(self, g: int, delta: float) -> bool:
        load = self.load[g] + delta
        return self.lo[g] - _EPS * (1 + self.hi[g]) <= load <= self.hi[g] + _EPS * (1 + self.hi[g])

    def undo(self, original: Sequence[int]) -> int:
        """Send moved units back home when both grids stay within bounds and in one piece.

        Heaviest first (households before units), until nothing more can go
        back; returns how many went back. Units that went round a chain of
        grids are dropped from it when their home grid can take them.
        """
        back = 0
        while True:
            away = [u for u, g in enumerate(self.labels) if g != original[u] and not self.locked[u]]
            done = 0
            for u in sorted(away, key=lambda u: (-self.w[u], u)):
                p, home = self.labels[u], original[u]
                if (
                    any(self.labels[v] == home for v in self.nb[u])
                    and self._fits(p, -self.w[u])
                    and self._fits(home, self.w[u])
                    and self.removable(u)
                ):
                    self.move(u, home)
                    done += 1
            back += done
            if not done:
                return back

    def run(self, max_rounds: int = 40, home: Sequence[int] | None = None) -> bool:
        """Rounds of flow and moves until every grid is within bounds; True on success.

        On success, units moved needlessly go back to ``home`` (default: the
        labels at the start), see :meth:`undo`.
        """
        original = list(self.labels) if home is None else list(home)
        for _ in range(max_rounds):
            if not self.out_of_bounds():
                self.undo(original)
                return True
            flows = self.flows()
            if not flows:
                return False
            before = list(self.labels)
            self.apply(flows)
            if self.labels == before:
                return False
        return not self.out_of_bounds()
