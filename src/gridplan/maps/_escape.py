"""Escaping user text for the HTML and JavaScript folium writes.

folium puts tooltip and popup text into the page with ``innerHTML`` and, for
``folium.Tooltip``/``folium.Popup``, inside a JavaScript template literal, so
plain :func:`html.escape` is not enough: a backtick, ``${`` or a backslash would
still break out of the literal. :func:`esc` also encodes those three as HTML
character references, which render as the same characters once the browser
parses the HTML, so one escaped string is safe in HTML text, in a quoted
attribute and inside a template literal.

>>> esc("<img src=x onerror=alert(1)>")
'&lt;img src=x onerror=alert(1)&gt;'
>>> esc("`${x}`")
'&#96;&#36;{x}&#96;'
"""

from __future__ import annotations

import contextlib
import html
import math
from typing import Any

__all__ = ["esc", "fmt_value"]

_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def esc(value: Any) -> str:
    """Return ``str(value)`` escaped for HTML, attributes and JS template literals."""
    return html.escape(str(value), quote=True).translate(_EXTRA)


def fmt_value(value: Any, percent: bool = False, signed: bool = False, digits: int = 1) -> str:
    """Format a cell for people: thousands separators, percents, '–' for missing.

    The result is *not* escaped; pass it through :func:`esc` before use in HTML.

    >>> fmt_value(1234.0), fmt_value(0.0321, percent=True, signed=True), fmt_value(float("nan"))
    ('1,234', '+3.2%', '–')
    """
    if value is None:
        return "–"
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        with contextlib.suppress(ValueError, AttributeError):
            value = value.item()  # numpy scalar -> Python scalar
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "–"
        if percent:
            sign = "+" if signed else ""
            return f"{value * 100:{sign}.{digits}f}%"
        if isinstance(value, int) or float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.{digits if abs(value) >= 1 else 3}f}"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)
