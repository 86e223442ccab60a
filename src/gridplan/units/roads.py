"""Which contiguity edges of a territory lie on a road or a barrier.

:func:`mark_roads` samples three points along the boundary each pair of
neighbouring units shares (at 1/4, 1/2 and 3/4 of its length) and tags the
edge when at least two lie within ``tolerance`` metres of a road (edge
attribute ``road`` = the road's class) or a barrier (``barrier`` = its class).
:func:`gridplan.division.divide` then prefers to cut grids along those edges
(``road_weight``), and ``plan.metrics["road_boundary_share"]`` says how much
of the grid boundaries lies on them.

>>> import geopandas as gpd, shapely
>>> from gridplan import Territory
>>> cells = gpd.GeoDataFrame({"pop": [1, 1, 1]}, crs="EPSG:32650",
...     geometry=[shapely.box(x, 0, x + 10, 10) for x in (0, 10, 20)])
>>> road = gpd.GeoDataFrame({"kind": ["major_road"]}, crs="EPSG:32650",
...     geometry=[shapely.LineString([(10, -5), (10, 15)])])
>>> t = Territory(cells, population="pop")
>>> mark_roads(t, roads=road)
{'road': 1, 'barrier': 0}
>>> sorted(t.graph.edges(data="road"))
[(0, 1, 'major_road'), (1, 2, None)]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from gridplan.errors import ColumnError
from gridplan.units.tessellate import _in_crs, _lines

if TYPE_CHECKING:
    from gridplan.territory import Territory

__all__ = ["mark_roads"]

_SAMPLES = (0.25, 0.75, 0.5)


def _shared_lines(territory: Territory) -> tuple[list[tuple[Any, Any]], np.ndarray]:
    """The graph's edges and the linear part of the boundary each pair shares."""
    edges = list(territory.graph.edges())
    geom = territory.units.geometry
    u = np.asarray(geom.loc[[a for a, _ in edges]].array, dtype=object)
    v = np.asarray(geom.loc[[b for _, b in edges]].array, dtype=object)
    shared = shapely.intersection(shapely.boundary(u), shapely.boundary(v))
    mixed = np.flatnonzero(shapely.get_type_id(shared) == 7)  # lines with stray points
    for k in mixed.tolist():
        parts = [p for p in shapely.get_parts(shared[k]) if shapely.get_dimensions(p) == 1]
        shared[k] = shapely.union_all(parts) if parts else shapely.LineString()
    return edges, shared


def _near(
    shared: np.ndarray, layer: gpd.GeoDataFrame, column: str | None, tolerance: float, what: str
) -> np.ndarray:
    """Class of the line each shared boundary lies on (``None`` where it lies on none)."""
    if column is not None and column not in layer.columns:
        raise ColumnError(
            f"{what} class column {column!r} is not in the {what} layer; it has: "
            f"{', '.join(str(c) for c in layer.columns if c != layer.geometry.name)}."
        )
    lines = _lines(layer, what)
    classes = (
        layer[column].astype(str).to_numpy() if column is not None else np.full(len(lines), what)
    )
    out = np.full(len(shared), None, dtype=object)
    linear = np.flatnonzero(shapely.length(shared) > 0)
    if len(lines) == 0 or len(linear) == 0:
        return out
    tree = shapely.STRtree(lines)
    hits = np.zeros(len(linear), dtype=np.int64)
    cls = np.full(len(linear), None, dtype=object)
    for f in _SAMPLES:  # the midpoint comes last: its road names the class
        pts = shapely.line_interpolate_point(shared[linear], f, normalized=True)
        src, dst = tree.query_nearest(pts, max_distance=tolerance, all_matches=False)
        hits[src] += 1
        cls[src] = classes[dst]
    on = hits >= 2
    out[linear[on]] = cls[on]
    return out


def mark_roads(
    territory: Territory,
    roads: gpd.GeoDataFrame | None = None,
    barriers: gpd.GeoDataFrame | None = None,
    *,
    road_class: str | None = "kind",
    barrier_class: str | None = None,
    tolerance: float = 1.0,
) -> dict[str, int]:
    """Tag the edges of ``territory.graph`` lying on roads / barriers, in place.

    ``road_class`` / ``barrier_class`` name the layers' class column (``None``:
    the class is ``"road"`` / ``"barrier"``); a road layer without the default
    ``kind`` column falls back to ``"road"``. Layers are projected to the
    territory's CRS (a layer without CRS raises
    :class:`~gridplan.errors.CRSError`). Returns the number of edges tagged.
    """
    edges, shared = _shared_lines(territory)
    counts = {"road": 0, "barrier": 0}
    for attr, layer, column in (("road", roads, road_class), ("barrier", barriers, barrier_class)):
        data = _in_crs(layer, territory.crs, f"{attr}s")
        if data is None:
            continue
        if attr == "road" and column == "kind" and "kind" not in data.columns:
            column = None
        found = _near(shared, data, column, tolerance, attr)
        for (a, b), cls in zip(edges, found.tolist(), strict=True):
            territory.graph.edges[a, b][attr] = cls
        counts[attr] = int(sum(c is not None for c in found.tolist()))
    return counts
