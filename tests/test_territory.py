"""Territory: validation errors, CRS handling, contiguity graph, islands, files."""

from __future__ import annotations

import math
import zipfile

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

import gridplan
from gridplan import (
    ColumnError,
    ConfigError,
    CRSError,
    DataValueError,
    GeometryError,
    GridplanError,
    IdError,
    InputError,
    IslandError,
    Territory,
)

METRIC = "EPSG:32650"  # UTM 50N: metres


def grid_gdf(nx_: int = 3, ny: int = 2, size: float = 100.0, **cols) -> gpd.GeoDataFrame:
    """nx_ × ny squares, ids 'u00'.., population 10·(k+1)."""
    geoms = [
        shapely.box(i * size, j * size, (i + 1) * size, (j + 1) * size)
        for j in range(ny)
        for i in range(nx_)
    ]
    n = len(geoms)
    data = {"uid": [f"u{k:02d}" for k in range(n)], "pop": [10.0 * (k + 1) for k in range(n)]}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=geoms, crs=METRIC)


# -- the contiguity graph on a hand-made layout ---------------------------------------------


def test_graph_known_neighbours_and_lengths():
    # A: long bar along the bottom; B sits on A's middle; C right of B and on A; D touches
    # C only at a corner; E shares part of A's right edge.
    geoms = {
        "A": shapely.box(0, 0, 30, 10),
        "B": shapely.box(10, 10, 20, 20),
        "C": shapely.box(20, 10, 25, 20),
        "D": shapely.box(25, 20, 35, 30),
        "E": shapely.box(30, 4, 40, 9),
    }
    gdf = gpd.GeoDataFrame(
        {"pop": [1, 2, 3, 4, 5]}, geometry=list(geoms.values()), index=list(geoms), crs=METRIC
    )
    rook = Territory(gdf, islands="connect").graph
    expected = {("A", "B"): 10.0, ("A", "C"): 5.0, ("B", "C"): 10.0, ("A", "E"): 5.0}
    got = {
        tuple(sorted((u, v))): d["length"]
        for u, v, d in rook.edges(data=True)
        if d["kind"] == "shared"
    }
    assert got == pytest.approx(expected)
    # D touches C only at the corner (25, 20): with rook it is an island, linked by a bridge.
    bridges = [(u, v) for u, v, d in rook.edges(data=True) if d["kind"] == "bridge"]
    assert len(bridges) == 1 and "D" in bridges[0]

    queen = Territory(gdf, contiguity="queen").graph
    assert queen.has_edge("C", "D") and queen.edges["C", "D"]["length"] == 0.0
    assert queen.edges["C", "D"]["kind"] == "corner"
    assert nx.is_connected(queen)


def test_graph_nodes_follow_unit_order_and_lattice_degree():
    t = Territory(grid_gdf(4, 3), id="uid")
    assert list(t.graph.nodes) == list(t.units.index)
    assert t.graph.number_of_edges() == 3 * 3 + 4 * 2  # horizontal + vertical
    assert all(d["length"] == pytest.approx(100.0) for *_, d in t.graph.edges(data=True))
    queen = Territory(grid_gdf(4, 3), id="uid", contiguity="queen").graph
    assert queen.number_of_edges() == 17 + 2 * 3 * 2  # plus two diagonals per inner corner


def test_snap_joins_units_with_gaps():
    geoms = [shapely.box(0, 0, 10, 10), shapely.box(12, 0, 22, 10), shapely.box(40, 0, 50, 10)]
    gdf = gpd.GeoDataFrame({"pop": [1, 1, 1]}, geometry=geoms, crs=METRIC)
    with pytest.raises(IslandError):
        Territory(gdf, snap=5)
    t = Territory(gdf, snap=5, islands="connect")
    assert t.graph.edges[0, 1]["kind"] == "snap"
    # Boundary of unit 0 within 5 m of unit 1: the facing side (10 m) plus 3 m of the
    # top and bottom sides near the corner.
    assert t.graph.edges[0, 1]["length"] == pytest.approx(16.0)
    assert [d["kind"] for *_, d in t.graph.edges(data=True)].count("bridge") == 1


def test_ten_thousand_units_build():
    t = Territory(grid_gdf(100, 100, size=50.0), id="uid")
    assert t.graph.number_of_nodes() == 10_000
    assert t.graph.number_of_edges() == 2 * 100 * 99
    assert nx.is_connected(t.graph)


# -- islands -------------------------------------------------------------------------------


def test_island_raises_naming_the_unit():
    gdf = grid_gdf(3, 2)
    far = gpd.GeoDataFrame(
        {"uid": ["far"], "pop": [5.0]}, geometry=[shapely.box(1000, 1000, 1100, 1100)], crs=METRIC
    )
    gdf = gpd.GeoDataFrame(gpd.pd.concat([gdf, far], ignore_index=True), crs=METRIC)
    with pytest.raises(IslandError, match="far") as err:
        Territory(gdf, id="uid")
    assert err.value.rows == ["far"]
    assert "islands='connect'" in str(err.value)


def test_islands_connect_links_nearest_and_keeps_every_unit():
    gdf = grid_gdf(3, 2)
    extra = gpd.GeoDataFrame(
        {"uid": ["i1", "i2"], "pop": [5.0, 6.0]},
        geometry=[shapely.box(400, 0, 450, 50), shapely.box(500, 0, 550, 50)],
        crs=METRIC,
    )
    gdf = gpd.GeoDataFrame(gpd.pd.concat([gdf, extra], ignore_index=True), crs=METRIC)
    t = Territory(gdf, id="uid", islands="connect")
    assert nx.is_connected(t.graph)
    assert len(t.units) == 8 and t.totals["population"] == pytest.approx(gdf["pop"].sum())
    bridged = sorted(tuple(sorted((u, v))) for u, v, _ in t.bridges)
    # i2 (smallest, later) joins i1 at 50 m; i1 then joins u02 (east edge x=300) at 100 m.
    assert bridged == [("i1", "i2"), ("i1", "u02")]
    gaps = sorted(g for *_, g in t.bridges)
    assert gaps == pytest.approx([50.0, 100.0])


def test_split_parent_is_listed_then_connected_inside_parent():
    # Parent "P" has u00 and u02, separated by u01 of parent "Q" (an exclave).
    gdf = grid_gdf(3, 1, community=["P", "Q", "P"])
    t = Territory(gdf, id="uid", parent="community")
    assert t.split_parents == ["P"] and not t.bridges
    assert "several pieces" in t.summary()
    with pytest.raises(IslandError, match=r"'P'.*islands='connect'"):
        gridplan.divide(t, n_grids=2, balance="population", within="community")
    t = Territory(gdf, id="uid", parent="community", islands="connect")
    assert len(t.bridges) == 1 and t.split_parents == []
    u, v, gap = t.bridges[0]
    assert {u, v} == {"u00", "u02"} and gap == pytest.approx(100.0)
    assert nx.is_connected(t.graph.subgraph(["u00", "u02"]))


# -- ids and columns -------------------------------------------------------------------------


def test_duplicate_ids_named():
    gdf = grid_gdf(3, 1)
    gdf.loc[2, "uid"] = "u00"
    with pytest.raises(IdError, match="'u00'") as err:
        Territory(gdf, id="uid")
    assert err.value.rows == ["u00"]


def test_duplicate_index_named():
    gdf = grid_gdf(3, 1)
    gdf.index = [7, 7, 8]
    with pytest.raises(IdError, match="7"):
        Territory(gdf)


def test_missing_ids_named():
    gdf = grid_gdf(3, 1)
    gdf.loc[1, "uid"] = None
    with pytest.raises(IdError, match="missing") as err:
        Territory(gdf, id="uid")
    assert err.value.rows == [1]


def test_missing_column_suggests_close_names():
    with pytest.raises(ColumnError, match=r"'popu'.*Did you mean 'pop'"):
        Territory(grid_gdf(), population="popu")
    with pytest.raises(ColumnError, match="'hh'"):
        Territory(grid_gdf(), households="hh")
    with pytest.raises(ColumnError, match="'street'"):
        Territory(grid_gdf(), parent="street")


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        (float("nan"), "missing \\(NaN\\)"),
        (-3.0, "negative"),
        ("lots", "not numbers"),
        (float("inf"), "infinite"),
    ],
)
def test_bad_population_named(value, pattern):
    gdf = grid_gdf(3, 1)
    gdf["pop"] = gdf["pop"].astype(object)
    gdf.loc[1, "pop"] = value
    with pytest.raises(DataValueError, match=pattern) as err:
        Territory(gdf, id="uid")
    assert err.value.rows == ["u01"]
    assert "u01" in str(err.value)


def test_bad_households_and_demand_columns_named():
    gdf = grid_gdf(3, 1, hh=[3, -1, 2], old=[1, 1, float("nan")])
    with pytest.raises(DataValueError, match=r"households column 'hh'.*u01"):
        Territory(gdf, id="uid", households="hh")
    gdf["hh"] = [3, 1, 2]
    with pytest.raises(DataValueError, match=r"'old'.*u02"):
        Territory(gdf, id="uid", households="hh", demand=["old"])


def test_string_numbers_are_accepted():
    gdf = grid_gdf(3, 1)
    gdf["pop"] = ["1", "2.5", "3"]
    assert Territory(gdf, id="uid").totals["population"] == pytest.approx(6.5)


def test_boolean_population_rejected():
    with pytest.raises(DataValueError, match="true/false"):
        Territory(grid_gdf(3, 1, flag=[True, False, True]), population="flag")


def test_empty_table_and_wrong_type():
    with pytest.raises(InputError, match="no rows"):
        Territory(grid_gdf().iloc[:0])
    with pytest.raises(InputError, match="GeoDataFrame"):
        Territory(grid_gdf().drop(columns="geometry").assign(x=1), population="pop")


def test_bad_parameters_are_typed_errors(tmp_path):
    with pytest.raises(ConfigError, match="snap"):
        Territory(grid_gdf(), snap="5")
    with pytest.raises(ConfigError, match="list of column names"):
        Territory(grid_gdf(), demand="pop")
    no_geometry = gpd.GeoDataFrame(grid_gdf().rename_geometry("shape").drop(columns="shape"))
    no_geometry["pop"] = 1
    with pytest.raises(GeometryError, match="active geometry"):
        Territory(no_geometry)
    path = tmp_path / "u.gpkg"
    grid_gdf().to_file(path)
    with pytest.raises(ConfigError, match=r"'populaton'.*'population'"):
        Territory.from_file(path, populaton="pop")


def test_bad_parameters():
    with pytest.raises(ConfigError, match="contiguity"):
        Territory(grid_gdf(), contiguity="bishop")
    with pytest.raises(ConfigError, match="islands"):
        Territory(grid_gdf(), islands="drop")
    with pytest.raises(ConfigError, match="snap"):
        Territory(grid_gdf(), snap=-1)
    with pytest.raises(ColumnError, match="empty"):
        Territory(grid_gdf(3, 1, c=["a", None, "b"]), parent="c")


# -- geometries ------------------------------------------------------------------------------


def test_missing_and_empty_geometries_named():
    gdf = grid_gdf(3, 1)
    gdf.loc[1, "geometry"] = None
    with pytest.raises(GeometryError, match="no geometry") as err:
        Territory(gdf, id="uid")
    assert err.value.rows == ["u01"]
    gdf = grid_gdf(3, 1)
    gdf.loc[2, "geometry"] = shapely.Polygon()
    with pytest.raises(GeometryError, match=r"empty.*u02"):
        Territory(gdf, id="uid")


def test_non_polygons_named():
    gdf = grid_gdf(3, 1)
    gdf.loc[0, "geometry"] = shapely.Point(5, 5)
    with pytest.raises(GeometryError, match=r"not polygons \(Point\).*u00"):
        Territory(gdf, id="uid")


def test_invalid_geometry_raises_then_repairs():
    bowtie = shapely.Polygon([(100, 0), (200, 100), (200, 0), (100, 100)])
    gdf = grid_gdf(3, 1)
    gdf.loc[1, "geometry"] = bowtie
    with pytest.raises(GeometryError, match=r"invalid.*u01.*repair=True"):
        Territory(gdf, id="uid")
    t = Territory(gdf, id="uid", repair=True, islands="connect")
    assert t.repaired == ["u01"]
    assert t.units.geometry["u01"].is_valid
    assert t.units.geometry["u01"].geom_type in ("Polygon", "MultiPolygon")
    assert len(t.units) == 3 and "repaired" in t.summary()


# -- CRS ---------------------------------------------------------------------------------------


def lonlat_gdf() -> gpd.GeoDataFrame:
    """Four 0.001° cells near Shanghai (121.5E, 31.2N), in longitude/latitude."""
    geoms = [
        shapely.box(121.5 + i * 0.001, 31.2 + j * 0.001, 121.501 + i * 0.001, 31.201 + j * 0.001)
        for i in range(2)
        for j in range(2)
    ]
    return gpd.GeoDataFrame({"pop": [1, 2, 3, 4]}, geometry=geoms, crs="EPSG:4326")


def test_geographic_crs_projected_to_local_utm():
    t = Territory(lonlat_gdf())
    assert t.crs.to_epsg() == 32651  # UTM zone 51N covers 120–126°E
    assert "EPSG:4326" in t.crs_note and "UTM zone 51N" in t.crs_note
    # 0.001° × 0.001° at 31.2°N ≈ 95.1 m × 110.9 m
    assert t.areas.iloc[0] == pytest.approx(95.2 * 110.9, rel=0.01)
    assert "UTM zone 51N" in t.summary()


def test_missing_crs_is_an_error_unless_declared():
    gdf = lonlat_gdf().set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"no coordinate reference system.*crs="):
        Territory(gdf)
    assert Territory(gdf, crs="EPSG:4326").crs.to_epsg() == 32651


def test_conflicting_crs_declaration():
    with pytest.raises(CRSError, match="already declare"):
        Territory(lonlat_gdf(), crs="EPSG:3857")


def test_metric_crs_kept_and_feet_reprojected():
    t = Territory(grid_gdf())
    assert t.crs.to_epsg() == 32650 and t.crs_note is None
    feet = lonlat_gdf().to_crs("EPSG:2249")  # Massachusetts state plane, US feet
    t2 = Territory(feet)
    assert t2.crs.is_projected and "UTM" in t2.crs.name and t2.crs_note


def test_coordinates_that_contradict_the_crs():
    metres = grid_gdf().set_crs("EPSG:4326", allow_override=True)
    metres.geometry = metres.geometry.translate(500_000, 3_800_000)
    with pytest.raises(CRSError, match=r"not degrees.*set_crs"):
        Territory(metres)
    degrees = lonlat_gdf().set_crs("EPSG:4547", allow_override=True)
    with pytest.warns(UserWarning, match="declare EPSG:4326"):
        Territory(degrees)


@pytest.mark.parametrize(("kwargs", "name"), [({"crs": "EPSG:99999"}, "crs"),
                                              ({"metric_crs": "foo"}, "metric_crs")])  # fmt: skip
def test_unknown_crs_is_a_crs_error(kwargs, name):
    gdf = lonlat_gdf()
    if "crs" in kwargs:
        gdf = gdf.set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=f"{name}="):
        Territory(gdf, **kwargs)


def test_explicit_metric_crs():
    t = Territory(lonlat_gdf(), metric_crs="EPSG:4547")
    assert t.crs.to_epsg() == 4547
    with pytest.raises(CRSError, match="not a projected CRS in metres"):
        Territory(lonlat_gdf(), metric_crs="EPSG:4490")


# -- files, totals and display -----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp", ".zip"])
def test_from_file_formats(tmp_path, suffix):
    gdf = grid_gdf(3, 2)
    if suffix == ".zip":
        gdf.to_file(tmp_path / "units.shp")
        path = tmp_path / "units.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for part in tmp_path.glob("units.*"):
                if part.suffix != ".zip":
                    zf.write(part, part.name)
    else:
        path = tmp_path / f"units{suffix}"
        gdf.to_file(path)
    t = Territory.from_file(path, population="pop", id="uid")
    assert sorted(t.units.index) == sorted(gdf["uid"])
    assert t.totals["population"] == pytest.approx(gdf["pop"].sum())
    assert t.graph.number_of_edges() == 7


def test_from_file_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        Territory.from_file(tmp_path / "nope.gpkg")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="could not read"):
        Territory.from_file(bad)


def test_totals_summary_and_html_escaping():
    gdf = grid_gdf(2, 1, hh=[4, 6], c=["<b>x</b>", "<b>x</b>"])
    t = Territory(gdf, households="hh", id="uid", parent="c")
    assert t.totals == {
        "units": 2,
        "population": 30.0,
        "households": 10.0,
        "area_km2": pytest.approx(0.02),
        "parents": 1,
    }
    html = t._repr_html_()
    assert "<b>" not in html and "&lt;b&gt;" not in html  # summary shows no parent names
    assert "households 10" in html
    assert t.column("households") == "hh" and t.column("population") == "pop"
    with pytest.raises(ColumnError):
        t.column("nope")
    with pytest.raises(ColumnError, match="not numeric"):
        t.column("c")
    assert "Territory: 2 units" in repr(t)


def test_no_households_column_role_error():
    with pytest.raises(ConfigError, match="households"):
        Territory(grid_gdf()).column("households")


def test_input_not_modified():
    gdf = lonlat_gdf()
    before = gdf.copy()
    Territory(gdf)
    assert gdf.equals(before) and gdf.crs == before.crs


def test_error_hierarchy():
    for cls in (ColumnError, ConfigError, CRSError, DataValueError, GeometryError, IdError):
        assert issubclass(cls, InputError) and issubclass(cls, GridplanError)
        assert issubclass(cls, ValueError)
    assert issubclass(gridplan.InfeasibleError, GridplanError)
    assert gridplan.errors.format_rows(range(15), limit=3) == "0, 1, 2 and 12 more"
    assert gridplan.errors.format_rows(np.array([4])) == "4"


# -- real data from ../shared --------------------------------------------------------------


def test_providence_blocks(shared_data):
    t = Territory.from_file(
        shared_data / "providence_blocks" / "Providence_blocks.shp",
        population="TOTPOP",
        parent="WARD",
    )
    assert len(t.units) == 3014
    assert t.totals["population"] == 178_040
    assert nx.is_connected(t.graph)
    assert t.crs.to_epsg() == 32619  # Providence is in UTM zone 19N
    assert "EPSG:4269" in t.crs_note
    assert not t.bridges
    assert nx.is_connected(Territory(t.units, population="TOTPOP", contiguity="queen").graph)


def test_sao_paulo_hexagons(shared_data):
    t = Territory.from_file(
        shared_data / "sao_paulo" / "spo_hexgrid_EPSG32723.gpkg", population="population", id="id"
    )
    assert len(t.units) == 323 and t.totals["population"] == 517_570
    assert t.crs.to_epsg() == 32723 and t.crs_note is None
    degrees = [d for _, d in t.graph.degree]
    assert max(degrees) == 6  # hexagons
    assert nx.is_connected(t.graph)


def test_shanghai_buildings(shared_data):
    raw = gpd.read_file(shared_data / "shanghai_bund" / "shanghai_buildings.geojson")
    raw = raw[(raw["kind"] == "building") & raw.geom_type.isin(["Polygon", "MultiPolygon"])]
    # Tiles cut buildings into pieces that repeat the id: dissolve them back together.
    buildings = raw[["id", "height", "geometry"]].dissolve(by="id", aggfunc="max")
    # No population in this data: households are an ESTIMATE from footprint × floors.
    floors = np.ceil(buildings["height"].fillna(18.0) / 3.0).clip(lower=1)
    footprint = buildings.to_crs(buildings.estimate_utm_crs()).area
    buildings["households_est"] = np.floor(footprint * floors / 90.0)
    buildings["population_est"] = buildings["households_est"] * 2.62
    t = Territory(
        buildings,
        population="population_est",
        households="households_est",
        snap=15.0,
        islands="connect",
        repair=True,
    )
    assert len(t.units) == len(buildings)
    assert nx.is_connected(t.graph)
    assert t.crs.to_epsg() == 32651
    kinds = {d["kind"] for *_, d in t.graph.edges(data=True)}
    assert "snap" in kinds
    assert math.isclose(t.totals["households"], buildings["households_est"].sum())
