"""The prepared division problem: parents, grids per parent, locked units, pre-check.

:func:`prepare` turns a :class:`~gridplan.Territory` and a
:class:`~gridplan.division.spec.DivideSpec` into a :class:`Prepared`
problem over unit positions ``0..n-1``: the balance weights, the parent
group of every unit, the number of grids of every parent (quotas), the
locked units as labels, and the smallest tolerance the necessary checks
allow. Everything a search needs; nothing it finds.

>>> import geopandas as gpd, shapely
>>> from gridplan import Territory
>>> from gridplan.division.spec import DivideSpec
>>> cells = [shapely.box(x, 0, x + 1, 1) for x in range(6)]
>>> t = Territory(gpd.GeoDataFrame({"pop": [1] * 6}, geometry=cells, crs="EPSG:32650"),
...               population="pop")
>>> p = prepare(t, DivideSpec(n_grids=3, balance="population"))
>>> p.m.tolist(), p.smallest_tolerance
([3], 0.0)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridplan.division._graph import Adjacency
from gridplan.division._roads import road_costs
from gridplan.division._solve import largest_remainder
from gridplan.division.codes import parent_code
from gridplan.division.explain import Cause, explain_infeasible, plain
from gridplan.division.plan import _Arrays, check_summed_columns
from gridplan.division.spec import DivideSpec
from gridplan.errors import ConfigError, DataValueError, IslandError, format_rows

if TYPE_CHECKING:
    from gridplan.territory import Territory

__all__ = ["Prepared", "prepare"]


@dataclass
class Prepared:
    """A division problem ready to search (positions follow ``territory.units``)."""

    arrays: _Arrays
    work: Adjacency  # the adjacency without edges across parents (road edges discounted)
    weight: np.ndarray
    balance_column: str
    group: np.ndarray  # parent of every unit, 0..len(names)-1
    names: list[Hashable]  # parent values ([None] without nesting)
    pcodes: list[str | None]  # parent codes used in grid codes
    m: np.ndarray  # grids per parent
    lock_arr: np.ndarray  # grid label of a locked unit, else -1
    fixed: dict[int, str] = field(default_factory=dict)  # locked label -> its code
    n_locked: int = 0
    smallest_tolerance: float = 0.0
    causes: list[Cause] = field(default_factory=list)
    perimeter: np.ndarray = field(default_factory=lambda: np.zeros(0))  # as the search sees it

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate(([0], np.cumsum(self.m)[:-1])).astype(np.int64)


def _weights(territory: Territory, balance: str) -> tuple[str, np.ndarray]:
    bcol = territory.column(balance)
    check_summed_columns(territory, bcol)
    units = territory.units
    weight = units[bcol].to_numpy(dtype=float)
    if not np.all(np.isfinite(weight)) or (weight < 0).any():
        bad = units.index[~np.isfinite(weight) | (weight < 0)]
        raise DataValueError(
            f"balance column {bcol!r} has missing or negative values for {format_rows(bad)}; "
            "fix them before dividing.",
            rows=list(bad),
        )
    return bcol, weight


def _parents(
    territory: Territory, within: str | None
) -> tuple[list[Hashable], list[str | None], np.ndarray]:
    """Parent values, their codes, and the parent index of every unit."""
    units = territory.units
    if within is None:
        return [None], [None], np.zeros(len(units), dtype=np.int64)
    if not isinstance(within, str) or within not in units.columns:
        raise ConfigError(
            f"within={within!r} is not a column of the units; pass the parent column "
            f"(e.g. the one given as Territory(parent=...): {territory.parent_col!r})."
        )
    if units[within].isna().any():
        bad = units.index[units[within].isna()]
        raise ConfigError(f"within={within!r} is empty for units {format_rows(bad)}.")
    names = sorted(units[within].unique().tolist(), key=parent_code)
    pcodes: list[str | None] = [parent_code(v) for v in names]
    same = pd.Series(names).groupby(pcodes, sort=True).agg(list)
    clash = same[same.map(len) > 1]
    if len(clash):
        shown = "; ".join(
            f"{' and '.join(repr(plain(v)) for v in vs)} "
            f"{'both' if len(vs) == 2 else 'all'} read {code!r}"
            for code, vs in clash.items()
        )
        rows = units.index[units[within].isin([v for vs in clash for v in vs])]
        raise DataValueError(
            f"within={within!r}: parent values {shown}, so their grids would get the same "
            "codes; give every parent a distinct value (e.g. make the column all text).",
            rows=list(rows),
        )
    code_of = {v: i for i, v in enumerate(names)}
    return names, pcodes, units[within].map(code_of).to_numpy(dtype=np.int64)


def _split_parents(
    adj: Adjacency, group: np.ndarray, names: list[Hashable], within: str | None
) -> Adjacency:
    """The adjacency without edges across parents; every parent must be one piece."""
    src = np.repeat(np.arange(adj.n), np.diff(adj.indptr))
    work = adj.subset(group[src] == group[adj.indices])
    _, comp = work.components()
    pieces = pd.Series(comp).groupby(group).nunique().to_numpy()
    split = np.flatnonzero(pieces > 1)
    if len(split):
        bad = [names[i] for i in split]
        raise IslandError(
            f"parent(s) {format_rows(bad)} of column {within!r} are in several pieces, so "
            "their grids cannot be contiguous; build the territory with "
            f"Territory(..., parent={within!r}, islands='connect') to link the pieces.",
            rows=bad,
        )
    return work


def _shared_out(loads: np.ndarray, n_grids: int, names: list[Hashable], bcol: str) -> np.ndarray:
    """``n_grids`` shared among parents by load; a parent without load gets one grid."""
    if n_grids < len(loads):
        raise ConfigError(
            f"n_grids={n_grids} but there are {len(loads)} parents and every parent needs "
            f"a grid of its own; ask for at least {len(loads)} grids."
        )
    empty = loads <= 0
    if empty.all() and n_grids > len(loads):
        raise explain_infeasible(
            "no_load", balance_column=bcol, parents=names, grids=n_grids, n_parents=len(loads)
        )
    quotas = np.zeros(len(loads))
    rest = n_grids - int(empty.sum())
    if loads.sum() > 0:
        quotas[~empty] = rest * loads[~empty] / loads.sum()
    m = largest_remainder(quotas, n_grids, np.ones(len(loads), dtype=np.int64))
    m[empty] = 1
    surplus = int(m.sum()) - n_grids
    if surplus > 0:  # only possible when minimums crowd out; take from the largest
        for gi in np.argsort(-m, kind="stable")[:surplus]:
            m[gi] -= 1
    if int(m.sum()) != n_grids:  # pragma: no cover - guarded above
        raise RuntimeError(f"gridplan: {int(m.sum())} grids shared out, {n_grids} asked")
    return m


def grid_counts(
    loads: np.ndarray,
    counts: np.ndarray,
    spec: DivideSpec,
    names: list[Hashable],
    bcol: str,
) -> np.ndarray:
    """Grids per parent: proportional to load (largest remainder), or round(load / size).

    A parent without load gets one grid. With ``n_grids`` and no load at all,
    the grids cannot be shared out by load: :class:`InfeasibleError` rather
    than fewer grids than asked.
    """
    if spec.households_per_grid is not None:
        per_grid = float(spec.households_per_grid)
        m = np.maximum(1, np.floor(loads / per_grid + 0.5)).astype(np.int64)
    else:
        m = _shared_out(loads, int(spec.n_grids or 0), names, bcol)
    too_many = np.flatnonzero(m > counts)
    if len(too_many):
        raise explain_infeasible(
            "grids_exceed_units",
            parents=[names[i] for i in too_many],
            grids=[int(m[i]) for i in too_many],
            units=[int(counts[i]) for i in too_many],
        )
    return m


def _check_locked_prefix(
    uid: Hashable, code: str, gi: int, pcodes: list[str | None], names: list[Hashable]
) -> None:
    """A locked code of a nested plan reads as a grid of its unit's parent.

    It starts with ``<parent code>-``, and with no longer parent code: a unit
    of parent ``A`` cannot be locked to ``B-01`` (nor to ``A-B-01`` when
    ``A-B`` is a parent too), or its grid would share a code, or a parent,
    with grids of another parent.
    """
    mine = str(pcodes[gi])
    owners = [str(c) for c in pcodes if code.startswith(f"{c}-")]
    owner = max(owners, key=len, default=None)
    if owner == mine:
        return
    reads = f"reads as a grid of parent {owner!r}" if owner else "has no parent prefix"
    raise ConfigError(
        f"locked[{uid!r}]={code!r} {reads}, but unit {uid!r} is in parent {names[gi]!r}; "
        f"codes of nested grids are '<parent>-<number>', so lock it to a code starting "
        f"with {mine + '-'!r} (e.g. {mine + '-01'!r}) or unlock it."
    )


def _lock_items(locked: object, ids: pd.Index) -> list[tuple[Any, str]]:
    if not isinstance(locked, Mapping | pd.Series):
        raise ConfigError(
            f"locked must be a mapping unit id -> grid code (e.g. plan.assignment), "
            f"not {type(locked).__name__}."
        )
    items = list(locked.items())
    missing = [k for k, _ in items if k not in ids]
    if missing:
        raise ConfigError(
            f"locked names unit(s) that are not in the territory: {format_rows(missing)}."
        )
    for uid, code in items:
        if not isinstance(code, str) or not code:
            raise ConfigError(f"locked[{uid!r}]={code!r}: grid codes must be strings.")
    return items


def _codes_per_parent(
    items: list[tuple[Any, str]], unit_group: list[int], names: list[Hashable]
) -> dict[int, list[str]]:
    """The locked codes of every parent (sorted); a code may not straddle parents."""
    code_group: dict[str, int] = {}
    for (_, code), gi in zip(items, unit_group, strict=True):
        if code_group.setdefault(code, gi) != gi:
            raise ConfigError(
                f"locked grid {code!r} has units in parents {names[code_group[code]]!r} "
                f"and {names[gi]!r}; a grid cannot straddle parents."
            )
    per_group: dict[int, list[str]] = {}
    for code, gi in code_group.items():
        per_group.setdefault(gi, []).append(code)
    return {gi: sorted(codes) for gi, codes in per_group.items()}


def _resolve_locks(p: Prepared, locked: object, ids: pd.Index, within: str | None) -> None:
    """Locked units -> labels inside their parent's label range (fills ``p``)."""
    items = _lock_items(locked, ids)
    pos_of = pd.Series(np.arange(len(ids)), index=ids)
    positions = [int(pos_of[uid]) for uid, _ in items]
    unit_group = [int(p.group[u]) for u in positions]
    per_group = _codes_per_parent(items, unit_group, p.names)
    if within is not None:
        for (uid, code), gi in zip(items, unit_group, strict=True):
            _check_locked_prefix(uid, code, gi, p.pcodes, p.names)
    label_of: dict[str, int] = {}
    offsets = p.offsets
    for gi in sorted(per_group):
        codes = per_group[gi]
        if len(codes) > p.m[gi]:
            raise ConfigError(
                f"locked names {len(codes)} grids in parent {p.names[gi]!r} but it gets "
                f"{p.m[gi]} grid(s); lock fewer grids or ask for more."
            )
        for j, code in enumerate(codes):
            label_of[code] = int(offsets[gi] + j)
            p.fixed[int(offsets[gi] + j)] = code
    for u, (_, code) in zip(positions, items, strict=True):
        p.lock_arr[u] = label_of[code]
    p.n_locked = len(items)


def necessary_tolerance(
    weight: np.ndarray, group: np.ndarray, m: np.ndarray, ids: pd.Index, names: list[Hashable]
) -> tuple[float, list[Cause]]:
    """Smallest tolerance passing the necessary checks, and what forces it.

    A grid holding unit ``u`` weighs at least ``w[u]``, so ``tolerance >=
    w[u] / target - 1``; a parent with fewer positive units than grids has an
    empty grid, so ``tolerance >= 1``.
    """
    loads = np.bincount(group, weights=weight, minlength=len(m))
    targets = np.where(m > 0, loads / np.maximum(m, 1), 0.0)
    t_unit = targets[group]
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(t_unit > 0, weight / t_unit - 1.0, 0.0)
    need = np.where(m[group] > 1, need, 0.0)  # one grid per parent: it is the parent
    causes: list[Cause] = []
    heavy = np.flatnonzero(need > 0)
    for u in heavy[np.argsort(-need[heavy], kind="stable")].tolist():
        causes.append(
            {
                "reason": "unit heavier than a grid may be",
                "unit": plain(ids[u]),
                "parent": plain(names[group[u]]),
                "load": float(weight[u]),
                "target": float(t_unit[u]),
                "needs_tolerance": float(need[u]),
            }
        )
    positive = np.bincount(group, weights=(weight > 0).astype(float), minlength=len(m))
    for gi in np.flatnonzero((positive < m) & (loads > 0)).tolist():
        causes.append(
            {
                "reason": "fewer units with load than grids",
                "parent": plain(names[gi]),
                "grids": int(m[gi]),
                "units_with_load": int(positive[gi]),
                "needs_tolerance": 1.0,
            }
        )
    smallest = max([0.0, *(float(r["needs_tolerance"]) for r in causes)])
    return smallest, causes


def _edge_costs(cost_adj: Adjacency, adj: Adjacency) -> Adjacency:
    """Every neighbouring pair costs 1 (``objective="cut_edges"``), keeping road discounts."""
    ratio = np.ones(len(adj.length))
    if np.array_equal(cost_adj.indices, adj.indices):
        pos = adj.length > 0
        ratio[pos] = cost_adj.length[pos] / adj.length[pos]
    return Adjacency(adj.indptr, adj.indices, ratio)


def prepare(
    territory: Territory, spec: DivideSpec, locked: Mapping[Hashable, str] | None = None
) -> Prepared:
    """Check the territory against ``spec`` and build the problem to search.

    Raises :class:`~gridplan.errors.InfeasibleError` (with ``strict``) when
    the necessary checks already prove that no plan fits ``spec.tolerance``.
    """
    bcol, weight = _weights(territory, spec.balance)
    names, pcodes, group = _parents(territory, spec.within)
    arrays = _Arrays.from_territory(territory)
    ids = territory.units.index
    # boundaries on roads and barriers cost less in the search; metrics keep true lengths
    cost_adj, perimeter = road_costs(
        territory.graph, list(ids), arrays.adj, arrays.perimeter, spec.road_weight
    )
    if spec.objective == "cut_edges":
        cost_adj = _edge_costs(cost_adj, arrays.adj)
    work = _split_parents(cost_adj, group, names, spec.within)
    loads = np.bincount(group, weights=weight, minlength=len(names))
    counts = np.bincount(group, minlength=len(names))
    m = grid_counts(loads, counts, spec, names, bcol)
    p = Prepared(
        arrays, work, weight, bcol, group, names, pcodes, m, np.full(len(ids), -1, np.int64)
    )
    p.perimeter = perimeter
    if locked is not None:
        _resolve_locks(p, locked, ids, spec.within)
    p.smallest_tolerance, p.causes = necessary_tolerance(weight, group, m, ids, names)
    if p.causes and p.smallest_tolerance > spec.tolerance and spec.strict:
        raise explain_infeasible(
            "tolerance", tolerance=spec.tolerance, smallest=p.smallest_tolerance, causes=p.causes
        )
    return p
