"""``GridPlan``: the result of :func:`~gridplan.division.divide` - assignment, grids, metrics.

A plan is defined by its territory, its assignment (unit id -> grid code)
and its parameters; everything else (grid totals, targets, deviations,
shapes, metrics) is derived, which is why :meth:`GridPlan.from_file` can
rebuild an equal plan from a saved file and the territory.

Files are GeoJSON in EPSG:4326 (RFC 7946), coordinates rounded to 1e-7°:

* ``to_geojson()`` / ``to_file(path)``: one feature per grid with its
  properties; the ``"gridplan"`` member holds ``schema_version``, the
  parameters, the metrics (without ``seconds``, which is not reproducible)
  and the assignment, so the file alone restores the plan;
* ``to_file(path, what="units")``: one feature per unit with ``unit_id``
  and ``grid`` properties, plus the same ``"gridplan"`` member.
"""

from __future__ import annotations

import html
import json
import math
import os
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridplan.division._graph import Adjacency
from gridplan.division._roads import road_share
from gridplan.division.metrics import contiguous_grids, grid_neighbour_pairs, grid_stats, summarise
from gridplan.errors import ColumnError, ConfigError, InputError, format_rows
from gridplan.io.atomic import write_text

if TYPE_CHECKING:
    import folium
    from matplotlib.axes import Axes

    from gridplan.territory import Territory

__all__ = ["SCHEMA_VERSION", "GridPlan"]

SCHEMA_VERSION = 1


@dataclass
class _Arrays:
    """Per-unit arrays of a territory, in the order of ``territory.units``."""

    adj: Adjacency
    area: np.ndarray
    perimeter: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @classmethod
    def from_territory(cls, territory: Territory) -> _Arrays:
        units = territory.units
        geoms = units.geometry.array
        cent = shapely.centroid(np.asarray(geoms))
        return cls(
            adj=Adjacency.from_networkx(territory.graph, list(units.index)),
            area=np.asarray(shapely.area(np.asarray(geoms)), dtype=float),
            perimeter=np.asarray(shapely.length(np.asarray(geoms)), dtype=float),
            x=shapely.get_x(cent),
            y=shapely.get_y(cent),
        )


def _violations(
    codes: np.ndarray,
    load: np.ndarray,
    targets: np.ndarray,
    dev: np.ndarray,
    tol: float,
    adj: Adjacency,
    labels: np.ndarray,
) -> list[dict[str, Any]]:
    """Grids outside tolerance, then grids in several pieces."""
    out: list[dict[str, Any]] = []
    for g in np.flatnonzero(np.abs(dev) > tol + 1e-9).tolist():
        out.append(
            {
                "reason": "outside tolerance",
                "grid": str(codes[g]),
                "load": float(load[g]),
                "target": float(targets[g]),
                "deviation": float(dev[g]),
            }
        )
    for g in np.flatnonzero(~contiguous_grids(adj, labels, len(codes))).tolist():
        out.append({"reason": "not contiguous", "grid": str(codes[g])})
    return out


#: Columns of ``GridPlan.grids`` that gridplan computes (``grid`` is the index).
GRID_COLUMNS = (
    "grid",
    "parent",
    "n_units",
    "population",
    "households",
    "target",
    "deviation",
    "area_m2",
    "polsby_popper",
    "neighbours",
    "geometry",
)

#: Parameters a plan needs to derive its tables (the rest are kept as given).
_REQUIRED_PARAMS = ("balance", "balance_column", "tolerance", "seed")


def check_summed_columns(territory: Territory, balance_column: str) -> None:
    """Refuse demand or balance columns whose sums would overwrite a computed grid column."""
    own = (territory.population_col, getattr(territory, "households_col", None))
    summed = [*getattr(territory, "demand_cols", []), balance_column]
    clash = [c for c in dict.fromkeys(summed) if c not in own and c in GRID_COLUMNS]
    if clash:
        raise ColumnError(
            f"column(s) {', '.join(map(repr, clash))} of the units would be summed per grid "
            f"into a column of the same name that gridplan computes ({', '.join(GRID_COLUMNS)}); "
            "rename it in the units (e.g. gdf.rename(columns={"
            f"{clash[0]!r}: {clash[0] + '_sum'!r}}})) and build the Territory again."
        )


def _json_value(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


class GridPlan:
    """A division of a territory into grids.

    Attributes
    ----------
    territory
        The :class:`~gridplan.Territory` divided.
    assignment
        ``pandas.Series`` unit id -> grid code (index as ``territory.units``).
    params
        The parameters of :func:`~gridplan.division.divide` (JSON-ready).
    metrics
        ``max_abs_deviation``, ``n_outside_tolerance``, ``contiguous``,
        ``cut_edges``, ``boundary_length`` (m), ``mean_polsby_popper``,
        ``min_polsby_popper``, ``seconds``, ``n_grids``, ``tolerance``,
        ``balance``, ``seed``, ``max_abs_deviation_from_mean`` (against the
        territory-wide mean, informative when nesting) and ``violations``
        (list of dicts; empty for a valid plan), ``road_boundary_share``
        (share of the grid boundary length on roads or barriers; ``None``
        when the territory's graph marks none, see :func:`gridplan.units.mark_roads`).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from gridplan import Territory
    >>> from gridplan.division import divide
    >>> cells = [shapely.box(x, 0, x + 100, 100) for x in range(0, 400, 100)]
    >>> t = Territory(gpd.GeoDataFrame({"pop": [5, 5, 5, 5]}, geometry=cells,
    ...                                crs="EPSG:32650"), population="pop")
    >>> plan = divide(t, n_grids=2, balance="population", tolerance=0)
    >>> plan.assignment.tolist()
    ['G01', 'G01', 'G02', 'G02']
    >>> GridPlan(t, plan.assignment, plan.params) == plan
    True
    """

    def __init__(
        self,
        territory: Territory,
        assignment: pd.Series,
        params: dict[str, Any],
        *,
        seconds: float = 0.0,
        _arrays: _Arrays | None = None,
    ) -> None:
        units = territory.units
        if not isinstance(assignment, pd.Series):
            raise InputError(
                f"assignment must be a pandas Series unit id -> grid code, "
                f"not {type(assignment).__name__}."
            )
        if not isinstance(params, dict):
            raise InputError(f"params must be a dict (plan.params), not {type(params).__name__}.")
        missing_params = [k for k in _REQUIRED_PARAMS if k not in params]
        if missing_params:
            raise InputError(
                f"params lack {', '.join(map(repr, missing_params))}; pass the params of "
                "the plan (plan.params)."
            )
        for key in ("balance_column", "within"):
            col = params.get(key)
            if col is not None and col not in units.columns:
                raise InputError(
                    f"params[{key!r}] is {col!r}, which is not a column of the territory's "
                    "units; the plan belongs to another territory."
                )
        check_summed_columns(territory, params["balance_column"])
        if len(assignment) != len(units) or not assignment.index.equals(units.index):
            try:
                assignment = assignment.reindex(units.index)
            except ValueError as exc:
                raise InputError(f"assignment ids are not unique: {exc}") from exc
            if assignment.isna().any():
                missing = units.index[assignment.isna().to_numpy()]
                raise InputError(
                    f"the assignment has no grid for {len(missing)} unit(s) of the territory; "
                    "it belongs to another territory.",
                    rows=list(missing),
                )
        blank = assignment.isna().to_numpy() | (assignment.astype(str) == "").to_numpy()
        if blank.any():
            rows = list(assignment.index[blank])
            raise InputError(
                f"the assignment has no grid code (missing or empty) for {len(rows)} unit(s): "
                f"{format_rows(rows)}; give every unit a grid code.",
                rows=rows,
            )
        self.territory = territory
        self.assignment = assignment.astype(object).rename("grid")
        self.assignment.index.name = units.index.name
        self.params = dict(params)
        self._arrays = _arrays if _arrays is not None else _Arrays.from_territory(territory)
        self._compute(seconds)

    # -- derived tables -------------------------------------------------------------------

    def _compute(self, seconds: float) -> None:
        t, p, arr = self.territory, self.params, self._arrays
        units = t.units
        codes, labels = np.unique(self.assignment.to_numpy(dtype=str), return_inverse=True)
        k = len(codes)
        self._labels = labels
        self._codes = codes
        weight = units[p["balance_column"]].to_numpy(dtype=float)
        within = p.get("within")
        if within is not None:
            parent_of_grid = (
                pd.Series(units[within].to_numpy()).groupby(labels).first().reindex(range(k))
            )
            parent_values = parent_of_grid.to_numpy()
            gkey = pd.factorize(parent_values)[0]
        else:
            parent_values = None
            gkey = np.zeros(k, dtype=np.int64)
        st = grid_stats(arr.adj, labels, k, weight, arr.area, arr.perimeter)
        # Target: the parent's load shared equally by its grids.
        load_by_group = pd.Series(st["load"]).groupby(gkey).transform("sum").to_numpy()
        grids_by_group = pd.Series(np.ones(k)).groupby(gkey).transform("sum").to_numpy()
        targets = load_by_group / grids_by_group
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = np.where(targets > 0, st["load"] / targets - 1.0, 0.0)
        df = pd.DataFrame(index=pd.Index(codes, name="grid"))
        if parent_values is not None:
            df["parent"] = parent_values
        df["n_units"] = st["n_units"]
        df["population"] = np.bincount(
            labels, weights=units[t.population_col].to_numpy(dtype=float), minlength=k
        )
        if getattr(t, "households_col", None) is not None:
            df["households"] = np.bincount(
                labels, weights=units[t.households_col].to_numpy(dtype=float), minlength=k
            )
        extra = [*getattr(t, "demand_cols", []), p["balance_column"]]
        for col in dict.fromkeys(extra):
            if col not in (t.population_col, getattr(t, "households_col", None)):
                df[col] = np.bincount(labels, weights=units[col].to_numpy(dtype=float), minlength=k)
        df["target"] = targets
        df["deviation"] = dev
        df["area_m2"] = st["area"]
        df["polsby_popper"] = st["polsby_popper"]
        pairs = grid_neighbour_pairs(arr.adj, labels)
        nbrs: list[list[str]] = [[] for _ in range(k)]
        for a, b in pairs.tolist():
            nbrs[a].append(codes[b])
            nbrs[b].append(codes[a])
        df["neighbours"] = [",".join(sorted(x)) for x in nbrs]
        self._table = df

        tol = float(p["tolerance"])
        m: dict[str, Any] = dict(
            summarise(arr.adj, labels, k, weight, arr.area, arr.perimeter, targets, tol)
        )
        mean = weight.sum() / k if k else 0.0
        m["max_abs_deviation_from_mean"] = (
            float(np.abs(st["load"] / mean - 1).max()) if mean > 0 else 0.0
        )
        m.update(
            seconds=float(seconds),
            n_grids=k,
            tolerance=tol,
            balance=p["balance"],
            seed=p["seed"],
        )
        m["violations"] = _violations(codes, st["load"], targets, dev, tol, arr.adj, labels)
        m["road_boundary_share"] = road_share(t.graph, self.assignment.to_dict())
        self.metrics: dict[str, Any] = m

    @cached_property
    def grids(self) -> gpd.GeoDataFrame:
        """One row per grid (index ``grid``) with totals, target, deviation, shape, geometry."""
        units = self.territory.units
        geoms = np.asarray(units.geometry.array)
        order = np.argsort(self._labels, kind="stable")
        bounds = np.searchsorted(self._labels[order], np.arange(len(self._codes) + 1))
        dissolved = [
            shapely.union_all(geoms[order[bounds[g] : bounds[g + 1]]])
            for g in range(len(self._codes))
        ]
        return gpd.GeoDataFrame(self._table.copy(), geometry=dissolved, crs=units.crs)

    # -- comparison and display ------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GridPlan):
            return NotImplemented
        return (
            self.assignment.index.equals(other.assignment.index)
            and self.assignment.equals(other.assignment)
            and self.params == other.params
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    def summary(self, timing: bool = True) -> str:
        """A few lines describing the plan; ``timing=False`` leaves out run time (for files)."""
        m, p = self.metrics, self.params
        lines = [
            f"GridPlan: {m['n_grids']} grids over {len(self.assignment):,} units, balanced on "
            f"{p['balance_column']!r} within ±{m['tolerance']:.1%}",
            f"  max deviation {m['max_abs_deviation']:.2%}, {m['n_outside_tolerance']} grid(s) "
            f"outside tolerance, contiguous: {m['contiguous']}",
            f"  cut edges {m['cut_edges']:,}, boundary {m['boundary_length'] / 1000:,.2f} km, "
            f"Polsby-Popper mean {m['mean_polsby_popper']:.3f} / min "
            f"{m['min_polsby_popper']:.3f}",
            f"  seed {m['seed']}" + (f", {m['seconds']:.2f} s" if timing else ""),
        ]
        if p.get("within"):
            lines.append(f"  nested within {p['within']!r}")
        if m["violations"]:
            lines.append(f"  {len(m['violations'])} violation(s): see metrics['violations']")
        return "\n".join(lines)

    def __repr__(self) -> str:
        m = self.metrics
        return (
            f"<GridPlan: {m['n_grids']} grids, max deviation {m['max_abs_deviation']:.2%}, "
            f"contiguous={m['contiguous']}>"
        )

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    # -- display: maps and plots live in gridplan.maps and gridplan.plots -------------------

    @property
    def parent_label(self) -> str:
        """How maps and reports name the parent: the nesting column, readable.

        ``within="community"`` gives ``"Community"``, ``within="street_name"``
        ``"Street name"``; ``"Parent"`` when the plan is not nested.
        """
        within = self.params.get("within")
        if within is None:
            return "Parent"
        return str(within).replace("_", " ").strip().capitalize() or "Parent"

    def parent_boundaries(self) -> gpd.GeoDataFrame | None:
        """The parent areas the grids nest in (``params["within"]``), dissolved from the units.

        ``None`` when the plan is not nested.
        """
        col = self.params.get("within")
        if col is None:
            return None
        units = self.territory.units
        keep = [col]
        name = f"{col}_name"  # e.g. community_name: maps label parents by it, not by code
        if name in units.columns and bool((units.groupby(col)[name].nunique() <= 1).all()):
            keep.append(name)
        return units[[*keep, units.geometry.name]].dissolve(by=col).reset_index()

    def explore(
        self,
        column: str = "deviation",
        *,
        units: bool = False,
        parents: bool = True,
        lang: str = "en",
        **kwargs: Any,
    ) -> folium.Map:
        """Interactive folium map of the grids coloured by ``column``.

        ``units=True`` adds the units layer (heavy on large territories);
        ``parents`` draws the boundaries of the parents the plan nests in
        (its ``within`` column; none when not nested), labelled with that
        column's name, by ``<column>_name`` when the units have one (e.g.
        ``community_name``). ``lang="zh"``: legends, layers and tooltips in
        Chinese. Other keywords go to :func:`gridplan.maps.explore_grids`
        (``tiles``, ``streets``...). Save it with :func:`gridplan.maps.save_html`
        to get an offline file.

        >>> m = plan.explore("households")  # doctest: +SKIP
        """
        from gridplan.maps import explore_grids

        if units:
            kwargs.setdefault("units", self.territory.units.assign(grid=self.assignment))
            kwargs.setdefault("unit_column", "grid")
        if parents and "parents" not in kwargs:
            kwargs.update(self.parent_layer(lang))
        kwargs.setdefault("parent_label", self._parent_label(lang))
        return explore_grids(self.grids, column, lang=lang, **kwargs)

    def parent_layer(self, lang: str = "en") -> dict[str, Any]:
        """Map keywords for the parents the plan nests in (its ``within`` column).

        ``parents``, ``parent_column`` and ``parent_label``; empty when the
        plan is not nested. Pass them to
        :func:`gridplan.maps.explore_allocation` to name the communities there too.

        >>> a.explore(**plan.parent_layer())  # doctest: +SKIP
        """
        boundaries = self.parent_boundaries()
        if boundaries is None:
            return {}
        within = self.params["within"]
        named = f"{within}_name" if f"{within}_name" in boundaries.columns else within
        return {
            "parents": boundaries,
            "parent_column": named,
            "parent_label": self._parent_label(lang),
        }

    def _parent_label(self, lang: str) -> str:
        from gridplan.i18n import column_label

        within = self.params.get("within")
        return self.parent_label if lang == "en" or within is None else column_label(within, lang)

    def plot(
        self,
        column: str = "deviation",
        ax: Axes | None = None,
        *,
        lang: str = "en",
        **kwargs: Any,
    ) -> Axes:
        """Static matplotlib map of the grids (see :func:`gridplan.plots.plot_plan`)."""
        from gridplan.plots import plot_plan

        return plot_plan(self.grids, column, ax, lang=lang, **kwargs)

    def report(self, totals: bool = False, *, lang: str = "en") -> pd.DataFrame:
        """One readable row per grid, for reports (see :func:`gridplan.plots.plan_report`)."""
        from gridplan.plots import plan_report

        return plan_report(
            self.grids, totals=totals, parent_label=self._parent_label(lang), lang=lang
        )

    # -- files ----------------------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        metrics = {k: v for k, v in self.metrics.items() if k != "seconds"}
        return {
            "schema_version": SCHEMA_VERSION,
            "params": self.params,
            "metrics": metrics,
            "unit_index_name": self.assignment.index.name,
            "assignment": {
                "ids": [_json_value(v) for v in self.assignment.index],
                "grids": [str(v) for v in self.assignment.to_numpy()],
            },
        }

    @staticmethod
    def _features(geoms: np.ndarray, props: list[dict[str, Any]], ids: list[Any]) -> str:
        parts = []
        gj = shapely.to_geojson(shapely.set_precision(geoms, 1e-7))
        for fid, prop, g in zip(ids, props, gj.tolist(), strict=True):
            p = json.dumps(prop, ensure_ascii=False, sort_keys=False)
            parts.append(
                f'{{"type":"Feature","id":{json.dumps(fid)},"properties":{p},"geometry":{g}}}'
            )
        return ",\n".join(parts)

    def _collection(self, geoms: gpd.GeoSeries, props: list[dict], ids: list) -> str:
        wgs = np.asarray(geoms.to_crs("EPSG:4326").array)
        meta = json.dumps(self._meta(), ensure_ascii=False)
        return (
            '{"type":"FeatureCollection","gridplan":'
            + meta
            + ',"features":[\n'
            + self._features(wgs, props, ids)
            + "\n]}\n"
        )

    def to_geojson(self) -> str:
        """The grids as a GeoJSON string (EPSG:4326), with the plan in ``"gridplan"``.

        Deterministic: the same plan gives the same bytes.
        """
        g = self.grids
        props = [
            {c: _json_value(v) for c, v in row.items()}
            for row in pd.DataFrame(g.drop(columns=g.geometry.name)).to_dict("records")
        ]
        for code, pr in zip(g.index, props, strict=True):
            pr["grid"] = str(code)
        return self._collection(g.geometry, props, [str(c) for c in g.index])

    def to_file(self, path: str | os.PathLike[str], what: Literal["grids", "units"] = "grids"):
        """Write the plan atomically as GeoJSON: grids (default) or units with their grid.

        Either file restores the plan with :meth:`from_file`.
        """
        if what == "grids":
            text = self.to_geojson()
        elif what == "units":
            units = self.territory.units
            ids = [_json_value(v) for v in units.index]
            props = [
                {"unit_id": i, "grid": str(c)}
                for i, c in zip(ids, self.assignment.to_numpy(), strict=True)
            ]
            text = self._collection(units.geometry, props, ids)
        else:
            raise ConfigError(f"what={what!r}: use 'grids' or 'units'.")
        write_text(path, text)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        territory: Territory,
        params: dict[str, Any] | None = None,
    ) -> GridPlan:
        """Rebuild a plan saved with :meth:`to_file` (either kind) for ``territory``.

        A units file's features are the assignment, so grids changed by hand in a GIS
        are read (and reported as a :class:`~gridplan.errors.GridplanWarning`); a grids
        file whose outlines or codes were edited is an error. ``params`` is needed
        only when the file lost its ``"gridplan"`` member (see
        :mod:`gridplan.division.plan_file`).
        """
        from gridplan.division.plan_file import check_grid_features, read_plan_file

        file = read_plan_file(path)
        if file.meta is not None and file.meta.get("schema_version") != SCHEMA_VERSION:
            raise InputError(
                f"{file.where} has schema_version {file.meta.get('schema_version')!r}; this "
                f"gridplan reads version {SCHEMA_VERSION}."
            )
        plan_params = file.params(params)
        missing = [f"params[{k!r}]" for k in _REQUIRED_PARAMS if k not in plan_params]
        if missing:
            raise InputError(
                f"{file.where} lacks {', '.join(missing)} in its 'gridplan' member; write the "
                "plan again with GridPlan.to_file."
            )
        assignment = file.assignment()
        units_index = territory.units.index
        ids = assignment.index
        if len(ids) != len(units_index) or not pd.Index(ids).isin(units_index).all():
            absent = units_index.difference(pd.Index(ids))
            raise InputError(
                f"{file.where} assigns units that are not those of this territory "
                f"({len(ids)} in the file vs {len(units_index)} units"
                + (f"; no grid for {format_rows(absent)})." if len(absent) else ")."),
                rows=list(absent),
            )
        try:
            plan = cls(territory, assignment, plan_params)
        except InputError as exc:
            raise type(exc)(f"{file.where}: {exc}", rows=exc.rows) from exc
        if not file.is_units:
            outlines = plan.grids.geometry.to_crs("EPSG:4326")
            check_grid_features(file, shapely.set_precision(outlines, 1e-7))
        return plan
