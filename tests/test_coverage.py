"""Life circles, catchments and patrol lengths against brute-force references."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from gridplan import allocate
from gridplan.coverage import GB50180_M, catchments, life_circles, patrol
from gridplan.errors import ColumnError, ConfigError
from gridplan.maps import explore_allocation
from test_network_allocate import river_town


def _units(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Nine homes per grid on a 3 × 3 lattice inside it, with people, 60+ and elderly alone."""
    rows = []
    for code, geom in grids.geometry.items():
        x0, y0, x1, y1 = geom.bounds
        for i, fx in enumerate((0.1, 0.5, 0.9)):
            for j, fy in enumerate((0.1, 0.5, 0.9)):
                k = len(rows)
                rows.append(
                    {
                        "unit": f"{code}-{i}{j}",
                        "grid": code,
                        "community": "C1" if code != "G3" else "C2",
                        "households": 10 + k % 4,
                        "population": 25 + k % 7,
                        "age60plus": 5 + k % 3,
                        "elderly_alone": k % 2,
                        "geometry": Point(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)),
                    }
                )
    return gpd.GeoDataFrame(rows, crs=grids.crs).set_index("unit")


@pytest.fixture(scope="module")
def town():
    net, grids, sites, workers = river_town()
    a = allocate(grids, sites, workers, budget=3500, network=net)
    return net, a, _units(grids)


def test_life_circles_count_what_a_brute_force_walk_finds(town):
    net, a, units = town
    lc = a.life_circles(net, units)
    open_sites = a.sites[a.sites["open"]]
    walk = net.distances(units, open_sites).min(axis=1)
    for minutes, metres in GB50180_M.items():
        for col in ("households", "population", "age60plus", "elderly_alone"):
            want = units.loc[walk <= metres, col].sum()
            assert lc.total.loc[col, f"{minutes}min"] == pytest.approx(want)
            per_grid = units[walk <= metres].groupby("grid")[col].sum()
            got = lc.per_grid[f"{col}_{minutes}min"]
            assert got.to_dict() == pytest.approx(per_grid.reindex(got.index).fillna(0).to_dict())
    # nobody is dropped: totals are every unit's, per grid and per community
    assert lc.total["total"].to_dict() == pytest.approx(units[list(lc.total.index)].sum().to_dict())
    assert lc.per_community.sum().to_dict() == pytest.approx(lc.per_grid.sum().to_dict())
    assert set(lc.per_community.index) == {"C1", "C2"}
    assert (lc.total["5min"] <= lc.total["10min"]).all()
    assert (lc.total["10min"] <= lc.total["15min"]).all()
    assert lc.distance == "walking" and lc.thresholds == {5: 300.0, 10: 500.0, 15: 1000.0}
    np.testing.assert_allclose(
        lc.units["distance_m"], walk.where(walk <= 1000, np.inf).to_numpy(), atol=1e-9
    )


def test_walking_never_covers_more_than_the_straight_line(town):
    net, a, units = town
    walking = life_circles(a, net, units).total
    straight = life_circles(a, None, units).total
    assert (walking["15min"] <= straight["15min"] + 1e-9).all()
    # across the river, the straight line overstates: G2's homes are 300 m away, not 2 km
    assert walking.loc["households", "5min"] < straight.loc["households", "5min"]


def test_circle_settings_and_bad_input(town):
    net, a, units = town
    fast = life_circles(a, net, units, speed_m_per_min=80, minutes=(5, 15))
    assert fast.thresholds == {5: 400.0, 15: 1200.0}
    assert list(fast.total.columns) == ["total", "5min", "15min", "share_5min", "share_15min"]
    coarse = life_circles(a, net)  # the grids themselves: households only
    assert list(coarse.total.index) == ["households"]
    assert coarse.total.loc["households", "total"] == a.coverage["households"].sum()
    with pytest.raises(ConfigError, match="not both"):
        life_circles(a, net, units, speed_m_per_min=80, thresholds_m={5: 300})
    with pytest.raises(ConfigError, match="20"):
        life_circles(a, net, units, minutes=(5, 20))
    with pytest.raises(ColumnError, match="'grid' column"):
        life_circles(a, net, units.drop(columns="grid"))
    with pytest.raises(ColumnError, match="'G9'"):
        life_circles(a, net, units.assign(grid="G9"))


def test_catchments_and_their_map_layer(town):
    net, a, _ = town
    c = catchments(a, net)
    opened = a.sites.index[a.sites["open"]]
    assert list(c.index) == list(opened)
    assert (c["reach_m"] == a.sites.loc[opened, "radius_m"]).all()
    assert (c["street_m"] > 0).all()
    np.testing.assert_allclose(c["street_m"], c.geometry.length, atol=1e-6)
    html = explore_allocation(a, catchments=c).get_root().render()
    assert "Walking catchments" in html
    assert "Walking catchments" not in explore_allocation(a).get_root().render()


def test_patrol_is_the_walk_to_the_farthest_unit(town):
    net, a, units = town
    p = patrol(a, net, units)
    for code, row in p.iterrows():
        site = a.coverage.loc[code, "site_id"]
        if site is None or pd.isna(site):
            assert pd.isna(row["start_id"]) and np.isnan(row["patrol_m"])
            continue
        members = units[units["grid"] == code]
        walk = net.distances(a.sites.loc[[site]], members).loc[site]
        assert row["patrol_m"] == pytest.approx(walk.max())
        assert row["farthest_unit"] == walk.idxmax() and row["units"] == len(members)
    by_worker = patrol(a, net, units, start="worker")
    assert by_worker["start_id"].notna().all()
    assert (by_worker["start_id"] == a.coverage["lead_worker"].reindex(by_worker.index)).all()


def test_scenario_roads_key_gives_walking_distances(tmp_path):
    from gridplan.cli import main

    _, grids, sites, _ = river_town()
    roads = gpd.GeoDataFrame(
        {"highway": ["residential"] * 3}, geometry=_river_lines(), crs=grids.crs
    )
    files = {"grids": grids.rename_axis("grid").reset_index(), "sites": sites, "roads": roads}
    for name, gdf in files.items():
        gdf.to_file(tmp_path / f"{name}.geojson")
    args = ["allocate", str(tmp_path / "grids.geojson"), "--sites", str(tmp_path / "sites.geojson")]
    walk = ["--roads", str(tmp_path / "roads.geojson")]
    for roads_arg, want in ((walk, "walking"), ([], "straight")):
        out = tmp_path / want
        assert main([*args, *roads_arg, "--budget", "1000", "--no-map", "--out", str(out)]) == 0
        data = json.loads((out / "allocation.json").read_text())
        assert data["distance"] == want
        assert (out / "life_circles.csv").exists() == (want == "walking")
        assert (out / "patrol.csv").exists() == (want == "walking")


def _river_lines():
    from shapely.geometry import LineString

    return [
        LineString([(0, 0), (1200, 0)]),
        LineString([(0, 300), (1200, 300)]),
        LineString([(1000, 0), (1000, 300)]),
    ]


def test_scenario_with_roads_writes_life_circles_of_the_plan_units(tmp_path):
    from shapely.geometry import LineString, box

    from gridplan.scenario import parse_scenario, run_scenario

    cells = [(i, j) for j in range(4) for i in range(4)]
    units = gpd.GeoDataFrame(
        {
            "uid": [f"u{i}{j}" for i, j in cells],
            "pop": [20 + 3 * i + j for i, j in cells],
            "hh": [8 + i for i, _ in cells],
            "age60plus": [4 + j for _, j in cells],
            "comm": ["west" if i < 2 else "east" for i, _ in cells],
        },
        geometry=[box(100 * i, 100 * j, 100 * i + 100, 100 * j + 100) for i, j in cells],
        crs="EPSG:32650",
    )
    lines = [LineString([(0, 100 * k), (400, 100 * k)]) for k in range(5)]
    lines += [LineString([(100 * k, 0), (100 * k, 400)]) for k in range(5)]
    roads = gpd.GeoDataFrame(geometry=lines, crs="EPSG:32650")
    sites = gpd.GeoDataFrame(
        {"site_id": ["A", "B"], "open_cost": 0, "annual_cost": 10, "capacity": 1000,
         "radius_m": 400},
        geometry=[Point(50, 50), Point(350, 350)],
        crs="EPSG:32650",
    )  # fmt: skip
    for name, gdf in (("units", units), ("roads", roads), ("sites", sites)):
        gdf.to_file(tmp_path / f"{name}.geojson")
    raw = {
        "units": {"path": "units.geojson", "population": "pop", "households": "hh", "id": "uid",
                  "parent": "comm", "demand": ["age60plus"]},
        "divide": {"grids": 4, "tolerance": 0.3, "within": "comm"},
        "allocate": {"sites": "sites.geojson", "roads": "roads.geojson", "budget": 10},
        "output": {"map": False},
    }  # fmt: skip
    result = run_scenario(parse_scenario(raw, base=tmp_path), tmp_path / "out")
    assert result.allocation.distance == "walking"
    table = pd.read_csv(tmp_path / "out" / "life_circles.csv")
    walks = pd.read_csv(tmp_path / "out" / "patrol.csv", encoding="utf-8-sig")
    assert sorted(walks["grid"]) == sorted(result.plan.grids.index.astype(str))
    assert walks["units"].sum() == len(units)  # every unit belongs to one grid's walk
    assert (walks["patrol_m"].dropna() >= 0).all()
    assert sorted(set(table["level"])) == ["community", "grid", "total"]
    total = table[table["level"] == "total"].iloc[0]
    assert total["population"] == units["pop"].sum() and total["households"] == units["hh"].sum()
    assert total["age60plus"] == units["age60plus"].sum()
    comm = table[table["level"] == "community"].set_index("name")
    assert comm["population"].to_dict() == units.groupby("comm")["pop"].sum().to_dict()
    lc = result.life_circles
    walk = lc.units["distance_m"]
    assert total["population_10min"] == units.set_index("uid")["pop"][walk <= 500].sum()
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "### Walking life circles (GB 50180-2018)" in report
    in_5 = int(lc.total.loc["households", "5min"])
    assert f"| {in_5:,}" in report or f"| {in_5} " in report
