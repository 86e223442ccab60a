"""Input checks and distances shared by the allocation models.

Everything is validated here, once, before a model is built: CRS, ids,
required columns, NaN / negative / infinite numbers (named by row), yes/no
flags, skills, and the numeric parameters of the public functions.
"""

from __future__ import annotations

import difflib
import logging
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridplan.crs import to_metric
from gridplan.errors import (
    ColumnError,
    ConfigError,
    CRSError,
    DataValueError,
    GeometryError,
    IdError,
    format_rows,
)
from gridplan.network import Network

log = logging.getLogger("gridplan")

# column -> (default when the column is absent or None for required, inf allowed)
SITE_COLUMNS: dict[str, tuple[Any, bool]] = {
    "open_cost": (None, False),
    "annual_cost": (None, False),
    "capacity": (None, True),
    "radius_m": (None, True),
}
WORKER_COLUMNS: dict[str, tuple[Any, bool]] = {
    "annual_cost": (None, False),
    "max_travel_m": (None, True),
    "max_grids": (1, False),
    "max_households": (np.inf, True),
}
VOLUNTEER_COLUMNS: dict[str, tuple[Any, bool]] = {
    "hours_per_month": (None, False),
    "max_travel_m": (None, True),
    "annual_cost": (0.0, False),
}
DEMAND_COLUMNS = ("households", "population", "age60plus", "elderly_alone", "disabled", "children")

_TRUE = frozenset({"true", "yes", "1", "1.0"})
_FALSE = frozenset({"false", "no", "0", "0.0", ""})


def check_number(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above_minimum: bool = False,
    below_maximum: bool = False,
    allow_none: bool = True,
    meaning: str = "",
) -> float | None:
    """Check a numeric parameter: a finite real number within bounds; returns it as float.

    Any ``numbers.Real`` passes (``int``, ``float``, numpy scalars); ``True`` and
    ``False`` do not. ``above_minimum`` / ``below_maximum`` make a bound strict.

    >>> import numpy as np
    >>> check_number("time_limit", np.int64(5), minimum=0, above_minimum=True)
    5.0
    >>> check_number("budget", True, minimum=0, meaning="yuan per year")
    Traceback (most recent call last):
    ...
    gridplan.errors.ConfigError: budget must be a finite number >= 0 (yuan per year), got True
    """
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    v = float(value) if ok else math.nan
    ok = (
        ok
        and math.isfinite(v)
        and (minimum is None or (v > minimum if above_minimum else v >= minimum))
        and (maximum is None or (v < maximum if below_maximum else v <= maximum))
    )
    if ok:
        return v
    want = ["a finite number"]
    if minimum is not None:
        want.append(f"{'>' if above_minimum else '>='} {minimum:g}")
    if maximum is not None:
        want.append(
            ("and " if minimum is not None else "")
            + f"{'<' if below_maximum else '<='} {maximum:g}"
        )
    if meaning:
        want.append(f"({meaning})")
    raise ConfigError(f"{name} must be {' '.join(want)}, got {value!r}")


def flag_values(series: pd.Series, what: str) -> np.ndarray:
    """Yes/no column as bools: bools, 0/1 numbers and the words true/false/yes/no/1/0.

    Missing values count as False; anything else is named by row.

    >>> flag_values(pd.Series([True, "False", "yes", 0, None, "1"]), "sites.existing").tolist()
    [True, False, True, False, False, True]
    """
    out = np.zeros(len(series), dtype=bool)
    bad = np.zeros(len(series), dtype=bool)
    for i, v in enumerate(series.tolist()):
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, (numbers.Real, np.bool_)) and v in (0, 1):
            out[i] = bool(v)
        elif isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
            out[i] = v.strip().lower() in _TRUE
        else:
            bad[i] = True
    if bad.any():
        rows = series.index[bad]
        values = sorted({repr(v) for v in series[bad].tolist()})
        raise DataValueError(
            f"{what} must be true/false (or yes/no, 1/0); got {', '.join(values[:5])} at "
            f"{format_rows(rows)}",
            rows=list(rows),
        )
    return out


def point_coords(geoms: Any) -> np.ndarray:
    """(n, 2) coordinates: points as they are, other shapes by ``representative_point()``."""
    arr = np.asarray(geoms.values if hasattr(geoms, "values") else geoms, dtype=object)
    is_point = shapely.get_type_id(arr) == 0
    pts = np.where(is_point, arr, shapely.point_on_surface(arr))
    return shapely.get_coordinates(pts).reshape(-1, 2)


def check_crs(
    grids: gpd.GeoDataFrame, others: Mapping[str, gpd.GeoDataFrame | None]
) -> tuple[gpd.GeoDataFrame, dict[str, gpd.GeoDataFrame | None]]:
    """Grids in a metric CRS (degrees are projected, logged); other layers reprojected to it.

    Returns the (possibly projected) grids and the other layers. An empty layer
    counts as not given (logged), so an empty volunteers file plans without volunteers.
    """
    if grids.crs is None:
        raise CRSError(
            "grids have no CRS; set one with grids.set_crs(...) (EPSG:4326 for "
            "longitude/latitude, or the projected CRS of the coordinates)"
        )
    grids, note = to_metric(grids, what="grids")
    if note:
        log.info("gridplan: grids %s for distances in metres", note)
    out: dict[str, gpd.GeoDataFrame | None] = {}
    for name, gdf in others.items():
        if gdf is None:
            out[name] = None
            continue
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise GeometryError(f"{name} must be a GeoDataFrame, got {type(gdf).__name__}")
        if len(gdf) == 0:
            log.warning("gridplan: the %s layer is empty; planning without %s", name, name)
            out[name] = None
            continue
        if gdf.crs is None:
            raise CRSError(f"{name} have no CRS; set it so they can be matched to the grids")
        out[name] = gdf if gdf.crs == grids.crs else gdf.to_crs(grids.crs)
    return grids, out


def _checked_index(gdf: pd.DataFrame, name: str, what: str, label: str) -> pd.DataFrame:
    """Ids as str, none repeated; no missing or empty geometry (named by id).

    Numeric columns are widened to int64/float64: file readers pick narrower types
    (GeoJSON integers come back as int32), and results must not depend on how a
    layer was read.
    """
    gdf.index = pd.Index([str(i) for i in gdf.index], name=name, dtype=object)
    for col in gdf.columns:
        dtype = gdf[col].dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "iu" and dtype.itemsize < 8:
            gdf[col] = gdf[col].astype("int64")
        elif isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize < 8:
            gdf[col] = gdf[col].astype("float64")
    dup = gdf.index[gdf.index.duplicated()].unique()
    if len(dup):
        raise IdError(f"{what} have repeated {label}: {format_rows(dup)}", rows=list(dup))
    if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
        bad = gdf.index[gdf.geometry.isna() | gdf.geometry.is_empty]
        raise GeometryError(f"{what} have missing/empty geometries: {format_rows(bad)}", list(bad))
    return gdf


def with_ids(gdf: pd.DataFrame, id_col: str, what: str) -> pd.DataFrame:
    """Index ``gdf`` by ``id_col`` (a column, or the index already named so); ids as str."""
    if id_col in gdf.columns:
        gdf = gdf.set_index(id_col)
    elif gdf.index.name != id_col and not isinstance(gdf.index, pd.RangeIndex):
        gdf = gdf.rename_axis(id_col)
    elif gdf.index.name != id_col:
        raise ColumnError(f"{what} need a {id_col!r} column (or an index named {id_col!r})")
    return _checked_index(gdf.copy(), id_col, what, f"{id_col}s")


def numeric_columns(
    df: pd.DataFrame, spec: Mapping[str, tuple[Any, bool]], what: str
) -> dict[str, np.ndarray]:
    """Check the numeric columns of ``spec``; return them as float arrays."""
    missing = [c for c, (default, _) in spec.items() if c not in df.columns and default is None]
    if missing:
        raise ColumnError(f"{what} lack required columns {missing}; have {list(df.columns)}")
    out = {}
    for col, (default, inf_ok) in spec.items():
        if col not in df.columns:
            out[col] = np.full(len(df), float(default))
            continue
        out[col] = checked_values(df[col], f"{what}.{col}", inf_ok)
    return out


def checked_values(series: pd.Series, what: str, inf_ok: bool = False) -> np.ndarray:
    """Float array of ``series``; NaN, negative (and inf unless allowed) values are named."""
    try:
        arr = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:  # pragma: no cover - to_numeric coerces
        raise DataValueError(f"{what} must be numeric") from exc
    bad = np.isnan(arr) | (arr < 0) | (np.isinf(arr) & (not inf_ok))
    if bad.any():
        rows = series.index[bad]
        kind = "NaN, negative, non-numeric" + ("" if inf_ok else " or infinite")
        raise DataValueError(
            f"{what} has {kind} values at {format_rows(rows)}; fix or drop these rows",
            rows=list(rows),
        )
    return arr


def grid_frame(grids: object) -> gpd.GeoDataFrame:
    """Accept a GeoDataFrame of grids or an object with a ``.grids`` GeoDataFrame (GridPlan).

    Grids without ``households`` but with ``population`` use population in its
    place (logged): capacities and ``max_households`` then count people.
    """
    if not isinstance(grids, gpd.GeoDataFrame):
        inner = getattr(grids, "grids", None)
        if isinstance(inner, gpd.GeoDataFrame):
            grids = inner
    if not isinstance(grids, gpd.GeoDataFrame):
        raise GeometryError(f"grids must be a GeoDataFrame (or a GridPlan), got {type(grids)}")
    if len(grids) == 0:
        raise GeometryError("grids is empty")
    g = grids.copy()
    if "grid" in g.columns:
        g = g.set_index("grid")
    g = _checked_index(g, "grid", "grids", "codes")
    if "households" not in g.columns:
        if "population" not in g.columns:
            raise ColumnError(
                "grids need a 'households' column (or 'population', used in its place); "
                f"have {list(g.columns)}. Rename the column that counts households to "
                "'households', or build the territory with households=..."
            )
        log.warning(
            "gridplan: grids have no 'households' column; using 'population' in its place "
            "(site capacity and workers' max_households then count people)"
        )
        g["households"] = g["population"]
    for col in DEMAND_COLUMNS:
        if col in g.columns:
            checked_values(g[col], f"grids.{col}")
    return g


def parse_skills(values: pd.Series, known: Sequence[str], needed: Sequence[str]) -> list[list[str]]:
    """Split ``skills`` strings ("a;b") into lists of the skills that have a need rule.

    ``known`` is the skill vocabulary (the default need rules and the rules in
    use); a skill outside it is a typo until proven otherwise and is named with
    the closest known skill. Known skills without a need rule in ``needed`` are dropped.
    """
    out: list[list[str]] = []
    unknown: dict[str, list[Any]] = {}
    for label, v in zip(values.index, values.tolist(), strict=True):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append([])
            continue
        items = v if isinstance(v, (list, tuple)) else str(v).replace(",", ";").split(";")
        names = [str(s).strip() for s in items if str(s).strip()]
        for name in names:
            if name not in known:
                unknown.setdefault(name, []).append(label)
        out.append([s for s in names if s in needed])
    if unknown:
        parts = []
        for name, rows in unknown.items():
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            parts.append(f"{name!r}{hint} at {format_rows(rows)}")
        rows_all = [r for rows in unknown.values() for r in rows]
        raise DataValueError(
            f"volunteers.skills has unknown skills: {'; '.join(parts)}. Known skills: "
            f"{', '.join(known)}. Fix the value, or add a NeedRule for the skill to "
            "Rules(needs=...)",
            rows=rows_all,
        )
    return out


def check_network(network: object) -> Network | None:
    """``network`` is None or a :class:`gridplan.network.Network`."""
    if network is not None and not isinstance(network, Network):
        raise ConfigError(
            "network must be a gridplan.network.Network (from walking_network(roads)), "
            f"got {type(network).__name__}"
        )
    return network


def distance_kind(matrices: Mapping[str, Any], network: Network | None) -> str:
    """What the distances are: ``"matrix"`` (any user matrix), ``"walking"`` or ``"straight"``."""
    return "matrix" if matrices else ("walking" if network is not None else "straight")


def walking_pairs(
    network: Network, grid_points: gpd.GeoSeries, points: gpd.GeoDataFrame, limit: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (point, grid) within each point's ``limit`` metres' walk; (p, g, distance)."""
    finite = limit[np.isfinite(limit)]
    cap = float(finite.max()) if len(finite) == len(limit) and len(limit) else None
    d = network.distances(points, grid_points, limit=cap).to_numpy()
    p_idx, g_idx = np.nonzero(np.isfinite(d) & (d <= limit[:, None]))
    return p_idx, g_idx, d[p_idx, g_idx]


def pair_distances(
    grid_xy: np.ndarray,
    points: gpd.GeoDataFrame,
    limit: np.ndarray,
    matrix: pd.DataFrame | None,
    grids_index: pd.Index,
    what: str,
    network: Network | None = None,
    crs: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (point, grid) with a finite distance <= the point's ``limit``; (p, g, distance).

    ``matrix`` (optional) is a user distance table indexed by grid code with one
    column per point id (metres; ``inf`` = unreachable, even with an unlimited
    ``limit``); otherwise walking distance over ``network`` (when given) or
    straight-line distance from each grid's representative point to the point.
    """
    if matrix is not None:
        if not isinstance(matrix, pd.DataFrame):
            raise DataValueError(f"distances[{what!r}] must be a DataFrame (grid × {what} id)")
        m = matrix.copy()
        m.index = [str(i) for i in m.index]
        m.columns = [str(c) for c in m.columns]
        miss_g = grids_index.difference(pd.Index(m.index))
        miss_p = points.index.difference(pd.Index(m.columns))
        if len(miss_g) or len(miss_p):
            raise DataValueError(
                f"distances[{what!r}] lacks grids {format_rows(miss_g)} / "
                f"{what} {format_rows(miss_p)}",
                rows=list(miss_g) + list(miss_p),
            )
        d = m.loc[list(grids_index), list(points.index)].to_numpy(dtype=float, na_value=np.nan).T
        bad = np.isnan(d) | (d < 0)
        if bad.any():
            rows = points.index[bad.any(axis=1)]
            raise DataValueError(
                f"distances[{what!r}] has NaN or negative values for {what} {format_rows(rows)}",
                rows=list(rows),
            )
        p_idx, g_idx = np.nonzero(np.isfinite(d) & (d <= limit[:, None]))
        return p_idx, g_idx, d[p_idx, g_idx]
    if network is not None:
        grid_points = gpd.GeoSeries(shapely.points(grid_xy), index=grids_index, crs=crs)
        return walking_pairs(network, grid_points, points, limit)
    xy = point_coords(points.geometry)
    # chunked so 3,000 × 1,000 stays small in memory
    ps, gs, ds = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    step = max(1, 2_000_000 // max(1, len(grid_xy)))
    for s in range(0, len(xy), step):
        blk = xy[s : s + step]
        d = np.sqrt(((blk[:, None, :] - grid_xy[None, :, :]) ** 2).sum(axis=2))
        p_idx, g_idx = np.nonzero(np.isfinite(d) & (d <= limit[s : s + step, None]))
        ps.append(p_idx + s)
        gs.append(g_idx)
        ds.append(d[p_idx, g_idx])
    return np.concatenate(ps), np.concatenate(gs), np.concatenate(ds)


def unreachable_warning(
    points: gpd.GeoDataFrame, p_idx: np.ndarray, grids: gpd.GeoSeries, limit: str, what: str
) -> list[str]:
    """A warning naming the ``what`` that reach no grid within their ``limit`` column.

    Such points can never serve anyone (an existing site is still paid for). When
    they lie farther than :data:`FAR_M` from every grid, the usual cause is a layer
    in another CRS than the grids, and the warning says so.
    """
    reach = np.zeros(len(points), dtype=bool)
    reach[p_idx] = True
    if reach.all():
        return []
    ids = list(points.index[~reach])
    far = shapely.distance(np.asarray(points.geometry.values)[~reach], grids.union_all())
    km = f"{far.min() / 1000:,.1f}" + (
        f"–{far.max() / 1000:,.1f}" if far.max() > far.min() + 50 else ""
    )
    message = (
        f"{len(ids)} of {len(points)} {what} ({format_rows(ids)}) reach no grid within their "
        f"{limit}: they lie {km} km from the nearest grid and can serve no one."
    )
    if far.max() > FAR_M:
        message += (
            f" So far away, the {what} layer is probably in another CRS than the grids (or "
            "has x and y swapped)."
        )
    return [message]


#: Farther than this from every grid, a point is more likely misplaced than real.
FAR_M = 20_000.0
