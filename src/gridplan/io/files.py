"""Reading vector files with one clear error for every way it can fail."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd

from gridplan.errors import InputError

__all__ = ["read_layer"]


def read_layer(
    path: str | os.PathLike[str], what: str = "units", layer: str | int | None = None
) -> gpd.GeoDataFrame:
    """Read a GeoPackage, GeoJSON, Shapefile or zipped Shapefile.

    ``what`` names the layer's role in error messages ("units", "sites"...).

    >>> read_layer("missing.gpkg", "sites")
    Traceback (most recent call last):
    ...
    gridplan.errors.InputError: sites file 'missing.gpkg' does not exist; check the path.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} file {str(path)!r} does not exist; check the path.")
    try:
        return gpd.read_file(path, layer=layer)
    except Exception as exc:  # GDAL raises many types; report them as one
        raise InputError(
            f"could not read {what} file {str(path)!r}: {exc}. Use a GeoPackage, GeoJSON or "
            "Shapefile (.shp with .shx/.dbf, or zipped)."
        ) from exc
