"""Write a map as ONE self-contained HTML file that works offline.

folium's page loads Leaflet (and, unless a map opts out, jQuery, Bootstrap,
Font Awesome…) from CDNs, so on a machine without internet it shows nothing.
:func:`save_html` renders the page, replaces every external ``<script src>``
and stylesheet ``<link>`` with the same file's text, taken at save time from
the assets bundled with the installed ``folium-offline`` package (module
``offlinefolium``), and removes, with a warning, any reference it cannot
inline. ``url(...)`` references inside inlined CSS (icon images, web fonts)
are dropped for the same reason. Nothing is fetched from the network.
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from pathlib import Path
from typing import Any

from gridplan.errors import GridplanError
from gridplan.io.atomic import write_text

__all__ = ["inline_assets", "number_elements", "save_html", "stable_ids"]

_SCRIPT_RE = re.compile(
    r"""<script\b[^>]*?\bsrc\s*=\s*["']([^"']+)["'][^>]*>\s*</script\s*>""", re.I | re.S
)
_LINK_RE = re.compile(r"""<link\b[^>]*>""", re.I | re.S)
_HREF_RE = re.compile(r"""\bhref\s*=\s*["']([^"']+)["']""", re.I)
_REL_STYLESHEET_RE = re.compile(r"""\brel\s*=\s*["']?stylesheet""", re.I)
_CSS_URL_RE = re.compile(r"""url\(\s*(?!["']?data:)[^)]*\)""", re.I)
_VERSION_RE = re.compile(r"@\d[^/]*")
_CLOSE_SCRIPT_RE = re.compile(r"</(script)", re.I)
_CLOSE_STYLE_RE = re.compile(r"</(style)", re.I)
# folium names every element "<kind>_<uuid4 hex>"; random names would make two saves
# of the same map differ, so they are renumbered in order of first appearance.
_ELEMENT_ID_RE = re.compile(
    r"\b([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*?)_([0-9a-f]{32})(?![0-9a-f])"
)


def number_elements(root: Any) -> None:
    """Give every element under ``root`` a sequential id, breadth first.

    Run before rendering, so the names in the page (``map_000001``) are the
    names Python reports (``m.get_name()``) and do not change between runs.
    """
    counter = 0
    queue, seen = [root], set()
    while queue:
        element = queue.pop(0)
        if id(element) in seen:
            continue
        seen.add(id(element))
        if hasattr(element, "_id"):
            counter += 1
            element._id = f"{counter:06d}"
        queue.extend(getattr(element, "_children", {}).values())


def stable_ids(html: str) -> str:
    """Replace random element ids left in rendered HTML by sequential ones.

    Elements created while rendering escape :func:`number_elements`; this
    catches them (``r00001``…, so they cannot collide with its numbers).

    >>> h = "0123456789abcdef" * 2
    >>> stable_ids(f"map_{h}.addTo(map_{h}); x_{h[::-1]}_styler(map_{h})")
    'map_r00001.addTo(map_r00001); x_r00002_styler(map_r00001)'
    """
    seen: dict[str, str] = {}

    def repl(match: re.Match[str]) -> str:
        new = seen.setdefault(match.group(2), f"r{len(seen) + 1:05d}")
        return f"{match.group(1)}_{new}"

    return _ELEMENT_ID_RE.sub(repl, html)


@functools.lru_cache(maxsize=1)
def _bundled_assets() -> dict[str, str]:
    """URL → file text for the web assets shipped inside ``offlinefolium``."""
    try:
        from offlinefolium.elements import _res
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise GridplanError(
            "saving an offline map needs the 'folium-offline' package (it carries Leaflet's "
            "files): pip install folium-offline"
        ) from exc
    return dict(_res)


def _strip_version(url: str) -> str:
    return _VERSION_RE.sub("", url.split("://", 1)[-1])


def _lookup(url: str, assets: dict[str, str]) -> str | None:
    if url in assets:
        return assets[url]
    # A newer folium may ask for a patch release the bundle does not have:
    # accept the same file of another version rather than lose the map.
    want = _strip_version(url)
    for key, text in assets.items():
        if _strip_version(key) == want:
            warnings.warn(f"inlining {key} for {url} (the bundled version differs)", stacklevel=4)
            return text
    return None


def _unavailable(url: str) -> str:
    warnings.warn(
        f"removed {url} from the saved map: no bundled copy to inline, and the page must not "
        "load anything from the network",
        stacklevel=4,
    )
    return f"<!-- gridplan: removed external reference ({len(url)} characters) -->"


def inline_assets(html: str, assets: dict[str, str] | None = None) -> str:
    """Return ``html`` with external scripts and stylesheets inlined or removed.

    >>> page = '<script src="https://x.test/a.js"></script>'
    >>> inline_assets(page, {"https://x.test/a.js": "var a = '</script>';"})
    "<script>var a = '<\\\\/script>';</script>"
    """
    assets = _bundled_assets() if assets is None else assets

    def script(match: re.Match[str]) -> str:
        url = match.group(1)
        text = _lookup(url, assets)
        if text is None:
            return _unavailable(url)
        # "</script" inside the code would end the element early; "<\/" is the same in JS.
        return "<script>" + _CLOSE_SCRIPT_RE.sub(r"<\\/\1", text) + "</script>"

    def link(match: re.Match[str]) -> str:
        tag = match.group(0)
        href = _HREF_RE.search(tag)
        if not href or not _REL_STYLESHEET_RE.search(tag):
            # Non-stylesheet links (icons, preloads) pointing outside are dropped too.
            if href and re.match(r"(?i)(https?:)?//", href.group(1)):
                return _unavailable(href.group(1))
            return tag
        url = href.group(1)
        text = _lookup(url, assets)
        if text is None:
            return _unavailable(url)
        text = _CSS_URL_RE.sub("none", text)
        return "<style>" + _CLOSE_STYLE_RE.sub(r"<\\/\1", text) + "</style>"

    html = _SCRIPT_RE.sub(script, html)
    return _LINK_RE.sub(link, html)


def save_html(m: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``m`` (a ``folium.Map`` or any branca element) as one offline HTML file.

    The file declares UTF-8, carries Leaflet inline, names its elements
    deterministically (the same map gives the same bytes) and is written
    atomically. Returns the path written.

    >>> import tempfile, folium
    >>> from gridplan.maps import save_html
    >>> p = save_html(folium.Map(tiles=None), Path(tempfile.mkdtemp()) / "map.html")
    >>> "https://cdn" in p.read_text(encoding="utf-8")
    False
    """
    root = m.get_root() if hasattr(m, "get_root") else m
    if not hasattr(root, "render"):
        raise GridplanError(f"save_html needs a folium map, got {type(m).__name__}")
    number_elements(root)
    html = stable_ids(inline_assets(root.render()))
    if not re.search(r"(?i)<meta[^>]+charset\s*=\s*[\"']?utf-8", html):
        html = html.replace("<head>", '<head>\n<meta charset="utf-8">', 1)
    target = Path(path)
    write_text(target, html, encoding="utf-8")
    return target
