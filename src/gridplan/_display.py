"""What maps and plots both read: checked frames and the parts of an allocation.

Duck-typed on purpose: any object with ``Allocation``'s attributes can be drawn.

>>> from types import SimpleNamespace
>>> allocation_part(SimpleNamespace(sites=[]), "sites") is None
True
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from gridplan.errors import GeometryError, InputError

__all__ = ["allocation_grids", "allocation_part", "names_by_id", "require_frame"]


def require_frame(obj: object, what: str) -> gpd.GeoDataFrame:
    """A non-empty GeoDataFrame without missing or empty geometries, or a clear error."""
    if not isinstance(obj, gpd.GeoDataFrame):
        raise InputError(f"{what} must be a GeoDataFrame, got {type(obj).__name__}")
    if len(obj) == 0:
        raise InputError(f"{what} is empty: there is nothing to draw")
    bad = obj.geometry.isna() | obj.geometry.is_empty
    if bad.any():
        raise GeometryError(
            f"{what} has {int(bad.sum())} missing or empty geometries; drop or fix them "
            "before drawing",
            rows=list(obj.index[bad]),
        )
    return obj


def allocation_part(allocation: object, name: str) -> pd.DataFrame | None:
    """``allocation.<name>``, or None when absent or empty."""
    value = getattr(allocation, name, None)
    if value is None or (hasattr(value, "__len__") and len(value) == 0):
        return None
    return value


def allocation_grids(allocation: object) -> gpd.GeoDataFrame:
    """``allocation.grids`` with the ``coverage`` columns joined if they are not there yet."""
    grids = getattr(allocation, "grids", None)
    if grids is None:
        raise InputError(
            f"an allocation needs a 'grids' GeoDataFrame; {type(allocation).__name__} has none"
        )
    grids = require_frame(grids, "allocation.grids")
    coverage = allocation_part(allocation, "coverage")
    if coverage is not None:
        extra = [c for c in coverage.columns if c not in grids.columns]
        if extra:
            grids = grids.join(coverage[extra], how="left")
    return grids


def names_by_id(table: pd.DataFrame | None) -> dict[Any, str]:
    """id → ``name`` for the rows that have one (empty without a ``name`` column)."""
    if table is None or "name" not in table.columns:
        return {}
    return {i: str(n) for i, n in table["name"].items() if not pd.isna(n)}
