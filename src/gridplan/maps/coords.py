"""WGS-84 ↔ GCJ-02 ("Mars coordinates") and reprojection for display.

Chinese web maps such as AMap (高德) draw their tiles in GCJ-02, an obfuscated
datum that shifts WGS-84 positions by 100–700 m inside mainland China. To lay
our WGS-84 overlays on such tiles we shift the *overlays* into GCJ-02 with the
widely published conversion formula (the same constants, a = 6378245 m and
ee = 0.00669342162296594323, as the ``eviltransform`` and ``coordtransform``
projects). Outside China the formula is not applied and points are unchanged.
The inverse is iterative (the formula has no closed-form inverse) and accurate
to well under a millimetre.

>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(float(lon), 6), round(float(lat), 6)
(116.410244, 39.916404)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from gridplan.errors import CRSError

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import ArrayLike, NDArray

__all__ = ["gcj02_to_wgs84", "in_china", "to_display", "wgs84_to_gcj02"]

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies in the rough mainland-China box where GCJ-02 applies."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _delta(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Shift WGS-84 longitudes/latitudes (degrees) to GCJ-02; vectorised.

    Points outside China are returned unchanged.

    >>> wgs84_to_gcj02(-71.4, 41.8)  # Providence: not shifted
    (array(-71.4), array(41.8))
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, tol: float = 1e-10) -> tuple[NDArray, NDArray]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (converges in a few steps).

    >>> lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(121.49, 31.24))
    >>> round(float(lon), 9), round(float(lat), 9)
    (121.49, 31.24)
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        slon, slat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = slon - glon, slat - glat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon) < tol) and np.all(np.abs(elat) < tol):
            break
    return wlon, wlat


def _shift_coords(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def to_display(gdf: gpd.GeoDataFrame, gcj02: bool = False) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326 (what Leaflet draws), shifting into GCJ-02 if asked.

    Raises :class:`~gridplan.errors.CRSError` when the frame has no CRS, since
    coordinates of unknown meaning cannot be placed on a map.
    """
    if gdf.crs is None:
        raise CRSError(
            "the layer has no coordinate reference system (crs is None); "
            "set it with gdf.set_crs(...) before mapping"
        )
    out = gdf.to_crs(4326) if not gdf.crs.equals("EPSG:4326") else gdf.copy()
    if gcj02 and len(out):
        out = out.set_geometry(
            shapely.transform(np.asarray(out.geometry.values), _shift_coords),
            crs=out.crs,
        )
    return out
