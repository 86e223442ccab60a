"""``divide()``: balanced, contiguous, compact grids from a :class:`~gridplan.Territory`.

A short pipeline: :class:`~gridplan.division.spec.DivideSpec` (validated
parameters) -> :func:`~gridplan.division.prepare.prepare` (parents, quotas,
locks, feasibility pre-check) -> :func:`search` -> :func:`build_plan`
(codes, :class:`GridPlan`) -> :func:`check_plan` (strict: explain why not).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridplan.division._roads import RoadWeight
from gridplan.division._solve import Problem, Result, solve
from gridplan.division.codes import assign_codes
from gridplan.division.criteria import SearchContext
from gridplan.division.exact import EXACT_MAX_UNITS, solve_exact
from gridplan.division.explain import explain_infeasible, locked_pieces
from gridplan.division.plan import GridPlan
from gridplan.division.prepare import Prepared, prepare
from gridplan.division.spec import DivideSpec, parameter_docs
from gridplan.errors import ConfigError, DataValueError

if TYPE_CHECKING:
    from gridplan.division.criteria import Criterion
    from gridplan.territory import Territory

__all__ = ["build_plan", "check_plan", "divide", "search"]

log = logging.getLogger("gridplan")

_D = DivideSpec  # the defaults below are DivideSpec's

#: Seconds the exact model may take on a small territory the search could not divide
#: (without ``time_limit``; with one, that limit).
EXACT_SECONDS = 30.0


def search(territory: Territory, p: Prepared, spec: DivideSpec, start: float) -> Result:
    """Run the heuristic search on a prepared problem (``start``: perf_counter at entry)."""
    remaining = (
        None
        if spec.time_limit is None
        else max(1e-3, spec.time_limit - (time.perf_counter() - start))
    )
    problem = Problem(
        adj=p.work,
        weight=p.weight,
        area=p.arrays.area,
        x=p.arrays.x,
        y=p.arrays.y,
        group=p.group,
        m=[int(v) for v in p.m],
        locked=p.lock_arr if p.fixed else None,
        perimeter=None if spec.objective == "cut_edges" else p.perimeter,  # cut count
        tolerance=float(spec.tolerance),
        compactness=float(spec.compactness),
        area_weight=float(spec.area_weight),
        seed=int(spec.seed),
        time_limit=remaining,
        criteria=spec.criteria,
        context=_context(territory, p) if spec.criteria else None,
    )
    return solve(problem)


class _Columns(Mapping[str, np.ndarray]):
    """Numeric unit columns by name, read when asked (position order)."""

    def __init__(self, units: pd.DataFrame) -> None:
        self.units = units
        self.names = [c for c in units.columns if c != units.geometry.name]

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.names:
            raise KeyError(name)
        try:
            return self.units[name].to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataValueError(
                f"criterion column {name!r} is not numeric ({exc}); give a numeric column."
            ) from exc

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def _context(territory: Territory, p: Prepared) -> SearchContext:
    nb, ln = p.work.neighbour_lists()
    return SearchContext(
        nb,
        ln,
        _Columns(territory.units),
        p.group,
        np.repeat(np.arange(len(p.m)), p.m),
        p.arrays.area,
        p.perimeter,
    )


def _criteria_costs(
    territory: Territory, p: Prepared, spec: DivideSpec, labels: np.ndarray
) -> dict[str, float]:
    """Each extra criterion's cost on the final plan (``plan.metrics["criteria"]``)."""
    ctx = _context(territory, p)
    out: dict[str, float] = {}
    for c in spec.criteria:
        bound = c.bind(ctx)
        bound.reset(labels.tolist())
        out[c.name] = float(bound.cost())
    return out


def exact_rescue(
    territory: Territory, p: Prepared, spec: DivideSpec, plan: GridPlan, labels: np.ndarray
) -> tuple[GridPlan, str]:
    """The search's plan, or the exact model's when the search found no valid plan.

    On a small territory (up to :data:`~gridplan.division.exact.EXACT_MAX_UNITS`
    units, no locked units) whose search ended invalid, and with
    ``spec.exact`` (by default: with ``spec.strict``), the exact model
    decides: a plan (returned instead), or a proof that none exists
    (:class:`InfeasibleError` "proven impossible" with ``strict``, naming the
    best plan found). ``labels``: the search's grid labels, the model's
    starting plan. Also returns a note for the error when neither a plan
    nor a proof came within the limit.
    """
    m = plan.metrics
    if m["contiguous"] and m["n_outside_tolerance"] == 0:
        return plan, ""
    n = len(labels)
    wanted = spec.strict if spec.exact is None else spec.exact
    if not wanted or n > EXACT_MAX_UNITS or p.fixed:
        return plan, ""
    limit = EXACT_SECONDS if spec.time_limit is None else max(1.0, float(spec.time_limit))
    ex = solve_exact(
        p.work,
        p.weight,
        p.group,
        [int(v) for v in p.m],
        float(spec.tolerance),
        edge_weight="count" if spec.objective == "cut_edges" else "length",
        time_limit=limit,
        start=labels,
    )
    if ex.status == "infeasible" and spec.strict:
        raise explain_infeasible(
            "exact",
            grids=int(p.m.sum()),
            units=n,
            tolerance=spec.tolerance,
            smallest=max(p.smallest_tolerance, 0.0),
            achieved=m["max_abs_deviation"],
            violations=m["violations"],
        )
    if ex.labels is not None:
        return build_plan(territory, p, spec, ex.labels, m["seconds"] + ex.seconds), ""
    note = (
        f"The exact model found neither a plan nor a proof within {limit:g} s: give a "
        "longer time_limit, try other seeds, or widen the tolerance."
    )
    return plan, note


def build_plan(
    territory: Territory, p: Prepared, spec: DivideSpec, labels: np.ndarray, seconds: float
) -> GridPlan:
    """Codes in reading order (locked grids keep theirs), assignment and plan."""
    a = p.arrays
    k = int(p.m.sum())
    grid_group = np.repeat(np.arange(len(p.m)), p.m)
    ar = np.bincount(labels, weights=a.area, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        cx = np.bincount(labels, weights=a.x * a.area, minlength=k) / ar
        cy = np.bincount(labels, weights=a.y * a.area, minlength=k) / ar
    cx, cy = np.nan_to_num(cx), np.nan_to_num(cy)
    codes = assign_codes(grid_group, cx, cy, ar, p.pcodes, p.fixed)
    if len(set(codes)) != k:  # pragma: no cover - assign_codes and the lock checks prevent it
        dup = sorted({c for c in codes if codes.count(c) > 1})
        raise RuntimeError(f"gridplan: grid codes {dup} were given to several grids")
    ids = territory.units.index
    assignment = pd.Series(np.asarray(codes, dtype=object)[labels], index=ids.copy(), name="grid")
    params = spec.params(p.balance_column, p.n_locked)
    plan = GridPlan(territory, assignment, params, seconds=seconds, _arrays=a)
    if p.causes and p.smallest_tolerance > spec.tolerance:
        plan.metrics["violations"] = p.causes + plan.metrics["violations"]
    if spec.criteria:
        plan.metrics["criteria"] = _criteria_costs(territory, p, spec, labels)
    return plan


def check_plan(plan: GridPlan, p: Prepared, spec: DivideSpec, note: str = "") -> None:
    """Name the locked units behind broken grids; with ``strict``, raise when invalid."""
    violations = plan.metrics["violations"]
    broken = [v for v in violations if v["reason"] == "not contiguous"]
    if broken and p.fixed:
        _, comp = p.work.components(plan._labels)
        ids = plan.assignment.index
        locked_pieces(broken, plan._labels, comp, list(plan._codes), p.lock_arr >= 0, ids)
    if not spec.strict:
        return
    smallest = max(p.smallest_tolerance, 0.0)
    if broken:
        raise explain_infeasible(
            "not_contiguous",
            broken=broken,
            exact_note=note,
            tolerance=spec.tolerance,
            smallest=smallest,
            violations=violations,
        )
    if plan.metrics["n_outside_tolerance"]:
        raise explain_infeasible(
            "outside_tolerance",
            exact_note=note,
            tolerance=spec.tolerance,
            smallest=smallest,
            achieved=plan.metrics["max_abs_deviation"],
            n_outside=plan.metrics["n_outside_tolerance"],
            violations=violations,
        )


def divide(
    territory: Territory,
    n_grids: int | None = None,
    households_per_grid: float | None = None,
    tolerance: float = _D.tolerance,
    balance: str = _D.balance,
    area_weight: float = _D.area_weight,
    compactness: float = _D.compactness,
    within: str | None = None,
    locked: Mapping[Hashable, str] | pd.Series | None = None,
    seed: int = _D.seed,
    time_limit: float | None = None,
    strict: bool = _D.strict,
    criteria: Sequence[Criterion] = (),
    exact: bool | None = None,
    road_weight: RoadWeight = _D.road_weight,
    objective: str = _D.objective,
) -> GridPlan:
    """Divide a territory into contiguous, compact grids balanced within ``tolerance``.

    Parameters
    ----------
    territory
        A :class:`gridplan.Territory`.
    locked
        Mapping unit id -> grid code: those units stay in those grids and
        the grids keep their codes (pass ``plan.assignment`` to re-plan).
        When nesting, a locked code starts with its units' parent code and
        a dash (``<parent>-...``). The units locked to one code should be
        connected (or joinable within tolerance): otherwise the grid cannot
        be contiguous, and the error names the grid and its units.

    Every other parameter is a field of :class:`~gridplan.division.spec.DivideSpec`,
    documented once there and listed after ``locked`` in ``help(divide)``.

    Grid codes are ``G01``, ``G02``... (``G001``... with more than 99 grids), or
    ``<parent>-01``... when nested, numbered in reading order (rows north to south,
    west to east within a row); locked grids keep theirs, the others take free numbers.

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
    _check_territory(territory)
    spec = DivideSpec(
        n_grids=n_grids,
        households_per_grid=households_per_grid,
        tolerance=tolerance,
        balance=balance,
        area_weight=area_weight,
        compactness=compactness,
        within=within,
        seed=seed,
        time_limit=time_limit,
        strict=strict,
        exact=exact,
        criteria=criteria,
        road_weight=road_weight,
        objective=objective,
    )
    prepared = prepare(territory, spec, locked)
    result = search(territory, prepared, spec, start)
    plan = build_plan(territory, prepared, spec, result.labels, time.perf_counter() - start)
    plan, note = exact_rescue(territory, prepared, spec, plan, result.labels)
    check_plan(plan, prepared, spec, note)
    _log_divided(plan)
    return plan


def _log_divided(plan: GridPlan) -> None:
    m = plan.metrics
    n = len(plan.assignment)
    log.info("gridplan: divided %d units into %d grids in %.2f s", n, m["n_grids"], m["seconds"])


def _check_territory(territory: object) -> None:
    from gridplan.territory import Territory

    if not isinstance(territory, Territory):
        raise ConfigError(
            f"territory must be a gridplan.Territory, not {type(territory).__name__}; "
            "build one with Territory(gdf, population=..., households=...)."
        )


def _with_spec_parameters(doc: str | None) -> str | None:
    """``doc`` with :class:`DivideSpec`'s parameter entries after its own (one source)."""
    entries = parameter_docs()
    if doc is None or not entries:  # docstrings stripped (python -OO)
        return doc
    text = inspect.cleandoc(doc)
    end = text.index("\n\n", text.index("Parameters\n----------\n"))
    return text[:end] + "\n" + entries + text[end:]


divide.__doc__ = _with_spec_parameters(divide.__doc__)
