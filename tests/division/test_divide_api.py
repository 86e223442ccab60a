"""divide() and GridPlan on Territories: the guarantees of issue 3."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _builders import assert_valid, blocks

from gridplan import Territory
from gridplan.division import GridPlan, divide
from gridplan.division.codes import reading_order
from gridplan.errors import ConfigError, InfeasibleError, IslandError

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def terr() -> Territory:
    return Territory(
        blocks(),
        population="pop",
        households="hh",
        id="bid",
        parent="community",
        demand=["elderly"],
    )


def test_basic_plan(terr):
    plan = divide(terr, n_grids=6, tolerance=0.03)
    assert_valid(plan, 6)
    g = plan.grids
    assert g.index.name == "grid" and list(g.index) == [f"G{i:02d}" for i in range(1, 7)]
    for col in (
        "n_units",
        "population",
        "households",
        "elderly",
        "target",
        "deviation",
        "area_m2",
        "polsby_popper",
        "neighbours",
    ):
        assert col in g.columns
    assert "parent" not in g.columns
    # Totals conserved.
    assert g["households"].sum() == terr.units["hh"].sum()
    assert g["population"].sum() == terr.units["pop"].sum()
    assert g["elderly"].sum() == terr.units["elderly"].sum()
    assert g["n_units"].sum() == len(terr.units)
    assert g["area_m2"].sum() == pytest.approx(terr.units.area.sum())
    assert (g["deviation"].abs() <= 0.03 + 1e-9).all()
    assert g["target"].iloc[0] == pytest.approx(terr.units["hh"].sum() / 6)
    m = plan.metrics
    assert m["max_abs_deviation"] == pytest.approx(g["deviation"].abs().max())
    assert m["n_outside_tolerance"] == 0 and m["violations"] == []
    assert m["tolerance"] == 0.03 and m["balance"] == "households" and m["seed"] == 0
    assert 0 < m["min_polsby_popper"] <= m["mean_polsby_popper"] <= 1
    # Polsby-Popper from arrays equals the one of the dissolved polygons.
    pp = 4 * np.pi * g.geometry.area / g.geometry.length**2
    assert np.allclose(pp, g["polsby_popper"])
    assert plan.assignment.index.name == terr.units.index.name
    # Neighbours are symmetric.
    nb = {c: set(s.split(",")) - {""} for c, s in g["neighbours"].items()}
    assert all(c in nb[d] for c in nb for d in nb[c])
    assert "6 grids" in plan.summary() and plan._repr_html_().startswith("<pre>")


def test_balance_on_population_and_demand_column(terr):
    for balance, col in (("population", "pop"), ("elderly", "elderly")):
        plan = divide(terr, n_grids=4, balance=balance, tolerance=0.08)
        assert_valid(plan, 4)
        loads = terr.units[col].groupby(plan.assignment).sum()
        assert (loads / (terr.units[col].sum() / 4) - 1).abs().max() <= 0.08 + 1e-9


def test_households_per_grid_sets_the_count(terr):
    total = terr.units["hh"].sum()
    plan = divide(terr, households_per_grid=300, tolerance=0.05)
    assert plan.metrics["n_grids"] == max(1, int(np.floor(total / 300 + 0.5)))
    assert_valid(plan)


def test_nesting_within_parent(terr):
    plan = divide(terr, n_grids=9, within="community", tolerance=0.1)
    assert_valid(plan, 9)
    g = plan.grids
    comm = terr.units["community"]
    for code in g.index:
        parents = comm[plan.assignment == code].unique()
        assert len(parents) == 1 and g.loc[code, "parent"] == parents[0]
        assert code.startswith(f"{parents[0]}-") and len(code.split("-")[1]) == 2
    # Counts per parent: largest remainder of 9 * load share, at least one each.
    loads = terr.units.groupby("community")["hh"].sum().sort_index()
    quotas = 9 * loads / loads.sum()
    counts = g.groupby("parent").size().reindex(loads.index)
    assert counts.sum() == 9 and (counts >= 1).all()
    assert ((counts - quotas).abs() < 1).all()
    # Targets are per parent: the parent's load shared by its grids.
    for p, cnt in counts.items():
        assert g.loc[g["parent"] == p, "target"].iloc[0] == pytest.approx(loads[p] / cnt)


def test_nesting_with_households_per_grid(terr):
    plan = divide(terr, households_per_grid=250, within="community", tolerance=0.1)
    loads = terr.units.groupby("community")["hh"].sum()
    counts = plan.grids.groupby("parent").size()
    for p, load in loads.items():
        assert counts[p] == max(1, int(np.floor(load / 250 + 0.5)))
    assert_valid(plan)


def test_codes_are_in_reading_order(terr):
    plan = divide(terr, n_grids=8, tolerance=0.05, seed=3)
    g = plan.grids
    c = g.geometry.centroid
    order = reading_order(c.x.to_numpy(), c.y.to_numpy(), g["area_m2"].to_numpy())
    assert list(g.index[order]) == sorted(g.index)
    # G01 holds the north-west corner block in a plan of two grids split west/east or N/S.
    plan2 = divide(terr, n_grids=2, tolerance=0.05)
    assert plan2.assignment["b1100"] == "G01"


def test_replan_with_locked_assignment_is_identical(terr):
    plan = divide(terr, n_grids=6, tolerance=0.05, seed=1)
    again = divide(terr, n_grids=6, tolerance=0.05, seed=7, locked=plan.assignment)
    assert again.assignment.equals(plan.assignment)


def test_partial_lock_keeps_units_and_codes(terr):
    plan = divide(terr, n_grids=6, tolerance=0.05, seed=1)
    keep = plan.assignment[plan.assignment.isin(["G02", "G05"])]
    part = keep.iloc[::2]  # lock only half of the units of two grids
    again = divide(terr, n_grids=6, tolerance=0.05, seed=4, locked=part.to_dict())
    assert_valid(again, 6)
    assert (again.assignment[part.index] == part).all()
    assert {"G02", "G05"} <= set(again.assignment)
    assert sorted(again.grids.index) == [f"G{i:02d}" for i in range(1, 7)]


def test_locked_nested(terr):
    plan = divide(terr, n_grids=8, within="community", tolerance=0.1)
    code = plan.grids.index[0]
    lock = plan.assignment[plan.assignment == code]
    again = divide(
        terr, n_grids=8, within="community", tolerance=0.1, seed=5, locked=lock.to_dict()
    )
    assert (again.assignment[lock.index] == code).all()
    assert_valid(again, 8)


def test_heavy_unit_is_infeasible_with_smallest_tolerance():
    gdf = blocks(4, 4)
    gdf.loc[5, "hh"] = 1000
    t = Territory(gdf, population="pop", households="hh", id="bid")
    target = gdf["hh"].sum() / 4
    with pytest.raises(InfeasibleError) as err:
        divide(t, n_grids=4, tolerance=0.05)
    need = 1000 / target - 1
    assert err.value.details["smallest_tolerance"] == pytest.approx(need)
    assert "b0101" in str(err.value) and f"{need:.4f}" in str(err.value)
    cause = err.value.details["causes"][0]
    assert cause["unit"] == "b0101" and cause["load"] == 1000
    # The computed tolerance is enough (plus the granularity of the other units).
    plan = divide(t, n_grids=4, tolerance=need + 0.05, strict=True)
    assert_valid(plan, 4)
    # strict=False: the best plan, violations listed.
    best = divide(t, n_grids=4, tolerance=0.05, strict=False)
    assert_valid(best, 4)
    reasons = {v["reason"] for v in best.metrics["violations"]}
    assert {"unit heavier than a grid may be", "outside tolerance"} <= reasons
    assert best.metrics["n_outside_tolerance"] >= 1


def test_parent_too_small_is_infeasible():
    gdf = blocks(6, 6)
    # One community of 2 blocks with most of the load: would get more grids than units.
    gdf["community"] = "big"
    gdf.loc[[0, 1], "community"] = "tiny"
    gdf.loc[[0, 1], "hh"] = 2000
    t = Territory(gdf, population="pop", households="hh", id="bid", parent="community")
    with pytest.raises(InfeasibleError) as err:
        divide(t, n_grids=8, within="community")
    assert err.value.details["parents"] == ["tiny"] and "tiny" in str(err.value)
    # Fewer units with load than grids: needs tolerance 1.
    gdf2 = blocks(6, 6)
    gdf2["hh"] = 0
    gdf2.loc[[0, 1], "hh"] = 50
    t2 = Territory(gdf2, population="pop", households="hh", id="bid")
    with pytest.raises(InfeasibleError) as err:
        divide(t2, n_grids=3)
    assert err.value.details["smallest_tolerance"] == 1.0


def test_search_failure_reports_achieved_tolerance():
    # 4, 4, 2 in a row into 2 grids of target 5: no unit is too heavy, but the
    # best split is 4 | 6 (20 %).
    cells = [shapely.box(x, 0, x + 10, 10) for x in (0, 10, 20)]
    gdf = gpd.GeoDataFrame({"hh": [4, 4, 2], "pop": [9, 9, 5]}, geometry=cells, crs=32650)
    t = Territory(gdf, population="pop", households="hh")
    with pytest.raises(InfeasibleError) as err:
        divide(t, n_grids=2, tolerance=0.05)
    assert err.value.details["achieved_tolerance"] == pytest.approx(0.2)
    plan = divide(t, n_grids=2, tolerance=0.05, strict=False)
    assert plan.metrics["max_abs_deviation"] == pytest.approx(0.2)
    assert plan.metrics["violations"][0]["reason"] == "outside tolerance"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one"),
        ({"n_grids": 3, "households_per_grid": 300}, "exactly one"),
        ({"n_grids": 0}, "n_grids"),
        ({"n_grids": 2.5}, "n_grids"),
        ({"households_per_grid": -1}, "households_per_grid"),
        ({"n_grids": 3, "tolerance": -0.1}, "tolerance"),
        ({"n_grids": 3, "area_weight": -1}, "area_weight"),
        ({"n_grids": 3, "compactness": float("nan")}, "compactness"),
        ({"n_grids": 3, "seed": -1}, "seed"),
        ({"n_grids": 3, "time_limit": 0}, "time_limit"),
        ({"n_grids": 3, "within": "nope"}, "within"),
        ({"n_grids": 3, "locked": {"zzz": "G01"}}, "locked"),
        ({"n_grids": 3, "locked": {"b0000": 5}}, "locked"),
        ({"n_grids": 3, "locked": ["b0000"]}, "locked"),
        ({"n_grids": 3, "strict": "yes"}, "strict"),
        ({"n_grids": 2, "within": "community"}, "n_grids"),
        ({"n_grids": 4, "within": "community", "locked": {"b0000": "X", "b1111": "X"}}, "straddle"),
    ],
)
def test_parameter_errors(terr, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        divide(terr, **kwargs)


def test_balance_needs_the_column():
    t = Territory(blocks(4, 4), population="pop", id="bid")
    with pytest.raises(ConfigError, match="households"):
        divide(t, n_grids=2)
    assert_valid(divide(t, n_grids=2, balance="population", tolerance=0.1), 2)


def test_split_parent_raises_island_error():
    gdf = blocks(6, 6)
    gdf["zone"] = np.where(np.arange(36) % 6 < 3, "A", "B")
    gdf.loc[0, "zone"] = "B"  # a B block cut off inside A
    t = Territory(gdf, population="pop", households="hh", id="bid")
    with pytest.raises(IslandError, match="'B'"):
        divide(t, n_grids=4, within="zone")


def test_determinism_and_hash_seed_independence(terr):
    a = divide(terr, n_grids=5, within=None, seed=11).to_geojson()
    b = divide(terr, n_grids=5, within=None, seed=11).to_geojson()
    assert a == b
    c = divide(terr, n_grids=5, within=None, seed=12).to_geojson()
    assert a != c  # the seed matters
    script = (
        "import hashlib, sys\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "from _builders import blocks\n"
        "from gridplan import Territory\n"
        "from gridplan.division import divide\n"
        "t = Territory(blocks(), population='pop', households='hh', id='bid',\n"
        "              parent='community', demand=['elderly'])\n"
        "s = divide(t, n_grids=5, seed=11).to_geojson()\n"
        "print(hashlib.sha256(s.encode()).hexdigest())\n"
    )
    digests = set()
    for hs in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hs}
        out = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        digests.add(out.stdout.strip())
    assert digests == {hashlib.sha256(a.encode()).hexdigest()}


def test_time_limit_still_gives_a_valid_plan(terr):
    plan = divide(terr, n_grids=6, tolerance=0.05, time_limit=0.5)
    assert_valid(plan, 6)
    assert plan.metrics["n_outside_tolerance"] == 0 and plan.params["time_limit"] == 0.5


def test_geojson_content(terr):
    plan = divide(terr, n_grids=4, within="community", tolerance=0.1)
    data = json.loads(plan.to_geojson())
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 4
    meta = data["gridplan"]
    assert meta["schema_version"] == 1 and meta["params"]["within"] == "community"
    assert "seconds" not in meta["metrics"]
    f = data["features"][0]
    assert f["id"] == f["properties"]["grid"] and "parent" in f["properties"]
    lon, lat = np.asarray(f["geometry"]["coordinates"][0][0], dtype=float)[:2]
    assert -180 <= lon <= 180 and -90 <= lat <= 90


@pytest.mark.parametrize("what", ["grids", "units"])
def test_file_round_trip(terr, tmp_path, what):
    plan = divide(terr, n_grids=5, within="community", tolerance=0.1, seed=2)
    path = tmp_path / f"plan_{what}.geojson"
    plan.to_file(path, what=what)
    back = GridPlan.from_file(path, terr)
    assert back == plan
    assert back.assignment.equals(plan.assignment)
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.grids.drop(columns="geometry")),
        pd.DataFrame(plan.grids.drop(columns="geometry")),
    )
    assert back.to_geojson() == plan.to_geojson()
    other = Territory(blocks(4, 4), population="pop", households="hh", id="bid")
    with pytest.raises(Exception, match="not those of this territory"):
        GridPlan.from_file(path, other)
    if what == "units":
        gdf = gpd.read_file(path)
        assert len(gdf) == len(terr.units) and set(gdf["grid"]) == set(plan.assignment)


def test_int_ids_round_trip(tmp_path):
    gdf = blocks(6, 6).drop(columns="bid")
    gdf.index = gdf.index * 10  # integer ids, not 0..n-1
    t = Territory(gdf, population="pop", households="hh")
    plan = divide(t, n_grids=3, tolerance=0.1)
    assert plan.assignment.index.tolist() == gdf.index.tolist()
    plan.to_file(tmp_path / "p.geojson")
    assert GridPlan.from_file(tmp_path / "p.geojson", t) == plan


def test_area_weight_evens_out_areas():
    gdf = blocks(16, 16, seed=3)
    # Dense west: households concentrated in a few columns, so balanced grids differ in area.
    gdf["hh"] = np.where(gdf.geometry.centroid.x < 400, 60, 5)
    t = Territory(gdf, population="pop", households="hh", id="bid")
    plain = divide(t, n_grids=6, tolerance=0.25, seed=0)
    even = divide(t, n_grids=6, tolerance=0.25, seed=0, area_weight=20.0)
    spread = [p.grids["area_m2"].std() for p in (plain, even)]
    assert spread[1] < spread[0]
    assert_valid(even, 6)
    assert even.metrics["n_outside_tolerance"] == 0


@pytest.mark.shared
def test_providence_15_grids_within_one_percent(shared_data):
    path = shared_data / "providence_blocks" / "Providence_blocks.shp"
    t = Territory(gpd.read_file(path), population="TOTPOP")
    plan = divide(t, n_grids=15, balance="population", tolerance=0.01, seed=0)
    assert_valid(plan, 15)
    assert plan.metrics["max_abs_deviation"] <= 0.01
    assert plan.grids["population"].sum() == t.units["TOTPOP"].sum() == 178040
    # More compact than the official wards (same measure).
    wards = GridPlan(t, t.units["WARD"].astype(str), dict(plan.params))
    assert plan.metrics["mean_polsby_popper"] > wards.metrics["mean_polsby_popper"]
    assert plan.metrics["max_abs_deviation"] < wards.metrics["max_abs_deviation"]


def test_coarse_buildings_within_one_percent():
    """The hard case: buildings of up to 168 households, 91 grids of ~300 within ±3.

    Seed 3 needs the extra attempts made while the best plan is out of tolerance.
    """
    from gridplan.datasets import load_sample

    units = load_sample().units
    t = Territory(units, population="population", households="households", id="unit_id")
    plan = divide(t, n_grids=91, tolerance=0.01, seed=3)
    assert_valid(plan, 91)
    assert plan.metrics["max_abs_deviation"] <= 0.01
    assert plan.grids["households"].sum() == units["households"].sum()


def test_help_of_divide_documents_every_parameter_once_from_the_spec():
    import dataclasses
    import inspect

    from gridplan.division.spec import DivideSpec, parameter_docs

    entries = parameter_docs()
    names = {n for line in entries.splitlines() if line[:1].isalpha() for n in line.split(", ")}
    # every field of the spec is documented there, and nothing else
    assert names == {f.name for f in dataclasses.fields(DivideSpec)}
    help_text = inspect.getdoc(divide)
    assert entries in help_text  # the spec's entries, word for word, in help(divide)
    own = {"territory", "locked"}
    assert set(inspect.signature(divide).parameters) == names | own
    assert all(f"\n{name}\n    " in help_text for name in own)
    assert "``G01``" in help_text and "[9, 9, 9, 9]" in help_text  # its notes and example stay
