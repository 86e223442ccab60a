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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridplan.allocation import _inputs as inp
from gridplan.allocation._inputs import check_number
from gridplan.allocation._solver import Model, check_solver_args, solve
from gridplan.allocation.result import Allocation
from gridplan.allocation.rules import DEFAULT_NEEDS, Rules
from gridplan.errors import (  # NoSolutionError: re-exported from its old place
    ConfigError,
    InfeasibleError,
    NoSolutionError,
    SolverError,
    format_rows,
)

__all__ = ["NoSolutionError", "allocate", "minimum_budget"]

_EPS = 1e-6


@dataclass
class _Pairs:
    """Index arrays of a pair variable block: owner (site/worker/volunteer), grid, column."""

    owner: np.ndarray
    grid: np.ndarray
    dist: np.ndarray
    col: np.ndarray
    skill: np.ndarray | None = None


class _Problem:
    """Validated inputs plus the MILP; ``run(budget)`` solves for one budget."""

    def __init__(
        self,
        grids: Any,
        sites: gpd.GeoDataFrame | None,
        workers: gpd.GeoDataFrame | None,
        volunteers: gpd.GeoDataFrame | None,
        rules: Rules | None,
        distances: Mapping[str, pd.DataFrame] | None,
    ) -> None:
        t0 = time.perf_counter()
        if rules is None:
            rules = Rules()
        if not isinstance(rules, Rules):
            raise ConfigError(f"rules must be a gridplan.allocation.Rules, got {type(rules)}")
        self.rules = rules
        g, layers = inp.check_crs(
            inp.grid_frame(grids), {"sites": sites, "workers": workers, "volunteers": volunteers}
        )
        distances = dict(distances or {})
        unknown = set(distances) - {"sites", "workers", "volunteers"}
        if unknown:
            raise ConfigError(f"distances keys must be sites/workers/volunteers, got {unknown}")
        self.grids = g
        self.hh = inp.checked_values(g["households"], "grids.households")
        # demand columns the rules read, standard or custom, are checked once here
        used = {r.column for r in rules.needs.values()} | set(rules.vulnerable_weights)
        for col in sorted(used & set(g.columns)):
            inp.checked_values(g[col], f"grids.{col}")
        self.value = rules.need_value(g)
        self.need = rules.need_hours(g)
        xy = inp.point_coords(g.geometry)
        self.skills = list(rules.needs)
        m = Model()
        self.model = m
        budget_cols: list[np.ndarray] = []
        budget_vals: list[np.ndarray] = []
        n_g = len(g)
        gi = np.arange(n_g)

        # ---- sites ------------------------------------------------------------------
        self.sites = None
        if layers["sites"] is not None:
            s = inp.with_ids(layers["sites"], "site_id", "sites")
            cols = inp.numeric_columns(s, inp.SITE_COLUMNS, "sites")
            existing = (
                inp.flag_values(s["existing"], "sites.existing")
                if "existing" in s
                else np.zeros(len(s), dtype=bool)
            )
            year = cols["annual_cost"] + np.where(
                existing, 0.0, cols["open_cost"] / rules.open_cost_years
            )
            self.sites, self.site_cols, self.site_existing, self.site_year = s, cols, existing, year
            self.y = m.add_vars(len(s), 0, 1, cost=rules.cost_weight * year, integer=True)
            m.fix(self.y[existing], 1.0)
            sp, sg, sd = inp.pair_distances(
                xy, s, cols["radius_m"], distances.get("sites"), g.index, "sites"
            )
            keep = self.hh[sg] > 0
            sp, sg, sd = sp[keep], sg[keep], sd[keep]
            a = m.add_vars(len(sp), 0, 1, cost=-rules.weight_site * self.value[sg])
            self.a = _Pairs(sp, sg, sd, a)
            k = len(sp)
            if k:
                # each grid is served at most once in total
                m.add_rows(n_g, sg, a, 1.0, hi=1.0)
                # a_sg <= y_s (strong linking keeps the LP bound tight)
                _link_rows(m, a, self.y[sp])
                cap = cols["capacity"]
                _capacity_rows(m, np.isfinite(cap), sp, a, self.y, self.hh[sg], cap)
            budget_cols.append(self.y)
            budget_vals.append(year)

        # ---- workers ----------------------------------------------------------------
        self.workers = None
        self.lead_required = False
        if layers["workers"] is not None:
            w = inp.with_ids(layers["workers"], "worker_id", "workers")
            cols = inp.numeric_columns(w, inp.WORKER_COLUMNS, "workers")
            if rules.one_grid_one_worker:
                max_grids = np.ones(len(w))
            else:
                max_grids = (
                    np.floor(cols["max_grids"])
                    if "max_grids" in w
                    else np.full(len(w), float(rules.default_max_grids))
                )
            self.workers, self.worker_cols, self.max_grids = w, cols, max_grids
            self.h = m.add_vars(
                len(w), 0, 1, cost=rules.cost_weight * cols["annual_cost"], integer=True
            )
            wp, wg, wd = inp.pair_distances(
                xy, w, cols["max_travel_m"], distances.get("workers"), g.index, "workers"
            )
            keep = self.hh[wg] <= cols["max_households"][wp]
            wp, wg, wd = wp[keep], wg[keep], wd[keep]
            x = m.add_vars(
                len(wp),
                0,
                1,
                cost=-rules.weight_lead * self.value[wg] + rules.travel_worker * wd / 1000.0,
                integer=True,
            )
            self.x = _Pairs(wp, wg, wd, x)
            self.lead_required = rules.require_lead_worker
            if self.lead_required:
                orphans = np.setdiff1d(gi, wg)
                if len(orphans):
                    codes = list(g.index[orphans])
                    raise InfeasibleError(
                        f"rule 'one lead worker per grid' cannot be met: grids {format_rows(codes)}"
                        " have no candidate worker within max_travel_m (and max_households); "
                        "add workers near them or set Rules(require_lead_worker=False)",
                        details={
                            "rule": "lead_worker_reach",
                            "grids": codes,
                            "smallest_budget": None,
                        },
                    )
            self._worker_rows(m, x, self.h, lead=self.lead_required, strong=True)
            budget_cols.append(self.h)
            budget_vals.append(cols["annual_cost"])

        # ---- volunteers -------------------------------------------------------------
        self.volunteers = None
        if layers["volunteers"] is not None:
            v = inp.with_ids(layers["volunteers"], "volunteer_id", "volunteers")
            cols = inp.numeric_columns(v, inp.VOLUNTEER_COLUMNS, "volunteers")
            if "skills" not in v.columns:
                raise inp.ColumnError(
                    "volunteers need a 'skills' column (e.g. 'elderly_care;health')"
                )
            known = list(dict.fromkeys([*DEFAULT_NEEDS, *self.skills]))
            skills = inp.parse_skills(v["skills"], known, self.skills)
            self.volunteers, self.vol_cols = v, cols
            self.z = m.add_vars(
                len(v), 0, 1, cost=rules.cost_weight * cols["annual_cost"], integer=True
            )
            vp, vg, vd = inp.pair_distances(
                xy, v, cols["max_travel_m"], distances.get("volunteers"), g.index, "volunteers"
            )
            need = self.need.to_numpy()
            has = np.zeros((len(v), len(self.skills)), dtype=bool)
            for i, sk in enumerate(skills):
                for name in sk:
                    has[i, self.skills.index(name)] = True
            # expand each (volunteer, grid) pair over skills the volunteer has and the grid needs
            ok = has[vp] & (need[vg] > 0)
            pi, ki = np.nonzero(ok)
            up, ug, ud, uk = vp[pi], vg[pi], vd[pi], ki
            sw = np.array([rules.skill_weights.get(sk, 1.0) for sk in self.skills])
            hours = cols["hours_per_month"]
            u = m.add_vars(
                len(up),
                0,
                np.minimum(hours[up], need[ug, uk]),
                cost=-rules.weight_hours * sw[uk] + rules.travel_volunteer * ud / 1000.0,
            )
            self.u = _Pairs(up, ug, ud, u, uk)
            nv = len(v)
            m.add_rows(
                nv,
                np.r_[up, np.arange(nv)],
                np.r_[u, self.z],
                np.r_[np.ones(len(up)), -hours],
                hi=0.0,
            )
            cell = ug * len(self.skills) + uk
            cells, inv = np.unique(cell, return_inverse=True)
            if len(cells):
                m.add_rows(len(cells), inv, u, 1.0, hi=need.ravel()[cells])
            budget_cols.append(self.z)
            budget_vals.append(cols["annual_cost"])

        if self.sites is None and self.workers is None and self.volunteers is None:
            raise ConfigError("give at least one of sites, workers or volunteers to allocate")
        bc = np.concatenate(budget_cols)
        self.budget_row = int(
            m.add_rows(1, np.zeros(len(bc), dtype=np.int64), bc, np.concatenate(budget_vals))[0]
        )
        self.build_seconds = time.perf_counter() - t0
        self._min_budget: dict[str, Any] | None = None

    def _worker_rows(
        self, m: Model, x: np.ndarray, h: np.ndarray, lead: bool, strong: bool
    ) -> None:
        """Worker rules on pair columns ``x`` (of ``self.x``) and hire columns ``h``.

        At most one lead per grid (exactly one when ``lead``); a worker leads at most
        ``max_grids`` grids and, when leading several, ``max_households``. ``strong``
        adds ``x_wg <= h_w`` for multi-grid workers (a tighter LP bound).
        """
        wp, wg = self.x.owner, self.x.grid
        m.add_rows(len(self.grids), wg, x, 1.0, lo=1.0 if lead else 0.0, hi=1.0)
        assert self.workers is not None  # only called when workers were given
        everyone = np.ones(len(self.workers), dtype=np.bool_)
        _capacity_rows(m, everyone, wp, x, h, np.ones(len(wp)), self.max_grids)
        multi = self.max_grids[wp] > 1
        if strong and multi.any():
            _link_rows(m, x[multi], h[wp[multi]])
        mh = self.worker_cols["max_households"]
        lim = (self.max_grids > 1) & np.isfinite(mh)
        _capacity_rows(m, lim, wp, x, h, self.hh[wg], mh)

    # ------------------------------------------------------------------ mandatory rules
    def minimum_budget(self) -> dict[str, Any]:
        """Cheapest plan meeting the mandatory rules (existing sites, lead workers)."""
        if self._min_budget is not None:
            return self._min_budget
        existing = (
            float(self.site_year[self.site_existing].sum()) if self.sites is not None else 0.0
        )
        workers_cost = 0.0
        status = "optimal"
        if self.workers is not None and self.lead_required:
            m = Model()
            cost = self.worker_cols["annual_cost"]
            h = m.add_vars(len(self.workers), 0, 1, cost=cost, integer=True)
            x = m.add_vars(len(self.x.owner), 0, 1, integer=True)
            self._worker_rows(m, x, h, lead=True, strong=False)
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

    # ------------------------------------------------------------------ solve
    def run(
        self,
        budget: float | None,
        solver: str,
        time_limit: float | None,
        mip_gap: float | None,
    ) -> Allocation:
        self.model.set_row_bounds(self.budget_row, hi=np.inf if budget is None else float(budget))
        sol = solve(self.model, solver, time_limit, mip_gap)
        if sol.status == "infeasible":
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
                    f"{solver} returned no usable plan ({sol.detail}). This is a numerical "
                    "problem, not a matter of time: try the other solver (solver='highs' or "
                    "'cbc') and please report it"
                )
            raise NoSolutionError(
                f"{solver} found no feasible plan within time_limit={time_limit} s "
                f"({sol.detail}); give it more time"
            )
        assert sol.x is not None
        return self._result(sol, budget)

    def _result(self, sol: Any, budget: float | None) -> Allocation:
        x = sol.x
        g = self.grids
        n_g = len(g)
        rules = self.rules
        cost = {"sites_open_cost": 0.0, "sites_annual_cost": 0.0, "workers": 0.0, "volunteers": 0.0}
        served = np.zeros(n_g)
        site_of = np.full(n_g, None, dtype=object)
        sites_out = None
        if self.sites is not None:
            s = self.sites
            open_ = x[self.y] > 0.5
            av = np.clip(x[self.a.col], 0, 1) * open_[self.a.owner]
            av[av < _EPS] = 0.0
            hh_pairs = self.hh[self.a.grid] * av
            served = np.minimum(np.bincount(self.a.grid, hh_pairs, n_g), self.hh)
            best = pd.DataFrame({"g": self.a.grid, "s": self.a.owner, "v": av})
            best = best[best.v > 0].sort_values(["g", "v", "s"], ascending=[True, False, True])
            best = best.drop_duplicates("g")
            site_of[best.g.to_numpy()] = s.index.to_numpy()[best.s.to_numpy()]
            by_site = np.bincount(self.a.owner, hh_pairs, len(s))
            open_cost = np.where(
                open_ & ~self.site_existing,
                self.site_cols["open_cost"] / rules.open_cost_years,
                0.0,
            )
            annual = np.where(open_, self.site_cols["annual_cost"], 0.0)
            cost["sites_open_cost"] = float(open_cost.sum())
            cost["sites_annual_cost"] = float(annual.sum())
            sites_out = s.copy()
            sites_out["open"] = open_
            sites_out["existing"] = self.site_existing
            sites_out["radius_m"] = self.site_cols["radius_m"]
            sites_out["capacity"] = self.site_cols["capacity"]
            sites_out["households_served"] = np.round(by_site, 6)
            sites_out["cost"] = open_cost + annual
        lead = np.full(n_g, None, dtype=object)
        workers_out = None
        wa = pd.DataFrame(
            {
                "worker_id": pd.Series(dtype=object),
                "grid": pd.Series(dtype=object),
                "distance_m": pd.Series(dtype=float),
            }
        )
        if self.workers is not None:
            w = self.workers
            hired = x[self.h] > 0.5
            on = (x[self.x.col] > 0.5) & hired[self.x.owner]
            op, og, od = self.x.owner[on], self.x.grid[on], self.x.dist[on]
            lead[og] = w.index.to_numpy()[op]
            wa = pd.DataFrame(
                {
                    "worker_id": w.index.to_numpy()[op].astype(object),
                    "grid": g.index.to_numpy()[og].astype(object),
                    "distance_m": od.astype(float),
                }
            )
            wa = wa.sort_values(["worker_id", "grid"], ignore_index=True)
            cost["workers"] = float(self.worker_cols["annual_cost"][hired].sum())
            workers_out = w.copy()
            workers_out["hired"] = hired
            joined = wa.groupby("worker_id")["grid"].agg(",".join)
            workers_out["grids"] = [joined.get(i, "") for i in w.index]
            workers_out["cost"] = np.where(hired, self.worker_cols["annual_cost"], 0.0)
        delivered = np.zeros(n_g)
        volunteers_out = None
        va = pd.DataFrame(
            {
                "volunteer_id": pd.Series(dtype=object),
                "grid": pd.Series(dtype=object),
                "skill": pd.Series(dtype=object),
                "hours_per_month": pd.Series(dtype=float),
                "distance_m": pd.Series(dtype=float),
            }
        )
        need_total = self.need.to_numpy().sum(axis=1)
        if self.volunteers is not None:
            v = self.volunteers
            sel = x[self.z] > 0.5
            hours = np.round(np.clip(x[self.u.col], 0, None), 6) * sel[self.u.owner]
            on = hours > _EPS
            assert self.u.skill is not None
            va = pd.DataFrame(
                {
                    "volunteer_id": v.index.to_numpy()[self.u.owner[on]].astype(object),
                    "grid": g.index.to_numpy()[self.u.grid[on]].astype(object),
                    "skill": np.array(self.skills, dtype=object)[self.u.skill[on]],
                    "hours_per_month": hours[on],
                    "distance_m": self.u.dist[on].astype(float),
                }
            ).sort_values(["volunteer_id", "grid", "skill"], ignore_index=True)
            delivered = np.bincount(self.u.grid[on], hours[on], n_g).astype(float)
            cost["volunteers"] = float(self.vol_cols["annual_cost"][sel].sum())
            volunteers_out = v.copy()
            volunteers_out["selected"] = sel
            volunteers_out["hours_assigned"] = np.bincount(self.u.owner[on], hours[on], len(v))
            volunteers_out["cost"] = np.where(sel, self.vol_cols["annual_cost"], 0.0)
        cost["total"] = float(sum(cost.values()))
        if budget is not None and cost["total"] > budget * (1 + 1e-9) + 1e-6:
            raise SolverError(  # pragma: no cover - a solver tolerance problem, never seen
                f"the solver's plan costs {cost['total']} > budget {budget} after rounding"
            )
        hh = self.hh
        coverage = pd.DataFrame(
            {
                "households": hh,
                "households_served": np.round(served, 6),
                "site_id": site_of,
                "lead_worker": lead,
                "need_hours": need_total,
                "hours_delivered": np.round(delivered, 6),
                "unmet_hours": np.round(np.maximum(need_total - delivered, 0.0), 6),
                "coverage": np.where(hh > 0, np.round(served, 6) / np.where(hh > 0, hh, 1), 1.0),
            },
            index=g.index,
        )
        grids_out = gpd.GeoDataFrame(
            coverage.copy(), geometry=g.geometry.values, crs=g.crs, index=g.index
        )
        return Allocation(
            status=sol.status,
            objective=-sol.objective,
            best_bound=None if sol.best_bound is None else -sol.best_bound,
            gap=sol.gap,
            seconds=sol.seconds,
            solver=sol.solver,
            budget=None if budget is None else float(budget),
            cost=cost,
            sites=sites_out,
            workers=workers_out,
            volunteers=volunteers_out,
            worker_assignment=wa,
            volunteer_assignment=va,
            coverage=coverage,
            grids=grids_out,
            rules=rules,
            build_seconds=self.build_seconds,
        )


def _money(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def _link_rows(m: Model, pair_cols: np.ndarray, owner_cols: np.ndarray) -> None:
    """One row per pair: ``pair <= owner`` (a pair variable only with its owner chosen)."""
    k = len(pair_cols)
    m.add_rows(
        k,
        np.r_[np.arange(k), np.arange(k)],
        np.r_[pair_cols, owner_cols],
        np.r_[np.ones(k), -np.ones(k)],
        hi=0.0,
    )


def _capacity_rows(
    m: Model,
    mask: np.ndarray,
    owner: np.ndarray,
    pair_cols: np.ndarray,
    owner_cols: np.ndarray,
    weight: np.ndarray,
    cap: np.ndarray,
) -> None:
    """For each owner ``o`` in ``mask``: ``sum(weight * pair over o's pairs) <= cap[o] * y_o``.

    ``owner`` is the owner of each pair column; ``owner_cols`` one column per owner.
    """
    n = int(mask.sum())
    if n == 0:
        return
    sel = mask[owner]
    row = np.full(len(mask), -1)
    row[mask] = np.arange(n)
    m.add_rows(
        n,
        np.r_[row[owner[sel]], np.arange(n)],
        np.r_[pair_cols[sel], owner_cols[mask]],
        np.r_[weight[sel], -cap[mask]],
        hi=0.0,
    )


def _check_budget(budget: Any) -> None:
    check_number("budget", budget, minimum=0, meaning="yuan per year")


def allocate(
    grids: Any,
    sites: gpd.GeoDataFrame | None = None,
    workers: gpd.GeoDataFrame | None = None,
    volunteers: gpd.GeoDataFrame | None = None,
    budget: float | None = None,
    rules: Rules | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    *,
    distances: Mapping[str, pd.DataFrame] | None = None,
) -> Allocation:
    """Choose sites, workers and volunteers within ``budget`` to maximise need-weighted coverage.

    Parameters
    ----------
    grids
        GeoDataFrame of grid polygons indexed by grid code (or with a ``grid``
        column) with ``households`` and optionally ``population``, ``age60plus``,
        ``elderly_alone``, ``disabled``, ``children``. A ``GridPlan`` (anything
        with a ``.grids`` GeoDataFrame) works too. Any CRS: grids in degrees (such
        as ``grids.geojson``, EPSG:4326) are projected to their UTM zone (logged)
        and the results are in that CRS. Without ``households``, ``population``
        stands in for it (logged); site ``capacity`` and ``max_households`` then
        count people.
    sites, workers, volunteers
        Point layers (any CRS; reprojected to the grids' CRS) with an id column
        (``site_id`` / ``worker_id`` / ``volunteer_id``) or an index so named. Columns:
        sites ``open_cost``, ``annual_cost``, ``capacity`` (households), ``radius_m``,
        ``existing`` (optional, default False; true/false, yes/no or 1/0);
        workers ``annual_cost``, ``max_travel_m``, ``max_grids`` (default 1),
        ``max_households`` (default unlimited); volunteers ``hours_per_month``,
        ``skills`` ("a;b", each a skill of ``Rules.needs`` or of the default needs;
        others are an error), ``max_travel_m``, ``annual_cost`` (default 0). Leave a
        layer out to plan without it; an empty layer counts as left out (logged).
    budget
        Yearly budget in the cost columns' unit; None means unlimited.
    rules
        :class:`~gridplan.allocation.rules.Rules` (needs, worker rules, weights).
    solver, time_limit, mip_gap
        ``"highs"`` or ``"cbc"``; seconds; relative gap to stop at (default 1e-4).
        The status is ``"optimal"`` only when the plan is proven within 1e-4; a
        solve stopped by ``time_limit`` or a looser ``mip_gap`` is ``"feasible"``.
    distances
        Optional metre distances replacing straight lines: a dict with keys
        ``"sites"``, ``"workers"``, ``"volunteers"``, each a DataFrame indexed by
        grid code with one column per id (``inf`` = unreachable, NaN is an error).

    Raises
    ------
    InfeasibleError
        When the mandatory rules cannot be met; ``details["smallest_budget"]`` is
        the computed cheapest budget that meets them (None if no budget can).
    DataValueError, ColumnError, CRSError, IdError
        Bad inputs, named by row, before any solve.
    SolverError
        No plan found within ``time_limit``, or the solver failed.
    """
    check_solver_args(solver, time_limit, mip_gap)
    _check_budget(budget)
    problem = _Problem(grids, sites, workers, volunteers, rules, distances)
    return problem.run(budget, solver, time_limit, mip_gap)


def minimum_budget(
    grids: Any,
    sites: gpd.GeoDataFrame | None = None,
    workers: gpd.GeoDataFrame | None = None,
    volunteers: gpd.GeoDataFrame | None = None,
    rules: Rules | None = None,
    *,
    distances: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, Any]:
    """The smallest yearly budget meeting the mandatory rules, solved exactly.

    Returns ``{"smallest_budget", "existing_sites_cost", "lead_workers_cost", "status"}``:
    existing sites' running cost plus the cheapest set of workers giving every
    grid one lead worker within travel limits (when the rule is on).
    """
    problem = _Problem(grids, sites, workers, volunteers, rules, distances)
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
