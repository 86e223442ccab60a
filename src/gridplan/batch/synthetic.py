"""A small synthetic city for batch tests and demos: many tiny, independent communities.

Each community is a ``side`` × ``side`` block of square 50 m units laid out on
a city-wide lattice, with its own candidate sites, grid workers and volunteers.
Every layer carries the community code (column ``community``) and its street
(column ``street``, ten communities per street), so any of them can be the
batch's region column. Not a real place; money figures are illustrative.
For realistic communities use :func:`gridplan.datasets.make_county_town` at
several seeds (the batch benchmark does).

>>> city = make_city(3, side=4, seed=1)
>>> len(city["units"]), sorted(city["units"]["community"].unique())
(48, ['C0000', 'C0001', 'C0002'])
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from gridplan.datasets import CRS, SKILLS

__all__ = ["make_city", "write_city"]

_CELL = 50.0  # unit side, metres
_X0, _Y0 = 500_000.0, 3_800_000.0
_PER_ROW = 20  # communities per row of the city lattice


def _origin(k: int, side: int) -> tuple[float, float]:
    step = side * _CELL
    return _X0 + (k % _PER_ROW) * step, _Y0 + (k // _PER_ROW) * step


def _units(k: int, code: str, street: str, side: int, rng: np.random.Generator) -> list[dict]:
    x0, y0 = _origin(k, side)
    rows = []
    for i in range(side * side):
        cx, cy = x0 + (i % side) * _CELL, y0 + (i // side) * _CELL
        hh = int(rng.integers(20, 121))
        pop = round(hh * float(rng.uniform(2.5, 3.0)))
        rows.append(
            {
                "unit_id": f"{code}-U{i:03d}",
                "community": code,
                "street": street,
                "households": hh,
                "population": pop,
                "age60plus": int(pop * rng.uniform(0.15, 0.25)),
                "elderly_alone": int(pop * rng.uniform(0.01, 0.02)),
                "disabled": int(pop * 0.015),
                "children": int(pop * rng.uniform(0.1, 0.18)),
                "geometry": box(cx, cy, cx + _CELL, cy + _CELL),
            }
        )
    return rows


def _points(k: int, side: int, n: int, rng: np.random.Generator) -> list[Point]:
    x0, y0 = _origin(k, side)
    span = side * _CELL
    xy = rng.uniform(0.05 * span, 0.95 * span, size=(n, 2))
    return [Point(round(x0 + a, 2), round(y0 + b, 2)) for a, b in xy]


def _layer(
    key: str, code: str, street: str, points: list[Point], fields: Callable[[int], dict]
) -> list[dict]:
    """Rows ``{key: "<code>-<letter><j>", community, street, **fields(j), geometry}``."""
    letter = key[0].upper()
    return [
        {
            key: f"{code}-{letter}{j}",
            "community": code,
            "street": street,
            **fields(j),
            "geometry": g,
        }
        for j, g in enumerate(points)
    ]


def _people(k: int, code: str, street: str, side: int, rng: np.random.Generator) -> tuple:
    sites = _layer("site_id", code, street, _points(k, side, 3, rng), lambda j: {
        "open_cost": 0 if j == 0 else int(rng.integers(30, 80)) * 1_000,
        "annual_cost": int(rng.integers(40, 90)) * 1_000,
        "capacity": int(side * side * 80), "radius_m": 400, "existing": j == 0,
    })  # fmt: skip
    workers = _layer("worker_id", code, street, _points(k, side, 4, rng), lambda j: {
        "annual_cost": int(rng.integers(55, 75)) * 1_000, "max_travel_m": 3_000, "max_grids": 2,
    })  # fmt: skip
    volunteers = _layer("volunteer_id", code, street, _points(k, side, 6, rng), lambda j: {
        "hours_per_month": int(rng.integers(4, 21)),
        "skills": ";".join(sorted(rng.choice(SKILLS, size=2, replace=False))),
        "max_travel_m": 1_500,
    })  # fmt: skip
    return sites, workers, volunteers


def make_city(n_communities: int = 20, side: int = 6, seed: int = 0) -> dict[str, gpd.GeoDataFrame]:
    """Return ``units``, ``sites``, ``workers``, ``volunteers`` of a synthetic city (EPSG:4547).

    Community ``k`` has code ``C{k:04d}`` and belongs to street ``T{k // 10:03d}``;
    it has ``side**2`` units, 3 candidate sites (one already open), 4 grid-worker
    candidates and 6 volunteers. Only ``numpy.random.default_rng(seed)`` supplies
    randomness, so the same arguments give the same city.
    """
    rng = np.random.default_rng(seed)
    layers: dict[str, list[dict]] = {"units": [], "sites": [], "workers": [], "volunteers": []}
    for k in range(n_communities):
        code, street = f"C{k:04d}", f"T{k // 10:03d}"
        layers["units"] += _units(k, code, street, side, rng)
        sites, workers, volunteers = _people(k, code, street, side, rng)
        layers["sites"] += sites
        layers["workers"] += workers
        layers["volunteers"] += volunteers
    return {
        name: gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=CRS)
        for name, rows in layers.items()
    }


def write_city(
    city: dict[str, gpd.GeoDataFrame],
    folder: str | os.PathLike[str],
    households_per_grid: float = 500,
    budget: float | None = None,
    map: bool = False,
) -> dict[str, Any]:
    """Write ``city`` as GeoPackages in ``folder`` and return a matching batch scenario.

    Each layer (``units.gpkg``, ``sites.gpkg``...) gets an index on ``community``
    and ``street``. ``budget`` defaults to 400,000 yuan per community.

    >>> import tempfile
    >>> cfg = write_city(make_city(2, side=3), tempfile.mkdtemp())
    >>> cfg["allocate"]["budget"], Path(cfg["units"]["path"]).name
    (800000.0, 'units.gpkg')
    """
    from gridplan.batch.merge import write_gpkg
    from gridplan.batch.source import index_column
    from gridplan.scenario import parse_scenario

    folder = Path(folder)
    paths = {}
    for name, gdf in city.items():
        paths[name] = folder / f"{name}.gpkg"
        write_gpkg(gdf, paths[name], name)
        for column in ("community", "street"):
            index_column(paths[name], name, column)
    n = city["units"]["community"].nunique()
    raw = {
        "name": "synthetic city",
        "units": {"path": str(paths["units"]), "id": "unit_id", "population": "population",
                  "households": "households",
                  "demand": ["age60plus", "elderly_alone", "disabled", "children"]},
        "divide": {"households_per_grid": households_per_grid, "tolerance": 0.15, "seed": 0},
        "allocate": {"sites": str(paths["sites"]), "workers": str(paths["workers"]),
                     "volunteers": str(paths["volunteers"]),
                     "budget": float(budget if budget is not None else 400_000 * n)},
        "output": {"map": map},
    }  # fmt: skip
    return parse_scenario(raw, source="synthetic city")
