"""Synthetic plan and allocation data for the map, plot and browser tests.

Not a pytest conftest (the lead owns ``tests/conftest.py``): test modules
import these builders directly. The data sit near the Bund in Shanghai
(EPSG:32651, UTM 51N) so that the GCJ-02 shift applies, and carry Chinese
names plus hostile ones to exercise escaping.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point, box

XSS = "<img src=x onerror=window.__xss=1>"
XSS_TEMPLATE = "`${window.__xss=2}`"
XSS_SCRIPT = "</script><script>window.__xss=3</script>"
CRS = 32651
X0, Y0 = 352_000.0, 3_457_000.0  # about 121.49 E, 31.24 N
SIZE = 200.0


def make_grids(rows: int = 3, cols: int = 4) -> gpd.GeoDataFrame:
    """rows × cols square grids with the columns of ``GridPlan.grids``."""
    recs, geoms, codes = [], [], []
    rng = np.random.default_rng(5)
    n = rows * cols
    for k in range(n):
        r, c = divmod(k, cols)
        geoms.append(box(X0 + c * SIZE, Y0 + r * SIZE, X0 + (c + 1) * SIZE, Y0 + (r + 1) * SIZE))
        codes.append(f"310101001001{k + 1:03d}")
        hh = int(rng.integers(250, 350))
        recs.append(
            {
                "parent": "外滩社区" if c < cols // 2 else "南京东路社区",
                "n_units": 4,
                "population": int(hh * 2.62),
                "households": hh,
                "elderly_alone": int(rng.integers(0, 12)),
                "target": 300.0,
                "deviation": hh / 300.0 - 1.0,
                "area_m2": SIZE * SIZE,
                "polsby_popper": np.pi / 4,
                "neighbours": [],
                "worker": f"网格员{k + 1}",
            }
        )
    grids = gpd.GeoDataFrame(recs, geometry=geoms, crs=CRS, index=pd.Index(codes, name="grid"))
    # Hostile text in every kind of field that reaches the page.
    grids.loc[codes[1], "worker"] = XSS
    grids.loc[codes[2], "worker"] = XSS_TEMPLATE
    grids.loc[codes[3], "worker"] = XSS_SCRIPT
    grids = grids.rename(index={codes[-1]: "<b>G-last</b>"})
    return grids


def make_units(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Four square units per grid, with the grid code in column ``grid``."""
    recs, geoms, ids = [], [], []
    for code, geom in grids.geometry.items():
        minx, miny, maxx, maxy = geom.bounds
        hx, hy = (minx + maxx) / 2, (miny + maxy) / 2
        for j, g in enumerate(
            [
                box(minx, miny, hx, hy),
                box(hx, miny, maxx, hy),
                box(minx, hy, hx, maxy),
                box(hx, hy, maxx, maxy),
            ]
        ):
            ids.append(f"{code}-{j}")
            geoms.append(g)
            recs.append({"grid": code, "households": 75, "population": 196})
    units = gpd.GeoDataFrame(recs, geometry=geoms, crs=CRS, index=pd.Index(ids, name="unit"))
    units = units.rename(index={ids[0]: XSS})
    return units


def make_parents(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    parents = grids.dissolve(by="parent").reset_index()[["parent", "geometry"]]
    parents = parents.rename(columns={"parent": "name"})
    parents.loc[0, "name"] = parents.loc[0, "name"] + XSS
    return parents


def make_streets() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["中山东一路", XSS, None]},
        geometry=[
            LineString([(X0, Y0 + SIZE), (X0 + 4 * SIZE, Y0 + SIZE)]),
            LineString([(X0 + 2 * SIZE, Y0), (X0 + 2 * SIZE, Y0 + 3 * SIZE)]),
            LineString([(X0, Y0 + 2 * SIZE), (X0 + 4 * SIZE, Y0 + 2 * SIZE)]),
        ],
        crs=CRS,
    )


@dataclass
class FakeAllocation:
    """Has exactly the attributes ``Allocation`` promises (duck typing)."""

    grids: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    workers: gpd.GeoDataFrame
    volunteers: gpd.GeoDataFrame
    worker_assignment: pd.DataFrame
    volunteer_assignment: pd.DataFrame
    coverage: pd.DataFrame
    status: str = "optimal"
    gap: float = 0.0
    cost: dict[str, Any] = field(default_factory=dict)
    budget: float = 1_000_000.0


def make_allocation(grids: gpd.GeoDataFrame | None = None) -> FakeAllocation:
    grids = make_grids() if grids is None else grids
    codes = list(grids.index)
    cents = grids.geometry.centroid
    sites = gpd.GeoDataFrame(
        {
            "name": ["外滩服务站", XSS, "南京东路站", "备选点"],
            "open": [True, True, False, False],
            "existing": [True, False, False, False],
            "radius_m": [300.0, 500.0, 300.0, 300.0],
            "capacity": [1500, 2000, 1500, 1500],
            "households_served": [1400, 1800, 0, 0],
            "cost": [0.0, 200_000.0, 150_000.0, 150_000.0],
        },
        geometry=[cents.iloc[0], cents.iloc[6], cents.iloc[3], cents.iloc[9]],
        crs=CRS,
        index=pd.Index(["S1", "S2", "S3", "S4"], name="site_id"),
    )
    workers = gpd.GeoDataFrame(
        {
            "name": ["王芳", XSS, "李强"],
            "hired": [True, True, False],
            "grids": [codes[:6], codes[6:], []],
        },
        geometry=[Point(X0 - 100, Y0 + 50), Point(X0 + 900, Y0 + 500), Point(X0 + 400, Y0 - 80)],
        crs=CRS,
        index=pd.Index(["W1", "W2", "W3"], name="worker_id"),
    )
    volunteers = gpd.GeoDataFrame(
        {"name": ["赵敏", XSS_TEMPLATE], "selected": [True, False], "hours_assigned": [8.0, 0.0]},
        geometry=[Point(X0 + 50, Y0 + 650), Point(X0 + 700, Y0 + 650)],
        crs=CRS,
        index=pd.Index(["V1", "V2"], name="volunteer_id"),
    )
    wa = pd.DataFrame(
        {
            "worker_id": ["W1"] * 6 + ["W2"] * (len(codes) - 6),
            "grid": codes,
            "distance_m": [float(d) for d in range(100, 100 + 50 * len(codes), 50)],
        }
    )
    va = pd.DataFrame(
        {
            "volunteer_id": ["V1", "V1"],
            "grid": codes[8:10],
            "skill": ["elder care", XSS],
            "hours_per_month": [4.0, 4.0],
            "distance_m": [120.0, 260.0],
        }
    )
    hh = grids["households"].astype(float)
    served = hh.copy()
    served.iloc[-2:] = 0.0
    need = pd.Series(4.0, index=grids.index)
    delivered = need.copy()
    delivered.iloc[:2] = 0.0
    coverage = pd.DataFrame(
        {
            "households": hh,
            "households_served": served,
            "site_id": ["S1"] * 6 + ["S2"] * (len(codes) - 8) + [None, None],
            "lead_worker": wa.set_index("grid")["worker_id"].reindex(grids.index).to_numpy(),
            "need_hours": need,
            "hours_delivered": delivered,
            "unmet_hours": need - delivered,
            "coverage": served / hh,
        },
        index=grids.index,
    )
    return FakeAllocation(
        grids=grids.join(coverage.drop(columns=["households"])),
        sites=sites,
        workers=workers,
        volunteers=volunteers,
        worker_assignment=wa,
        volunteer_assignment=va,
        coverage=coverage,
        cost={"total": 350_000.0, "sites": 200_000.0, "workers": 150_000.0},
    )


def embedded_geojson(html: str) -> dict[str, dict[str, Any]]:
    """Every GeoJSON layer in a page: ``{className: FeatureCollection}``.

    Parses what the browser would receive: the ``L.geoJson(null, {...})``
    options give the layer's class, the ``_add({...})`` call its data. Layers
    sharing a class (worker and volunteer links) are merged.
    """
    import json

    out: dict[str, dict[str, Any]] = {}
    for m in re.finditer(r"var (geo_json_\w+) = L\.geoJson\(null, \{(.*?)\}\);", html, re.S):
        name, opts = m.group(1), m.group(2)
        cls = re.search(r'"className": "([^"]+)"', opts)
        start = html.index(f"{name}_add(", m.end()) + len(name) + 5
        data, _ = json.JSONDecoder().raw_decode(html, start)
        key = cls.group(1) if cls else name
        if key in out:
            out[key]["features"].extend(data["features"])
        else:
            out[key] = data
    return out


def chromium_path() -> str | None:
    """Debian's chromium, if installed."""
    for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if shutil.which(p):
            return p
    return None
