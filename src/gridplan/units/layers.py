"""The whole path from a planner's raw layers to a :class:`~gridplan.Territory`.

Boundaries + buildings (+ roads, barriers, a household register) →
:func:`~gridplan.units.join_register` → :func:`~gridplan.units.tessellate` →
``Territory`` → :func:`~gridplan.units.mark_roads`. Also available as
``Territory.from_layers(...)``. Layers may be GeoDataFrames or file paths, the
register a DataFrame or a ``.csv``/``.xlsx`` path.

>>> import geopandas as gpd, pandas as pd, shapely
>>> crs = "EPSG:32650"
>>> bnd = gpd.GeoDataFrame({"community": ["C1"]}, geometry=[shapely.box(0, 0, 200, 100)], crs=crs)
>>> bld = gpd.GeoDataFrame({"bid": ["B1", "B2"]}, crs=crs,
...                        geometry=[shapely.box(20, 20, 40, 40), shapely.box(150, 50, 170, 70)])
>>> road = gpd.GeoDataFrame({"kind": ["minor_road"]}, crs=crs,
...                         geometry=[shapely.LineString([(100, -5), (100, 105)])])
>>> reg = pd.DataFrame({"bid": ["B1", "B2", "B2"], "households": ["10", "4", "5户"],
...                     "residents": [25, 9, 12]})
>>> t = from_layers(boundaries=bnd, buildings=bld, roads=road, register=reg, on="bid",
...                 parent="community")
>>> t.totals["households"], t.match_report.unplaced, t.graph.edges["B1", "B2"]["road"]
(19.0, [], 'minor_road')
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import geopandas as gpd
import pandas as pd

from gridplan.errors import ConfigError, InputError
from gridplan.io.files import read_layer
from gridplan.units.register import join_register, read_register
from gridplan.units.roads import mark_roads
from gridplan.units.tessellate import tessellate

if TYPE_CHECKING:
    from gridplan.territory import Territory

__all__ = ["from_layers"]

Layer: TypeAlias = "gpd.GeoDataFrame | str | os.PathLike[str]"


def _layer(value: Layer | None, what: str) -> gpd.GeoDataFrame | None:
    if value is None or isinstance(value, gpd.GeoDataFrame):
        return value
    if isinstance(value, str | os.PathLike):
        return read_layer(value, what)
    raise InputError(f"{what} must be a GeoDataFrame or a file path, not {type(value).__name__}.")


def from_layers(
    cls: type[Territory] | None = None,
    *,
    boundaries: Layer,
    buildings: Layer,
    roads: Layer | None = None,
    barriers: Layer | None = None,
    register: pd.DataFrame | str | os.PathLike[str] | None = None,
    on: str | tuple[str, str] | None = None,
    address: str | tuple[str, str] | None = None,
    counts: Sequence[str] | None = None,
    encoding: str | None = None,
    parent: str | None = None,
    population: str = "residents",
    households: str | None = "households",
    road_class: str | None = "kind",
    shrink: float = 0.4,
    segment: float = 2.0,
    **territory: Any,
) -> Territory:
    """Build a territory of one unit per building from raw layers; see the module docstring.

    ``cls`` is the class to build (``Territory`` by default; the classmethod
    passes itself). ``on``/``address``/``counts``/``encoding`` go to the
    register join, ``parent`` (a column of the boundaries) to the
    tessellation and the territory, further keywords to ``Territory``
    (``demand=``, ``islands=``...). The territory gets ``match_report``
    (a :class:`~gridplan.units.MatchReport`, or ``None`` without register)
    and ``layer_warnings`` (buildings cut by roads, gaps between boundaries).
    """
    if cls is None:
        from gridplan.territory import Territory

        cls = Territory
    bnd = _layer(boundaries, "boundaries")
    bld = _layer(buildings, "buildings")
    if bnd is None or bld is None:
        raise ConfigError("from_layers needs boundaries=... and buildings=...")
    rd, bar = _layer(roads, "roads"), _layer(barriers, "barriers")
    report = None
    if register is not None:
        table = register
        if not isinstance(table, pd.DataFrame):
            table = read_register(table, encoding=encoding)
        if on is None and address is None:
            raise ConfigError(
                "register=... needs on=<building key column> and/or address=<address column>."
            )
        bld, report = join_register(bld, table, on=on, address=address, counts=counts)
        key = on if isinstance(on, str) else (on[0] if on else None)
        if key is not None:
            bld = bld.set_index(key, drop=False).rename_axis(None)
    cells = tessellate(bnd, bld, rd, bar, parent=parent, shrink=shrink, segment=segment)
    t = cls(cells, population=population, households=households, parent=parent, **territory)
    if rd is not None or bar is not None:
        mark_roads(t, roads=rd, barriers=bar, road_class=road_class)
    t.match_report = report
    t.layer_warnings = list(cells.attrs.get("warnings", []))
    return t
