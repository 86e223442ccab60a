"""City-level outputs of a batch: all grids in one file, one summary table, one light map.

- ``city_grids.gpkg`` (layer ``grids``) and, when pyarrow is installed,
  ``city_grids.parquet``: every done region's ``grids.geojson`` with the region
  code as first column (EPSG:4326, like the per-region files);
- ``summary.csv``: one row per region (status, counts, budget, cost, error);
- ``overview.html``: each region's outline coloured by its number of grids
  (failed regions grey, with the error in the tooltip); no units, so it stays
  light for thousands of regions.

>>> csv_cell("=1+1"), csv_cell("C0001")
("'=1+1", 'C0001')
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridplan.io.atomic import atomic_path, write_text

__all__ = ["SUMMARY_COLUMNS", "csv_cell", "merge_outputs", "write_gpkg"]

SUMMARY_COLUMNS = ("region", "folder", "status", "units", "households", "population", "grids",
                   "budget", "cost", "allocation_status", "seconds", "error_type",
                   "error_message")  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading ``'``; others pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_gpkg(gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], layer: str) -> None:
    """Write ``gdf`` as layer ``layer`` of a new GeoPackage at ``path``, atomically."""
    with atomic_path(path) as tmp, warnings.catch_warnings():
        # GDAL warns that the temporary name does not end in .gpkg; the final name does.
        warnings.filterwarnings("ignore", "The filename extension should be", RuntimeWarning)
        gdf.to_file(tmp, layer=layer, driver="GPKG")


def _summary(records: Mapping[str, dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for code in sorted(records):
        rec = records[code]
        err = rec.get("error") or {}
        row = {c: rec.get(c) for c in SUMMARY_COLUMNS}
        row["error_type"], row["error_message"] = err.get("type"), err.get("message")
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    for col in ("units", "grids"):
        table[col] = table[col].astype("Int64")
    for col in ("region", "folder", "status", "allocation_status", "error_type", "error_message"):
        table[col] = table[col].map(csv_cell)
    return table


def _grids(out: Path, records: Mapping[str, dict[str, Any]], column: str) -> gpd.GeoDataFrame:
    import pyogrio

    parts = []
    for code in sorted(records):
        rec = records[code]
        if rec["status"] != "done" or "grids.geojson" not in rec.get("files", []):
            continue
        gdf = pyogrio.read_dataframe(out / rec["folder"] / "grids.geojson")
        gdf.insert(0, column, code)
        parts.append(gdf)
    if not parts:
        return gpd.GeoDataFrame({column: []}, geometry=gpd.GeoSeries([], crs=4326))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


def _overview(
    records: Mapping[str, dict[str, Any]], outlines: Mapping[str, bytes | None], column: str
) -> Any:
    from gridplan.maps._elements import HtmlControl
    from gridplan.maps._layers import finish_map, geojson_layer, new_map, tip_html
    from gridplan.maps.colors import MISSING_COLOR, color_scale

    codes = [c for c in sorted(records) if outlines.get(c) is not None]
    if not codes:
        return None
    geoms = shapely.from_wkb([outlines[c] for c in codes])
    recs = [records[c] for c in codes]
    grids = pd.Series([r.get("grids") if r["status"] == "done" else np.nan for r in recs])
    scale = color_scale(grids.astype(float), "grids", kind="sequential")
    gdf = gpd.GeoDataFrame({"region": codes}, geometry=geoms, crs=4326)
    bounds = gdf.total_bounds
    m = new_map(bounds, None)

    def style(i: int) -> dict[str, Any]:
        ok = recs[i]["status"] == "done"
        fill = scale.color(grids[i]) if ok else MISSING_COLOR
        return {"fillColor": fill, "color": "#333333", "weight": 0.6, "fillOpacity": 0.75}

    tips = []
    for code, rec in zip(codes, recs, strict=True):
        rows = [("status", rec["status"]), ("grids", str(rec.get("grids", "–"))),
                ("households", f"{rec.get('households', 0):,.0f}")]  # fmt: skip
        if rec.get("error"):
            rows.append((rec["error"]["type"], rec["error"]["message"]))
        tips.append(tip_html(f"{column} {code}", rows))
    geojson_layer(gdf, f"grids per {column}", style, tooltips=tips).add_to(m)
    HtmlControl(scale.legend_html, position="bottomright").add_to(m)
    return finish_map(m, bounds)


def merge_outputs(
    out: Path,
    records: Mapping[str, dict[str, Any]],
    outlines: Mapping[str, bytes | None],
    column: str,
) -> list[Path]:
    """Write the city-level files into ``out`` (atomically); return their paths."""
    from gridplan.maps import save_html

    files = []
    grids = _grids(out, records, column)
    write_gpkg(grids, out / "city_grids.gpkg", "grids")
    files.append(out / "city_grids.gpkg")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        pass
    else:
        with atomic_path(out / "city_grids.parquet") as tmp:
            grids.to_parquet(tmp)
        files.append(out / "city_grids.parquet")
    text = _summary(records).to_csv(index=False, lineterminator="\n")
    write_text(out / "summary.csv", text)
    files.append(out / "summary.csv")
    m = _overview(records, outlines, column)
    if m is not None:
        save_html(m, out / "overview.html")
        files.append(out / "overview.html")
    return files
