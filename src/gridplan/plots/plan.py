"""Static map of a grid plan for reports: :func:`plot_plan`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from gridplan._display import require_frame
from gridplan.division.codes import short_labels
from gridplan.errors import ColumnError
from gridplan.i18n import N_, column_label, gettext
from gridplan.plots._mpl import require_matplotlib, with_fonts

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["label_grids", "plot_plan"]

_TITLES = {"deviation": N_("Deviation from target"), "coverage": N_("Coverage")}


def label_grids(ax: Axes, grids: gpd.GeoDataFrame, fontsize: float | None = None) -> None:
    """Write each grid code, less the parent prefix all share, at a point inside the grid."""
    pts = grids.geometry.representative_point()
    labels = short_labels(grids.index)
    longest = max((len(t) for t in labels), default=1)
    size = fontsize or float(np.clip(min(90 / np.sqrt(len(grids)), 110 / longest), 4, 9))
    for text, p in zip(labels, pts, strict=True):
        ax.annotate(
            text,
            (p.x, p.y),
            ha="center",
            va="center",
            fontsize=size,
            color="#222222",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.6},
        )


@with_fonts
def plot_plan(
    grids: gpd.GeoDataFrame,
    column: str | None = "deviation",
    ax: Axes | None = None,
    *,
    labels: bool = True,
    parents: gpd.GeoDataFrame | None = None,
    kind: Literal["diverging", "sequential", "categorical"] | None = None,
    cmap: str | None = None,
    title: str | None = None,
    figsize: tuple[float, float] = (8.0, 8.0),
    lang: str = "en",
) -> Axes:
    """Draw the grids coloured by ``column`` (matplotlib), for reports.

    ``deviation`` (and any column with values on both sides of 0) uses a
    diverging blue–red scale centred on 0 with a percentage colour bar; other
    numbers a sequential scale; text columns one colour per category. Grid
    codes are written inside the grids, ``parents`` drawn as thick outlines.
    Returns the Axes (``ax.figure`` is the figure). ``lang="zh"`` writes the
    title and legends in Chinese (a CJK font is picked automatically; without
    one a warning says how to install it).

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"deviation": [-0.05, 0.04]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], index=pd.Index(["G1", "G2"], name="grid"))
    >>> ax = plot_plan(g)
    >>> len(ax.collections) >= 1
    True
    """
    plt = require_matplotlib()
    _ = gettext(lang)
    grids = require_frame(grids, "grids")
    if column is not None and column not in grids.columns:
        raise ColumnError(
            f"grids has no column {column!r}; it has: {', '.join(map(str, grids.columns))}"
        )
    if ax is None:
        _fig, ax = plt.subplots(figsize=figsize)
    if column is None:
        grids.plot(ax=ax, color="#9ecae1", edgecolor="white", linewidth=0.8)
    else:
        kind = _kind(grids[column], column) if kind is None else kind
        label = _(_TITLES[column]) if column in _TITLES else column_label(column, lang)
        missing = {"color": "#d9d9d9", "label": _("no data")}
        common = {"ax": ax, "edgecolor": "white", "linewidth": 0.8, "missing_kwds": missing}
        if kind == "categorical":
            _draw_categories(grids, column, label, cmap, common)
        else:
            _draw_scale(grids, column, label, kind, cmap, common)
    if parents is not None:
        parents = require_frame(parents, "parents")
        if grids.crs is not None and parents.crs is not None:
            parents = parents.to_crs(grids.crs)
        parents.boundary.plot(ax=ax, color="#222222", linewidth=2.0)
    if labels:
        label_grids(ax, grids)
    ax.set_axis_off()
    ax.set_title(title if title is not None else _default_title(grids, column, lang))
    return ax


Kind = Literal["diverging", "sequential", "categorical"]


def _kind(values: pd.Series, column: str) -> Kind:
    """Text: categorical; deviation or values on both sides of 0: diverging; else sequential."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric:
        return "categorical"
    finite = values[np.isfinite(values.astype(float))]
    both = len(finite) and finite.min() < 0 < finite.max()
    return "diverging" if column == "deviation" or both else "sequential"


def _draw_categories(
    grids: gpd.GeoDataFrame, column: str, label: str, cmap: str | None, common: dict[str, Any]
) -> None:
    """One colour per category, the legend to the right of the map."""
    grids.plot(
        column=column,
        categorical=True,
        cmap=cmap or "tab20",
        legend=True,
        legend_kwds={
            "title": label,
            "loc": "upper left",
            "bbox_to_anchor": (1.0, 1.0),
            "fontsize": 8,
        },
        **common,
    )


def _draw_scale(
    grids: gpd.GeoDataFrame,
    column: str,
    label: str,
    kind: Kind,
    cmap: str | None,
    common: dict[str, Any],
) -> None:
    """A colour scale: diverging centred on 0, or sequential; a percent bar for shares."""
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.ticker import PercentFormatter

    vals = grids[column].astype(float)
    legend_kwds: dict[str, Any] = {"label": label, "shrink": 0.6}
    if column in ("deviation", "coverage"):
        legend_kwds["format"] = PercentFormatter(1.0, decimals=0)
    scale: dict[str, Any] = {}
    if kind == "diverging":
        half = float(np.nanmax(np.abs(vals))) or 1e-9
        scale["norm"] = TwoSlopeNorm(vcenter=0.0, vmin=-half, vmax=half)
    # geopandas takes an explicit norm=None as "no range": the colour bar then
    # reads 0-1 whatever the data. Pass norm only when there is one.
    grids.plot(
        column=column,
        cmap=cmap or ("RdBu_r" if kind == "diverging" else "YlGnBu"),
        **scale,
        legend=True,
        legend_kwds=legend_kwds,
        **common,
    )


def _default_title(grids: gpd.GeoDataFrame, column: str | None, lang: str = "en") -> str:
    _ = gettext(lang)
    text = _("{n} grids").format(n=len(grids))
    if column == "deviation":
        dev = grids[column].astype(float)
        text += " — " + _("deviation {low} to {high}").format(
            low=f"{dev.min():+.1%}", high=f"{dev.max():+.1%}"
        )
    elif column is not None:
        text += " — " + (_(_TITLES[column]) if column in _TITLES else column_label(column, lang))
    return text
