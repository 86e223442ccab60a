"""GridPlan.from_file: a plan file edited by hand in a GIS is read as edited, or refused."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import pytest
import shapely

from gridplan import Territory
from gridplan.division import GridPlan, divide
from gridplan.errors import GridplanWarning, InputError


def _territory() -> Territory:
    cells = [shapely.box(x * 100, y * 100, x * 100 + 100, y * 100 + 100)
             for y in range(4) for x in range(4)]  # fmt: skip
    gdf = gpd.GeoDataFrame({"uid": [f"u{i:02d}" for i in range(16)], "hh": [10] * 16},
                           geometry=cells, crs="EPSG:32650")  # fmt: skip
    return Territory(gdf, population="hh", households="hh", id="uid")


def _edit(path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_units_file_edited_by_hand_gives_the_edited_plan(tmp_path):
    t = _territory()
    plan = divide(t, n_grids=4, tolerance=0.0)
    path = tmp_path / "plan.geojson"
    plan.to_file(path, what="units")
    unit = plan.assignment.index[0]
    old = plan.assignment[unit]
    new = next(g for g in plan.grids.loc[old, "neighbours"].split(","))

    def move(data):
        for f in data["features"]:
            if f["properties"]["unit_id"] == unit:
                f["properties"]["grid"] = new

    _edit(path, move)
    with pytest.warns(GridplanWarning, match=rf"1 unit\(s\) were moved.*'{unit}': {old} → {new}"):
        edited = GridPlan.from_file(path, t)
    assert edited.assignment[unit] == new
    assert (edited.assignment.drop(unit) == plan.assignment.drop(unit)).all()
    assert edited.grids.loc[new, "households"] == 50 and edited.metrics["n_outside_tolerance"] == 2


def test_a_gis_that_drops_the_plan_member_needs_the_params(tmp_path):
    t = _territory()
    plan = divide(t, n_grids=4, tolerance=0.0)
    path = tmp_path / "plan.geojson"
    plan.to_file(path, what="units")
    resaved = tmp_path / "resaved.geojson"
    gpd.read_file(path).to_file(resaved)  # what a GIS writes: features only
    with pytest.raises(InputError, match=r"resaved\.geojson.*params=plan\.params"):
        GridPlan.from_file(resaved, t)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridplanWarning)  # nothing was edited
        assert GridPlan.from_file(resaved, t, params=plan.params) == plan


def test_a_grids_file_with_an_edited_outline_is_refused(tmp_path):
    t = _territory()
    plan = divide(t, n_grids=4, tolerance=0.0)
    path = tmp_path / "grids.geojson"
    plan.to_file(path)
    assert GridPlan.from_file(path, t) == plan
    code = str(plan.grids.index[1])

    def reshape(data):
        for f in data["features"]:
            if f["properties"]["grid"] == code:
                ring = f["geometry"]["coordinates"][0]
                ring[1] = [ring[1][0] + 0.0005, ring[1][1] + 0.0005]

    _edit(path, reshape)
    with pytest.raises(InputError, match=rf"grid\(s\) '{code}' differ.*units file"):
        GridPlan.from_file(path, t)


def test_a_units_file_listing_a_unit_twice_or_missing_one_is_refused(tmp_path):
    t = _territory()
    plan = divide(t, n_grids=4, tolerance=0.0)
    path = tmp_path / "plan.geojson"
    plan.to_file(path, what="units")
    _edit(path, lambda d: d["features"].append(d["features"][0]))
    with pytest.raises(InputError, match="more than once"):
        GridPlan.from_file(path, t)
    _edit(path, lambda d: d["features"].__delitem__(slice(-2, None)))
    with pytest.raises(InputError, match=r"no grid for 'u15'"):
        GridPlan.from_file(path, t)
