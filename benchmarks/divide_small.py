"""Small territories: time and plan quality of ``divide`` at the default tolerance.

Synthetic Voronoi block layouts (50 units / 3 grids, 100 / 5, 200 / 10,
1,000 / 20; the layout and the divide seed both run over ``--seeds``) and
connected Providence subsets (40 / 3, 100 / 5, 200 / 10 blocks; skipped when
``../shared`` is absent), divided at ``tolerance=0.05`` with ``strict=False``.
Per case: valid runs, median CPU seconds of ``divide`` (the territory is
built beforehand; CPU time, as the machine is shared), mean cut boundary
length, mean cut edges, worst max deviation, mean Polsby-Popper.
``--json`` keeps every run, ``--compare`` prints the change against such a
file (the same cases, measured before a change)::

    .venv/bin/python benchmarks/divide_small.py --json /tmp/after.json --compare /tmp/before.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from divide_exact import bfs_subset
from divide_synth import voronoi_blocks
from gridplan import Territory
from gridplan.division import divide

REPO = Path(__file__).resolve().parents[1]
PROV = REPO.parent / "shared" / "data" / "providence_blocks" / "Providence_blocks.shp"
SYNTH = ((50, 3), (100, 5), (200, 10), (1_000, 20))
PROV_CASES = ((40, 3), (100, 5), (200, 10))
PROV_STARTS = (100, 800, 1500, 2200, 2900)


def _providence_subsets(seeds: int) -> Iterator[tuple[str, int, Territory, str, int]]:
    if not PROV.exists():
        print(f"skip Providence: {PROV} is absent")
        return
    import geopandas as gpd

    full = Territory(gpd.read_file(PROV), population="TOTPOP")
    for n, k in PROV_CASES:
        for s in range(seeds):
            start = PROV_STARTS[s % len(PROV_STARTS)] + 7 * (s // len(PROV_STARTS))
            t = bfs_subset(full, n, start, population="TOTPOP")
            yield f"Providence {n} blocks / {k} grids", s, t, "population", k


def cases(seeds: int) -> Iterator[tuple[str, int, Territory, str, int]]:
    """(case name, seed, territory, balance column, grids)."""
    for n, k in SYNTH:
        for s in range(seeds):
            units = voronoi_blocks(n, seed=s)
            t = Territory(units, population="population", households="households", id="block")
            yield f"Voronoi {n:,} units / {k} grids", s, t, "households", k
    yield from _providence_subsets(seeds)


def run(t: Territory, balance: str, k: int, seed: int) -> dict:
    start, cpu = time.perf_counter(), time.process_time()
    plan = divide(t, n_grids=k, balance=balance, seed=seed, strict=False)
    secs, cpu = time.perf_counter() - start, time.process_time() - cpu
    m = plan.metrics
    return {
        "seconds": secs,
        "cpu": cpu,
        "valid": bool(m["contiguous"] and m["n_outside_tolerance"] == 0),
        "boundary_length": float(m["boundary_length"]),
        "cut_edges": int(m["cut_edges"]),
        "max_abs_deviation": float(m["max_abs_deviation"]),
        "mean_polsby_popper": float(m["mean_polsby_popper"]),
    }


def row(name: str, runs: list[dict], base: list[dict] | None) -> str:
    def agg(rs: list[dict]) -> tuple[float, ...]:
        return (
            float(np.median([r.get("cpu", r["seconds"]) for r in rs])),
            float(np.mean([r["boundary_length"] for r in rs])),
            float(np.mean([r["cut_edges"] for r in rs])),
            max(r["max_abs_deviation"] for r in rs),
            float(np.mean([r["mean_polsby_popper"] for r in rs])),
        )

    s, b, c, d, p = agg(runs)
    valid = sum(r["valid"] for r in runs)
    cells = [f"{valid}/{len(runs)}", f"{s:.3f}", f"{b:,.0f}", f"{c:.1f}", f"{d:.2%}", f"{p:.3f}"]
    if base:
        s0, b0, c0, d0, p0 = agg(base)
        v0 = sum(r["valid"] for r in base)
        cells = [
            f"{v0}/{len(base)} → {cells[0]}",
            f"{s0:.3f} → {s:.3f}",
            f"{b0:,.0f} → {b:,.0f} ({b / b0 - 1:+.1%})",
            f"{c0:.1f} → {c:.1f}",
            f"{d0:.2%} → {d:.2%}",
            f"{p0:.3f} → {p:.3f}",
        ]
    return f"| {name} | " + " | ".join(cells) + " |"


HEADER = (
    "| case | valid | median CPU s | cut boundary length (mean) | cut edges (mean) | "
    "max deviation (worst) | mean Polsby-Popper |\n|---|---|---|---|---|---|---|"
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--json", type=Path, help="write every run to this file")
    ap.add_argument("--compare", type=Path, help="runs measured before (from --json)")
    ap.add_argument("--only", default="", help="run only cases whose name contains this")
    args = ap.parse_args()
    base = json.loads(args.compare.read_text()) if args.compare else {}
    print(f"load average at start {os.getloadavg()[0]:.2f}")
    warm = voronoi_blocks(30, seed=99)
    divide(Territory(warm, population="population", households="households"), n_grids=2)
    runs: dict[str, list[dict]] = {}
    for name, seed, t, balance, k in cases(args.seeds):
        if args.only not in name:
            continue
        runs.setdefault(name, []).append(run(t, balance, k, seed))
    print(HEADER)
    for name, rs in runs.items():
        print(row(name, rs, base.get(name)))
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
