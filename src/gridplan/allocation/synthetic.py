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
from typing import NamedTuple

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
    """Return ``{"grids", "sites", "workers", "volunteers"}`` GeoDataFrames.

    The layers are drawn in this order from one generator seeded with ``seed``.
    """
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n_grids))
    town = _Town(rng, side * _CELL, math.ceil(n_grids / side) * _CELL, crs)
    return {
        "grids": _grids(rng, n_grids, side, crs),
        "sites": _sites(town, n_sites),
        "workers": _workers(town, n_workers),
        "volunteers": _volunteers(town, n_volunteers),
    }


class _Town(NamedTuple):
    """The generator and the town's extent, to scatter points in."""

    rng: np.random.Generator
    width: float
    height: float
    crs: int

    def points(self, n: int) -> gpd.GeoSeries:
        """``n`` points drawn uniformly over the town."""
        return gpd.GeoSeries.from_xy(
            _X0 + self.rng.uniform(0, self.width, n),
            _Y0 + self.rng.uniform(0, self.height, n),
            crs=self.crs,
        )


def _grids(rng: np.random.Generator, n_grids: int, side: int, crs: int) -> gpd.GeoDataFrame:
    """Square grids of 400 m, ``side`` to a row, with households and people by group."""
    k = np.arange(n_grids)
    gx, gy = k % side, k // side
    polys = [
        box(_X0 + x * _CELL, _Y0 + y * _CELL, _X0 + (x + 1) * _CELL, _Y0 + (y + 1) * _CELL)
        for x, y in zip(gx, gy, strict=True)
    ]
    hh = rng.poisson(280, n_grids).clip(20, 390)
    pop = np.round(hh * rng.uniform(2.4, 2.9, n_grids)).astype(int)
    old = rng.binomial(pop, 0.19)
    return gpd.GeoDataFrame(
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


def _sites(town: _Town, n_sites: int) -> gpd.GeoDataFrame:
    """Candidate service points; about one in ten is an existing centre."""
    rng = town.rng
    existing = rng.random(n_sites) < 0.1
    return gpd.GeoDataFrame(
        {
            "site_id": [f"S{i:03d}" for i in range(n_sites)],
            "kind": np.where(existing, "centre", "station"),
            "open_cost": np.where(existing, 0, rng.integers(10, 80, n_sites) * 10_000),
            "annual_cost": rng.integers(10, 40, n_sites) * 10_000,
            "capacity": rng.integers(15, 50, n_sites) * 100,
            "radius_m": rng.choice([500, 800, 1000], n_sites),
            "existing": existing,
        },
        geometry=town.points(n_sites),
    )


def _workers(town: _Town, n_workers: int) -> gpd.GeoDataFrame:
    """Paid grid workers with their cost and travel, grid and household limits."""
    rng = town.rng
    return gpd.GeoDataFrame(
        {
            "worker_id": [f"W{i:04d}" for i in range(n_workers)],
            "annual_cost": rng.integers(450, 650, n_workers) * 100,
            "max_travel_m": rng.choice([1500, 2000, 3000], n_workers),
            "max_grids": rng.choice([1, 2], n_workers, p=[0.8, 0.2]),
            "max_households": rng.choice([400, 500, 700], n_workers),
        },
        geometry=town.points(n_workers),
    )


def _volunteers(town: _Town, n_volunteers: int) -> gpd.GeoDataFrame:
    """Volunteers with one or two skills of the default needs and their monthly hours."""
    rng = town.rng
    skills = list(DEFAULT_NEEDS)
    picks = [
        ";".join(sorted(rng.choice(skills, rng.integers(1, 3), replace=False)))
        for _ in range(n_volunteers)
    ]
    return gpd.GeoDataFrame(
        {
            "volunteer_id": [f"V{i:05d}" for i in range(n_volunteers)],
            "hours_per_month": rng.integers(4, 17, n_volunteers),
            "skills": picks,
            "max_travel_m": rng.choice([800, 1000, 1500], n_volunteers),
            "annual_cost": rng.integers(3, 20, n_volunteers) * 100,
        },
        geometry=town.points(n_volunteers),
    )
