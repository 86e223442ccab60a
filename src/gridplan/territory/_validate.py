"""Checks on the units table, each raising a typed error that names rows and the fix.

Run once at the boundary (``Territory.__init__``); code behind it trusts the data.
"""

from __future__ import annotations

import difflib
from collections.abc import Hashable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridplan.errors import ColumnError, DataValueError, GeometryError, IdError, InputError
from gridplan.errors import format_rows as _rows

__all__ = ["check_columns", "check_geometries", "check_ids", "check_numeric"]

_POLYGONAL = {"Polygon", "MultiPolygon"}


def check_columns(gdf: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise :class:`ColumnError` for columns that are not in ``gdf``."""
    available = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    for col in columns:
        if col not in gdf.columns:
            close = difflib.get_close_matches(str(col), available, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ColumnError(
                f"column {col!r} is not in the units table.{hint} "
                f"Available columns: {', '.join(available) or '(none)'}."
            )


def check_ids(gdf: gpd.GeoDataFrame, id_col: str | None) -> pd.Index:
    """Return the unit ids (from ``id_col`` or the index) after checking them."""
    if id_col is None:
        ids = gdf.index
        where = "the index"
        fix = "pass id='<column>' naming a unique id column, or reset the index"
    else:
        ids = pd.Index(gdf[id_col])
        where = f"column {id_col!r}"
        fix = f"give every unit its own value in {id_col!r}"
    missing = np.asarray(pd.isna(ids))
    if missing.any():
        rows = np.flatnonzero(missing)
        raise IdError(
            f"{missing.sum()} unit id(s) in {where} are missing, at row position(s) "
            f"{_rows(rows)}; {fix}.",
            rows=list(rows),
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        repeated = pd.unique(ids[dup])
        raise IdError(
            f"{len(repeated)} unit id(s) in {where} are repeated: {_rows(repeated)}; {fix}.",
            rows=list(repeated),
        )
    return pd.Index(ids, name=id_col or gdf.index.name or "unit_id")


def check_numeric(df: pd.DataFrame, column: str, *, role: str | None = None) -> pd.Series:
    """Return ``df[column]`` as float64 after checking: numeric, finite, non-negative."""
    label = f"{role} column {column!r}" if role and role != column else f"column {column!r}"
    raw = df[column]
    if pd.api.types.is_bool_dtype(raw):
        raise DataValueError(f"{label} holds true/false values, not counts; pass a numeric column.")
    values = pd.to_numeric(raw, errors="coerce")
    bad_type = values.isna() & raw.notna()
    if bad_type.any():
        rows = df.index[bad_type]
        examples = ", ".join(repr(v) for v in raw[bad_type].head(3))
        raise DataValueError(
            f"{label} has {bad_type.sum()} value(s) that are not numbers (e.g. {examples}) "
            f"in unit(s) {_rows(rows)}. Convert them to numbers, or to 0 where there is nobody.",
            rows=list(rows),
        )
    values = values.astype("float64")
    nan = values.isna()
    if nan.any():
        rows = df.index[nan]
        raise DataValueError(
            f"{label} is missing (NaN) in {nan.sum()} unit(s): {_rows(rows)}. Fill in the "
            "values (0 where nobody lives); gridplan never drops a unit or guesses a count.",
            rows=list(rows),
        )
    inf = ~np.isfinite(values.to_numpy())
    if inf.any():
        rows = df.index[inf]
        raise DataValueError(
            f"{label} is infinite in unit(s) {_rows(rows)}; give finite values.", rows=list(rows)
        )
    neg = values < 0
    if neg.any():
        rows = df.index[neg]
        raise DataValueError(
            f"{label} is negative in {neg.sum()} unit(s): {_rows(rows)}. Counts cannot be "
            "negative; correct the source data.",
            rows=list(rows),
        )
    return values


def _polygon_parts(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a geometry (make_valid may return a collection)."""
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in _POLYGONAL and not g.is_empty]
    polys = [p for part in parts for p in shapely.get_parts(part)]
    if not polys:
        return shapely.Polygon()
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def check_geometries(
    gdf: gpd.GeoDataFrame, *, repair: bool = False
) -> tuple[gpd.GeoSeries, list[Hashable]]:
    """Return polygon geometries and the ids of units repaired with ``make_valid``.

    Raises :class:`GeometryError` for missing, empty, non-polygon or (without
    ``repair``) invalid geometries.
    """
    geoms = gdf.geometry
    values = geoms.array
    for bad, problem in (
        (np.asarray(geoms.isna()), "have no geometry"),
        (np.asarray(geoms.is_empty), "have an empty geometry"),
    ):
        if bad.any():
            rows = gdf.index[bad]
            raise GeometryError(
                f"{bad.sum()} unit(s) {problem}: {_rows(rows)}. Every unit needs its polygon; "
                "add it, or remove the row from the source deliberately.",
                rows=list(rows),
            )
    types = np.asarray(geoms.geom_type)
    wrong = ~np.isin(types, list(_POLYGONAL))
    if wrong.any():
        rows = gdf.index[wrong]
        kinds = ", ".join(sorted(set(types[wrong])))
        raise GeometryError(
            f"{wrong.sum()} unit(s) are not polygons ({kinds}): {_rows(rows)}. Units are areas "
            "(blocks, buildings, compounds); buffer points or lines into polygons first.",
            rows=list(rows),
        )
    invalid = ~np.asarray(shapely.is_valid(values))
    repaired: list[Hashable] = []
    if invalid.any():
        rows = gdf.index[invalid]
        if not repair:
            reasons = shapely.is_valid_reason(values[invalid][:3])
            raise GeometryError(
                f"{invalid.sum()} unit(s) have invalid geometry: {_rows(rows)} "
                f"({'; '.join(reasons)}). Pass repair=True to fix them with make_valid "
                "(the repaired ids are reported), or fix them in the source.",
                rows=list(rows),
            )
        fixed = [_polygon_parts(g) for g in shapely.make_valid(values[invalid])]
        lost = [r for r, g in zip(rows, fixed, strict=True) if g.is_empty]
        if lost:
            raise GeometryError(
                f"make_valid left no polygon for unit(s) {_rows(lost)}; fix them in the source.",
                rows=lost,
            )
        geoms = geoms.copy()
        geoms[invalid] = fixed
        repaired = list(rows)
    return geoms, repaired


def check_not_empty(gdf: pd.DataFrame) -> None:
    """Raise :class:`InputError` for a table with no rows."""
    if len(gdf) == 0:
        raise InputError("the units table has no rows; there is nothing to plan.")
