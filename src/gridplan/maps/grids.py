"""Interactive map of a grid plan: :func:`explore_grids`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from gridplan._display import require_frame
from gridplan.division.codes import short_labels
from gridplan.errors import ColumnError
from gridplan.i18n import N_, column_label, gettext, translate
from gridplan.maps._elements import HtmlControl, TextLabels
from gridplan.maps._escape import fmt_value
from gridplan.maps._layers import (
    area_text,
    finish_map,
    geojson_layer,
    new_map,
    require_columns,
    tip_html,
)
from gridplan.maps.colors import color_scale
from gridplan.maps.coords import to_display
from gridplan.maps.tiles import resolve_tiles

__all__ = ["add_streets", "explore_grids", "grid_rows"]

# (column, label, formatter) in the order a planner reads them.
# Labels are English msgids, translated where shown (gridplan.i18n).
_FIELDS: list[tuple[str, str, str]] = [
    ("parent", N_("Community"), "text"),
    ("households", N_("Households"), "number"),
    ("population", N_("People"), "number"),
    ("age60plus", N_("Aged 60+"), "number"),
    ("elderly_alone", N_("Elderly living alone"), "number"),
    ("target", N_("Target"), "number"),
    ("deviation", N_("Deviation"), "signed%"),
    ("area_m2", N_("Area"), "area"),
    ("worker", N_("Grid worker"), "text"),
]
_POPUP_EXTRA: list[tuple[str, str, str]] = [
    ("n_units", N_("Units"), "number"),
    ("polsby_popper", N_("Compactness (Polsby–Popper)"), "number"),
    ("neighbours", N_("Neighbouring grids"), "text"),
]
_SKIP = {"geometry", "_s", "_tip", "_pop"}


def _fmt(value: Any, how: str) -> str:
    if how == "signed%":
        return fmt_value(value, percent=True, signed=True)
    if how == "%":
        return fmt_value(value, percent=True)
    if how == "area":
        return area_text(value)
    if how == "number" and isinstance(value, (float, np.floating)) and abs(value) < 1:
        return f"{float(value):.3f}"
    return fmt_value(value)


def grid_rows(
    row: pd.Series,
    fields: Sequence[tuple[str, str, str]],
    extra: Sequence[str] = (),
    lang: str = "en",
) -> list[tuple[str, str]]:
    """Label/value pairs for one grid (unescaped, labels in ``lang``), skipping absent columns."""
    _ = gettext(lang)
    out = [(_(label), _fmt(row[col], how)) for col, label, how in fields if col in row.index]
    known = {c for c, _l, _h in fields}
    for col in extra:
        if col in row.index and col not in known and col not in _SKIP:
            how = "%" if col == "coverage" else "number"
            out.append((column_label(col, lang), _fmt(row[col], how)))
    return out


def explore_grids(
    grids: gpd.GeoDataFrame,
    column: str | None = "deviation",
    units: gpd.GeoDataFrame | None = None,
    unit_column: str | None = None,
    parents: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    tiles: str | None = None,
    labels: bool = True,
    *,
    tiles_key: str | None = None,
    parent_column: str | None = None,
    kind: Literal["diverging", "sequential", "categorical"] | None = None,
    percent: bool | None = None,
    fill_opacity: float = 0.6,
    name: str | None = None,
    parent_label: str | None = None,
    lang: str = "en",
) -> folium.Map:
    """Draw grids coloured by ``column`` on an interactive Leaflet map.

    Tooltips show the grid code, households, population, deviation (as a
    percentage), area and worker; a click opens every figure of the grid.
    Optional layers: ``units`` (outlined, hidden at first; tooltips give unit
    and grid), ``parents`` (community boundaries with their names) and
    ``streets`` (tooltip: ``name``). All text from the data is HTML-escaped.
    ``parent_label`` names the grids' ``parent`` column and the parents
    layer (``GridPlan.explore`` passes its nesting column, e.g. "Street").

    ``lang="zh"`` writes legends, layer names and tooltips in Chinese
    (:mod:`gridplan.i18n`); ``name`` and ``parent_label`` default to the
    translated "Grids" and "Community".

    ``tiles`` is ``None`` (plain background, works offline), ``"osm"``,
    ``"amap"``/``"gaode"`` (GCJ-02: the overlays are shifted to match) or
    ``"tianditu"`` (needs ``tiles_key``); see :mod:`gridplan.maps.tiles`.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(
    ...     {"households": [300, 310], "population": [800, 820], "deviation": [-0.02, 0.01]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
    ...     index=pd.Index(["G01", "G02"], name="grid"), crs=32651)
    >>> m = explore_grids(g)
    >>> type(m).__name__
    'Map'
    """
    grids = require_frame(grids, "grids")
    if column is not None:
        require_columns(grids, [column], "grids")
    _ = gettext(lang)
    name = _("Grids") if name is None else name
    parent_label = _("Community") if parent_label is None else parent_label
    provider = resolve_tiles(tiles, tiles_key)
    gcj = provider is not None and provider.gcj02
    shown = to_display(grids, gcj02=gcj)
    bounds = shown.total_bounds
    m = new_map(bounds, provider)
    add_grid_layer(
        m,
        grids,
        shown,
        column,
        kind=kind,
        percent=percent,
        fill_opacity=fill_opacity,
        name=name,
        fields=_fields(parent_label),
        lang=lang,
    )
    if units is not None:
        _add_units(m, units, unit_column, gcj, lang)
    if streets is not None:
        add_streets(m, streets, gcj, lang)
    if parents is not None:
        add_parents(m, parents, parent_column, gcj, labels, parent_label, lang)
    if labels:
        add_grid_labels(m, grids, gcj, lang)
    return finish_map(m, bounds)


def _fields(parent_label: str) -> list[tuple[str, str, str]]:
    """The tooltip fields of a grid, the parent named ``parent_label``."""
    return [(c, parent_label if c == "parent" else label, how) for c, label, how in _FIELDS]


def add_grid_layer(
    m: folium.Map,
    grids: gpd.GeoDataFrame,
    shown: gpd.GeoDataFrame,
    column: str | None,
    kind: Literal["diverging", "sequential", "categorical"] | None = None,
    percent: bool | None = None,
    fill_opacity: float = 0.6,
    name: str = "Grids",
    fields: Sequence[tuple[str, str, str]] = _FIELDS,
    lang: str = "en",
    popup_fields: Sequence[tuple[str, str, str]] | None = None,
) -> folium.GeoJson:
    """The grid polygons with fill, tooltips, popups and a legend (shared with allocation).

    ``popup_fields`` (default: ``fields`` and the plan's shape figures) are
    the rows of a grid's popup; numeric columns not listed follow them.
    """
    _ = gettext(lang)
    if column is not None:
        scale = color_scale(grids[column], str(column), kind=kind, percent=percent, lang=lang)
        fills = [scale.color(v) for v in grids[column]]
        HtmlControl(scale.legend_html, position="bottomright").add_to(m)
    else:
        fills = ["#9ecae1"] * len(grids)
    code_label = _("Grid")
    extra = [column] if column is not None else []
    popup_extra = [c for c in grids.columns if pd.api.types.is_numeric_dtype(grids[c])]
    pop_fields = [*fields, *_POPUP_EXTRA] if popup_fields is None else list(popup_fields)
    tips, pops = [], []
    for code, row in grids.drop(columns=grids.geometry.name).iterrows():
        head = f"{code_label} {code}"
        tips.append(tip_html(head, grid_rows(row, fields, extra, lang)))
        pops.append(tip_html(head, grid_rows(row, pop_fields, [*extra, *popup_extra], lang)))
    layer = geojson_layer(
        shown,
        name,
        style=lambda i: {
            "fillColor": fills[i],
            "color": "#444444",
            "weight": 1,
            "fillOpacity": fill_opacity,
        },
        tooltips=tips,
        popups=pops,
        highlight={"weight": 3, "color": "#000000"},
        className="gp-grid",
    )
    layer.add_to(m)
    return layer


def add_grid_labels(m: folium.Map, grids: gpd.GeoDataFrame, gcj: bool, lang: str = "en") -> None:
    """Grid codes, less their shared parent prefix, inside each grid (a toggleable layer)."""
    pts = to_display(
        gpd.GeoDataFrame(geometry=grids.geometry.representative_point(), crs=grids.crs),
        gcj02=gcj,
    )
    labels = short_labels(grids.index)  # full codes are in the tooltips
    rows = [(p.y, p.x, text) for text, p in zip(labels, pts.geometry, strict=True)]
    TextLabels(rows, name=translate(lang, "Grid codes")).add_to(m)


def _guess_column(gdf: gpd.GeoDataFrame, candidates: Sequence[str]) -> str | None:
    return next((c for c in candidates if c in gdf.columns), None)


def _add_units(
    m: folium.Map, units: gpd.GeoDataFrame, unit_column: str | None, gcj: bool, lang: str
) -> None:
    _ = gettext(lang)
    units = require_frame(units, "units")
    if unit_column is None:
        unit_column = _guess_column(units, ["grid", "grid_code", "grid_id"])
    elif unit_column not in units.columns:
        raise ColumnError(f"units has no column {unit_column!r} (unit_column)")
    shown = to_display(units, gcj02=gcj)
    demand = [c for c in ("households", "population") if c in units.columns]
    tips = []
    for uid, row in units.drop(columns=units.geometry.name).iterrows():
        rows = [(_("Grid"), fmt_value(row[unit_column]))] if unit_column else []
        rows += [(column_label(c, lang), fmt_value(row[c])) for c in demand]
        tips.append(tip_html(_("Unit {id}").format(id=uid), rows))
    geojson_layer(
        shown,
        _("Units"),
        style=lambda _i: {
            "color": "#555555",
            "weight": 0.7,
            "fillOpacity": 0.0,
            "dashArray": "2 3",
        },
        tooltips=tips,
        show=False,  # hidden at first: when on top they take the hover from the grids
        className="gp-unit",
    ).add_to(m)


def add_streets(m: folium.Map, streets: gpd.GeoDataFrame, gcj: bool, lang: str = "en") -> None:
    """Streets as a light context layer (thin grey lines, tooltip: ``name``), offline."""
    _ = gettext(lang)
    streets = require_frame(streets, "streets")
    shown = to_display(streets, gcj02=gcj)
    names = streets["name"] if "name" in streets.columns else pd.Series([None] * len(streets))
    tips = [
        tip_html(fmt_value(n) if n is not None and not pd.isna(n) else _("street"), [])
        for n in names
    ]
    geojson_layer(
        shown,
        _("Streets"),
        style=lambda _i: {"color": "#8c8c8c", "weight": 1.5, "opacity": 0.7},
        tooltips=tips,
        className="gp-street",
    ).add_to(m)


def add_parents(
    m: folium.Map,
    parents: gpd.GeoDataFrame,
    column: str | None,
    gcj: bool,
    labels: bool,
    label: str = "Community",
    lang: str = "en",
) -> None:
    _ = gettext(lang)
    parents = require_frame(parents, "parents")
    if column is None:
        # Prefer a readable name ("community_name") over a code.
        named = [c for c in parents.columns if "name" in str(c).lower()]
        column = _guess_column(parents, ["name", *named, "code", "parent", "community"])
    elif column not in parents.columns:
        raise ColumnError(f"parents has no column {column!r} (parent_column)")
    shown = to_display(parents, gcj02=gcj)
    geojson_layer(
        shown,
        _("{label} boundaries").format(label=label),
        style=lambda _i: {"color": "#222222", "weight": 3, "fill": False, "opacity": 0.9},
        interactive=False,  # boundaries must not steal the grids' tooltips
        className="gp-parent",
    ).add_to(m)
    if labels:
        names = parents[column] if column else pd.Series(parents.index, index=parents.index)
        pts = to_display(
            gpd.GeoDataFrame(geometry=parents.geometry.representative_point(), crs=parents.crs),
            gcj02=gcj,
        )
        rows = [(p.y, p.x, fmt_value(n)) for n, p in zip(names, pts.geometry, strict=True)]
        TextLabels(
            rows,
            name=_("{label} names").format(label=label),
            css_class="gp-label gp-label-parent",
        ).add_to(m)
