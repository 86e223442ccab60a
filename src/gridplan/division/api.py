"""``divide()``: balanced, contiguous, compact grids from a :class:`~gridplan.Territory`."""

from __future__ import annotations

import logging
import math
import numbers
import time
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridplan.division._roads import RoadWeight, check_road_weight, road_costs
from gridplan.division._solve import Problem, largest_remainder, solve
from gridplan.division.codes import assign_codes, parent_code
from gridplan.division.plan import GridPlan, _Arrays, check_summed_columns
from gridplan.errors import (
    ConfigError,
    DataValueError,
    InfeasibleError,
    IslandError,
    format_rows,
)

__all__ = ["divide"]

log = logging.getLogger("gridplan")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _as_real(value: Any) -> float | None:
    """``value`` as a float when it is a real number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def _check_params(
    n_grids: Any,
    households_per_grid: Any,
    tolerance: Any,
    area_weight: Any,
    compactness: Any,
    seed: Any,
    time_limit: Any,
) -> None:
    if (n_grids is None) == (households_per_grid is None):
        raise ConfigError(
            "give exactly one of n_grids (the number of grids) or households_per_grid "
            f"(the target size); got n_grids={n_grids!r}, "
            f"households_per_grid={households_per_grid!r}."
        )
    if n_grids is not None and not (_is_int(n_grids) and int(n_grids) >= 1):
        raise ConfigError(f"n_grids={n_grids!r}: give a whole number of grids, 1 or more.")
    if households_per_grid is not None:
        size = _as_real(households_per_grid)
        if size is None or not (math.isfinite(size) and size > 0):
            raise ConfigError(
                f"households_per_grid={households_per_grid!r}: give a positive number, e.g. 300."
            )
    for name, value in (
        ("tolerance", tolerance),
        ("area_weight", area_weight),
        ("compactness", compactness),
    ):
        real = _as_real(value)
        if real is None or math.isnan(real) or real < 0:
            raise ConfigError(f"{name}={value!r}: give a number 0 or more.")
    if not (_is_int(seed) and int(seed) >= 0):
        raise ConfigError(f"seed={seed!r}: give a non-negative whole number.")
    if time_limit is not None:
        limit = _as_real(time_limit)
        if limit is None or not limit > 0:
            raise ConfigError(f"time_limit={time_limit!r}: give seconds (> 0) or None.")


def _allocate(
    loads: np.ndarray,
    counts: np.ndarray,
    n_grids: int | None,
    per_grid: float | None,
    names: list[Hashable],
    balance_column: str,
) -> np.ndarray:
    """Grids per parent: proportional to load (largest remainder), or round(load / size).

    A parent without load gets one grid. With ``n_grids`` and no load at all,
    the grids cannot be shared out by load: :class:`InfeasibleError` rather
    than fewer grids than asked.
    """
    if per_grid is not None:
        m = np.maximum(1, np.floor(loads / per_grid + 0.5)).astype(np.int64)
    else:
        if n_grids is None:  # pragma: no cover - _check_params asks for one of the two
            raise ConfigError("give n_grids or households_per_grid.")
        if n_grids < len(loads):
            raise ConfigError(
                f"n_grids={n_grids} but there are {len(loads)} parents and every parent needs "
                f"a grid of its own; ask for at least {len(loads)} grids."
            )
        empty = loads <= 0
        if empty.all() and n_grids > len(loads):
            nested = names != [None]
            where = f"every unit of parent(s) {format_rows(names)}" if nested else "every unit"
            raise InfeasibleError(
                f"the balance column {balance_column!r} is 0 for {where}, so there is "
                f"nothing to share among n_grids={n_grids} grids (grids are balanced on "
                f"load, and a parent without load gets one grid). Balance on a column with "
                f"values (e.g. balance='population'), check the column, or ask for "
                f"n_grids={len(loads)}.",
                details={
                    "reason": "no load to balance",
                    "balance_column": balance_column,
                    "parents": [_plain(b) for b in names] if nested else [],
                    "grids": int(n_grids),
                    "smallest_tolerance": None,
                },
            )
        quotas = np.zeros(len(loads))
        rest = n_grids - int(empty.sum())
        if loads.sum() > 0:
            quotas[~empty] = rest * loads[~empty] / loads.sum()
        # Parents without load get exactly one grid; every other at least one.
        m = largest_remainder(quotas, n_grids, np.ones(len(loads), dtype=np.int64))
        m[empty] = 1
        surplus = int(m.sum()) - n_grids
        if surplus > 0:  # only possible when minimums crowd out; take from the largest
            for gi in np.argsort(-m, kind="stable")[:surplus]:
                m[gi] -= 1
        if int(m.sum()) != n_grids:  # pragma: no cover - guarded above
            raise RuntimeError(f"gridplan: {int(m.sum())} grids shared out, {n_grids} asked")
    too_many = np.flatnonzero(m > counts)
    if len(too_many):
        bad = [names[i] for i in too_many]
        raise InfeasibleError(
            f"{len(bad)} parent(s) would get more grids than they have units: "
            f"{format_rows(bad)}; ask for fewer grids.",
            details={
                "reason": "more grids than units",
                "parents": [_plain(b) for b in bad],
                "grids": [int(m[i]) for i in too_many],
                "units": [int(counts[i]) for i in too_many],
                "smallest_tolerance": None,
            },
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


def _name_locked_pieces(
    plan: GridPlan, broken: list[dict[str, Any]], is_locked: np.ndarray, work: Any
) -> None:
    """Add ``locked_units`` (one list per piece) to grids whose locked units lie apart."""
    labels = plan._labels
    _, comp = work.components(labels)
    code_index = {str(c): i for i, c in enumerate(plan._codes)}
    ids = plan.assignment.index
    for v in broken:
        g = code_index[v["grid"]]
        mine = np.flatnonzero((labels == g) & is_locked)
        pieces: dict[int, list[Any]] = {}
        for u in mine.tolist():
            pieces.setdefault(int(comp[u]), []).append(_plain(ids[u]))
        if len(pieces) > 1:
            v["locked_units"] = list(pieces.values())


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _necessary_tolerance(
    weight: np.ndarray, group: np.ndarray, m: np.ndarray, ids: pd.Index, names: list[Hashable]
) -> tuple[float, list[dict[str, Any]]]:
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
    reasons: list[dict[str, Any]] = []
    heavy = np.flatnonzero(need > 0)
    for u in heavy[np.argsort(-need[heavy], kind="stable")].tolist():
        reasons.append(
            {
                "reason": "unit heavier than a grid may be",
                "unit": _plain(ids[u]),
                "parent": _plain(names[group[u]]),
                "load": float(weight[u]),
                "target": float(t_unit[u]),
                "needs_tolerance": float(need[u]),
            }
        )
    positive = np.bincount(group, weights=(weight > 0).astype(float), minlength=len(m))
    for gi in np.flatnonzero((positive < m) & (loads > 0)).tolist():
        reasons.append(
            {
                "reason": "fewer units with load than grids",
                "parent": _plain(names[gi]),
                "grids": int(m[gi]),
                "units_with_load": int(positive[gi]),
                "needs_tolerance": 1.0,
            }
        )
    smallest = max([0.0, *(r["needs_tolerance"] for r in reasons)])
    return smallest, reasons


def divide(
    territory: Any,
    n_grids: int | None = None,
    households_per_grid: float | None = None,
    tolerance: float = 0.05,
    balance: str = "households",
    area_weight: float = 0.0,
    compactness: float = 1.0,
    within: str | None = None,
    locked: Mapping[Hashable, str] | pd.Series | None = None,
    seed: int = 0,
    time_limit: float | None = None,
    strict: bool = True,
    road_weight: RoadWeight = 2.0,
) -> GridPlan:
    """Divide a territory into contiguous, compact grids balanced within ``tolerance``.

    Parameters
    ----------
    territory
        A :class:`gridplan.Territory`.
    n_grids, households_per_grid
        Exactly one: the number of grids, or a target size (the count is then
        ``round(load / households_per_grid)``, at least 1, per parent).
    tolerance
        Allowed relative deviation of every grid's load from its target.
        The target of a grid is its parent's load divided by the parent's
        number of grids (the whole territory without ``within``).
    balance
        What to balance: ``"households"``, ``"population"`` or a numeric column.
    area_weight
        Weight of area evenness (secondary; 0 = ignore area).
    compactness
        Weight of short boundaries (shape quality) in the local search.
    within
        Parent column (e.g. ``"community"``): grids never straddle parents;
        each parent gets grids in proportion to its load (largest remainder,
        at least one each) and codes ``<parent>-01``, ``<parent>-02``...
        The parent's code is its value as text, whole floats without ``.0``
        (``410727001001.0`` gives ``410727001001-01``); values that read the
        same (``1`` and ``"1"``) raise :class:`~gridplan.errors.DataValueError`.
    locked
        Mapping unit id -> grid code: those units stay in those grids and
        the grids keep their codes (pass ``plan.assignment`` to re-plan).
        When nesting, a locked code starts with its units' parent code and
        a dash (``<parent>-...``). The units locked to one code should be
        connected (or joinable within tolerance): otherwise the grid cannot
        be contiguous, and the error names the grid and its units.
    seed
        Seed of every random choice; same input and seed give the same plan.
    time_limit
        Seconds for the search. ``None`` (default): a fixed amount of work
        that depends only on the input size (10,000 units take a few
        seconds, 50,000 about half a minute), so a seed gives the same plan
        everywhere. With a limit, the search stops at it and the plan may
        depend on the machine's speed.
    strict
        When no plan within tolerance exists (or none is found), raise
        :class:`~gridplan.errors.InfeasibleError` (default) or, with
        ``False``, return the best plan and list the violations in
        ``plan.metrics["violations"]``.
    road_weight
        How much grids prefer to end on roads and barriers: a shared boundary
        marked ``road``/``barrier`` in the territory's graph (see
        :func:`gridplan.units.mark_roads`) costs ``1 / (1 + road_weight)`` of
        its length in the shape score. A number, or a mapping class -> number
        (``{"major_road": 8, "path": 0, "default": 2}``); 0 turns it off.
        Without marked edges it changes nothing.

    With ``n_grids`` more than the parents (one grid without nesting) and a
    ``balance`` column that is 0 everywhere, there is no load to share the
    grids by: :class:`~gridplan.errors.InfeasibleError` (also with
    ``strict=False``), never fewer grids than asked. A single parent without
    load among loaded ones gets one grid. Demand or balance columns named
    like a column of ``plan.grids`` (``n_units``, ``target``...) raise
    :class:`~gridplan.errors.ColumnError`: rename them.

    Grid codes are ``G01``, ``G02``... (``G001``... with more than 99
    grids), or ``<parent>-01``... when nested, numbered in reading order
    (rows north to south, west to east within a row); locked grids keep
    their codes and the others take the free numbers.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from gridplan import Territory
    >>> from gridplan.division import divide
    >>> cells = [shapely.box(x, y, x + 100, y + 100) for y in range(0, 600, 100)
    ...          for x in range(0, 600, 100)]
    >>> gdf = gpd.GeoDataFrame({"pop": [10] * 36, "hh": [4] * 36}, geometry=cells,
    ...                        crs="EPSG:32650")
    >>> plan = divide(Territory(gdf, population="pop", households="hh"), n_grids=4)
    >>> sorted(plan.assignment.value_counts().tolist()), plan.metrics["contiguous"]
    ([9, 9, 9, 9], True)
    """
    start = time.perf_counter()
    if not (hasattr(territory, "units") and hasattr(territory, "graph")):
        raise ConfigError(
            f"territory must be a gridplan.Territory, not {type(territory).__name__}; "
            "build one with Territory(gdf, population=..., households=...)."
        )
    _check_params(
        n_grids, households_per_grid, tolerance, area_weight, compactness, seed, time_limit
    )
    check_road_weight(road_weight)
    if not isinstance(strict, bool):
        raise ConfigError(f"strict={strict!r}: give True or False.")
    if not isinstance(balance, str):
        raise ConfigError(f"balance={balance!r}: give 'households', 'population' or a column.")
    units = territory.units
    bcol = territory.column(balance)
    check_summed_columns(territory, bcol)
    weight = units[bcol].to_numpy(dtype=float)
    if not np.all(np.isfinite(weight)) or (weight < 0).any():
        bad = units.index[~np.isfinite(weight) | (weight < 0)]
        raise DataValueError(
            f"balance column {bcol!r} has missing or negative values for {format_rows(bad)}; "
            "fix them before dividing.",
            rows=list(bad),
        )
    if within is not None:
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
                f"{' and '.join(repr(_plain(v)) for v in vs)} "
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
        group = units[within].map(code_of).to_numpy(dtype=np.int64)
    else:
        names = [None]
        pcodes = [None]
        group = np.zeros(len(units), dtype=np.int64)

    arrays = _Arrays.from_territory(territory)
    ids = units.index
    cost_adj, cost_perimeter = road_costs(
        territory.graph, list(ids), arrays.adj, arrays.perimeter, road_weight
    )
    pos_of = pd.Series(np.arange(len(ids)), index=ids)

    # Working graph: no edge across parents; every parent must be one piece.
    src = np.repeat(np.arange(cost_adj.n), np.diff(cost_adj.indptr))
    work = cost_adj.subset(group[src] == group[cost_adj.indices])
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

    loads = np.bincount(group, weights=weight, minlength=len(names))
    counts = np.bincount(group, minlength=len(names))
    m = _allocate(loads, counts, n_grids, households_per_grid, names, bcol)
    offsets = np.concatenate(([0], np.cumsum(m)[:-1]))

    # Locked units: codes -> labels inside their parent's label range.
    lock_arr = np.full(len(ids), -1, dtype=np.int64)
    fixed: dict[int, str] = {}
    n_locked = 0
    if locked is not None:
        if not isinstance(locked, Mapping | pd.Series):
            raise ConfigError(
                f"locked must be a mapping unit id -> grid code (e.g. plan.assignment), "
                f"not {type(locked).__name__}."
            )
        items = list(locked.items())
        missing = [k for k, _ in items if k not in pos_of.index]
        if missing:
            raise ConfigError(
                f"locked names unit(s) that are not in the territory: {format_rows(missing)}."
            )
        per_group: dict[int, dict[str, int]] = {}
        code_group: dict[str, int] = {}
        for uid, code in items:
            if not isinstance(code, str) or not code:
                raise ConfigError(f"locked[{uid!r}]={code!r}: grid codes must be strings.")
            u = int(pos_of[uid])
            gi = int(group[u])
            if code_group.setdefault(code, gi) != gi:
                raise ConfigError(
                    f"locked grid {code!r} has units in parents {names[code_group[code]]!r} "
                    f"and {names[gi]!r}; a grid cannot straddle parents."
                )
            codes_g = per_group.setdefault(gi, {})
            if code not in codes_g:
                codes_g[code] = -1
            lock_arr[u] = -2 - gi  # placeholder, resolved below
        if within is not None:
            for uid, code in items:
                _check_locked_prefix(uid, code, int(group[int(pos_of[uid])]), pcodes, names)
        for gi, codes_g in per_group.items():
            if len(codes_g) > m[gi]:
                raise ConfigError(
                    f"locked names {len(codes_g)} grids in parent {names[gi]!r} but it gets "
                    f"{m[gi]} grid(s); lock fewer grids or ask for more."
                )
            for j, code in enumerate(sorted(codes_g)):
                codes_g[code] = int(offsets[gi] + j)
                fixed[int(offsets[gi] + j)] = code
        for uid, code in items:
            u = int(pos_of[uid])
            lock_arr[u] = per_group[int(group[u])][code]
        n_locked = len(items)

    smallest, reasons = _necessary_tolerance(weight, group, m, ids, names)
    if reasons and smallest > tolerance and strict:
        units_named = [r["unit"] for r in reasons if "unit" in r]
        parents_named = sorted({str(r["parent"]) for r in reasons if "parent" in r})
        raise InfeasibleError(
            f"no plan can keep every grid within tolerance={tolerance:g}: "
            + (
                f"unit(s) {format_rows(units_named)} weigh more than a grid may; "
                if units_named
                else ""
            )
            + (
                f"parent(s) {format_rows(parents_named)} cannot be split evenly; "
                if parents_named
                else ""
            )
            + f"the smallest tolerance that could work is {smallest:.4f}. "
            "Raise tolerance, ask for fewer grids, or pass strict=False for the best plan.",
            details={"smallest_tolerance": smallest, "tolerance": tolerance, "causes": reasons},
        )

    remaining = (
        None if time_limit is None else max(1e-3, time_limit - (time.perf_counter() - start))
    )
    problem = Problem(
        adj=work,
        weight=weight,
        area=arrays.area,
        x=arrays.x,
        y=arrays.y,
        group=group,
        m=[int(v) for v in m],
        locked=lock_arr if fixed else None,
        perimeter=cost_perimeter,
        tolerance=float(tolerance),
        compactness=float(compactness),
        area_weight=float(area_weight),
        seed=int(seed),
        time_limit=remaining,
    )
    res = solve(problem)
    k = int(m.sum())
    ar = np.bincount(res.labels, weights=arrays.area, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        cx = np.bincount(res.labels, weights=arrays.x * arrays.area, minlength=k) / ar
        cy = np.bincount(res.labels, weights=arrays.y * arrays.area, minlength=k) / ar
    cx, cy = np.nan_to_num(cx), np.nan_to_num(cy)
    codes = assign_codes(res.grid_group, cx, cy, ar, pcodes, fixed)
    if len(set(codes)) != k:  # pragma: no cover - assign_codes and the lock checks prevent it
        dup = sorted({c for c in codes if codes.count(c) > 1})
        raise RuntimeError(f"gridplan: grid codes {dup} were given to several grids")
    assignment = pd.Series(
        np.asarray(codes, dtype=object)[res.labels], index=ids.copy(), name="grid"
    )
    params = {
        "n_grids": None if n_grids is None else int(n_grids),
        "households_per_grid": None if households_per_grid is None else float(households_per_grid),
        "tolerance": float(tolerance),
        "balance": balance,
        "balance_column": bcol,
        "area_weight": float(area_weight),
        "compactness": float(compactness),
        "within": within,
        "n_locked": n_locked,
        "seed": int(seed),
        "time_limit": None if time_limit is None else float(time_limit),
        "strict": strict,
        "road_weight": (
            dict(road_weight) if isinstance(road_weight, Mapping) else float(road_weight)
        ),
    }
    plan = GridPlan(
        territory, assignment, params, seconds=time.perf_counter() - start, _arrays=arrays
    )
    if reasons and smallest > tolerance:
        plan.metrics["violations"] = reasons + plan.metrics["violations"]
    broken = [v for v in plan.metrics["violations"] if v["reason"] == "not contiguous"]
    if broken and fixed:
        _name_locked_pieces(plan, broken, lock_arr >= 0, work)
    if strict and broken:
        by_locks = [v for v in broken if "locked_units" in v]
        causes = "; ".join(
            f"grid {v['grid']!r}: its locked units "
            + " | ".join(format_rows(piece) for piece in v["locked_units"])
            + " could not be joined into one piece"
            for v in by_locks
        )
        raise InfeasibleError(
            f"no plan with contiguous grids was found: {len(broken)} grid(s) "
            f"{format_rows([v['grid'] for v in broken])} are in several pieces"
            + (
                f" ({causes}). Lock a connected set of units for each grid, or unlock "
                "some of them; pass strict=False to see this plan."
                if by_locks
                else ". Raise tolerance, give more time_limit, or pass strict=False for this plan."
            ),
            details={
                "smallest_tolerance": max(smallest, 0.0),
                "tolerance": tolerance,
                "not_contiguous": broken,
                "violations": plan.metrics["violations"],
            },
        )
    if strict and plan.metrics["n_outside_tolerance"]:
        raise InfeasibleError(
            f"no plan within tolerance={tolerance:g} was found: the best plan has "
            f"{plan.metrics['n_outside_tolerance']} grid(s) outside it (largest deviation "
            f"{plan.metrics['max_abs_deviation']:.4f}); a tolerance of "
            f"{plan.metrics['max_abs_deviation']:.4f} is known to work. Raise tolerance, "
            "give more time_limit, or pass strict=False for this plan.",
            details={
                "smallest_tolerance": max(smallest, 0.0),
                "achieved_tolerance": plan.metrics["max_abs_deviation"],
                "tolerance": tolerance,
                "violations": plan.metrics["violations"],
            },
        )
    log.info(
        "gridplan: divided %d units into %d grids in %.2f s", len(ids), k, plan.metrics["seconds"]
    )
    return plan
