"""The :class:`Allocation` result: tables, cost breakdown, status, JSON round trip.

The attribute names are a contract with the map and report code
(``gridplan.maps``): keep them stable.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridplan.allocation._solver import Model, write_model
from gridplan.allocation.rules import Rules

if TYPE_CHECKING:
    import folium
    from matplotlib.axes import Axes

    from gridplan.coverage import LifeCircles
    from gridplan.division.plan import GridPlan
    from gridplan.network import Network

__all__ = ["SCHEMA_VERSION", "Allocation"]

SCHEMA_VERSION = 1

_TABLES = (
    "sites",
    "workers",
    "volunteers",
    "worker_assignment",
    "volunteer_assignment",
    "coverage",
    "grids",
)


def _enc(v: Any) -> Any:
    """One JSON-ready scalar: NaN/None -> None, inf -> "inf", numpy -> Python."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    return v


def _dec_float(v: Any) -> float:
    if v is None:
        return math.nan
    if isinstance(v, str):
        return float(v)
    return float(v)


def _table_to_dict(df: pd.DataFrame | None) -> dict[str, Any] | None:
    if df is None:
        return None
    out: dict[str, Any] = {
        "index_name": df.index.name,
        "index": [_enc(i) for i in df.index],
        "order": [str(c) for c in df.columns],
        "columns": {},
        "dtypes": {},
    }
    geom_col = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    for col in df.columns:
        if col == geom_col:
            continue
        s = df[col]
        out["dtypes"][str(col)] = str(s.dtype)
        out["columns"][str(col)] = [_enc(v) for v in s.tolist()]
    if geom_col is not None:
        geoms = df.geometry.values
        out["geometry"] = [
            None if g is None else shapely.to_wkt(g, rounding_precision=-1) for g in geoms
        ]
        out["geometry_name"] = geom_col
        out["crs"] = None if df.crs is None else df.crs.to_wkt()
    return out


def _table_from_dict(d: dict[str, Any] | None) -> pd.DataFrame | None:
    if d is None:
        return None
    index = pd.Index(d["index"], name=d["index_name"], dtype=object)
    data = {}
    for col, values in d["columns"].items():
        dtype = d["dtypes"][col]
        if dtype.startswith(("float", "Float")):
            data[col] = pd.Series([_dec_float(v) for v in values], index=index, dtype=dtype)
        elif dtype == "object":
            data[col] = pd.Series(values, index=index, dtype=object)
        else:
            data[col] = pd.Series(values, index=index).astype(dtype)
    df = pd.DataFrame(data, index=index)
    if "geometry" in d:
        geoms = [None if w is None else shapely.from_wkt(w) for w in d["geometry"]]
        df = gpd.GeoDataFrame(
            df, geometry=gpd.GeoSeries(geoms, index=index, crs=d["crs"]), crs=d["crs"]
        )
        if d.get("geometry_name", "geometry") != "geometry":
            df = df.rename_geometry(d["geometry_name"])
    if "order" in d:
        df = df[d["order"]]
    return df


def _tables_equal(a: pd.DataFrame | None, b: pd.DataFrame | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if list(a.columns) != list(b.columns) or not a.index.equals(b.index):
        return False
    for col in a.columns:
        x, y = a[col], b[col]
        if isinstance(x.dtype, gpd.array.GeometryDtype):
            if not bool(np.all(shapely.equals_exact(x.values, y.values, tolerance=0))):
                return False
        elif not x.equals(y) or x.dtype != y.dtype:
            return False
    if isinstance(a, gpd.GeoDataFrame) != isinstance(b, gpd.GeoDataFrame):
        return False
    return not (isinstance(a, gpd.GeoDataFrame) and a.crs != b.crs)


class Allocation:
    """Result of :func:`gridplan.allocate`.

    Attributes
    ----------
    status
        ``"optimal"`` only when the solver finished its search and proved the plan
        within a relative gap of 1e-4 (``gap <= 1e-4``); ``"feasible"`` when the
        search stopped earlier, at ``time_limit`` or at a ``mip_gap`` looser than
        1e-4, with ``gap`` the true relative gap.
    objective, best_bound, gap, seconds, solver
        Need-weighted coverage score (maximised; see :class:`Rules`), the solver's
        proven upper bound, ``|best_bound - objective| / |objective|``, solve
        seconds and solver name.
    budget, cost
        The budget (None = unlimited) and the yearly cost breakdown:
        ``sites_open_cost`` (opening cost of new sites, spread over
        ``Rules.open_cost_years``), ``sites_annual_cost``, ``workers``,
        ``volunteers``, ``total`` (their sum, never above ``budget``).
    sites
        All candidate sites indexed by ``site_id``: input columns plus ``open``,
        ``existing``, ``radius_m``, ``capacity``, ``households_served``, ``cost``.
    workers
        Indexed by ``worker_id``: ``hired``, ``grids`` (comma-joined codes), ``cost``.
    volunteers
        Indexed by ``volunteer_id``: ``selected``, ``hours_assigned``, ``cost``.
    worker_assignment
        One row per lead worker and grid: ``worker_id``, ``grid``, ``distance_m``.
    volunteer_assignment
        ``volunteer_id``, ``grid``, ``skill``, ``hours_per_month``, ``distance_m``.
    coverage
        Indexed by grid: ``households``, ``households_served``, ``site_id`` (the
        site serving the largest share), ``lead_worker``, ``need_hours``,
        ``hours_delivered``, ``unmet_hours``, ``coverage`` (served share).
    grids
        The grid polygons with the coverage columns.

    warnings
        Plain-language problems the planner must see (list of str): demand columns
        the need rules read but the grids lack, sites, workers or volunteers that
        reach no grid (a layer in another CRS). Also in :meth:`summary`, the report
        and ``to_dict()``.
    distance
        How distances were measured: ``"straight"`` (straight line from each grid's
        representative point), ``"walking"`` (over a street network, ``network=``) or
        ``"matrix"`` (the caller's ``distances=``).

    A layer left out of :func:`allocate` gives ``None`` for its table.
    """

    def __init__(
        self,
        *,
        status: str,
        objective: float | None,
        best_bound: float | None,
        gap: float | None,
        seconds: float,
        solver: str,
        budget: float | None,
        cost: dict[str, float],
        sites: gpd.GeoDataFrame | None,
        workers: gpd.GeoDataFrame | None,
        volunteers: gpd.GeoDataFrame | None,
        worker_assignment: pd.DataFrame,
        volunteer_assignment: pd.DataFrame,
        coverage: pd.DataFrame,
        grids: gpd.GeoDataFrame,
        rules: Rules | None = None,
        build_seconds: float = 0.0,
        warnings: list[str] | None = None,
        distance: str = "straight",
    ) -> None:
        self.status = status
        self.objective = objective
        self.best_bound = best_bound
        self.gap = gap
        self.seconds = seconds
        self.solver = solver
        self.budget = budget
        self.cost = dict(cost)
        self.sites = sites
        self.workers = workers
        self.volunteers = volunteers
        self.worker_assignment = worker_assignment
        self.volunteer_assignment = volunteer_assignment
        self.coverage = coverage
        self.grids = grids
        self.rules = rules if rules is not None else Rules()
        self.build_seconds = build_seconds
        self.warnings = list(warnings or [])
        self.distance = distance
        self._model: Model | None = None  # the model solved; set by allocate, not saved

    def write_model(self, path: str | os.PathLike[str]) -> None:
        """Write the mixed-integer programme that was solved, for audit or another solver.

        ``.mps`` or ``.lp`` by the file's extension, written by HiGHS's own writer
        (minimisation; columns ``c0...``, rows ``r0...``), budget row as solved.

        >>> from gridplan.allocation.model import _doctest_layers, allocate
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "allocation.mps"
        >>> allocate(*_doctest_layers(), budget=2100).write_model(path)
        >>> path.read_text().startswith("NAME")
        True
        """
        if self._model is None:
            from gridplan.errors import ConfigError

            raise ConfigError(
                "this Allocation carries no model (it was read with from_dict); run "
                "gridplan.allocate again to write the model"
            )
        write_model(self._model, path)

    # ------------------------------------------------------------------ figures
    def figures(self) -> dict[str, Any]:
        """Headline figures (used by :func:`budget_sweep` and :meth:`summary`)."""
        cov = self.coverage
        hh = float(cov["households"].sum())
        served = float(cov["households_served"].sum())
        need = float(cov["need_hours"].sum())
        done = float(cov["hours_delivered"].sum())
        return {
            "households": hh,
            "households_served": served,
            "households_served_share": served / hh if hh else 1.0,
            "grids": len(cov),
            "grids_with_lead": int(cov["lead_worker"].notna().sum()),
            "need_hours": need,
            "hours_delivered": done,
            "unmet_hours": float(cov["unmet_hours"].sum()),
            "hours_met_share": done / need if need else 1.0,
            "sites_open": 0 if self.sites is None else int(self.sites["open"].sum()),
            "workers_hired": 0 if self.workers is None else int(self.workers["hired"].sum()),
            "volunteers_selected": (
                0 if self.volunteers is None else int(self.volunteers["selected"].sum())
            ),
        }

    def summary(self, timing: bool = True) -> str:
        """A short plain-text report; ``timing=False`` leaves out run time (for files)."""
        f = self.figures()
        gap = "n/a" if self.gap is None else f"{self.gap:.3%}"
        budget = "unlimited" if self.budget is None else f"{self.budget:,.0f}"
        c = self.cost
        lines = [
            f"Allocation: {self.status} ({self.solver}"
            + (f", {self.seconds:.2f} s" if timing else "")
            + f", gap {gap})",
            f"  objective {self.objective:,.2f}   best bound "
            + ("n/a" if self.best_bound is None else f"{self.best_bound:,.2f}"),
            f"  budget {budget}; yearly cost {c['total']:,.0f} = sites opening "
            f"{c['sites_open_cost']:,.0f} + sites running {c['sites_annual_cost']:,.0f} + "
            f"workers {c['workers']:,.0f} + volunteers {c['volunteers']:,.0f}",
            f"  households served {f['households_served']:,.0f} of {f['households']:,.0f} "
            f"({f['households_served_share']:.1%}) by {f['sites_open']} open sites",
            f"  grids with a lead worker {f['grids_with_lead']} of {f['grids']} "
            f"({f['workers_hired']} workers hired)",
            f"  volunteer hours/month {f['hours_delivered']:,.1f} of {f['need_hours']:,.1f} "
            f"needed ({f['hours_met_share']:.1%}); {f['volunteers_selected']} volunteers",
        ]
        lines += [f"  WARNING: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        gap = "n/a" if self.gap is None else f"{self.gap:.3%}"
        total = self.cost.get("total", 0.0)
        return (
            f"<Allocation {self.status} objective={self.objective:,.2f} gap={gap} "
            f"cost={total:,.0f} budget={self.budget}>"
        )

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``json.dumps`` works); geometries as WKT, CRS as WKT.

        >>> import json
        >>> from gridplan.allocation.model import _doctest_layers, allocate
        >>> a = allocate(*_doctest_layers(), budget=2100)
        >>> Allocation.from_dict(json.loads(json.dumps(a.to_dict()))) == a
        True
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "status": self.status,
            "objective": _enc(self.objective),
            "best_bound": _enc(self.best_bound),
            "gap": _enc(self.gap),
            "seconds": _enc(self.seconds),
            "build_seconds": _enc(self.build_seconds),
            "solver": self.solver,
            "budget": _enc(self.budget),
            "cost": {k: _enc(v) for k, v in self.cost.items()},
            "rules": self.rules.to_dict(),
            "warnings": list(self.warnings),
            "distance": self.distance,
            **{name: _table_to_dict(getattr(self, name)) for name in _TABLES},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Allocation:
        """Rebuild an :class:`Allocation` written by :meth:`to_dict`."""
        version = d.get("schema_version")
        if version != SCHEMA_VERSION:
            from gridplan.errors import ConfigError

            raise ConfigError(
                f"unsupported Allocation schema_version {version!r} (this gridplan reads "
                f"{SCHEMA_VERSION})"
            )

        def num(key: str) -> float | None:
            v = d.get(key)
            return None if v is None else _dec_float(v)

        tables = {name: _table_from_dict(d.get(name)) for name in _TABLES}
        return cls(
            status=d["status"],
            objective=num("objective"),
            best_bound=num("best_bound"),
            gap=num("gap"),
            seconds=float(d.get("seconds") or 0.0),
            build_seconds=float(d.get("build_seconds") or 0.0),
            solver=d["solver"],
            budget=num("budget"),
            cost={k: _dec_float(v) for k, v in d["cost"].items()},
            rules=Rules.from_dict(d["rules"]),
            warnings=list(d.get("warnings", [])),
            distance=str(d.get("distance", "straight")),
            **tables,  # type: ignore[arg-type]
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Allocation):
            return NotImplemented
        # Run time is not part of the result: the same solve is equal however long it took.
        scalars = (
            "status",
            "objective",
            "best_bound",
            "gap",
            "solver",
            "budget",
            "cost",
            "rules",
            "warnings",
            "distance",
        )
        if any(getattr(self, k) != getattr(other, k) for k in scalars):
            return False
        return all(_tables_equal(getattr(self, n), getattr(other, n)) for n in _TABLES)

    __hash__ = None  # type: ignore[assignment]

    # -- display: maps and plots live in gridplan.maps and gridplan.plots -------------------

    def explore(self, column: str = "coverage", *, lang: str = "en", **kwargs: Any) -> folium.Map:
        """Interactive folium map: sites, radii, worker and volunteer links, coverage.

        Keywords go to :func:`gridplan.maps.explore_allocation`; save the map with
        :func:`gridplan.maps.save_html` for an offline file.

        >>> m = allocation.explore()  # doctest: +SKIP
        """
        from gridplan.maps import explore_allocation

        return explore_allocation(self, column, lang=lang, **kwargs)

    def plot(self, ax: Axes | None = None, *, lang: str = "en", **kwargs: Any) -> Axes:
        """Static matplotlib map (see :func:`gridplan.plots.plot_allocation`)."""
        from gridplan.plots import plot_allocation

        return plot_allocation(self, ax, lang=lang, **kwargs)

    def life_circles(
        self,
        network: Network | None = None,
        units: GridPlan | gpd.GeoDataFrame | None = None,
        **kwargs: Any,
    ) -> LifeCircles:
        """Walking life-circle coverage of the open sites: a :class:`gridplan.coverage.LifeCircles`.

        ``network`` (a :class:`gridplan.network.Network`; None = straight lines),
        ``units`` (the GridPlan for residents, 60+ and elderly alone per unit) and
        keywords as in :func:`gridplan.coverage.life_circles`.
        """
        from gridplan.coverage import life_circles

        return life_circles(self, network, units, **kwargs)

    def report(
        self,
        kind: Literal["grids", "sites", "workers", "volunteers", "summary"] = "grids",
        *,
        lang: str = "en",
    ) -> pd.DataFrame:
        """Readable table of ``kind``: grids, sites, workers, volunteers or summary.

        ``lang="zh"`` gives Chinese headings (the values are the same).
        """
        from gridplan.plots import allocation_report

        return allocation_report(self, kind, lang=lang)
