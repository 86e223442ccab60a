"""Lazy matplotlib import and Chinese font fallback.

matplotlib is optional (extras ``plot`` and ``test``), so it is imported only
when a plot is drawn. Matplotlib's default font has no Chinese glyphs: when a
figure contains CJK text we switch those texts to an installed CJK font; if
none is installed we warn once and silence matplotlib's per-glyph warnings
(one per missing character otherwise), and the characters show as boxes.
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from gridplan.errors import GridplanError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "MISSING_FONT_HELP",
    "cjk_font",
    "fix_cjk_fonts",
    "font_guard",
    "pick_cjk_font",
    "require_matplotlib",
    "with_fonts",
]

_GLYPH_WARNING = r"Glyph \d+ .*missing from font"
F = TypeVar("F", bound=Callable[..., Any])

_CJK_RE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
# Common CJK families on Linux, Windows and macOS, best first.
_CANDIDATES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Hiragino Sans GB",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "Arial Unicode MS",
)
_warned = False
MISSING_FONT_HELP = (
    "no font with Chinese characters found, so Chinese text in plots shows as boxes; "
    "install one, e.g. `sudo apt-get install fonts-noto-cjk` (Debian/Ubuntu), "
    "`sudo dnf install google-noto-sans-cjk-fonts` (Fedora), or use Microsoft YaHei/SimHei "
    "(Windows), then restart Python"
)


def require_matplotlib() -> Any:
    """Return ``matplotlib.pyplot``, or raise a clear error if matplotlib is absent."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise GridplanError(
            "plots need matplotlib, which is not installed: pip install 'gridplan[plot]' "
            "(or pip install matplotlib)"
        ) from exc
    return plt


_FILE_HINTS = re.compile(r"(?i)(cjk|wqy|wenquanyi|sourcehan|msyh|simhei|pingfang|hiragino)")


@functools.lru_cache(maxsize=1)
def _find_cjk_font() -> str | None:
    """The name of an installed font family with Chinese glyphs, or None.

    Matplotlib's font list is cached on disk and misses fonts installed after
    the cache was built; such font files are registered on first use.
    """
    from matplotlib import font_manager

    fm = font_manager.fontManager

    def pick() -> str | None:
        return pick_cjk_font(f.name for f in fm.ttflist)

    found = pick()
    if found is None:
        known = {f.fname for f in fm.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known and _FILE_HINTS.search(path):
                try:
                    fm.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = pick()
    return found


def pick_cjk_font(families: Iterable[str]) -> str | None:
    """The best family with Chinese glyphs among installed ``families``, or None.

    >>> pick_cjk_font(["DejaVu Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC"])
    'Noto Sans CJK SC'
    >>> pick_cjk_font(["DejaVu Sans"]) is None
    True
    """
    installed = set(families)
    return next((name for name in _CANDIDATES if name in installed), None)


def cjk_font() -> str | None:
    """The name of an installed font family with Chinese glyphs, or None (cached)."""
    return _find_cjk_font()


@contextlib.contextmanager
def font_guard() -> Iterator[None]:
    """While a plot is built: CJK font first in line, no per-glyph warnings.

    geopandas may draw the figure while building it (legends), so the font
    must be in place before, not only after.
    """
    require_matplotlib()
    import matplotlib as mpl

    font = cjk_font()
    # Restore only the key we change: rc_context() would also restore the backend
    # and interactive settings, and in Jupyter no later figure would then show.
    before = list(mpl.rcParams["font.sans-serif"])
    try:
        if font:
            mpl.rcParams["font.sans-serif"] = [font, *before]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_GLYPH_WARNING, category=UserWarning)
            yield
    finally:
        mpl.rcParams["font.sans-serif"] = before


def with_fonts(func: F) -> F:
    """Decorate a plot function returning Axes: build under :func:`font_guard`, then fix fonts."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with font_guard():
            ax = func(*args, **kwargs)
        fix_cjk_fonts(ax.figure)
        return ax

    return wrapper  # type: ignore[return-value]


def fix_cjk_fonts(fig: Figure) -> None:
    """Give every text of ``fig`` that contains CJK characters a CJK-capable font."""
    global _warned
    from matplotlib.text import Text

    texts = [t for t in fig.findobj(Text) if _CJK_RE.search(t.get_text() or "")]
    if not texts:
        return
    font = cjk_font()
    if font is not None:
        for t in texts:
            # A list: matplotlib falls back glyph by glyph (Latin from DejaVu Sans).
            t.set_fontfamily([font, "DejaVu Sans"])
        return
    # Matplotlib would warn once per missing glyph at draw time; one message is enough.
    warnings.filterwarnings(
        "ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning
    )
    if not _warned:
        _warned = True
        warnings.warn(
            MISSING_FONT_HELP,
            UserWarning,
            stacklevel=3,
        )
