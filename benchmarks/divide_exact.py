"""How far ``divide`` is from the proven minimum on small territories (30-50 units).

For each instance (connected subsets of the Providence blocks, skipped when
``../shared`` is absent, and generated Voronoi blocks) and grid count, at the
same tolerance: ``divide`` over a few seeds (valid runs, cut edges, total
boundary length between grids) against the exact model
(:func:`gridplan.division.exact.solve_exact`) minimising cut edges, then
boundary length, each warm-started from the best ``divide`` plan. A ratio
is reported against a proven optimum; when the time limit stops the model
first, against its best plan and its lower bound (marked ``≥``).

Run from the repository root::

    .venv/bin/python benchmarks/divide_exact.py --markdown benchmarks/results/divide_exact.md
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from divide_methods import machine
from divide_synth import voronoi_blocks
from gridplan import Territory
from gridplan.division import divide
from gridplan.division.exact import solve_exact
from gridplan.division.plan import _Arrays

REPO = Path(__file__).resolve().parents[1]
PROV = REPO.parent / "shared" / "data" / "providence_blocks" / "Providence_blocks.shp"


def providence_subset(n: int, start: int) -> Territory | None:
    """The ``n`` blocks nearest (breadth first) to block ``start``, as a territory."""
    if not PROV.exists():
        return None
    import geopandas as gpd

    full = Territory(gpd.read_file(PROV), population="TOTPOP")
    ids = list(full.units.index)
    seen, queue = [ids[start]], deque([ids[start]])
    while queue and len(seen) < n:
        for v in sorted(full.graph.neighbors(queue.popleft())):
            if v not in seen and len(seen) < n:
                seen.append(v)
                queue.append(v)
    return Territory(full.units.loc[sorted(seen)].reset_index(drop=True), population="TOTPOP")


def instances() -> Iterator[tuple[str, Territory, str, int]]:
    for n, start, k in ((30, 100, 3), (40, 800, 4), (50, 1500, 4)):
        t = providence_subset(n, start)
        if t is None:
            print(f"skip Providence: {PROV} is absent")
            break
        yield f"Providence {n} blocks (from block {start})", t, "population", k
    for n, k in ((30, 3), (40, 4), (50, 5)):
        t = Territory(
            voronoi_blocks(n, seed=n), population="population", households="households", id="block"
        )
        yield f"synthetic {n} Voronoi blocks", t, "households", k


def measures(arrays: _Arrays, labels: np.ndarray) -> tuple[int, float]:
    i, j, ln = arrays.adj.edges()
    cut = labels[i] != labels[j]
    return int(cut.sum()), float(ln[cut].sum())


def ratio(value: float, res) -> str:
    if res.status == "optimal":
        return f"{value / res.objective:.3f}" if res.objective else "–"
    if res.status == "infeasible":
        return "no plan exists"
    best = f"{value / res.objective:.3f} vs best found" if res.objective else "no plan found"
    return f"{best}; ≤ {value / res.bound:.3f} vs bound" if res.bound else best


def run_case(name, t, balance, k, tol, seeds, limit) -> list[str]:
    arrays = _Arrays.from_territory(t)
    weight = t.units[t.column(balance)].to_numpy(dtype=float)
    runs = []
    for seed in range(seeds):
        start = time.perf_counter()
        plan = divide(t, n_grids=k, balance=balance, tolerance=tol, seed=seed, strict=False)
        secs = time.perf_counter() - start
        labels = np.unique(plan.assignment.to_numpy(dtype=str), return_inverse=True)[1]
        valid = plan.metrics["contiguous"] and plan.metrics["n_outside_tolerance"] == 0
        runs.append((valid, *measures(arrays, labels), secs, labels))
    ok = [r for r in runs if r[0]]
    best = min(ok, key=lambda r: (r[1], r[2]))[4] if ok else None
    group = np.zeros(len(weight), dtype=np.int64)
    rows = []
    for what, col in (("cut edges", 1), ("boundary length (m)", 2)):
        kind = "count" if col == 1 else "length"
        res = solve_exact(
            arrays.adj, weight, group, [k], tol, edge_weight=kind, time_limit=limit, start=best
        )
        vals = [r[col] for r in ok]
        med = float(np.median(vals)) if vals else float("nan")
        ratios = [ratio(v, res) for v in vals]
        exact = "infeasible" if res.objective is None else f"{res.objective:,.1f}"
        rows.append(
            f"| {name} | {k} | {what} | {len(ok)}/{seeds} | {med:,.1f} | {exact} "
            f"({res.status}, {res.seconds:.0f} s) | {', '.join(ratios) or '–'} | "
            f"{np.mean([r[3] for r in runs]):.2f} |"
        )
        print(rows[-1], flush=True)
    return rows


HEADER = (
    "| instance | grids | measure | divide valid | divide median | exact minimum | "
    "divide / minimum (per valid seed) | divide s (mean) |\n|---|---|---|---|---|---|---|---|"
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--tolerance", type=float, default=0.05)
    ap.add_argument("--limit", type=float, default=60.0, help="seconds per exact solve")
    ap.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = ap.parse_args()
    t0 = time.perf_counter()
    env = machine()
    print(env)
    print(HEADER)
    lines = [HEADER]
    for name, t, balance, k in instances():
        lines += run_case(name, t, balance, k, args.tolerance, args.seeds, args.limit)
    tail = f"total {(time.perf_counter() - t0) / 60:.1f} min, load at end {os.getloadavg()[0]:.2f}"
    print(tail)
    if args.markdown:
        from gridplan.io.atomic import write_text

        cmd = " ".join([".venv/bin/python", "benchmarks/divide_exact.py", *sys.argv[1:]])
        head = [f"Command: `{cmd}`", "", f"Machine: {env}; {tail}", ""]
        head.append(
            f"Tolerance ±{args.tolerance:.0%}, {args.seeds} seeds, exact limit {args.limit:.0f} s."
        )
        write_text(args.markdown, "\n".join([*head, "", *lines, ""]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
