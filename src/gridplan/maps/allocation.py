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
from typing import Any, NamedTuple

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from gridplan._display import allocation_grids, allocation_part, names_by_id, require_frame
from gridplan._types import SupportsGrids
from gridplan.i18n import N_, gettext, translate
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
from gridplan.maps.grids import add_grid_labels, add_grid_layer, add_parents, add_streets
from gridplan.maps.tiles import resolve_tiles

__all__ = ["explore_allocation"]

OPEN_EXISTING = "#1b7837"
OPEN_NEW = "#2166ac"
CANDIDATE = "#969696"
WORKER = "#e66101"
VOLUNTEER = "#5e3c99"
UNMET = "#d7191c"

_ALLOC_FIELDS: list[tuple[str, str, str]] = [
    ("parent", N_("Community"), "text"),
    ("households", N_("Households"), "number"),
    ("households_served", N_("Households served"), "number"),
    ("coverage", N_("Coverage"), "%"),
    ("site", N_("Service point"), "text"),
    ("lead", N_("Lead worker"), "text"),
    ("need_hours", N_("Volunteer need (h/month)"), "number"),
    ("hours_delivered", N_("Hours delivered (h/month)"), "number"),
    ("unmet_hours", N_("Unmet (h/month)"), "number"),
]
# What a planner asks of one grid when clicking it.
_ALLOC_POPUP: list[tuple[str, str, str]] = [
    ("parent", N_("Community"), "text"),
    ("households", N_("Households"), "number"),
    ("population", N_("People"), "number"),
    ("age60plus", N_("Aged 60+"), "number"),
    ("elderly_alone", N_("Elderly living alone"), "number"),
    ("lead", N_("Lead worker"), "text"),
    ("worker_distance_m", N_("Worker's distance (m)"), "number"),
    ("site", N_("Service point"), "text"),
    ("site_distance_m", N_("Distance to service point (m)"), "number"),
    ("deviation", N_("Deviation"), "signed%"),
    ("households_served", N_("Households served"), "number"),
    ("coverage", N_("Coverage"), "%"),
    ("need_hours", N_("Volunteer need (h/month)"), "number"),
    ("hours_delivered", N_("Hours delivered (h/month)"), "number"),
    ("unmet_hours", N_("Unmet (h/month)"), "number"),
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
    allocation: SupportsGrids,
    column: str | None = "coverage",
    tiles: str | None = None,
    labels: bool = True,
    *,
    tiles_key: str | None = None,
    radii: bool = True,
    links: bool = True,
    show_unselected: bool = True,
    catchments: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    plan_grids: pd.DataFrame | None = None,
    parents: gpd.GeoDataFrame | None = None,
    parent_column: str | None = None,
    parent_label: str | None = None,
    lang: str = "en",
) -> folium.Map:
    """Draw an allocation: coverage per grid, service points, radii, people and links.

    Shown at first (what a planner reads): grids filled by ``column``
    (default ``coverage``), open service points (green when they already
    existed, blue when new) with their service areas, grid workers (orange)
    with a line to each grid they lead, and a red outline round the grids
    whose volunteer need is unmet, thicker and darker the larger the unmet
    share. Present in the layer switcher but off at first (dense): every
    volunteer (purple) and volunteer link, candidates not opened (hollow
    grey). ``radii``, ``links`` and ``show_unselected`` leave those layers
    out altogether. ``streets`` adds a light street layer (offline context).
    ``plan_grids`` (``GridPlan.grids``) adds the plan's figures that the
    allocation does not carry (people, 60+, elderly living alone, community,
    deviation) to the popups. ``parents`` outlines and names the communities
    (``GridPlan.parent_layer()`` gives it with ``parent_column``/``parent_label``).
    A grid's popup also gives its lead worker and service point with their
    distances. All text is HTML-escaped; ``lang="zh"`` writes it in Chinese.
    ``tiles`` as in :func:`~gridplan.maps.explore_grids`.
    ``catchments`` (from :func:`gridplan.coverage.catchments`) adds each open
    site's walking catchment (off at first).

    >>> from types import SimpleNamespace
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"households": [300], "coverage": [0.8]},
    ...     geometry=[box(0, 0, 100, 100)], index=pd.Index(["G01"], name="grid"), crs=32651)
    >>> m = explore_allocation(SimpleNamespace(grids=g))
    """
    _ = gettext(lang)  # checks lang first
    grids = allocation_grids(allocation)
    provider = resolve_tiles(tiles, tiles_key)
    gcj = provider is not None and provider.gcj02
    column = _fill_column(grids, column)
    view = _grid_view(grids, allocation, plan_grids)
    shown = to_display(grids, gcj02=gcj)
    bounds = shown.total_bounds
    m = new_map(bounds, provider)
    if streets is not None:
        add_streets(m, streets, gcj, lang)
    add_grid_layer(
        m,
        view,
        shown,
        column,
        name=_("Coverage by grid"),
        fields=_ALLOC_FIELDS,
        lang=lang,
        popup_fields=_ALLOC_POPUP,
    )
    _add_unmet(m, view, shown, lang)
    people = _People.of(allocation)
    # Drawing order = stacking order: links under points, so points keep their tooltips.
    if links:
        _add_all_links(m, allocation, people, grids, gcj, lang)
    if catchments is not None:  # walking catchments (gridplan.coverage.catchments); off by default
        from gridplan.maps.catchments import add_catchments

        add_catchments(m, catchments, gcj)
    _add_points(m, allocation, people, gcj, radii, show_unselected, lang)
    _add_names(m, grids, (parents, parent_column, parent_label), gcj, labels, lang)
    _add_boxes(m, allocation, view, people, lang)
    return finish_map(m, bounds)


def _add_names(
    m: folium.Map,
    grids: gpd.GeoDataFrame,
    parents: tuple[gpd.GeoDataFrame | None, str | None, str | None],
    gcj: bool,
    labels: bool,
    lang: str,
) -> None:
    """Community outlines and names (when given), then the grid labels, on top of the points."""
    _ = gettext(lang)
    frame, column, label = parents
    if frame is not None:
        label = _("Community") if label is None else label
        add_parents(m, frame, column, gcj, labels, label, lang)
    if labels:
        add_grid_labels(m, grids, gcj, lang)


def _fill_column(grids: gpd.GeoDataFrame, column: str | None) -> str | None:
    """The column to fill the grids by, checked; no fill for coverage not solved yet."""
    if column == "coverage" and "coverage" not in grids.columns:
        return None  # nothing solved yet: plain grids rather than an error
    if column is not None:
        require_columns(grids, [column], "allocation.grids")
    return column


class _People(NamedTuple):
    """The allocation's workers and volunteers, each checked (None when absent)."""

    workers: gpd.GeoDataFrame | None
    volunteers: gpd.GeoDataFrame | None

    @classmethod
    def of(cls, allocation: SupportsGrids) -> _People:
        workers = allocation_part(allocation, "workers")
        volunteers = allocation_part(allocation, "volunteers")
        return cls(
            None if workers is None else require_frame(workers, "allocation.workers"),
            None if volunteers is None else require_frame(volunteers, "allocation.volunteers"),
        )


def _grid_view(
    grids: gpd.GeoDataFrame, allocation: SupportsGrids, plan_grids: pd.DataFrame | None
) -> gpd.GeoDataFrame:
    """The grids with what their tooltips and popups show: names, plan figures, distances."""
    sites = allocation_part(allocation, "sites")
    site_names = names_by_id(sites)
    worker_names = names_by_id(allocation_part(allocation, "workers"))
    view = grids.copy()
    if plan_grids is not None:
        extra = [c for c in plan_grids.columns if c not in view.columns and c != "geometry"]
        view = view.join(pd.DataFrame(plan_grids)[extra], how="left")
    if "site_id" in view.columns:
        view["site"] = [_label(site_names, s) for s in view["site_id"]]
    if "lead_worker" in view.columns:
        view["lead"] = [_label(worker_names, w) for w in view["lead_worker"]]
    return _with_distances(view, allocation, sites)


def _add_all_links(
    m: folium.Map,
    allocation: SupportsGrids,
    people: _People,
    grids: gpd.GeoDataFrame,
    gcj: bool,
    lang: str,
) -> None:
    """Worker and volunteer links, from each home to the grid's representative point."""
    _ = gettext(lang)
    rep = to_display(
        gpd.GeoDataFrame(geometry=grids.geometry.representative_point(), crs=grids.crs),
        gcj02=gcj,
    ).geometry
    if people.workers is not None:
        wa = allocation_part(allocation, "worker_assignment")
        style = _LinkStyle(_("Worker → grid"), WORKER, "", _worker_link_rows)
        _add_links(m, wa, "worker_id", people.workers, rep, gcj, style, lang)
    if people.volunteers is not None:
        va = allocation_part(allocation, "volunteer_assignment")
        style = _LinkStyle(_("Volunteer → grid"), VOLUNTEER, "4 4", _volunteer_link_rows)
        _add_links(m, va, "volunteer_id", people.volunteers, rep, gcj, style, lang, show=False)


def _add_points(
    m: folium.Map,
    allocation: SupportsGrids,
    people: _People,
    gcj: bool,
    radii: bool,
    show_unselected: bool,
    lang: str,
) -> None:
    """Service points (and their radii), then workers and volunteers at home."""
    _ = gettext(lang)
    sites = allocation_part(allocation, "sites")
    if sites is not None:
        _add_sites(m, require_frame(sites, "allocation.sites"), gcj, radii, show_unselected, lang)
    if people.workers is not None:
        style = _PeopleStyle("hired", _("Grid workers"), WORKER, _worker_rows)
        _add_people(m, people.workers, style, gcj, show_unselected, lang)
    if people.volunteers is not None:
        style = _PeopleStyle("selected", _("Volunteers"), VOLUNTEER, _volunteer_rows)
        _add_people(m, people.volunteers, style, gcj, show_unselected, lang, show=False)


def _add_boxes(
    m: folium.Map, allocation: SupportsGrids, view: pd.DataFrame, people: _People, lang: str
) -> None:
    """The symbol legend (bottom left) and the summary box (top left, when there is one)."""
    has_sites = allocation_part(allocation, "sites") is not None
    HtmlControl(
        _symbol_legend(has_sites, people.workers is not None, people.volunteers is not None, lang),
        position="bottomleft",
    ).add_to(m)
    summary = _summary_html(allocation, view, lang)
    if summary:
        HtmlControl(summary, position="topleft").add_to(m)


def _with_distances(
    view: pd.DataFrame, allocation: SupportsGrids, sites: gpd.GeoDataFrame | None
) -> pd.DataFrame:
    """Add each grid's lead worker distance and its service point's distance (metres)."""
    wa = allocation_part(allocation, "worker_assignment")
    if wa is not None and {"grid", "distance_m"} <= set(wa.columns):
        view["worker_distance_m"] = wa.groupby("grid")["distance_m"].min().reindex(view.index)
    metric = view.crs is not None and view.crs.is_projected
    if sites is not None and "site_id" in view.columns and metric and sites.crs is not None:
        where = sites.geometry.to_crs(view.crs)
        inside = view.geometry.representative_point()
        view["site_distance_m"] = [
            float(p.distance(where.loc[s])) if s in where.index else float("nan")
            for s, p in zip(view["site_id"], inside, strict=True)
        ]
    return view


def _unmet_share(view: pd.DataFrame) -> pd.Series:
    """Share of each grid's need left unmet, 0 where nothing is missing."""
    if {"unmet_hours", "need_hours"} <= set(view.columns):
        need = view["need_hours"].astype(float)
        unmet = view["unmet_hours"].fillna(0).astype(float)
        share = (unmet / need.where(need > 0)).fillna(0.0)
        return share.where(unmet > 1e-9, 0.0).clip(0.0, 1.0)
    if "coverage" in view.columns:
        return (
            (1 - view["coverage"].fillna(0).astype(float))
            .clip(0.0, 1.0)
            .where(view["coverage"].fillna(0).astype(float) < 1 - 1e-9, 0.0)
        )
    return pd.Series(0.0, index=view.index)


# (lower bound of the unmet share, stroke colour, stroke weight, legend text)
UNMET_GRADES: list[tuple[float, str, float, str]] = [
    (0.0, "#fc9272", 1.0, N_("unmet need: under 25 %")),
    (0.25, "#ef3b2c", 1.8, N_("unmet need: 25–50 %")),
    (0.5, "#a50f15", 2.6, N_("unmet need: over half")),
]


def _grade(share: float) -> int:
    return max(i for i, (lo, *_rest) in enumerate(UNMET_GRADES) if share >= lo)


def _add_unmet(m: folium.Map, view: pd.DataFrame, shown: gpd.GeoDataFrame, lang: str) -> None:
    """Outline only the grids whose need is unmet, graded by the unmet share."""
    share = _unmet_share(view).to_numpy()
    mask = share > 0
    if not mask.any():
        return
    grades = [_grade(float(v)) for v in share[mask]]
    geojson_layer(
        shown[mask],
        translate(lang, "Unmet need"),
        style=lambda i: {
            "color": UNMET_GRADES[grades[i]][1],
            "weight": UNMET_GRADES[grades[i]][2],
            "fill": False,
            "dashArray": "6 4",
        },
        interactive=False,
        className="gp-unmet",
    ).add_to(m)


def _site_rows(site_id: Any, row: pd.Series, lang: str) -> list[tuple[str, str]]:
    _ = gettext(lang)
    opened = bool(row.get("open", True))
    existing = bool(row.get("existing", False))
    status = (_("open, existing") if existing else _("open, new")) if opened else _("not opened")
    out = [(_("Id"), str(site_id)), (_("Status"), status)]
    for col, label in [
        ("capacity", N_("Capacity (households)")),
        ("households_served", N_("Households served")),
        ("radius_m", N_("Service radius (m)")),
        ("cost", N_("Cost (yuan per year)")),
    ]:
        if col in row.index:
            out.append((_(label), fmt_value(row[col])))
    return out


def _add_sites(
    m: folium.Map,
    sites: gpd.GeoDataFrame,
    gcj: bool,
    radii: bool,
    show_unopened: bool,
    lang: str,
) -> None:
    """Service areas, candidates not opened (off at first) and open service points."""
    _ = gettext(lang)
    shown = to_display(sites, gcj02=gcj)
    opened = _flag(sites, "open").to_numpy()
    existing = _flag(sites, "existing", default=False).to_numpy()
    names = names_by_id(sites)
    tips = [
        tip_html(names.get(i, _("Site {id}").format(id=i)), _site_rows(i, r, lang))
        for i, r in sites.drop(columns=sites.geometry.name).iterrows()
    ]
    if radii and opened.any() and "radius_m" in sites.columns:
        _add_radii(m, shown[opened], sites["radius_m"].to_numpy()[opened], lang)
    if (~opened).any() and show_unopened:
        idx = [i for i, o in enumerate(opened) if not o]
        _add_candidates(m, shown.iloc[idx], [tips[i] for i in idx], lang)
    if opened.any():
        idx = [i for i, o in enumerate(opened) if o]
        colors = [OPEN_EXISTING if existing[i] else OPEN_NEW for i in idx]
        _add_open_sites(m, shown.iloc[idx], [tips[i] for i in idx], colors, lang)


def _add_radii(m: folium.Map, shown: gpd.GeoDataFrame, r_open: np.ndarray, lang: str) -> None:
    """Each open site's service radius as a dashed circle (metres), not clickable."""
    geojson_layer(
        shown,
        translate(lang, "Service areas"),
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


def _add_candidates(m: folium.Map, shown: gpd.GeoDataFrame, tips: list[str], lang: str) -> None:
    """Candidates not opened: hollow grey points, in the layer switcher but off at first."""
    geojson_layer(
        shown,
        translate(lang, "Candidate points (not opened)"),
        style=lambda _i: {
            "radius": 5,
            "color": CANDIDATE,
            "weight": 2,
            "fillColor": "#ffffff",
            "fillOpacity": 1.0,
        },
        tooltips=tips,
        marker=folium.CircleMarker(),
        show=False,  # dense: in the layer switcher, off at first
        className="gp-site-closed",
    ).add_to(m)


def _add_open_sites(
    m: folium.Map, shown: gpd.GeoDataFrame, tips: list[str], colors: list[str], lang: str
) -> None:
    """Open service points, filled green (existing) or blue (new)."""
    geojson_layer(
        shown,
        translate(lang, "Service points (open)"),
        style=lambda j: {
            "radius": 8,
            "color": "#ffffff",
            "weight": 2,
            "fillColor": colors[j],
            "fillOpacity": 1.0,
        },
        tooltips=tips,
        marker=folium.CircleMarker(),
        className="gp-site-open",
    ).add_to(m)


def _yes_no(value: bool, lang: str) -> str:
    _ = gettext(lang)
    return _("yes") if value else _("no")


def _worker_rows(wid: Any, row: pd.Series, lang: str) -> list[tuple[str, str]]:
    _ = gettext(lang)
    out = [(_("Id"), str(wid)), (_("Hired"), _yes_no(bool(row.get("hired", True)), lang))]
    if "grids" in row.index:
        out.append((_("Grids"), fmt_value(row["grids"])))
    return out


def _volunteer_rows(vid: Any, row: pd.Series, lang: str) -> list[tuple[str, str]]:
    _ = gettext(lang)
    out = [(_("Id"), str(vid)), (_("Selected"), _yes_no(bool(row.get("selected", True)), lang))]
    if "hours_assigned" in row.index:
        out.append((_("Hours assigned (per month)"), fmt_value(row["hours_assigned"])))
    return out


class _PeopleStyle(NamedTuple):
    """How a layer of people is drawn: their flag column, layer name, colour, tooltip rows."""

    flag: str
    name: str
    color: str
    rows: Callable[[Any, pd.Series, str], list[tuple[str, str]]]


def _add_people(
    m: folium.Map,
    people: gpd.GeoDataFrame,
    style: _PeopleStyle,
    gcj: bool,
    show_unselected: bool,
    lang: str,
    show: bool = True,
) -> None:
    chosen = _flag(people, style.flag).to_numpy()
    keep = chosen | show_unselected
    people = people[keep]
    chosen = chosen[keep]
    if not len(people):
        return
    shown = to_display(people, gcj02=gcj)
    names = names_by_id(people)
    tips = [
        tip_html(names.get(i, str(i)), style.rows(i, r, lang))
        for i, r in people.drop(columns=people.geometry.name).iterrows()
    ]
    color = style.color
    geojson_layer(
        shown,
        style.name,
        style=lambda i: {
            "radius": 4 if chosen[i] else 3,
            "color": color,
            "weight": 1.5,
            "fillColor": color if chosen[i] else "#ffffff",
            "fillOpacity": 1.0,
        },
        tooltips=tips,
        marker=folium.CircleMarker(),
        show=show,
        className="gp-person",
    ).add_to(m)


def _worker_link_rows(row: pd.Series, lang: str) -> list[tuple[str, str]]:
    return [(translate(lang, "Distance (m)"), fmt_value(row.get("distance_m")))]


def _volunteer_link_rows(row: pd.Series, lang: str) -> list[tuple[str, str]]:
    _ = gettext(lang)
    return [
        (_(label), fmt_value(row[c]))
        for c, label in [
            ("skill", N_("Skill")),
            ("hours_per_month", N_("Hours per month")),
            ("distance_m", N_("Distance (m)")),
        ]
        if c in row.index
    ]


class _LinkStyle(NamedTuple):
    """How a layer of links is drawn: its name, colour, dash pattern and tooltip rows."""

    name: str
    color: str
    dash: str
    rows: Callable[[pd.Series, str], list[tuple[str, str]]]


def _add_links(
    m: folium.Map,
    assignment: pd.DataFrame | None,
    id_col: str,
    people: gpd.GeoDataFrame,
    rep: gpd.GeoSeries,
    gcj: bool,
    style: _LinkStyle,
    lang: str,
    show: bool = True,
) -> None:
    if assignment is None or id_col not in assignment.columns or "grid" not in assignment.columns:
        return
    homes = to_display(people, gcj02=gcj).geometry
    names = names_by_id(people)
    lines, tips, skipped = [], [], []
    for _i, a in assignment.iterrows():
        pid, grid = a[id_col], a["grid"]
        if pid not in homes.index or grid not in rep.index:
            skipped.append((pid, grid))
            continue
        home, target = homes.loc[pid], rep.loc[grid]
        lines.append(LineString([(home.x, home.y), (target.x, target.y)]))
        tips.append(tip_html(f"{_label(names, pid)} → {grid}", style.rows(a, lang)))
    if skipped:
        warnings.warn(
            f"{style.name}: skipped {len(skipped)} link(s) whose person or grid is unknown, "
            f"e.g. {skipped[:3]}",
            stacklevel=4,
        )
    if not lines:
        return
    gdf = gpd.GeoDataFrame(geometry=lines, crs=4326)
    color, dash = style.color, style.dash
    geojson_layer(
        gdf,
        style.name,
        style=lambda _i: {"color": color, "weight": 2, "opacity": 0.8, "dashArray": dash or None},
        tooltips=tips,
        show=show,
        className="gp-link",
    ).add_to(m)


def _symbol_legend(sites: bool, workers: bool, volunteers: bool, lang: str = "en") -> str:
    _ = gettext(lang)

    def dot(fill: str, stroke: str, text: str) -> str:
        return (
            f'<div class="gp-legend-row"><i style="background:{fill};border-color:{stroke};'
            f'border-radius:50%;width:12px"></i>{esc(_(text))}</div>'
        )

    rows = [
        f'<div class="gp-legend-row"><i style="border:{w}px dashed {c};background:none">'
        f"</i>{esc(_(text))}</div>"
        for _lo, c, w, text in UNMET_GRADES
    ]
    if sites:
        rows += [
            dot(OPEN_EXISTING, "#fff", N_("service point, existing")),
            dot(OPEN_NEW, "#fff", N_("service point, new")),
            dot("#fff", CANDIDATE, N_("candidate, not opened")),
        ]
    if workers:
        rows.append(dot(WORKER, WORKER, N_("grid worker (home) and link")))
    if volunteers:
        rows.append(dot(VOLUNTEER, VOLUNTEER, N_("volunteer (home) and link")))
    return "".join(rows)


# Solver statuses, marked so the catalogue has them (shown translated in the summary box).
_STATUSES = (N_("optimal"), N_("feasible"))


def _summary_html(allocation: SupportsGrids, view: pd.DataFrame, lang: str = "en") -> str:
    _ = gettext(lang)
    parts: list[tuple[str, str]] = []
    status = getattr(allocation, "status", None)
    if status is not None:
        parts.append((_("Status"), _(str(status))))
    cost = getattr(allocation, "cost", None)
    total = cost.get("total") if isinstance(cost, Mapping) else cost
    budget = getattr(allocation, "budget", None)
    if total is not None:
        text = fmt_value(total)
        if budget:
            text = _("{cost} of {budget}").format(cost=text, budget=fmt_value(budget))
        parts.append((_("Cost (yuan per year)"), text))
    gap = getattr(allocation, "gap", None)
    if gap is not None:
        parts.append((_("Optimality gap"), fmt_value(gap, percent=True, digits=2)))
    if {"households", "households_served"} <= set(view.columns):
        hh, served = float(view["households"].sum()), float(view["households_served"].sum())
        share = f" ({served / hh:.1%})" if hh else ""
        text = _("{part} of {whole}").format(part=f"{served:,.0f}", whole=f"{hh:,.0f}")
        parts.append((_("Households served"), text + share))
    if "unmet_hours" in view.columns:
        parts.append((_("Unmet volunteer hours"), fmt_value(float(view["unmet_hours"].sum()))))
    if not parts:
        return ""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in parts)
    return f'<div class="gp-tip"><table>{body}</table></div>'
