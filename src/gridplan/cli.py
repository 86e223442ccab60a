"""The ``gridplan`` command line: batch runs for planners and other services.

Exit codes: 0 success, 2 bad input (one line naming the file, column or key),
3 infeasible (with the explanation), 4 solver failure or time-limit stop without a plan,
130 interrupted (Ctrl-C). User errors never
print a traceback; warnings about the result go to stderr even with ``--quiet``.

    gridplan demo --out out
    gridplan run scenario.toml --out out
    gridplan divide units.gpkg --population pop --households hh --households-per-grid 300 --out out
    gridplan divide --boundaries communities.gpkg --buildings buildings.gpkg --roads roads.gpkg \
        --register register.csv --on building_id --address address --households-per-grid 300 \
        --out out
    gridplan allocate out/grids.geojson --sites sites.geojson --budget 5e6 --out out2
    gridplan assess units.gpkg --population pop --households hh --grids grids.gpkg --out out3
    gridplan batch city.toml --regions street --out out --workers 8
    gridplan batch city.toml --regions street --out out --scheduler tcp://host:8786 \
        --db postgresql://planner@db/city#grids

A batch exits 0 when it ran to the end, even if some regions failed: each region's
result (done, or failed with the error) is in out/manifest.json and out/summary.csv.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gridplan import __version__
from gridplan._progress import terminal_bar
from gridplan.division.spec import OBJECTIVES
from gridplan.errors import (
    ConfigError,
    GridplanError,
    GridplanWarning,
    InfeasibleError,
    SolverError,
)

__all__ = ["main"]

EXIT_OK, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_INTERRUPTED = 0, 2, 3, 130
EXIT_SOLVER = 4  # the solver failed or stopped (time limit) without a plan


class _Progress:
    """Step messages as a tqdm bar on stderr; silent when quiet or not a terminal."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.bar = None
        if not quiet and sys.stderr.isatty():
            self.bar = terminal_bar(total, sys.stderr, leave=False, bar_format="{desc} {bar}")

    def __call__(self, message: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(message)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _quiet_option(parser: argparse.ArgumentParser, top: bool = False) -> None:
    """``-q/--quiet`` both before and after the subcommand (a subcommand's copy only sets it)."""
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="no progress bar and no summary on stdout (warnings and errors still show)",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gridplan",
        description="Community grid planning: divide territory into balanced grids, "
        "allocate service points, grid workers and volunteers under a budget, map the result.",
    )
    p.add_argument("--version", action="version", version=f"gridplan {__version__}")
    _quiet_option(p, top=True)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the synthetic sample scenario")
    demo.add_argument("--out", default="out", help="output folder (default: out)")

    run = sub.add_parser("run", help="run a scenario TOML file")
    run.add_argument("scenario", help="scenario file (.toml)")
    run.add_argument("--out", required=True, help="output folder")

    div = sub.add_parser(
        "divide",
        help="divide units (or raw layers: boundaries, buildings, roads, register) into grids",
    )
    _units_options(div)
    _layers_options(div)
    _divide_options(div)
    div.add_argument("--no-map", action="store_true", help="skip map.html")
    div.add_argument("--out", required=True, help="output folder")

    alloc = sub.add_parser("allocate", help="open sites, assign workers and volunteers")
    alloc.add_argument("plan", help="grids file (grids.geojson written by `gridplan divide`)")
    alloc.add_argument("--sites", help="candidate sites file")
    alloc.add_argument("--workers", help="grid workers file")
    alloc.add_argument("--volunteers", help="volunteers file")
    alloc.add_argument("--roads", help="street lines or OSM .pbf: walking distances")
    alloc.add_argument("--budget", type=float, help="yearly budget (yuan)")
    alloc.add_argument("--solver", choices=["highs", "cbc"], default="highs")
    alloc.add_argument("--time-limit", type=float, help="seconds")
    alloc.add_argument("--mip-gap", type=float, help="relative gap to stop at")
    alloc.add_argument("--no-map", action="store_true", help="skip map.html")
    alloc.add_argument("--out", required=True, help="output folder")
    assess = _assess_parser(sub)
    batch = _batch_parser(sub)
    for command in (demo, run, div, alloc, assess, batch):
        _quiet_option(command)
    for command in (demo, run, div, alloc):
        command.add_argument(
            "--lang", choices=["en", "zh"], help="report and map language (zh: 中文)"
        )
    return p


def _csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# Options left out take the scenario schema's defaults (gridplan.scenario.SCHEMA): the
# command line never repeats a default of its own.
def _units_options(div: argparse.ArgumentParser) -> None:
    div.add_argument(
        "units",
        nargs="?",
        help="units file (GeoPackage, GeoJSON, Shapefile, zip); or give raw layers "
        "(--boundaries, --buildings, ...) instead",
    )
    div.add_argument("--layer", help="layer of a multi-layer file (GeoPackage)")
    div.add_argument(
        "--population", help="population column (required with a units file; raw layers: residents)"
    )
    div.add_argument("--households", help="households column")
    div.add_argument("--id", help="unit id column (default: row order)")
    div.add_argument(
        "--demand",
        type=_csv_list,
        action="extend",
        metavar="COLS",
        help="demand columns summed per grid for allocation's need rules, comma-separated "
        "(e.g. age60plus,elderly_alone,disabled,children)",
    )
    div.add_argument("--crs", help="CRS of a units file that has none (e.g. EPSG:4547)")
    div.add_argument("--metric-crs", help="projected CRS to work in (default: chosen)")
    div.add_argument("--contiguity", choices=["rook", "queen"])
    div.add_argument("--snap", type=float, metavar="METRES", help="join units nearly touching")
    div.add_argument("--islands", choices=["raise", "connect"])
    div.add_argument("--repair", action="store_true", default=None, help="fix invalid polygons")


def _layers_options(div: argparse.ArgumentParser) -> None:
    raw = div.add_argument_group(
        "raw layers", "one unit per building instead of a units file (gridplan.units.from_layers)"
    )
    raw.add_argument("--boundaries", help="community/street boundary polygons")
    raw.add_argument("--buildings", help="building footprints or points")
    raw.add_argument("--roads", help="road centre lines (class column: kind); grids prefer them")
    raw.add_argument("--barriers", help="rivers, rail, water: lines or polygons")
    raw.add_argument("--register", help="household register (.csv or .xlsx)")
    raw.add_argument("--on", help="building key column, in the buildings and the register")
    raw.add_argument("--address", help="address column, for rows whose key is missing")
    raw.add_argument("--encoding", help="register encoding (default: UTF-8 or GBK, detected)")
    raw.add_argument("--road-class", help="class column of --roads (default: kind)")


def _road_weight(text: str) -> float | dict[str, float]:
    """``2`` or ``primary=8,path=0,default=2`` (road class -> weight)."""
    try:
        if "=" not in text:
            return float(text)
        pairs = (part.split("=", 1) for part in _csv_list(text))
        return {k.strip(): float(v) for k, v in pairs}
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a number (e.g. 2) or class=weight pairs (e.g. primary=8,path=0)"
        ) from None


def _divide_options(div: argparse.ArgumentParser) -> None:
    size = div.add_mutually_exclusive_group(required=True)
    size.add_argument("--grids", type=int, help="exact number of grids")
    size.add_argument("--households-per-grid", type=float, help="target households per grid")
    div.add_argument("--balance", help="column to balance (default households, else population)")
    div.add_argument("--tolerance", type=float, help="allowed deviation, e.g. 0.05")
    div.add_argument("--area-weight", type=float, help="weight of area balance (0 = off)")
    div.add_argument("--compactness", type=float, help="weight of compact shapes")
    div.add_argument("--within", help="parent column grids must nest in")
    div.add_argument("--seed", type=int)
    div.add_argument("--time-limit", type=float, metavar="SECONDS")
    div.add_argument(
        "--road-weight",
        type=_road_weight,
        metavar="W",
        help="how much grids prefer to end on roads: a number, or class=weight pairs",
    )
    div.add_argument(
        "--objective",
        choices=OBJECTIVES,
        help="what the search shortens: compact (default) or cut_edges",
    )
    div.add_argument(
        "--no-strict",
        dest="strict",
        action="store_false",
        default=None,
        help="write the best plan even when it misses the tolerance",
    )


# command-line option -> scenario key, per section
_UNITS_KEYS = ("layer", "population", "households", "id", "demand", "crs", "metric_crs",
               "contiguity", "snap", "islands", "repair")  # fmt: skip
_DIVIDE_KEYS = ("grids", "households_per_grid", "balance", "tolerance", "area_weight",
                "compactness", "within", "seed", "time_limit", "strict",
                "road_weight", "objective")  # fmt: skip
_LAYERS_KEYS = ("boundaries", "buildings", "roads", "barriers", "register", "on", "address",
                "encoding", "road_class", "population", "households", "demand",
                "islands")  # fmt: skip
_UNITS_ONLY = ("layer", "id", "crs", "metric_crs", "contiguity", "snap", "repair")


def _given(args: argparse.Namespace, keys: Sequence[str]) -> dict[str, Any]:
    return {k: getattr(args, k) for k in keys if getattr(args, k) is not None}


def _assess_parser(sub: Any) -> argparse.ArgumentParser:
    ass = sub.add_parser("assess", help="assess existing grids and what re-balancing takes")
    ass.add_argument("units", help="units file (GeoPackage, GeoJSON, Shapefile, zip)")
    ass.add_argument("--population", required=True, help="population column")
    ass.add_argument("--households", help="households column")
    ass.add_argument("--id", help="unit id column (default: row order)")
    src = ass.add_mutually_exclusive_group(required=True)
    src.add_argument("--grids", help="existing grids layer file")
    src.add_argument("--column", help="units column holding each unit's grid code")
    ass.add_argument("--code", default="code", help="grid code column of --grids (code)")
    ass.add_argument("--worker", help="worker name column of --grids")
    ass.add_argument("--tolerance", type=float, default=0.05, help="allowed deviation (0.05)")
    ass.add_argument("--balance", default=None, help="column to balance (default households)")
    ass.add_argument("--within", help="parent column grids must nest in")
    ass.add_argument("--islands", choices=["raise", "connect"], default="raise")
    ass.add_argument("--no-compare", action="store_true", help="skip rebalance and divide")
    ass.add_argument("--no-map", action="store_true", help="skip map.html")
    ass.add_argument("--out", required=True, help="output folder")
    return ass


def _assess(args: argparse.Namespace) -> list[Any]:
    from gridplan.existing.run import run_assess

    tkw: dict[str, Any] = {"population": args.population, "islands": args.islands}
    for key in ("households", "id"):
        if getattr(args, key):
            tkw[key] = getattr(args, key)
    if args.within:
        tkw["parent"] = args.within
    _, files = run_assess(
        args.units,
        args.out,
        territory_kwargs=tkw,
        grids=args.grids,
        column=args.column,
        code=args.code,
        worker=args.worker,
        map=not args.no_map,
        tolerance=args.tolerance,
        balance=args.balance,
        within=args.within,
        compare=not args.no_compare,
    )
    return files


def _batch_parser(sub: Any) -> argparse.ArgumentParser:
    bat = sub.add_parser("batch", help="run a scenario over every region (street/community)")
    bat.add_argument("scenario", help="scenario file (.toml) over the whole city")
    bat.add_argument("--regions", help="region column; omit when paths contain {region}")
    bat.add_argument("--out", required=True, help="output folder (one subfolder per region)")
    bat.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    bat.add_argument("--scheduler", help="Dask: 'local' or a scheduler address tcp://host:8786")
    bat.add_argument("--retry-failed", action="store_true", help="re-run failed regions")
    bat.add_argument(
        "--budget-rule",
        default="households",
        help="households (share the budget, default), same, or column:NAME",
    )
    bat.add_argument("--no-merge", action="store_true", help="skip the city-level files")
    bat.add_argument(
        "--db",
        help="also write results to PostGIS: postgresql://user@host/city#schema "
        "(password from PGPASSWORD or ~/.pgpass)",
    )
    return bat


def _batch(args: argparse.Namespace) -> str:
    from gridplan.batch import run_batch

    if args.workers is not None and args.workers < 1:
        from gridplan.errors import ConfigError

        raise ConfigError(f"--workers {args.workers}: give 1 or more worker processes.")
    res = run_batch(
        args.scenario,
        args.regions,
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        retry_failed=args.retry_failed,
        budget=args.budget_rule,
        merge=not args.no_merge,
        progress=False if args.quiet else None,
        db=args.db,
    )
    lines = [
        f"{len(res.records)} region(s): {len(res.done)} done, {len(res.failed)} failed "
        f"({len(res.ran)} ran, {len(res.skipped)} unchanged); manifest {res.out / 'manifest.json'}"
    ]
    lines += [f"  failed {r}: {res.records[r]['error']['type']}" for r in res.failed[:20]]
    return "\n".join(lines)


def _divide_units(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The ``[units]`` or ``[layers]`` table the command line describes."""
    raw_given = [f"--{k}" for k in ("boundaries", "buildings") if getattr(args, k)]
    if args.units is not None:
        extra = [f"--{k.replace('_', '-')}" for k in _LAYERS_KEYS[:9] if getattr(args, k)]
        if extra:
            raise ConfigError(
                f"give a units file or raw layers, not both: {args.units!r} with "
                f"{', '.join(extra)}. Drop the units file to build units from the layers."
            )
        if args.population is None:
            raise ConfigError("--population is required with a units file (its population column).")
        return "units", {"path": args.units, **_given(args, _UNITS_KEYS)}
    if len(raw_given) < 2:
        raise ConfigError(
            "give a units file, or raw layers: --boundaries and --buildings (with --roads, "
            "--register and --on/--address as you have them)."
        )
    units_only = [f"--{k.replace('_', '-')}" for k in _UNITS_ONLY if getattr(args, k) is not None]
    if units_only:
        raise ConfigError(f"{', '.join(units_only)} apply to a units file, not to raw layers.")
    return "layers", _given(args, _LAYERS_KEYS)


def _divide_config(args: argparse.Namespace) -> dict[str, Any]:
    from gridplan.scenario import parse_scenario

    section, units = _divide_units(args)
    if args.within:
        units["parent"] = args.within
    divide = _given(args, _DIVIDE_KEYS)
    hh = args.households or (section == "layers")  # raw layers: "households" by default
    divide.setdefault("balance", "households" if hh else "population")
    raw = {section: units, "divide": divide, "output": {"map": not args.no_map}}
    if args.lang:
        raw["output"]["lang"] = args.lang
    return parse_scenario(raw, base=".", source="command line")


def _lang(cfg: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """``--lang`` overrides the scenario's ``output.lang``."""
    if args.lang:
        cfg["output"]["lang"] = args.lang
    return cfg


def _run(args: argparse.Namespace, progress: _Progress) -> str:
    from gridplan.scenario import load_scenario, run_scenario

    if args.command == "batch":
        return _batch(args)
    if args.command == "demo":
        from gridplan.scenario.demo import demo_layers, demo_scenario

        result = run_scenario(
            _lang(demo_scenario(), args), args.out, layers=demo_layers(), progress=progress
        )
    elif args.command == "run":
        cfg = _lang(load_scenario(args.scenario), args)
        result = run_scenario(cfg, args.out, progress=progress)
    elif args.command == "divide":
        result = run_scenario(_divide_config(args), args.out, progress=progress)
    elif args.command == "assess":
        files = _assess(args)
        return "\n".join(
            [f"wrote {len(files)} file(s) to {args.out}:", *(f"  {p.name}" for p in files)]
        )
    else:
        from gridplan.scenario import run_allocation

        result = run_allocation(
            args.plan,
            args.out,
            sites=args.sites,
            workers=args.workers,
            volunteers=args.volunteers,
            roads=args.roads,
            map=not args.no_map,
            progress=progress,
            budget=args.budget,
            solver=args.solver,
            time_limit=args.time_limit,
            mip_gap=args.mip_gap,
            lang=args.lang or "en",
        )
    from gridplan.i18n import translate

    done = translate(args.lang, "wrote {n} file(s) to {out}:")
    lines = [done.format(n=len(result.files), out=args.out)]
    lines += [f"  {p.name}" for p in result.files]
    return "\n".join(lines)


# Library messages name Python keywords; on the command line the option is meant.
_OPTION_HINTS = (
    ("strict=False", "--no-strict"),
    ("repair=True", "--repair"),
    ("islands='connect'", "--islands connect"),
    ("snap=<metres>", "--snap METRES"),
    ("metric_crs=...", "--metric-crs"),
    ("crs=...", "--crs"),
    ("time_limit", "--time-limit"),
    ("demand=", "--demand"),
    ("on=<building key column>", "--on"),
    ("address=<address column>", "--address"),
    ("layers.register", "--register"),
)


def _with_options(message: str) -> str:
    for keyword, option in _OPTION_HINTS:
        if keyword in message and option not in message:
            message = message.replace(keyword, f"{keyword} (option {option})", 1)
    return message


def _check_out(out: str) -> None:
    """Refuse an output folder that cannot be written, before any computation."""
    path = Path(out).absolute()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {out!r} is a file, not a folder; give a folder to write into.")
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"--out {out!r}: {str(parent)!r} is a file, so no folder can go there.")
    try:  # os.access says yes to root even on a read-only file system
        tempfile.TemporaryDirectory(dir=parent).cleanup()
    except OSError as exc:
        raise ConfigError(f"--out {out!r} cannot be written ({exc.strerror}): {parent}") from None


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        if issubclass(w.category, GridplanWarning):
            print(f"gridplan: warning: {_with_options(str(w.message))}", file=sys.stderr)
        else:
            print(warnings.formatwarning(w.message, w.category, w.filename, w.lineno), end="",
                  file=sys.stderr)  # fmt: skip


def _stdout_closed() -> int:
    """The reader of stdout went away (``| head``): not an error, and no traceback at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gridplan`` command; returns the exit code.

    Exit codes: 0 success, 2 bad input, 3 infeasible, 4 solver failure or time-limit
    stop, 130 interrupted (Ctrl-C).
    """
    args = _parser().parse_args(argv)
    progress = _Progress(total=5, quiet=args.quiet or args.command == "batch")  # batch: own bar
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GridplanWarning)
            _check_out(args.out)
            message = _run(args, progress)
    except KeyboardInterrupt:
        progress.close()
        print(
            "gridplan: interrupted; outputs move into place only when a run completes, "
            "so none changed",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except InfeasibleError as exc:
        progress.close()
        print(f"gridplan: infeasible: {_with_options(str(exc))}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except SolverError as exc:
        progress.close()
        print(f"gridplan: solver: {_with_options(str(exc))}", file=sys.stderr)
        return EXIT_SOLVER
    except GridplanError as exc:
        progress.close()
        print(f"gridplan: error: {_with_options(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    progress.close()
    _print_warnings(caught)
    if not args.quiet:
        try:
            print(message, flush=True)
        except BrokenPipeError:
            return _stdout_closed()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
