"""Units from buildings: enclosed (morphological) tessellation of boundary polygons.

Roads and barriers (rivers, rail, water edges) split every boundary polygon
into *enclosures*; inside an enclosure every building claims the land nearer
to it than to any other building of that enclosure (a Voronoi diagram of
points sampled on the slightly shrunk footprints, dissolved per building and
clipped to the enclosure). Enclosures without a building stay as *open* units
(parks, water, squares) with zero counts, so the cells cover every boundary
completely, without gaps or overlaps.

This is the method of momepy's ``enclosures`` / ``enclosed_tessellation``
(Fleischmann et al., 2020, *Computers, Environment and Urban Systems* 80). It
is written here on shapely 2 (``polygonize``, ``voronoi_polygons``,
``coverage_union_all``) rather than by depending on momepy: momepy 1.x
requires libpysal (and with it scikit-learn, beautifulsoup4, requests...),
numpy >= 2 and pandas >= 2.3, a heavy tree for the few vectorised shapely
calls the method needs, and gridplan must also know *which* road separates
two cells (see :mod:`gridplan.units.roads`), which momepy does not record.

>>> import geopandas as gpd, shapely
>>> boundary = gpd.GeoDataFrame({"name": ["A"]}, geometry=[shapely.box(0, 0, 100, 50)],
...                             crs="EPSG:32650")
>>> road = gpd.GeoDataFrame({"kind": ["minor_road"]},
...                         geometry=[shapely.LineString([(50, -5), (50, 55)])], crs="EPSG:32650")
>>> bld = gpd.GeoDataFrame({"hh": [10, 20, 5]}, geometry=[shapely.box(10, 10, 20, 20),
...                        shapely.box(25, 30, 35, 40), shapely.Point(75, 25)], crs="EPSG:32650")
>>> cells = tessellate(boundary, bld, roads=road)
>>> cells["kind"].tolist(), cells["hh"].tolist(), round(float(cells.area.sum()), 6)
(['building', 'building', 'building'], [10.0, 20.0, 5.0], 5000.0)
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import Delaunay, cKDTree

from gridplan.crs import to_metric
from gridplan.errors import ColumnError, CRSError, GeometryError
from gridplan.errors import format_rows as _rows

__all__ = ["enclosures", "tessellate"]

log = logging.getLogger("gridplan")

_LINEAR = {"LineString", "MultiLineString", "LinearRing"}
_POLYGONAL = {"Polygon", "MultiPolygon"}


def _in_crs(gdf: gpd.GeoDataFrame | None, crs: Any, what: str) -> gpd.GeoDataFrame | None:
    """``gdf`` in ``crs``; a layer without a CRS is an error (never guessed)."""
    if gdf is None:
        return None
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise GeometryError(f"the {what} must be a GeoDataFrame, not {type(gdf).__name__}.")
    if gdf.crs is None:
        raise CRSError(
            f"the {what} layer has no coordinate reference system (CRS); set it with "
            "gdf.set_crs('EPSG:...') (EPSG:4326 for longitude/latitude)."
        )
    return gdf if gdf.crs == crs else gdf.to_crs(crs)


def _lines(gdf: gpd.GeoDataFrame | None, what: str) -> np.ndarray:
    """Line work of a layer: lines as they are, polygons by their boundary."""
    if gdf is None or len(gdf) == 0:
        return np.empty(0, dtype=object)
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    types = shapely.get_type_id(geoms)
    ok = np.isin(types, [1, 2, 3, 5, 6])  # lines, rings, polygons and their multi forms
    if not ok.all():
        bad = list(gdf.index[~ok])
        raise GeometryError(
            f"the {what} layer has geometries that are neither lines nor polygons in rows "
            f"{_rows(bad)}; remove them (points cannot split land).",
            rows=bad,
        )
    poly = np.isin(types, [3, 6])
    geoms = geoms.copy()
    geoms[poly] = shapely.boundary(geoms[poly])
    return geoms


def enclosures(boundary: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each boundary polygon by ``lines``: enclosure polygons and their boundary index.

    >>> import shapely
    >>> enc, parent = enclosures(np.array([shapely.box(0, 0, 10, 10)]),
    ...                          np.array([shapely.LineString([(5, -1), (5, 11)])]))
    >>> sorted(shapely.area(enc).tolist()), parent.tolist()
    ([50.0, 50.0], [0, 0])
    """
    tree = shapely.STRtree(lines) if len(lines) else None
    out: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    for i, poly in enumerate(boundary):
        cut = np.empty(0, dtype=object)
        if tree is not None:
            near = tree.query(poly, predicate="intersects")
            cut = shapely.intersection(lines[near], poly)
            cut = cut[~shapely.is_empty(cut)]
        if len(cut) == 0:
            faces = np.array(shapely.get_parts(poly), dtype=object)
        else:
            noded = shapely.union_all(np.concatenate([[shapely.boundary(poly)], cut]))
            faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
            inside = shapely.within(shapely.point_on_surface(faces), poly)
            faces = faces[inside]
        out.append(faces)
        owner.append(np.full(len(faces), i, dtype=np.int64))
    if not out:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    return np.concatenate(out), np.concatenate(owner)


def _seeds(geoms: np.ndarray, shrink: float, segment: float) -> tuple[np.ndarray, np.ndarray]:
    """Points sampled on shrunk footprints (points stay points) and their building position."""
    poly = np.isin(shapely.get_type_id(geoms), [3, 6])
    shapes = geoms.copy()
    if poly.any() and shrink > 0:
        small = shapely.buffer(geoms[poly], -shrink)
        gone = shapely.is_empty(small)
        small[gone] = geoms[poly][gone]
        shapes[poly] = small
    shapes[poly] = shapely.segmentize(shapely.boundary(shapes[poly]), segment)
    coords, owner = shapely.get_coordinates(shapes, return_index=True)
    # A ring repeats its first point; identical points of two buildings keep the first.
    _, first = np.unique(coords, axis=0, return_index=True)
    first.sort()
    return coords[first], owner[first]


def _voronoi_ridges(pts: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Voronoi ridges between seeds of different owners (both >= 0), as line segments.

    Computed from the Delaunay triangulation: the ridge between two seeds joins
    the circumcentres of the two triangles sharing their edge (edges on the
    hull have no finite ridge and are skipped).
    """
    tri = Delaunay(pts)
    s = tri.simplices
    p0, p1, p2 = pts[s[:, 0]], pts[s[:, 1]], pts[s[:, 2]]
    d = 2 * (
        p0[:, 0] * (p1[:, 1] - p2[:, 1])
        + p1[:, 0] * (p2[:, 1] - p0[:, 1])
        + p2[:, 0] * (p0[:, 1] - p1[:, 1])
    )
    n0, n1, n2 = (p0**2).sum(1), (p1**2).sum(1), (p2**2).sum(1)
    ux = (n0 * (p1[:, 1] - p2[:, 1]) + n1 * (p2[:, 1] - p0[:, 1]) + n2 * (p0[:, 1] - p1[:, 1])) / d
    uy = (n0 * (p2[:, 0] - p1[:, 0]) + n1 * (p0[:, 0] - p2[:, 0]) + n2 * (p1[:, 0] - p0[:, 0])) / d
    centre = np.column_stack([ux, uy])
    t, k = np.nonzero(tri.neighbors > np.arange(len(s))[:, None])  # each shared edge once
    other = tri.neighbors[t, k]
    oa, ob = owner[s[t, (k + 1) % 3]], owner[s[t, (k + 2) % 3]]
    keep = (oa != ob) & (oa >= 0) & (ob >= 0)
    t, other = t[keep], other[keep]
    return shapely.linestrings(np.stack([centre[t], centre[other]], axis=1))


def _faces(enclosure: Any, segs: np.ndarray, full: bool = False) -> np.ndarray:
    """Faces of the enclosure cut by Voronoi segments.

    Voronoi ridges meet only at their ends, so only the clipped ones need
    noding with the outline; ``full=True`` nodes everything (for ridges that
    rounding made cross).
    """
    shapely.prepare(enclosure)
    outline = shapely.boundary(enclosure)
    if full:
        lines = shapely.get_parts(shapely.union_all(np.concatenate([[outline], segs])))
    else:
        inside = shapely.contains_properly(enclosure, segs)
        crossing = segs[~inside & shapely.intersects(enclosure, segs)]
        clipped = shapely.intersection(crossing, enclosure)
        ring = shapely.union_all(np.concatenate([[outline], clipped]))
        lines = np.concatenate([segs[inside], shapely.get_parts(ring)])
    faces = shapely.get_parts(shapely.polygonize(lines[shapely.length(lines) > 0]))
    return faces[shapely.within(shapely.point_on_surface(faces), enclosure)]


def _claim(enclosure: Any, geoms: np.ndarray, shrink: float, segment: float) -> np.ndarray:
    """One cell per building of one enclosure (the enclosure's land nearest to it).

    The Voronoi diagram of the seed points comes from qhull (scipy); only the
    ridges between seeds of *different* buildings are kept, noded with the
    enclosure's outline and polygonised, and each face goes to the building
    of the seed nearest to it. This dissolves the many cells of one building
    without a polygon union.
    """
    if len(geoms) == 1:
        return np.array([enclosure], dtype=object)
    coords, owner = _seeds(geoms, shrink, segment)
    cells = np.empty(len(geoms), dtype=object)
    seeded = len(np.unique(owner))  # a building whose points all repeat another's has none
    if seeded == 1:
        cells[owner[0]] = enclosure
        return cells
    x0, y0, x1, y1 = shapely.bounds(enclosure)
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, 4 * max(x1 - x0, y1 - y0, 1.0)
    frame = np.array([[cx - r, cy - r], [cx + r, cy - r], [cx + r, cy + r], [cx - r, cy + r]])
    segs = _voronoi_ridges(np.vstack([coords, frame]), np.concatenate([owner, [-1] * 4]))
    tree = cKDTree(coords)
    area = shapely.area(enclosure)
    for full in (False, True):
        faces = _faces(enclosure, segs, full)
        _, nearest = tree.query(shapely.get_coordinates(shapely.point_on_surface(faces)))
        face_owner = owner[nearest]
        whole = abs(shapely.area(faces).sum() - area) <= 1e-9 * area
        if whole and len(np.unique(face_owner)) == seeded:
            break
    order = np.argsort(face_owner, kind="stable")
    bounds = np.searchsorted(face_owner[order], np.arange(len(geoms) + 1))
    for b in range(len(geoms)):
        mine = faces[order[bounds[b] : bounds[b + 1]]]
        if len(mine) == 1:
            cells[b] = mine[0]
        elif len(mine) > 1:
            cells[b] = shapely.coverage_union_all(mine)
    return cells


def _check_boundary(geoms: np.ndarray, index: pd.Index) -> list[str]:
    """Overlapping boundaries are an error; gaps between them a warning (returned)."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="overlaps")
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left):
        shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
        big = shared > 1e-6 * np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
        if big.any():
            pairs = [(index[i], index[j]) for i, j in zip(left[big], right[big], strict=True)]
            raise GeometryError(
                f"boundary polygons overlap: {_rows(pairs)}; every piece of land must belong "
                "to one community. Fix the boundary layer (e.g. clip one by the other).",
                rows=[p[0] for p in pairs],
            )
    whole = shapely.union_all(geoms)
    holes = [shapely.Polygon(r) for p in shapely.get_parts(whole) for r in p.interiors]
    own = [r for p in geoms for q in shapely.get_parts(p) for r in q.interiors]
    gaps = [h for h in holes if not any(shapely.equals(h, shapely.Polygon(r)) for r in own)]
    return [
        f"gap of {shapely.area(h):,.0f} m² between boundary polygons near "
        f"({h.centroid.x:,.0f}, {h.centroid.y:,.0f}); it is left out of every unit"
        for h in gaps
    ]


def _locate(reps: np.ndarray, enc: np.ndarray, index: pd.Index) -> np.ndarray:
    """Enclosure position of each building point; buildings outside every boundary raise."""
    tree = shapely.STRtree(enc)
    b, e = tree.query(reps, predicate="intersects")
    where = np.full(len(reps), -1, dtype=np.int64)
    first = np.unique(b, return_index=True)[1]
    where[b[first]] = e[first]
    if (where < 0).any():
        bad = list(index[where < 0])
        raise GeometryError(
            f"{len(bad)} building(s) lie outside every boundary polygon: {_rows(bad)}; clip "
            "the buildings to the boundaries or add the missing boundary.",
            rows=bad,
        )
    return where


def tessellate(
    boundary: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame | None = None,
    barriers: gpd.GeoDataFrame | None = None,
    *,
    parent: str | None = None,
    shrink: float = 0.4,
    segment: float = 2.0,
    metric_crs: Any = None,
) -> gpd.GeoDataFrame:
    """One cell per building, tiling every boundary polygon; see the module docstring.

    ``boundary``: community/street polygons (``parent`` names their id column;
    their columns are copied to every cell). ``buildings``: footprints or points with their
    attributes (e.g. from :func:`~gridplan.units.join_register`). ``roads`` and
    ``barriers``: lines (or polygons, by their outline) that split the land.
    ``shrink`` (m) pulls footprints apart before sampling their outline every
    ``segment`` m. Everything is projected to the boundary's metric CRS.

    Returns cells indexed ``unit`` (the building's index as text, ``open-<n>``
    for enclosures without buildings) with the building columns (numeric ones
    0 in open cells), ``building`` (its index, missing when open), ``kind``
    (``"building"``/``"open"``), ``enclosure`` and the columns of the boundary
    polygon the cell lies in (its ``parent`` id, names, street codes...; a
    building column of the same name wins, except ``parent``).
    ``cells.attrs["warnings"]`` lists buildings crossing roads or boundaries
    (they are cut; the part beyond goes to neighbours) and gaps between
    boundary polygons.
    """
    if not isinstance(boundary, gpd.GeoDataFrame) or len(boundary) == 0:
        raise GeometryError("the boundary layer must be a non-empty GeoDataFrame of polygons.")
    if parent is not None and parent not in boundary.columns:
        raise ColumnError(f"parent={parent!r} is not a column of the boundary layer.")
    bnd, _ = to_metric(boundary, metric_crs=metric_crs, what="boundaries")
    crs = bnd.crs
    bld = _in_crs(buildings, crs, "buildings")
    assert bld is not None
    bgeoms = np.asarray(bnd.geometry.array, dtype=object)
    if not np.isin(shapely.get_type_id(bgeoms), [3, 6]).all():
        raise GeometryError("the boundary layer must hold polygons only.")
    warnings = _check_boundary(bgeoms, bnd.index)
    lines = np.concatenate(
        [
            _lines(_in_crs(roads, crs, "roads"), "roads"),
            _lines(_in_crs(barriers, crs, "barriers"), "barriers"),
        ]
    )
    enc, enc_parent = enclosures(bgeoms, lines)
    geoms = np.asarray(bld.geometry.array, dtype=object)
    _check_buildings(geoms, bld.index)
    reps = shapely.point_on_surface(geoms)
    where = _locate(reps, enc, bld.index)
    cells, crossing, nested = _cells(enc, where, geoms, shrink, segment, bld.index)
    cells, open_cells = _snap_across(cells, where, enc)
    if nested:
        warnings.append(
            f"{len(nested)} building(s) lie inside or on top of another building; their "
            f"footprint was cut out of that building's cell: {_rows(nested)}"
        )
    if crossing:
        warnings.append(
            f"{len(crossing)} building(s) cross a road, barrier or boundary and were cut "
            f"there: {_rows(crossing)}"
        )
    out = _table(bnd, bld, enc_parent, where, cells, open_cells, parent)
    out.attrs["warnings"] = warnings
    for w in warnings:
        log.warning("gridplan: %s", w)
    return out


def _check_buildings(geoms: np.ndarray, index: pd.Index) -> None:
    bad = shapely.is_empty(geoms) | ~np.isin(shapely.get_type_id(geoms), [0, 3, 6])
    if bad.any():
        rows = list(index[bad])
        raise GeometryError(
            f"buildings must be points or polygons, not empty or lines: rows {_rows(rows)}.",
            rows=rows,
        )


def _cells(
    enc: np.ndarray,
    where: np.ndarray,
    geoms: np.ndarray,
    shrink: float,
    segment: float,
    index: pd.Index,
) -> tuple[np.ndarray, list[Hashable], list[Hashable]]:
    cells = np.empty(len(geoms), dtype=object)
    order = np.argsort(where, kind="stable")
    bounds = np.searchsorted(where[order], np.arange(len(enc) + 1))
    crossing: list[Hashable] = []
    for e in np.flatnonzero(np.diff(bounds)).tolist():
        members = order[bounds[e] : bounds[e + 1]]
        own = geoms[members]
        poly = np.isin(shapely.get_type_id(own), [3, 6])
        clipped = own.copy()
        if poly.any():
            cut = ~shapely.covers(enc[e], own[poly])
            if cut.any():
                crossing += list(index[members[poly][cut]])
                clipped[poly] = shapely.intersection(own[poly], enc[e])
        cells[members] = _claim(enc[e], clipped, shrink, segment)
    nested = _carve_lost(cells, geoms, where)
    lost = np.array([c is None or shapely.is_empty(c) for c in cells])
    if lost.any():
        rows = list(index[lost])
        raise GeometryError(
            f"{len(rows)} building(s) coincide with other buildings and get no land: "
            f"{_rows(rows)}; merge duplicate points (one row per building).",
            rows=rows,
        )
    return cells, crossing, list(index[nested])


def _carve_lost(cells: np.ndarray, geoms: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Footprints inside or on top of another building become their own cell, in place.

    A building whose sample points all fall in another's cell gets no land of
    its own; its footprint is cut out of the cell that holds it. Returns the
    positions of those buildings.
    """
    lost = np.flatnonzero([c is None or shapely.is_empty(c) for c in cells])
    done = []
    for b in lost.tolist():
        if shapely.get_type_id(geoms[b]) not in (3, 6):
            continue  # a point: nothing to carve
        same = [
            h
            for h in np.flatnonzero(where == where[b]).tolist()
            if h != b and cells[h] is not None and shapely.intersects(cells[h], geoms[b])
        ]
        # The cell holding most of the footprint gives it up, if it keeps land of its own.
        same.sort(key=lambda h: -shapely.area(shapely.intersection(cells[h], geoms[b])))
        for host in same:
            own = shapely.intersection(cells[host], geoms[b])
            rest = shapely.difference(cells[host], geoms[b])
            if shapely.area(own) > 0 and shapely.area(rest) > 0:
                cells[b], cells[host] = own, rest
                done.append(b)
                break
    return np.array(done, dtype=np.int64)


def _snap_across(
    cells: np.ndarray, where: np.ndarray, enc: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Building cells and open enclosures, with shared outlines made vertex-identical.

    Each enclosure's cells are cut from its outline separately, so the corners
    that Voronoi ridges put on a road are computed twice, once per side, a
    hair apart: two cells facing each other across a road would share no
    boundary of positive length (no contiguity edge, no road mark). Every
    cell is snapped (within 1e-6 m) to the outline vertices of the cells of
    the other enclosures it touches, so both sides hold the same vertices.
    """
    taken = np.zeros(len(enc), dtype=bool)
    taken[where] = True
    empty = np.flatnonzero(~taken)
    geoms = np.concatenate([cells, enc[empty]])
    owner = np.concatenate([where, empty])
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=_SNAP)
    keep = owner[left] != owner[right]
    order = np.lexsort((right[keep], left[keep]))
    left, right = left[keep][order], right[keep][order]
    coords, idx = shapely.get_coordinates(shapely.boundary(geoms), return_index=True)
    starts = np.searchsorted(idx, np.arange(len(geoms) + 1))
    # the outline vertices of every neighbour, gathered per cell: one multipoint each
    count = starts[right + 1] - starts[right]
    first = np.repeat(starts[right] - np.cumsum(count) + count, count)
    points = coords[first + np.arange(count.sum())]
    owner_of = np.repeat(left, count)
    cells_hit = np.unique(left)
    refs = shapely.multipoints(points, indices=np.searchsorted(cells_hit, owner_of))
    out = geoms.copy()
    out[cells_hit] = shapely.snap(geoms[cells_hit], refs, _SNAP)
    return out[: len(cells)], (empty, out[len(cells) :])


_SNAP = 1e-6  # metres: far below survey precision, far above floating-point noding error


def _table(
    bnd: gpd.GeoDataFrame,
    bld: gpd.GeoDataFrame,
    enc_parent: np.ndarray,
    where: np.ndarray,
    cells: np.ndarray,
    open_cells: tuple[np.ndarray, np.ndarray],
    parent: str | None,
) -> gpd.GeoDataFrame:
    attrs = pd.DataFrame(bld.drop(columns=bld.geometry.name))
    attrs.insert(0, "building", bld.index.to_numpy())
    attrs["kind"] = "building"
    attrs["enclosure"] = where
    empty, empty_geoms = open_cells
    opened = pd.DataFrame({"building": [None] * len(empty), "kind": "open", "enclosure": empty})
    numeric = [
        c
        for c in attrs.columns
        if c not in ("building", "enclosure") and pd.api.types.is_numeric_dtype(attrs[c])
    ]
    for c in numeric:
        opened[c] = 0
    table = pd.concat([attrs.reset_index(drop=True), opened], ignore_index=True)
    for c in numeric:
        table[c] = table[c].astype(float)
    rows = enc_parent[table["enclosure"].to_numpy()]
    for c in bnd.columns:  # the boundary's id, names and codes (community_name, street...)
        if c != bnd.geometry.name and (c == parent or c not in table.columns):
            table[c] = bnd[c].to_numpy()[rows]
    ids = [str(v) for v in bld.index] + [f"open-{e}" for e in empty.tolist()]
    table.index = pd.Index(ids, name="unit")
    geometry = np.concatenate([cells, empty_geoms])
    return gpd.GeoDataFrame(table, geometry=geometry, crs=bnd.crs)
