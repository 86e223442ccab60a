"""Run one scenario over many regions, in parallel, resumably.

The driver lists the regions (one column read, no geometries), gives each its
seed and budget, submits one task per region to an executor, and records each
result in ``out/manifest.json`` as it arrives. Workers read only their own
region (see :mod:`gridplan.batch.source`).
"""

from __future__ import annotations

import itertools
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gridplan._progress import terminal_bar
from gridplan.batch.postgis import redact
from gridplan.batch.source import PLACEHOLDER, LayerSource
from gridplan.batch.task import RegionTask, _version, region_seed, run_region
from gridplan.errors import ColumnError, ConfigError, DataValueError, format_rows
from gridplan.io.atomic import write_text

__all__ = ["MANIFEST", "BatchResult", "SerialExecutor", "load_manifest", "run_batch"]


MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
Progress = Callable[[dict[str, Any]], None]


class SerialExecutor(Executor):
    """Runs each task in the calling process when it is submitted (``workers=1``)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            fut.set_exception(exc)
        return fut


@dataclass
class BatchResult:
    """What a batch run did: every region's record, and which ran or were skipped."""

    out: Path
    records: dict[str, dict[str, Any]]
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def done(self) -> list[str]:
        return [r for r, rec in self.records.items() if rec["status"] == "done"]

    @property
    def failed(self) -> list[str]:
        return [r for r, rec in self.records.items() if rec["status"] == "failed"]


def _config(cfg_or_path: Mapping[str, Any] | str | os.PathLike[str]) -> dict[str, Any]:
    from gridplan.scenario import load_scenario

    if isinstance(cfg_or_path, Mapping):
        return json.loads(json.dumps(dict(cfg_or_path)))  # a deep, picklable copy
    return load_scenario(cfg_or_path)


def _sources(cfg: dict[str, Any], regions: str | None) -> dict[str, LayerSource]:
    u = cfg["units"]
    if u is None:
        raise ConfigError(
            "gridplan batch splits a [units] layer by region; this scenario has [layers] "
            "(raw layers). Run it per community with `gridplan run`, or save the units "
            "(plan.geojson of a run) and give them as [units]."
        )
    sources = {"units": LayerSource("units", u["path"], regions, u["layer"])}
    if cfg["has_allocate"]:
        for key in ("sites", "workers", "volunteers"):
            if cfg["allocate"][key] is not None:
                sources[key] = LayerSource(key, cfg["allocate"][key], regions)
    per_folder = {n for n, s in sources.items() if s.per_folder}
    if regions is None and per_folder != set(sources):
        raise ConfigError(
            f"give the region column (regions=..., --regions) or put {PLACEHOLDER} in every "
            f"layer's path; these have neither: {', '.join(sorted(set(sources) - per_folder))}."
        )
    for src in sources.values():
        src.check()
    return sources


def _weights_column(cfg: dict[str, Any]) -> str:
    return cfg["units"]["households"] or cfg["units"]["population"]


def _region_table(units: LayerSource, extra: list[str]) -> pd.DataFrame:
    table = units.regions(extra)
    key = "region" if units.per_folder else units.column
    missing = table[key].isna()
    if missing.any():
        raise DataValueError(
            f"units: {int(missing.sum())} row(s) have no region in column {key!r} (rows "
            f"{format_rows(table.index[missing])}); give every unit its region code.",
            rows=list(table.index[missing]),
        )
    return table.rename(columns={key: "region"})


def _budgets(table: pd.DataFrame, cfg: dict[str, Any], rule: str) -> dict[Any, float | None]:
    """Each region's budget: a share of the city's, the same for all, or from a column."""
    values = list(dict.fromkeys(sorted(table["region"].unique(), key=str)))
    total = cfg["allocate"]["budget"] if cfg["has_allocate"] else None
    if rule.startswith("column:"):
        col = rule.removeprefix("column:")
        per = table.groupby("region", sort=False)[col].agg(["min", "max"])
        varying = per.index[per["min"] != per["max"]]
        if len(varying):
            raise DataValueError(
                f"budget column {col!r} differs within region(s) {format_rows(varying)}; "
                "a region's budget must be the same on all its units."
            )
        return {v: float(per.loc[v, "min"]) for v in values}
    if total is None or rule == "same":
        return dict.fromkeys(values, total)
    if rule != "households":
        raise ConfigError(
            f"budget rule {rule!r}: use 'households' (the city budget shared in proportion to "
            "households), 'same' (every region gets the budget) or 'column:NAME'."
        )
    weights = pd.to_numeric(table[_weights_column(cfg)], errors="coerce")
    sums = weights.groupby(table["region"]).sum()
    city = float(sums.sum())
    if not city > 0:
        raise DataValueError("the city has no households to share the budget by.")
    return {v: round(total * float(sums.loc[v]) / city, 2) for v in values}


def _plan_regions(
    cfg: dict[str, Any], units: LayerSource, rule: str
) -> list[tuple[str, Any, float | None]]:
    extra: list[str] = []
    if rule.startswith("column:"):
        extra.append(rule.removeprefix("column:"))
    elif rule == "households" and cfg["has_allocate"] and cfg["allocate"]["budget"] is not None:
        extra.append(_weights_column(cfg))
    missing = [c for c in extra if not units.per_folder and c not in units.fields()]
    if missing:
        raise ColumnError(f"units file {units.path!r} has no column {missing[0]!r} for budgets.")
    table = _region_table(units, extra)
    budgets = _budgets(table, cfg, rule)
    return [(str(v), v, b) for v, b in budgets.items()]


def _region_cfg(cfg: dict[str, Any], code: str, budget: float | None) -> dict[str, Any]:
    out = json.loads(json.dumps(cfg))
    out["divide"]["seed"] = region_seed(code, cfg["divide"]["seed"])
    if out["has_allocate"]:
        out["allocate"]["budget"] = budget
    return out


def load_manifest(out: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of an earlier run in ``out`` (empty when there is none)."""
    path = Path(out) / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{path} is not a readable batch manifest ({exc}); move it away to start afresh."
        ) from exc
    return data if isinstance(data, dict) else {}


class _Manifest:
    """The city's manifest, rewritten atomically at most every ``every`` seconds and at the end."""

    def __init__(self, out: Path, head: dict[str, Any], total: int, every: float) -> None:
        self.path, self.head, self.total, self.every = out / MANIFEST, head, total, every
        self.records: dict[str, dict[str, Any]] = {}
        self.last = time.monotonic()

    def add(self, rec: dict[str, Any]) -> None:
        self.records[rec["region"]] = rec
        if time.monotonic() - self.last >= self.every:
            self.write()

    def write(self) -> None:
        recs = {k: self.records[k] for k in sorted(self.records)}
        counts = {s: sum(r["status"] == s for r in recs.values()) for s in ("done", "failed")}
        counts["pending"] = self.total - len(recs)
        data = {**self.head, "counts": counts, "regions": recs}
        write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        self.last = time.monotonic()


@contextmanager
def _executor(
    executor: Executor | None, workers: int | None, scheduler: str | None
) -> Iterator[Executor]:
    if executor is not None:
        yield executor
        return
    if scheduler is not None:
        from gridplan.batch.dask import dask_executor

        with dask_executor(scheduler, workers) as ex:
            yield ex
        return
    n = workers or os.cpu_count() or 1
    if n == 1:
        yield SerialExecutor()
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        # Workers fork from a server that has imported gridplan once, not each on its own.
        ctx.set_forkserver_preload(["gridplan.batch.task", "gridplan.scenario.run"])
    pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _Bar:
    """A tqdm bar with done / failed / skipped counts and an ETA (only on a terminal)."""

    def __init__(self, total: int, progress: bool | Progress | None) -> None:
        self.callback = progress if callable(progress) else None
        show = progress is True or (progress is None and sys.stderr.isatty())
        self.counts = {"done": 0, "failed": 0, "skipped": 0}
        self.bar = None
        if show:
            self.bar = terminal_bar(total, sys.stderr, unit="region")

    def __call__(self, rec: dict[str, Any]) -> None:
        self.counts["skipped" if not rec["ran"] else rec["status"]] += 1
        if self.bar is not None:
            self.bar.set_postfix(self.counts, refresh=False)
            self.bar.update(1)
        if self.callback is not None:
            self.callback(rec)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _crashed(task: RegionTask, exc: BaseException) -> dict[str, Any]:
    """The record of a task whose worker died (the task itself catches everything else)."""
    from gridplan.batch.task import region_folder

    return {
        "region": task.region,
        "folder": region_folder(task.region),
        "status": "failed",
        "ran": True,
        "outline": None,
        "seed": task.cfg["divide"]["seed"],
        "input_hash": None,
        "files": [],
        "error": {"type": type(exc).__name__, "message": str(exc)},
    }


def _window(ex: Executor, workers: int | None) -> int:
    """How many tasks to keep submitted: enough to keep every worker busy, no more.

    Submitting lazily keeps memory flat for thousands of regions, lets an interrupted
    run stop soon, and makes a :class:`SerialExecutor` record each region as it ends.
    """
    if isinstance(ex, SerialExecutor):
        return 1
    slots = workers or getattr(ex, "_max_workers", None)  # process and thread pools
    client = getattr(ex, "_client", None)  # a Dask ClientExecutor: the cluster's threads
    if client is not None and not workers:
        slots = sum(client.nthreads().values())
    return 2 * int(slots or os.cpu_count() or 1) + 2


def _collect(
    ex: Executor, tasks: list[RegionTask], window: int, manifest: _Manifest, bar: _Bar
) -> tuple[dict[str, bytes | None], dict[str, bool]]:
    outlines: dict[str, bytes | None] = {}
    ran: dict[str, bool] = {}
    todo = iter(tasks)
    running: dict[Future[Any], RegionTask] = {}
    try:
        while True:
            for task in itertools.islice(todo, window - len(running)):
                running[ex.submit(run_region, task)] = task
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in sorted(finished, key=lambda f: running[f].region):
                task = running.pop(fut)
                try:
                    rec = fut.result()
                except Exception as exc:  # e.g. a worker process killed by the system
                    rec = _crashed(task, exc)
                outlines[rec["region"]] = rec.pop("outline")
                ran[rec["region"]] = rec["ran"]
                manifest.add({k: v for k, v in rec.items() if k != "ran"})
                bar(rec)
    finally:
        for fut in running:
            fut.cancel()
    return outlines, ran


def _tasks(
    cfg: dict[str, Any],
    regions: str | None,
    out_dir: Path,
    budget: str,
    retry_failed: bool,
    db: str | None,
) -> list[RegionTask]:
    """Check the sources (and the database), list the regions, build one task per region."""
    sources = _sources(cfg, regions)
    if db is not None:
        from gridplan.batch.postgis import is_postgis, prepare

        if not is_postgis(db):
            raise ConfigError(f"db={redact(db)!r}: give a postgresql://… URL (optionally #schema).")
        prepare(db)
    planned = _plan_regions(cfg, sources["units"], budget)
    previous = load_manifest(out_dir).get("regions", {})
    tasks = [
        RegionTask(
            code,
            value,
            str(out_dir),
            _region_cfg(cfg, code, b),
            sources,
            previous.get(code),
            retry_failed,
            db,
        )
        for code, value, b in planned
    ]
    return tasks


def run_batch(
    cfg_or_path: Mapping[str, Any] | str | os.PathLike[str],
    regions: str | None = None,
    out: str | os.PathLike[str] = "out",
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    retry_failed: bool = False,
    budget: str = "households",
    merge: bool = True,
    progress: bool | Progress | None = None,
    flush_seconds: float = 2.0,
    db: str | None = None,
) -> BatchResult:
    """Run a scenario over every region of a city; see the README section "City-scale batch".

    ``regions`` is the units' region column (street or community code), or None when
    every layer path contains ``{region}`` (one folder per region). Each region gets
    the seed :func:`~gridplan.batch.region_seed` of its code and a budget by ``budget``:
    ``"households"`` (the scenario's budget is the city's, shared in proportion to
    households), ``"same"`` (each region gets it) or ``"column:NAME"`` (a units
    column, constant within a region). Outputs go to ``out/<region>/``; the
    manifest ``out/manifest.json`` records each region as it finishes. A re-run
    skips regions whose inputs are unchanged (failed ones too, unless
    ``retry_failed``). ``executor`` is any :class:`concurrent.futures.Executor`;
    by default a process pool of ``workers`` (all cores; 1 runs in this process),
    or Dask when ``scheduler`` is ``"local"`` or ``"tcp://host:8786"``. With ``db``
    (``postgresql://…#schema``) each done region's grids, unit assignment and
    allocation also replace its rows in PostGIS, one transaction per region
    (:mod:`gridplan.batch.postgis`); layer paths may be PostGIS tables too.

    >>> import tempfile
    >>> from gridplan.batch import make_city, write_city
    >>> d = tempfile.mkdtemp()
    >>> cfg = write_city(make_city(2, side=3), d, households_per_grid=400)
    >>> res = run_batch(cfg, "community", f"{d}/out", workers=1, merge=False)
    >>> sorted(res.done), res.failed
    (['C0000', 'C0001'], [])
    """
    if str(out).startswith(("postgresql:", "postgres:")):
        raise ConfigError(
            f"out={redact(str(out))!r}: out is the folder for the manifest and region "
            "files; give the PostGIS URL as db=... (--db) to write results there too."
        )
    out_dir = Path(out)
    if not math.isfinite(flush_seconds) or flush_seconds < 0:
        raise ConfigError(f"flush_seconds must be a number ≥ 0, got {flush_seconds!r}.")
    cfg = _config(cfg_or_path)
    tasks = _tasks(cfg, regions, out_dir, budget, retry_failed, db)
    head = {"schema_version": MANIFEST_VERSION, "kind": "gridplan.batch",
            "scenario": cfg["name"], "regions_column": regions, "budget_rule": budget,
            "gridplan_version": _version(), "db": None if db is None else redact(db)}  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = _Manifest(out_dir, head, len(tasks), flush_seconds)
    # Regions not reached yet keep their earlier record, so a second interruption loses nothing.
    manifest.records = {t.region: t.previous for t in tasks if t.previous}
    bar = _Bar(len(tasks), progress)
    try:
        with _executor(executor, workers, scheduler) as ex:
            outlines, ran = _collect(ex, tasks, _window(ex, workers), manifest, bar)
    finally:
        bar.close()
        manifest.write()
    records = {k: manifest.records[k] for k in sorted(manifest.records)}
    result = BatchResult(out_dir, records, files=[manifest.path])
    result.ran = sorted(c for c, r in ran.items() if r)
    result.skipped = sorted(c for c, r in ran.items() if not r)
    if merge:
        from gridplan.batch.merge import merge_outputs

        result.files += merge_outputs(out_dir, manifest.records, outlines, regions or "region")
    return result
