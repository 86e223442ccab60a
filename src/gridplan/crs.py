"""Choose and apply a metric CRS, so areas and distances are in metres.

Shared by :class:`~gridplan.Territory` (units) and :func:`~gridplan.allocate` (grids).

>>> import geopandas as gpd, shapely
>>> gdf = gpd.GeoDataFrame(geometry=[shapely.box(121.5, 31.2, 121.51, 31.21)], crs="EPSG:4326")
>>> metric, note = to_metric(gdf)
>>> metric.crs.to_epsg(), note.startswith("projected from EPSG:4326")
(32651, True)
"""

from __future__ import annotations

import warnings
from typing import Any

import geopandas as gpd
import pyproj
from pyproj import CRS

from gridplan.errors import CRSError

__all__ = ["to_metric"]


def _parse(value: Any, name: str) -> CRS:
    try:
        return CRS.from_user_input(value)
    except (pyproj.exceptions.CRSError, TypeError, ValueError) as exc:
        raise CRSError(
            f"{name}={value!r} is not a coordinate reference system pyproj knows ({exc}). "
            "Give an EPSG code such as 'EPSG:4326' (longitude/latitude) or 'EPSG:4547' "
            "(CGCS2000 Gauss-Kruger, 114°E)."
        ) from None


def _is_metric(crs: CRS) -> bool:
    """True when every horizontal axis of a projected CRS is in metres."""
    if not crs.is_projected:
        return False
    units = {(axis.unit_name or "").lower() for axis in crs.axis_info[:2]}
    return units <= {"metre", "meter", "m"}


def _check_coordinates(gdf: gpd.GeoDataFrame, what: str) -> None:
    """Catch data whose coordinates contradict its CRS (the commonest CRS mistake)."""
    minx, miny, maxx, maxy = gdf.total_bounds
    name = gdf.crs.to_string()
    degrees_ok = max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90
    if gdf.crs.is_geographic and not degrees_ok:
        raise CRSError(
            f"the {what} declare {name} (degrees) but their coordinates reach "
            f"x {minx:,.0f}..{maxx:,.0f}, y {miny:,.0f}..{maxy:,.0f}, which are not degrees. "
            "The file's CRS is wrong: declare the projected CRS the coordinates are in, e.g. "
            "gdf.set_crs('EPSG:4547', allow_override=True)."
        )
    # A whole territory under 2 m across, at coordinates that fit degrees, is a city in
    # longitude/latitude mislabelled as metres.
    tiny = maxx - minx < 2 and maxy - miny < 2
    if _is_metric(gdf.crs) and degrees_ok and tiny:
        warnings.warn(
            f"the {what} declare {name} (metres) but span under 2 m at coordinates that fit "
            "longitude/latitude. If they are degrees, declare EPSG:4326 instead.",
            UserWarning,
            stacklevel=4,
        )


def to_metric(
    gdf: gpd.GeoDataFrame, crs: Any = None, metric_crs: Any = None, what: str = "units"
) -> tuple[gpd.GeoDataFrame, str | None]:
    """Return ``gdf`` in a metric CRS and a note saying what was done (or None).

    ``crs`` declares the CRS of data that carries none; ``metric_crs`` forces the
    target. Geographic data (degrees) and projected data in feet are projected
    to the local UTM zone chosen from the data's extent. ``what`` names the
    layer in error messages.
    """
    if gdf.crs is None:
        if crs is None:
            raise CRSError(
                f"the {what} have no coordinate reference system (CRS). Pass crs=..., e.g. "
                "crs='EPSG:4326' for longitude/latitude or the EPSG code of your projected "
                "data, or set it with gdf.set_crs(...)."
            )
        gdf = gdf.set_crs(_parse(crs, "crs"))
    elif crs is not None and _parse(crs, "crs") != gdf.crs:
        raise CRSError(
            f"the {what} already declare CRS {gdf.crs.to_string()} but crs={crs!r} was passed. "
            "crs= only declares a missing CRS; to change it use metric_crs=... or "
            "gdf.to_crs(...) first."
        )
    _check_coordinates(gdf, what)
    source = gdf.crs
    if metric_crs is not None:
        target = _parse(metric_crs, "metric_crs")
        if not _is_metric(target):
            raise CRSError(
                f"metric_crs={metric_crs!r} ({target.name}) is not a projected CRS in metres. "
                "Pass a projected CRS such as a UTM zone or CGCS2000 Gauss-Kruger (EPSG:4547)."
            )
    elif _is_metric(source):
        return gdf, None
    else:
        try:
            target = gdf.estimate_utm_crs()
        except RuntimeError as exc:
            raise CRSError(
                f"no UTM zone fits the {what} in {source.to_string()} ({exc}); pass "
                "metric_crs=... with the projected CRS to use."
            ) from None
    if target == source:
        return gdf, None
    note = (
        f"projected from {source.to_string()} ({source.name}) "
        f"to {target.to_string()} ({target.name})"
    )
    return gdf.to_crs(target), note
