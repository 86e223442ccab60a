"""One region's task: read its rows, run the scenario, write ``out/<region>/``.

:func:`run_region` is what every worker runs (a process of a pool, a Dask
worker, or the calling process). It never raises for a problem of the region's
data or plan: the error becomes the region's record (``status = "failed"`` with
the error's type, message and, for an infeasible plan, its details), so one bad
community does not stop the city.

>>> region_seed("410727001001") == region_seed("410727001001")
True
>>> region_folder("410727001001"), region_folder("../x"), region_folder("a/b")
('410727001001', '..%2Fx', 'a%2Fb')
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import pandas as pd
import shapely

from gridplan.batch.source import LayerSource
from gridplan.errors import InfeasibleError

__all__ = ["RegionTask", "input_hash", "region_folder", "region_seed", "run_region"]


def _version() -> str:
    from gridplan import __version__  # not at import time: gridplan/__init__ imports this package

    return __version__


ERROR_FILE = "error.json"
_SAFE = re.compile(r"[\w\-][\w\-.]*\Z")  # letters (any script), digits, _ - . ; no leading dot
# Keys of the scenario that name files: the region's data are hashed instead, so moving
# the city's files to another folder does not invalidate finished regions.
_PATH_KEYS = (("units", "path"), ("allocate", "sites"), ("allocate", "workers"),
              ("allocate", "volunteers"))  # fmt: skip


def region_seed(code: str, base: int = 0) -> int:
    """A seed for region ``code``: stable across runs, machines and Python versions.

    Derived with SHA-256 from ``base`` (the scenario's ``divide.seed``) and the code,
    never with Python's randomised ``hash``.
    """
    digest = hashlib.sha256(f"{int(base)}\x1f{code}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % (2**31 - 1)


def region_folder(code: str) -> str:
    """The folder name of region ``code``: the code itself when safe, else URL-quoted."""
    return code if _SAFE.match(code) else quote(code, safe="")


def _layer_bytes(gdf: gpd.GeoDataFrame) -> bytes:
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    head = json.dumps([[str(c), str(t)] for c, t in attrs.dtypes.items()]).encode()
    body = attrs.to_csv(index=False, lineterminator="\n").encode()
    wkb = b"".join(shapely.to_wkb(gdf.geometry.values, output_dimension=2))
    crs = (gdf.crs.to_wkt() if gdf.crs is not None else "").encode()
    return b"\x1e".join([head, body, wkb, crs])


def input_hash(layers: dict[str, gpd.GeoDataFrame], cfg: dict[str, Any]) -> str:
    """SHA-256 of a region's input rows and of the settings that shape its outputs.

    File paths are left out (the data are hashed); the gridplan version is in.
    """
    settings = {s: dict(v) if isinstance(v, dict) else v for s, v in cfg.items() if s != "name"}
    for section, key in _PATH_KEYS:
        settings[section].pop(key, None)
    h = hashlib.sha256()
    h.update(json.dumps([_version(), settings], sort_keys=True, default=str).encode())
    for name in sorted(layers):
        h.update(name.encode() + b"\x1d" + _layer_bytes(layers[name]))
    return "sha256:" + h.hexdigest()


@dataclass(frozen=True)
class RegionTask:
    """Everything a worker needs for one region (small and picklable).

    ``cfg`` is the scenario with this region's seed and budget filled in;
    ``sources`` maps a layer name to where it is read from; ``previous`` is the
    region's record from an earlier run (for resuming); ``db`` a PostGIS URL
    (``postgresql://…#schema``) the results are also written to.
    """

    region: str
    value: Any
    out_dir: str
    cfg: dict[str, Any]
    sources: dict[str, LayerSource]
    previous: dict[str, Any] | None = None
    retry_failed: bool = False
    db: str | None = None

    @property
    def folder(self) -> Path:
        return Path(self.out_dir) / region_folder(self.region)


def _outline(units: gpd.GeoDataFrame) -> bytes | None:
    """The region's outline in EPSG:4326, simplified to about 5 m, as WKB (for the overview)."""
    if units.empty or units.crs is None:
        return None
    shape = shapely.union_all(shapely.make_valid(units.geometry.values))
    light = gpd.GeoSeries([shape.simplify(5.0)], crs=units.crs).to_crs(4326)
    return shapely.to_wkb(light.iloc[0])


def _peak_rss_mb() -> float | None:
    """Peak resident memory of this worker process so far, in MB (None where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _can_skip(task: RegionTask, digest: str) -> bool:
    prev = task.previous
    if not prev or prev.get("input_hash") != digest:
        return False
    if prev.get("status") == "done":
        return all((task.folder / name).exists() for name in prev.get("files", []))
    return prev.get("status") == "failed" and not task.retry_failed


def _error(exc: BaseException) -> dict[str, Any]:
    err: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, InfeasibleError) and exc.details:
        err["details"] = json.loads(json.dumps(exc.details, default=str))
    return err


def _done(task: RegionTask, result: Any) -> dict[str, Any]:
    from gridplan.scenario.run import OUTPUT_FILES

    (task.folder / ERROR_FILE).unlink(missing_ok=True)
    grids = result.plan.grids
    rec: dict[str, Any] = {
        "status": "done",
        "files": sorted(p.name for p in result.files if p.name in OUTPUT_FILES),
        "grids": len(grids),
        "error": None,
    }
    if result.allocation is not None:
        rec["allocation_status"] = result.allocation.status
        rec["cost"] = round(float(result.allocation.cost.get("total", 0.0)), 2)
    return rec


def _failed(task: RegionTask, exc: BaseException) -> dict[str, Any]:
    from gridplan.io.atomic import staged_dir
    from gridplan.scenario.run import OUTPUT_FILES

    err = _error(exc)
    # Outputs of an earlier success would contradict this failure: replace them by error.json.
    with staged_dir(task.folder, replaces=OUTPUT_FILES | {ERROR_FILE}) as stage:
        text = json.dumps({"region": task.region, "error": err}, ensure_ascii=False, indent=2)
        (stage / ERROR_FILE).write_text(text + "\n", encoding="utf-8")
    return {"status": "failed", "files": [ERROR_FILE], "error": err}


def _read(task: RegionTask) -> dict[str, gpd.GeoDataFrame]:
    return {name: src.read(task.value) for name, src in task.sources.items()}


def run_region(task: RegionTask) -> dict[str, Any]:
    """Run one region; return its record (see docs/schema.md, "Batch manifest").

    The record has ``ran`` (False when skipped as unchanged) and ``outline`` (WKB
    bytes or None); the batch driver keeps both out of the manifest.
    """
    from gridplan.scenario.run import run_scenario

    start, cpu = time.perf_counter(), time.process_time()
    cfg = task.cfg
    rec: dict[str, Any] = {
        "region": task.region,
        "folder": region_folder(task.region),
        "seed": cfg["divide"]["seed"],
        "budget": cfg["allocate"]["budget"] if cfg["has_allocate"] else None,
        "input_hash": None,
        "ran": True,
        "outline": None,
    }
    try:
        layers = _read(task)
        units = layers["units"]
        rec["input_hash"] = digest = input_hash(layers, cfg)
        rec["outline"] = _outline(units)
        rec["read_seconds"] = round(time.perf_counter() - start, 3)
        rec["units"] = len(units)
        for col in (cfg["units"]["households"], cfg["units"]["population"]):
            if col and col in units.columns:
                rec[col] = float(pd.to_numeric(units[col], errors="coerce").sum())
        if _can_skip(task, digest):
            assert task.previous is not None
            return {**task.previous, **rec, "ran": False}
        result = run_scenario(cfg, task.folder, layers=layers)
        if task.db is not None:
            from gridplan.batch.postgis import write_region

            rec["db_rows"] = write_region(task.db, task.region, result)
        rec.update(_done(task, result))
    except Exception as exc:  # a GridplanError, or a bug: it must not stop the city; recorded
        rec.update(_failed(task, exc))
    rec["seconds"] = round(time.perf_counter() - start, 3)
    rec["cpu_seconds"] = round(time.process_time() - cpu, 3)
    rec["peak_rss_mb"] = _peak_rss_mb()
    return rec
