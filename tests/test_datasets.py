"""The synthetic sample district: determinism, sizes, topology, plausible values."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from gridplan.datasets import (
    DEFECTS,
    LAYERS,
    REGISTER_FILES,
    SKILLS,
    SampleData,
    load_sample,
    make_county_town,
    register_csv,
)
from gridplan.units import join_register, read_register
from gridplan.units._address import normalise

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "sample_data"
BBOX = (500_000.0, 3_800_000.0, 503_500.0, 3_803_000.0)


@pytest.fixture(scope="module")
def sample() -> SampleData:
    return load_sample()


def _layers(s: SampleData) -> dict[str, gpd.GeoDataFrame]:
    return {name: getattr(s, name) for name in LAYERS}


def assert_same_layer(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    """Same columns, values and exactly the same coordinates."""
    assert list(a.columns) == list(b.columns)
    assert a.crs == b.crs
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.drop(columns="geometry")),
        pd.DataFrame(b.drop(columns="geometry")),
        check_dtype=False,
    )
    assert (a.geom_type.to_numpy() == b.geom_type.to_numpy()).all()
    assert shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), tolerance=0).all()


def rook_pairs(geoms: np.ndarray) -> set[tuple[int, int]]:
    """Pairs sharing a boundary of positive length (and checks nothing overlaps)."""
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    inter = shapely.intersection(geoms[i], geoms[j])
    assert shapely.area(inter).max(initial=0) < 1e-6, "units overlap"
    shared = shapely.length(inter) > 0
    return set(zip(i[shared].tolist(), j[shared].tolist(), strict=True))


def edge_pairs(geoms: np.ndarray) -> set[tuple[int, int]]:
    """Pairs sharing an edge with identical end vertices (what vertex-based rook sees)."""
    owners: dict[tuple[float, ...], set[int]] = defaultdict(set)
    for k, g in enumerate(geoms):
        for ring in [g.exterior, *g.interiors]:
            c = shapely.get_coordinates(ring)
            for a, b in itertools.pairwise(c):
                key = tuple(sorted([tuple(a), tuple(b)]))
                owners[key[0] + key[1]].add(k)
    assert max(len(v) for v in owners.values()) <= 2
    return {tuple(sorted(v)) for v in owners.values() if len(v) == 2}  # type: ignore[misc]


def connected(n: int, pairs: set[tuple[int, int]]) -> bool:
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(pairs)
    return nx.is_connected(g)


# --------------------------------------------------------------------------- determinism


def test_generator_is_deterministic(sample: SampleData) -> None:
    again = make_county_town(2024)
    for name, layer in _layers(sample).items():
        assert_same_layer(again[name], layer)


def test_generate_script_matches_committed_files(tmp_path: Path) -> None:
    if not (SAMPLE_DIR / "units.geojson").exists():
        pytest.skip("sample_data/ not present (installed package)")
    script = SAMPLE_DIR / "generate.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True)
    files = [f"{name}.geojson" for name in LAYERS] + list(REGISTER_FILES)
    for name in files:
        new = (tmp_path / name).read_bytes()
        assert new == (SAMPLE_DIR / name).read_bytes(), name
    assert not list(tmp_path.glob(".*.tmp")), "atomic writes left temporary files"
    total = sum((SAMPLE_DIR / n).stat().st_size for n in files)
    assert total < 3_000_000


def test_committed_files_match_load_sample(sample: SampleData) -> None:
    if not (SAMPLE_DIR / "units.geojson").exists():
        pytest.skip("sample_data/ not present (installed package)")
    for name, layer in _layers(sample).items():
        on_disk = gpd.read_file(SAMPLE_DIR / f"{name}.geojson")
        assert on_disk.crs.to_epsg() == 4547
        assert_same_layer(on_disk, layer)


def test_load_sample_returns_copies() -> None:
    first = load_sample()
    first.units.loc[0, "households"] = -1
    first.units["name"] = "changed"
    second = load_sample()
    assert second.units.loc[0, "households"] >= 0
    assert (second.units["name"] != "changed").all()
    with pytest.raises(AttributeError):
        second.units = first.units  # type: ignore[misc]


# --------------------------------------------------------------------------- sizes and values


def test_sizes_in_range(sample: SampleData) -> None:
    u = sample.units
    assert 2_000 <= len(u) <= 3_000
    hh, pop = int(u["households"].sum()), int(u["population"].sum())
    assert 24_000 <= hh <= 30_000
    assert 80 <= hh / 300 <= 100
    assert 2.6 <= pop / hh <= 2.9
    assert 4 <= len(sample.communities) <= 6
    by_comm = u.groupby("community")["households"].sum()
    assert by_comm.between(3_000, 8_000).all()
    assert by_comm.max() > 1.5 * by_comm.min()  # uneven, as in practice
    assert 35 <= len(sample.sites) <= 45
    assert 90 <= len(sample.workers) <= 110
    assert 250 <= len(sample.volunteers) <= 350
    assert set(sample.streets["kind"]) == {"primary", "secondary", "residential", "path"}


def test_crs_and_rounding(sample: SampleData) -> None:
    for name, layer in _layers(sample).items():
        assert layer.crs == sample.crs, name
        assert layer.crs.to_epsg() == 4547
        xy = shapely.get_coordinates(layer.geometry.to_numpy())
        assert np.abs(xy * 100 - np.round(xy * 100)).max() < 1e-4, name
        assert layer.geometry.notna().all() and not layer.geometry.is_empty.any(), name


def test_ids_unique(sample: SampleData) -> None:
    for layer, col in [
        (sample.units, "unit_id"),
        (sample.communities, "community"),
        (sample.sites, "site_id"),
        (sample.workers, "worker_id"),
        (sample.volunteers, "volunteer_id"),
    ]:
        assert layer[col].is_unique, col
        assert layer[col].map(type).eq(str).all(), col
    codes = sample.communities["community"]
    assert codes.str.fullmatch(r"410727\d{6}").all()
    assert (codes.str[:9] == sample.communities["street"]).all()


def test_no_nan_or_negative(sample: SampleData) -> None:
    for name, layer in _layers(sample).items():
        data = pd.DataFrame(layer.drop(columns="geometry"))
        assert not data.isna().any().any(), name
        num = data.select_dtypes("number")
        assert (num >= 0).all().all(), name


def test_unit_values_plausible(sample: SampleData) -> None:
    u = sample.units
    assert set(u["kind"]) == {"apartment", "courtyard", "shop_house", "public"}
    assert (u["kind"] == "public").sum() <= 0.03 * len(u)  # few zero-population units
    assert ((u["households"] == 0) == (u["kind"] == "public")).all()
    assert u.loc[u["kind"] == "courtyard", "households"].between(1, 8).all()
    assert u.loc[u["kind"] == "apartment", "households"].between(1, 250).all()
    assert (u["floors"] >= 1).all()
    assert (u["age60plus"] + u["children"] <= u["population"]).all()
    assert (u["elderly_alone"] <= u["age60plus"]).all()
    assert (u["elderly_alone"] <= u["households"]).all()
    pop = u["population"].sum()
    assert 0.18 <= u["age60plus"].sum() / pop <= 0.22
    assert 0.12 <= u["children"].sum() / pop <= 0.18
    assert 0.01 <= u["disabled"].sum() / pop <= 0.02
    assert 0.02 <= u["elderly_alone"].sum() / u["age60plus"].sum() <= 0.12
    old = u["kind"].isin(["courtyard", "shop_house"])
    share = u.groupby(old)[["age60plus", "population"]].sum()
    assert share.loc[True, "age60plus"] / share.loc[True, "population"] > (
        share.loc[False, "age60plus"] / share.loc[False, "population"]
    )


def test_people_and_sites(sample: SampleData) -> None:
    s = sample.sites
    assert set(s["kind"]) == {"centre", "station"}
    centres = s[s["kind"] == "centre"]
    assert len(centres) == len(sample.communities) and centres["existing"].all()
    assert s.loc[s["kind"] == "station", "radius_m"].between(300, 500).all()
    assert centres["radius_m"].between(800, 1_000).all()
    assert (s.loc[s["existing"], "open_cost"] == 0).all()
    w = sample.workers
    assert w["annual_cost"].between(45_000, 65_000).all()
    assert w["max_travel_m"].between(1_500, 3_000).all()
    assert w["max_grids"].isin([1, 2]).all() and (w["max_grids"] == 1).mean() > 0.7
    assert w["max_households"].between(400, 700).all()
    v = sample.volunteers
    assert v["hours_per_month"].between(2, 20).all()
    assert v["max_travel_m"].between(500, 1_500).all()
    assert v["annual_cost"].between(200, 2_000).all()
    for skills in v["skills"]:
        parts = skills.split(";")
        assert parts and set(parts) <= set(SKILLS) and len(set(parts)) == len(parts)


def test_points_inside_or_near_district(sample: SampleData) -> None:
    district = shapely.union_all(sample.communities.geometry.to_numpy())
    assert shapely.distance(district, sample.sites.geometry.to_numpy()).max() < 1.0
    for layer in (sample.workers, sample.volunteers):
        assert shapely.distance(district, layer.geometry.to_numpy()).max() <= 1_000
    minx, miny, maxx, maxy = BBOX
    x0, y0, x1, y1 = sample.units.total_bounds
    assert minx - 100 <= x0 and y0 >= miny - 100 and x1 <= maxx + 100 and y1 <= maxy + 100


# --------------------------------------------------------------------------- topology


def test_units_valid_polygons(sample: SampleData) -> None:
    g = sample.units.geometry
    assert (g.geom_type == "Polygon").all()
    assert g.is_valid.all() and not g.is_empty.any() and (g.area > 50).all()


def test_units_tile_and_are_rook_connected(sample: SampleData) -> None:
    geoms = sample.units.geometry.to_numpy()
    pairs = rook_pairs(geoms)
    # identical vertices on shared edges: vertex-based and length-based rook agree
    assert edge_pairs(geoms) == pairs
    assert connected(len(geoms), pairs)
    district = shapely.coverage_union_all(geoms)
    assert district.geom_type == "Polygon" and not district.interiors
    assert abs(district.area - shapely.area(geoms).sum()) < 1.0  # no overlaps, no holes


def test_communities_partition_units(sample: SampleData) -> None:
    u, c = sample.units, sample.communities
    assert set(u["community"]) == set(c["community"])
    # each unit's inner point lies in exactly one community polygon
    pts = u.geometry.representative_point().to_numpy()
    hits = shapely.contains(c.geometry.to_numpy()[:, None], pts[None, :])
    assert (hits.sum(axis=0) == 1).all()
    owner = c["community"].to_numpy()[hits.argmax(axis=0)]
    assert (owner == u["community"].to_numpy()).all()
    names = u.groupby("community")["community_name"].nunique()
    assert (names == 1).all()
    for _, row in c.iterrows():
        mine = u[u["community"] == row["community"]].geometry.to_numpy()
        assert row.geometry.geom_type == "Polygon"
        assert abs(row.geometry.area - shapely.area(mine).sum()) < 1.0
        assert connected(len(mine), rook_pairs(mine)), row["community"]


def test_other_seed_is_also_well_formed() -> None:
    layers = make_county_town(7)
    u = layers["units"]
    assert 2_000 <= len(u) <= 3_000 and u["unit_id"].is_unique
    assert 2.6 <= u["population"].sum() / u["households"].sum() <= 2.9
    geoms = u.geometry.to_numpy()
    assert u.is_valid.all()
    assert connected(len(geoms), rook_pairs(geoms))
    for _, grp in u.groupby("community"):
        mine = grp.geometry.to_numpy()
        assert connected(len(mine), rook_pairs(mine))


# --------------------------------------------------------------------------- raw layers


def test_a_footprint_inside_every_built_plot_none_on_open_land(sample: SampleData) -> None:
    b, u = sample.buildings, sample.units.set_index("unit_id")
    assert b["building_id"].is_unique and b.is_valid.all() and (b.geom_type == "Polygon").all()
    plots = u.loc[b["building_id"]]
    assert shapely.within(b.geometry.to_numpy(), plots.geometry.to_numpy()).all()
    assert (b.area.to_numpy() < plots.area.to_numpy()).all()
    assert not b.intersects(sample.streets.union_all()).any()  # none reaches into a road
    open_land = set(u.index) - set(b["building_id"])
    assert open_land and (u.loc[sorted(open_land), "kind"] == "public").all()
    assert u.loc[sorted(open_land), "name"].str.contains("公园|广场|苗圃").all()
    lived_in = u.index[u["households"] > 0]
    assert set(lived_in) <= set(b["building_id"])
    assert set(b["use"]) == {"residential", "public"}


def test_register_files_are_one_table_in_two_encodings(sample: SampleData) -> None:
    if not (SAMPLE_DIR / "register.csv").exists():
        pytest.skip("sample_data/ not present (installed package)")
    utf8 = read_register(SAMPLE_DIR / "register.csv")
    gbk = read_register(SAMPLE_DIR / "register_gbk.csv")
    assert utf8.attrs["encoding"] == "utf-8" and gbk.attrs["encoding"] in ("gbk", "gb18030")
    pd.testing.assert_frame_equal(utf8, gbk)
    pd.testing.assert_frame_equal(utf8, sample.register)
    with pytest.raises(UnicodeDecodeError):
        (SAMPLE_DIR / "register_gbk.csv").read_bytes().decode("utf-8")
    assert register_csv() == (SAMPLE_DIR / "register.csv").read_text(encoding="utf-8")


def test_register_defects_are_reported_and_households_conserved(sample: SampleData) -> None:
    joined, report = join_register(
        sample.buildings, sample.register, on="building_id", address="address"
    )
    issues = report.issues
    by_kind = issues.groupby("issue")["address"].apply(list).to_dict()
    assert len(by_kind["matched_by_address"]) == 3
    variants = "".join(by_kind["matched_by_address"])
    assert "幢" in variants and "室" in variants and any("０" <= c <= "９" for c in variants)
    assert len(by_kind["nearest_in_compound"]) == 1 and by_kind["unplaced"] == ["工人新村5号楼"]
    assert issues.loc[issues["issue"] == "unplaced", "building_id"].tolist() == ["B9990"]
    assert len(by_kind["duplicate"]) == 1 and report.duplicate_rows == [558]
    assert report.blank_counts == {"disabled": [1891]}
    assert sample.register.loc[638, "households"] == "4户"
    assert len(DEFECTS) == 8
    # every address match lands on the building whose name it spells differently
    names = sample.units.set_index("unit_id")["name"]
    for _, row in issues[issues["issue"] == "matched_by_address"].iterrows():
        assert normalise(names[row["matched_building"]]) == normalise(row["address"])
        assert names[row["matched_building"]] != row["address"]
    # households: the register = the buildings + the unplaced row; the buildings = the units
    # + what the defects add (the duplicate row and the building missing from the survey)
    t = report.totals["households"]
    assert t["register"] == t["joined"] + t["unplaced"] and t["unplaced"] == 18
    extra = issues.loc[issues["issue"].isin(["duplicate", "nearest_in_compound"]), "households"]
    assert t["joined"] == sample.units["households"].sum() + extra.sum()
    public = joined.set_index("building_id").loc[report.buildings_without_rows, "use"]
    assert (public == "public").all()


def test_raw_layers_of_another_seed_differ_and_stay_well_formed() -> None:
    b = make_county_town(7)["buildings"]
    assert b["building_id"].is_unique and b.is_valid.all()
    assert register_csv(7) != register_csv(2024) and register_csv(7) == register_csv(7)
