"""The assessment map: grids by deviation, every problem of the drawing flagged on its own layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import pandas as pd

from gridplan.maps._layers import geojson_layer, tip_html
from gridplan.maps.coords import to_display
from gridplan.maps.grids import explore_grids
from gridplan.maps.tiles import resolve_tiles

if TYPE_CHECKING:
    from gridplan.existing.assessment import Assessment

__all__ = ["assessment_map"]

#: Problems that belong to units (drawn as units) and their colours.
_UNIT_KINDS = {"gap": "#d62728", "partly uncovered": "#ff7f0e", "split": "#9467bd"}


def _layer(
    m: folium.Map, gdf: gpd.GeoDataFrame, name: str, tips: list[str], style: dict, gcj: bool
):
    if len(gdf):
        geojson_layer(to_display(gdf, gcj02=gcj), name, lambda _i: style, tooltips=tips).add_to(m)


def _unit_problems(a: Assessment, m: folium.Map, gcj: bool) -> None:
    units = a.plan.territory.units
    for kind, color in _UNIT_KINDS.items():
        rows = a.problems[a.problems["kind"] == kind]
        if not len(rows):
            continue
        gdf = gpd.GeoDataFrame(geometry=units.geometry.loc[rows["unit"]].to_numpy(), crs=units.crs)
        tips = [
            tip_html(f"Unit {u}", [("Problem", kind), ("Detail", d), ("Counted in", g)])
            for u, d, g in zip(rows["unit"], rows["detail"], rows["grid"], strict=True)
        ]
        style = {"color": color, "weight": 2, "fillColor": color, "fillOpacity": 0.6}
        _layer(m, gdf, f"Problem: {kind} ({len(rows)})", tips, style, gcj)


def _grid_problems(a: Assessment, m: folium.Map, gcj: bool) -> None:
    rows = a.problems[~a.problems["kind"].isin([*_UNIT_KINDS, "overlap"])]
    outside = a.grids.index[~a.grids["within_tolerance"]]
    extra = pd.DataFrame(
        {
            "kind": "outside tolerance",
            "grid": outside,
            "unit": None,
            "detail": [f"{d:+.1%}" for d in a.grids.loc[outside, "deviation"]],
        }
    )
    rows = pd.concat([rows, extra], ignore_index=True)
    grids = a.plan.grids
    flagged = [g for g in dict.fromkeys(rows["grid"]) if g in grids.index]
    if not flagged:
        return
    gdf = gpd.GeoDataFrame(geometry=grids.geometry.loc[flagged].to_numpy(), crs=grids.crs)
    tips = [
        tip_html(
            f"Grid {g}",
            [
                (k, d)
                for k, d in rows.loc[rows["grid"] == g, ["kind", "detail"]].itertuples(index=False)
            ],
        )
        for g in flagged
    ]
    style = {"color": "#d62728", "weight": 3, "dashArray": "6 4", "fill": False}
    _layer(m, gdf, f"Problem grids ({len(flagged)})", tips, style, gcj)


def _overlaps(a: Assessment, m: folium.Map, gcj: bool) -> None:
    imp = a.imported
    if imp is None or imp.layer is None or not len(imp.overlaps):
        return
    geo = imp.layer.geometry
    ov = imp.overlaps
    shapes = [
        geo.loc[x].intersection(geo.loc[y]) for x, y in zip(ov["grid_a"], ov["grid_b"], strict=True)
    ]
    tips = [
        tip_html("Grids overlap", [("Grids", f"{x} / {y}"), ("Area", f"{ar:,.0f} m²")])
        for x, y, ar in zip(ov["grid_a"], ov["grid_b"], ov["area_m2"], strict=True)
    ]
    style = {"color": "#000000", "weight": 1, "fillColor": "#000000", "fillOpacity": 0.5}
    _layer(
        m,
        gpd.GeoDataFrame(geometry=shapes, crs=geo.crs),
        f"Problem: overlap ({len(ov)})",
        tips,
        style,
        gcj,
    )


def _moves(a: Assessment, m: folium.Map, gcj: bool) -> None:
    if a.rebalanced is None or not len(a.rebalanced.changes):
        return
    log = a.rebalanced.changes
    units = a.plan.territory.units
    gdf = gpd.GeoDataFrame(geometry=units.geometry.loc[log["unit"]].to_numpy(), crs=units.crs)
    tips = [
        tip_html(f"Unit {u}", [("Re-balance", f"{f or '(none)'} → {t}"), ("Reason", r)])
        for u, f, t, r in zip(log["unit"], log["from"], log["to"], log["reason"], strict=True)
    ]
    style = {"color": "#1f77b4", "weight": 2, "fillColor": "#1f77b4", "fillOpacity": 0.5}
    _layer(m, gdf, f"Re-balance: units moved ({len(log)})", tips, style, gcj)


def assessment_map(a: Assessment, tiles: str | None = None, **kwargs: Any) -> folium.Map:
    """Grids coloured by deviation; layers for gaps, splits, overlaps, problem grids, moves."""
    provider = resolve_tiles(tiles, kwargs.get("tiles_key"))
    gcj = provider is not None and provider.gcj02
    plan = a.plan
    parents = plan.parent_boundaries()
    if parents is not None:
        kwargs.setdefault("parents", parents)
        kwargs.setdefault("parent_column", plan.params["within"])
    m = explore_grids(
        plan.grids, "deviation", tiles=tiles, parent_label=plan.parent_label, **kwargs
    )
    _unit_problems(a, m, gcj)
    _overlaps(a, m, gcj)
    _grid_problems(a, m, gcj)
    _moves(a, m, gcj)
    return m
