"""allocate / locate / budget_sweep with walking distances over a street network."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from gridplan import Allocation, allocate, budget_sweep, minimum_budget
from gridplan.allocation import locate
from gridplan.allocation._inputs import point_coords
from gridplan.errors import ConfigError
from gridplan.network import walking_network

CRS = 32651


def river_town():
    """Two banks 300 m apart with one bridge 1 km east: close in a straight line, far on foot."""
    roads = gpd.GeoDataFrame(
        geometry=[
            LineString([(0, 0), (1200, 0)]),
            LineString([(0, 300), (1200, 300)]),
            LineString([(1000, 0), (1000, 300)]),  # the bridge
        ],
        crs=CRS,
    )
    grids = gpd.GeoDataFrame(
        {"households": [300, 250, 200], "elderly_alone": [5, 9, 2]},
        geometry=[box(0, -40, 100, 40), box(0, 260, 100, 340), box(1100, 260, 1200, 340)],
        index=["G1", "G2", "G3"],
        crs=CRS,
    )
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["S1", "S2"],
            "open_cost": [0, 0],
            "annual_cost": [1000, 1000],
            "capacity": [1000, 1000],
            "radius_m": [500, 500],
        },
        geometry=[Point(60, 5), Point(1150, 310)],
        crs=CRS,
    )
    workers = gpd.GeoDataFrame(
        {"worker_id": ["W1", "W2", "W3"], "annual_cost": 500, "max_travel_m": 5000},
        geometry=[Point(500, -10), Point(700, 290), Point(1150, 280)],
        crs=CRS,
    )
    return walking_network(roads), grids, sites, workers


def test_walking_distance_changes_what_is_served():
    net, grids, sites, _ = river_town()
    straight = allocate(grids, sites, budget=1000)
    walking = allocate(grids, sites, budget=1000, network=net)
    assert (straight.distance, walking.distance) == ("straight", "walking")
    # in a straight line S1 reaches G1 and G2 (300 m across the river); on foot only G1
    assert straight.coverage.loc["G2", "households_served"] == 250
    assert walking.coverage.loc["G2", "households_served"] == 0
    assert walking.coverage["site_id"].fillna("-").to_dict() == {"G1": "S1", "G2": "-", "G3": "-"}
    both = allocate(grids, sites, budget=2000, network=net)
    # G2 is 1.1 km from S2 along its bank: nobody serves it on foot
    assert both.coverage["site_id"].fillna("-").to_dict() == {"G1": "S1", "G2": "-", "G3": "S2"}
    again = Allocation.from_dict(json.loads(json.dumps(walking.to_dict())))
    assert again == walking and again.distance == "walking"
    assert walking != Allocation.from_dict({**walking.to_dict(), "distance": "straight"})


def test_worker_distances_are_the_walked_metres():
    net, grids, sites, workers = river_town()
    a = allocate(grids, workers=workers, network=net)
    reps = gpd.GeoSeries(gpd.points_from_xy(*point_coords(grids.geometry).T), grids.index, CRS)
    walked = net.distances(workers.set_index("worker_id"), reps)
    for row in a.worker_assignment.itertuples():
        assert row.distance_m == pytest.approx(walked.loc[row.worker_id, row.grid], abs=1e-6)
    assert minimum_budget(grids, workers=workers, network=net)["smallest_budget"] == 1500
    sweep = budget_sweep(grids, sites, budgets=[1000, 2000], network=net)
    assert sweep["households_served"].tolist() == [300.0, 500.0]


def test_matrix_wins_and_bad_network_is_named():
    net, grids, sites, _ = river_town()
    m = {"sites": locate.distance_matrix(grids, sites.set_index("site_id"))}
    a = allocate(grids, sites, distances=m, network=net)
    assert a.distance == "matrix"
    with pytest.raises(ConfigError, match=r"network must be a gridplan\.network\.Network"):
        allocate(grids, sites, network="roads.pbf")


def test_locate_models_on_walking_distances():
    net, grids, sites, _ = river_town()
    s = sites.set_index("site_id")
    walk = locate.distance_matrix(grids, s, network=net)
    assert np.isfinite(walk.to_numpy()).all()
    assert walk.loc["G2", "S1"] > 2000  # over the bridge
    r = locate.p_median((grids, s), p=1, network=net, weights=grids["households"])
    assert r.objective == pytest.approx(locate.p_median(walk, 1, grids["households"]).objective)
    assert r.open_sites == ["S2"]
    assert locate.max_covering((grids, s), radius=500, p=1, network=net).objective == 1.0
    assert locate.set_covering((grids, s), radius=1200, network=net).open_sites == ["S1", "S2"]
    with pytest.raises(ConfigError, match=r"\(demand, sites\) pair"):
        locate.p_median(walk, p=1, network=net)
