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

from gridplan.datasets import LAYERS, SKILLS, SampleData, load_sample, make_county_town

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
    for name in LAYERS:
        new = (tmp_path / f"{name}.geojson").read_bytes()
        assert new == (SAMPLE_DIR / f"{name}.geojson").read_bytes(), name
    assert not list(tmp_path.glob(".*.tmp")), "atomic writes left temporary files"
    total = sum((SAMPLE_DIR / f"{n}.geojson").stat().st_size for n in LAYERS)
    assert total < 2_000_000


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
