"""Input checks and distances shared by the allocation models.

Everything is validated here, once, before a model is built: CRS, ids,
required columns, NaN / negative / infinite numbers (named by row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridplan.errors import (
    ColumnError,
    CRSError,
    DataValueError,
    GeometryError,
    IdError,
    format_rows,
)

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


def point_coords(geoms: Any) -> np.ndarray:
    """(n, 2) coordinates: points as they are, other shapes by ``representative_point()``."""
    arr = np.asarray(geoms.values if hasattr(geoms, "values") else geoms, dtype=object)
    is_point = shapely.get_type_id(arr) == 0
    pts = np.where(is_point, arr, shapely.point_on_surface(arr))
    return shapely.get_coordinates(pts).reshape(-1, 2)


def check_crs(
    grids: gpd.GeoDataFrame, others: Mapping[str, gpd.GeoDataFrame | None]
) -> dict[str, gpd.GeoDataFrame | None]:
    """Grids must be in a projected CRS; other layers are reprojected to it."""
    if grids.crs is None:
        raise CRSError("grids have no CRS; set one (a projected, metric CRS) with set_crs()")
    if grids.crs.is_geographic:
        raise CRSError(
            f"grids are in a geographic CRS ({grids.crs.to_string()}); distances need a "
            "projected metric CRS: reproject with to_crs() (e.g. a CGCS2000 Gauss-Kruger zone)"
        )
    out: dict[str, gpd.GeoDataFrame | None] = {}
    for name, gdf in others.items():
        if gdf is None:
            out[name] = None
            continue
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise GeometryError(f"{name} must be a GeoDataFrame, got {type(gdf).__name__}")
        if gdf.crs is None:
            raise CRSError(f"{name} have no CRS; set it so they can be matched to the grids")
        out[name] = gdf if gdf.crs == grids.crs else gdf.to_crs(grids.crs)
    return out


def with_ids(gdf: pd.DataFrame, id_col: str, what: str) -> pd.DataFrame:
    """Index ``gdf`` by ``id_col`` (a column, or the index already named so); ids as str."""
    if id_col in gdf.columns:
        gdf = gdf.set_index(id_col)
    elif gdf.index.name != id_col and not isinstance(gdf.index, pd.RangeIndex):
        gdf = gdf.rename_axis(id_col)
    elif gdf.index.name != id_col:
        raise ColumnError(f"{what} need a {id_col!r} column (or an index named {id_col!r})")
    gdf = gdf.copy()
    gdf.index = pd.Index([str(i) for i in gdf.index], name=id_col, dtype=object)
    dup = gdf.index[gdf.index.duplicated()].unique()
    if len(dup):
        raise IdError(f"{what} have repeated {id_col}s: {format_rows(dup)}", rows=list(dup))
    if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
        bad = gdf.index[gdf.geometry.isna() | gdf.geometry.is_empty]
        raise GeometryError(f"{what} have missing/empty geometries: {format_rows(bad)}", list(bad))
    return gdf


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


def grid_frame(grids: Any) -> gpd.GeoDataFrame:
    """Accept a GeoDataFrame of grids or an object with a ``.grids`` GeoDataFrame (GridPlan)."""
    if not isinstance(grids, gpd.GeoDataFrame) and isinstance(
        getattr(grids, "grids", None), gpd.GeoDataFrame
    ):
        grids = grids.grids
    if not isinstance(grids, gpd.GeoDataFrame):
        raise GeometryError(f"grids must be a GeoDataFrame (or a GridPlan), got {type(grids)}")
    if len(grids) == 0:
        raise GeometryError("grids is empty")
    g = grids.copy()
    if "grid" in g.columns:
        g = g.set_index("grid")
    g.index = pd.Index([str(i) for i in g.index], name="grid", dtype=object)
    dup = g.index[g.index.duplicated()].unique()
    if len(dup):
        raise IdError(f"grids have repeated codes: {format_rows(dup)}", rows=list(dup))
    if g.geometry.isna().any() or g.geometry.is_empty.any():
        bad = g.index[g.geometry.isna() | g.geometry.is_empty]
        raise GeometryError(f"grids have missing/empty geometries: {format_rows(bad)}", list(bad))
    if "households" not in g.columns:
        raise ColumnError(f"grids need a 'households' column; have {list(g.columns)}")
    for col in DEMAND_COLUMNS:
        if col in g.columns:
            checked_values(g[col], f"grids.{col}")
    return g


def parse_skills(values: pd.Series, known: Sequence[str]) -> list[list[str]]:
    """Split ``skills`` strings ("a;b") into lists, keeping only skills with a need rule."""
    out: list[list[str]] = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append([])
            continue
        items = v if isinstance(v, (list, tuple)) else str(v).replace(",", ";").split(";")
        out.append([s.strip() for s in items if s.strip() in known])
    return out


def pair_distances(
    grid_xy: np.ndarray,
    points: gpd.GeoDataFrame,
    limit: np.ndarray,
    matrix: pd.DataFrame | None,
    grids_index: pd.Index,
    what: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (point, grid) with distance <= the point's ``limit``; returns (p, g, distance).

    ``matrix`` (optional) is a user distance table indexed by grid code with one
    column per point id (metres; ``inf`` = unreachable); otherwise straight-line
    distance from each grid's representative point to the point.
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
        p_idx, g_idx = np.nonzero(d <= limit[:, None])
        return p_idx, g_idx, d[p_idx, g_idx]
    xy = point_coords(points.geometry)
    # chunked so 3,000 × 1,000 stays small in memory
    ps, gs, ds = [], [], []
    step = max(1, 2_000_000 // max(1, len(grid_xy)))
    for s in range(0, len(xy), step):
        blk = xy[s : s + step]
        d = np.sqrt(((blk[:, None, :] - grid_xy[None, :, :]) ** 2).sum(axis=2))
        p_idx, g_idx = np.nonzero(d <= limit[s : s + step, None])
        ps.append(p_idx + s)
        gs.append(g_idx)
        ds.append(d[p_idx, g_idx])
    return np.concatenate(ps), np.concatenate(gs), np.concatenate(ds)
