"""How far ``divide`` is from the proven minimum on small territories (30-80 units).

For each instance (connected pieces of the Providence blocks, skipped when
``../shared`` is absent; generated Voronoi blocks; buildings of the sample
district) and grid count, at the same tolerance: ``divide`` over a few seeds
(valid runs, cut edges, total boundary length between grids), with the
default objective and with ``objective="cut_edges"``, against the exact
model (:func:`gridplan.division.exact.solve_exact`) minimising cut edges,
then boundary length, each warm-started from the best ``divide`` plan. A
ratio is exact against a proven optimum; when the time limit stops the
model first, it is a range: against its best plan .. against its lower bound.

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


def bfs_subset(full: Territory, n: int, start: int, **kw) -> Territory:
    """The ``n`` units nearest (breadth first) to unit ``start`` of ``full``, as a territory."""
    ids = list(full.units.index)
    seen, queue = [ids[start]], deque([ids[start]])
    while queue and len(seen) < n:
        for v in sorted(full.graph.neighbors(queue.popleft())):
            if v not in seen and len(seen) < n:
                seen.append(v)
                queue.append(v)
    return Territory(full.units.loc[sorted(seen)].reset_index(drop=True), **kw)


def providence_subset(n: int, start: int) -> Territory | None:
    """The ``n`` Providence blocks nearest (breadth first) to block ``start``."""
    if not PROV.exists():
        return None
    import geopandas as gpd

    full = Territory(gpd.read_file(PROV), population="TOTPOP")
    return bfs_subset(full, n, start, population="TOTPOP")


def sample_subsets() -> Iterator[tuple[str, Territory, str, int, float]]:
    """Buildings of the sample district: connected pieces of one community."""
    from gridplan.datasets import load_sample

    kw = {"population": "population", "households": "households", "snap": 2.0}
    units = load_sample().units
    for n, community, k in SAMPLE:
        one = units[units["community"] == community].reset_index(drop=True)
        full = Territory(one, id="unit_id", islands="connect", **kw)
        t = bfs_subset(full, n, 0, islands="connect", **kw)
        yield f"sample district {n} buildings ({community})", t, "population", k, SAMPLE_TOL


#: (units, first block, grids): connected Providence pieces.
PROVIDENCE = ((30, 100, 3), (40, 800, 4), (50, 1500, 4), (60, 3000, 5), (80, 400, 6))
#: (units, grids): generated Voronoi blocks (seed = units).
SYNTHETIC = ((30, 3), (40, 4), (50, 5), (60, 6), (80, 4))
#: (buildings, community, grids) of the sample district; buildings are heavy, so
#: these run at SAMPLE_TOL.
SAMPLE = ((40, "410727002001", 3), (60, "410727001001", 4))
SAMPLE_TOL = 0.10


def instances(tol: float) -> Iterator[tuple[str, Territory, str, int, float]]:
    for n, start, k in PROVIDENCE:
        t = providence_subset(n, start)
        if t is None:
            print(f"skip Providence: {PROV} is absent")
            break
        yield f"Providence {n} blocks (from block {start})", t, "population", k, tol
    for n, k in SYNTHETIC:
        t = Territory(
            voronoi_blocks(n, seed=n), population="population", households="households", id="block"
        )
        yield f"synthetic {n} Voronoi blocks", t, "households", k, tol
    yield from sample_subsets()


def measures(arrays: _Arrays, labels: np.ndarray) -> tuple[int, float]:
    i, j, ln = arrays.adj.edges()
    cut = labels[i] != labels[j]
    return int(cut.sum()), float(ln[cut].sum())


def ratio(value: float, res) -> str:
    """divide / minimum: exact when proven, else a range (best found .. lower bound)."""
    if res.status == "optimal":
        return f"{value / res.objective:.3f}" if res.objective else "–"
    if res.status == "infeasible":
        return "no plan exists"
    if not res.objective:
        return "no plan found"
    high = f"{value / res.bound:.2f}" if res.bound else "∞"
    return f"{value / res.objective:.3f}–{high}"


def divide_runs(
    t: Territory,
    balance: str,
    k: int,
    tol: float,
    seeds: int,
    arrays: _Arrays,
    objective: str = "compact",
):
    runs = []
    for seed in range(seeds):
        start = time.perf_counter()
        plan = divide(
            t,
            n_grids=k,
            balance=balance,
            tolerance=tol,
            seed=seed,
            strict=False,
            objective=objective,
        )
        secs = time.perf_counter() - start
        labels = np.unique(plan.assignment.to_numpy(dtype=str), return_inverse=True)[1]
        valid = plan.metrics["contiguous"] and plan.metrics["n_outside_tolerance"] == 0
        runs.append((valid, *measures(arrays, labels), secs, labels))
    return runs


def _exact_cells(arrays, weight, k, tol, limit, kind, start) -> tuple[list[str], object]:
    group = np.zeros(len(weight), dtype=np.int64)
    res = solve_exact(
        arrays.adj, weight, group, [k], tol, edge_weight=kind, time_limit=limit, start=start
    )
    digits = 0 if kind == "count" else 1
    exact = "no plan" if res.objective is None else f"{res.objective:,.{digits}f}"
    if res.status == "feasible":
        exact += f" (bound {res.bound:,.{digits}f})"
    return [exact, f"{res.status}, {res.seconds:.0f} s"], res


def run_case(name, t, balance, k, tol, seeds, limit, summary) -> str:
    """One table row: divide (default and objective="cut_edges") against both minima."""
    arrays = _Arrays.from_territory(t)
    weight = t.units[t.column(balance)].to_numpy(dtype=float)
    runs = divide_runs(t, balance, k, tol, seeds, arrays)
    by_edges = divide_runs(t, balance, k, tol, seeds, arrays, "cut_edges")
    ok = [r for r in runs if r[0]]
    ok_e = [r for r in by_edges if r[0]]
    cells = [
        name,
        str(len(weight)),
        str(k),
        f"±{tol:.0%}",
        f"{len(ok)}/{seeds}, {len(ok_e)}/{seeds}",
    ]
    med = float(np.median([r[1] for r in ok])) if ok else float("nan")
    med_e = float(np.median([r[1] for r in ok_e])) if ok_e else float("nan")
    start = min(ok + ok_e, key=lambda r: r[1])[4] if ok + ok_e else None
    found, res = _exact_cells(arrays, weight, k, tol, limit, "count", start)
    cells += [f"{med:.0f}", f"{med_e:.0f}", *found, f"{ratio(med, res)} / {ratio(med_e, res)}"]
    if res.status == "optimal" and res.objective:
        summary["count"].append(med / res.objective)
        summary["cut_edges"].append(med_e / res.objective)
    med_l = float(np.median([r[2] for r in ok])) if ok else float("nan")
    start = min(ok, key=lambda r: r[2])[4] if ok else None
    found, res = _exact_cells(arrays, weight, k, tol, limit, "length", start)
    cells += [f"{med_l:,.1f}", *found, ratio(med_l, res)]
    if res.status == "optimal" and res.objective:
        summary["length"].append(med_l / res.objective)
    secs = [r[3] for r in runs], [r[3] for r in by_edges]
    cells.append(f"{np.median(secs[0]):.2f} / {np.median(secs[1]):.2f}")
    line = "| " + " | ".join(cells) + " |"
    print(line, flush=True)
    return line


HEADER = (
    "| instance | units | grids | tolerance | divide valid (compact, cut_edges) | "
    'divide cut edges (median) | with objective="cut_edges" | minimum cut edges | '
    "exact (cut) | divide / minimum (compact / cut_edges) | divide boundary m (median) | "
    "minimum boundary m | exact (length) | divide / minimum | divide s (compact / cut_edges) |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def medians(summary: dict[str, list[float]]) -> str:
    parts = []
    for kind, what in (
        ("count", "cut edges (compact)"),
        ("cut_edges", 'cut edges (objective="cut_edges")'),
        ("length", "boundary length (compact)"),
    ):
        vals = summary[kind]
        med = f"{np.median(vals):.3f}" if vals else "–"
        parts.append(f"{what}: median divide / proven minimum {med} over {len(vals)} proven")
    return "; ".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--tolerance", type=float, default=0.05)
    ap.add_argument("--limit", type=float, default=120.0, help="seconds per exact solve")
    ap.add_argument("--only", help="run only instances whose name holds this text")
    ap.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = ap.parse_args()
    t0 = time.perf_counter()
    env = machine()
    print(env)
    print(HEADER)
    lines = [HEADER]
    summary: dict[str, list[float]] = {"count": [], "cut_edges": [], "length": []}
    for name, t, balance, k, tol in instances(args.tolerance):
        if args.only and args.only not in name:
            continue
        lines.append(run_case(name, t, balance, k, tol, args.seeds, args.limit, summary))
    lines += ["", medians(summary)]
    print(lines[-1])
    tail = f"total {(time.perf_counter() - t0) / 60:.1f} min, load at end {os.getloadavg()[0]:.2f}"
    print(tail)
    if args.markdown:
        from gridplan.io.atomic import write_text

        cmd = " ".join([".venv/bin/python", "benchmarks/divide_exact.py", *sys.argv[1:]])
        head = [f"Command: `{cmd}`", "", f"Machine: {env}; {tail}", ""]
        head.append(
            f"Tolerance ±{args.tolerance:.0%} (sample district ±{SAMPLE_TOL:.0%}), "
            f"{args.seeds} seeds, exact limit {args.limit:.0f} s per measure."
        )
        write_text(args.markdown, "\n".join([*head, "", *lines, ""]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
