"""Deterministic synthetic allocation scenarios (for tests and benchmarks).

A square town of ``n_grids`` square grids (400 m) with households, candidate
sites, workers and volunteers drawn from a seeded generator. All figures are
*illustrative*, not data about any place.

>>> sc = make_scenario(n_grids=20, n_sites=5, n_workers=25, n_volunteers=30, seed=1)
>>> len(sc["grids"]), len(sc["sites"]), sc["grids"].crs.to_epsg()
(20, 5, 4547)
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from gridplan.allocation.rules import DEFAULT_NEEDS

__all__ = ["make_scenario"]

_CELL = 400.0
_X0, _Y0 = 500_000.0, 3_800_000.0  # inside CGCS2000 / 3-degree GK CM 114E (EPSG:4547)


def make_scenario(
    n_grids: int = 100,
    n_sites: int = 30,
    n_workers: int = 100,
    n_volunteers: int = 300,
    seed: int = 0,
    crs: int = 4547,
) -> dict[str, gpd.GeoDataFrame]:
    """Return ``{"grids", "sites", "workers", "volunteers"}`` GeoDataFrames."""
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n_grids))
    k = np.arange(n_grids)
    gx, gy = k % side, k // side
    polys = [
        box(_X0 + x * _CELL, _Y0 + y * _CELL, _X0 + (x + 1) * _CELL, _Y0 + (y + 1) * _CELL)
        for x, y in zip(gx, gy, strict=True)
    ]
    hh = rng.poisson(280, n_grids).clip(20, 390)
    pop = np.round(hh * rng.uniform(2.4, 2.9, n_grids)).astype(int)
    old = rng.binomial(pop, 0.19)
    grids = gpd.GeoDataFrame(
        {
            "households": hh,
            "population": pop,
            "age60plus": old,
            "elderly_alone": rng.binomial(old, 0.05),
            "disabled": rng.binomial(pop, 0.012),
            "children": rng.binomial(pop, 0.13),
        },
        geometry=polys,
        index=pd.Index([f"G{i:04d}" for i in k], name="grid"),
        crs=crs,
    )
    w_side = side * _CELL
    h_side = math.ceil(n_grids / side) * _CELL

    def points(n: int) -> gpd.GeoSeries:
        return gpd.GeoSeries.from_xy(
            _X0 + rng.uniform(0, w_side, n), _Y0 + rng.uniform(0, h_side, n), crs=crs
        )

    existing = rng.random(n_sites) < 0.1
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"S{i:03d}" for i in range(n_sites)],
            "kind": np.where(existing, "centre", "station"),
            "open_cost": np.where(existing, 0, rng.integers(10, 80, n_sites) * 10_000),
            "annual_cost": rng.integers(10, 40, n_sites) * 10_000,
            "capacity": rng.integers(15, 50, n_sites) * 100,
            "radius_m": rng.choice([500, 800, 1000], n_sites),
            "existing": existing,
        },
        geometry=points(n_sites),
    )
    workers = gpd.GeoDataFrame(
        {
            "worker_id": [f"W{i:04d}" for i in range(n_workers)],
            "annual_cost": rng.integers(450, 650, n_workers) * 100,
            "max_travel_m": rng.choice([1500, 2000, 3000], n_workers),
            "max_grids": rng.choice([1, 2], n_workers, p=[0.8, 0.2]),
            "max_households": rng.choice([400, 500, 700], n_workers),
        },
        geometry=points(n_workers),
    )
    skills = list(DEFAULT_NEEDS)
    picks = [
        ";".join(sorted(rng.choice(skills, rng.integers(1, 3), replace=False)))
        for _ in range(n_volunteers)
    ]
    volunteers = gpd.GeoDataFrame(
        {
            "volunteer_id": [f"V{i:05d}" for i in range(n_volunteers)],
            "hours_per_month": rng.integers(4, 17, n_volunteers),
            "skills": picks,
            "max_travel_m": rng.choice([800, 1000, 1500], n_volunteers),
            "annual_cost": rng.integers(3, 20, n_volunteers) * 100,
        },
        geometry=points(n_volunteers),
    )
    return {"grids": grids, "sites": sites, "workers": workers, "volunteers": volunteers}
