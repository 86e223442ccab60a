"""assess(): topology, balance, shape and the side-by-side of an existing grid map."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridplan import Territory
from gridplan.errors import ConfigError
from gridplan.existing import assess, grids_from_column, rebalance
from gridplan.existing.compare import moved_between
from gridplan.existing.run import OUTPUTS
from gridplan.maps import save_html


@pytest.fixture(scope="module")
def district() -> Territory:
    """A 6 x 4 lattice: communities A (west half) and B (east half), 10 households a cell."""
    cells, parent = [], []
    for y in range(4):
        for x in range(6):
            cells.append(shapely.box(x * 100, y * 100, x * 100 + 100, y * 100 + 100))
            parent.append("A" if x < 3 else "B")
    hh = np.full(24, 10.0)
    hh[0] = 40.0  # a new estate in the south-west corner
    gdf = gpd.GeoDataFrame(
        {"hh": hh, "pop": hh * 2.5, "elderly_alone": np.arange(24) % 3, "community": parent},
        geometry=cells,
        crs="EPSG:32650",
    )
    return Territory(
        gdf, population="pop", households="hh", parent="community", demand=["elderly_alone"]
    )


def drawn(boxes: list[tuple[float, float, float, float]], codes: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": codes, "worker": [f"W{c}" for c in codes]},
        geometry=[shapely.box(*b) for b in boxes],
        crs="EPSG:32650",
    ).to_crs("EPSG:4326")


def test_assess_flags_every_problem(district):
    layer = drawn(
        [
            (0, 0, 300, 200),  # south of A
            (0, 200, 290, 400),  # north of A, stops short of x=300 (slivers, no gap)
            (300, 0, 600, 250),  # B-01: south of B, overlapping B-02 by half a row
            (300, 150, 500, 400),  # B-02: north of B, leaves column x 500-600 north as a gap
            (100, 100, 150, 150),  # X: a stray grid drawn over A-01
        ],
        ["A-01", "A-02", "B-01", "B-02", "X"],
    )
    a = assess(district, layer, tolerance=0.1, worker="worker", within="community")
    t = a.topology
    assert a.problems.loc[a.problems["kind"] == "gap", "unit"].tolist() == [23]
    assert t["gap_units"] == 1
    # unit 23, half of unit 17 and two 10 m strips east of A-02
    assert t["gap_area_m2"] == pytest.approx(100 * 100 + 50 * 100 + 2 * 10 * 100, rel=1e-3)
    split = set(a.problems.loc[a.problems["kind"] == "split", "unit"])
    assert split == {9, 10, 15, 16, 7} and t["split_units"] == 5
    assert {(p["grid_a"], p["grid_b"]) for _, p in a.imported.overlaps.iterrows()} == {
        ("A-01", "X"),
        ("B-01", "B-02"),
    }
    assert t["bad_codes"] == {"X": "has no -<sequence> part"}
    assert t["empty_grids"] == ["X"]
    # balance: A holds 150 households in 12 cells in two grids of 6 cells: 90 and 60
    hh = a.grids["households"]
    assert hh.sum() == pytest.approx(district.units["hh"].sum())
    assert a.balance["households"]["max"] == hh.max()
    assert a.balance["share_within_tolerance"] == pytest.approx(
        float((a.grids["deviation"].abs() <= 0.1).mean())
    )
    assert a.workers is not None and set(a.workers["worker"]) == {
        "WA-01",
        "WA-02",
        "WB-01",
        "WB-02",
    }
    w = a.grids["workload"]
    assert (w >= a.grids["households"]).all()  # vulnerable residents weigh on top
    # side by side: the rebalanced plan is within tolerance and moves less than redrawing
    cmp = a.comparison.set_index("plan")
    assert list(cmp.index) == ["existing", "rebalanced", "redrawn"]
    assert cmp.loc["rebalanced", "max_abs_deviation"] <= 0.1 + 1e-9
    assert cmp.loc["rebalanced", "households_moved"] <= cmp.loc["redrawn", "households_moved"]
    assert a.rebalanced is not None and a.rebalanced.parents_untouched in ([], ["B"])
    json.dumps(a.to_dict(), allow_nan=False)
    report = a.report()
    assert set(report) == {"summary", "grids", "problems", "comparison", "workers"}
    assert "unit(s) in no grid" in a.summary()


def test_assess_map_flags_problems(district, tmp_path):
    layer = drawn([(0, 0, 300, 400), (300, 0, 600, 300)], ["A-01", "B-<1>"])
    a = assess(district, layer, tolerance=0.05, compare=False)
    html = save_html(a.explore(), tmp_path / "assess.html").read_text(encoding="utf-8")
    assert "Problem: gap (3)" in html and "Problem grids" in html
    assert "B-\\u0026lt;1\\u0026gt;" in html and "B-<1>" not in html  # escaped in tooltips


def test_assess_column_pieces_and_parents(district):
    units = district.units
    codes = np.where(units["community"] == "A", "A-01", "B-01").astype(object)
    codes[5] = "A-01"  # a cell of B drawn into A's grid, away from it
    codes[12] = "B-01"  # and a cell of A in B's grid
    a = assess(district, pd.Series(codes, index=units.index), compare=False)
    assert a.topology["grids_in_pieces"] == {"A-01": 2, "B-01": 2}
    assert a.topology["grids_crossing_parents"] == {"A-01": ["A", "B"], "B-01": ["A", "B"]}
    assert a.grids.loc["A-01", "pieces"] == 2


def test_assess_bad_input(district):
    with pytest.raises(ConfigError, match="tolerance"):
        assess(district, "community", tolerance=-0.1)
    with pytest.raises(ConfigError, match="grids must be"):
        assess(district, 42)


# -- Providence: the WARD column is a real hand-drawn partition ---------------------------------


@pytest.fixture(scope="module")
def providence(shared_data) -> Territory:
    path = shared_data / "providence_blocks" / "Providence_blocks.shp"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return Territory(gpd.read_file(path), population="TOTPOP")


def test_providence_wards_assessed(providence):
    a = assess(providence, "WARD", tolerance=0.05, compare=False)
    assert len(a.grids) == 15 and a.topology["gap_units"] == 0
    assert a.topology["grids_in_pieces"] == {}
    assert a.balance["population"]["min"] == 11370 and a.balance["population"]["max"] == 12452
    assert a.balance["share_within_tolerance"] == 1.0
    assert len(a.topology["bad_codes"]) == 15  # "1".."15" follow no hierarchical scheme


@pytest.mark.parametrize("tol", [0.01, 0.02, 0.05])
def test_providence_rebalanced(providence, tol):
    wards = grids_from_column(providence, "WARD")
    r = rebalance(wards, providence, tol, balance="population")
    plan = r.plan
    assert plan.metrics["violations"] == [] and plan.metrics["contiguous"]
    assert (plan.grids["deviation"].abs() <= tol + 1e-9).all()
    assert plan.grids["population"].sum() == providence.units["TOTPOP"].sum()
    assert sorted(plan.grids.index) == sorted(wards.codes)
    w = providence.units["TOTPOP"].to_numpy()
    moved, units = moved_between(wards.assignment.to_numpy(), plan.assignment.to_numpy(), w)
    assert (moved, units) == (r.population_moved, r.units_moved)
    unchanged = set(wards.codes) - set(r.grids_changed)
    for code in unchanged:
        assert (plan.assignment == code).equals(wards.assignment == code)
    if tol == 0.05:
        assert r.units_moved == 0  # the wards are within ±4.9 % already


def test_cli_assess_writes_every_file(district, tmp_path):
    from gridplan.cli import main

    units = district.units.reset_index().rename(columns={"unit_id": "uid"})
    units.to_file(tmp_path / "units.geojson")
    layer = drawn(
        [(0, 0, 300, 400), (300, 0, 600, 200), (300, 200, 600, 400)], ["A-01", "B-01", "=B-02"]
    )
    layer.to_file(tmp_path / "grids.geojson")
    args = [
        "-q",
        "assess",
        str(tmp_path / "units.geojson"),
        "--population",
        "pop",
        "--households",
        "hh",
        "--id",
        "uid",
        "--tolerance",
        "0.05",
        "--within",
        "community",
        "--out",
    ]
    assert main([*args, str(tmp_path / "out"), "--grids", str(tmp_path / "grids.geojson")]) == 0
    out = tmp_path / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(OUTPUTS)  # every file, map and re-balance included
    d = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    assert d["topology"]["bad_codes"] == {"=B-02": "does not start with its parent's code 'B-'"}
    assert "'=B-02" in (out / "problems.csv").read_text(encoding="utf-8")
    changes = pd.read_csv(out / "changes.csv")
    moved = changes[changes["from"].notna()]
    assert moved["hh"].sum() == d["comparison"][1]["households_moved"]
    # a units column instead of a layer; a missing code column is bad input (exit 2)
    assert (
        main([*args, str(tmp_path / "o2"), "--column", "community", "--no-map", "--no-compare"])
        == 0
    )
    assert (
        main(
            [
                *args,
                str(tmp_path / "o3"),
                "--grids",
                str(tmp_path / "grids.geojson"),
                "--code",
                "name",
            ]
        )
        == 2
    )


# -- the sample district: hand-drawn grids, and the district five years later --------------------


def test_sample_hand_drawn_and_five_years_later():
    from gridplan import divide
    from gridplan.datasets import load_existing, load_sample
    from gridplan.datasets._existing import UNCHANGED
    from gridplan.existing import grids_from_layer

    s, e = load_sample(), load_existing()
    kw = {
        "population": "population",
        "households": "households",
        "id": "unit_id",
        "parent": "community",
    }
    t0, t5 = Territory(s.units, **kw), Territory(e.units_5y, **kw)
    drawn = grids_from_layer(t0, e.grids, worker="worker")
    assert drawn.gaps and len(drawn.overlaps) and drawn.workers is not None
    assert load_existing().grids.equals(e.grids)  # deterministic
    plan0 = divide(t0, households_per_grid=300, tolerance=0.10, within="community")
    r = rebalance(plan0, t5, 0.10)
    plan = r.plan
    assert plan.metrics["violations"] == [] and plan.metrics["contiguous"]
    assert plan.grids["households"].sum() == t5.units["households"].sum()
    assert set(UNCHANGED) <= set(r.parents_untouched)
    assert len(r.removed) == 9  # eight courtyards demolished, one plot rebuilt as two units
    added = r.changes[r.changes["from"].isna()]
    assert sorted(added["unit"]) == sorted(set(t5.units.index) - set(t0.units.index))
    assert set(added["reason"]) == {"joined"}
