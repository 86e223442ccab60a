"""Walking distances over a street network.

:func:`walking_network` builds a :class:`Network` from road lines (a
GeoDataFrame, any vector file, or an OpenStreetMap ``.osm.pbf``): walkable
lines are kept, noded where they meet, measured in metres in a metric CRS and
stored as a scipy sparse graph. Points (homes, grids, sites) are snapped to the
nearest *edge*, not the nearest node; the snap distance is part of every route.
:meth:`Network.distances` runs ``scipy.sparse.csgraph.dijkstra`` from the
smaller side, in chunks. Unreachable pairs are ``inf``, never 0.

>>> import geopandas as gpd
>>> from shapely.geometry import LineString, Point
>>> roads = gpd.GeoDataFrame(
...     geometry=[LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)])], crs=32651)
>>> net = walking_network(roads)
>>> net
<Network 3 nodes, 2 edges, 200 m of street, 1 piece, EPSG:32651>
>>> homes = gpd.GeoSeries([Point(20, 5)], index=["home"], crs=32651)
>>> sites = gpd.GeoSeries([Point(105, 80), Point(900, 900)], index=["S1", "far"], crs=32651)
>>> net.distances(homes, sites).round(1).to_dict("index")  # 5 + 80 + 80 + 5 m; far is unsnapped
{'home': {'S1': 170.0, 'far': inf}}
"""

from __future__ import annotations

import logging
import numbers
import os
from collections.abc import Collection, Iterator
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from gridplan.crs import to_metric
from gridplan.errors import ColumnError, ConfigError, CRSError, GeometryError, NetworkError
from gridplan.errors import format_rows as _rows

__all__ = ["WALK_EXCLUDE", "Network", "walking_network"]

log = logging.getLogger("gridplan")

#: ``highway`` values left out of the walking network by default (as in common OSM
#: walking filters): motorways, roads not built or gone, and non-ways.
WALK_EXCLUDE = frozenset(
    {
        "motorway",
        "motorway_link",
        "construction",
        "proposed",
        "planned",
        "abandoned",
        "razed",
        "raceway",
        "bus_guideway",
        "bus_stop",
        "services",
        "rest_area",
        "cycleway",
        "no",
    }
)
_FOOT_NO = r'"foot"=>"(?:no|private)"'
_CHUNK = 128  # points of the smaller side per dijkstra call (memory ~ 2 * _CHUNK * nodes)

Noding = Literal["crossings", "vertices"]


# --------------------------------------------------------------------------- reading


def _read(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Lines of a vector file; ``.pbf`` / ``.osm`` through GDAL's OSM driver (layer "lines")."""
    import pyogrio

    p = os.fspath(path)
    if not os.path.exists(p):
        raise ConfigError(f"roads file {p!r} does not exist")
    if p.lower().endswith((".pbf", ".osm")):
        return pyogrio.read_dataframe(
            p,
            layer="lines",
            columns=["highway", "other_tags"],
            where="highway IS NOT NULL",
            on_invalid="ignore",
        )
    return gpd.read_file(p)


def _walkable(
    roads: gpd.GeoDataFrame, tag_column: str, include: Collection[str] | None, exclude: Any
) -> np.ndarray:
    """Rows kept by the walking filter (logged with the counts)."""
    if tag_column not in roads.columns:
        if include is not None:
            raise ColumnError(
                f"roads have no {tag_column!r} column to filter on (have {list(roads.columns)}); "
                "pass tag_column=... naming the road-type column, or include=None to use every line"
            )
        log.info("gridplan: roads have no %r column; every line is walkable", tag_column)
        return np.ones(len(roads), dtype=bool)
    tags = roads[tag_column]
    keep = tags.notna().to_numpy().copy()
    values = tags.astype(str)
    if include is not None:
        keep &= values.isin(set(include)).to_numpy()
    else:
        keep &= ~values.isin(set(exclude)).to_numpy()
    if "foot" in roads.columns:
        keep &= ~roads["foot"].isin(["no", "private"]).to_numpy()
    if "other_tags" in roads.columns:
        other = roads["other_tags"].fillna("").astype(str)
        keep &= ~other.str.contains(_FOOT_NO, regex=True).to_numpy()
    log.info(
        "gridplan: %d of %d road lines are walkable (by %r)",
        int(keep.sum()),
        len(roads),
        tag_column,
    )
    return keep


def _line_parts(roads: gpd.GeoDataFrame) -> np.ndarray:
    """2-D LineStrings of the roads: multi-lines split, Z dropped; other shapes are errors."""
    geoms = np.asarray(roads.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        log.warning(
            "gridplan: %d road rows have no geometry and are left out: %s",
            int(missing.sum()),
            _rows(roads.index[missing]),
        )
    geoms = geoms[~missing]
    kinds = shapely.get_type_id(geoms)
    bad = ~np.isin(kinds, [1, 2, 5])
    if bad.any():
        rows = roads.index[~missing][bad]
        names = sorted(set(shapely.get_type_id(geoms[bad]).tolist()))
        raise GeometryError(
            f"roads must be lines; rows {_rows(rows)} are other shapes (type ids {names}). "
            "Drop them, or keep their outline with gdf.geometry.boundary",
            rows=list(rows),
        )
    if shapely.has_z(geoms).any():
        log.info("gridplan: road lines with Z values: heights are ignored (2-D lengths)")
        geoms = shapely.force_2d(geoms)
    parts = shapely.get_parts(geoms)
    parts = parts[~shapely.is_empty(parts)]
    return parts


def _node_vertices(lines: np.ndarray, grid: float) -> np.ndarray:
    """Split lines at vertices shared with another line (or repeated): OSM topology.

    Lines that cross without a shared vertex (bridges, tunnels) stay apart.
    """
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    _, node = np.unique(np.round(coords / grid), axis=0, return_inverse=True)
    node = node.ravel()
    first = np.r_[True, owner[1:] != owner[:-1]]
    last = np.r_[owner[1:] != owner[:-1], True]
    split = first | last | (np.bincount(node, minlength=node.max() + 1)[node] > 1)
    seg = np.flatnonzero(~last)  # segment j joins vertex j and j + 1
    run = np.cumsum(split[seg]) - 1
    run_end = np.r_[run[1:] != run[:-1], True]
    vert = np.r_[seg, seg[run_end] + 1]
    label = np.r_[run, run[run_end]]
    order = np.lexsort((vert, label))
    return shapely.linestrings(coords[vert[order]], indices=label[order])


def _node_crossings(lines: np.ndarray, grid: float) -> np.ndarray:
    """Node lines wherever they meet or cross (planar noding, to ``grid`` metres)."""
    merged = shapely.union_all(lines, grid_size=grid)
    parts = shapely.get_parts(merged)
    return parts[shapely.get_type_id(parts) == 1]


# --------------------------------------------------------------------------- the network


class Network:
    """A walking network: edges in metres and a symmetric scipy sparse graph.

    Build it with :func:`walking_network`. Attributes:

    ``edges``
        GeoDataFrame, one row per street segment between two nodes: ``u``, ``v``
        (node numbers; the geometry runs from ``u`` to ``v``), ``length_m``, ``piece``.
    ``nodes``
        GeoDataFrame of node points with their ``piece``.
    ``graph``
        ``scipy.sparse.csr_array`` (nodes × nodes), the shortest parallel edge's length.
    ``pieces``
        Connected pieces, largest first: ``nodes``, ``edges``, ``length_m``, ``share``.
    ``max_snap``
        Points farther than this (metres) from every edge are unreachable (``inf``).
    """

    def __init__(self, edges: np.ndarray, crs: Any, max_snap: float, grid: float = 0.01) -> None:
        edges = edges[shapely.length(edges) > 0]
        if len(edges) == 0:
            raise NetworkError(
                "the walking network is empty: no road line is left after the walking filter. "
                "Check tag_column/include/exclude, or that the file holds streets"
            )
        ends = np.concatenate(
            [shapely.get_coordinates(shapely.get_point(edges, i)) for i in (0, -1)]
        )
        keys, node = np.unique(np.round(ends / grid), axis=0, return_inverse=True)
        node = node.ravel()
        m = len(edges)
        u, v = node[:m], node[m:]
        length = shapely.length(edges)
        n = len(keys)
        xy = np.zeros((n, 2))
        xy[node[::-1]] = ends[::-1]  # first-seen coordinates of each node
        self.crs = crs
        self.max_snap = float(max_snap)
        self.graph = self._graph(u, v, length, n)
        count, label = csgraph.connected_components(self.graph, directed=False)
        # pieces numbered by total street length, largest first
        piece_len = np.bincount(label[u], length, count)
        rank = np.empty(count, dtype=np.int64)
        rank[np.lexsort((np.arange(count), -piece_len))] = np.arange(count)
        label = rank[label]
        self.edges = gpd.GeoDataFrame(
            {"u": u, "v": v, "length_m": length, "piece": label[u]}, geometry=edges, crs=crs
        )
        self.nodes = gpd.GeoDataFrame({"piece": label}, geometry=shapely.points(xy), crs=crs)
        self._u, self._v, self._len = u, v, length
        self._tree = shapely.STRtree(edges)
        self.pieces = self._pieces(label, u, length)
        if len(self.pieces) > 1:
            p = self.pieces
            log.warning(
                "gridplan: the walking network is in %d pieces; the largest holds %.1f%% of "
                "the street length (pieces by length: %s). Points on different pieces "
                "cannot reach each other (inf)",
                len(p),
                100 * p["share"].iloc[0],
                ", ".join(f"{x:,.0f} m" for x in p["length_m"].head(8)),
            )

    @staticmethod
    def _graph(u: np.ndarray, v: np.ndarray, length: np.ndarray, n: int) -> sparse.csr_array:
        """Symmetric graph keeping the shortest of parallel edges (no summed duplicates)."""
        a, b = np.minimum(u, v), np.maximum(u, v)
        keep = a != b
        a, b, w = a[keep], b[keep], length[keep]
        order = np.lexsort((w, b, a))
        a, b, w = a[order], b[order], w[order]
        first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
        a, b, w = a[first], b[first], w[first]
        return sparse.csr_array((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))

    @staticmethod
    def _pieces(label: np.ndarray, u: np.ndarray, length: np.ndarray) -> pd.DataFrame:
        count = int(label.max()) + 1
        total = float(length.sum())
        by_len = np.bincount(label[u], length, count)
        df = pd.DataFrame(
            {
                "nodes": np.bincount(label, minlength=count),
                "edges": np.bincount(label[u], minlength=count),
                "length_m": by_len,
                "share": by_len / total,
            },
            index=pd.RangeIndex(count, name="piece"),
        )
        return df

    def __repr__(self) -> str:
        k = len(self.pieces)
        crs = self.crs.to_string() if self.crs is not None else "no CRS"
        return (
            f"<Network {len(self.nodes)} nodes, {len(self.edges)} edges, "
            f"{self._len.sum():,.0f} m of street, {k} piece{'s' * (k != 1)}, {crs}>"
        )

    # ------------------------------------------------------------------ snapping
    def _points(self, points: Any, what: str) -> tuple[np.ndarray, pd.Index]:
        """Point geometries in the network CRS (polygons by a point on their surface)."""
        if isinstance(points, gpd.GeoDataFrame):
            points = points.geometry
        if not isinstance(points, gpd.GeoSeries):
            raise GeometryError(f"{what} must be a GeoDataFrame or GeoSeries, got {type(points)}")
        if points.crs is None:
            raise CRSError(f"{what} have no CRS; set it (e.g. .set_crs('EPSG:4326')) first")
        if points.crs != self.crs:
            points = points.to_crs(self.crs)
        geoms = np.asarray(points.values, dtype=object)
        bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if bad.any():
            rows = points.index[bad]
            raise GeometryError(f"{what} have missing/empty geometries: {_rows(rows)}", list(rows))
        is_point = shapely.get_type_id(geoms) == 0
        return np.where(is_point, geoms, shapely.point_on_surface(geoms)), points.index

    def snap(
        self, points: Any, max_snap: float | None = None, what: str = "points"
    ) -> pd.DataFrame:
        """Nearest edge of each point: ``edge``, ``offset_m`` (from the edge's ``u`` end),
        ``snap_m`` (point to edge), ``piece``; ``edge`` is -1 beyond ``max_snap`` (listed
        in a logged warning; those points are unreachable).

        >>> import geopandas as gpd
        >>> from shapely.geometry import LineString, Point
        >>> net = walking_network(gpd.GeoDataFrame(
        ...     geometry=[LineString([(0, 0), (100, 0)])], crs=32651))
        >>> net.snap(gpd.GeoSeries([Point(30, 4)], crs=32651)).to_dict("records")
        [{'edge': 0, 'offset_m': 30.0, 'snap_m': 4.0, 'piece': 0}]
        """
        limit = self.max_snap if max_snap is None else float(max_snap)
        pts, index = self._points(points, what)
        which, edge = self._tree.query_nearest(pts, max_distance=limit, all_matches=False)
        e = np.full(len(pts), -1, dtype=np.int64)
        e[which] = edge
        ok = e >= 0
        geoms = np.asarray(self.edges.geometry.values, dtype=object)
        offset = np.full(len(pts), np.nan)
        snap = np.full(len(pts), np.nan)
        offset[ok] = shapely.line_locate_point(geoms[e[ok]], pts[ok])
        snap[ok] = shapely.distance(geoms[e[ok]], pts[ok])
        piece = np.where(ok, self.edges["piece"].to_numpy()[np.maximum(e, 0)], -1)
        if not ok.all():
            far = np.flatnonzero(~ok)
            _, near = self._tree.query_nearest(pts[far], all_matches=False)
            gap = shapely.distance(geoms[near], pts[far])
            log.warning(
                "gridplan: %d %s are farther than max_snap=%g m from every street and count as "
                "unreachable (inf): %s (nearest street %s m). Add the missing streets or raise "
                "max_snap",
                len(far),
                what,
                limit,
                _rows(index[far]),
                ", ".join(f"{g:,.0f}" for g in gap[:10]),
            )
        return pd.DataFrame(
            {"edge": e, "offset_m": offset, "snap_m": snap, "piece": piece}, index=index
        )

    # ------------------------------------------------------------------ distances
    def _ends(self, s: pd.DataFrame) -> tuple[np.ndarray, ...]:
        """Per snapped point: edge, u, v, distance to u, distance to v, snap (unsnapped: -1)."""
        e = s["edge"].to_numpy()
        ok = e >= 0
        ei = np.maximum(e, 0)
        t = np.nan_to_num(s["offset_m"].to_numpy())
        return e, self._u[ei], self._v[ei], t, self._len[ei] - t, np.where(ok, s["snap_m"], np.inf)

    def _node_distances(self, nodes: np.ndarray, limit: float | None) -> np.ndarray:
        return csgraph.dijkstra(
            self.graph, directed=False, indices=nodes, limit=np.inf if limit is None else limit
        )

    def _blocks(
        self, small: pd.DataFrame, large: pd.DataFrame, limit: float | None
    ) -> Iterator[tuple[slice, np.ndarray]]:
        """Distance blocks (chunk of the smaller side × all of the larger side)."""
        se, su, sv, s_tu, s_tv, s_snap = self._ends(small)
        le, lu, lv, l_tu, l_tv, l_snap = self._ends(large)
        for start in range(0, len(small), _CHUNK):
            c = slice(start, start + _CHUNK)
            nodes, inv = np.unique(np.r_[su[c], sv[c]], return_inverse=True)
            k = len(su[c])
            dist = self._node_distances(nodes, limit)
            du, dv = dist[inv[:k]], dist[inv[k:]]
            best = np.minimum(
                np.minimum(s_tu[c, None] + du[:, lu] + l_tu, s_tu[c, None] + du[:, lv] + l_tv),
                np.minimum(s_tv[c, None] + dv[:, lu] + l_tu, s_tv[c, None] + dv[:, lv] + l_tv),
            )
            same = se[c, None] == le[None, :]
            if same.any():
                along = np.abs(s_tu[c, None] - l_tu[None, :])
                best = np.where(same, np.minimum(best, along), best)
            best += s_snap[c, None] + l_snap[None, :]
            if limit is not None:
                best[best > limit] = np.inf
            yield c, best

    def distances(
        self,
        origins: Any,
        destinations: Any,
        limit: float | None = None,
        *,
        sparse_result: bool = False,
        max_snap: float | None = None,
    ) -> Any:
        """Walking distance in metres from each origin to each destination.

        Returns a DataFrame indexed by ``origins``' index with one column per
        destination (``inf`` = unreachable: farther than ``limit``, on another
        piece, or beyond ``max_snap`` from every street). With
        ``sparse_result=True`` a ``scipy.sparse.csr_array`` holding only the
        reachable pairs (a missing entry is unreachable, not 0; zeros are stored).
        Each route is snap + along the edge + over the graph + along the edge + snap.

        >>> import geopandas as gpd
        >>> from shapely.geometry import LineString, Point
        >>> net = walking_network(gpd.GeoDataFrame(
        ...     geometry=[LineString([(0, 0), (100, 0)])], crs=32651))
        >>> a = gpd.GeoSeries([Point(10, 3), Point(90, 0)], crs=32651)
        >>> net.distances(a, a, limit=50).to_numpy().tolist()
        [[6.0, inf], [inf, 0.0]]
        """
        real = isinstance(limit, numbers.Real) and not isinstance(limit, bool)
        if limit is not None and not (real and limit >= 0):
            raise ConfigError(f"limit must be a number of metres >= 0 or None, got {limit!r}")
        a = self.snap(origins, max_snap, "origins")
        b = self.snap(destinations, max_snap, "destinations")
        swap = len(a) > len(b)
        small, large = (b, a) if swap else (a, b)
        shape = (len(a), len(b))
        if sparse_result:
            empty = np.zeros(0, dtype=np.int64)
            rows, cols, vals = [empty], [empty], [np.zeros(0)]
            for c, block in self._blocks(small, large, limit):
                i, j = np.nonzero(np.isfinite(block))
                rows.append(i + (c.start or 0))
                cols.append(j)
                vals.append(block[i, j])
            r, q, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
            if swap:
                r, q = q, r
            return sparse.csr_array((w, (r, q)), shape=shape)
        out = np.full((len(small), len(large)), np.inf)
        for c, block in self._blocks(small, large, limit):
            out[c] = block
        if swap:
            out = out.T
        return pd.DataFrame(out, index=a.index, columns=b.index)

    # ------------------------------------------------------------------ catchments
    def reach(self, points: Any, limit: Any, max_snap: float | None = None) -> gpd.GeoDataFrame:
        """Street segments within ``limit`` metres' walk of each point (its catchment).

        ``limit`` is one number or one per point.
        One row per point (index as given): ``reach_m``, ``street_m`` (length of
        reachable street) and a MultiLineString of the reachable segments, partly
        reachable edges cut where the walk ends. Unsnapped points get an empty geometry.

        >>> import geopandas as gpd
        >>> from shapely.geometry import LineString, Point
        >>> net = walking_network(gpd.GeoDataFrame(
        ...     geometry=[LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)])],
        ...     crs=32651))
        >>> r = net.reach(gpd.GeoSeries([Point(90, 0)], index=["S1"], crs=32651), 50)
        >>> float(r.loc["S1", "street_m"])  # 50 m back along x, 10 m + 40 m up the corner
        100.0
        """
        s = self.snap(points, max_snap, "points")
        e, su, sv, tu, tv, snap = self._ends(s)
        geoms = np.asarray(self.edges.geometry.values, dtype=object)
        limits = np.broadcast_to(np.asarray(limit, dtype=float), (len(s),))
        out, lengths = [], []
        for i in range(len(s)):
            budget = limits[i] - snap[i]
            if not np.isfinite(budget) or budget < 0:
                out.append(shapely.MultiLineString())
                lengths.append(0.0)
                continue
            d = self._node_distances(np.array([su[i], sv[i]]), budget)
            node_d = np.minimum(d[0] + tu[i], d[1] + tv[i])
            spans = _reachable_spans(node_d[self._u], node_d[self._v], self._len, budget)
            own = (e[i], max(tu[i] - budget, 0.0), min(tu[i] + budget, self._len[e[i]]))
            parts, total = _cut(geoms, self._len, [*spans, own])
            out.append(shapely.multilinestrings(parts))
            lengths.append(total)
        return gpd.GeoDataFrame(
            {"reach_m": limits, "street_m": lengths},
            geometry=out,
            index=s.index,
            crs=self.crs,
        )


def _reachable_spans(
    du: np.ndarray, dv: np.ndarray, length: np.ndarray, budget: float
) -> list[tuple[int, float, float]]:
    """(edge, start, end) spans within ``budget`` given the distances of its two ends."""
    ru = np.nan_to_num(np.clip(budget - du, 0, None), posinf=0.0)
    rv = np.nan_to_num(np.clip(budget - dv, 0, None), posinf=0.0)
    ru[~np.isfinite(du)] = 0.0
    rv[~np.isfinite(dv)] = 0.0
    spans = [(int(j), 0.0, float(ru[j])) for j in np.flatnonzero(ru > 0)]
    spans += [(int(j), float(length[j] - rv[j]), float(length[j])) for j in np.flatnonzero(rv > 0)]
    return spans


def _cut(
    geoms: np.ndarray, length: np.ndarray, spans: list[tuple[int, float, float]]
) -> tuple[list[Any], float]:
    """Merge overlapping spans of each edge and cut them out; (lines, total length)."""
    from shapely import ops

    parts: list[Any] = []
    total = 0.0
    for j, lo, hi in _merged(spans):
        a, b = max(lo, 0.0), min(hi, float(length[j]))
        if b - a <= 0:
            continue
        whole = a <= 0 and b >= length[j]
        parts.append(geoms[j] if whole else ops.substring(geoms[j], a, b))
        total += b - a
    return parts, total


def _merged(spans: list[tuple[int, float, float]]) -> list[tuple[int, float, float]]:
    """Union of intervals per edge, in edge order."""
    out: list[tuple[int, float, float]] = []
    for j, a, b in sorted(spans):
        if out and out[-1][0] == j and a <= out[-1][2]:
            out[-1] = (j, out[-1][1], max(out[-1][2], b))
        else:
            out.append((j, a, b))
    return out


def _wgs84_utm(roads: gpd.GeoDataFrame) -> str | None:
    """The standard WGS 84 UTM zone of longitude/latitude roads, from the centre of their
    extent (``estimate_utm_crs`` without its slow database search; the Norway and Svalbard
    zone exceptions are not applied); None for any other CRS."""
    if roads.crs is None or roads.crs.to_epsg() != 4326 or len(roads) == 0:
        return None
    minx, miny, maxx, maxy = roads.total_bounds
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    if not (-180 <= lon <= 180 and -80 <= lat <= 84):
        return None  # polar or not degrees: let to_metric decide (and explain)
    zone = min(int((lon + 180) // 6), 59) + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def walking_network(
    roads: gpd.GeoDataFrame | str | os.PathLike[str],
    *,
    tag_column: str = "highway",
    include: Collection[str] | None = None,
    exclude: Collection[str] = WALK_EXCLUDE,
    noding: Noding | None = None,
    max_snap: float = 250.0,
    crs: Any = None,
    metric_crs: Any = None,
) -> Network:
    """Build the walking :class:`Network` of ``roads``.

    Parameters
    ----------
    roads
        Road lines (LineStrings, MultiLineStrings, with or without Z) as a
        GeoDataFrame, or a path: ``.osm.pbf`` / ``.osm`` (read with GDAL, layer
        ``"lines"``) or any vector file.
    tag_column, include, exclude
        The walking filter: rows whose ``tag_column`` is in ``include`` (when
        given) or not in ``exclude`` (default :data:`WALK_EXCLUDE`: motorways,
        cycleways, roads under construction...). Rows with no tag are left out;
        without the column every line is walkable. OSM ``foot=no`` / ``private``
        is always left out. For Tilezen-style layers use e.g.
        ``tag_column="kind", include={"path", "minor_road", "major_road"}``.
    noding
        ``"crossings"``: lines are joined wherever they meet or cross (right for
        drawn or cut data); ``"vertices"``: only at shared vertices (OSM topology,
        bridges and tunnels stay apart). Default: ``"vertices"`` for OSM files,
        ``"crossings"`` otherwise.
    max_snap
        Points farther than this many metres from every street are unreachable.
    crs, metric_crs
        Declare a missing CRS / force the metric CRS (by default roads in degrees
        are projected to their UTM zone, as :class:`~gridplan.Territory` does).

    Raises
    ------
    CRSError
        The roads have no CRS (and ``crs`` is not given) or an unusable one.
    GeometryError
        Rows that are not lines (named).
    NetworkError
        Nothing walkable is left.
    """
    osm = isinstance(roads, (str, os.PathLike)) and os.fspath(roads).lower().endswith(
        (".pbf", ".osm")
    )
    if isinstance(roads, (str, os.PathLike)):
        roads = _read(roads)
    if not isinstance(roads, gpd.GeoDataFrame):
        raise GeometryError(f"roads must be a GeoDataFrame or a file path, got {type(roads)}")
    if not (
        isinstance(max_snap, numbers.Real) and not isinstance(max_snap, bool) and max_snap >= 0
    ):
        raise ConfigError(f"max_snap must be a number of metres >= 0, got {max_snap!r}")
    noding = noding or ("vertices" if osm else "crossings")
    if noding not in ("crossings", "vertices"):
        raise ConfigError(f"noding must be 'crossings' or 'vertices', got {noding!r}")
    if len(roads) == 0:
        raise NetworkError("the roads layer is empty: a walking network needs street lines")
    if metric_crs is None:
        metric_crs = _wgs84_utm(roads)
    roads, note = to_metric(roads, crs=crs, metric_crs=metric_crs, what="roads")
    if note:
        log.info("gridplan: roads %s for lengths in metres", note)
    roads = roads[_walkable(roads, tag_column, include, exclude)]
    lines = _line_parts(roads)
    if len(lines) == 0:
        raise NetworkError(
            f"no walkable road line is left (filter on {tag_column!r}: include={include!r}); "
            "check the filter or the file"
        )
    grid = 0.01
    edges = _node_vertices(lines, grid) if noding == "vertices" else _node_crossings(lines, grid)
    return Network(edges, roads.crs, max_snap, grid)
