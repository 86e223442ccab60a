"""``rebalance()``: bring an existing plan within tolerance by moving the fewest households.

The plan's grids keep their codes and, unless they have to change, every
unit. Each grid's target is its parent's load shared equally by the parent's
grids (as in :class:`~gridplan.GridPlan`), so a parent whose grids are
already within tolerance moves nothing. Before balancing, the plan is
repaired: units new to the territory (or in no grid), pieces of a grid cut
off from its largest piece and, when nesting, units outside their grid's
parent join the neighbouring grid they share most boundary with (a parent
with no grid at all gets a new one, with the next free code).

>>> import geopandas as gpd, pandas as pd, shapely
>>> from gridplan import Territory
>>> cells = [shapely.box(x, 0, x + 100, 100) for x in range(0, 600, 100)]
>>> t = Territory(gpd.GeoDataFrame({"pop": [10] * 6, "hh": [4] * 6}, geometry=cells,
...                                crs="EPSG:32650"), population="pop", households="hh")
>>> old = pd.Series(["G01"] * 4 + ["G02"] * 2, index=t.units.index)
>>> r = rebalance(old, t, tolerance=0.0)
>>> r.plan.assignment.tolist(), r.units_moved, r.households_moved
(['G01', 'G01', 'G01', 'G02', 'G02', 'G02'], 1, 4.0)
"""

from __future__ import annotations

import math
import numbers
import re
import time
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import shapely

from gridplan.division._graph import Adjacency
from gridplan.division.codes import format_code, parent_code
from gridplan.division.plan import GridPlan
from gridplan.errors import ConfigError, InfeasibleError, InputError, format_rows
from gridplan.existing._moves import Mover
from gridplan.existing._redraw import redraw
from gridplan.existing._resize import resize
from gridplan.existing.importing import ImportedGrids
from gridplan.territory import Territory

__all__ = ["Rebalance", "rebalance"]

PlanLike: TypeAlias = GridPlan | ImportedGrids | pd.Series


@dataclass
class Rebalance:
    """A re-balanced plan and what changed.

    Attributes
    ----------
    plan
        The new :class:`~gridplan.GridPlan` (``params["method"] == "rebalance"``).
    changes
        One row per unit whose grid changed: ``unit``, ``from`` (``None`` for
        units new to the plan), ``to``, ``reason`` (``"balance"``,
        ``"joined"``: new or in no grid, ``"cut off"``: a piece of a grid
        in several pieces, ``"parent"``: outside its grid's parent,
        ``"split"``: to the new half of a split grid, ``"merged"``: its grid
        was merged into a neighbour) and the
        units' population, households and balance column.
    removed
        Units of the old plan that are not in the territory: ``unit``, ``from``.
    before
        The old assignment on the territory's units (``NaN`` for new units).
    """

    plan: GridPlan
    changes: pd.DataFrame
    removed: pd.DataFrame
    before: pd.Series
    new_grids: list[str] = field(default_factory=list)
    merged_grids: list[str] = field(default_factory=list)

    @property
    def units_moved(self) -> int:
        """Units that left a grid for another (new units joining a grid not counted)."""
        return int(self.changes["from"].notna().sum())

    def _moved_sum(self, col: str) -> float:
        moved = self.changes[self.changes["from"].notna()]
        return float(moved[col].sum()) if col in moved else 0.0

    @property
    def households_moved(self) -> float:
        """Households (the balance column when there are none) in units that changed grid."""
        t = self.plan.territory
        return self._moved_sum(t.households_col or self.plan.params["balance_column"])

    @property
    def population_moved(self) -> float:
        """Residents in units that changed grid."""
        return self._moved_sum(self.plan.territory.population_col)

    @property
    def grids_changed(self) -> list[str]:
        """Codes of grids that gained or lost a unit, sorted."""
        c = self.changes
        return sorted(
            {*c["from"].dropna().astype(str), *c["to"].astype(str)}
            | set(self.removed["from"].dropna().astype(str))
        )

    @property
    def parents_untouched(self) -> list[Hashable]:
        """Parents (``within``) none of whose units changed grid; empty when not nested."""
        within = self.plan.params.get("within")
        if within is None:
            return []
        units = self.plan.territory.units
        touched = set(units.loc[self.changes["unit"], within])
        return sorted((p for p in units[within].unique() if p not in touched), key=str)

    def summary(self) -> str:
        """A few lines: what moved, then the new plan."""
        m = self.plan.metrics
        return "\n".join(
            [
                f"Rebalance to ±{m['tolerance']:.1%}: {self.units_moved:,} unit(s) and "
                f"{self.households_moved:,.0f} household(s) moved, "
                f"{len(self.grids_changed)} of {m['n_grids']} grid(s) changed",
                f"  {int(self.changes['from'].isna().sum())} new unit(s) joined, "
                f"{len(self.removed)} removed, {len(self.new_grids)} new grid(s), "
                f"{len(self.merged_grids)} merged",
                self.plan.summary(timing=False),
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts and the change log."""

        def plain(v: Any) -> Any:
            v = v.item() if hasattr(v, "item") else v
            return None if isinstance(v, float) and not math.isfinite(v) else v

        return {
            "units_moved": self.units_moved,
            "households_moved": self.households_moved,
            "population_moved": self.population_moved,
            "grids_changed": self.grids_changed,
            "new_grids": list(self.new_grids),
            "merged_grids": list(self.merged_grids),
            "removed": [plain(u) for u in self.removed["unit"]],
            "changes": [
                {k: plain(v) for k, v in row.items()} for row in self.changes.to_dict("records")
            ],
        }


def _old_assignment(plan: PlanLike) -> tuple[pd.Series, dict[str, Any], Territory | None]:
    if isinstance(plan, GridPlan):
        return plan.assignment, dict(plan.params), plan.territory
    if isinstance(plan, ImportedGrids):
        return plan.assignment, {}, None
    if isinstance(plan, pd.Series):
        return plan, {}, None
    raise ConfigError(
        "rebalance takes a GridPlan, an ImportedGrids (grids_from_layer / grids_from_column) "
        f"or a pandas Series unit id -> grid code, not {type(plan).__name__}."
    )


def _check_tolerance(tolerance: Any) -> float:
    if isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real):
        raise ConfigError(f"tolerance={tolerance!r}: give a number 0 or more, e.g. 0.05.")
    tol = float(tolerance)
    if not (math.isfinite(tol) and tol >= 0):
        raise ConfigError(f"tolerance={tolerance!r}: give a number 0 or more, e.g. 0.05.")
    return tol


def _locked_mask(locked: Any, ids: pd.Index) -> np.ndarray:
    mask = np.zeros(len(ids), dtype=bool)
    if locked is None:
        return mask
    if isinstance(locked, str) or not isinstance(locked, Iterable | Mapping):
        raise ConfigError(f"locked must be unit ids (a list, or a mapping's keys), not {locked!r}.")
    keys = list(locked.keys()) if isinstance(locked, Mapping | pd.Series) else list(locked)
    missing = [k for k in keys if k not in ids]
    if missing:
        raise ConfigError(f"locked names unit(s) not in the territory: {format_rows(missing)}.")
    mask[ids.get_indexer(keys)] = True
    return mask


@dataclass
class _Work:
    """Integer form of the problem: labels (-1 = no grid), groups, adjacency."""

    labels: np.ndarray
    codes: list[str]
    group: np.ndarray
    pcodes: list[str | None]
    nb: list[list[int]]
    lens: list[list[float]]
    reason: dict[int, str] = field(default_factory=dict)


def _prepare(territory: Territory, old: pd.Series, within: str | None) -> _Work:
    units = territory.units
    ids = units.index
    if within is not None:
        if within not in units.columns or units[within].isna().any():
            raise ConfigError(
                f"within={within!r} must be a column of the units with a parent for every unit."
            )
        names = sorted(units[within].unique().tolist(), key=parent_code)
        group = units[within].map({v: i for i, v in enumerate(names)}).to_numpy(dtype=np.int64)
        pcodes: list[str | None] = [parent_code(v) for v in names]
    else:
        group = np.zeros(len(ids), dtype=np.int64)
        pcodes = [None]
    text = [None if pd.isna(v) else str(v) for v in old.reindex(ids)]
    codes = sorted({c for c in text if c is not None})
    pos = {c: i for i, c in enumerate(codes)}
    labels = np.array([-1 if c is None else pos[c] for c in text], dtype=np.int64)
    adj = Adjacency.from_networkx(territory.graph, list(ids))
    src = np.repeat(np.arange(adj.n), np.diff(adj.indptr))
    nb, lens = adj.subset(group[src] == group[adj.indices]).neighbour_lists()
    work = _Work(labels, codes, group, pcodes, nb, lens)
    work.reason = {int(u): "joined" for u in np.flatnonzero(labels < 0)}
    return work


def _cut_off(work: _Work, weight: np.ndarray, within: str | None) -> None:
    """Unlabel units outside their grid's parent, then every piece but a grid's largest."""
    lab = work.labels
    if within is not None:
        for g in range(len(work.codes)):
            mine = np.flatnonzero(lab == g)
            counts = np.bincount(work.group[mine], weights=weight[mine] + 1e-9)
            keep = int(np.argmax(counts))
            for u in mine[work.group[mine] != keep].tolist():
                lab[u] = -1
                work.reason[u] = "parent"
    seen = np.zeros(len(lab), dtype=bool)
    pieces: dict[int, list[list[int]]] = {}
    for s in range(len(lab)):
        if seen[s] or lab[s] < 0:
            continue
        piece, stack = [s], [s]
        seen[s] = True
        while stack:
            v = stack.pop()
            for x in work.nb[v]:
                if not seen[x] and lab[x] == lab[s]:
                    seen[x] = True
                    piece.append(x)
                    stack.append(x)
        pieces.setdefault(int(lab[s]), []).append(piece)
    for parts in pieces.values():
        parts.sort(key=lambda p: (-float(weight[p].sum()), -len(p), min(p)))
        for p in parts[1:]:
            for u in p:
                lab[u] = -1
                work.reason[u] = "cut off"


def _next_code(work: _Work, gi: int) -> str:
    pcode = work.pcodes[gi]
    pat = re.compile(("G" if pcode is None else re.escape(pcode) + "-") + r"(\d+)$")
    used = [int(m.group(1)) for c in work.codes if (m := pat.match(c))]
    return format_code(pcode, max(used, default=0) + 1)


def _join(work: _Work) -> list[str]:
    """Give every unlabelled unit the neighbouring grid it shares most boundary with."""
    lab, new = work.labels, []
    while (lab < 0).any():
        progress = False
        for u in np.flatnonzero(lab < 0).tolist():
            shared: dict[int, float] = {}
            for v, ln in zip(work.nb[u], work.lens[u], strict=True):
                if lab[v] >= 0:
                    shared[int(lab[v])] = shared.get(int(lab[v]), 0.0) + ln + 1e-9
            if shared:
                lab[u] = max(shared, key=lambda g: (shared[g], -g))
                progress = True
        if not progress:  # a piece with no grid around it: a new grid
            u = int(np.flatnonzero(lab < 0)[0])
            code = _next_code(work, int(work.group[u]))
            work.codes.append(code)
            new.append(code)
            lab[u] = len(work.codes) - 1
    return new


def _bounds(work: _Work, weight: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    k = len(work.codes)
    ggroup = np.zeros(k, dtype=np.int64)
    ggroup[work.labels] = work.group
    load = np.bincount(work.group, weights=weight, minlength=len(work.pcodes))
    count = np.bincount(ggroup, minlength=len(work.pcodes))
    target = load[ggroup] / count[ggroup]
    return target * (1 - tol), target * (1 + tol)


def _infeasible(plan: GridPlan, weight: np.ndarray, work: _Work, tol: float) -> InfeasibleError:
    hi = _bounds(work, weight, 0.0)[1]
    per = hi[work.labels]
    ggroup = np.zeros(len(work.codes), dtype=np.int64)
    ggroup[work.labels] = work.group
    single = np.bincount(ggroup, minlength=len(work.pcodes))[work.group] == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where((per > 0) & ~single, weight / per - 1.0, 0.0)
    smallest = max(0.0, float(need.max()) if len(need) else 0.0)
    achieved = float(plan.metrics["max_abs_deviation"])
    return InfeasibleError(
        f"no re-balance within tolerance={tol:g} was found: {plan.metrics['n_outside_tolerance']} "
        f"grid(s) stay outside it (largest deviation {achieved:.4f}), a tolerance of "
        f"{achieved:.4f} is known to work"
        + (f" and none below {smallest:.4f} can (a unit weighs that much)" if smallest else "")
        + ". Raise tolerance, unlock units, or pass strict=False for this plan.",
        details={
            "smallest_tolerance": smallest,
            "achieved_tolerance": achieved,
            "tolerance": tol,
            "violations": plan.metrics["violations"],
        },
    )


def _change_log(
    territory: Territory, before: pd.Series, after: pd.Series, reason: dict[int, str], bcol: str
) -> pd.DataFrame:
    units = territory.units
    changed = (before.isna() | (before.astype(str) != after.astype(str))).to_numpy()
    pos = np.flatnonzero(changed)
    log = pd.DataFrame(
        {
            "unit": units.index[pos],
            "from": before.iloc[pos].to_numpy(dtype=object),
            "to": after.iloc[pos].to_numpy(dtype=object),
            "reason": [reason.get(int(u), "balance") for u in pos],
        }
    )
    cols = [territory.population_col, territory.households_col, bcol]
    for col in dict.fromkeys(c for c in cols if c is not None):
        log[col] = units[col].to_numpy(dtype=float)[pos]
    log["from"] = pd.Series([None if pd.isna(v) else v for v in log["from"]], dtype=object)
    return log


def rebalance(
    plan: PlanLike,
    territory: Territory | None = None,
    tolerance: float = 0.05,
    *,
    balance: str | None = None,
    within: str | None = None,
    locked: Iterable[Hashable] | Mapping[Hashable, Any] | None = None,
    households_per_grid: float | None = None,
    strict: bool = True,
    max_rounds: int = 40,
) -> Rebalance:
    """Move the fewest households so that every grid is within ``tolerance`` and contiguous.

    Parameters
    ----------
    plan
        The existing plan: a :class:`~gridplan.GridPlan`, an
        :class:`ImportedGrids` or a Series unit id -> grid code.
    territory
        The territory now (default: the plan's). Units it has that the plan
        does not join a neighbouring grid; units the plan has that it does not
        are listed in ``removed``.
    tolerance
        Allowed relative deviation of every grid from its target (its
        parent's load over the parent's number of grids).
    balance
        ``"households"``, ``"population"`` or a column; default the plan's,
        else households when the territory has them.
    within
        Parent column the grids nest in; default the plan's ``within``.
        Parents whose grids are all within tolerance move nothing.
    locked
        Unit ids (or a mapping's keys) that never change grid.
    households_per_grid
        When given, each parent gets ``round(load / households_per_grid)``
        grids (at least one): the heaviest grids are split in two (the new
        grid takes the next free code) or the lightest merged into their
        lightest neighbour; by default the number of grids is kept.
    strict
        Raise :class:`~gridplan.errors.InfeasibleError` when some grid stays
        outside tolerance (``details["achieved_tolerance"]`` is one that
        works), or return the best plan with ``strict=False``.

    The moves follow a minimum flow between neighbouring grids (how much
    load must cross each shared boundary), then boundary units move along it
    without ever splitting a grid; see :mod:`gridplan.existing._moves`.
    """
    start = time.perf_counter()
    old, params, territory = _inputs(plan, territory)
    tol = _check_tolerance(tolerance)
    if balance is None:
        balance = params.get("balance") or (
            "households" if territory.households_col else "population"
        )
    bcol = territory.column(balance)
    within = params.get("within") if within is None else within
    weight = territory.units[bcol].to_numpy(dtype=float)
    work = _prepare(territory, old, within)
    lock = _locked_mask(locked, territory.units.index)
    new_grids, merged = _repair(territory, work, weight, lock, within, households_per_grid)
    work.labels = _balance(territory, work, weight, lock, tol, bcol, max_rounds)
    params.update(
        n_grids=len(work.codes),
        tolerance=tol,
        balance=balance,
        balance_column=bcol,
        within=within,
        n_locked=int(lock.sum()),
        method="rebalance",
    )
    params.update(households_per_grid=households_per_grid, strict=strict)
    params.setdefault("seed", 0)
    return _result(territory, old, work, params, weight, start, new_grids, merged)


def _balance(
    territory: Territory,
    work: _Work,
    weight: np.ndarray,
    lock: np.ndarray,
    tol: float,
    bcol: str,
    max_rounds: int,
) -> np.ndarray:
    """Flows and boundary moves; where they cannot finish, neighbourhoods re-drawn, then again."""
    lo, hi = _bounds(work, weight, tol)
    home = work.labels.tolist()
    args = (weight.tolist(), lock.tolist(), lo.tolist(), hi.tolist())
    mover = Mover(work.nb, work.lens, home, *args)
    if mover.run(max_rounds=max_rounds):
        return np.asarray(mover.labels)
    labels = redraw(territory, work.nb, np.asarray(mover.labels), weight, (lo, hi), tol, bcol, lock)
    again = Mover(work.nb, work.lens, labels.tolist(), *args)
    again.run(max_rounds=max_rounds, home=home)
    return np.asarray(again.labels)


def _inputs(
    plan: PlanLike, territory: Territory | None
) -> tuple[pd.Series, dict[str, Any], Territory]:
    old, params, own = _old_assignment(plan)
    territory = own if territory is None else territory
    if not isinstance(territory, Territory):
        raise ConfigError("give the territory: rebalance(plan, territory, tolerance=...).")
    if not old.index.is_unique:
        dup = old.index[old.index.duplicated()].unique()
        raise InputError(
            f"the old assignment repeats unit id(s) {format_rows(dup)}.", rows=list(dup)
        )
    return old, params, territory


def _repair(
    territory: Territory,
    work: _Work,
    weight: np.ndarray,
    lock: np.ndarray,
    within: str | None,
    per_grid: float | None,
) -> tuple[list[str], list[str]]:
    """Cut-off pieces and new units join a neighbour; then split or merge to the grid count."""
    _cut_off(work, weight, within)
    lost = [u for u in work.reason if lock[u] and work.reason[u] != "joined"]
    if lost:
        rows = list(territory.units.index[lost])
        raise ConfigError(
            f"locked unit(s) {format_rows(rows)} are cut off from their grid (in another "
            "piece or parent), so they must move; unlock them.",
            rows=rows,
        )
    new_grids = _join(work)
    if per_grid is None:
        return new_grids, []
    size = _as_size(per_grid)
    cent = shapely.centroid(np.asarray(territory.units.geometry.array))
    split, merged, reason = resize(
        work.labels,
        work.group,
        work.codes,
        work.nb,
        weight,
        (shapely.get_x(cent), shapely.get_y(cent)),
        size,
        lambda gi: _next_code(work, gi),
        lock,
    )
    work.reason.update({u: r for u, r in reason.items() if u not in work.reason})
    new_grids = [c for c in [*new_grids, *split] if c not in merged]
    return new_grids, merged


def _as_size(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not float(value) > 0:
        raise ConfigError(f"households_per_grid={value!r}: give a positive number, e.g. 300.")
    return float(value)


def _result(
    territory: Territory,
    old: pd.Series,
    work: _Work,
    params: dict[str, Any],
    weight: np.ndarray,
    start: float,
    new_grids: list[str],
    merged: list[str],
) -> Rebalance:
    units = territory.units
    after = pd.Series(
        np.asarray(work.codes, dtype=object)[work.labels], index=units.index, name="grid"
    )
    tol = params["tolerance"]
    result = GridPlan(territory, after, params, seconds=time.perf_counter() - start)
    if params["strict"] and result.metrics["violations"]:
        raise _infeasible(result, weight, work, tol)
    before = old.reindex(units.index)
    gone = old.index[~old.index.isin(units.index)]
    removed = pd.DataFrame({"unit": gone, "from": old.loc[gone].to_numpy(dtype=object)})
    return Rebalance(
        plan=result,
        changes=_change_log(territory, before, after, work.reason, params["balance_column"]),
        removed=removed,
        before=before,
        new_grids=new_grids,
        merged_grids=merged,
    )
