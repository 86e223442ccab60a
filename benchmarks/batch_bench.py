"""Benchmark of gridplan.batch: a city of ~200 county-town communities on 1 and 2 workers.

With ``--kind county`` (default) the city is the synthetic county-town district
(``gridplan.datasets.make_county_town``) at seeds 1, 2, ... placed side by side, six
communities per district, the first ``--communities`` of them. Every community is one
region (``community`` column). Sites are those inside the community; each community may
hire from its district's 100 grid-worker candidates and 300 volunteers (copied into each
community, ids prefixed by the community code). Scenario: 300 households per grid (±10
%), the city's budget 1,500,000 yuan per community shared in proportion to households,
HiGHS, no per-region maps. ``--kind small`` uses ``gridplan.batch.make_city`` (36-unit
communities, about 3 grids each): the batch machinery's own cost.

For each engine (a process pool, a Dask ``LocalCluster``) and 1 and 2 workers it
reports: wall time, the sum of the regions' task times, overhead per task
(workers × wall − Σ task time) / regions, the split of task time into reading
(+ hashing), divide, allocate and the rest (territory checks, writing), and the
peak resident memory of any worker process (from the manifest). The city files
are written to ``--data`` once and reused.

Run from the repository root::

    .venv/bin/python benchmarks/batch_bench.py --communities 200 \\
        --markdown benchmarks/results/batch.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DISTRICT_WIDTH = 4_000.0  # metres between the districts' origins (each is 3.5 km wide)
PER_COMMUNITY_BUDGET = 1_500_000.0


def _district(seed: int, n_left: int) -> dict[str, gpd.GeoDataFrame]:
    from gridplan.datasets import make_county_town

    layers = make_county_town(seed)
    units = layers["units"]
    codes = sorted(units["community"].unique())[:n_left]
    prefix = f"41{seed:04d}"
    recode = {c: prefix + c[6:] for c in codes}
    out: dict[str, list[gpd.GeoDataFrame]] = {
        k: [] for k in ("units", "sites", "workers", "volunteers")
    }
    shift = (seed - 1) * DISTRICT_WIDTH
    for name in out:
        layers[name] = layers[name].set_geometry(layers[name].geometry.translate(xoff=shift))
    units = layers["units"]
    units = units[units["community"].isin(codes)].assign(
        community=lambda d: d["community"].map(recode)
    )
    units["unit_id"] = units["community"] + "-" + units["unit_id"]
    out["units"].append(units)
    sites = gpd.sjoin(layers["sites"], units[["community", "geometry"]], predicate="within")
    out["sites"].append(sites.drop(columns="index_right"))
    for name in ("workers", "volunteers"):
        key = "worker_id" if name == "workers" else "volunteer_id"
        for code in recode.values():
            people = layers[name].copy()
            people[key] = code + "-" + people[key]
            out[name].append(people.assign(community=code))
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}


def build_city(n: int, folder: Path) -> dict[str, Any]:
    """Write the city's GeoPackages into ``folder`` (once) and return the scenario."""
    from gridplan.batch.merge import write_gpkg
    from gridplan.batch.source import index_column
    from gridplan.scenario import parse_scenario

    paths = {k: folder / f"{k}.gpkg" for k in ("units", "sites", "workers", "volunteers")}
    if not all(p.exists() for p in paths.values()):
        folder.mkdir(parents=True, exist_ok=True)
        parts, seed, left = [], 1, n
        while left > 0:
            parts.append(_district(seed, min(6, left)))
            left -= 6
            seed += 1
        for name, path in paths.items():
            gdf = pd.concat([p[name] for p in parts], ignore_index=True)
            write_gpkg(gpd.GeoDataFrame(gdf, crs=parts[0][name].crs), path, name)
            index_column(path, name, "community")
    raw = {
        "name": f"synthetic city of {n} county-town communities",
        "units": {"path": str(paths["units"]), "id": "unit_id", "population": "population",
                  "households": "households",
                  "demand": ["age60plus", "elderly_alone", "disabled", "children"]},
        "divide": {"households_per_grid": 300, "tolerance": 0.10, "seed": 0},
        "allocate": {"sites": str(paths["sites"]), "workers": str(paths["workers"]),
                     "volunteers": str(paths["volunteers"]), "budget": PER_COMMUNITY_BUDGET * n,
                     "time_limit": 60},
        "output": {"map": False},
    }  # fmt: skip
    return parse_scenario(raw, source="batch benchmark")


def _phases(out: Path, records: dict[str, dict[str, Any]]) -> dict[str, float]:
    total = {"task": 0.0, "cpu": 0.0, "read": 0.0, "divide": 0.0, "allocate": 0.0}
    for rec in records.values():
        total["task"] += rec.get("seconds", 0.0)
        total["cpu"] += rec.get("cpu_seconds") or 0.0
        total["read"] += rec.get("read_seconds", 0.0)
        timings = out / rec["folder"] / "timings.json"
        if rec["status"] == "done" and timings.exists():
            t = json.loads(timings.read_text())
            total["divide"] += t.get("divide_seconds", 0.0)
            total["allocate"] += t.get("allocate_seconds", 0.0)
    total["other"] = total["task"] - total["read"] - total["divide"] - total["allocate"]
    return total


def run_one(cfg: dict[str, Any], engine: str, workers: int, out: Path) -> dict[str, Any]:
    from gridplan.batch import run_batch

    shutil.rmtree(out, ignore_errors=True)
    executor: Executor | None = None
    kwargs: dict[str, Any] = {}
    if engine == "pool":
        executor = ProcessPoolExecutor(max_workers=workers)
    else:
        kwargs = {"scheduler": "local", "workers": workers}
    start = time.perf_counter()
    try:
        res = run_batch(cfg, "community", out, executor=executor, progress=False, **kwargs)
    finally:
        if executor is not None:
            executor.shutdown()
    wall = time.perf_counter() - start
    phases = _phases(out, res.records)
    n = len(res.records)
    peak = max((r.get("peak_rss_mb") or 0.0) for r in res.records.values())
    return {
        "engine": engine,
        "workers": workers,
        "regions": n,
        "done": len(res.done),
        "failed": len(res.failed),
        "wall_s": round(wall, 1),
        "task_sum_s": round(phases["task"], 1),
        "cpu_per_region_s": round(phases["cpu"] / n, 2),
        "overhead_per_task_s": round((workers * wall - phases["task"]) / n, 3),
        "read_s": round(phases["read"], 1),
        "divide_s": round(phases["divide"], 1),
        "allocate_s": round(phases["allocate"], 1),
        "other_s": round(phases["other"], 1),
        "peak_worker_mb": round(peak, 0),
    }


def main() -> None:
    from gridplan.scenario.report import markdown_table

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--communities", type=int, default=200)
    ap.add_argument(
        "--kind",
        choices=["county", "small"],
        default="county",
        help="county-town communities (~370 units) or batch.make_city's 36-unit ones",
    )
    ap.add_argument("--data", type=Path, default=Path("/tmp/gridplan_batch_bench"))
    ap.add_argument("--engines", default="pool,dask")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    folder = args.data / f"{args.kind}{args.communities}"
    if args.kind == "county":
        cfg = build_city(args.communities, folder)
    else:
        from gridplan.batch import make_city, write_city

        city = make_city(args.communities, side=6, seed=1)
        cfg = write_city(city, folder, households_per_grid=800)
    units = gpd.read_file(cfg["units"]["path"], columns=["households"], ignore_geometry=True)
    rows = []
    for engine in args.engines.split(","):
        for w in (int(x) for x in args.workers.split(",")):
            row = run_one(cfg, engine, w, args.data / f"out_{args.kind}_{engine}_{w}")
            print(row, flush=True)
            rows.append(row)
    head = (
        f"{args.communities} {args.kind} communities, {len(units):,} units, "
        f"{int(units['households'].sum()):,} households; Python {sys.version.split()[0]}, "
        f"{platform.machine()}, {os.cpu_count()} cores (shared), "
        f"load average at start {load:.1f}"
    )
    table = markdown_table(pd.DataFrame(rows), index=False) if rows else ""
    text = f"# gridplan batch benchmark\n\n{head}\n\n{table}\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
