"""Shared plumbing for the map builders: the bare map, GeoJSON layers, tooltips.

Every tooltip and popup is an HTML string built here with all user text passed
through :func:`~gridplan.maps._escape.esc`, then shown by folium's
``GeoJsonTooltip``/``GeoJsonPopup`` as a single field (folium itself inserts
property values unescaped with ``innerHTML``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from gridplan.maps._elements import Declutter, add_css
from gridplan.maps._escape import esc, fmt_value
from gridplan.maps.tiles import ResolvedTiles, add_tiles

__all__ = [
    "area_text",
    "finish_map",
    "geojson_layer",
    "new_map",
    "require_columns",
    "tip_html",
]

# folium loads Leaflet, jQuery, Bootstrap, awesome-markers and Font Awesome on
# every map; our maps use only Leaflet, so the saved page stays small.
_LEAFLET_JS = [(n, u) for n, u in folium.Map.default_js if n == "leaflet"]
_LEAFLET_CSS = [(n, u) for n, u in folium.Map.default_css if n == "leaflet_css"]
_COORD_DECIMALS = 6  # ~0.1 m: plenty for display, keeps the HTML small


def new_map(bounds: np.ndarray, tiles: ResolvedTiles | None) -> folium.Map:
    """A Leaflet-only map (SVG renderer) around ``bounds`` = (minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=14,
        tiles=None,
        control_scale=True,
        max_zoom=22,
    )
    # Instance attributes shadow the class lists (which folium mutates in place).
    m.default_js = list(_LEAFLET_JS)
    m.default_css = list(_LEAFLET_CSS)
    add_tiles(m, tiles)
    add_css(m)
    return m


def finish_map(m: folium.Map, bounds: np.ndarray) -> folium.Map:
    """Add label decluttering and the layer switcher; fit the view to ``bounds``."""
    Declutter().add_to(m)  # after every label layer: hides overlapping labels
    # Expanded: the collapsed toggle's icon is an image file that cannot be inlined.
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _round_coords(coords: np.ndarray) -> np.ndarray:
    return np.round(coords, _COORD_DECIMALS)


def geojson_layer(
    gdf: gpd.GeoDataFrame,
    name: str,
    style: Callable[[int], Mapping[str, Any]],
    tooltips: Iterable[str] | None = None,
    popups: Iterable[str] | None = None,
    highlight: Mapping[str, Any] | None = None,
    show: bool = True,
    marker: folium.CircleMarker | folium.Circle | None = None,
    **options: Any,
) -> folium.GeoJson:
    """One GeoJSON layer from display-CRS ``gdf``.

    ``style(i)`` gives the Leaflet style of row ``i``; ``tooltips``/``popups``
    are pre-escaped HTML strings, one per row. ``name`` is escaped here (the
    layer switcher shows it as HTML). Extra ``options`` go to ``L.geoJson``
    and on to every shape (e.g. ``className``, ``interactive``).
    """
    geoms = shapely.transform(np.asarray(gdf.geometry.values), _round_coords)
    tips = list(tooltips) if tooltips is not None else None
    pops = list(popups) if popups is not None else None
    styles = [dict(style(i)) for i in range(len(gdf))]
    if marker is not None:
        # Point layers build each marker from its style, not from the GeoJSON options.
        carried: dict[str, Any] = {
            k: options[k] for k in ("className", "interactive") if k in options
        }
        for st in styles:
            st.setdefault("fill", True)
            st.update(carried)
    features = []
    for i, geom in enumerate(geoms):
        props: dict[str, Any] = {"_s": i}
        if tips is not None:
            props["_tip"] = tips[i]
        if pops is not None:
            props["_pop"] = pops[i]
        features.append(
            {
                "type": "Feature",
                "id": str(i),
                "geometry": shapely.geometry.mapping(geom),
                "properties": props,
            }
        )
    data = {"type": "FeatureCollection", "features": features}
    kwargs: dict[str, Any] = {}
    if tips is not None:
        kwargs["tooltip"] = folium.GeoJsonTooltip(fields=["_tip"], labels=False, sticky=True)
    if pops is not None:
        kwargs["popup"] = folium.GeoJsonPopup(fields=["_pop"], labels=False, max_width=360)
    if highlight is not None:
        kwargs["highlight_function"] = lambda _f: dict(highlight)
    return folium.GeoJson(
        data,
        name=esc(name),
        style_function=lambda f: styles[f["properties"]["_s"]],
        show=show,
        marker=marker,
        **kwargs,
        **options,
    )


def area_text(m2: Any) -> str:
    """'8,420 m²' below 0.1 km², else '1.23 km²' (unescaped)."""
    try:
        v = float(m2)
    except (TypeError, ValueError):
        return fmt_value(m2)
    if not np.isfinite(v):
        return "–"
    return f"{v:,.0f} m²" if v < 100_000 else f"{v / 1e6:,.2f} km²"


def tip_html(head: str, rows: Iterable[tuple[str, str]]) -> str:
    """A tooltip block: a bold heading and a two-column table, all escaped."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<div class="gp-tip"><div class="gp-head">{esc(head)}</div><table>{body}</table></div>'


def require_columns(gdf: Any, columns: Iterable[str], what: str) -> None:
    """Raise a ColumnError-style InputError naming missing columns."""
    from gridplan.errors import ColumnError

    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise ColumnError(
            f"{what} lacks column(s) {', '.join(map(repr, missing))}; it has: "
            f"{', '.join(map(str, gdf.columns))}"
        )
