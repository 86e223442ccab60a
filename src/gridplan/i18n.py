"""Messages in the planner's language: gettext catalogues made with Babel.

Every text a planner reads (report headings, map legends, layer names,
tooltips, plot labels) is written in English in the code and looked up in a
gettext catalogue at run time. Column names of the exported files (CSV,
GeoJSON, JSON) are never translated: they are a contract with other tools
(see ``docs/schema.md``).

- ``lang="en"`` (default) shows the English text as written.
- ``lang="zh"`` shows Simplified Chinese from
  ``gridplan/locale/zh/LC_MESSAGES/gridplan.mo``.

In code, a function that draws or writes text takes ``lang`` and does
``_ = gettext(lang)`` then ``_("Households")``; texts defined once at module
level are marked with :func:`N_` and translated where they are shown; a
single text is ``translate(lang, "Grid codes")``. Babel's extractor finds all
three (``_`` and ``N_`` are default keywords; ``translate:2`` is given in
``make messages`` and :data:`KEYWORDS`).

The catalogue lives in two files side by side: ``gridplan.po`` (the text a
translator edits) and ``gridplan.mo`` (compiled). The compiled file is
committed rather than built at install time: installs need no build hook and
no Babel, and an editable install sees the same catalogue as a wheel.
``tests/test_i18n.py`` checks that the ``.mo`` equals the compiled ``.po``
and that every marked text in the package has a Chinese translation. After
changing texts, refresh both with::

    make messages   # pybabel extract, update and compile

>>> _ = gettext("zh")
>>> _("Households")
'户数'
>>> gettext("en")("Households")
'Households'
"""

from __future__ import annotations

import functools
import gettext as _gettext
from collections.abc import Callable
from pathlib import Path

from gridplan.errors import ConfigError

__all__ = [
    "COLUMN_LABELS",
    "DOMAIN",
    "KEYWORDS",
    "LANGS",
    "LOCALE_DIR",
    "N_",
    "check_lang",
    "column_label",
    "gettext",
    "translate",
]

DOMAIN = "gridplan"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGS = ("en", "zh")
# Babel extraction keywords: its defaults plus translate(lang, message).
KEYWORDS = {"_": None, "N_": None, "gettext": None, "translate": (2,)}
_ALIASES = {
    "zh-cn": "zh",
    "zh_cn": "zh",
    "zh-hans": "zh",
    "cn": "zh",
    "中文": "zh",
    "english": "en",
}


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (for module-level texts)."""
    return message


def check_lang(lang: str | None) -> str:
    """The canonical language code for ``lang`` ("en" or "zh"), or a ConfigError.

    >>> check_lang("zh-CN"), check_lang(None)
    ('zh', 'en')
    """
    if lang is None:
        return "en"
    key = str(lang).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in LANGS:
        raise ConfigError(
            f"unknown language {lang!r}: use one of {', '.join(map(repr, LANGS))} "
            "(lang='zh' for Chinese)"
        )
    return key


@functools.cache
def _translations(lang: str) -> _gettext.NullTranslations:
    if lang == "en":
        return _gettext.NullTranslations()
    # fallback=False: a missing catalogue is a packaging error, not English output.
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])


def gettext(lang: str | None = "en") -> Callable[[str], str]:
    """The translate function for ``lang``: ``_ = gettext("zh"); _("Coverage")``."""
    return _translations(check_lang(lang)).gettext


def translate(lang: str | None, message: str) -> str:
    """``message`` in ``lang``: ``translate("zh", "Coverage")`` is ``gettext("zh")("Coverage")``."""
    return gettext(lang)(message)


# Readable names of the columns gridplan writes, for legends, tooltips and report
# headings (the columns themselves keep these keys in every exported file).
COLUMN_LABELS: dict[str, str] = {
    "parent": N_("Community"),
    "community": N_("Community"),
    "street": N_("Street"),
    "n_units": N_("Units"),
    "households": N_("Households"),
    "population": N_("People"),
    "age60plus": N_("Aged 60+"),
    "elderly_alone": N_("Elderly living alone"),
    "disabled": N_("Disabled"),
    "children": N_("Children"),
    "target": N_("Target"),
    "deviation": N_("Deviation"),
    "area_m2": N_("Area"),
    "polsby_popper": N_("Compactness (Polsby–Popper)"),
    "neighbours": N_("Neighbouring grids"),
    "worker": N_("Grid worker"),
    "coverage": N_("Coverage"),
    "households_served": N_("Households served"),
    "site": N_("Service point"),
    "site_id": N_("Service point"),
    "site_distance_m": N_("Distance to service point (m)"),
    "lead": N_("Lead worker"),
    "lead_worker": N_("Lead worker"),
    "worker_distance_m": N_("Worker's distance (m)"),
    "need_hours": N_("Volunteer need (h/month)"),
    "hours_delivered": N_("Hours delivered (h/month)"),
    "unmet_hours": N_("Unmet (h/month)"),
    "n_volunteers": N_("Volunteers"),
    "budget": N_("Budget"),
    # metrics.json keys (GridPlan.metrics)
    "max_abs_deviation": N_("Largest deviation from target"),
    "max_abs_deviation_from_mean": N_("Largest deviation from the mean"),
    "n_outside_tolerance": N_("Grids outside tolerance"),
    "contiguous": N_("Every grid in one piece"),
    "cut_edges": N_("Unit borders between grids"),
    "boundary_length": N_("Length of grid boundaries (m)"),
    "mean_polsby_popper": N_("Compactness, mean"),
    "min_polsby_popper": N_("Compactness, lowest"),
    "n_grids": N_("Grids"),
    "tolerance": N_("Tolerance"),
    "balance": N_("Balanced on"),
    "seed": N_("Seed"),
    "objective": N_("Objective"),
    "households_served_share": N_("Households served (share)"),
    "hours_met_share": N_("Volunteer hours met (share)"),
}


def column_label(column: object, lang: str | None = "en") -> str:
    """The readable, translated name of a column ("households" → "Households"/"户数").

    Unknown columns read as their name with spaces ("bus_stops" → "Bus stops").

    >>> column_label("elderly_alone", "zh"), column_label("bus_stops")
    ('独居老人', 'Bus stops')
    """
    key = str(column)
    text = COLUMN_LABELS.get(key) or key.replace("_", " ").strip().capitalize()
    return gettext(lang)(text)
