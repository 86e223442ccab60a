"""The :class:`Territory`: validated small units in a metric CRS plus their contiguity graph."""

from __future__ import annotations

import difflib
import html
import inspect
import logging
import numbers
import os
from collections.abc import Hashable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import networkx as nx
import pandas as pd

from gridplan.crs import to_metric
from gridplan.errors import ConfigError, GeometryError, InputError, IslandError
from gridplan.errors import format_rows as _rows
from gridplan.io.files import read_layer
from gridplan.territory import _validate
from gridplan.territory.contiguity import connect_islands, contiguity_graph

if TYPE_CHECKING:
    from gridplan.units.register import MatchReport

__all__ = ["Territory"]

log = logging.getLogger("gridplan")

_WHOLE = object()  # marks the whole territory among the groups checked for islands

Contiguity = Literal["rook", "queen"]
Islands = Literal["raise", "connect"]


class Territory:
    """Small units (blocks, buildings, compounds) ready for planning.

    Validates the table once, projects it to a metric CRS and builds the
    contiguity graph. Every algorithm in gridplan takes a ``Territory``.

    Parameters
    ----------
    gdf
        One polygon per unit.
    population
        Column with the number of residents.
    households
        Optional column with the number of households.
    id
        Column with unique unit ids; by default the index is used.
    parent
        Optional column naming the boundary each unit lies in (community,
        street); grids can then be nested inside it.
    demand
        Further numeric columns to validate (e.g. ``["age60plus"]``).
    crs
        The CRS of data that declares none (e.g. ``"EPSG:4326"``).
    metric_crs
        Target metric CRS; by default data in degrees or feet is projected
        to its local UTM zone, and metric data is kept as is.
    contiguity
        ``"rook"`` (shared boundary of positive length) or ``"queen"`` (a
        shared corner is enough).
    snap
        Treat units closer than this many metres as neighbours (for building
        footprints with gaps between them). 0 means they must touch.
    islands
        ``"raise"`` (default) stops on units that are cut off from the rest;
        ``"connect"`` links each piece to its nearest unit, inside its parent
        first, and lists the links in :attr:`bridges`. A parent in several
        pieces is listed in :attr:`split_parents` (``"raise"``) or linked up
        (``"connect"``).
    repair
        Fix invalid geometries with ``make_valid`` (listed in :attr:`repaired`).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> gdf = gpd.GeoDataFrame(
    ...     {"pop": [120, 80, 95, 60]},
    ...     geometry=[shapely.box(x, y, x + 100, y + 100) for x in (0, 100) for y in (0, 100)],
    ...     crs="EPSG:32650",
    ... )
    >>> t = Territory(gdf, population="pop")
    >>> t.totals["population"], t.graph.number_of_edges()
    (355.0, 4)
    """

    units: gpd.GeoDataFrame
    graph: nx.Graph
    population_col: str
    households_col: str | None
    parent_col: str | None
    demand_cols: list[str]
    contiguity: Contiguity
    snap: float
    crs_note: str | None
    repaired: list[Hashable]
    bridges: list[tuple[Hashable, Hashable, float]]
    split_parents: list[Hashable]
    #: Set by :meth:`from_layers`: how the household register was joined, and warnings.
    match_report: MatchReport | None = None
    layer_warnings: Sequence[str] = ()

    def __init__(
        self,
        gdf: gpd.GeoDataFrame,
        population: str = "pop",
        households: str | None = None,
        id: str | None = None,
        parent: str | None = None,
        *,
        demand: Sequence[str] = (),
        crs: Any = None,
        metric_crs: Any = None,
        contiguity: Contiguity = "rook",
        snap: float = 0.0,
        islands: Islands = "raise",
        repair: bool = False,
    ) -> None:
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise InputError(
                f"units must be a geopandas.GeoDataFrame, not {type(gdf).__name__}; "
                "read files with Territory.from_file(path) or geopandas.read_file(path)."
            )
        if contiguity not in ("rook", "queen"):
            raise ConfigError(f"contiguity={contiguity!r}: use 'rook' or 'queen'.")
        if islands not in ("raise", "connect"):
            raise ConfigError(f"islands={islands!r}: use 'raise' or 'connect'.")
        if isinstance(snap, bool) or not isinstance(snap, numbers.Real) or not snap >= 0:
            raise ConfigError(f"snap={snap!r}: give a distance in metres, 0 or more.")
        if isinstance(demand, str) or not all(isinstance(c, str) for c in demand):
            raise ConfigError(
                f"demand={demand!r}: give a list of column names, e.g. demand=['age60plus']."
            )
        if gdf._geometry_column_name not in gdf.columns:
            raise GeometryError(
                "the units table has no active geometry column; set it with "
                "gdf.set_geometry('<column>')."
            )
        _validate.check_not_empty(gdf)
        roles = {"population": population, "households": households, "parent": parent}
        numeric = [c for c in (population, households, *demand) if c is not None]
        _validate.check_columns(gdf, [c for c in (id, parent, *numeric) if c is not None])

        ids = _validate.check_ids(gdf, id)
        units = gdf.copy()
        if id is not None:
            units = units.drop(columns=[id])
        units.index = ids
        for col in dict.fromkeys(numeric):
            role = next((r for r, c in roles.items() if c == col), None)
            units[col] = _validate.check_numeric(units, col, role=role)
        if parent is not None:
            self._check_parents(units, parent)

        geoms, repaired = _validate.check_geometries(units, repair=repair)
        units = units.set_geometry(geoms)
        units, crs_note = to_metric(units, crs=crs, metric_crs=metric_crs)
        if crs_note:
            log.info("gridplan: %s", crs_note)

        self.units = units
        self.population_col = population
        self.households_col = households
        self.parent_col = parent
        self.demand_cols = list(demand)
        self.contiguity = contiguity
        self.snap = float(snap)
        self.crs_note = crs_note
        self.repaired = repaired
        self.graph = contiguity_graph(units.geometry.array, units.index, kind=contiguity, snap=snap)
        self.bridges = []
        self.split_parents = []
        self._handle_islands(islands)

    # -- construction helpers -------------------------------------------------------------

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], layer: str | int | None = None, **kwargs: Any
    ) -> Territory:
        """Read units from a GeoPackage, GeoJSON, Shapefile or zipped Shapefile.

        Keyword arguments are those of :class:`Territory`.

        >>> Territory.from_file("blocks.gpkg", population="pop")  # doctest: +SKIP
        """
        known = set(inspect.signature(cls).parameters) - {"gdf"}
        for key in kwargs:
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"Territory.from_file got an unknown keyword {key!r}.{hint}")
        gdf = read_layer(path, "units", layer=layer)
        return cls(gdf, **kwargs)

    @classmethod
    def from_layers(cls, **kwargs: Any) -> Territory:
        """One unit per building from raw layers: boundaries, buildings, roads, a register.

        See :func:`gridplan.units.from_layers` for the keywords.

        >>> Territory.from_layers(boundaries="communities.gpkg", buildings="buildings.gpkg",
        ...     roads="roads.gpkg", register="register.csv", on="building_id")  # doctest: +SKIP
        """
        from gridplan.units.layers import from_layers

        territory: Territory = from_layers(cls, **kwargs)
        return territory

    @staticmethod
    def _check_parents(units: pd.DataFrame, parent: str) -> None:
        missing = units[parent].isna()
        if missing.any():
            rows = units.index[missing]
            raise _validate.ColumnError(
                f"parent column {parent!r} is empty for {missing.sum()} unit(s): {_rows(rows)}. "
                "Every unit must belong to a parent boundary; fill it in.",
                rows=list(rows),
            )

    def _handle_islands(self, islands: Islands) -> None:
        groups: list[tuple[Any, list[Hashable]]] = []
        if self.parent_col is not None:
            by_parent = self.units.groupby(self.parent_col, sort=True).groups
            groups = [(p, list(idx)) for p, idx in by_parent.items()]
        groups.append((_WHOLE, list(self.units.index)))
        geoms = None
        for label, nodes in groups:
            pieces = list(nx.connected_components(self.graph.subgraph(nodes)))
            if len(pieces) == 1:
                continue
            if islands == "raise" and label is not _WHOLE:
                # A split parent (an exclave) is real data; it matters only when grids
                # nest in it, and divide(within=...) says so then.
                self.split_parents.append(label)
                continue
            if islands == "raise":
                pieces.sort(key=len, reverse=True)
                cut_off = [n for p in pieces[1:] for n in sorted(p, key=str)]
                raise IslandError(
                    f"the territory is in {len(pieces)} separate pieces: {len(cut_off)} "
                    f"unit(s) are cut off from the largest piece ({len(pieces[0])} units): "
                    f"{_rows(cut_off)}. "
                    "Grids must be contiguous, so either fix gaps in the data (units that "
                    "should touch), pass snap=<metres> to join units that nearly touch, or "
                    "pass islands='connect' to link each piece to its nearest unit.",
                    rows=cut_off,
                )
            if geoms is None:
                geoms = dict(zip(self.units.index, self.units.geometry.array, strict=True))
            self.bridges += connect_islands(self.graph, geoms, nodes)
        if self.bridges:
            log.info("gridplan: linked %d island(s) to their nearest unit", len(self.bridges))

    # -- derived values ----------------------------------------------------------------------

    @property
    def crs(self) -> Any:
        """The metric CRS of :attr:`units`."""
        return self.units.crs

    def column(self, role: str) -> str:
        """The column name for ``"population"``, ``"households"`` or a column name itself.

        >>> # t.column("households") -> "hh" when built with households="hh"
        """
        mapping = {"population": self.population_col, "households": self.households_col}
        if role in mapping:
            col = mapping[role]
            if col is None:
                raise ConfigError(
                    f"balance={role!r} but the territory has no {role} column; build it with "
                    f"Territory(..., {role}='<column>') or balance on 'population'."
                )
            return col
        if role not in self.units.columns or role == self.units.geometry.name:
            raise _validate.ColumnError(
                f"{role!r} is neither 'population', 'households' nor a column of the units."
            )
        if not pd.api.types.is_numeric_dtype(self.units[role]):
            raise _validate.ColumnError(f"column {role!r} is not numeric; it cannot be summed.")
        return role

    @cached_property
    def areas(self) -> pd.Series:
        """Area of each unit in square metres."""
        return self.units.geometry.area.rename("area_m2")

    @property
    def parents(self) -> list[Hashable]:
        """Sorted distinct parent values (empty when no parent column was given)."""
        if self.parent_col is None:
            return []
        return sorted(self.units[self.parent_col].unique().tolist(), key=str)

    @property
    def totals(self) -> dict[str, Any]:
        """Counts and sums: units, population, households, area, parents."""
        out: dict[str, Any] = {
            "units": len(self.units),
            "population": float(self.units[self.population_col].sum()),
        }
        if self.households_col is not None:
            out["households"] = float(self.units[self.households_col].sum())
        for col in self.demand_cols:
            out[col] = float(self.units[col].sum())
        out["area_km2"] = float(self.areas.sum() / 1e6)
        if self.parent_col is not None:
            out["parents"] = len(self.parents)
        return out

    def summary(self) -> str:
        """A few lines describing the territory, for logs and notebooks."""
        t = self.totals
        lines = [f"Territory: {t['units']:,} units, population {t['population']:,.0f}"]
        if "households" in t:
            lines[0] += f", households {t['households']:,.0f}"
        lines.append(f"  area {t['area_km2']:,.3f} km², CRS {self.crs.to_string()}")
        if self.crs_note:
            lines.append(f"  {self.crs_note}")
        if self.parent_col is not None:
            lines.append(f"  {t['parents']} parent(s) in column {self.parent_col!r}")
        g = self.graph
        lines.append(
            f"  contiguity {self.contiguity}: {g.number_of_edges():,} edges, "
            f"{nx.number_connected_components(g)} piece(s)"
        )
        if self.bridges:
            lines.append(f"  {len(self.bridges)} island link(s) added (see .bridges)")
        if self.split_parents:
            lines.append(
                f"  {len(self.split_parents)} parent(s) in several pieces (see .split_parents): "
                "grids cannot nest in them unless islands='connect'"
            )
        if self.repaired:
            lines.append(f"  {len(self.repaired)} geometry(ies) repaired: {_rows(self.repaired)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        t = self.totals
        return f"<Territory: {t['units']} units, population {t['population']:,.0f}>"

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"
