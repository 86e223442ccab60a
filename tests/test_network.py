"""Walking network: noding, snapping to edges, distances equal networkx shortest paths."""

from __future__ import annotations

import logging
from collections import defaultdict

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from gridplan.errors import ConfigError, CRSError, GeometryError, NetworkError
from gridplan.network import walking_network

CRS = 32651


def _streets() -> gpd.GeoDataFrame:
    """A 5 × 5 street grid (100 m) drawn as long crossing lines, a diagonal, a curved
    street parallel to a block side, a Z line, a multi-line, and a separate piece."""
    lines = [LineString([(0, y), (400, y)]) for y in range(0, 500, 100)]
    lines += [LineString([(x, 0), (x, 400)]) for x in range(0, 500, 100)]
    lines.append(LineString([(0, 0), (200, 200)]))  # diagonal through two crossings
    lines.append(LineString([(100, 300), (150, 360), (200, 300)]))  # a longer parallel
    lines.append(LineString([(400, 0, 5.0), (520, 0, 8.0)]))  # Z values
    lines.append(MultiLineString([[(520, 0), (520, 90)], [(520, 90), (600, 90)]]))
    lines.append(LineString([(2000, 2000), (2300, 2000)]))  # another piece
    kinds = ["residential"] * 10 + ["footway", "service", "steps", "path", "footway"]
    return gpd.GeoDataFrame({"highway": kinds}, geometry=lines, crs=CRS)


def _points(n: int, seed: int, prefix: str) -> gpd.GeoSeries:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-30, 630, size=(n, 2))
    pts = [Point(x, y) for x, y in xy]
    pts += [Point(2100, 2010), Point(250, 0), Point(1000, 1000)]  # other piece, on edge, far
    return gpd.GeoSeries(pts, index=[f"{prefix}{i}" for i in range(len(pts))], crs=CRS)


def _reference(net, origins, destinations) -> pd.DataFrame:
    """networkx on the same edges, each edge cut at the snapped points (an independent model)."""
    g = nx.MultiGraph()
    on_edge = defaultdict(list)
    for tag, pts in (("o", origins), ("d", destinations)):
        s = net.snap(pts)
        for name, row in s.iterrows():
            g.add_node((tag, name))
            if row.edge >= 0:
                on_edge[int(row.edge)].append((row.offset_m, (tag, name, "q")))
                g.add_edge((tag, name), (tag, name, "q"), weight=row.snap_m)
    for j, e in enumerate(net.edges.itertuples()):
        marks = sorted(on_edge.get(j, []))
        chain = [int(e.u), *[q for _, q in marks], int(e.v)]
        pos = [0.0, *[t for t, _ in marks], e.length_m]
        for a, b, pa, pb in zip(chain[:-1], chain[1:], pos[:-1], pos[1:], strict=True):
            g.add_edge(a, b, weight=pb - pa)
    out = pd.DataFrame(np.inf, index=origins.index, columns=destinations.index)
    for o in origins.index:
        reach = nx.single_source_dijkstra_path_length(g, ("o", o), weight="weight")
        for d in destinations.index:
            out.loc[o, d] = reach.get(("d", d), np.inf)
    return out


@pytest.mark.parametrize("noding", ["crossings", "vertices"])
def test_distances_equal_networkx(noding):
    net = walking_network(_streets(), noding=noding, max_snap=60)
    a, b = _points(25, 1, "o"), _points(40, 2, "d")
    ref = _reference(net, a, b)
    got = net.distances(a, b)
    assert got.index.equals(a.index) and got.columns.equals(b.index)
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-6)
    assert np.isinf(got.loc["o27"]).all()  # beyond max_snap: unreachable, never 0
    assert np.isinf(got.loc["o25", "d0":"d39"]).all()  # other piece
    # swapped sides (chunking from the other side) and the sparse form agree
    np.testing.assert_allclose(net.distances(b, a).to_numpy().T, got.to_numpy(), atol=1e-9)
    limit = 350.0
    capped = net.distances(a, b, limit=limit).to_numpy()
    want = np.where(ref.to_numpy() <= limit, ref.to_numpy(), np.inf)
    np.testing.assert_allclose(capped, want, rtol=0, atol=1e-6)
    sp = net.distances(a, b, limit=limit, sparse_result=True)
    dense = np.full(capped.shape, np.inf)
    coo = sp.tocoo()
    dense[coo.row, coo.col] = coo.data
    np.testing.assert_allclose(dense, capped, atol=1e-9)


def test_crossing_lines_are_noded_only_when_asked():
    x = gpd.GeoDataFrame(
        geometry=[LineString([(0, 0), (100, 100)]), LineString([(0, 100), (100, 0)])], crs=CRS
    )
    crossed = walking_network(x)
    assert (len(crossed.nodes), len(crossed.edges), len(crossed.pieces)) == (5, 4, 1)
    bridge = walking_network(x, noding="vertices")
    assert (len(bridge.nodes), len(bridge.edges), len(bridge.pieces)) == (4, 2, 2)


def test_mid_edge_point_reaches_both_ends_and_snap_is_nearest_edge():
    net = walking_network(_streets(), max_snap=60)
    mid = gpd.GeoSeries([Point(250, 7)], index=["m"], crs=CRS)  # 7 m off the y=0 street
    ends = gpd.GeoSeries([Point(200, 0), Point(300, 0)], index=["w", "e"], crs=CRS)
    d = net.distances(mid, ends)
    assert d.loc["m"].tolist() == pytest.approx([57.0, 57.0], abs=1e-9)
    pts = _points(30, 3, "p")
    s = net.snap(pts)
    ok = s["edge"] >= 0
    edges = np.asarray(net.edges.geometry.values)
    brute = np.array([shapely.distance(edges, g).min() for g in pts.values])
    np.testing.assert_allclose(s.loc[ok, "snap_m"], brute[ok.to_numpy()], atol=1e-9)
    assert (brute[~ok.to_numpy()] > 60).all()


def test_lengths_in_metres_z_and_multilines(caplog):
    net = walking_network(_streets())
    # every input line is walkable (none is excluded); total length is the 2-D length
    want = shapely.length(shapely.force_2d(_streets().geometry.values)).sum()
    # the union removes nothing here except overlaps (none)
    assert net.edges["length_m"].sum() == pytest.approx(want, abs=1e-6)
    assert len(net.pieces) == 2
    assert net.pieces["share"].sum() == pytest.approx(1.0)
    geo = _streets()
    geo["geometry"] = geo.translate(350_000, 3_450_000)  # Shanghai, in UTM zone 51N
    geo = geo.to_crs(4326)
    with caplog.at_level(logging.INFO, logger="gridplan"):
        projected = walking_network(geo)
    assert projected.crs.to_epsg() == CRS and "projected from EPSG:4326" in caplog.text
    assert projected.edges["length_m"].sum() == pytest.approx(want, rel=1e-3)


def test_walking_filter_and_foot_no():
    roads = _streets()
    roads.loc[0, "highway"] = "motorway"
    roads["other_tags"] = None
    roads.loc[1, "other_tags"] = '"foot"=>"no","lanes"=>"2"'
    net = walking_network(roads)
    assert net.edges["length_m"].sum() == pytest.approx(
        walking_network(_streets()).edges["length_m"].sum() - 800, abs=1e-6
    )
    only = walking_network(roads, include={"footway"})
    assert only.edges["length_m"].sum() == pytest.approx(200 * 2**0.5 + 300, abs=1e-6)


def test_bad_input_is_named():
    roads = _streets()
    with pytest.raises(CRSError, match="no coordinate reference system"):
        walking_network(roads.set_crs(None, allow_override=True))
    with pytest.raises(NetworkError, match="empty"):
        walking_network(roads.iloc[:0])
    with pytest.raises(NetworkError, match="no walkable"):
        walking_network(roads, include={"nothing"})
    poly = roads.copy()
    poly.loc[3, "geometry"] = Polygon([(0, 0), (1, 0), (1, 1)])
    with pytest.raises(GeometryError, match="rows 3 "):
        walking_network(poly)
    with pytest.raises(ConfigError, match="noding"):
        walking_network(roads, noding="nodes")  # type: ignore[arg-type]
    net = walking_network(roads)
    with pytest.raises(CRSError):
        net.distances(gpd.GeoSeries([Point(0, 0)]), gpd.GeoSeries([Point(0, 0)], crs=CRS))


def test_empty_sides_and_numpy_limits():
    net = walking_network(_streets())
    pts = _points(3, 5, "p")
    none = pts.iloc[:0]
    assert net.distances(none, pts).shape == (0, len(pts))
    assert net.distances(pts, none, sparse_result=True).shape == (len(pts), 0)
    d = net.distances(pts, pts, limit=np.int64(100))
    assert np.isinf(d.to_numpy()[d.to_numpy() > 100]).all()
    with pytest.raises(ConfigError, match="limit"):
        net.distances(pts, pts, limit=-1)


def test_roads_without_geometry_are_named(caplog):
    roads = _streets()
    roads.loc[[2, 7], "geometry"] = None
    with caplog.at_level(logging.WARNING, logger="gridplan"):
        net = walking_network(roads)
    assert "2 road rows have no geometry" in caplog.text and "2, 7" in caplog.text
    assert net.edges["length_m"].sum() == pytest.approx(
        walking_network(_streets()).edges["length_m"].sum() - 800, abs=1e-6
    )


def test_unsnapped_points_are_listed(caplog):
    net = walking_network(_streets(), max_snap=50)
    pts = gpd.GeoSeries([Point(50, 20), Point(900, 900)], index=["near", "lost"], crs=CRS)
    with caplog.at_level(logging.WARNING, logger="gridplan"):
        s = net.snap(pts)
    assert s["edge"].tolist()[1] == -1 and "'lost'" in caplog.text and "max_snap=50" in caplog.text
    assert np.isinf(net.distances(pts, pts).loc["lost"]).all()


def test_reach_holds_exactly_the_reachable_street():
    net = walking_network(_streets())
    site = gpd.GeoSeries([Point(130, 210)], index=["S"], crs=CRS)
    limit = 260.0
    r = net.reach(site, limit)
    probes = net.edges.geometry.interpolate(0.37, normalized=True)
    probes.index = [f"e{i}" for i in range(len(probes))]
    d = net.distances(site, probes).loc["S"]
    inside = shapely.distance(r.geometry.iloc[0], probes.values) < 1e-6
    assert (inside[d.to_numpy() < limit - 1e-6]).all()
    assert not (inside[d.to_numpy() > limit + 1e-6]).any()
    assert r.loc["S", "street_m"] == pytest.approx(r.geometry.iloc[0].length, abs=1e-6)


# ----------------------------------------------------------------------- real data


@pytest.mark.shared
def test_sao_paulo_walking_network(shared_data):
    net = walking_network(shared_data / "sao_paulo" / "spo_osm.pbf")
    assert net.crs.to_epsg() == 32723  # the UTM zone of the hexagons' file
    assert len(net.pieces) > 1 and net.pieces["share"].iloc[0] > 0.95
    hexes = gpd.read_file(shared_data / "sao_paulo" / "spo_hexgrid_EPSG32723.gpkg")
    pts = gpd.GeoSeries(hexes.geometry.representative_point().values, crs=hexes.crs)
    a, b = pts.iloc[:12], pts.iloc[100:130]
    got = net.distances(a, b)
    np.testing.assert_allclose(got.to_numpy(), _reference(net, a, b).to_numpy(), atol=1e-6)
    straight = np.array([[p.distance(q) for q in b.to_crs(net.crs)] for p in a.to_crs(net.crs)])
    finite = np.isfinite(got.to_numpy())
    assert finite.mean() > 0.9
    assert (got.to_numpy()[finite] >= straight[finite] - 1e-6).all()


@pytest.mark.shared
def test_shanghai_roads_pieces_are_reported(shared_data, caplog):
    roads = gpd.read_file(shared_data / "shanghai_bund" / "shanghai_roads.geojson")
    with caplog.at_level(logging.WARNING, logger="gridplan"):
        net = walking_network(
            roads, tag_column="kind", include={"path", "minor_road", "major_road"}
        )
    assert len(net.pieces) > 1 and "pieces" in caplog.text
    assert net.pieces["length_m"].is_monotonic_decreasing
    assert net.pieces["nodes"].sum() == len(net.nodes)
    assert net.pieces["edges"].sum() == len(net.edges)
    assert net.edges.groupby("piece")["length_m"].sum().to_numpy() == pytest.approx(
        net.pieces["length_m"].to_numpy()
    )


@pytest.mark.parametrize("lon, lat", [(121.5, 31.2), (-46.6, -23.5), (179.9, 10), (-0.1, 0.1)])
def test_wgs84_roads_get_the_zone_geopandas_would_pick(lon, lat):
    from gridplan.network import _wgs84_utm

    roads = gpd.GeoDataFrame(geometry=[LineString([(lon, lat), (lon, lat + 0.001)])], crs=4326)
    assert _wgs84_utm(roads) == roads.estimate_utm_crs().to_string()
    assert _wgs84_utm(roads.to_crs(3857)) is None
