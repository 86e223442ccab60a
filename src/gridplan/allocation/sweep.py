"""Budget sweep: coverage against yearly budget (the Pareto curve)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import geopandas as gpd
import pandas as pd

from gridplan._types import GridsLike
from gridplan.allocation._solver import Solver, check_solver_args
from gridplan.allocation.model import Constraint, NoSolutionError, _check_budget, _Problem
from gridplan.allocation.rules import Rules
from gridplan.errors import ConfigError, InfeasibleError
from gridplan.network import Network

__all__ = ["budget_sweep"]


def budget_sweep(
    grids: GridsLike,
    sites: gpd.GeoDataFrame | None = None,
    workers: gpd.GeoDataFrame | None = None,
    volunteers: gpd.GeoDataFrame | None = None,
    budgets: Iterable[float] = (),
    rules: Rules | None = None,
    solver: Solver = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    *,
    distances: Mapping[str, pd.DataFrame] | None = None,
    network: Network | None = None,
    constraints: Sequence[Constraint] = (),
) -> pd.DataFrame:
    """Solve :func:`~gridplan.allocation.allocate` for each budget; one row per budget.

    The model is built once and only the budget changes between solves.
    Columns: ``budget``, ``status`` ("optimal", "feasible", "infeasible" or "no
    solution" when ``time_limit`` ran out before any plan),
    ``objective``, ``best_bound``, ``gap``, ``total_cost``, the cost breakdown,
    ``households_served``, ``households_served_share``, ``grids_with_lead``,
    ``hours_delivered``, ``hours_met_share``, ``unmet_hours``, ``sites_open``,
    ``workers_hired``, ``volunteers_selected``, ``seconds``,
    ``objective_per_10k`` (objective gained per extra 10,000 since the next
    smaller solved budget) and, for infeasible budgets, ``smallest_budget``.
    ``objective`` never decreases with the budget (up to ``mip_gap``). Other
    solver failures (a crashed solver, a plan that fails our check) raise
    :class:`~gridplan.errors.SolverError`. ``distances`` and ``network`` (walking
    distances) as in :func:`~gridplan.allocation.allocate`.

    >>> from gridplan.allocation.model import _doctest_layers
    >>> grids, sites, workers = _doctest_layers()
    >>> df = budget_sweep(grids, sites, workers, budgets=[500, 1100, 2100])
    >>> df["status"].tolist(), df["total_cost"].tolist()[1:]
    (['infeasible', 'optimal', 'optimal'], [1100.0, 2100.0])
    >>> df["households_served"].tolist()[1:], float(df.loc[0, "smallest_budget"])
    ([0.0, 500.0], 1100.0)
    """
    check_solver_args(solver, time_limit, mip_gap)
    budgets = _checked_budgets(budgets)
    problem = _Problem(grids, sites, workers, volunteers, rules, distances, network, constraints)
    problem.warn()
    return _sweep_table([_sweep_row(problem, b, solver, time_limit, mip_gap) for b in budgets])


#: One row of the sweep table: a budget's status, figures and costs.
SweepRow = dict[str, float | int | str | None]

#: The headline figures of an allocation copied into each solved row, in this order.
_FIGURES = (
    "households_served",
    "households_served_share",
    "grids_with_lead",
    "hours_delivered",
    "hours_met_share",
    "unmet_hours",
    "sites_open",
    "workers_hired",
    "volunteers_selected",
)


def _checked_budgets(budgets: Iterable[float]) -> list[float]:
    """The budgets as a list, each checked (a non-negative number), before any build."""
    out = list(budgets)
    if not out:
        raise ConfigError("budget_sweep needs a non-empty list of budgets")
    for b in out:
        _check_budget(b)
    return out


def _sweep_row(
    problem: _Problem,
    b: float,
    solver: Solver,
    time_limit: float | None,
    mip_gap: float | None,
) -> SweepRow:
    """Solve one budget; an infeasible budget or a time-out without a plan is a row too."""
    try:
        a = problem.run(b, solver, time_limit, mip_gap)
    except InfeasibleError as exc:
        return {
            "budget": b,
            "status": "infeasible",
            "smallest_budget": exc.details.get("smallest_budget"),
        }
    except NoSolutionError:  # time limit hit before any plan: keep the other budgets
        return {"budget": b, "status": "no solution"}
    row: SweepRow = {
        "budget": b,
        "status": a.status,
        "objective": a.objective,
        "best_bound": a.best_bound,
        "gap": a.gap,
        "total_cost": a.cost["total"],
        **{f"cost_{k}": v for k, v in a.cost.items() if k != "total"},
    }
    f = a.figures()
    for k in _FIGURES:
        row[k] = f[k]
    row["seconds"] = a.seconds
    return row


def _sweep_table(rows: list[SweepRow]) -> pd.DataFrame:
    """The rows as a table with ``objective_per_10k``; ``smallest_budget`` last."""
    df = pd.DataFrame(rows)
    # what each extra 10,000 buys: objective gained per 10,000 since the next smaller
    # budget that has a plan (NaN for the first)
    ok = df["status"].isin(["optimal", "feasible"])
    if "objective" in df:
        solved = df[ok].sort_values("budget")
        gain = solved["objective"].diff() / solved["budget"].diff() * 10_000
        df["objective_per_10k"] = gain.reindex(df.index)
    order = [c for c in df.columns if c != "smallest_budget"]
    if "smallest_budget" in df:
        order.append("smallest_budget")
    return df[order]
