"""The budget–objective curve of a budget sweep: :func:`budget_curve`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridplan.errors import ColumnError, InputError
from gridplan.i18n import N_, column_label, gettext
from gridplan.plots._mpl import require_matplotlib, with_fonts

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

__all__ = ["budget_curve", "pareto_mask"]


def pareto_mask(budget: np.ndarray, objective: np.ndarray, maximize: bool = True) -> np.ndarray:
    """True where no other point reaches a better objective for no more budget.

    >>> pareto_mask(np.array([1, 2, 3]), np.array([5.0, 4.0, 6.0])).tolist()
    [True, False, True]
    """
    obj = objective if maximize else -objective
    keep = np.ones(len(budget), dtype=bool)
    for i in range(len(budget)):
        cheaper_or_equal = budget <= budget[i]
        better = obj > obj[i]
        as_good_cheaper = (obj >= obj[i]) & (budget < budget[i])
        keep[i] = not np.any(cheaper_or_equal & better) and not np.any(as_good_cheaper)
    return keep


@with_fonts
def budget_curve(
    sweep: pd.DataFrame,
    ax: Axes | None = None,
    *,
    x: str = "budget",
    y: str = "objective",
    secondary: Sequence[str] | None = None,
    maximize: bool = True,
    title: str | None = N_("What each budget buys"),
    figsize: tuple[float, float] = (8.0, 5.0),
    lang: str = "en",
) -> Axes:
    """Plot objective against budget, marking the efficient (Pareto) points.

    Filled markers are efficient points; hollow ones are dominated (another
    budget at most as large does at least as well). ``secondary`` columns
    (default: names containing "coverage" or ending in "_share", such as
    ``households_served_share`` of ``budget_sweep``) go on a right-hand axis,
    as percentages when they are fractions. Rows with a missing objective
    (e.g. infeasible budgets) are skipped. ``lang="zh"``: labels and the
    default title in Chinese. Returns the left Axes.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> s = pd.DataFrame({"budget": [1, 2, 3], "objective": [10, 15, 16], "coverage": [.5, .8, .9]})
    >>> ax = budget_curve(s)
    >>> ax.get_xlabel()
    'Budget'
    """
    plt = require_matplotlib()
    from matplotlib.ticker import FuncFormatter

    _ = gettext(lang)
    secondary = _secondary_columns(sweep, x, y, secondary)
    data = sweep.dropna(subset=[x, y]).sort_values(x)
    if data.empty:
        raise InputError("sweep has no row with both a budget and an objective to plot")
    if ax is None:
        _fig, ax = plt.subplots(figsize=figsize)
    bx = data[x].to_numpy(dtype=float)
    _draw_objective(ax, bx, data[y].to_numpy(dtype=float), y, maximize, lang)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_xlabel(column_label(x, lang))
    ax.set_ylabel(column_label(y, lang))
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if secondary:
        h2, l2 = _draw_secondary(ax, bx, data, secondary, lang)
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="lower right", fontsize=8)
    if title:
        ax.set_title(_(title))
    return ax


def _secondary_columns(
    sweep: pd.DataFrame, x: str, y: str, secondary: Sequence[str] | None
) -> list[str]:
    """Check the sweep has ``x`` and ``y``; the right-hand columns (given or found)."""
    if not isinstance(sweep, pd.DataFrame):
        raise InputError(f"sweep must be a DataFrame, got {type(sweep).__name__}")
    missing = [c for c in (x, y) if c not in sweep.columns]
    if missing:
        raise ColumnError(
            f"sweep lacks column(s) {', '.join(map(repr, missing))}; it has: "
            f"{', '.join(map(str, sweep.columns))}"
        )
    if secondary is None:
        return [
            c
            for c in sweep.columns
            if c not in (x, y) and ("coverage" in str(c).lower() or str(c).endswith("_share"))
        ]
    bad = [c for c in secondary if c not in sweep.columns]
    if bad:
        raise ColumnError(f"sweep lacks secondary column(s) {', '.join(map(repr, bad))}")
    return list(secondary)


def _draw_objective(
    ax: Axes, bx: np.ndarray, by: np.ndarray, y: str, maximize: bool, lang: str
) -> None:
    """Efficient points joined by a line (filled), dominated ones hollow."""
    _ = gettext(lang)
    eff = pareto_mask(bx, by, maximize=maximize)
    ax.plot(bx[eff], by[eff], "-", color="#2166ac", linewidth=2, zorder=2)
    ax.plot(
        bx[eff],
        by[eff],
        "o",
        color="#2166ac",
        label=_("{y} (efficient)").format(y=column_label(y, lang)),
        zorder=3,
    )
    if (~eff).any():
        ax.plot(
            bx[~eff],
            by[~eff],
            "o",
            mfc="white",
            mec="#2166ac",
            label=_("{y} (dominated)").format(y=column_label(y, lang)),
            zorder=3,
        )


def _draw_secondary(
    ax: Axes, bx: np.ndarray, data: pd.DataFrame, secondary: Sequence[str], lang: str
) -> tuple[list[Artist], list[str]]:
    """The ``secondary`` columns on a right-hand axis (percent when all are fractions)."""
    from matplotlib.ticker import PercentFormatter

    ax2 = ax.twinx()
    colors = ["#1b7837", "#e66101", "#5e3c99", "#762a83"]
    fractions = True
    for i, col in enumerate(secondary):
        vals = data[col].to_numpy(dtype=float)
        fractions &= bool(np.nanmax(np.abs(vals)) <= 1.0 + 1e-9) if len(vals) else True
        ax2.plot(
            bx,
            vals,
            "s--",
            color=colors[i % len(colors)],
            markersize=4,
            label=column_label(col, lang),
        )
    if fractions:
        ax2.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax2.set_ylabel(", ".join(column_label(c, lang) for c in secondary))
    return ax2.get_legend_handles_labels()
