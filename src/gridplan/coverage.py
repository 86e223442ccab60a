"""Life-circle coverage and patrol lengths: who lives within a walk of an open service point.

GB 50180-2018 (Urban residential area planning standard) measures services by
walking life circles: 5 minutes (about 300 m), 10 minutes (about 500 m) and
15 minutes (about 800-1,000 m). :func:`life_circles` counts the households,
residents, residents aged 60+ and elderly living alone within each circle of
the open sites of an :class:`~gridplan.Allocation`, per grid, per community and
in total; :func:`catchments` draws each open site's walking catchment as the
street segments reachable from it; :func:`patrol` gives, per grid, the walk from
its service point (or lead worker's home) to its farthest unit.

>>> from gridplan.allocation.model import _doctest_layers, allocate
>>> from gridplan.network import walking_network
>>> import geopandas as gpd
>>> from shapely.geometry import LineString
>>> grids, sites, workers = _doctest_layers()
>>> a = allocate(grids, sites, workers, budget=2100)
>>> roads = gpd.GeoDataFrame(geometry=[LineString([(0, 250), (1000, 250)])], crs=3857)
>>> lc = life_circles(a, walking_network(roads))  # both grids' centres are 250 m away
>>> lc.total.loc["households", ["total", "5min", "10min", "15min"]].tolist()
[500.0, 500.0, 500.0, 500.0]
>>> lc = life_circles(a, walking_network(roads), thresholds_m={5: 200, 10: 500, 15: 1000})
>>> lc.total.loc["households", ["5min", "share_10min"]].tolist()
[0.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from gridplan.division.plan import GridPlan
from gridplan.errors import ColumnError, ConfigError, GeometryError
from gridplan.network import Network

if TYPE_CHECKING:
    from gridplan.allocation.result import Allocation

__all__ = ["GB50180_M", "LifeCircles", "catchments", "life_circles", "patrol"]

#: GB 50180-2018 walking life circles: minutes -> metres (5-, 10-, 15-minute circles).
GB50180_M: Mapping[int, float] = {5: 300.0, 10: 500.0, 15: 1000.0}

DEMAND = ("households", "population", "age60plus", "elderly_alone")


@dataclass
class LifeCircles:
    """Result of :func:`life_circles`.

    ``thresholds`` maps minutes to metres; ``distance`` is ``"walking"`` or
    ``"straight"``. ``units`` has one row per demand point: ``grid``,
    ``community`` (when known), ``nearest_site``, ``distance_m`` (``inf`` when
    no open site is within the largest circle) and the demand columns.
    ``per_grid`` / ``per_community``: the totals of each demand column and the
    part within each circle (``households_5min``...). ``total``: one row per
    demand column, columns ``total``, ``5min``..., ``share_5min``....
    """

    thresholds: dict[int, float]
    distance: str
    units: pd.DataFrame
    per_grid: pd.DataFrame
    per_community: pd.DataFrame | None
    total: pd.DataFrame

    def table(self) -> pd.DataFrame:
        """One table for files: ``level`` (grid / community / total), ``name`` and the
        ``per_grid`` columns; the total row sums every grid."""
        parts = [("grid", self.per_grid)]
        if self.per_community is not None:
            parts.append(("community", self.per_community))
        total = self.per_grid.sum().to_frame().T.set_axis(["total"])
        parts.append(("total", total))
        frames = [df.rename_axis("name").reset_index().assign(level=level) for level, df in parts]
        out = pd.concat(frames, ignore_index=True)
        out["name"] = out["name"].astype(str)
        return out[["level", "name", *self.per_grid.columns]]


def _thresholds(
    minutes: Sequence[int], thresholds_m: Mapping[int, float] | None, speed: float | None
) -> dict[int, float]:
    if thresholds_m is not None and speed is not None:
        raise ConfigError("give thresholds_m or speed_m_per_min, not both")
    if speed is not None:
        if not (isinstance(speed, (int, float)) and speed > 0):
            raise ConfigError(f"speed_m_per_min must be a number > 0, got {speed!r}")
        return {int(m): float(m) * float(speed) for m in minutes}
    table = dict(GB50180_M if thresholds_m is None else thresholds_m)
    missing = [m for m in minutes if m not in table]
    if missing:
        raise ConfigError(
            f"no distance for the {missing} minute circle(s); give thresholds_m={{minutes: "
            "metres}} or speed_m_per_min"
        )
    out = {int(m): float(table[m]) for m in minutes}
    if any(not np.isfinite(v) or v < 0 for v in out.values()):
        raise ConfigError(f"thresholds must be finite metres >= 0, got {out}")
    return out


def demand_units(
    allocation: Allocation,
    units: GridPlan | gpd.GeoDataFrame | None = None,
    grid: str = "grid",
    community: str | None = None,
) -> gpd.GeoDataFrame:
    """Demand points: the units of a GridPlan or a GeoDataFrame with a ``grid`` column, or
    (``units=None``) the allocation's grids themselves; with ``grid`` and ``community``."""
    if units is None:
        g = allocation.grids
        out = gpd.GeoDataFrame(
            {"grid": g.index.astype(str), "households": g["households"].to_numpy(dtype=float)},
            geometry=g.geometry.values,
            index=pd.Index(g.index, name="unit"),
            crs=g.crs,
        )
        return out
    if isinstance(units, GridPlan):
        t = units.territory
        frame = t.units.copy()
        frame["grid"] = units.assignment.astype(str)
        renames = {t.population_col: "population", t.households_col: "households"}
        for src, dst in renames.items():
            if src is not None and src != dst and dst not in frame.columns:
                frame[dst] = frame[src]
        if community is None and t.parent_col is not None:
            frame["community"] = frame[t.parent_col]
        units, grid = frame, "grid"
    if not isinstance(units, gpd.GeoDataFrame):
        raise GeometryError(f"units must be a GridPlan or a GeoDataFrame, got {type(units)}")
    if grid not in units.columns:
        raise ColumnError(
            f"units need a {grid!r} column naming each unit's grid (have {list(units.columns)}); "
            "pass the GridPlan, or grid=... naming the column"
        )
    out = units.copy()
    out["grid"] = out[grid].astype(str)
    if community is not None:
        if community not in out.columns:
            raise ColumnError(f"units have no community column {community!r}")
        out["community"] = out[community]
    unknown = sorted(set(out["grid"]) - set(allocation.grids.index.astype(str)))
    if unknown:
        from gridplan.errors import format_rows

        raise ColumnError(
            f"units name grids the allocation does not have: {format_rows(unknown)}; "
            "give the units of the plan that was allocated"
        )
    if out.index.name in ("grid", "community"):
        out.index.name = "unit"
    return out


def _open_sites(allocation: Allocation) -> gpd.GeoDataFrame:
    sites = allocation.sites
    if sites is None:
        raise ConfigError("the allocation has no sites: life circles need service points")
    return sites[sites["open"].astype(bool)]


def _nearest(
    points: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, network: Network | None, limit: float
) -> tuple[np.ndarray, np.ndarray]:
    """Distance to the nearest site (walking or straight) within ``limit``, and its id."""
    n = len(points)
    if len(sites) == 0:
        return np.full(n, np.inf), np.full(n, None, dtype=object)
    if network is not None:
        d = network.distances(points, sites, limit=limit).to_numpy()
    else:
        from gridplan.allocation.locate import distance_matrix

        d = distance_matrix(points, sites.to_crs(points.crs)).to_numpy(copy=True)
        d[d > limit] = np.inf
    j = np.argmin(d, axis=1)
    best = d[np.arange(n), j]
    ids = sites.index.to_numpy()[j].astype(object)
    ids[~np.isfinite(best)] = None
    return best, ids


def _within(frame: pd.DataFrame, by: str, cols: list[str], th: dict[int, float]) -> pd.DataFrame:
    parts = {c: frame.groupby(by, sort=True)[c].sum() for c in cols}
    for m, metres in th.items():
        inside = frame[frame["distance_m"] <= metres]
        for c in cols:
            parts[f"{c}_{m}min"] = inside.groupby(by, sort=True)[c].sum()
    out = pd.DataFrame(parts).fillna(0.0)
    order = [c for col in cols for c in (col, *[f"{col}_{m}min" for m in th])]
    return out[order].astype(float)


def life_circles(
    allocation: Allocation,
    network: Network | None = None,
    units: GridPlan | gpd.GeoDataFrame | None = None,
    *,
    minutes: Sequence[int] = (5, 10, 15),
    thresholds_m: Mapping[int, float] | None = None,
    speed_m_per_min: float | None = None,
    columns: Sequence[str] = DEMAND,
    grid: str = "grid",
    community: str | None = None,
) -> LifeCircles:
    """Households, residents, 60+ and elderly alone within each walking life circle.

    ``allocation`` is an :class:`~gridplan.Allocation` (its open sites serve);
    ``network`` a :class:`~gridplan.network.Network` (None measures straight
    lines, for comparison). ``units``: the :class:`~gridplan.GridPlan` (its
    units, their grid and their parent as community), a GeoDataFrame of units
    with a ``grid`` column, or None for the grids themselves (households only).
    Circles: GB 50180-2018 metres by default (:data:`GB50180_M`), or
    ``thresholds_m={minutes: metres}``, or ``speed_m_per_min`` × minutes.
    ``columns`` absent from the units are left out; nobody is dropped: units
    beyond every circle count in the totals only.
    """
    th = _thresholds(minutes, thresholds_m, speed_m_per_min)
    if network is not None and not isinstance(network, Network):
        raise ConfigError(f"network must be a gridplan.network.Network, got {type(network)}")
    pts = demand_units(allocation, units, grid, community)
    cols = [c for c in columns if c in pts.columns]
    if not cols:
        raise ColumnError(f"units have none of the demand columns {list(columns)}")
    dist, site = _nearest(pts, _open_sites(allocation), network, max(th.values()))
    frame = pd.DataFrame(
        {"grid": pts["grid"].to_numpy(), "nearest_site": site, "distance_m": dist},
        index=pts.index,
    )
    if "community" in pts.columns:
        frame.insert(1, "community", pts["community"].to_numpy())
    for c in cols:
        frame[c] = pd.to_numeric(pts[c]).astype(float).to_numpy()
    per_grid = _within(frame, "grid", cols, th)
    per_comm = _within(frame, "community", cols, th) if "community" in frame else None
    sums = per_grid.sum()
    total = pd.DataFrame(
        {
            "total": [sums[c] for c in cols],
            **{f"{m}min": [sums[f"{c}_{m}min"] for c in cols] for m in th},
        },
        index=pd.Index(cols, name="people"),
    )
    for m in th:
        total[f"share_{m}min"] = np.where(
            total["total"] > 0, total[f"{m}min"] / total["total"].where(total["total"] > 0, 1), 1.0
        )
    kind = "walking" if network is not None else "straight"
    return LifeCircles(th, kind, frame, per_grid, per_comm, total)


def catchments(
    allocation: Allocation, network: Network, reach_m: float | None = None
) -> gpd.GeoDataFrame:
    """Walking catchment of each open site: the street segments within ``reach_m``.

    ``reach_m`` defaults to each site's ``radius_m`` (1,000 m, the 15-minute
    circle, where it is unlimited). One row per open site: ``reach_m``,
    ``street_m`` and the reachable streets (MultiLineString, cut where the walk ends).
    Draw it with ``gridplan.maps.explore_allocation(a, catchments=...)``.
    """
    sites = _open_sites(allocation)
    if reach_m is None:
        radius = sites["radius_m"].to_numpy(dtype=float)
        reach = np.where(np.isfinite(radius), radius, GB50180_M[15])
    else:
        reach = np.full(len(sites), float(reach_m))
    return network.reach(sites, reach)


def patrol(
    allocation: Allocation,
    network: Network,
    units: GridPlan | gpd.GeoDataFrame | None,
    *,
    start: str = "site",
    grid: str = "grid",
) -> pd.DataFrame:
    """Per grid, the walk from its service point (``start="site"``, the site serving
    it) or lead worker's home (``"worker"``) to its farthest unit.

    Columns: ``start_id``, ``units``, ``farthest_unit``, ``patrol_m`` (``inf`` when a
    unit cannot be reached; NaN when the grid has no site / lead worker).
    """
    if start not in ("site", "worker"):
        raise ConfigError(f"start must be 'site' or 'worker', got {start!r}")
    pts = demand_units(allocation, units, grid)
    cov = allocation.coverage
    key, layer = (
        ("site_id", allocation.sites)
        if start == "site"
        else (
            "lead_worker",
            allocation.workers,
        )
    )
    if layer is None:
        raise ConfigError(f"the allocation has no {start}s to start from")
    starts = pd.Series(cov[key].to_numpy(), index=cov.index.astype(str)).dropna().astype(str)
    used = layer.loc[layer.index.astype(str).isin(set(starts))]
    used.index = used.index.astype(str)
    d = network.distances(used, pts) if len(used) else None
    rows = []
    for code, members in pts.groupby("grid", sort=True).groups.items():
        sid = starts.get(code)
        if sid is None or d is None:
            rows.append((code, None, len(members), None, np.nan))
            continue
        walk = d.loc[sid, list(members)]
        far = walk.index[int(np.argmax(walk.to_numpy()))]
        rows.append((code, sid, len(members), far, float(walk.max())))
    out = pd.DataFrame(rows, columns=["grid", "start_id", "units", "farthest_unit", "patrol_m"])
    return out.set_index("grid")
