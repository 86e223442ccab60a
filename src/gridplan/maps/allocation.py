"""Interactive map of an allocation: :func:`explore_allocation`.

Works with any object that has the attributes of ``gridplan``'s
``Allocation`` (duck typing): ``grids`` (required) and, when present,
``sites``, ``workers``, ``volunteers``, ``worker_assignment``,
``volunteer_assignment``, ``coverage``, ``status``, ``gap``, ``cost``,
``budget``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from gridplan._display import allocation_grids, allocation_part, names_by_id, require_frame
from gridplan.maps._elements import HtmlControl
from gridplan.maps._escape import esc, fmt_value
from gridplan.maps._layers import (
    finish_map,
    geojson_layer,
    new_map,
    require_columns,
    tip_html,
)
from gridplan.maps.coords import to_display
from gridplan.maps.grids import add_grid_labels, add_grid_layer
from gridplan.maps.tiles import resolve_tiles

__all__ = ["explore_allocation"]

OPEN_EXISTING = "#1b7837"
OPEN_NEW = "#2166ac"
CANDIDATE = "#969696"
WORKER = "#e66101"
VOLUNTEER = "#5e3c99"
UNMET = "#d7191c"

_ALLOC_FIELDS: list[tuple[str, str, str]] = [
    ("parent", "Community", "text"),
    ("households", "Households", "number"),
    ("households_served", "Households served", "number"),
    ("coverage", "Coverage", "%"),
    ("site", "Service point", "text"),
    ("lead", "Lead worker", "text"),
    ("need_hours", "Volunteer need (h/month)", "number"),
    ("hours_delivered", "Hours delivered", "number"),
    ("unmet_hours", "Unmet (h/month)", "number"),
]


def _label(names: Mapping[Any, str], key: Any) -> str:
    if key is None or (not isinstance(key, str) and pd.isna(key)):
        return "–"
    name = names.get(key)
    return f"{name} ({key})" if name and name != str(key) else str(key)


def _flag(df: pd.DataFrame, column: str, default: bool = True) -> pd.Series:
    if column not in df.columns:
        return pd.Series(default, index=df.index)
    return df[column].fillna(False).astype(bool)


def explore_allocation(
    allocation: Any,
    column: str | None = "coverage",
    tiles: str | None = None,
    labels: bool = True,
    *,
    tiles_key: str | None = None,
    radii: bool = True,
    links: bool = True,
    show_unselected: bool = True,
    catchments: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Draw an allocation: coverage per grid, service points, radii, people and links.

    Grids are filled by ``column`` (default ``coverage``) and outlined in red
    where need is unmet; open service points are filled circles (green when
    they already existed, blue when new), candidates not opened are hollow grey
    circles; each open point's service radius is drawn. Grid workers (orange)
    and volunteers (purple) are shown at home with a line to every grid they
    serve. Tooltips name everything; all text is HTML-escaped. ``tiles`` as in
    :func:`~gridplan.maps.explore_grids`. ``catchments`` (from
    :func:`gridplan.coverage.catchments`) adds each open site's walking catchment.

    >>> from types import SimpleNamespace
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"households": [300], "coverage": [0.8]},
    ...     geometry=[box(0, 0, 100, 100)], index=pd.Index(["G01"], name="grid"), crs=32651)
    >>> m = explore_allocation(SimpleNamespace(grids=g))
    """
    grids = allocation_grids(allocation)
    provider = resolve_tiles(tiles, tiles_key)
    gcj = provider is not None and provider.gcj02
    if column == "coverage" and "coverage" not in grids.columns:
        column = None  # nothing solved yet: plain grids rather than an error
    if column is not None:
        require_columns(grids, [column], "allocation.grids")

    sites = allocation_part(allocation, "sites")
    workers = allocation_part(allocation, "workers")
    volunteers = allocation_part(allocation, "volunteers")
    site_names, worker_names = names_by_id(sites), names_by_id(workers)

    view = grids.copy()
    if "site_id" in view.columns:
        view["site"] = [_label(site_names, s) for s in view["site_id"]]
    if "lead_worker" in view.columns:
        view["lead"] = [_label(worker_names, w) for w in view["lead_worker"]]

    shown = to_display(grids, gcj02=gcj)
    bounds = shown.total_bounds
    m = new_map(bounds, provider)
    add_grid_layer(m, view, shown, column, name="Coverage by grid", fields=_ALLOC_FIELDS)
    _add_unmet(m, view, shown)

    rep = to_display(
        gpd.GeoDataFrame(geometry=grids.geometry.representative_point(), crs=grids.crs),
        gcj02=gcj,
    ).geometry
    if workers is not None:
        workers = require_frame(workers, "allocation.workers")
    if volunteers is not None:
        volunteers = require_frame(volunteers, "allocation.volunteers")
    # Drawing order = stacking order: links under points, so points keep their tooltips.
    if links and workers is not None:
        _add_links(
            m,
            allocation_part(allocation, "worker_assignment"),
            "worker_id",
            workers,
            rep,
            gcj,
            "Worker → grid",
            WORKER,
            "",
            _worker_link_rows,
        )
    if links and volunteers is not None:
        _add_links(
            m,
            allocation_part(allocation, "volunteer_assignment"),
            "volunteer_id",
            volunteers,
            rep,
            gcj,
            "Volunteer → grid",
            VOLUNTEER,
            "4 4",
            _volunteer_link_rows,
        )
    if catchments is not None:  # walking catchments (gridplan.coverage.catchments); off by default
        from gridplan.maps.catchments import add_catchments

        add_catchments(m, catchments, gcj)
    if sites is not None:
        _add_sites(m, require_frame(sites, "allocation.sites"), gcj, radii, show_unselected)
    if workers is not None:
        _add_people(m, workers, "hired", "Grid workers", WORKER, gcj, show_unselected, _worker_rows)
    if volunteers is not None:
        _add_people(
            m,
            volunteers,
            "selected",
            "Volunteers",
            VOLUNTEER,
            gcj,
            show_unselected,
            _volunteer_rows,
        )
    if labels:
        add_grid_labels(m, grids, gcj)
    HtmlControl(
        _symbol_legend(sites is not None, workers is not None, volunteers is not None),
        position="bottomleft",
    ).add_to(m)
    summary = _summary_html(allocation, view)
    if summary:
        HtmlControl(summary, position="topleft").add_to(m)
    return finish_map(m, bounds)


def _unmet_mask(view: pd.DataFrame) -> pd.Series:
    if "unmet_hours" in view.columns:
        return view["unmet_hours"].fillna(0).astype(float) > 1e-9
    if "coverage" in view.columns:
        return view["coverage"].fillna(0).astype(float) < 1 - 1e-9
    return pd.Series(False, index=view.index)


def _add_unmet(m: folium.Map, view: pd.DataFrame, shown: gpd.GeoDataFrame) -> None:
    mask = _unmet_mask(view).to_numpy()
    if not mask.any():
        return
    geojson_layer(
        shown[mask],
        "Unmet need",
        style=lambda _i: {"color": UNMET, "weight": 3, "fill": False, "dashArray": "6 4"},
        interactive=False,
        className="gp-unmet",
    ).add_to(m)


def _site_rows(site_id: Any, row: pd.Series) -> list[tuple[str, str]]:
    opened = bool(row.get("open", True))
    existing = bool(row.get("existing", False))
    status = ("open, existing" if existing else "open, new") if opened else "not opened"
    out = [("Id", str(site_id)), ("Status", status)]
    for col, label in [
        ("capacity", "Capacity (households)"),
        ("households_served", "Households served"),
        ("radius_m", "Service radius (m)"),
        ("cost", "Cost"),
    ]:
        if col in row.index:
            out.append((label, fmt_value(row[col])))
    return out


def _add_sites(
    m: folium.Map, sites: gpd.GeoDataFrame, gcj: bool, radii: bool, show_unopened: bool
) -> None:
    shown = to_display(sites, gcj02=gcj)
    opened = _flag(sites, "open").to_numpy()
    existing = _flag(sites, "existing", default=False).to_numpy()
    names = names_by_id(sites)
    tips = [
        tip_html(names.get(i, f"Site {i}"), _site_rows(i, r))
        for i, r in sites.drop(columns=sites.geometry.name).iterrows()
    ]
    if radii and opened.any() and "radius_m" in sites.columns:
        r_open = sites["radius_m"].to_numpy()[opened]
        geojson_layer(
            shown[opened],
            "Service radii",
            style=lambda i: {
                "radius": float(r_open[i]),
                "color": OPEN_NEW,
                "weight": 1,
                "fillOpacity": 0.05,
                "dashArray": "3 3",
            },
            marker=folium.Circle(),
            interactive=False,
            className="gp-radius",
        ).add_to(m)
    if (~opened).any() and show_unopened:
        idx = [i for i, o in enumerate(opened) if not o]
        geojson_layer(
            shown.iloc[idx],
            "Candidate points (not opened)",
            style=lambda _i: {
                "radius": 5,
                "color": CANDIDATE,
                "weight": 2,
                "fillColor": "#ffffff",
                "fillOpacity": 1.0,
            },
            tooltips=[tips[i] for i in idx],
            marker=folium.CircleMarker(),
            className="gp-site-closed",
        ).add_to(m)
    if opened.any():
        idx = [i for i, o in enumerate(opened) if o]
        colors = [OPEN_EXISTING if existing[i] else OPEN_NEW for i in idx]
        geojson_layer(
            shown.iloc[idx],
            "Service points (open)",
            style=lambda j: {
                "radius": 8,
                "color": "#ffffff",
                "weight": 2,
                "fillColor": colors[j],
                "fillOpacity": 1.0,
            },
            tooltips=[tips[i] for i in idx],
            marker=folium.CircleMarker(),
            className="gp-site-open",
        ).add_to(m)


def _worker_rows(wid: Any, row: pd.Series) -> list[tuple[str, str]]:
    out = [("Id", str(wid)), ("Hired", fmt_value(bool(row.get("hired", True))))]
    if "grids" in row.index:
        out.append(("Grids", fmt_value(row["grids"])))
    return out


def _volunteer_rows(vid: Any, row: pd.Series) -> list[tuple[str, str]]:
    out = [("Id", str(vid)), ("Selected", fmt_value(bool(row.get("selected", True))))]
    if "hours_assigned" in row.index:
        out.append(("Hours assigned (per month)", fmt_value(row["hours_assigned"])))
    return out


def _add_people(
    m: folium.Map,
    people: gpd.GeoDataFrame,
    flag: str,
    name: str,
    color: str,
    gcj: bool,
    show_unselected: bool,
    rows: Callable[[Any, pd.Series], list[tuple[str, str]]],
) -> None:
    chosen = _flag(people, flag).to_numpy()
    keep = chosen | show_unselected
    people = people[keep]
    chosen = chosen[keep]
    if not len(people):
        return
    shown = to_display(people, gcj02=gcj)
    names = names_by_id(people)
    tips = [
        tip_html(names.get(i, str(i)), rows(i, r))
        for i, r in people.drop(columns=people.geometry.name).iterrows()
    ]
    geojson_layer(
        shown,
        name,
        style=lambda i: {
            "radius": 4 if chosen[i] else 3,
            "color": color,
            "weight": 1.5,
            "fillColor": color if chosen[i] else "#ffffff",
            "fillOpacity": 1.0,
        },
        tooltips=tips,
        marker=folium.CircleMarker(),
        className="gp-person",
    ).add_to(m)


def _worker_link_rows(row: pd.Series) -> list[tuple[str, str]]:
    return [("Distance (m)", fmt_value(row.get("distance_m")))]


def _volunteer_link_rows(row: pd.Series) -> list[tuple[str, str]]:
    out = [
        (label, fmt_value(row[c]))
        for c, label in [
            ("skill", "Skill"),
            ("hours_per_month", "Hours per month"),
            ("distance_m", "Distance (m)"),
        ]
        if c in row.index
    ]
    return out


def _add_links(
    m: folium.Map,
    assignment: pd.DataFrame | None,
    id_col: str,
    people: gpd.GeoDataFrame,
    rep: gpd.GeoSeries,
    gcj: bool,
    name: str,
    color: str,
    dash: str,
    rows: Callable[[pd.Series], list[tuple[str, str]]],
) -> None:
    if assignment is None or id_col not in assignment.columns or "grid" not in assignment.columns:
        return
    homes = to_display(people, gcj02=gcj).geometry
    names = names_by_id(people)
    lines, tips, skipped = [], [], []
    for _, a in assignment.iterrows():
        pid, grid = a[id_col], a["grid"]
        if pid not in homes.index or grid not in rep.index:
            skipped.append((pid, grid))
            continue
        home, target = homes.loc[pid], rep.loc[grid]
        lines.append(LineString([(home.x, home.y), (target.x, target.y)]))
        tips.append(tip_html(f"{_label(names, pid)} → {grid}", rows(a)))
    if skipped:
        warnings.warn(
            f"{name}: skipped {len(skipped)} link(s) whose person or grid is unknown, "
            f"e.g. {skipped[:3]}",
            stacklevel=3,
        )
    if not lines:
        return
    gdf = gpd.GeoDataFrame(geometry=lines, crs=4326)
    geojson_layer(
        gdf,
        name,
        style=lambda _i: {"color": color, "weight": 2, "opacity": 0.8, "dashArray": dash or None},
        tooltips=tips,
        className="gp-link",
    ).add_to(m)


def _symbol_legend(sites: bool, workers: bool, volunteers: bool) -> str:
    def dot(fill: str, stroke: str, text: str) -> str:
        return (
            f'<div class="gp-legend-row"><i style="background:{fill};border-color:{stroke};'
            f'border-radius:50%;width:12px"></i>{esc(text)}</div>'
        )

    rows = [
        f'<div class="gp-legend-row"><i style="border:2px dashed {UNMET};background:none">'
        f"</i>{esc('unmet need')}</div>"
    ]
    if sites:
        rows += [
            dot(OPEN_EXISTING, "#fff", "service point, existing"),
            dot(OPEN_NEW, "#fff", "service point, new"),
            dot("#fff", CANDIDATE, "candidate, not opened"),
        ]
    if workers:
        rows.append(dot(WORKER, WORKER, "grid worker (home) and link"))
    if volunteers:
        rows.append(dot(VOLUNTEER, VOLUNTEER, "volunteer (home) and link"))
    return "".join(rows)


def _summary_html(allocation: Any, view: pd.DataFrame) -> str:
    parts: list[tuple[str, str]] = []
    status = getattr(allocation, "status", None)
    if status is not None:
        parts.append(("Status", str(status)))
    cost = getattr(allocation, "cost", None)
    total = cost.get("total") if isinstance(cost, Mapping) else cost
    budget = getattr(allocation, "budget", None)
    if total is not None:
        parts.append(("Cost", fmt_value(total) + (f" of {fmt_value(budget)}" if budget else "")))
    gap = getattr(allocation, "gap", None)
    if gap is not None:
        parts.append(("Optimality gap", fmt_value(gap, percent=True, digits=2)))
    if {"households", "households_served"} <= set(view.columns):
        hh, served = float(view["households"].sum()), float(view["households_served"].sum())
        share = f" ({served / hh:.1%})" if hh else ""
        parts.append(("Households served", f"{served:,.0f} of {hh:,.0f}{share}"))
    if "unmet_hours" in view.columns:
        parts.append(("Unmet volunteer hours", fmt_value(float(view["unmet_hours"].sum()))))
    if not parts:
        return ""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in parts)
    return f'<div class="gp-tip"><table>{body}</table></div>'
