"""Choose and apply a metric CRS, so areas and distances are in metres."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from pyproj import CRS

from gridplan.errors import CRSError

__all__ = ["to_metric"]


def _is_metric(crs: CRS) -> bool:
    """True when every horizontal axis of a projected CRS is in metres."""
    if not crs.is_projected:
        return False
    units = {(axis.unit_name or "").lower() for axis in crs.axis_info[:2]}
    return units <= {"metre", "meter", "m"}


def to_metric(
    gdf: gpd.GeoDataFrame, crs: Any = None, metric_crs: Any = None
) -> tuple[gpd.GeoDataFrame, str | None]:
    """Return ``gdf`` in a metric CRS and a note saying what was done (or None).

    ``crs`` declares the CRS of data that carries none; ``metric_crs`` forces the
    target. Geographic data (degrees) and projected data in feet are projected
    to the local UTM zone chosen from the data's extent.
    """
    if gdf.crs is None:
        if crs is None:
            raise CRSError(
                "the units have no coordinate reference system (CRS). Pass crs=..., e.g. "
                "crs='EPSG:4326' for longitude/latitude or the EPSG code of your projected "
                "data, or set it with gdf.set_crs(...)."
            )
        gdf = gdf.set_crs(crs)
    elif crs is not None and CRS.from_user_input(crs) != gdf.crs:
        raise CRSError(
            f"the units already declare CRS {gdf.crs.to_string()} but crs={crs!r} was passed. "
            "crs= only declares a missing CRS; to change it use metric_crs=... or "
            "gdf.to_crs(...) first."
        )
    source = gdf.crs
    if metric_crs is not None:
        target = CRS.from_user_input(metric_crs)
        if not _is_metric(target):
            raise CRSError(
                f"metric_crs={metric_crs!r} ({target.name}) is not a projected CRS in metres. "
                "Pass a projected CRS such as a UTM zone or CGCS2000 Gauss-Kruger (EPSG:4547)."
            )
    elif _is_metric(source):
        return gdf, None
    else:
        target = gdf.estimate_utm_crs()
    if target == source:
        return gdf, None
    note = (
        f"projected from {source.to_string()} ({source.name}) "
        f"to {target.to_string()} ({target.name})"
    )
    return gdf.to_crs(target), note
