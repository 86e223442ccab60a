"""Budgeted allocation of service points, grid workers and volunteers (one MILP).

The planning question: *with this yearly budget, which service points do we
open, which paid grid worker (网格员) leads which grid, and which volunteers serve
which grid, so that the most people, weighted by need, are served?*

Decisions and rules (the full list of weights is in :class:`~gridplan.allocation.rules.Rules`):

* sites: ``open`` (existing sites stay open); an open site serves households of
  grids whose representative point is within its ``radius_m``, up to its
  ``capacity`` households (a grid may be served in part, or by two sites);
* workers: ``hired``; each grid gets at most (by default exactly) one lead worker
  living within the worker's ``max_travel_m``; a worker leads at most one grid
  (or ``max_grids`` when the one-grid rule is relaxed) and ``max_households``;
* volunteers: ``selected``; hours per month by skill go to grids within
  ``max_travel_m``, never more than the volunteer's ``hours_per_month`` nor more
  than a grid's need for that skill;
* budget: yearly cost of open sites (running cost, plus opening cost of new ones
  spread over ``Rules.open_cost_years``), hired workers and selected volunteers
  is at most ``budget``.

>>> import geopandas as gpd
>>> from shapely.geometry import Point, box
>>> grids = gpd.GeoDataFrame(
...     {"households": [300, 200], "elderly_alone": [10, 0]},
...     geometry=[box(0, 0, 500, 500), box(500, 0, 1000, 500)],
...     index=["G1", "G2"], crs=3857)
>>> sites = gpd.GeoDataFrame(
...     {"site_id": ["S1"], "open_cost": [0], "annual_cost": [1000], "capacity": [1000],
...      "radius_m": [800], "existing": [False]}, geometry=[Point(500, 250)], crs=3857)
>>> workers = gpd.GeoDataFrame(
...     {"worker_id": ["W1", "W2"], "annual_cost": [500, 600], "max_travel_m": [2000, 2000]},
...     geometry=[Point(0, 0), Point(1000, 0)], crs=3857)
>>> a = allocate(grids, sites, workers, budget=2100)
>>> a.status, a.cost["total"], sorted(a.worker_assignment["worker_id"])
('optimal', 2100.0, ['W1', 'W2'])
>>> a.coverage["households_served"].tolist()
[300.0, 200.0]
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from gridplan._types import GridsLike
from gridplan.allocation import _inputs as inp
from gridplan.allocation._inputs import check_number
from gridplan.allocation._solver import (
    Model,
    Solver,
    SolveResult,
    check_solver_args,
    solve,
    solver_name,
)
from gridplan.allocation.blocks import (
    VOLUNTEER_ASSIGNMENT,
    WORKER_ASSIGNMENT,
    Context,
    ModelView,
    SitesBlock,
    SitesPart,
    VolunteersBlock,
    VolunteersPart,
    WorkersBlock,
    WorkersPart,
    empty_table,
)
from gridplan.allocation.result import Allocation
from gridplan.allocation.rules import Rules
from gridplan.errors import (
    ConfigError,
    GridplanWarning,
    InfeasibleError,
    NoSolutionError,  # lives in gridplan.errors; re-exported from here
    SolverError,
)
from gridplan.network import Network

__all__ = ["NoSolutionError", "allocate", "minimum_budget"]


#: A constraint of the planner's own: a function that adds rows to the built model.
Constraint = Callable[[ModelView], None]


class _Problem:
    """Validated inputs plus the MILP, composed of blocks; ``run(budget)`` solves one budget."""

    def __init__(
        self,
        grids: GridsLike,
        sites: gpd.GeoDataFrame | None,
        workers: gpd.GeoDataFrame | None,
        volunteers: gpd.GeoDataFrame | None,
        rules: Rules | None,
        distances: Mapping[str, pd.DataFrame] | None,
        network: Network | None = None,
        constraints: Sequence[Constraint] = (),
    ) -> None:
        t0 = time.perf_counter()
        network = inp.check_network(network)
        if rules is None:
            rules = Rules()
        if not isinstance(rules, Rules):
            raise ConfigError(f"rules must be a gridplan.allocation.Rules, got {type(rules)}")
        g, layers = inp.check_crs(
            inp.grid_frame(grids), {"sites": sites, "workers": workers, "volunteers": volunteers}
        )
        distances = dict(distances or {})
        unknown = set(distances) - {"sites", "workers", "volunteers"}
        if unknown:
            raise ConfigError(f"distances keys must be sites/workers/volunteers, got {unknown}")
        self.rules, self.grids = rules, g
        self.distance = inp.distance_kind(distances, network)
        ctx = self.ctx = Context(g, rules, distances, network)
        self.sites = None if layers["sites"] is None else SitesBlock(ctx, layers["sites"])
        self.workers = None if layers["workers"] is None else WorkersBlock(ctx, layers["workers"])
        self.volunteers = (
            None if layers["volunteers"] is None else VolunteersBlock(ctx, layers["volunteers"])
        )
        if self.sites is None and self.workers is None and self.volunteers is None:
            raise ConfigError("give at least one of sites, workers or volunteers to allocate")
        self.constraints = _checked_constraints(constraints)
        view = ModelView(ctx, self.sites, self.workers, self.volunteers)
        for constraint in self.constraints:
            constraint(view)
        bc = np.concatenate(ctx.budget_cols)
        self.budget_row = int(ctx.model.add_rows(
            1, np.zeros(len(bc), dtype=np.int64), bc, np.concatenate(ctx.budget_vals)
        )[0])  # fmt: skip
        self.model, self.warnings, self.hh = ctx.model, ctx.warnings, ctx.hh
        self.lead_required = self.workers is not None and self.workers.lead_required
        self.build_seconds = time.perf_counter() - t0
        self._min_budget: dict[str, Any] | None = None

    def warn(self) -> None:
        """Emit :attr:`warnings` as :class:`~gridplan.errors.GridplanWarning` (once per problem)."""
        for message in self.warnings:
            warnings.warn(message, GridplanWarning, stacklevel=3)

    # ------------------------------------------------------------------ mandatory rules
    def minimum_budget(self) -> dict[str, Any]:
        """Cheapest plan meeting the mandatory rules (existing sites, lead workers)."""
        if self._min_budget is not None:
            return self._min_budget
        s = self.sites
        existing = float(s.year[s.existing].sum()) if s is not None else 0.0
        workers_cost = 0.0
        status = "optimal"
        if self.workers is not None and self.lead_required:
            m = Model()
            cost = self.workers.cols["annual_cost"]
            h = m.add_vars(len(self.workers.table), 0, 1, cost=cost, integer=True)
            x = m.add_vars(len(self.workers.x.owner), 0, 1, integer=True)
            self.workers.rows(self.ctx, m, x, h, lead=True, strong=False)
            sol = solve(m, "highs", None, 1e-9)
            if sol.status == "infeasible":
                relax = (
                    "relax Rules(one_grid_one_worker=False), "
                    if self.rules.one_grid_one_worker
                    else ""
                )
                raise InfeasibleError(
                    "rule 'one lead worker per grid' cannot be met at any budget: the workers "
                    "within travel limits cannot cover every grid under the max_grids / "
                    f"max_households limits; add workers, {relax}"
                    "or set Rules(require_lead_worker=False)",
                    details={"rule": "lead_worker_capacity", "smallest_budget": None},
                )
            assert sol.x is not None
            workers_cost = float(cost @ np.round(sol.x[h]))
            status = sol.status
        self._min_budget = {
            "smallest_budget": existing + workers_cost,
            "existing_sites_cost": existing,
            "lead_workers_cost": workers_cost,
            "status": status,
        }
        return self._min_budget

    def _raise_budget(self, budget: float) -> None:
        mb = self.minimum_budget()
        rules = []
        if mb["existing_sites_cost"] > budget:
            existing = _money(mb["existing_sites_cost"])
            rules.append(f"existing sites' running cost alone ({existing}) exceeds it")
        if self.lead_required and mb["lead_workers_cost"] > 0:
            rules.append(
                f"one lead worker per grid within travel limits costs at least "
                f"{_money(mb['lead_workers_cost'])}"
            )
        what = "; ".join(rules) or "the mandatory rules cannot be met"
        raise InfeasibleError(
            f"budget {_money(budget)} is too small: {what}. The smallest budget that meets the "
            f"mandatory rules (existing sites stay open, one lead worker per grid) is "
            f"{_money(mb['smallest_budget'])}.",
            details={
                "rule": "budget",
                "budget": budget,
                "smallest_budget": mb["smallest_budget"],
                "existing_sites_cost": mb["existing_sites_cost"],
                "lead_workers_cost": mb["lead_workers_cost"],
                "reasons": rules,
            },
        )

    def _raise_constraints(self, budget: float | None) -> None:
        """Infeasible with constraints of the planner's own: say so, with what is known."""
        if not self.constraints:
            return
        names = [getattr(c, "__name__", repr(c)) for c in self.constraints]
        mb = self.minimum_budget()["smallest_budget"]
        within = "" if budget is None else f" within budget {_money(budget)}"
        raise InfeasibleError(
            f"no plan meets your constraints ({', '.join(names)}) together with the mandatory "
            f"rules{within}. Without your constraints the mandatory rules need "
            f"{_money(mb)}; loosen or drop a constraint, or raise the budget.",
            details={"rule": "constraints", "constraints": names, "budget": budget,
                     "smallest_budget": None, "smallest_budget_without_constraints": mb},
        )  # fmt: skip

    # ------------------------------------------------------------------ solve
    def run(
        self,
        budget: float | None,
        solver: Solver,
        time_limit: float | None,
        mip_gap: float | None,
    ) -> Allocation:
        self.model.set_row_bounds(self.budget_row, hi=np.inf if budget is None else float(budget))
        sol = solve(self.model, solver, time_limit, mip_gap)
        if sol.status == "infeasible":
            self._raise_constraints(budget)
            if budget is not None:
                self._raise_budget(float(budget))
            raise InfeasibleError(  # pragma: no cover - structural cases are caught earlier
                "the mandatory rules cannot be met", details={"rule": "unknown"}
            )
        if not sol.has_solution:
            if "rejected" in sol.info or time_limit is None:
                # the solver finished (or said optimal) yet gave no usable plan: more time
                # would not help, so say what went wrong instead
                raise SolverError(
                    f"{solver_name(solver)} returned no usable plan ({sol.detail}). This is a "
                    "numerical problem, not a matter of time: try another solver "
                    "(solver='highs' or 'cbc') and please report it"
                )
            raise NoSolutionError(
                f"{solver_name(solver)} found no feasible plan within time_limit={time_limit} s "
                f"({sol.detail}); give it more time"
            )
        assert sol.x is not None
        allocation = self._result(sol, budget)
        allocation._model = self.model.snapshot()
        return allocation

    def _parts(self, x: np.ndarray) -> _Parts:
        """Each block's share of the solved point ``x``."""
        ctx = self.ctx
        return _Parts(
            None if self.sites is None else self.sites.result(ctx, x, self.rules.open_cost_years),
            None if self.workers is None else self.workers.result(ctx, x),
            None if self.volunteers is None else self.volunteers.result(ctx, x),
        )

    def _result(self, sol: SolveResult, budget: float | None) -> Allocation:
        assert sol.x is not None
        parts = self._parts(sol.x)
        sp, wp, vp = parts
        coverage = self._coverage(parts)
        g = self.grids
        return Allocation(
            status=sol.status,
            objective=None if sol.objective is None else -sol.objective,
            best_bound=None if sol.best_bound is None else -sol.best_bound,
            gap=sol.gap,
            seconds=sol.seconds,
            solver=sol.solver,
            budget=None if budget is None else float(budget),
            cost=_costs(parts, budget),
            sites=None if sp is None else sp.table,
            workers=None if wp is None else wp.table,
            volunteers=None if vp is None else vp.table,
            worker_assignment=empty_table(WORKER_ASSIGNMENT) if wp is None else wp.assignment,
            volunteer_assignment=(
                empty_table(VOLUNTEER_ASSIGNMENT) if vp is None else vp.assignment
            ),
            coverage=coverage,
            grids=gpd.GeoDataFrame(
                coverage.copy(), geometry=g.geometry.values, crs=g.crs, index=g.index
            ),
            rules=self.rules,
            build_seconds=self.build_seconds,
            warnings=self.warnings,
            distance=self.distance,
        )

    def _coverage(self, parts: _Parts) -> pd.DataFrame:
        """Per grid: households served, its site and lead worker, hours needed and delivered."""
        sp, wp, vp = parts
        n_g = len(self.grids)
        served = np.zeros(n_g) if sp is None else sp.served
        delivered = np.zeros(n_g) if vp is None else vp.delivered
        hh = self.hh
        need_total = self.ctx.need.to_numpy().sum(axis=1)
        return pd.DataFrame(
            {
                "households": hh,
                "households_served": np.round(served, 6),
                "site_id": np.full(n_g, None, dtype=object) if sp is None else sp.site_of,
                "lead_worker": np.full(n_g, None, dtype=object) if wp is None else wp.lead,
                "need_hours": need_total,
                "hours_delivered": np.round(delivered, 6),
                "unmet_hours": np.round(np.maximum(need_total - delivered, 0.0), 6),
                "coverage": np.where(hh > 0, np.round(served, 6) / np.where(hh > 0, hh, 1), 1.0),
            },
            index=self.grids.index,
        )


class _Parts(NamedTuple):
    """Each block's share of a solved plan (None for a layer left out)."""

    sites: SitesPart | None
    workers: WorkersPart | None
    volunteers: VolunteersPart | None


def _costs(parts: _Parts, budget: float | None) -> dict[str, float]:
    """The plan's yearly cost by kind and in total, checked against the budget."""
    cost = {"sites_open_cost": 0.0, "sites_annual_cost": 0.0, "workers": 0.0, "volunteers": 0.0}
    if parts.sites is not None:
        cost.update(parts.sites.cost)
    cost["workers"] = 0.0 if parts.workers is None else parts.workers.cost
    cost["volunteers"] = 0.0 if parts.volunteers is None else parts.volunteers.cost
    cost["total"] = float(sum(cost.values()))
    if budget is not None and cost["total"] > budget * (1 + 1e-9) + 1e-6:
        raise SolverError(  # pragma: no cover - a solver tolerance problem, never seen
            f"the solver's plan costs {cost['total']} > budget {budget} after rounding"
        )
    return cost


def _money(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def _checked_constraints(constraints: Sequence[Constraint]) -> list[Constraint]:
    if callable(constraints):
        constraints = [constraints]
    out = list(constraints or ())
    bad = [c for c in out if not callable(c)]
    if bad:
        raise ConfigError(
            f"constraints must be functions of a ModelView (see gridplan.allocation.constraints), "
            f"got {bad[0]!r}"
        )
    return out


def _check_budget(budget: Any) -> None:
    check_number("budget", budget, minimum=0, meaning="yuan per year")


def allocate(
    grids: GridsLike,
    sites: gpd.GeoDataFrame | None = None,
    workers: gpd.GeoDataFrame | None = None,
    volunteers: gpd.GeoDataFrame | None = None,
    budget: float | None = None,
    rules: Rules | None = None,
    solver: Solver = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    *,
    distances: Mapping[str, pd.DataFrame] | None = None,
    network: Network | None = None,
    constraints: Sequence[Constraint] = (),
) -> Allocation:
    """Choose sites, workers and volunteers within ``budget`` to maximise need-weighted coverage.

    Parameters
    ----------
    grids
        GeoDataFrame of grid polygons indexed by grid code (or with a ``grid`` column)
        with ``households`` and optionally ``population``, ``age60plus``,
        ``elderly_alone``, ``disabled``, ``children``; a ``GridPlan`` (anything with a
        ``.grids`` GeoDataFrame) works too. Any CRS: grids in degrees (EPSG:4326, such
        as ``grids.geojson``) are projected to their UTM zone (logged) and results are
        in that CRS. Without ``households``, ``population`` stands in for it (logged);
        site ``capacity`` and ``max_households`` then count people.
    sites, workers, volunteers
        Point layers (any CRS; reprojected to the grids') with an id column (``site_id``
        / ``worker_id`` / ``volunteer_id``) or an index so named. Sites: ``open_cost``,
        ``annual_cost``, ``capacity`` (households), ``radius_m``, ``existing`` (default
        False; true/false, yes/no or 1/0). Workers: ``annual_cost``, ``max_travel_m``,
        ``max_grids`` (default 1), ``max_households`` (default unlimited). Volunteers:
        ``hours_per_month``, ``skills`` ("a;b", each a skill of ``Rules.needs`` or of
        the default needs; others are an error), ``max_travel_m``, ``annual_cost``
        (default 0). Leave a layer out (or give it empty, logged) to plan without it.
    budget, rules
        Yearly budget in the cost columns' unit (None: unlimited);
        :class:`~gridplan.allocation.rules.Rules` (needs, worker rules, weights).
    solver, time_limit, mip_gap
        ``"highs"``, ``"cbc"`` or any PuLP solver object (``pulp.GUROBI_CMD()``, ...);
        seconds; relative gap to stop at (default 1e-4). The status is ``"optimal"``
        only when the plan is proven within 1e-4; a solve stopped by ``time_limit`` or
        a looser ``mip_gap`` is ``"feasible"``, and so is a plan from a PuLP solver
        object (PuLP does not pass on its bound). :meth:`Allocation.write_model` writes
        the model solved (MPS or LP).
    distances, network
        Metre distances replacing straight lines: a dict with keys ``"sites"``,
        ``"workers"``, ``"volunteers"``, each a DataFrame indexed by grid code with one
        column per id (``inf`` = unreachable, NaN is an error); it wins over ``network``:
        a :class:`gridplan.network.Network` (:func:`gridplan.network.walking_network`):
        distances are walked along streets from each grid's representative point to each
        site, worker and volunteer, all snapped to their nearest street; unreachable
        pairs are never paired. ``Allocation.distance`` records ``"walking"``,
        ``"straight"`` or ``"matrix"``.
    constraints
        Rules of your own, each a function of a
        :class:`~gridplan.allocation.blocks.ModelView` adding rows to the model; ready-made
        ones in :mod:`gridplan.allocation.constraints` (every community keeps an open
        service point, a worker never leads a grid, ...). When no plan meets them,
        :class:`InfeasibleError` says so (``details["rule"] == "constraints"``).

    Raises :class:`InfeasibleError` when the mandatory rules cannot be met
    (``details["smallest_budget"]``: the cheapest budget that meets them, None if none
    can); DataValueError, ColumnError, CRSError or IdError for bad inputs, named by row,
    before any solve; SolverError when the solver fails (NoSolutionError: no plan within
    ``time_limit``).

    >>> grids, sites, workers = _doctest_layers()
    >>> allocate(grids, sites, workers, budget=1100).cost["total"]
    1100.0
    """
    check_solver_args(solver, time_limit, mip_gap)
    _check_budget(budget)
    problem = _Problem(grids, sites, workers, volunteers, rules, distances, network, constraints)
    problem.warn()
    return problem.run(budget, solver, time_limit, mip_gap)


def minimum_budget(
    grids: GridsLike,
    sites: gpd.GeoDataFrame | None = None,
    workers: gpd.GeoDataFrame | None = None,
    volunteers: gpd.GeoDataFrame | None = None,
    rules: Rules | None = None,
    *,
    distances: Mapping[str, pd.DataFrame] | None = None,
    network: Network | None = None,
) -> dict[str, Any]:
    """The smallest yearly budget meeting the mandatory rules, solved exactly.

    Returns ``{"smallest_budget", "existing_sites_cost", "lead_workers_cost", "status"}``:
    existing sites' running cost plus the cheapest set of workers giving every
    grid one lead worker within travel limits (when the rule is on). ``distances``
    and ``network`` as in :func:`allocate`.
    """
    problem = _Problem(grids, sites, workers, volunteers, rules, distances, network)
    return dict(problem.minimum_budget())


def _doctest_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The two-grid example of the module docstring (for doctests)."""
    from shapely.geometry import Point, box

    grids = gpd.GeoDataFrame(
        {"households": [300, 200], "elderly_alone": [10, 0]},
        geometry=[box(0, 0, 500, 500), box(500, 0, 1000, 500)],
        index=["G1", "G2"],
        crs=3857,
    )
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["S1"],
            "open_cost": [0],
            "annual_cost": [1000],
            "capacity": [1000],
            "radius_m": [800],
            "existing": [False],
        },
        geometry=[Point(500, 250)],
        crs=3857,
    )
    workers = gpd.GeoDataFrame(
        {"worker_id": ["W1", "W2"], "annual_cost": [500, 600], "max_travel_m": [2000, 2000]},
        geometry=[Point(0, 0), Point(1000, 0)],
        crs=3857,
    )
    return grids, sites, workers
