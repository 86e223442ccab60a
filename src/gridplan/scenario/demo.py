"""The demo scenario: the synthetic county-town sample, from raw layers to allocation.

The same settings are in ``sample_data/scenario.toml`` for ``gridplan run``:
community boundaries, building footprints, the road layer and the household
register become one unit per building (:func:`gridplan.units.from_layers`),
then grids and the allocation. ``sample_data/scenario_units.toml`` runs the
same district from its ready-made polygon units.

>>> demo_scenario()["layers"]["on"], demo_scenario()["units"]
('building_id', None)
"""

from __future__ import annotations

from typing import Any

from gridplan.scenario.config import parse_scenario

__all__ = ["DEMO", "demo_layers", "demo_scenario"]

DEMO: dict[str, Any] = {
    "name": "synthetic county-town district (sample data)",
    "layers": {
        "boundaries": "communities.geojson",
        "buildings": "buildings.geojson",
        "roads": "streets.geojson",
        "register": "register.csv",
        "on": "building_id",
        "address": "address",
        "parent": "community",
        "population": "residents",
        "households": "households",
        "demand": ["age60plus", "elderly_alone", "disabled", "children"],
        "segment": 4.0,  # large apartment slabs: coarser sampling, same grids, less time
    },
    "divide": {
        "households_per_grid": 300,
        "tolerance": 0.10,
        "balance": "households",
        "within": "community",
        "road_weight": 2.0,
        "seed": 0,
    },
    "allocate": {
        "sites": "sites.geojson",
        "workers": "workers.geojson",
        "volunteers": "volunteers.geojson",
        "budget": 9_000_000,
        "solver": "highs",
        "time_limit": 120,
    },
    "output": {"map": True, "streets": "streets.geojson"},
}


def demo_scenario() -> dict[str, Any]:
    """The validated demo configuration (paths unused: layers come from ``load_sample()``)."""
    return parse_scenario(DEMO, source="demo scenario")


def demo_layers() -> dict[str, Any]:
    """The sample's layers in memory, under the names ``run_scenario(layers=...)`` reads."""
    from gridplan.datasets import load_sample

    s = load_sample()
    return {
        "boundaries": s.communities,
        "buildings": s.buildings,
        "roads": s.streets,
        "register": s.register,
        "sites": s.sites,
        "workers": s.workers,
        "volunteers": s.volunteers,
        "streets": s.streets,
    }
