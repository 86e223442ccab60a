"""Run a scenario end to end: territory → divide → allocate → files.

Every output is produced in a staging folder first and moved into place only
when the whole run succeeded.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from gridplan.errors import ConfigError, InputError
from gridplan.io.atomic import staged_dir
from gridplan.io.files import read_layer
from gridplan.io.tables import write_csv
from gridplan.territory import Territory

if TYPE_CHECKING:
    from gridplan.allocation.result import Allocation
    from gridplan.coverage import LifeCircles
    from gridplan.division.plan import GridPlan
    from gridplan.network import Network

__all__ = ["OUTPUT_FILES", "RunResult", "run_allocation", "run_scenario", "write_outputs"]

# Every file a run may write (docs/schema.md). A run removes the ones it did not write
# from its output folder, so outputs of an earlier run never sit beside the new ones.
OUTPUT_FILES = frozenset(
    {
        "plan.geojson",
        "grids.geojson",
        "metrics.json",
        "allocation.json",
        "coverage.csv",
        "sites.csv",
        "worker_assignment.csv",
        "volunteer_assignment.csv",
        "map.html",
        "allocation_map.html",
        "report.md",
        "report.html",
        "timings.json",
        "match_report.csv",  # when a household register was joined ([layers] register)
    }
)

#: metrics.json: its own version (docs/schema.md) and the unit of every measured figure;
#: deviations, tolerance and Polsby-Popper are fractions (0.05 = 5 %), never percents.
METRICS_SCHEMA_VERSION = 1
METRIC_UNITS = {
    "boundary_length": "m",
    "area": "m2",
    "max_abs_deviation": "fraction",
    "max_abs_deviation_from_mean": "fraction",
    "tolerance": "fraction",
    "mean_polsby_popper": "ratio 0-1",
    "min_polsby_popper": "ratio 0-1",
}

# Written only when a roads file is given (walking distances); the demo writes none of them.
WALKING_FILES = frozenset({"life_circles.csv", "patrol.csv"})

Progress = Callable[[str], None]


@dataclass
class RunResult:
    """What a run produced: the plan, the allocation (or None) and the files written."""

    territory: Territory | None
    plan: GridPlan | None = None
    allocation: Allocation | None = None
    files: list[Path] = field(default_factory=list)
    life_circles: LifeCircles | None = None  # when a roads file was given
    patrol: pd.DataFrame | None = None  # per grid, the walk from its service point (roads given)
    streets: gpd.GeoDataFrame | None = None  # context layer for the maps (layers["streets"])


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def run_scenario(
    cfg: dict[str, Any],
    out_dir: str | os.PathLike[str],
    layers: Mapping[str, pd.DataFrame] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run a validated scenario (see :func:`gridplan.scenario.load_scenario`).

    ``layers`` supplies in-memory layers (``units``, or ``boundaries``,
    ``buildings``, ``roads``, ``barriers`` and the ``register`` table; ``sites``,
    ``workers``, ``volunteers``) instead of the files named in ``cfg``; the
    demo uses it. A territory made from a register also gets ``match_report.csv``.
    Streets (``layers["streets"]`` or the file ``output.streets``) are drawn on
    the maps as light context.
    """
    from gridplan.allocation import allocate
    from gridplan.division import divide

    step = progress or (lambda _msg: None)
    layers = dict(layers or {})
    step("validating units")
    territory = _territory(cfg, layers)
    streets = layers.get("streets")
    if streets is None and cfg["output"].get("streets"):
        streets = read_layer(cfg["output"]["streets"], "streets")
    result = RunResult(territory=territory, streets=streets)
    d = cfg["divide"]
    step("dividing into grids")
    plan = divide(
        territory,
        n_grids=d["grids"],
        households_per_grid=d["households_per_grid"],
        tolerance=d["tolerance"],
        balance=d["balance"],
        area_weight=d["area_weight"],
        compactness=d["compactness"],
        within=d["within"],
        seed=d["seed"],
        time_limit=d["time_limit"],
        strict=d["strict"],
        road_weight=d["road_weight"],
        objective=d["objective"],
    )
    result.plan = plan
    if cfg["has_allocate"]:
        a = cfg["allocate"]
        inputs: dict[str, gpd.GeoDataFrame | None] = {}
        for key in ("sites", "workers", "volunteers"):
            layer = layers.get(key)
            if layer is None and a[key] is not None:
                layer = read_layer(a[key], key)
            inputs[key] = layer
        network = _network(a["roads"], plan.grids.crs, step)
        step("allocating sites, workers and volunteers")
        result.allocation = allocate(
            plan.grids,
            sites=inputs["sites"],
            workers=inputs["workers"],
            volunteers=inputs["volunteers"],
            budget=a["budget"],
            solver=a["solver"],
            time_limit=a["time_limit"],
            mip_gap=a["mip_gap"],
            network=network,
        )
        result.life_circles = _life_circles(result.allocation, network, plan)
        result.patrol = _patrol(result.allocation, network, plan)
    step("writing outputs")
    result.files = write_outputs(result, out_dir, cfg)
    return result


def _territory(cfg: dict[str, Any], layers: Mapping[str, pd.DataFrame]) -> Territory:
    """The scenario's territory: from its ``[units]`` polygons or its raw ``[layers]``.

    In-memory ``layers`` (``units``; or ``boundaries``, ``buildings``, ``roads``,
    ``barriers`` and a ``register`` table) stand in for the files.
    """
    u = cfg["units"]
    if u is None:
        return _territory_from_layers(cfg["layers"], layers)
    units = layers.get("units")
    if units is None:
        units = read_layer(u["path"], "units", layer=u["layer"])
    return Territory(
        units,
        population=u["population"],
        households=u["households"],
        id=u["id"],
        parent=u["parent"],
        demand=u["demand"],
        crs=u["crs"],
        metric_crs=u["metric_crs"],
        contiguity=u["contiguity"],
        snap=u["snap"],
        islands=u["islands"],
        repair=u["repair"],
    )


def _territory_from_layers(lay: dict[str, Any], layers: Mapping[str, pd.DataFrame]) -> Territory:
    """One unit per building (:func:`gridplan.units.from_layers`) from ``[layers]``."""
    given = {k: layers.get(k, lay[k]) for k in ("boundaries", "buildings", "roads", "barriers")}
    register = layers.get("register", lay["register"])
    if (lay["on"] or lay["address"]) and register is None:
        raise ConfigError("layers.on / layers.address name register columns: give layers.register.")
    return Territory.from_layers(
        **given,
        register=register,
        on=lay["on"],
        address=lay["address"],
        counts=lay["counts"],
        encoding=lay["encoding"],
        parent=lay["parent"],
        population=lay["population"],
        households=lay["households"],
        road_class=lay["road_class"],
        segment=lay["segment"],
        demand=lay["demand"],
        islands=lay["islands"],
    )


def _network(roads: str | None, crs: Any, step: Progress) -> Network | None:
    """The walking network of a roads file (None without one), in the grids' CRS."""
    if roads is None:
        return None
    from gridplan.network import walking_network

    step("building the walking network")
    return walking_network(roads, metric_crs=crs)


def _life_circles(
    allocation: Allocation, network: Network | None, units: GridPlan | None
) -> LifeCircles | None:
    """Walking life circles of the open sites (None without a network or sites)."""
    if network is None or allocation.sites is None:
        return None
    return allocation.life_circles(network, units)


def _patrol(
    allocation: Allocation, network: Network | None, units: GridPlan | None
) -> pd.DataFrame | None:
    """Per grid, the walk from its service point to its farthest unit (None without roads)."""
    if network is None or allocation.sites is None:
        return None
    from gridplan.coverage import patrol

    return patrol(allocation, network, units)


def run_allocation(
    grids: str | gpd.GeoDataFrame,
    out_dir: str | os.PathLike[str],
    *,
    sites: str | gpd.GeoDataFrame | None = None,
    workers: str | gpd.GeoDataFrame | None = None,
    volunteers: str | gpd.GeoDataFrame | None = None,
    roads: str | None = None,
    map: bool = True,
    progress: Progress | None = None,
    lang: str = "en",
    **settings: Any,
) -> RunResult:
    """Allocate on an existing grids layer (a file or GeoDataFrame) and write the outputs.

    ``settings`` are :func:`gridplan.allocate` keywords (budget, solver, ...);
    ``roads`` (street lines or an OSM ``.pbf``) makes distances walking distances.
    """
    from gridplan.allocation import allocate

    step = progress or (lambda _msg: None)
    step("reading inputs")

    def layer(value: str | gpd.GeoDataFrame | None, what: str) -> gpd.GeoDataFrame | None:
        return read_layer(value, what) if isinstance(value, (str, Path)) else value

    grids_gdf = layer(grids, "grids")
    if grids_gdf is None:
        raise InputError("allocation needs a grids layer (grids.geojson from `gridplan divide`).")
    if "grid" in grids_gdf.columns:
        grids_gdf = grids_gdf.set_index("grid")
    network = _network(roads, None, step)
    step("allocating sites, workers and volunteers")
    allocation = allocate(
        grids_gdf,
        sites=layer(sites, "sites"),
        workers=layer(workers, "workers"),
        volunteers=layer(volunteers, "volunteers"),
        network=network,
        **settings,
    )
    result = RunResult(territory=None, allocation=allocation)
    result.life_circles = _life_circles(allocation, network, None)
    result.patrol = _patrol(allocation, network, None)
    step("writing outputs")
    output = {"map": map, "tiles": None, "lang": lang}
    result.files = write_outputs(result, out_dir, {"output": output})
    return result


def write_outputs(
    result: RunResult, out_dir: str | os.PathLike[str], cfg: dict[str, Any]
) -> list[Path]:
    """Write plan, grids, metrics, allocation, tables, map and report into ``out_dir``."""
    from gridplan.scenario.report import TIMING_KEYS, html_report, markdown_report

    plan, allocation = result.plan, result.allocation
    lang = cfg["output"].get("lang", "en")
    with staged_dir(out_dir, replaces=OUTPUT_FILES | WALKING_FILES) as stage:
        timings: dict[str, float] = {}
        if plan is not None:
            plan.to_file(stage / "plan.geojson", what="units")
            plan.to_file(stage / "grids.geojson", what="grids")
            metrics = {k: v for k, v in plan.metrics.items() if k not in TIMING_KEYS}
            metrics.update(schema_version=METRICS_SCHEMA_VERSION, units=METRIC_UNITS)
            (stage / "metrics.json").write_text(_json(metrics), encoding="utf-8")
            timings["divide_seconds"] = plan.metrics["seconds"]
        if allocation is not None:
            data = allocation.to_dict()
            timings["allocate_seconds"] = data.pop("seconds")
            timings["allocate_build_seconds"] = data.pop("build_seconds")
            (stage / "allocation.json").write_text(_json(data), encoding="utf-8")
            for name in ("coverage", "worker_assignment", "volunteer_assignment", "sites"):
                table = getattr(allocation, name)
                if table is not None:  # None: that layer was not given
                    write_csv(table, stage / f"{name}.csv")
            if result.life_circles is not None:
                write_csv(result.life_circles.table(), stage / "life_circles.csv")
            if result.patrol is not None:
                write_csv(result.patrol, stage / "patrol.csv")
        if cfg["output"]["map"]:
            from gridplan.maps import save_html

            tiles = cfg["output"]["tiles"]
            if plan is not None:
                shown = plan.explore(tiles=tiles, lang=lang, streets=result.streets)
                save_html(shown, stage / "map.html")
            if allocation is not None:
                name = "allocation_map.html" if plan is not None else "map.html"
                more: dict[str, Any] = {"streets": result.streets}
                if plan is not None:
                    more["plan_grids"] = plan.grids
                    more.update(plan.parent_layer(lang))  # community outlines and names
                save_html(allocation.explore(tiles=tiles, lang=lang, **more), stage / name)
        match = None if result.territory is None else result.territory.match_report
        if match is not None and match.issues is not None:
            write_csv(match.issues, stage / "match_report.csv")
        (stage / "timings.json").write_text(_json(timings), encoding="utf-8")
        parts = (result.territory, plan, allocation)
        circles = result.life_circles
        md = markdown_report(*parts, lang=lang, life_circles=circles)
        (stage / "report.md").write_text(md, encoding="utf-8")
        page = html_report(*parts, lang=lang, life_circles=circles)
        (stage / "report.html").write_text(page, encoding="utf-8")
        names = sorted(p.name for p in stage.iterdir())
    return [Path(out_dir) / n for n in names]
