"""Re-balancing an existing plan against re-drawing it from scratch.

Providence's official wards (``WARD``) are a real hand-drawn partition,
within ±4.9 % of the mean. For each tolerance, ``rebalance`` brings them
within it; ``divide`` draws 15 grids anew at the same tolerance (5 seeds),
its grids matched to the wards by shared population
(``scipy.optimize.linear_sum_assignment``, see
:func:`gridplan.existing.compare.moved_between`). Reported: people and
units that change grid, grids changed, seconds, and the lower bound on the
people that must move (the minimum flow between wards, units divisible).

Run from the repository root (about a minute)::

    .venv/bin/python benchmarks/rebalance_bench.py --markdown benchmarks/results/rebalance.md

Target: re-balancing moves at most a quarter of what re-drawing moves.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

from gridplan import Territory
from gridplan.division import divide
from gridplan.existing import grids_from_column, rebalance
from gridplan.existing._moves import Mover
from gridplan.existing.compare import moved_between
from gridplan.existing.rebalancing import _bounds, _prepare

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
TOLERANCES = (0.01, 0.02)
SEEDS = range(5)


def flow_bound(territory: Territory, assignment, weight: np.ndarray, tol: float) -> float:
    """People that must cross ward boundaries if blocks could be cut: the first round's flow."""
    work = _prepare(territory, assignment, None)
    lo, hi = _bounds(work, weight, tol)
    n = len(weight)
    m = Mover(
        work.nb,
        work.lens,
        work.labels.tolist(),
        weight.tolist(),
        [False] * n,
        lo.tolist(),
        hi.tolist(),
    )
    flows = m.flows()
    return float(sum(flows.values())) if flows else 0.0


def bench(territory: Territory) -> list[dict]:
    wards = grids_from_column(territory, "WARD")
    w = territory.units["TOTPOP"].to_numpy(dtype=float)
    before = wards.assignment.to_numpy()
    rows = []
    for tol in TOLERANCES:
        t0 = time.perf_counter()
        r = rebalance(wards, territory, tol, balance="population")
        secs = time.perf_counter() - t0
        rows.append(
            {
                "tolerance": tol,
                "plan": "rebalance",
                "people": r.population_moved,
                "units": r.units_moved,
                "grids_changed": len(r.grids_changed),
                "seconds": secs,
                "max_dev": r.plan.metrics["max_abs_deviation"],
                "valid": not r.plan.metrics["violations"],
                "bound": flow_bound(territory, wards.assignment, w, tol),
            }
        )
        for seed in SEEDS:
            t0 = time.perf_counter()
            plan = divide(
                territory, n_grids=15, balance="population", tolerance=tol, seed=seed, strict=False
            )
            secs = time.perf_counter() - t0
            people, units = moved_between(before, plan.assignment.to_numpy(), w)
            rows.append(
                {
                    "tolerance": tol,
                    "plan": f"divide seed {seed}",
                    "people": people,
                    "units": units,
                    "grids_changed": 15,
                    "seconds": secs,
                    "max_dev": plan.metrics["max_abs_deviation"],
                    "valid": not plan.metrics["violations"],
                    "bound": None,
                }
            )
    return rows


def markdown(rows: list[dict]) -> str:
    lines = [
        "| tolerance | plan | valid | max deviation | people moved | units moved | grids changed "
        "| s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| ±{r['tolerance']:.0%} | {r['plan']} | {r['valid']} | {r['max_dev']:.2%} | "
            f"{r['people']:,.0f} | {r['units']:,} | {r['grids_changed']} | {r['seconds']:.2f} |"
        )
    lines.append("")
    for tol in TOLERANCES:
        reb = next(r for r in rows if r["tolerance"] == tol and r["plan"] == "rebalance")
        div = [r for r in rows if r["tolerance"] == tol and r["plan"] != "rebalance"]
        best = min(d["people"] for d in div)
        mean = float(np.mean([d["people"] for d in div]))
        lines.append(
            f"- ±{tol:.0%}: rebalance moves {reb['people']:,.0f} people ({reb['units']} units); "
            f"the flow bound is {reb['bound']:,.0f}; re-drawing moves {mean:,.0f} on average "
            f"(best seed {best:,.0f}): ratio {reb['people'] / mean:.3f} (best seed "
            f"{reb['people'] / best:.3f}); target ≤ 0.25."
        )
    return "\n".join(lines) + "\n"


def bench_sample(tol: float = 0.10) -> str:
    """The sample district: its hand-drawn grids fixed once, then re-balanced five years later."""
    from gridplan.datasets import load_existing, load_sample
    from gridplan.datasets._existing import UNCHANGED
    from gridplan.existing import grids_from_layer

    s, e = load_sample(), load_existing()
    kw = {
        "population": "population",
        "households": "households",
        "id": "unit_id",
        "parent": "community",
    }
    t0, t5 = Territory(s.units, **kw), Territory(e.units_5y, **kw)
    drawn = grids_from_layer(t0, e.grids, worker="worker")
    start = time.perf_counter()
    fixed = rebalance(drawn, t0, tol, within="community", strict=False)
    s0 = time.perf_counter() - start
    lines = [
        f"\nSample district, hand-drawn grids ({len(e.grids)}) at ±{tol:.0%} within communities:\n",
        f"- year 0, fixing the hand-drawn map: {fixed.units_moved:,} units / "
        f"{fixed.households_moved:,.0f} households moved, max deviation "
        f"{fixed.plan.metrics['max_abs_deviation']:.2%}, "
        f"{len(fixed.plan.metrics['violations'])} violation(s), {s0:.1f} s",
    ]
    plan0 = divide(t0, households_per_grid=300, tolerance=tol, within="community")
    for name, start_plan in (("the fixed hand-drawn map", fixed.plan), ("a divide() plan", plan0)):
        start = time.perf_counter()
        later = rebalance(start_plan, t5, tol, strict=False)
        secs = time.perf_counter() - start
        n = later.plan.metrics["n_grids"]
        fresh = divide(t5, n_grids=n, tolerance=tol, within="community", strict=False)
        hh = t5.units["households"].to_numpy(dtype=float)
        old = start_plan.assignment.reindex(t5.units.index).fillna("(new)").to_numpy()
        redraw_hh, redraw_units = moved_between(old, fresh.assignment.to_numpy(), hh)
        lines.append(
            f"- five years later, from {name} ({len(later.removed)} units removed, "
            f"{int(later.changes['from'].isna().sum())} added): {later.units_moved:,} units / "
            f"{later.households_moved:,.0f} households moved, {len(later.grids_changed)} of {n} "
            f"grids changed, max deviation {later.plan.metrics['max_abs_deviation']:.2%}, "
            f"{len(later.plan.metrics['violations'])} violation(s), {secs:.1f} s; communities "
            f"untouched: {', '.join(map(str, later.parents_untouched)) or 'none'} (unchanged by "
            f"construction: {', '.join(UNCHANGED)}); re-drawing with divide moves "
            f"{redraw_units:,} units / {redraw_hh:,.0f} households"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--markdown", help="write the table to this file")
    p.add_argument("--skip-sample", action="store_true", help="Providence only")
    args = p.parse_args(argv)
    path = SHARED / "providence_blocks" / "Providence_blocks.shp"
    if not path.exists():
        print(f"skip: {path} is absent")
        return 0
    t = Territory(gpd.read_file(path), population="TOTPOP")
    text = (
        f"Providence wards re-balanced vs re-drawn ({platform.machine()}, "
        f"Python {platform.python_version()})\n\n" + markdown(bench(t))
    )
    if not args.skip_sample:
        text += bench_sample()
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
