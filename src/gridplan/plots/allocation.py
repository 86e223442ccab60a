"""Static map of an allocation for reports: :func:`plot_allocation`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from gridplan._display import allocation_grids, allocation_part, require_frame
from gridplan._types import SupportsGrids
from gridplan.i18n import gettext
from gridplan.plots._mpl import require_matplotlib, with_fonts
from gridplan.plots.plan import label_grids

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from pyproj import CRS

__all__ = ["plot_allocation"]

OPEN_EXISTING, OPEN_NEW, CANDIDATE = "#1b7837", "#2166ac", "#969696"
WORKER, VOLUNTEER, UNMET = "#e66101", "#5e3c99", "#d7191c"


def _flag(df: pd.DataFrame, column: str, default: bool) -> np.ndarray:
    if column not in df.columns:
        return np.full(len(df), default)
    return df[column].fillna(False).astype(bool).to_numpy()


def _links(
    assignment: Any, id_col: str, people: gpd.GeoDataFrame, rep: gpd.GeoSeries
) -> list[list[tuple[float, float]]]:
    if assignment is None or id_col not in assignment.columns or "grid" not in assignment.columns:
        return []
    out = []
    for pid, grid in zip(assignment[id_col], assignment["grid"], strict=True):
        if pid in people.index and grid in rep.index:
            a, b = people.geometry.loc[pid], rep.loc[grid]
            out.append([(a.x, a.y), (b.x, b.y)])
    return out


@with_fonts
def plot_allocation(
    allocation: SupportsGrids,
    ax: Axes | None = None,
    *,
    labels: bool = False,
    radii: bool = True,
    links: bool = True,
    title: str | None = None,
    figsize: tuple[float, float] = (9.0, 8.0),
    lang: str = "en",
) -> Axes:
    """Draw coverage per grid, service points and radii, workers, volunteers and links.

    Grids are shaded by ``coverage`` (0–100 %) and outlined red where need is
    unmet. Open service points: green squares (existing) or blue circles
    (new); candidates not opened: hollow grey circles; dashed circles show the
    service radii. Hired workers (orange triangles) and selected volunteers (purple) are
    joined to the grids they serve (candidates not chosen are left out here;
    the interactive map shows them). Accepts any object with ``Allocation``'s
    attributes. Returns the Axes. ``lang="zh"``: title and legend in Chinese.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from types import SimpleNamespace
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"coverage": [0.5]}, geometry=[box(0, 0, 100, 100)], crs=32651)
    >>> ax = plot_allocation(SimpleNamespace(grids=g))
    """
    plt = require_matplotlib()
    gettext(lang)  # an unknown language is an error before anything is drawn
    grids = allocation_grids(allocation)
    if grids.crs is not None and grids.crs.is_geographic:
        # Radii are metres: draw in a local metric projection.
        grids = grids.to_crs(grids.estimate_utm_crs())
    if ax is None:
        _fig, ax = plt.subplots(figsize=figsize)
    handles = _draw_grids(ax, grids, lang)
    if links:
        handles += _draw_links(ax, allocation, grids, lang)
    sites = allocation_part(allocation, "sites")
    if sites is not None:
        sites = _in_crs(require_frame(sites, "allocation.sites"), grids.crs)
        handles += _draw_sites(ax, sites, radii, lang)
    handles += _draw_people(ax, allocation, grids.crs, lang)
    if labels:
        label_grids(ax, grids)
    if handles:
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.25, 1.0), fontsize=8, frameon=False
        )
    ax.set_axis_off()
    ax.set_title(title if title is not None else _title(allocation, grids, lang))
    return ax


def _in_crs(gdf: gpd.GeoDataFrame, crs: CRS | None) -> gpd.GeoDataFrame:
    """``gdf`` in the drawing's CRS (as it is when either CRS is unknown)."""
    return gdf.to_crs(crs) if crs is not None and gdf.crs is not None else gdf


def _draw_grids(ax: Axes, grids: gpd.GeoDataFrame, lang: str) -> list[Artist]:
    """Grids shaded by coverage (grey without it), outlined red where need is unmet."""
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.patches import Patch
    from matplotlib.pyplot import get_cmap
    from matplotlib.ticker import PercentFormatter

    _ = gettext(lang)
    if "coverage" in grids.columns:
        # The light part of YlGnBu (as on the interactive map): marks stay visible on top.
        light = LinearSegmentedColormap.from_list(
            "gridplan_coverage", get_cmap("YlGnBu")(np.linspace(0.0, 0.65, 256))
        )
        grids.plot(
            column="coverage",
            ax=ax,
            cmap=light,
            vmin=0.0,
            vmax=1.0,
            edgecolor="white",
            linewidth=0.8,
            legend=True,
            legend_kwds={
                "label": _("Coverage"),
                "shrink": 0.6,
                "format": PercentFormatter(1.0, decimals=0),
            },
            missing_kwds={"color": "#d9d9d9"},
        )
    else:
        grids.plot(ax=ax, color="#e0e0e0", edgecolor="white", linewidth=0.8)
    unmet = _unmet(grids)
    if not unmet.any():
        return []
    # Outline only: when most grids fall short, hatching would hide the coverage.
    grids[unmet].boundary.plot(ax=ax, color=UNMET, linewidth=1.2, zorder=2)
    return [Patch(facecolor="none", edgecolor=UNMET, linewidth=1.2, label=_("unmet need"))]


def _draw_links(
    ax: Axes, allocation: SupportsGrids, grids: gpd.GeoDataFrame, lang: str
) -> list[Artist]:
    """Lines from each worker's and volunteer's home to the grids they serve."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    _ = gettext(lang)
    handles: list[Artist] = []
    rep = grids.geometry.representative_point()
    link_styles: tuple[tuple[str, str, str, Literal["-", ":"], str], ...] = (
        ("workers", "worker_id", WORKER, "-", _("worker → grid")),
        ("volunteers", "volunteer_id", VOLUNTEER, ":", _("volunteer → grid")),
    )
    for part, id_col, color, style, text in link_styles:
        people = allocation_part(allocation, part)
        if people is None:
            continue
        segs = _links(
            allocation_part(allocation, part.rstrip("s") + "_assignment"),
            id_col,
            _in_crs(people, grids.crs),
            rep,
        )
        if segs:
            ax.add_collection(
                LineCollection(
                    segs, colors=color, linestyles=style, linewidths=0.8, alpha=0.6, zorder=3
                )
            )
            handles.append(Line2D([], [], color=color, linestyle=style, label=text))
    return handles


def _draw_sites(ax: Axes, sites: gpd.GeoDataFrame, radii: bool, lang: str) -> list[Artist]:
    """Service radii (dashed), candidates not opened, existing and new service points."""
    from matplotlib.lines import Line2D

    _ = gettext(lang)
    handles: list[Artist] = []
    opened = _flag(sites, "open", True)
    existing = _flag(sites, "existing", False)
    if radii and "radius_m" in sites.columns and opened.any():
        circles = sites[opened].geometry.buffer(sites.loc[opened, "radius_m"].astype(float))
        circles.boundary.plot(ax=ax, color=OPEN_NEW, linestyle="--", linewidth=0.8, zorder=4)
        handles.append(Line2D([], [], color=OPEN_NEW, linestyle="--", label=_("service radius")))
    for mask, marker, face, edge, text in (
        (~opened, "o", "white", CANDIDATE, _("candidate, not opened")),
        (opened & existing, "s", OPEN_EXISTING, "white", _("service point, existing")),
        (opened & ~existing, "o", OPEN_NEW, "white", _("service point, new")),
    ):
        if not mask.any():
            continue
        pts = sites[mask].geometry
        ax.scatter(
            pts.x, pts.y, s=70, marker=marker, c=face, edgecolors=edge, linewidths=1.5, zorder=5
        )
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                linestyle="",
                markerfacecolor=face,
                markeredgecolor=edge,
                markersize=8,
                label=text,
            )
        )
    return handles


def _draw_people(ax: Axes, allocation: SupportsGrids, crs: CRS | None, lang: str) -> list[Artist]:
    """Hired workers and selected volunteers at home (only people in the plan)."""
    from matplotlib.lines import Line2D

    _ = gettext(lang)
    handles: list[Artist] = []
    for part, flag, marker, color, size, text in (
        ("workers", "hired", "^", WORKER, 30, _("grid worker (home)")),
        ("volunteers", "selected", "v", VOLUNTEER, 14, _("volunteer (home)")),
    ):
        people = allocation_part(allocation, part)
        if people is None:
            continue
        people = _in_crs(require_frame(people, f"allocation.{part}"), crs)
        chosen = _flag(people, flag, True)
        if not chosen.any():
            continue
        # Only people in the plan: candidates not chosen would crowd a printed page.
        pts = people.geometry[chosen]
        ax.scatter(pts.x, pts.y, s=size, marker=marker, c=color, linewidths=0, zorder=6)
        handles.append(Line2D([], [], marker=marker, linestyle="", color=color, label=text))
    return handles


def _unmet(grids: pd.DataFrame) -> np.ndarray:
    if "unmet_hours" in grids.columns:
        return (grids["unmet_hours"].fillna(0).astype(float) > 1e-9).to_numpy()
    if "coverage" in grids.columns:
        return (grids["coverage"].fillna(0).astype(float) < 1 - 1e-9).to_numpy()
    return np.zeros(len(grids), dtype=bool)


def _title(allocation: SupportsGrids, grids: pd.DataFrame, lang: str = "en") -> str:
    _ = gettext(lang)
    parts = []
    status = getattr(allocation, "status", None)
    if status is not None:
        parts.append(_(str(status)))
    cost = getattr(allocation, "cost", None)
    total = cost.get("total") if isinstance(cost, Mapping) else cost
    budget = getattr(allocation, "budget", None)
    if total is not None:
        parts.append(
            _("cost {cost} of {budget}").format(
                cost=f"{float(total):,.0f}", budget=f"{budget:,.0f}"
            )
            if budget
            else _("cost {cost}").format(cost=f"{float(total):,.0f}")
        )
    if {"households", "households_served"} <= set(grids.columns):
        hh = float(grids["households"].sum())
        if hh:
            share = f"{float(grids['households_served'].sum()) / hh:.0%}"
            parts.append(_("{share} of households served").format(share=share))
    return _("Allocation") + (": " + ", ".join(parts) if parts else "")
