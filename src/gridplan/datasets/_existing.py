"""Existing grids for the sample district, and the district five years later.

``make_existing(layers)`` adds two layers to the synthetic district of
:func:`~gridplan.datasets.make_county_town`:

* ``existing_grids``: a grid map as drawn by hand years ago. Each community
  was cut with a ruler into strips of equal width (about one grid per 300
  households at the time), so the grids are uneven; one grid was drawn with
  a hole (a gap: units in no grid) and one drawn over its neighbours (an
  overlap). Codes ``<community>-01``..., a worker name on each grid.
* ``units_5y``: the units five years later. In 东街社区 (410727001004) a new
  estate: four plots rebuilt with three times the households, one of them
  split into two new units (new ids, the old id gone); in 北关社区
  (410727001002) eight courtyards demolished (removed, the district stays one
  piece); in 南关社区 and 滨河社区 households drifted by up to ±15 %;
  西街社区 and 新华社区 did not change.

Figures are illustrative, like the rest of the sample.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

__all__ = ["CHANGED", "UNCHANGED", "make_existing"]

NEW_ESTATE, DEMOLISHED = "410727001004", "410727001002"
DRIFTED = ("410727001003", "410727002001")
UNCHANGED = ("410727001001", "410727002002")
CHANGED = (NEW_ESTATE, DEMOLISHED, *DRIFTED)
_COUNTS = ("households", "population", "age60plus", "elderly_alone", "disabled", "children")


def _strips(poly: shapely.Geometry, k: int, rng: np.random.Generator) -> list[shapely.Geometry]:
    """``k`` strips of (nearly) equal width across the longer side, cut by a hurried ruler."""
    minx, miny, maxx, maxy = poly.bounds
    across_x = maxx - minx >= maxy - miny
    lo, hi = (minx, maxx) if across_x else (miny, maxy)
    edges = np.linspace(lo, hi, k + 1)
    edges[1:-1] += rng.uniform(-0.12, 0.12, k - 1) * (hi - lo) / k
    out = []
    for a, b in itertools.pairwise(edges.tolist()):
        box = shapely.box(a, miny, b, maxy) if across_x else shapely.box(minx, a, maxx, b)
        out.append(shapely.intersection(poly, box))
    return out


def _grids(layers: dict[str, gpd.GeoDataFrame], rng: np.random.Generator) -> gpd.GeoDataFrame:
    units, comms = layers["units"], layers["communities"].sort_values("community")
    hh = units.groupby("community")["households"].sum()
    codes, geoms = [], []
    for code, poly in zip(comms["community"], comms.geometry, strict=True):
        k = max(1, round(float(hh[code]) * rng.uniform(0.8, 1.0) / 300))
        for i, g in enumerate(_strips(poly, k, rng), start=1):
            codes.append(f"{code}-{i:02d}")
            geoms.append(g)
    # Two drawing mistakes: a hole (three units) in the third grid, the seventh drawn 40 m over
    # its neighbours.
    inside = units[units.geometry.covered_by(geoms[2])]
    near = inside.geometry.distance(shapely.point_on_surface(geoms[2])).sort_values(kind="stable")
    hole = shapely.union_all(shapely.buffer(inside.geometry.loc[near.index[:3]].array, 0.5))
    geoms[2] = shapely.difference(geoms[2], hole)
    geoms[6] = shapely.buffer(geoms[6], 40.0, join_style="mitre")
    names = layers["workers"].sort_values("worker_id")["name"].tolist()
    grids = gpd.GeoDataFrame(
        {"code": codes, "worker": [names[i % len(names)] for i in range(len(codes))]},
        geometry=[shapely.set_precision(g, 0.01) for g in geoms],
        crs=units.crs,
    )
    return grids


def _demolish(units: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Remove eight courtyards of one community, keeping the district and community in one piece."""
    from gridplan.territory.contiguity import contiguity_graph

    graph = contiguity_graph(units.geometry.array, units.index)
    mine = units.index[(units["community"] == DEMOLISHED) & (units["kind"] == "courtyard")]
    gone: list[int] = []
    for u in rng.permutation(np.asarray(mine)).tolist():
        rest = graph.copy()
        rest.remove_nodes_from([*gone, u])
        same = [v for v in rest if units.at[v, "community"] == DEMOLISHED]
        if nx.is_connected(rest) and nx.is_connected(rest.subgraph(same)):
            gone.append(u)
        if len(gone) == 8:
            break
    return units.drop(index=gone)


def _new_estate(units: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Four neighbouring plots rebuilt as towers; the first one split into two new units."""
    mine = units[units["community"] == NEW_ESTATE]
    seed = mine.index[int(rng.integers(len(mine)))]
    d = mine.geometry.centroid.distance(mine.geometry.centroid.loc[seed])
    plots = d.sort_values(kind="stable").index[:4]
    out = units.copy()
    for col in _COUNTS:
        out.loc[plots, col] = out.loc[plots, col] * 3 + (40 if col == "households" else 0)
    first = out.loc[plots[0]]
    cx = first.geometry.centroid.x
    minx, miny, maxx, maxy = first.geometry.bounds
    halves = [
        shapely.intersection(first.geometry, shapely.box(minx - 1, miny - 1, cx, maxy + 1)),
        shapely.intersection(first.geometry, shapely.box(cx, miny - 1, maxx + 1, maxy + 1)),
    ]
    rows = []
    for i, g in enumerate(halves):
        row = first.copy()
        row["unit_id"] = f"{first['unit_id']}{'ab'[i]}"
        for col in _COUNTS:
            row[col] = first[col] // 2 + (first[col] % 2 if i == 0 else 0)
        row["geometry"] = g
        rows.append(row)
    added = gpd.GeoDataFrame(rows, geometry="geometry", crs=units.crs)
    return pd.concat([out.drop(index=plots[0]), added], ignore_index=True)


def _drift(units: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    out = units.copy()
    mine = out["community"].isin(DRIFTED).to_numpy()
    factor = rng.uniform(0.85, 1.15, int(mine.sum()))
    for col in _COUNTS:
        values = out.loc[mine, col].to_numpy(dtype=float)
        out.loc[mine, col] = np.rint(values * factor).astype(out[col].dtype)
    return out


def make_existing(layers: dict[str, gpd.GeoDataFrame], seed: int) -> dict[str, gpd.GeoDataFrame]:
    """The ``existing_grids`` and ``units_5y`` layers of the district in ``layers``."""
    rng = np.random.default_rng([seed, 5])
    grids = _grids(layers, rng)
    units = layers["units"].reset_index(drop=True)
    later = _drift(_new_estate(_demolish(units, rng), rng), rng)
    return {"existing_grids": grids, "units_5y": later.reset_index(drop=True)}
