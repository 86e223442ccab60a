"""What limits an allocation's coverage, in plain words: :func:`explain_allocation`.

An allocation falls short in three ways: volunteer hours unmet, households
beyond every open service point, grids without a lead worker. For each
shortfall the figures of the result tell which limit binds:

- the *pool* (every volunteer, worker or candidate site is already used);
- the *budget* (what is left is less than the cheapest unused volunteer,
  worker or site would cost);
- otherwise the *rules* (the unused people or sites are too far away, lack
  the skills, or are full: ``max_travel_m``, ``skills``, ``radius_m``,
  ``capacity``).

The sentences are computed from the result, never from the solver's
internals, so any object with ``Allocation``'s attributes can be explained.

>>> from gridplan.allocation.model import _doctest_layers, allocate
>>> a = allocate(*_doctest_layers(), budget=2100)
>>> print(explain_allocation(a)[0])
No volunteers were given: 45 volunteer hours a month of need are unmet (add a volunteers layer).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from gridplan._display import allocation_grids, allocation_part
from gridplan._types import SupportsGrids
from gridplan.i18n import N_, gettext

__all__ = ["explain_allocation"]

_EPS = 0.5  # below half an hour or half a household, a shortfall is rounding


def _then(lang: str) -> str:
    """What joins two sentences: a space in English, nothing after a Chinese full stop."""
    return "" if lang == "zh" else " "


def _money(v: float) -> str:
    return f"{v:,.0f}"


def _used(df: pd.DataFrame | None, flag: str) -> tuple[int, int, pd.DataFrame | None]:
    """(used, pool, rows not used) of a people or site table."""
    if df is None or flag not in df.columns:
        return 0, 0, None
    chosen = df[flag].fillna(False).astype(bool)
    return int(chosen.sum()), len(df), df[~chosen]


def _cheapest(rest: pd.DataFrame | None, columns: tuple[str, ...]) -> float | None:
    """The lowest yearly cost of one unused row (sum of the cost columns it has)."""
    if rest is None or not len(rest):
        return None
    cols = [c for c in columns if c in rest.columns]
    if not cols:
        return None
    return float(rest[cols].astype(float).fillna(0).sum(axis=1).min())


def _left(allocation: SupportsGrids) -> float | None:
    budget = getattr(allocation, "budget", None)
    cost = getattr(allocation, "cost", None) or {}
    if budget is None or "total" not in cost:
        return None
    return max(float(budget) - float(cost["total"]), 0.0)


def _limit(used: int, pool: int, cheapest: float | None, left: float | None) -> str:
    """Which limit binds: "pool", "budget" or "rules"."""
    if pool and used >= pool:
        return "pool"
    if left is not None and cheapest is not None and left + 1e-6 < cheapest:
        return "budget"
    return "rules"


def _volunteer_sentence(
    allocation: SupportsGrids, unmet: float, left: float | None, lang: str
) -> str:
    _ = gettext(lang)
    vols = allocation_part(allocation, "volunteers")
    used, pool, rest = _used(vols, "selected")
    limit = _limit(used, pool, _cheapest(rest, ("annual_cost",)), left)
    hours = f"{unmet:,.0f}"
    if not pool:
        return _(
            "No volunteers were given: {hours} volunteer hours a month of need are unmet "
            "(add a volunteers layer)."
        ).format(hours=hours)
    if limit == "pool":
        text = (
            _(
                "All {pool} volunteers are used and {left} of the budget is unspent: the volunteer "
                "pool, not the budget, limits coverage — about {hours} more volunteer hours a "
                "month are needed."
            )
            if left is not None
            else _(
                "All {pool} volunteers are used: the volunteer pool limits coverage — about "
                "{hours} more volunteer hours a month are needed."
            )
        )
        text = text.format(pool=pool, left=_money(left or 0.0), hours=hours)
        return text + _more_volunteers(vols, unmet, left, lang)
    if limit == "budget":
        return _(
            "The budget limits volunteer coverage: {left} is left, less than the cheapest "
            "unused volunteer costs; {hours} volunteer hours a month remain unmet."
        ).format(left=_money(left or 0.0), hours=hours)
    return _(
        "{unused} volunteers are not used although the budget allows: they live too far from "
        "the grids in need or lack the skills needed (max_travel_m, skills); {hours} volunteer "
        "hours a month remain unmet."
    ).format(unused=pool - used, hours=hours)


def _more_volunteers(vols: pd.DataFrame | None, unmet: float, left: float | None, lang: str) -> str:
    """How many more volunteers that is, and how many hours the unspent budget would pay."""
    _ = gettext(lang)
    if vols is None or "hours_per_month" not in vols.columns:
        return ""
    hours = vols["hours_per_month"].astype(float)
    mean = float(hours.mean())
    if not mean > 0:
        return ""
    text = _then(lang) + _(
        "That is about {n} more volunteers at the pool's average of {h} hours a month."
    )
    text = text.format(n=f"{math.ceil(unmet / mean):,}", h=f"{mean:.1f}")
    if left and "annual_cost" in vols.columns and float(hours.sum()) > 0:
        per_hour = float(vols["annual_cost"].astype(float).sum()) / float(hours.sum())
        if per_hour > 0:
            text += _then(lang) + _(
                "The unspent budget would pay for about {h} volunteer hours a month at the "
                "pool's average cost."
            ).format(h=f"{left / per_hour:,.0f}")
    return text


# What a shortfall of workers or sites means, by binding limit: (pool, budget, rules).
_WORKER_TEXTS = (
    N_(
        "{n} grids have no lead worker and all {pool} grid workers are hired: about {n} "
        "more grid workers are needed."
    ),
    N_(
        "{n} grids have no lead worker: the budget left ({left}) is less than the cheapest "
        "unhired worker costs."
    ),
    N_(
        "{n} grids have no lead worker although workers are free: they live too far or lead "
        "their maximum of grids already (max_travel_m, max_grids)."
    ),
)
_SITE_TEXTS = (
    N_(
        "{hh} households are beyond the reach or capacity of every open service point "
        "and all {pool} candidate sites are open: more candidate sites are needed."
    ),
    N_(
        "{hh} households are not served by a service point: the budget left ({left}) is "
        "less than the cheapest unopened site costs."
    ),
    N_(
        "{hh} households are not served by a service point, and the unopened candidate sites "
        "would not reach them (radius_m, capacity)."
    ),
)


def _limit_sentence(
    allocation: SupportsGrids,
    part: str,
    flag: str,
    costs: tuple[str, ...],
    texts: tuple[str, str, str],
    left: float | None,
    lang: str,
    **figures: Any,
) -> str:
    """The sentence of ``texts`` for the limit that binds ``part`` (workers or sites)."""
    used, pool, rest = _used(allocation_part(allocation, part), flag)
    limit = _limit(used, pool, _cheapest(rest, costs), left)
    text = texts[("pool", "budget", "rules").index(limit)]
    return gettext(lang)(text).format(pool=pool, left=_money(left or 0.0), **figures)


def explain_allocation(allocation: SupportsGrids, lang: str = "en") -> list[str]:
    """Plain sentences on what limits the allocation's coverage (``lang``: "en" or "zh").

    One sentence per shortfall (volunteer hours, lead workers, households
    served), naming the binding limit — the pool, the budget or the rules —
    and how much more is needed; one sentence when nothing falls short.
    """
    _ = gettext(lang)
    grids = allocation_grids(allocation)
    left = _left(allocation)
    out = []
    unmet = float(grids["unmet_hours"].sum()) if "unmet_hours" in grids.columns else 0.0
    if unmet > _EPS:
        out.append(_volunteer_sentence(allocation, unmet, left, lang))
    if "lead_worker" in grids.columns:
        missing = int(grids["lead_worker"].isna().sum())
        if missing:
            out.append(
                _limit_sentence(
                    allocation,
                    "workers",
                    "hired",
                    ("annual_cost",),
                    _WORKER_TEXTS,
                    left,
                    lang,
                    n=missing,
                )
            )
    if {"households", "households_served"} <= set(grids.columns):
        unserved = float(np.sum(grids["households"]) - np.sum(grids["households_served"]))
        if unserved > _EPS:
            costs = ("open_cost", "annual_cost")
            hh = f"{unserved:,.0f}"
            out.append(
                _limit_sentence(allocation, "sites", "open", costs, _SITE_TEXTS, left, lang, hh=hh)
            )
    if not out:
        text = _(
            "All need is met: every grid has its lead worker, every household a service point "
            "and every volunteer hour needed is delivered."
        )
        if left is not None:
            text += _then(lang) + _("{left} of the budget is unspent.").format(left=_money(left))
        out.append(text)
    return out
