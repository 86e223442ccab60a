"""Colour scales and their legends for map layers.

Diverging (blue–white–red, centred on 0) for signed columns such as
``deviation``; sequential (yellow–green–blue) for other numbers; a qualitative
palette for categories. Colours come from branca (a folium dependency); the
legend is our own small HTML block, because branca's legend loads d3 from a
CDN and would not work offline.

>>> import pandas as pd
>>> scale = color_scale(pd.Series([-0.1, 0.0, 0.1]), "deviation")
>>> scale.kind, scale.color(0.0)
('diverging', '#f7f7f7')
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from branca.colormap import LinearColormap, linear

from gridplan.errors import ConfigError
from gridplan.i18n import column_label, translate
from gridplan.maps._escape import esc, fmt_value

__all__ = ["MISSING_COLOR", "ColorScale", "color_scale"]


def _hex(rgba: tuple[float, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in rgba[:3]))


Kind = Literal["diverging", "sequential", "categorical"]
MISSING_COLOR = "#bdbdbd"
_MAX_CATEGORIES_IN_LEGEND = 15
_SCHEMES: Any = linear  # branca creates the scheme attributes at run time
_DIVERGING = list(reversed(_SCHEMES.RdBu_11.colors))  # blue = under target, red = over
_SEQUENTIAL = list(_SCHEMES.YlGnBu_09.colors)[:7]  # darkest blues hide the labels
_CATEGORICAL = [_hex(c) for c in _SCHEMES.Paired_12.colors]


@dataclass
class ColorScale:
    """A value → colour mapping with the legend that explains it."""

    kind: Kind
    color: Callable[[Any], str]
    legend_html: str


def _is_missing(v: Any) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def color_scale(
    values: pd.Series,
    title: str,
    kind: Kind | None = None,
    percent: bool | None = None,
    lang: str = "en",
) -> ColorScale:
    """Choose and build a colour scale for ``values``.

    ``kind`` defaults to categorical for non-numeric data, diverging for a
    column named ``deviation`` or numbers on both sides of 0, else sequential.
    ``percent`` (shown as %) defaults to True for ``deviation``/``coverage``.
    The legend names the column readably in ``lang`` (:func:`gridplan.i18n.column_label`).
    """
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if kind is None:
        if not numeric:
            kind = "categorical"
        else:
            finite = values[np.isfinite(values.astype(float))]
            both_signs = len(finite) and finite.min() < 0 < finite.max()
            kind = "diverging" if title == "deviation" or both_signs else "sequential"
    if kind not in ("diverging", "sequential", "categorical"):
        raise ConfigError(f"kind must be 'diverging', 'sequential' or 'categorical', got {kind!r}")
    if kind != "categorical" and not numeric:
        raise ConfigError(f"column {title!r} is not numeric, so it cannot use a {kind} scale")
    if percent is None:
        percent = title in ("deviation", "coverage")
    has_missing = bool(values.map(_is_missing).any())
    heading, no_data = column_label(title, lang), translate(lang, "no data")
    if kind == "categorical":
        return _categorical(values, heading, has_missing, no_data)
    return _numeric(values.astype(float), heading, kind, percent, has_missing, no_data)


def _numeric(
    values: pd.Series, title: str, kind: Kind, percent: bool, missing: bool, no_data: str
) -> ColorScale:
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if kind == "diverging":
        half = max(abs(lo), abs(hi)) or 1e-9
        lo, hi, colors = -half, half, _DIVERGING
    else:
        colors = _SEQUENTIAL
        if percent and lo >= 0 and hi <= 1:
            lo, hi = 0.0, 1.0  # shares: a fixed 0–100 % scale compares maps and shows 100 % as full
        if hi <= lo:
            hi = lo + 1e-9
    cmap = LinearColormap([_hex(c) for c in colors], vmin=lo, vmax=hi)

    def color(v: Any) -> str:
        if _is_missing(v) or not math.isfinite(float(v)):
            return MISSING_COLOR
        return cmap.rgb_hex_str(min(max(float(v), lo), hi))

    signed = kind == "diverging"
    ticks = [lo, (lo + hi) / 2, hi]
    stops = ", ".join(_hex(c) for c in colors)
    labels = "".join(
        f"<span>{esc(fmt_value(t, percent=percent, signed=signed))}</span>" for t in ticks
    )
    html = (
        f'<div class="gp-legend-title">{esc(title)}</div>'
        f'<div class="gp-legend-bar" style="background:linear-gradient(to right, {stops})"></div>'
        f'<div class="gp-legend-ticks">{labels}</div>'
    )
    if missing:
        html += _swatch(MISSING_COLOR, no_data)
    return ColorScale(kind=kind, color=color, legend_html=html)


def _swatch(color: str, text: str) -> str:
    return f'<div class="gp-legend-row"><i style="background:{color}"></i>{esc(text)}</div>'


def _categorical(values: pd.Series, title: str, missing: bool, no_data: str) -> ColorScale:
    cats = [v for v in pd.unique(values) if not _is_missing(v)]
    try:
        cats = sorted(cats)
    except TypeError:
        cats = sorted(cats, key=str)
    lookup = {c: _CATEGORICAL[i % len(_CATEGORICAL)] for i, c in enumerate(cats)}

    def color(v: Any) -> str:
        if _is_missing(v):
            return MISSING_COLOR
        return lookup.get(v, MISSING_COLOR)

    shown = cats[:_MAX_CATEGORIES_IN_LEGEND]
    rows = "".join(_swatch(lookup[c], fmt_value(c)) for c in shown)
    if len(cats) > len(shown):
        rows += f'<div class="gp-legend-row">… +{len(cats) - len(shown)}</div>'
    if missing:
        rows += _swatch(MISSING_COLOR, no_data)
    html = f'<div class="gp-legend-title">{esc(title)}</div>{rows}'
    return ColorScale(kind="categorical", color=color, legend_html=html)
