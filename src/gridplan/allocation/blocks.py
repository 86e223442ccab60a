"""The allocation model in blocks: sites, workers, volunteers, each owning its part.

A block reads and checks its layer, adds its variables and constraints to the shared
:class:`~gridplan.allocation._solver.Model`, puts its yearly cost on the budget row and,
once solved, turns the solution into its share of the result (its table, its cost, its
columns of the coverage table). :class:`Context` holds what every block reads: the
checked grids, their need, the rules, distances and the model.

The public face of a built model is :class:`ModelView`: a constraint of the planner's
own (see :mod:`gridplan.allocation.constraints`) is a function of a view that adds rows
over the columns the blocks expose, without editing the model code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridplan.allocation import _inputs as inp
from gridplan.allocation._solver import Model
from gridplan.allocation.rules import DEFAULT_NEEDS, Rules
from gridplan.errors import ConfigError, InfeasibleError, format_rows
from gridplan.network import Network

__all__ = ["Context", "ModelView", "SitesBlock", "VolunteersBlock", "WorkersBlock"]

_EPS = 1e-6


@dataclass
class Pairs:
    """Index arrays of a pair variable block: owner (site/worker/volunteer), grid, column."""

    owner: np.ndarray
    grid: np.ndarray
    dist: np.ndarray
    col: np.ndarray
    skill: np.ndarray | None = None


@dataclass
class Context:
    """What every block reads: checked grids, their need, rules, distances, the model."""

    grids: gpd.GeoDataFrame
    rules: Rules
    distances: Mapping[str, pd.DataFrame]
    network: Network | None
    model: Model = field(default_factory=Model)
    warnings: list[str] = field(default_factory=list)
    budget_cols: list[np.ndarray] = field(default_factory=list)
    budget_vals: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        g, rules = self.grids, self.rules
        self.hh = inp.checked_values(g["households"], "grids.households")
        # demand columns the rules read, standard or custom, are checked once here
        used = {r.column for r in rules.needs.values()} | set(rules.vulnerable_weights)
        for col in sorted(used & set(g.columns)):
            inp.checked_values(g[col], f"grids.{col}")
        self.warnings += rules.missing_columns(g)
        self.value = rules.need_value(g)
        self.need = rules.need_hours(g)
        self.skills = list(rules.needs)
        self.xy = inp.point_coords(g.geometry)

    @property
    def n_grids(self) -> int:
        return len(self.grids)

    def pairs(self, layer: gpd.GeoDataFrame, limit: np.ndarray, what: str, column: str) -> tuple:
        """(point, grid, distance) within ``limit``; points reaching no grid are warned of."""
        p, g, d = inp.pair_distances(
            self.xy, layer, limit, self.distances.get(what), self.grids.index, what,
            self.network, self.grids.crs,
        )  # fmt: skip
        self.warnings += inp.unreachable_warning(layer, p, self.grids.geometry, column, what)
        return p, g, d

    def add_budget(self, cols: np.ndarray, yearly: np.ndarray) -> None:
        self.budget_cols.append(cols)
        self.budget_vals.append(yearly)


def link_rows(m: Model, pair_cols: np.ndarray, owner_cols: np.ndarray) -> None:
    """One row per pair: ``pair <= owner`` (a pair variable only with its owner chosen)."""
    k = len(pair_cols)
    m.add_rows(
        k,
        np.r_[np.arange(k), np.arange(k)],
        np.r_[pair_cols, owner_cols],
        np.r_[np.ones(k), -np.ones(k)],
        hi=0.0,
    )


def capacity_rows(
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


# ---------------------------------------------------------------------------------- sites


class SitesBlock:
    """Service points: ``open`` per site, households of each grid served per (site, grid)."""

    def __init__(self, ctx: Context, layer: gpd.GeoDataFrame) -> None:
        rules, m = ctx.rules, ctx.model
        s = inp.with_ids(layer, "site_id", "sites")
        cols = inp.numeric_columns(s, inp.SITE_COLUMNS, "sites")
        existing = (
            inp.flag_values(s["existing"], "sites.existing")
            if "existing" in s
            else np.zeros(len(s), dtype=bool)
        )
        year = cols["annual_cost"] + np.where(
            existing, 0.0, cols["open_cost"] / rules.open_cost_years
        )
        self.table, self.cols, self.existing, self.year = s, cols, existing, year
        self.y = m.add_vars(len(s), 0, 1, cost=rules.cost_weight * year, integer=True)
        m.fix(self.y[existing], 1.0)
        sp, sg, sd = ctx.pairs(s, cols["radius_m"], "sites", "radius_m")
        keep = ctx.hh[sg] > 0
        sp, sg, sd = sp[keep], sg[keep], sd[keep]
        a = m.add_vars(len(sp), 0, 1, cost=-rules.weight_site * ctx.value[sg])
        self.a = Pairs(sp, sg, sd, a)
        if len(sp):
            m.add_rows(ctx.n_grids, sg, a, 1.0, hi=1.0)  # each grid served at most once in all
            link_rows(m, a, self.y[sp])  # a_sg <= y_s (strong linking: a tight LP bound)
            cap = cols["capacity"]
            capacity_rows(m, np.isfinite(cap), sp, a, self.y, ctx.hh[sg], cap)
        ctx.add_budget(self.y, year)

    def result(self, ctx: Context, x: np.ndarray, open_cost_years: float) -> SitesPart:
        s, n_g = self.table, ctx.n_grids
        open_ = x[self.y] > 0.5
        av = np.clip(x[self.a.col], 0, 1) * open_[self.a.owner]
        av[av < _EPS] = 0.0
        hh_pairs = ctx.hh[self.a.grid] * av
        served = np.minimum(np.bincount(self.a.grid, hh_pairs, n_g), ctx.hh)
        best = pd.DataFrame({"g": self.a.grid, "s": self.a.owner, "v": av})
        best = best[best.v > 0].sort_values(["g", "v", "s"], ascending=[True, False, True])
        best = best.drop_duplicates("g")
        site_of = np.full(n_g, None, dtype=object)
        site_of[best.g.to_numpy()] = s.index.to_numpy()[best.s.to_numpy()]
        open_cost = np.where(open_ & ~self.existing, self.cols["open_cost"] / open_cost_years, 0.0)
        annual = np.where(open_, self.cols["annual_cost"], 0.0)
        table = s.copy()
        table["open"] = open_
        table["existing"] = self.existing
        table["radius_m"] = self.cols["radius_m"]
        table["capacity"] = self.cols["capacity"]
        table["households_served"] = np.round(np.bincount(self.a.owner, hh_pairs, len(s)), 6)
        table["cost"] = open_cost + annual
        cost = {"sites_open_cost": float(open_cost.sum()), "sites_annual_cost": float(annual.sum())}
        return SitesPart(table, served, site_of, cost)


@dataclass
class SitesPart:
    table: gpd.GeoDataFrame
    served: np.ndarray
    site_of: np.ndarray
    cost: dict[str, float]


# ---------------------------------------------------------------------------------- workers


class WorkersBlock:
    """Paid grid workers (网格员): ``hired`` per worker, ``lead`` per (worker, grid)."""

    def __init__(self, ctx: Context, layer: gpd.GeoDataFrame) -> None:
        rules, m = ctx.rules, ctx.model
        w = inp.with_ids(layer, "worker_id", "workers")
        cols = inp.numeric_columns(w, inp.WORKER_COLUMNS, "workers")
        if rules.one_grid_one_worker:
            max_grids = np.ones(len(w))
        elif "max_grids" in w:
            max_grids = np.floor(cols["max_grids"])
        else:
            max_grids = np.full(len(w), float(rules.default_max_grids))
        self.table, self.cols, self.max_grids = w, cols, max_grids
        self.h = m.add_vars(
            len(w), 0, 1, cost=rules.cost_weight * cols["annual_cost"], integer=True
        )
        wp, wg, wd = ctx.pairs(w, cols["max_travel_m"], "workers", "max_travel_m")
        keep = ctx.hh[wg] <= cols["max_households"][wp]
        wp, wg, wd = wp[keep], wg[keep], wd[keep]
        travel = rules.travel_worker * wd / 1000.0
        x = m.add_vars(
            len(wp), 0, 1, cost=-rules.weight_lead * ctx.value[wg] + travel, integer=True
        )
        self.x = Pairs(wp, wg, wd, x)
        self.lead_required = rules.require_lead_worker
        if self.lead_required:
            self._check_reach(ctx)
        self.rows(ctx, m, x, self.h, lead=self.lead_required, strong=True)
        ctx.add_budget(self.h, cols["annual_cost"])

    def _check_reach(self, ctx: Context) -> None:
        orphans = np.setdiff1d(np.arange(ctx.n_grids), self.x.grid)
        if len(orphans):
            codes = list(ctx.grids.index[orphans])
            raise InfeasibleError(
                f"rule 'one lead worker per grid' cannot be met: grids {format_rows(codes)}"
                " have no candidate worker within max_travel_m (and max_households); "
                "add workers near them or set Rules(require_lead_worker=False)",
                details={"rule": "lead_worker_reach", "grids": codes, "smallest_budget": None},
            )

    def rows(
        self, ctx: Context, m: Model, x: np.ndarray, h: np.ndarray, lead: bool, strong: bool
    ) -> None:
        """Worker rules on pair columns ``x`` (of ``self.x``) and hire columns ``h``.

        At most one lead per grid (exactly one when ``lead``); a worker leads at most
        ``max_grids`` grids and, when leading several, ``max_households``. ``strong``
        adds ``x_wg <= h_w`` for multi-grid workers (a tighter LP bound).
        """
        wp, wg = self.x.owner, self.x.grid
        m.add_rows(ctx.n_grids, wg, x, 1.0, lo=1.0 if lead else 0.0, hi=1.0)
        everyone = np.ones(len(self.table), dtype=np.bool_)
        capacity_rows(m, everyone, wp, x, h, np.ones(len(wp)), self.max_grids)
        multi = self.max_grids[wp] > 1
        if strong and multi.any():
            link_rows(m, x[multi], h[wp[multi]])
        mh = self.cols["max_households"]
        lim = (self.max_grids > 1) & np.isfinite(mh)
        capacity_rows(m, lim, wp, x, h, ctx.hh[wg], mh)

    def result(self, ctx: Context, x: np.ndarray) -> WorkersPart:
        w, g = self.table, ctx.grids
        hired = x[self.h] > 0.5
        on = (x[self.x.col] > 0.5) & hired[self.x.owner]
        op, og, od = self.x.owner[on], self.x.grid[on], self.x.dist[on]
        lead = np.full(ctx.n_grids, None, dtype=object)
        lead[og] = w.index.to_numpy()[op]
        wa = pd.DataFrame(
            {
                "worker_id": w.index.to_numpy()[op].astype(object),
                "grid": g.index.to_numpy()[og].astype(object),
                "distance_m": od.astype(float),
            }
        ).sort_values(["worker_id", "grid"], ignore_index=True)
        table = w.copy()
        table["hired"] = hired
        joined = wa.groupby("worker_id")["grid"].agg(",".join)
        table["grids"] = [joined.get(i, "") for i in w.index]
        table["cost"] = np.where(hired, self.cols["annual_cost"], 0.0)
        return WorkersPart(table, wa, lead, float(self.cols["annual_cost"][hired].sum()))


#: Columns of the assignment tables (also their types when a layer is left out).
WORKER_ASSIGNMENT = {"worker_id": object, "grid": object, "distance_m": float}
VOLUNTEER_ASSIGNMENT = {"volunteer_id": object, "grid": object, "skill": object,
                        "hours_per_month": float, "distance_m": float}  # fmt: skip


def empty_table(columns: Mapping[str, type]) -> pd.DataFrame:
    """An empty table with these columns and types (a layer that was not given)."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


@dataclass
class WorkersPart:
    table: gpd.GeoDataFrame
    assignment: pd.DataFrame
    lead: np.ndarray
    cost: float


# ---------------------------------------------------------------------------------- volunteers


class VolunteersBlock:
    """Volunteers: ``selected`` per volunteer, hours per (volunteer, grid, skill)."""

    def __init__(self, ctx: Context, layer: gpd.GeoDataFrame) -> None:
        rules, m = ctx.rules, ctx.model
        v = inp.with_ids(layer, "volunteer_id", "volunteers")
        cols = inp.numeric_columns(v, inp.VOLUNTEER_COLUMNS, "volunteers")
        if "skills" not in v.columns:
            raise inp.ColumnError("volunteers need a 'skills' column (e.g. 'elderly_care;health')")
        known = list(dict.fromkeys([*DEFAULT_NEEDS, *ctx.skills]))
        skills = inp.parse_skills(v["skills"], known, ctx.skills)
        self.table, self.cols = v, cols
        self.z = m.add_vars(
            len(v), 0, 1, cost=rules.cost_weight * cols["annual_cost"], integer=True
        )
        vp, vg, vd = ctx.pairs(v, cols["max_travel_m"], "volunteers", "max_travel_m")
        need = ctx.need.to_numpy()
        has = np.zeros((len(v), len(ctx.skills)), dtype=bool)
        for i, sk in enumerate(skills):
            for name in sk:
                has[i, ctx.skills.index(name)] = True
        # expand each (volunteer, grid) pair over skills the volunteer has and the grid needs
        pi, ki = np.nonzero(has[vp] & (need[vg] > 0))
        up, ug, ud, uk = vp[pi], vg[pi], vd[pi], ki
        sw = np.array([rules.skill_weights.get(sk, 1.0) for sk in ctx.skills])
        hours = cols["hours_per_month"]
        travel = rules.travel_volunteer * ud / 1000.0
        u = m.add_vars(len(up), 0, np.minimum(hours[up], need[ug, uk]),
                       cost=-rules.weight_hours * sw[uk] + travel)  # fmt: skip
        self.u = Pairs(up, ug, ud, u, uk)
        nv = len(v)
        m.add_rows(nv, np.r_[up, np.arange(nv)], np.r_[u, self.z],
                   np.r_[np.ones(len(up)), -hours], hi=0.0)  # fmt: skip
        cells, inv = np.unique(ug * len(ctx.skills) + uk, return_inverse=True)
        if len(cells):
            m.add_rows(len(cells), inv, u, 1.0, hi=need.ravel()[cells])
        ctx.add_budget(self.z, cols["annual_cost"])

    def result(self, ctx: Context, x: np.ndarray) -> VolunteersPart:
        v, g = self.table, ctx.grids
        sel = x[self.z] > 0.5
        hours = np.round(np.clip(x[self.u.col], 0, None), 6) * sel[self.u.owner]
        on = hours > _EPS
        assert self.u.skill is not None
        va = pd.DataFrame(
            {
                "volunteer_id": v.index.to_numpy()[self.u.owner[on]].astype(object),
                "grid": g.index.to_numpy()[self.u.grid[on]].astype(object),
                "skill": np.array(ctx.skills, dtype=object)[self.u.skill[on]],
                "hours_per_month": hours[on],
                "distance_m": self.u.dist[on].astype(float),
            }
        ).sort_values(["volunteer_id", "grid", "skill"], ignore_index=True)
        delivered = np.bincount(self.u.grid[on], hours[on], ctx.n_grids).astype(float)
        table = v.copy()
        table["selected"] = sel
        table["hours_assigned"] = np.bincount(self.u.owner[on], hours[on], len(v))
        table["cost"] = np.where(sel, self.cols["annual_cost"], 0.0)
        return VolunteersPart(table, va, delivered, float(self.cols["annual_cost"][sel].sum()))


@dataclass
class VolunteersPart:
    table: gpd.GeoDataFrame
    assignment: pd.DataFrame
    delivered: np.ndarray
    cost: float


# ---------------------------------------------------------------------------------- view


class ModelView:
    """The built model as a constraint function sees it: named columns, and rows to add.

    ``open_columns(site_ids)`` are the 0/1 columns of sites being open;
    ``lead_columns(workers, grids)`` the 0/1 columns of a worker leading a grid (only
    pairs within the worker's reach exist); ``hire_columns(worker_ids)`` and
    ``select_columns(volunteer_ids)`` the 0/1 columns of hiring and selecting.
    ``add_rows(cols_per_row, lo, hi)`` adds ``lo <= sum(columns) <= hi`` rows;
    ``fix(cols, value)`` fixes columns. Tables: ``grids``, ``sites``, ``workers``,
    ``volunteers`` (checked, indexed by id; None when a layer was not given).
    """

    def __init__(
        self,
        ctx: Context,
        sites: SitesBlock | None,
        workers: WorkersBlock | None,
        volunteers: VolunteersBlock | None,
    ) -> None:
        self._ctx, self._s, self._w, self._v = ctx, sites, workers, volunteers
        self.grids = ctx.grids
        self.sites = None if sites is None else sites.table
        self.workers = None if workers is None else workers.table
        self.volunteers = None if volunteers is None else volunteers.table

    @staticmethod
    def _positions(index: pd.Index, ids: Any, what: str) -> np.ndarray:
        if ids is None:
            return np.arange(len(index))
        ids = [ids] if isinstance(ids, (str, int)) else list(ids)
        missing = [i for i in ids if i not in index]
        if missing:
            raise ConfigError(f"constraint names {what} {format_rows(missing)} that do not exist")
        return np.asarray(index.get_indexer(ids))

    def _block(self, block: Any, what: str) -> Any:
        if block is None:
            raise ConfigError(f"a constraint uses {what}, but no {what} layer was given")
        return block

    def open_columns(self, site_ids: Any = None) -> np.ndarray:
        s = self._block(self._s, "sites")
        return s.y[self._positions(s.table.index, site_ids, "sites")]

    def hire_columns(self, worker_ids: Any = None) -> np.ndarray:
        w = self._block(self._w, "workers")
        return w.h[self._positions(w.table.index, worker_ids, "workers")]

    def select_columns(self, volunteer_ids: Any = None) -> np.ndarray:
        v = self._block(self._v, "volunteers")
        return v.z[self._positions(v.table.index, volunteer_ids, "volunteers")]

    def lead_columns(self, worker_ids: Any = None, grids: Any = None) -> np.ndarray:
        w = self._block(self._w, "workers")
        who = self._positions(w.table.index, worker_ids, "workers")
        where = self._positions(self.grids.index, grids, "grids")
        mask = np.isin(w.x.owner, who) & np.isin(w.x.grid, where)
        return w.x.col[mask]

    def add_rows(
        self, cols_per_row: Sequence[np.ndarray], lo: float = -np.inf, hi: float = np.inf
    ) -> None:
        """One row ``lo <= sum(x[cols]) <= hi`` per entry of ``cols_per_row``."""
        if not cols_per_row:
            return
        sizes = [len(c) for c in cols_per_row]
        rows = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        cols = np.concatenate([np.asarray(c, dtype=np.int64) for c in cols_per_row])
        self._ctx.model.add_rows(len(sizes), rows, cols, 1.0, lo=lo, hi=hi)

    def fix(self, cols: np.ndarray, value: float) -> None:
        self._ctx.model.fix(np.asarray(cols, dtype=np.int64), value)
