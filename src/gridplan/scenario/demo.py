"""The demo scenario: the synthetic county-town sample, divided and allocated.

The same settings are in ``sample_data/scenario.toml`` for ``gridplan run``.
"""

from __future__ import annotations

from typing import Any

from gridplan.scenario.config import parse_scenario

__all__ = ["DEMO", "demo_scenario"]

DEMO: dict[str, Any] = {
    "name": "synthetic county-town district (sample data)",
    "units": {
        "path": "units.geojson",
        "id": "unit_id",
        "population": "population",
        "households": "households",
        "parent": "community",
        "demand": ["age60plus", "elderly_alone", "disabled", "children"],
    },
    "divide": {
        "households_per_grid": 300,
        "tolerance": 0.10,
        "balance": "households",
        "within": "community",
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
