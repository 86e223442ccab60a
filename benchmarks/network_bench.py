"""Benchmark of gridplan.network: graph build, distance matrices, walking vs straight coverage.

1. Build the São Paulo walking network from ``../shared/data/sao_paulo/spo_osm.pbf``
   (read with GDAL, filtered, noded, projected): best of ``--repeat``.
2. ``Network.distances``: the 323 hexagons' representative points × 1,000 random
   sites with a 1 km limit, and 10,000 random origins × 500 random sites with a
   1.5 km limit (points uniform inside the hexagons, seeds 1-3); best of ``--repeat``.
3. Coverage: share of residents within 300 / 500 / 1,000 m of 50 random service
   points, straight line against walking (``gridplan.coverage.life_circles``),
   with each hexagon's people spread on 30 random points inside it (seed 4), and
   the walking / straight ratio of every reachable pair.
4. ``allocate`` on the sample district (divided as ``gridplan demo`` does), budget
   9,000,000, straight line against walking over ``sample.streets``: time, sites
   opened, how many change, households served, life circles.

Steps 1-3 are skipped when ../shared is absent. Run from the repository root::

    .venv/bin/python benchmarks/network_bench.py --markdown benchmarks/results/network.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from allocate_bench import _best_of, sample_plan  # benchmarks/ is on sys.path when run

ROOT = Path(__file__).resolve().parents[1]
SAO_PAULO = ROOT.parent / "shared" / "data" / "sao_paulo"


def _random_points(area: Any, n: int, seed: int, crs: Any, prefix: str) -> gpd.GeoSeries:
    """``n`` points uniform inside ``area`` (rejection sampling, fixed seed)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    xy = np.zeros((0, 2))
    while len(xy) < n:
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(2 * n, 2))
        xy = np.vstack([xy, cand[shapely.contains_xy(area, cand[:, 0], cand[:, 1])]])
    return gpd.GeoSeries(shapely.points(xy[:n]), index=[f"{prefix}{i}" for i in range(n)], crs=crs)


def bench_sao_paulo(repeat: int) -> dict[str, Any]:
    from gridplan.network import walking_network

    pbf = SAO_PAULO / "spo_osm.pbf"
    build, net = _best_of(repeat, lambda: walking_network(pbf))
    hexes = gpd.read_file(SAO_PAULO / "spo_hexgrid_EPSG32723.gpkg")
    area = hexes.union_all()
    reps = gpd.GeoSeries(hexes.representative_point().values, crs=hexes.crs)
    sites = _random_points(area, 1000, 1, hexes.crs, "s")
    t1, d1 = _best_of(repeat, lambda: net.distances(reps, sites, limit=1000))
    origins = _random_points(area, 10_000, 2, hexes.crs, "o")
    sites500 = _random_points(area, 500, 3, hexes.crs, "s")
    t2, d2 = _best_of(repeat, lambda: net.distances(origins, sites500, limit=1500))
    return {
        "net": net,
        "hexes": hexes,
        "build": build,
        "t_323x1000": t1,
        "reach_323x1000": float(np.isfinite(d1.to_numpy()).mean()),
        "t_10000x500": t2,
        "reach_10000x500": float(np.isfinite(d2.to_numpy()).mean()),
    }


class _OpenSites:
    """The smallest thing :func:`gridplan.coverage.life_circles` reads: open sites and grids."""

    def __init__(self, sites: gpd.GeoSeries, grids: gpd.GeoDataFrame) -> None:
        self.sites = gpd.GeoDataFrame(
            {"open": np.ones(len(sites), dtype=bool)}, geometry=sites.values, index=sites.index
        )
        self.grids = grids


def coverage_table(net: Any, hexes: gpd.GeoDataFrame) -> dict[str, Any]:
    """Residents within 300/500/1,000 m of 50 random sites, straight vs walking."""
    from gridplan.coverage import life_circles

    per_hex = 30
    rng = np.random.default_rng(4)
    pts = hexes.geometry.sample_points(per_hex, rng=rng).explode(index_parts=False)
    units = gpd.GeoDataFrame(
        {
            "grid": [str(i) for i in pts.index],
            "population": hexes["population"].to_numpy()[pts.index] / per_hex,
        },
        geometry=pts.values,
        crs=hexes.crs,
        index=[f"p{i}" for i in range(len(pts))],
    )
    grids = hexes[[]].set_geometry(hexes.geometry).set_index(hexes.index.astype(str))
    grids["households"] = 0.0
    sites = _random_points(hexes.union_all(), 50, 5, hexes.crs, "S")
    alloc = _OpenSites(sites, grids)
    out: dict[str, Any] = {"points": len(units)}
    for kind, network in (("straight", None), ("walking", net)):
        t = time.perf_counter()
        lc = life_circles(alloc, network, units, columns=("population",))
        out[f"t_{kind}"] = time.perf_counter() - t
        out[kind] = lc.total.loc["population"]
    walk = net.distances(units.iloc[::10], sites).to_numpy()
    a = shapely.get_coordinates(units.geometry.values[::10])
    b = shapely.get_coordinates(sites.values)
    straight = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    ok = np.isfinite(walk) & (straight > 50)
    ratio = walk[ok] / straight[ok]
    out["ratio_median"], out["ratio_p90"] = np.median(ratio), np.quantile(ratio, 0.9)
    out["pairs"] = int(ok.sum())
    return out


def bench_sample() -> dict[str, Any]:
    """The demo allocation with straight-line and with walking distances."""
    from gridplan import allocate
    from gridplan.coverage import life_circles
    from gridplan.network import walking_network

    s, plan = sample_plan()
    t = time.perf_counter()
    net = walking_network(s.streets)
    build = time.perf_counter() - t
    layers = {"sites": s.sites, "workers": s.workers, "volunteers": s.volunteers}
    out: dict[str, Any] = {"grids": len(plan.grids), "build": build, "net": repr(net)}
    for kind, network in (("straight", None), ("walking", net)):
        t = time.perf_counter()
        a = allocate(plan.grids, **layers, budget=9_000_000, network=network)
        out[f"t_{kind}"] = time.perf_counter() - t
        out[kind] = a
        out[f"lc_{kind}"] = life_circles(a, net, plan).total
    so, wo = (set(out[k].sites.index[out[k].sites["open"]]) for k in ("straight", "walking"))
    out["opened_only_straight"], out["opened_only_walking"] = sorted(so - wo), sorted(wo - so)
    out["workers_changed"] = _changed_leads(out["straight"], out["walking"])
    return out


def _changed_leads(a: Any, b: Any) -> int:
    la, lb = a.coverage["lead_worker"], b.coverage["lead_worker"]
    return int((la.fillna("-") != lb.fillna("-")).sum())


def _pct(v: float) -> str:
    return f"{100 * v:.1f} %"


def markdown(sp: dict[str, Any] | None, cov: dict[str, Any] | None, sm: dict[str, Any]) -> str:
    lines = []
    if sp is not None:
        lines += [
            "| São Paulo walking network | result | seconds (best of runs) | target |",
            "|---|---|---|---|",
            f"| build from `spo_osm.pbf` (read, filter, project, node, graph) | {sp['net']!r} "
            f"| {sp['build']:.2f} | < 2 |",
            f"| 323 hexagons × 1,000 sites, 1 km limit | {_pct(sp['reach_323x1000'])} of pairs "
            f"within 1 km | {sp['t_323x1000']:.2f} | < 1 |",
            f"| 10,000 origins × 500 sites, 1.5 km limit | {_pct(sp['reach_10000x500'])} of "
            f"pairs within 1.5 km | {sp['t_10000x500']:.2f} | < 5 |",
            "",
        ]
    if cov is not None:
        lines += [
            f"Residents within reach of 50 random service points ({cov['points']:,} points, "
            "each hexagon's population spread over 30 random points inside it):",
            "",
            "| life circle | straight line | walking | walking / straight |",
            "|---|---|---|---|",
        ]
        for minutes, metres in ((5, 300), (10, 500), (15, 1000)):
            s, w = cov["straight"][f"share_{minutes}min"], cov["walking"][f"share_{minutes}min"]
            lines.append(f"| {minutes} min ({metres:,} m) | {_pct(s)} | {_pct(w)} | {w / s:.2f} |")
        lines += [
            "",
            f"Walking / straight-line distance over {cov['pairs']:,} reachable pairs (straight "
            f"line > 50 m): median {cov['ratio_median']:.2f}, 90th percentile "
            f"{cov['ratio_p90']:.2f}. Life circles took {cov['t_straight']:.2f} s (straight) "
            f"and {cov['t_walking']:.2f} s (walking).",
            "",
        ]
    st, wk = sm["straight"], sm["walking"]
    fs, fw = st.figures(), wk.figures()
    lines += [
        f"Sample district ({sm['grids']} grids, 40 sites, 100 workers, 300 volunteers, budget "
        f"9,000,000); walking network from `sample.streets` ({sm['net']}) built in "
        f"{sm['build']:.2f} s:",
        "",
        "| distances | allocate s | status | sites open | households served | grids with lead "
        "| within 5 / 10 / 15 min walk (households) |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, a, f in (("straight", st, fs), ("walking", wk, fw)):
        lc = sm[f"lc_{kind}"].loc["households"]
        lines.append(
            f"| {kind} | {sm[f't_{kind}']:.2f} | {a.status} | {f['sites_open']} | "
            f"{f['households_served']:,.0f} ({_pct(f['households_served_share'])}) | "
            f"{f['grids_with_lead']} | {_pct(lc['share_5min'])} / {_pct(lc['share_10min'])} / "
            f"{_pct(lc['share_15min'])} |"
        )
    lines += [
        "",
        f"Sites opened only with straight lines: {', '.join(sm['opened_only_straight']) or '-'}; "
        f"only with walking: {', '.join(sm['opened_only_walking']) or '-'}; grids whose lead "
        f"worker changes: {sm['workers_changed']}. (Life circles of both plans are measured on "
        "foot, over the plan's units.)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markdown", help="write the results to this file")
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="pyogrio")
    sp = cov = None
    if SAO_PAULO.exists():
        sp = bench_sao_paulo(args.repeat)
        cov = coverage_table(sp["net"], sp["hexes"])
    sm = bench_sample()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    env = (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}"
        + (f"; load average at the end {load[0]:.2f} / {load[1]:.2f}" if load else "")
        + " (other work shared the cores, so times are conservative)."
    )
    cmd = "python benchmarks/network_bench.py " + " ".join(argv if argv else sys.argv[1:])
    text = f"Command: `{cmd.strip()}`\n\n{env}\n\n{markdown(sp, cov, sm)}"
    print(text)
    if args.markdown:
        from gridplan.io.atomic import write_text

        write_text(args.markdown, text + "\n")


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    main()
