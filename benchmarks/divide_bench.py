"""Benchmark of gridplan.divide against gerrychain, pymetis and spopt.

One table per data set: validity over seeds (contiguous, exactly k grids,
every grid within tolerance), max deviation, grids out of tolerance, cut
edges, mean Polsby-Popper, seconds. Every plan is scored by the same code.

Run from the repository root (about 10-15 minutes on 2 cores)::

    .venv/bin/python benchmarks/divide_bench.py --markdown benchmarks/results/divide.md

``--quick`` runs only the small data sets. Data: Providence blocks from
``../shared`` (skipped when absent), the sample district
(``gridplan.datasets.load_sample``, skipped when absent) and generated
Voronoi block layouts of 2,500 / 10,000 / 50,000 units.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from divide_methods import METHODS, Case, machine, timed
from divide_synth import voronoi_blocks
from gridplan import Territory
from gridplan.division import divide

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"

# Competitors that cannot run at a size within the time cap are skipped with a note.
MAX_UNITS = {"spopt MaxP": 3_500, "spopt RegionKMeans": 2_500}


def cases(quick: bool) -> Iterator[tuple[Case, list[tuple[str, dict]]]]:
    """Each case with extra rows (name, metrics) that are not seeded runs."""
    prov = SHARED / "providence_blocks" / "Providence_blocks.shp"
    if prov.exists():
        import geopandas as gpd

        t = Territory(gpd.read_file(prov), population="TOTPOP")
        case = Case("Providence blocks (3,014 units, 15 grids, TOTPOP)", t, "population", 15)
        wards = t.units["WARD"].to_numpy()
        yield case, [("official WARD partition", case.score(wards))]
    else:
        print(f"skip Providence: {prov} is absent")
    try:
        from gridplan.datasets import load_sample

        s = load_sample()
        t = Territory(
            s.units,
            population="population",
            households="households",
            id="unit_id",
            parent="community",
            snap=2.0,
            islands="connect",
        )
        k = max(1, round(t.units["households"].sum() / 300))
        case = Case(
            f"sample district ({len(t.units):,} units, {k} grids, households)", t, "households", k
        )
        extra = []
        start = time.perf_counter()
        nested = divide(
            t, households_per_grid=300, within="community", tolerance=0.01, strict=False
        )
        m = dict(nested.metrics)
        m["seconds"] = time.perf_counter() - start
        m["valid"] = m["contiguous"] and m["n_outside_tolerance"] == 0
        extra.append((f"gridplan within community, 300 hh/grid ({m['n_grids']} grids)", m))
        yield case, extra
    except ImportError as exc:
        print(f"skip sample data: {exc}")
    sizes = [(2_500, 25)] if quick else [(2_500, 25), (10_000, 100), (50_000, 500)]
    for n, k in sizes:
        t = Territory(
            voronoi_blocks(n, seed=n), population="population", households="households", id="block"
        )
        yield (
            Case(
                f"synthetic Voronoi blocks ({n:,} units, {k} grids, households)", t, "households", k
            ),
            [],
        )


def fmt_row(name: str, runs: list[dict], n_seeds: int, note: str = "") -> str:
    done = [r for r in runs if r is not None]
    if not done:
        return f"| {name} | 0/{n_seeds} | – | – | – | – | – | – | {note} |"
    valid = sum(r["valid"] for r in done)
    mean = lambda key: float(np.mean([r[key] for r in done]))  # noqa: E731
    worst = max(r["max_abs_deviation"] for r in done)
    contig = sum(r["contiguous"] for r in done)
    secs = [r["seconds"] for r in done]
    return (
        f"| {name} | {valid}/{n_seeds} | {worst:.2%} | {mean('n_outside_tolerance'):.1f} | "
        f"{contig}/{len(done)} | {mean('cut_edges'):,.0f} | {mean('mean_polsby_popper'):.3f} | "
        f"{np.mean(secs):.2f} | {note} |".replace("| nan |", "| – |")
    )


HEADER = (
    "| method | valid runs | max deviation (worst) | grids out of tol. (mean) | contiguous | "
    "cut edges (mean) | mean Polsby-Popper | seconds (mean) | note |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--cap", type=float, default=60.0, help="seconds per run of a competitor")
    ap.add_argument(
        "--budget",
        type=float,
        default=150.0,
        help="seconds per method and data set; later seeds are skipped beyond it",
    )
    ap.add_argument("--quick", action="store_true", help="small data sets only")
    ap.add_argument("--methods", default="", help="comma-separated method names (default: all)")
    ap.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = ap.parse_args()

    t_start = time.perf_counter()
    env = machine()
    print(env)
    out = []
    for case, extra in cases(args.quick):
        lines = [
            f"### {case.name}",
            "",
            f"tolerance {case.tolerance:.0%}, {args.seeds} seeds, cap {args.cap:.0f} s per run",
            "",
            HEADER,
        ]
        for name, fn in METHODS.items():
            if args.methods and name not in args.methods.split(","):
                continue
            limit = MAX_UNITS.get(name)
            if limit is not None and case.adj.n > limit:
                lines.append(
                    fmt_row(
                        name,
                        [],
                        args.seeds,
                        f"skipped above {limit:,} units (timed out at that size already)",
                    )
                )
                print(lines[-1], flush=True)
                continue
            runs, notes, spent = [], [], 0.0
            for seed in range(args.seeds):
                if spent > args.budget:
                    notes.append(f"seeds {seed}+ skipped (budget)")
                    break
                cap = args.cap * (3 if name == "gridplan" else 1)
                labels, secs, note = timed(fn, case, seed, cap)
                spent += secs
                if labels is None:
                    runs.append(None)
                    notes.append(f"seed {seed}: {note}")
                    if note.startswith("timeout"):
                        notes.append("later seeds skipped")
                        break
                    continue
                m = case.score(labels)
                m["seconds"] = secs
                runs.append(m)
            lines.append(fmt_row(name, runs, args.seeds, "; ".join(notes)))
            print(lines[-1], flush=True)
        for name, m in extra:
            m.setdefault("seconds", float("nan"))
            lines.append(fmt_row(name, [m], 1, "one plan, not seeded"))
            print(lines[-1], flush=True)
        print()
        out += [*lines, ""]
    total = time.perf_counter() - t_start
    tail = f"total {total / 60:.1f} min, load average at end {os.getloadavg()[0]:.2f}"
    print(tail)
    if args.markdown:
        from gridplan.io.atomic import write_text

        cmd = " ".join([".venv/bin/python", "benchmarks/divide_bench.py", *sys.argv[1:]])
        write_text(
            args.markdown, "\n".join([f"Command: `{cmd}`", "", f"Machine: {env}; {tail}", "", *out])
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
