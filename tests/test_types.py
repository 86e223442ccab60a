"""The typed joins between stages (gridplan._types): what each stage takes and refuses."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gridplan import Territory, divide
from gridplan.allocation.model import _doctest_layers, allocate
from gridplan.coverage import life_circles
from gridplan.errors import ConfigError, GeometryError
from gridplan.existing import rebalance


def _territory() -> Territory:
    cells = [shapely.box(x * 100, 0, x * 100 + 100, 100) for x in range(4)]
    gdf = gpd.GeoDataFrame(
        {"pop": [30.0, 30.0, 30.0, 30.0], "hh": [10.0, 10.0, 10.0, 10.0]},
        geometry=cells,
        crs="EPSG:32650",
    )
    return Territory(gdf, population="pop", households="hh")


def test_allocate_takes_anything_carrying_grids_like_the_frame_itself():
    grids, sites, workers = _doctest_layers()
    direct = allocate(grids, sites, workers, budget=2100)
    carried = allocate(SimpleNamespace(grids=grids), sites, workers, budget=2100)
    assert carried == direct  # same tables and figures (timings aside)
    with pytest.raises(GeometryError, match="grids must be a GeoDataFrame"):
        allocate(SimpleNamespace(grids=pd.DataFrame(grids)), sites, workers)


def test_divide_refuses_an_object_that_only_looks_like_a_territory():
    t = _territory()
    look_alike = SimpleNamespace(units=t.units, graph=t.graph)
    with pytest.raises(ConfigError, match=r"territory must be a gridplan\.Territory"):
        divide(look_alike, n_grids=2)  # type: ignore[arg-type]
    assert len(divide(t, n_grids=2, seed=0).grids) == 2


def test_rebalance_needs_a_real_territory_for_a_bare_assignment():
    t = _territory()
    old = pd.Series(["A", "A", "A", "B"], index=t.units.index)
    with pytest.raises(ConfigError, match="give the territory"):
        rebalance(old, SimpleNamespace(units=t.units), tolerance=0.5)  # type: ignore[arg-type]
    assert len(rebalance(old, t, tolerance=0.5).plan.grids) == 2


def test_life_circles_read_a_grid_plans_units_and_refuse_other_objects():
    grids, sites, workers = _doctest_layers()
    a = allocate(grids, sites, workers, budget=2100)
    units = gpd.GeoDataFrame(
        {"grid": [str(g) for g in grids.index], "households": [300.0, 200.0]},
        geometry=grids.geometry.representative_point().values,
        crs=grids.crs,
    )
    assert life_circles(a, None, units).total.loc["households", "total"] == 500.0
    with pytest.raises(GeometryError, match="units must be a GridPlan or a GeoDataFrame"):
        life_circles(a, None, SimpleNamespace(territory=None, assignment=None))  # type: ignore[arg-type]
