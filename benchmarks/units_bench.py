"""Benchmark of gridplan.units: tessellation, register join, roads as grid boundaries.

1. ``tess``: :func:`gridplan.units.tessellate` on synthetic towns of 2,000 / 20,000 /
   100,000 building footprints (blocks of 5 × 5 buildings between roads, 4 classes of
   road, 10 communities). Each size runs in a fresh process so its peak resident
   memory (``ru_maxrss``) is its own. Reports seconds, peak MiB, cells, open cells and
   the area identity ``|sum(cells) - boundary| / boundary`` and ``|union - boundary|``.
2. ``register``: :func:`gridplan.units.join_register` of 1,000,000 register rows to
   20,000 buildings (95 % by key, 4 % by an address written differently, 1 % unknown
   buildings of known compounds or unknown addresses). Also :func:`read_register` of
   the same table as a GBK CSV.
3. ``sample``: the sample district's raw layers (``sample_data/``: 2,228 footprints,
   streets, a 2,298-row register with the defects listed in ``sample_data/README.md``):
   match rate by key and by address for the UTF-8 and the GBK register, the time of
   ``Territory.from_layers``, and the share of grid boundary on roads with
   ``road_weight`` 0 and 2 (the demo's division settings).
4. ``shanghai`` (``../shared/data/shanghai_bund``, skipped when absent): residential
   land tessellated into one unit per building, roads (major/minor/path) and rail +
   water as barriers; households are an ESTIMATE (footprint × floors (height / 3 m,
   6 floors when unknown) ÷ 90 m²); divided into grids of about 300 estimated
   households with road_weight 0 (no preference), 2 (default) and 8, reporting the
   share of grid boundary length on roads / barriers.

Run from the repository root::

    .venv/bin/python benchmarks/units_bench.py tess register sample shanghai \\
        --markdown benchmarks/results/units.md
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
BUND = SHARED / "data" / "shanghai_bund"
CRS = "EPSG:32651"


def synthetic_town(n_buildings: int, seed: int = 0) -> tuple[Any, Any, Any]:
    """Boundaries, building footprints and roads of a grid town with ``n_buildings``."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    block, per_side = 160.0, 5  # 25 buildings a block, 30 m apart
    n_blocks = int(np.ceil(n_buildings / per_side**2))
    cols = int(np.ceil(np.sqrt(n_blocks)))
    rows = int(np.ceil(n_blocks / cols))
    bx, by = np.divmod(np.arange(n_blocks), rows)
    k = np.arange(per_side**2)
    gx, gy = np.divmod(k, per_side)
    x = bx[:, None] * block + 12 + gx[None, :] * 28 + rng.uniform(0, 4, (n_blocks, k.size))
    y = by[:, None] * block + 12 + gy[None, :] * 28 + rng.uniform(0, 4, (n_blocks, k.size))
    x, y = x.ravel()[:n_buildings], y.ravel()[:n_buildings]
    w = rng.uniform(10, 18, n_buildings)
    h = rng.uniform(8, 14, n_buildings)
    hh = rng.integers(6, 120, n_buildings)
    buildings = gpd.GeoDataFrame(
        {"households": hh, "residents": np.round(hh * 2.6)},
        geometry=shapely.box(x, y, x + w, y + h),
        crs=CRS,
    )
    width, height = cols * block, rows * block
    kinds = ["major_road", "minor_road", "minor_road", "path"]
    lines = [shapely.LineString([(c * block, -1), (c * block, height + 1)]) for c in range(1, cols)]
    lines += [shapely.LineString([(-1, r * block), (width + 1, r * block)]) for r in range(1, rows)]
    roads = gpd.GeoDataFrame(
        {"kind": [kinds[i % 4] for i in range(len(lines))]}, geometry=lines, crs=CRS
    )
    edges = np.linspace(0, cols, 11).round().astype(int) * block  # 10 communities
    strips = [shapely.box(a, 0, b, height) for a, b in itertools.pairwise(edges) if b > a]
    boundary = gpd.GeoDataFrame(
        {"community": [f"C{i:02d}" for i in range(len(strips))]}, geometry=strips, crs=CRS
    )
    return boundary, buildings, roads


def one_tessellation(n: int) -> dict[str, Any]:
    import shapely

    from gridplan.units import tessellate

    boundary, buildings, roads = synthetic_town(n)
    t, cpu = time.perf_counter(), time.process_time()
    cells = tessellate(boundary, buildings, roads=roads, parent="community")
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    area = float(shapely.area(shapely.union_all(boundary.geometry.array)))
    union = float(shapely.union_all(cells.geometry.array).area)
    return {
        "buildings": n,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        "cells": len(cells),
        "open_cells": int((cells["kind"] == "open").sum()),
        "area_error_sum": abs(float(cells.area.sum()) - area) / area,
        "area_error_union": abs(union - area) / area,
        "households_conserved": float(cells["households"].sum())
        == float(buildings["households"].sum()),
    }


def bench_tess(sizes: list[int]) -> list[dict[str, Any]]:
    out = []
    for n in sizes:
        res = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True
        )
        out.append(json.loads(res.stdout.strip().splitlines()[-1]))
        print(out[-1], flush=True)
    return out


def bench_register(n_rows: int = 1_000_000, n_buildings: int = 20_000) -> dict[str, Any]:
    import tempfile

    import geopandas as gpd
    import pandas as pd
    import shapely

    from gridplan.units import join_register, read_register

    rng = np.random.default_rng(7)
    b = np.arange(n_buildings)
    compound, number = b // 20 + 1, b % 20 + 1
    addr = [f"幸福路{c}号{n}栋" for c, n in zip(compound, number, strict=True)]
    buildings = gpd.GeoDataFrame(
        {"bid": [f"B{i:06d}" for i in b], "addr": addr},
        geometry=shapely.points(b % 200 * 50.0, b // 200 * 50.0),
        crs=CRS,
    )
    which = rng.integers(0, n_buildings, n_rows)
    kind = rng.random(n_rows)
    keys = np.array([f"B{i:06d}" for i in which], dtype=object)
    full = "０１２３４５６７８９"
    variant = np.array(
        [
            f"幸福路{''.join(full[int(d)] for d in str(c))}号 {n}幢 {u}单元{r}室"
            for c, n, u, r in zip(
                compound[which], number[which], which % 3 + 1, which % 900 + 101, strict=True
            )
        ],
        dtype=object,
    )
    address = np.array(addr, dtype=object)[which]
    by_addr = (kind >= 0.95) & (kind < 0.99)
    unknown = kind >= 0.99
    keys[by_addr | unknown] = ""
    address[by_addr] = variant[by_addr]
    address[unknown] = [
        f"幸福路{c}号{n + 20}栋" if i % 2 else f"光明路{c}号"
        for i, (c, n) in enumerate(
            zip(compound[which[unknown]], number[which[unknown]], strict=False)
        )
    ]
    table = pd.DataFrame(
        {
            "bid": keys,
            "addr": address,
            "households": rng.integers(0, 3, n_rows).astype(str),
            "residents": rng.integers(0, 6, n_rows).astype(str),
        }
    )
    t, cpu = time.perf_counter(), time.process_time()
    _joined, rep = join_register(
        buildings, table, on="bid", address="addr", counts=["households", "residents"]
    )
    join_s, join_cpu = time.perf_counter() - t, time.process_time() - cpu
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.csv"
        path.write_bytes(table.to_csv(index=False).encode("gbk"))
        t = time.perf_counter()
        back = read_register(path)
        read_s = time.perf_counter() - t
    totals = rep.totals["households"]
    return {
        "rows": n_rows,
        "buildings": n_buildings,
        "join_seconds": round(join_s, 2),
        "join_cpu_seconds": round(join_cpu, 2),
        "read_gbk_csv_seconds": round(read_s, 2),
        "read_encoding": back.attrs["encoding"],
        "match_rate": {k: round(v, 4) for k, v in rep.match_rate.items()},
        "rows_written_differently": int(by_addr.sum()),
        "households_conserved": totals["register"] == totals["joined"] + totals["unplaced"],
        "households": totals,
    }


def bench_sample() -> dict[str, Any]:
    """The sample's register defects and roads (see the module docstring, item 3)."""
    from gridplan import Territory, divide
    from gridplan.datasets import load_sample
    from gridplan.scenario.demo import demo_scenario
    from gridplan.units import join_register, read_register

    s = load_sample()
    out: dict[str, Any] = {}
    for name in ("register.csv", "register_gbk.csv"):
        table = read_register(ROOT / "sample_data" / name)
        _, rep = join_register(s.buildings, table, on="building_id", address="address")
        out[name] = {
            "encoding": table.attrs["encoding"],
            "rows": rep.n_rows,
            "by_key": rep.matched_by_key,
            "by_address": len(rep.matched_by_address),
            "to_compound": len(rep.assigned_by_stem),
            "unplaced": len(rep.unplaced),
            "match_rate": {k: round(v, 4) for k, v in rep.match_rate.items()},
            "issues": rep.issues["issue"].value_counts().sort_index().to_dict(),
            "households": rep.totals["households"],
        }
    segment = demo_scenario()["layers"]["segment"]  # the demo's sampling of footprints
    t, cpu = time.perf_counter(), time.process_time()
    territory = Territory.from_layers(
        boundaries=s.communities, buildings=s.buildings, roads=s.streets, register=s.register,
        on="building_id", address="address", parent="community", population="residents",
        segment=segment,
    )  # fmt: skip
    out["from_layers"] = {
        "seconds": round(time.perf_counter() - t, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "segment_m": segment,
        "units": len(territory.units),
        "edges": territory.graph.number_of_edges(),
        "edges_on_roads": sum(1 for *_, r in territory.graph.edges(data="road") if r),
    }
    for weight in (0.0, 2.0):
        t = time.perf_counter()
        plan = divide(territory, households_per_grid=300, tolerance=0.10, within="community",
                      seed=0, road_weight=weight)  # fmt: skip
        m = plan.metrics
        out[f"road_weight_{weight:g}"] = {
            "road_boundary_share": round(m["road_boundary_share"], 4),
            "boundary_km": round(m["boundary_length"] / 1000, 2),
            "mean_polsby_popper": round(m["mean_polsby_popper"], 3),
            "n_grids": m["n_grids"],
            "n_outside_tolerance": m["n_outside_tolerance"],
            "seconds": round(time.perf_counter() - t, 2),
        }
    return out


def shanghai_layers(area: str = "all") -> tuple[Any, Any, Any, Any]:
    """Boundaries, buildings (with estimated households), roads, barriers of the Bund.

    ``area="residential"``: the residential land-use polygons (tiles unioned back,
    one boundary per piece) and the buildings on them. ``"all"``: the whole mapped
    area (the envelope of the buildings, 50 m margin) and every building.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    def read(name: str) -> gpd.GeoDataFrame:
        return gpd.read_file(BUND / f"shanghai_{name}.geojson").to_crs(CRS)

    raw = read("buildings")
    raw = raw[(raw["kind"] == "building") & raw.geom_type.isin(["Polygon", "MultiPolygon"])]
    # Tiles cut buildings into pieces that repeat the id: dissolve them back together.
    bld = raw[["id", "height", "geometry"]].dissolve(by="id", aggfunc="max")
    bld["geometry"] = shapely.make_valid(bld.geometry.array)
    if area == "residential":
        land = read("landuse")
        land = land[
            (land["kind"] == "residential") & land.geom_type.isin(["Polygon", "MultiPolygon"])
        ]
        parts = shapely.get_parts(shapely.union_all(shapely.make_valid(land.geometry.array)))
        parts = parts[np.isin(shapely.get_type_id(parts), [3, 6]) & (shapely.area(parts) > 500)]
    else:
        parts = np.array(
            [shapely.envelope(shapely.union_all(bld.geometry.array)).buffer(50, join_style="mitre")]
        )
    boundary = gpd.GeoDataFrame(
        {"compound": [f"R{i:02d}" for i in range(len(parts))]}, geometry=parts, crs=CRS
    )
    inside = shapely.within(shapely.point_on_surface(bld.geometry.array), shapely.union_all(parts))
    bld = bld[inside].copy()
    floors = np.ceil(bld["height"].fillna(18.0) / 3.0).clip(lower=1)
    bld["households_est"] = np.floor(bld.area * floors / 90.0)  # ESTIMATE
    bld["population_est"] = bld["households_est"] * 2.62  # ESTIMATE
    roads = read("roads")
    rail = roads[roads["kind"] == "rail"]
    roads = roads[roads["kind"].isin(["major_road", "minor_road", "path"])]
    water = read("water")
    water = water[water.geom_type.isin(["Polygon", "MultiPolygon"])]
    barriers = pd.concat([rail[["kind", "geometry"]], water[["kind", "geometry"]]])
    return boundary, bld, roads, gpd.GeoDataFrame(barriers, geometry="geometry", crs=CRS)


def bench_shanghai() -> dict[str, Any]:
    from gridplan import Territory, divide
    from gridplan.units import mark_roads, tessellate

    if not BUND.is_dir():
        return {"skipped": f"{BUND} is absent"}
    out: dict[str, Any] = {}
    for area in ("residential", "all"):
        boundary, bld, roads, barriers = shanghai_layers(area)
        t0 = time.perf_counter()
        cells = tessellate(boundary, bld, roads=roads, barriers=barriers)
        tess_s = time.perf_counter() - t0
        terr = Territory(
            cells, population="population_est", households="households_est", islands="connect"
        )
        marked = mark_roads(terr, roads=roads, barriers=barriers, barrier_class="kind")
        out[area] = {
            "boundaries": len(boundary),
            "buildings": len(bld),
            "cells": len(cells),
            "open_cells": int((cells["kind"] == "open").sum()),
            "area_error": abs(float(cells.area.sum()) - float(boundary.area.sum()))
            / float(boundary.area.sum()),
            "tessellate_seconds": round(tess_s, 2),
            "households_estimate": terr.totals["households"],
            "edges": terr.graph.number_of_edges(),
            "edges_on_roads": marked["road"],
            "edges_on_barriers": marked["barrier"],
            "warnings": cells.attrs["warnings"],
        }
        print(out[area], flush=True)
    # Road preference on the whole area: 10 grids, tolerance 0.5 (single towers reach
    # 11,000 estimated households, so a tight tolerance cannot hold).
    runs = out["all"]["runs"] = []
    for w in (0.0, 2.0, 8.0):
        for seed in (0, 1):
            plan = divide(terr, n_grids=10, tolerance=0.5, seed=seed, road_weight=w, strict=False)
            m = plan.metrics
            runs.append(
                {
                    "road_weight": w,
                    "seed": seed,
                    "road_boundary_share": round(m["road_boundary_share"], 3),
                    "boundary_km": round(m["boundary_length"] / 1000, 2),
                    "max_abs_deviation": round(m["max_abs_deviation"], 3),
                    "mean_polsby_popper": round(m["mean_polsby_popper"], 3),
                    "contiguous": m["contiguous"],
                    "seconds": round(m["seconds"], 1),
                }
            )
            print(runs[-1], flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="*", default=["tess", "register", "sample", "shanghai"])
    ap.add_argument("--sizes", default="2000,20000,100000")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--shared", type=Path, help="the shared data folder (default: ../shared)")
    args = ap.parse_args()
    if args.shared:
        global BUND
        BUND = args.shared / "data" / "shanghai_bund"
    if args.one:
        print(json.dumps(one_tessellation(args.one)))
        return
    results: dict[str, Any] = {}
    if "tess" in args.what:
        results["tessellation"] = bench_tess([int(s) for s in args.sizes.split(",")])
    if "register" in args.what:
        results["register"] = bench_register()
        print(results["register"], flush=True)
    if "sample" in args.what:
        results["sample"] = bench_sample()
    if "shanghai" in args.what:
        results["shanghai"] = bench_shanghai()
    text = "```json\n" + json.dumps(results, indent=2, ensure_ascii=False) + "\n```\n"
    if args.markdown:
        from gridplan.io.atomic import write_text

        write_text(args.markdown, "# units_bench.py raw results\n\n" + text)
    print(text)


if __name__ == "__main__":
    main()
