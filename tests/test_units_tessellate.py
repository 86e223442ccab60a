"""Tessellation of boundaries into one unit per building, and roads as preferred grid edges."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridplan import Territory, divide
from gridplan.errors import ConfigError, CRSError, GeometryError
from gridplan.units import mark_roads, tessellate

CRS = "EPSG:32650"
SIZE = 200.0


def _town(seed: int = 0, blocks: int = 3, per_block: int = 12, points: bool = False):
    """Two communities side by side, a road grid, a pond, buildings in every block but one."""
    rng = np.random.default_rng(seed)
    w = blocks * SIZE
    boundary = gpd.GeoDataFrame(
        {"community": ["东社区", "西社区"]},
        geometry=[shapely.box(0, 0, w / 2, w), shapely.box(w / 2, 0, w, w)],
        crs=CRS,
    )
    cuts = np.arange(SIZE, w, SIZE)
    lines = [shapely.LineString([(x, -5), (x, w + 5)]) for x in cuts]
    lines += [shapely.LineString([(-5, y), (w + 5, y)]) for y in cuts]
    kinds = ["major_road" if i == 0 else "minor_road" for i in range(len(lines))]
    roads = gpd.GeoDataFrame({"kind": kinds}, geometry=lines, crs=CRS)
    pond = gpd.GeoDataFrame({"kind": ["water"]}, geometry=[shapely.box(20, 20, 60, 60)], crs=CRS)
    geoms = []
    for bx in range(blocks):
        for by in range(blocks):
            if (bx, by) == (blocks - 1, blocks - 1):
                continue  # a park: no building
            placed = 0
            while placed < per_block:
                x = bx * SIZE + rng.uniform(70, SIZE - 30)
                y = by * SIZE + rng.uniform(10, SIZE - 30)
                g = shapely.Point(x, y) if points else shapely.box(x, y, x + 15, y + 12)
                if all(g.distance(h) > 2 for h in geoms):
                    geoms.append(g)
                    placed += 1
    hh = rng.integers(1, 80, len(geoms))
    buildings = gpd.GeoDataFrame(
        {"households": hh, "residents": hh * 2, "name": [f"楼{i}" for i in range(len(geoms))]},
        geometry=geoms,
        crs=CRS,
    )
    return boundary, buildings, roads, pond


def _assert_tiles(cells: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame) -> None:
    area = shapely.area(shapely.union_all(boundary.geometry.array))
    assert abs(cells.area.sum() - area) <= 1e-4 * area
    union = shapely.union_all(cells.geometry.array)
    assert abs(union.area - area) <= 1e-4 * area
    geoms = np.asarray(cells.geometry.array)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    assert overlap.sum() <= 1e-6 * area
    assert cells.is_valid.all()


@pytest.mark.parametrize("points", [False, True])
def test_cells_tile_the_boundary_one_per_building(points):
    boundary, buildings, roads, pond = _town(points=points)
    cells = tessellate(boundary, buildings, roads=roads, barriers=pond, parent="community")
    _assert_tiles(cells, boundary)
    built = cells[cells["kind"] == "building"]
    assert len(built) == len(buildings)
    assert built["building"].tolist() == buildings.index.tolist()
    assert built["households"].sum() == buildings["households"].sum()
    assert built["name"].tolist() == buildings["name"].tolist()
    # every building lies in its own cell
    inside = shapely.contains(
        np.asarray(built.geometry.array), shapely.point_on_surface(buildings.geometry.array)
    )
    assert inside.all()
    # the park block and the pond stay as open units with no households
    opened = cells[cells["kind"] == "open"]
    assert len(opened) == 2
    assert (opened["households"] == 0).all() and opened["name"].isna().all()
    assert sorted(round(a) for a in opened.area) == [1600, SIZE * SIZE]
    assert set(cells["community"]) == {"东社区", "西社区"}
    assert cells.index.is_unique and cells.index.name == "unit"


def test_cells_never_cross_roads_and_the_territory_is_contiguous_across_them():
    boundary, buildings, roads, pond = _town(seed=1)
    cells = tessellate(boundary, buildings, roads=roads, barriers=pond, parent="community")
    road_lines = shapely.union_all(roads.geometry.array)
    crossing = shapely.crosses(np.asarray(cells.geometry.array), road_lines)
    assert not crossing.any()
    t = Territory(cells, population="residents", households="households", parent="community")
    assert t.totals["households"] == buildings["households"].sum()
    counts = mark_roads(t, roads=roads, barriers=pond)
    pond_unit = t.units.index[(t.units["kind"] == "open") & (t.areas.round() == 1600)][0]
    assert counts["road"] > 0 and counts["barrier"] == t.graph.degree(pond_unit) > 0
    assert all(t.graph.edges[pond_unit, v]["barrier"] == "barrier" for v in t.graph[pond_unit])
    on_road = [(u, v) for u, v, c in t.graph.edges(data="road") if c]
    # a road edge joins two units of different enclosures; others stay in one enclosure
    enc = t.units["enclosure"]
    assert all(enc[u] != enc[v] for u, v in on_road)
    inner = [(u, v) for u, v, d in t.graph.edges(data=True) if not d["road"] and not d["barrier"]]
    community = t.units["community"]
    assert all(enc[u] == enc[v] for u, v in inner if community[u] == community[v])
    classes = {c for _, _, c in t.graph.edges(data="road") if c}
    assert classes == {"major_road", "minor_road"}


def test_cells_facing_each_other_across_a_slanted_road_are_neighbours():
    """Each side of a road gets its cell corners from its own Voronoi ridges; on a slanted
    road those corners are computed a hair off the line, so without snapping the two sides
    share no boundary of positive length and the territory falls apart at every road."""
    rng = np.random.default_rng(3)
    boundary = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 300, 300)], crs=CRS)
    road = shapely.LineString([(-5, 37.3), (305, 263.9)])
    roads = gpd.GeoDataFrame({"kind": ["minor_road"]}, geometry=[road], crs=CRS)
    geoms: list[shapely.Geometry] = []
    while len(geoms) < 40:
        x, y = rng.uniform(5, 280, 2)
        g = shapely.box(x, y, x + 12, y + 9)
        if g.distance(road) > 4 and all(g.distance(h) > 2 for h in geoms):
            geoms.append(g)
    buildings = gpd.GeoDataFrame({"households": np.ones(40)}, geometry=geoms, crs=CRS)
    cells = tessellate(boundary, buildings, roads=roads)
    t = Territory(cells, population="households", households="households")  # islands="raise"
    mark_roads(t, roads=roads)
    enc = t.units["enclosure"]
    across = [(u, v) for u, v in t.graph.edges() if enc[u] != enc[v]]
    assert len(across) >= 4
    on_road = sum(d["length"] for _, _, d in t.graph.edges(data=True) if d["road"])
    assert on_road == pytest.approx(road.intersection(boundary.geometry[0]).length, rel=1e-6)


def test_divide_prefers_road_boundaries_and_reports_their_share():
    # A 600 x 300 m strip, a road at x = 260: the most compact halves meet at x = 300,
    # the road gives halves of 43 % / 57 % (inside tolerance 0.25).
    rng = np.random.default_rng(3)
    xy = [
        (x + 15 + rng.uniform(-5, 5), y + 15 + rng.uniform(-5, 5))
        for x in range(0, 600, 30)
        for y in range(0, 300, 30)
    ]
    buildings = gpd.GeoDataFrame(
        {"households": [10] * len(xy), "residents": [25] * len(xy)},
        geometry=[shapely.Point(p) for p in xy],
        crs=CRS,
    )
    road = gpd.GeoDataFrame(
        {"kind": ["major_road"]}, crs=CRS, geometry=[shapely.LineString([(260, -10), (260, 310)])]
    )
    boundary = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 600, 300)], crs=CRS)
    cells = tessellate(boundary, buildings, roads=road)
    t = Territory(cells, population="residents", households="households")
    plain = divide(t, n_grids=2, tolerance=0.25, seed=0)
    assert plain.metrics["road_boundary_share"] is None  # roads not marked yet
    assert mark_roads(t, roads=road)["road"] >= 10  # at least one edge per lattice row
    on_road = sum(d["length"] for _, _, d in t.graph.edges(data=True) if d["road"])
    assert on_road == pytest.approx(300.0)  # exactly the road's length inside the boundary
    off = divide(t, n_grids=2, tolerance=0.25, seed=0, road_weight=0)
    on = divide(t, n_grids=2, tolerance=0.25, seed=0, road_weight=8)
    assert off.assignment.equals(plain.assignment)  # weight 0 changes nothing
    assert on.metrics["contiguous"] and on.metrics["n_outside_tolerance"] == 0
    assert off.metrics["road_boundary_share"] < 0.5
    assert on.metrics["road_boundary_share"] == 1.0
    assert on.params["road_weight"] == 8.0
    by_class = divide(t, n_grids=2, tolerance=0.25, seed=0, road_weight={"path": 8})
    assert by_class.assignment.equals(plain.assignment)  # no path in the data
    with pytest.raises(ConfigError, match="road_weight"):
        divide(t, n_grids=2, road_weight=-1)


def test_bad_layers_get_typed_errors():
    boundary, buildings, roads, _ = _town()
    outside = buildings.copy()
    outside.loc[5, "geometry"] = shapely.box(5000, 5000, 5010, 5010)
    with pytest.raises(GeometryError, match="outside every boundary") as exc:
        tessellate(boundary, outside, roads=roads)
    assert exc.value.rows == [5]
    with pytest.raises(CRSError, match="roads"):
        tessellate(boundary, buildings, roads=roads.set_crs(None, allow_override=True))
    overlapping = boundary.copy()
    overlapping.loc[1, "geometry"] = shapely.box(250, 0, 600, 600)
    with pytest.raises(GeometryError, match="overlap"):
        tessellate(overlapping, buildings)
    twins = buildings.copy()
    twins.loc[3, "geometry"] = twins.loc[2, "geometry"]
    twins.loc[2, "geometry"] = shapely.Point(twins.loc[2, "geometry"].centroid)
    twins.loc[3, "geometry"] = twins.loc[2, "geometry"]
    with pytest.raises(GeometryError, match="coincide") as exc:
        tessellate(boundary, twins, roads=roads)
    assert 3 in exc.value.rows or 2 in exc.value.rows


def test_other_crs_layers_are_projected_and_gaps_are_listed():
    boundary, buildings, roads, _ = _town()
    gap = boundary.copy()  # two notches facing each other: a hole between communities
    gap.loc[0, "geometry"] = shapely.box(0, 0, 300, 600).difference(shapely.box(290, 190, 300, 198))
    gap.loc[1, "geometry"] = shapely.box(300, 0, 600, 600).difference(
        shapely.box(300, 190, 310, 198)
    )
    ll = tessellate(gap, buildings.to_crs("EPSG:4326"), roads=roads.to_crs("EPSG:3857"))
    assert [w for w in ll.attrs["warnings"] if "gap" in w] == [
        "gap of 160 m² between boundary polygons near (300, 194); it is left out of every unit"
    ]
    assert len(ll[ll["kind"] == "building"]) == len(buildings)


def test_building_crossing_a_road_is_cut_and_listed():
    boundary, buildings, roads, _ = _town()
    across = buildings.copy()
    across.loc[0, "geometry"] = shapely.box(190, 100, 215, 110)  # over the x=200 road
    cells = tessellate(boundary, across, roads=roads)
    _assert_tiles(cells, boundary)
    assert any("cross" in w and "0" in w for w in cells.attrs["warnings"])


def test_from_layers_runs_the_whole_path_from_files(tmp_path):
    boundary, buildings, roads, pond = _town(seed=4)
    buildings["bid"] = [f"B{i:03d}" for i in range(len(buildings))]
    buildings["addr"] = [f"幸福路{i // 10 + 1}号{i % 10 + 1}栋" for i in range(len(buildings))]
    rows = [
        (b, a, str(h), f"{r}人")
        for b, a, h, r in buildings[["bid", "addr", "households", "residents"]].itertuples(
            index=False
        )
    ]
    rows[3] = ("", "幸福路１号 四幢 2单元301室", rows[3][2], rows[3][3])  # key lost: by address
    rows.append(("B999", "光明路9号", "7", "15"))  # unknown building: unplaced
    table = pd.DataFrame(rows, columns=["bid", "addr", "households", "residents"])
    reg = tmp_path / "register.csv"
    reg.write_bytes(table.to_csv(index=False).encode("gbk"))
    for name, layer in (("boundary", boundary), ("buildings", buildings), ("roads", roads)):
        layer.to_file(tmp_path / f"{name}.gpkg")
    t = Territory.from_layers(
        boundaries=tmp_path / "boundary.gpkg",
        buildings=tmp_path / "buildings.gpkg",
        roads=tmp_path / "roads.gpkg",
        barriers=pond,
        register=reg,
        on="bid",
        address="addr",
        counts=["households", "residents"],
        parent="community",
    )
    rep = t.match_report
    assert rep.matched_by_address == [5] and rep.unplaced == [len(rows) + 1]
    total = pd.to_numeric(table["households"]).sum()
    assert t.totals["households"] + rep.totals["households"]["unplaced"] == total
    assert rep.totals["households"]["unplaced"] == 7
    assert t.totals["population"] == buildings["residents"].sum()
    assert t.totals["units"] == len(buildings) + 2  # the park block and the pond
    assert {"B000", "B001"} <= set(t.units.index)
    assert any(d.get("road") for _, _, d in t.graph.edges(data=True))
    assert any(d.get("barrier") for _, _, d in t.graph.edges(data=True))
    plan = divide(t, n_grids=3, tolerance=0.3, within="community", strict=False)
    assert plan.metrics["road_boundary_share"] is not None
    assert plan.grids["households"].sum() == t.totals["households"]


def test_buildings_inside_or_on_top_of_another_keep_their_own_cell():
    boundary, buildings, roads, _ = _town(seed=5, blocks=2, per_block=4)
    host = buildings.geometry.iloc[0]
    x, y = host.centroid.x, host.centroid.y
    extra = gpd.GeoDataFrame(
        {"households": [9, 4], "residents": [20, 8], "name": ["内楼", "重复"]},
        geometry=[shapely.box(x - 3, y - 3, x + 3, y + 3), host],  # inside; a duplicate
        crs=CRS,
        index=[998, 999],
    )
    both = pd.concat([buildings, extra])
    cells = tessellate(boundary, both, roads=roads)
    _assert_tiles(cells, boundary)
    assert len(cells[cells["kind"] == "building"]) == len(both)
    assert cells.loc["998"].geometry.contains(shapely.Point(x, y))  # nearest land inside host
    dup = cells.loc["999"].geometry  # its footprint, less the land of the inner building
    assert host.buffer(1e-6).covers(dup) and dup.area > 0.5 * host.area
    assert cells.loc["0"].geometry.area > 0  # the host keeps the land around
    assert cells["households"].sum() == both["households"].sum()
    assert any("inside or on top" in w and "999" in w for w in cells.attrs["warnings"])


def test_cells_carry_their_boundarys_names_and_codes():
    boundary, buildings, roads, _ = _town(blocks=2, per_block=3)
    boundary["community_name"] = ["东湖社区", "西山社区"]
    boundary["name"] = ["boundary name", "boundary name"]  # a building column of that name wins
    cells = tessellate(boundary, buildings, roads=roads, parent="community")
    east = cells.geometry.representative_point().x < SIZE  # the first community's half
    assert set(cells.loc[east, "community_name"]) == {"东湖社区"}
    assert set(cells.loc[~east, "community_name"]) == {"西山社区"}
    built = cells["kind"] == "building"
    assert cells.loc[built, "name"].tolist() == buildings["name"].tolist()
