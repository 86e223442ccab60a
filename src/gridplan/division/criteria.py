"""Criteria of the division search: what a unit move costs or gains.

A criterion scores a partition (lower is better) and tells the search what
moving one unit from grid ``p`` to grid ``q`` would change (``delta``).
The three built-ins are what :func:`~gridplan.division.divide`'s
parameters describe; the search evaluates them on its own fast path:

* :class:`LoadBalance` - the hard band ``target * (1 ± tolerance)`` on the
  balance column (``delta``: change of the relative distance outside it);
* :class:`Compactness` - sum of ``1 / Polsby-Popper`` over grids, times
  ``weight`` (``compactness=``);
* :class:`AreaEvenness` - squared deviation of grid areas from their
  target, times ``weight`` (``area_weight=``).

Extra, user-made criteria go through ``divide(criteria=[...])`` and need no
change to the search: subclass :class:`Criterion` (``bind`` returns a
:class:`Bound` with ``reset``/``delta``/``moved``/``cost``), or use
:class:`BalanceCriterion` to keep a second column (elderly living alone,
children...) within a band as a *soft* criterion. Single-unit moves weigh
the extra criteria's ``delta`` with the shape gain; they never take the
balance column out of its band.

>>> import numpy as np
>>> from gridplan.division._graph import lattice
>>> adj, x, y = lattice(4, 1)
>>> ctx = SearchContext.of_arrays(adj, {"old": np.array([2.0, 1, 0, 1])}, [0, 0, 1, 1], 2)
>>> b = BalanceCriterion("old", tolerance=0.0).bind(ctx)
>>> b.reset([0, 0, 1, 1]); round(b.cost(), 3)
100.0
>>> round(b.delta(1, 0, 1), 3), round(b.delta(0, 0, 1), 3)
(-100.0, 0.0)
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gridplan.division._graph import Adjacency
from gridplan.errors import ColumnError, ConfigError, DataValueError, format_rows

__all__ = [
    "AreaEvenness",
    "BalanceCriterion",
    "Bound",
    "Compactness",
    "Criterion",
    "LoadBalance",
    "SearchContext",
]


@dataclass
class SearchContext:
    """What a criterion may read: graph, unit columns (by position), grid groups.

    ``columns`` maps column names of the territory's units to arrays in unit
    position order; ``grid_group[g]`` is the parent group of grid ``g`` and
    ``group[u]`` that of unit ``u`` (targets are per group).
    """

    nbrs: list[list[int]]
    lens: list[list[float]]
    columns: Mapping[str, np.ndarray]
    group: np.ndarray
    grid_group: np.ndarray
    area: np.ndarray = field(default_factory=lambda: np.zeros(0))
    perimeter: np.ndarray | None = None

    @property
    def n_grids(self) -> int:
        return len(self.grid_group)

    @classmethod
    def of_arrays(
        cls, adj: Adjacency, columns: Mapping[str, np.ndarray], group: Sequence[int], k: int
    ) -> SearchContext:
        """A context over one group of ``k`` grids (``group`` is ignored but checked)."""
        nb, ln = adj.neighbour_lists()
        n = adj.n
        if len(group) != n:
            raise ValueError(f"{len(group)} group entries for {n} units")
        return cls(
            nb, ln, dict(columns), np.zeros(n, np.int64), np.zeros(k, np.int64), np.ones(n), None
        )

    def column(self, name: str) -> np.ndarray:
        """Unit values of ``name``; :class:`ColumnError` naming the columns when absent."""
        if name not in self.columns:
            raise ColumnError(
                f"criterion column {name!r} is not a column of the units; columns: "
                f"{format_rows(sorted(self.columns), limit=20)}."
            )
        values = np.asarray(self.columns[name], dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise DataValueError(
                f"criterion column {name!r} has missing or negative values at unit positions "
                f"{format_rows(np.flatnonzero(bad).tolist())}; fix them before dividing."
            )
        return values


class Bound(ABC):
    """A criterion bound to one search: incremental state over a partition."""

    @abstractmethod
    def reset(self, part: Sequence[int]) -> None:
        """Recount the state for partition ``part`` (``part[u]`` = grid of ``u``, -1 none)."""

    @abstractmethod
    def delta(self, u: int, p: int, q: int) -> float:
        """Change of :meth:`cost` if unit ``u`` moved from grid ``p`` to ``q`` (< 0: better)."""

    @abstractmethod
    def moved(self, u: int, p: int, q: int) -> None:
        """Update the state: ``u`` has moved from ``p`` to ``q``."""

    @abstractmethod
    def cost(self) -> float:
        """The weighted cost of the current partition."""

    def pair_cost(
        self, a: int, b: int, units: Sequence[int], in_a: Sequence[bool], now: Sequence[bool]
    ) -> float:
        """Change of :meth:`cost` if ``units`` (all of grids ``a`` and ``b``, now split
        by ``now``) were split by ``in_a`` (``True``: in ``a``).

        Lets re-splits of a pair of grids weigh the criterion. The default
        plays the moves through :meth:`delta` and :meth:`moved` and takes
        them back; override it when a direct count is faster.
        """
        done: list[tuple[int, int, int]] = []
        change = 0.0
        for u, new, old in zip(units, in_a, now, strict=True):
            if new != old:
                p, q = (b, a) if new else (a, b)
                change += self.delta(u, p, q)
                self.moved(u, p, q)
                done.append((u, p, q))
        for u, p, q in reversed(done):
            self.moved(u, q, p)
        return change


class Criterion(ABC):
    """A soft criterion of the division search (subclass it; see the module doc)."""

    name: str = "criterion"

    @abstractmethod
    def bind(self, ctx: SearchContext) -> Bound:
        """The criterion's state for one search over ``ctx``."""

    def describe(self) -> dict[str, Any]:
        """JSON-ready description, stored in ``plan.params["criteria"]``."""
        return {"criterion": type(self).__name__, "name": self.name}


def _band_distance(load: float, target: float, tol: float) -> float:
    """Distance of ``load`` outside ``target * (1 ± tol)``, relative to ``target``."""
    t = target if target > 0 else 1.0
    if load > target * (1 + tol):
        return (load - target * (1 + tol)) / t
    if load < target * (1 - tol):
        return (target * (1 - tol) - load) / t
    return 0.0


class _AdditiveBound(Bound):
    """Per-grid totals of one unit value; cost = weight * sum of a per-grid function."""

    def __init__(self, values: np.ndarray, ctx: SearchContext, weight: float) -> None:
        self.v = values.tolist()
        k = ctx.n_grids
        loads = np.bincount(ctx.group, weights=values, minlength=int(ctx.grid_group.max()) + 1)
        per = np.bincount(ctx.grid_group, minlength=len(loads)).astype(float)
        self.target = (loads / np.maximum(per, 1))[ctx.grid_group].tolist()
        self.S = [0.0] * k
        self.weight = weight

    @abstractmethod
    def grid_cost(self, g: int, total: float) -> float:
        """Unweighted cost of grid ``g`` holding ``total``."""

    def reset(self, part: Sequence[int]) -> None:
        self.S = [0.0] * len(self.S)
        for u, g in enumerate(part):
            if g >= 0:
                self.S[g] += self.v[u]

    def delta(self, u: int, p: int, q: int) -> float:
        x, sp, sq = self.v[u], self.S[p], self.S[q]
        before = self.grid_cost(p, sp) + self.grid_cost(q, sq)
        return self.weight * (self.grid_cost(p, sp - x) + self.grid_cost(q, sq + x) - before)

    def moved(self, u: int, p: int, q: int) -> None:
        self.S[p] -= self.v[u]
        self.S[q] += self.v[u]

    def cost(self) -> float:
        return self.weight * sum(self.grid_cost(g, s) for g, s in enumerate(self.S))

    def pair_cost(
        self, a: int, b: int, units: Sequence[int], in_a: Sequence[bool], now: Sequence[bool]
    ) -> float:
        v, sa, sb = self.v, self.S[a], self.S[b]
        load_a = sum(v[u] for u, f in zip(units, in_a, strict=True) if f)
        after = self.grid_cost(a, load_a) + self.grid_cost(b, sa + sb - load_a)
        return self.weight * (after - self.grid_cost(a, sa) - self.grid_cost(b, sb))


class _BandBound(_AdditiveBound):
    def __init__(self, values: np.ndarray, ctx: SearchContext, weight: float, tol: float):
        super().__init__(values, ctx, weight)
        self.tol = tol

    def grid_cost(self, g: int, total: float) -> float:
        return _band_distance(total, self.target[g], self.tol)


class _SquareBound(_AdditiveBound):
    def __init__(self, values: np.ndarray, ctx: SearchContext, weight: float, scale: float):
        super().__init__(values, ctx, weight)
        self.scale = scale

    def grid_cost(self, g: int, total: float) -> float:
        t = self.target[g]
        return (total - t) ** 2 / max(t, 1e-12) / self.scale


def _check_weight(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConfigError(f"{name}={value!r}: give a number 0 or more.")
    if not math.isfinite(value):
        raise ConfigError(f"{name}={value!r}: give a finite number.")
    return float(value)


class BalanceCriterion(Criterion):
    """Keep ``column``'s grid totals within ``target * (1 ± tolerance)``, softly.

    Cost: ``weight * 100 *`` (relative distance outside the band), summed
    over grids, so 1 % outside the band weighs like ``weight`` typical
    shared edges of boundary. Targets are shared per parent like the
    balance column's.

    >>> BalanceCriterion("elderly_alone", tolerance=0.2).describe()["column"]
    'elderly_alone'
    """

    def __init__(self, column: str, tolerance: float = 0.1, weight: float = 1.0) -> None:
        if not isinstance(column, str) or not column:
            raise ConfigError(f"column={column!r}: give the name of a numeric unit column.")
        self.column = column
        self.tolerance = _check_weight("tolerance", tolerance)
        self.weight = _check_weight("weight", weight)
        self.name = f"balance:{column}"

    def bind(self, ctx: SearchContext) -> Bound:
        return _BandBound(ctx.column(self.column), ctx, 100.0 * self.weight, self.tolerance)

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "column": self.column,
            "tolerance": self.tolerance,
            "weight": self.weight,
        }


class LoadBalance(Criterion):
    """Built-in hard band on the balance column (``tolerance=``); ``delta`` = violation change.

    The search keeps it as a constraint: a move never increases it.
    """

    def __init__(self, column: str, tolerance: float) -> None:
        self.column = column
        self.tolerance = _check_weight("tolerance", tolerance)
        self.name = "load_balance"

    def bind(self, ctx: SearchContext) -> Bound:
        return _BandBound(ctx.column(self.column), ctx, 1.0, self.tolerance)


class AreaEvenness(Criterion):
    """Built-in: ``weight * sum((A_g - target)^2 / target) / mean unit area`` (``area_weight=``)."""

    def __init__(self, weight: float) -> None:
        self.weight = _check_weight("area_weight", weight)
        self.name = "area_evenness"

    def bind(self, ctx: SearchContext) -> Bound:
        area = np.asarray(ctx.area, dtype=float)
        pos = area[area > 0]
        scale = float(pos.mean()) if len(pos) else 1.0
        return _SquareBound(area, ctx, self.weight, scale)


class _ShapeBound(Bound):
    """Sum of P^2 / (4 pi A) over grids, kept per grid (generic twin of the fast path)."""

    def __init__(self, ctx: SearchContext, weight: float) -> None:
        if ctx.perimeter is None:
            raise ConfigError("Compactness needs unit perimeters in the search context.")
        self.ctx, self.weight = ctx, weight
        self.per = ctx.perimeter.tolist()
        self.a = np.asarray(ctx.area, dtype=float).tolist()
        self.part: list[int] = []
        self.P = [0.0] * ctx.n_grids
        self.A = [0.0] * ctx.n_grids

    def _shared(self, u: int, g: int) -> float:
        nb, ln = self.ctx.nbrs[u], self.ctx.lens[u]
        return sum(x for v, x in zip(nb, ln, strict=True) if self.part[v] == g)

    def reset(self, part: Sequence[int]) -> None:
        self.part = list(part)
        self.P = [0.0] * len(self.P)
        self.A = [0.0] * len(self.A)
        for u, g in enumerate(self.part):
            if g >= 0:
                self.P[g] += self.per[u] - self._shared(u, g)
                self.A[g] += self.a[u]

    def _pp(self, perim: float, area: float) -> float:
        return perim * perim / (4 * math.pi * area) if area > 0 else 0.0

    def delta(self, u: int, p: int, q: int) -> float:
        lp, lq, per, a = self._shared(u, p), self._shared(u, q), self.per[u], self.a[u]
        before = self._pp(self.P[p], self.A[p]) + self._pp(self.P[q], self.A[q])
        after = self._pp(self.P[p] - per + 2 * lp, self.A[p] - a) + self._pp(
            self.P[q] + per - 2 * lq, self.A[q] + a
        )
        return self.weight * (after - before)

    def moved(self, u: int, p: int, q: int) -> None:
        lp, lq, per, a = self._shared(u, p), self._shared(u, q), self.per[u], self.a[u]
        self.P[p] += -per + 2 * lp
        self.P[q] += per - 2 * lq
        self.A[p] -= a
        self.A[q] += a
        self.part[u] = q

    def cost(self) -> float:
        return self.weight * sum(self._pp(pp, a) for pp, a in zip(self.P, self.A, strict=True))


class Compactness(Criterion):
    """Built-in: ``weight * sum over grids of 1 / Polsby-Popper`` (``compactness=``)."""

    def __init__(self, weight: float) -> None:
        self.weight = _check_weight("compactness", weight)
        self.name = "compactness"

    def bind(self, ctx: SearchContext) -> Bound:
        return _ShapeBound(ctx, self.weight)
