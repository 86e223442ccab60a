"""The ``gridplan`` command line: batch runs for planners and other services.

Exit codes: 0 success, 2 bad input (one line naming the file, column or key),
3 infeasible (with the explanation). User errors never print a traceback.

    gridplan demo --out out
    gridplan run scenario.toml --out out
    gridplan divide units.gpkg --population pop --households hh --households-per-grid 300 --out out
    gridplan allocate out/grids.geojson --sites sites.geojson --budget 5e6 --out out2
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from gridplan import __version__
from gridplan.division.spec import DivideSpec
from gridplan.errors import GridplanError, InfeasibleError, SolverError

__all__ = ["main"]

EXIT_OK, EXIT_INPUT, EXIT_INFEASIBLE = 0, 2, 3
EXIT_SOLVER = 4  # the solver failed or stopped (time limit) without a plan


class _Progress:
    """Step messages as a tqdm bar on stderr; silent when quiet or not a terminal."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.bar = None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=sys.stderr, leave=False, bar_format="{desc} {bar}")

    def __call__(self, message: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(message)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gridplan",
        description="Community grid planning: divide territory into balanced grids, "
        "allocate service points, grid workers and volunteers under a budget, map the result.",
    )
    p.add_argument("--version", action="version", version=f"gridplan {__version__}")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the synthetic sample scenario")
    demo.add_argument("--out", default="out", help="output folder (default: out)")

    run = sub.add_parser("run", help="run a scenario TOML file")
    run.add_argument("scenario", help="scenario file (.toml)")
    run.add_argument("--out", required=True, help="output folder")

    div = sub.add_parser("divide", help="divide units into balanced, contiguous grids")
    div.add_argument("units", help="units file (GeoPackage, GeoJSON, Shapefile, zip)")
    div.add_argument("--population", required=True, help="population column")
    div.add_argument("--households", help="households column")
    div.add_argument("--id", help="unit id column (default: row order)")
    size = div.add_mutually_exclusive_group(required=True)
    size.add_argument("--grids", type=int, help="exact number of grids")
    size.add_argument("--households-per-grid", type=float, help="target households per grid")
    div.add_argument("--balance", default=None, help="column to balance (default households)")
    div.add_argument(
        "--tolerance",
        type=float,
        default=DivideSpec.tolerance,
        help=f"allowed deviation ({DivideSpec.tolerance})",
    )
    div.add_argument("--within", help="parent column grids must nest in")
    div.add_argument("--islands", choices=["raise", "connect"], default="raise")
    div.add_argument("--seed", type=int, default=DivideSpec.seed)
    div.add_argument("--no-map", action="store_true", help="skip map.html")
    div.add_argument("--out", required=True, help="output folder")

    alloc = sub.add_parser("allocate", help="open sites, assign workers and volunteers")
    alloc.add_argument("plan", help="grids file (grids.geojson written by `gridplan divide`)")
    alloc.add_argument("--sites", help="candidate sites file")
    alloc.add_argument("--workers", help="grid workers file")
    alloc.add_argument("--volunteers", help="volunteers file")
    alloc.add_argument("--budget", type=float, help="yearly budget (yuan)")
    alloc.add_argument("--solver", choices=["highs", "cbc"], default="highs")
    alloc.add_argument("--time-limit", type=float, help="seconds")
    alloc.add_argument("--mip-gap", type=float, help="relative gap to stop at")
    alloc.add_argument("--no-map", action="store_true", help="skip map.html")
    alloc.add_argument("--out", required=True, help="output folder")
    return p


def _divide_config(args: argparse.Namespace) -> dict[str, Any]:
    from gridplan.scenario import parse_scenario

    balance = args.balance or ("households" if args.households else "population")
    units = {"path": args.units, "population": args.population, "islands": args.islands}
    for key in ("households", "id"):
        if getattr(args, key):
            units[key] = getattr(args, key)
    if args.within:
        units["parent"] = args.within
    divide: dict[str, Any] = {"tolerance": args.tolerance, "balance": balance, "seed": args.seed}
    if args.grids is not None:
        divide["grids"] = args.grids
    else:
        divide["households_per_grid"] = args.households_per_grid
    if args.within:
        divide["within"] = args.within
    raw = {"units": units, "divide": divide, "output": {"map": not args.no_map}}
    return parse_scenario(raw, base=".", source="command line")


def _run(args: argparse.Namespace, progress: _Progress) -> str:
    from gridplan.scenario import load_scenario, run_scenario

    if args.command == "demo":
        from gridplan.datasets import load_sample
        from gridplan.scenario.demo import demo_scenario

        sample = load_sample()
        layers = {k: getattr(sample, k) for k in ("units", "sites", "workers", "volunteers")}
        result = run_scenario(demo_scenario(), args.out, layers=layers, progress=progress)
    elif args.command == "run":
        result = run_scenario(load_scenario(args.scenario), args.out, progress=progress)
    elif args.command == "divide":
        result = run_scenario(_divide_config(args), args.out, progress=progress)
    else:
        from gridplan.scenario import run_allocation

        result = run_allocation(
            args.plan,
            args.out,
            sites=args.sites,
            workers=args.workers,
            volunteers=args.volunteers,
            map=not args.no_map,
            progress=progress,
            budget=args.budget,
            solver=args.solver,
            time_limit=args.time_limit,
            mip_gap=args.mip_gap,
        )
    lines = [f"wrote {len(result.files)} file(s) to {args.out}:"]
    lines += [f"  {p.name}" for p in result.files]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gridplan`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    progress = _Progress(total=5, quiet=args.quiet)
    try:
        message = _run(args, progress)
    except InfeasibleError as exc:
        progress.close()
        print(f"gridplan: infeasible: {exc}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except SolverError as exc:
        progress.close()
        print(f"gridplan: solver: {exc}", file=sys.stderr)
        return EXIT_SOLVER
    except GridplanError as exc:
        progress.close()
        print(f"gridplan: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    progress.close()
    if not args.quiet:
        print(message)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
