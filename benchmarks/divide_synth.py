"""Synthetic irregular block layouts for the divide benchmark (generated, not real data).

Blocks are the Voronoi cells of a jittered lattice of points, clipped to the
bounding box: irregular polygons with 4-8 neighbours, like city blocks.
Households follow a gamma distribution with some empty blocks (parks,
works); population = households x 2.7 (illustrative).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely


def voronoi_blocks(n: int, seed: int = 0, block: float = 80.0) -> gpd.GeoDataFrame:
    """``n`` irregular blocks about ``block`` metres across, in EPSG:32650."""
    rng = np.random.default_rng(seed)
    nx_ = math.ceil(math.sqrt(n))
    ny = math.ceil(n / nx_)
    k = np.arange(n)
    row, col = np.divmod(k, nx_)
    jitter = rng.uniform(-0.4, 0.4, size=(n, 2))
    pts = np.column_stack([(col + 0.5 + jitter[:, 0]) * block, (row + 0.5 + jitter[:, 1]) * block])
    box = shapely.box(0, 0, nx_ * block, ny * block)
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box, ordered=True)
    polys = shapely.intersection(np.asarray(shapely.get_parts(cells)), box)
    hh = np.round(rng.gamma(2.0, 15.0, n)).astype(int)
    hh[rng.random(n) < 0.08] = 0
    return gpd.GeoDataFrame(
        {
            "block": [f"S{i:06d}" for i in range(n)],
            "households": hh,
            "population": np.round(hh * 2.7).astype(int),
        },
        geometry=polys,
        crs="EPSG:32650",
    )
