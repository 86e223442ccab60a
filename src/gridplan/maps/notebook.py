"""Show a folium map inside Jupyter without loading anything from the internet.

folium's own notebook display points the page at CDNs for Leaflet, jQuery and
Bootstrap, so on an offline machine (or a network that blocks them) the cell
stays blank. :func:`show` renders the map the way :func:`~gridplan.maps.save_html`
writes it -- every script and stylesheet inlined, element ids numbered
deterministically, UTF-8 declared -- and puts the page into an
``<iframe srcdoc="...">``. The whole page is attribute-escaped, so text from
the data (already escaped by the map builders) cannot leave the iframe, and
the iframe is sandboxed: the map's scripts run, but cannot reach the notebook.

IPython is not needed: the returned object has ``_repr_html_``, which Jupyter
calls when the object is the last expression of a cell.

>>> import folium
>>> from gridplan.maps import show
>>> frame = show(folium.Map(tiles=None), height=400)
>>> frame.height
400
>>> html_out = frame._repr_html_()
>>> html_out.startswith("<div") and "<iframe srcdoc=" in html_out
True
>>> "<script src=" in frame.document  # Leaflet is inlined, not fetched
False
"""

from __future__ import annotations

import html
import math
import numbers
import re
from typing import Any

from gridplan.errors import ConfigError, GridplanError
from gridplan.maps.save import inline_assets, number_elements, stable_ids

__all__ = ["MapFrame", "show"]

_CHARSET_RE = re.compile(r"""(?i)<meta[^>]+charset\s*=\s*["']?utf-8""")


def _render_page(m: Any) -> str:
    """The map as one offline HTML page (the text :func:`save_html` would write)."""
    root = m.get_root() if hasattr(m, "get_root") else m
    if not hasattr(root, "render"):
        raise GridplanError(
            f"show needs a folium map (e.g. plan.explore()), got {type(m).__name__}"
        )
    number_elements(root)  # as save_html: page names equal get_name(), stable between runs
    page = stable_ids(inline_assets(root.render()))
    if not _CHARSET_RE.search(page):
        page = page.replace("<head>", '<head>\n<meta charset="utf-8">', 1)
    return page


class MapFrame:
    """An offline map page displayed in a sandboxed ``<iframe srcdoc>``.

    Jupyter shows it through :meth:`_repr_html_`; :attr:`document` is the
    full page (the same text :func:`~gridplan.maps.save_html` would write).

    >>> frame = MapFrame("<html><body>网格</body></html>", height=300)
    >>> frame._repr_html_().count("&lt;body&gt;网格")
    1
    """

    def __init__(self, document: str, height: int = 600) -> None:
        self.document = document
        self.height = height

    def _repr_html_(self) -> str:
        """The iframe, with the page attribute-escaped into ``srcdoc``."""
        srcdoc = html.escape(self.document, quote=True)
        return (
            '<div style="width:100%;">'
            f'<iframe srcdoc="{srcdoc}" sandbox="allow-scripts" '
            f'style="width:100%;height:{self.height}px;border:1px solid #ddd;" '
            'title="gridplan map"></iframe>'
            "</div>"
        )

    def __repr__(self) -> str:
        return f"<MapFrame: {len(self.document):,} characters, height {self.height}px>"


def show(m: Any, height: int = 600) -> MapFrame:
    """Display a folium map (``plan.explore()``, ``alloc.explore()``) in a notebook, offline.

    Parameters
    ----------
    m
        A ``folium.Map`` (or any branca element with ``get_root().render()``).
    height
        Height of the map in pixels; the width follows the notebook.

    Returns
    -------
    MapFrame
        Shows itself when it is the last expression of a cell (or pass it to
        ``IPython.display.display``). Nothing is fetched from the internet:
        Leaflet and the map's styles are inlined, and with ``tiles=None`` (the
        default of gridplan's maps) there is no base map to load either.

    Examples
    --------
    >>> import folium
    >>> from gridplan.maps import show
    >>> show(folium.Map(tiles=None))  # doctest: +ELLIPSIS
    <MapFrame: ... characters, height 600px>
    """
    if (
        isinstance(height, bool)
        or not isinstance(height, numbers.Real)
        or not math.isfinite(height)
        or height <= 0
    ):
        raise ConfigError(f"height={height!r}: give the map height in pixels, e.g. 600.")
    return MapFrame(_render_page(m), height=int(height))
