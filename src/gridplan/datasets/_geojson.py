"""Byte-stable GeoJSON text for the sample layers.

Written by hand rather than through GDAL so the bytes do not depend on the
GDAL version: one feature per line, properties in column order, coordinates
with exactly two decimals (0.01 m), and a named-CRS member so readers keep
the projected CRS (EPSG:4547 is not the RFC 7946 default of WGS 84).

>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> g = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(1, 2)], crs="EPSG:4547")
>>> print(to_geojson(g, "demo").splitlines()[1])
{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[1.00,2.00]}}
"""

from __future__ import annotations

import json
import math
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from gridplan.errors import CRSError, DataValueError, GeometryError

__all__ = ["to_geojson"]


def _xy(coords: Any) -> str:
    return ",".join(f"[{x:.2f},{y:.2f}]" for x, y in np.asarray(coords)[:, :2])


def _rings(poly: shapely.Polygon) -> str:
    rings = [poly.exterior, *poly.interiors]
    return "[" + ",".join("[" + _xy(r.coords) + "]" for r in rings) + "]"


def _geometry(g: shapely.Geometry) -> str:
    kind = g.geom_type
    if kind == "Point":
        coords = f"[{g.x:.2f},{g.y:.2f}]"
    elif kind == "LineString":
        coords = "[" + _xy(g.coords) + "]"
    elif kind == "Polygon":
        coords = _rings(g)
    elif kind == "MultiLineString":
        coords = "[" + ",".join("[" + _xy(p.coords) + "]" for p in g.geoms) + "]"
    elif kind == "MultiPolygon":
        coords = "[" + ",".join(_rings(p) for p in g.geoms) + "]"
    else:
        raise GeometryError(f"cannot write geometry type {kind!r} to the sample GeoJSON")
    return f'{{"type":"{kind}","coordinates":{coords}}}'


def _value(v: Any) -> Any:
    """Plain JSON value for a pandas/numpy scalar."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        raise DataValueError(f"non-finite value {v!r} cannot go into the sample GeoJSON")
    return v


def to_geojson(gdf: gpd.GeoDataFrame, name: str) -> str:
    """Render ``gdf`` as a GeoJSON FeatureCollection string (ends with a newline)."""
    if gdf.crs is None or gdf.crs.to_epsg() is None:
        raise CRSError("the layer needs a CRS with an EPSG code, e.g. gdf.set_crs('EPSG:4547')")
    header = {
        "type": "FeatureCollection",
        "name": name,
        "crs": {
            "type": "name",
            "properties": {"name": f"urn:ogc:def:crs:EPSG::{gdf.crs.to_epsg()}"},
        },
    }
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":"))[:-1]
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    lines = []
    for values, geom in zip(
        gdf[cols].itertuples(index=False, name=None), gdf.geometry, strict=True
    ):
        props = json.dumps(
            {c: _value(v) for c, v in zip(cols, values, strict=True)},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        lines.append(f'{{"type":"Feature","properties":{props},"geometry":{_geometry(geom)}}}')
    return head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"
