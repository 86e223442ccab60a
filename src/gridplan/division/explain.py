"""Why a division has no plan: one function, one ``InfeasibleError.details`` schema.

Every :class:`~gridplan.errors.InfeasibleError` that division raises is
built by :func:`explain_infeasible`. Its ``details`` always hold:

``stage``
    ``"divide"``.
``rule``
    What failed: ``"no_load"``, ``"grids_exceed_units"``, ``"tolerance"``
    (the necessary checks), ``"not_contiguous"``, ``"outside_tolerance"``
    (the search's best plan) or ``"exact"`` (the exact model's proof).
``reason``
    The same in words (kept from earlier versions).
``proven``
    ``True`` when no plan can exist ("proven impossible"), ``False`` when
    none was found within the effort (more effort, or another seed, may
    find one).
``status``
    ``"proven impossible"`` or ``"not found"``.
``tolerance``, ``smallest_tolerance``, ``achieved_tolerance``
    The tolerance asked, the smallest one the checks allow (a lower bound;
    ``None`` when unknown) and the largest deviation of the best plan found
    (``None`` without a plan).
``causes``, ``violations``
    What forces the bound (units, parents), and the best plan's violations.

Rule-specific keys (``parents``, ``grids``, ``units``, ``balance_column``,
``not_contiguous``) are kept as before.

>>> err = explain_infeasible("grids_exceed_units", parents=["A"], grids=[3], units=[2])
>>> err.details["rule"], err.details["proven"], err.details["reason"]
('grids_exceed_units', True, 'more grids than units')
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from gridplan.errors import InfeasibleError, format_rows

__all__ = ["Cause", "explain_infeasible", "locked_pieces", "plain"]

#: One JSON-ready cause or violation: ``{"reason": ..., "grid"/"unit"/"parent": ..., ...}``.
Cause = dict[str, Any]

_HINT = "Raise tolerance, give more time_limit, or pass strict=False for this plan."


def plain(v: Any) -> Any:
    """A numpy scalar as the Python value (JSON-ready); anything else unchanged."""
    return v.item() if hasattr(v, "item") else v


def _no_load(f: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    names: list[Hashable] = f["parents"]
    nested = names != [None]
    where = f"every unit of parent(s) {format_rows(names)}" if nested else "every unit"
    msg = (
        f"the balance column {f['balance_column']!r} is 0 for {where}, so there is "
        f"nothing to share among n_grids={f['grids']} grids (grids are balanced on "
        f"load, and a parent without load gets one grid). Balance on a column with "
        f"values (e.g. balance='population'), check the column, or ask for "
        f"n_grids={f['n_parents']}."
    )
    extra = {
        "balance_column": f["balance_column"],
        "parents": [plain(b) for b in names] if nested else [],
        "grids": int(f["grids"]),
    }
    return msg, extra


def _too_many(f: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    bad = f["parents"]
    msg = (
        f"{len(bad)} parent(s) would get more grids than they have units: "
        f"{format_rows(bad)}; ask for fewer grids."
    )
    return msg, {"parents": [plain(b) for b in bad], "grids": f["grids"], "units": f["units"]}


def _tolerance(f: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    causes: list[Cause] = f["causes"]
    units = [r["unit"] for r in causes if "unit" in r]
    parents = sorted({str(r["parent"]) for r in causes if "parent" in r})
    msg = (
        f"no plan can keep every grid within tolerance={f['tolerance']:g}: "
        + (f"unit(s) {format_rows(units)} weigh more than a grid may; " if units else "")
        + (f"parent(s) {format_rows(parents)} cannot be split evenly; " if parents else "")
        + f"the smallest tolerance that could work is {f['smallest']:.4f}. "
        "Raise tolerance, ask for fewer grids, or pass strict=False for the best plan."
    )
    return msg, {}


def _not_contiguous(f: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    broken: list[Cause] = f["broken"]
    by_locks = [v for v in broken if "locked_units" in v]
    causes = "; ".join(
        f"grid {v['grid']!r}: its locked units "
        + " | ".join(format_rows(piece) for piece in v["locked_units"])
        + " could not be joined into one piece"
        for v in by_locks
    )
    tail = (
        f" ({causes}). Lock a connected set of units for each grid, or unlock "
        "some of them; pass strict=False to see this plan."
        if by_locks
        else ". " + _HINT
    )
    msg = (
        f"no plan with contiguous grids was found within the effort (not proven "
        f"impossible): {len(broken)} grid(s) "
        f"{format_rows([v['grid'] for v in broken])} are in several pieces" + tail
    )
    return msg, {"not_contiguous": broken}


def _outside(f: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    msg = (
        f"no plan within tolerance={f['tolerance']:g} was found within the effort (not "
        f"proven impossible): the best plan has "
        f"{f['n_outside']} grid(s) outside it (largest deviation {f['achieved']:.4f}); "
        f"a tolerance of {f['achieved']:.4f} is known to work. " + _HINT
    )
    return msg, {}


def _exact(f: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    msg = (
        f"proven impossible: the exact model shows that no plan of {f['grids']} contiguous "
        f"grid(s) keeps every grid within tolerance={f['tolerance']:g} "
        f"({f['units']} units); the best plan found deviates by {f['achieved']:.4f}. "
        "Raise tolerance, ask for other grid counts, or pass strict=False for that plan."
    )
    return msg, {}


_RULES: dict[str, tuple[str, bool, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]]] = {
    "no_load": ("no load to balance", True, _no_load),
    "grids_exceed_units": ("more grids than units", True, _too_many),
    "tolerance": ("tolerance below what the units allow", True, _tolerance),
    "not_contiguous": ("not contiguous", False, _not_contiguous),
    "outside_tolerance": ("outside tolerance", False, _outside),
    "exact": ("no plan exists (exact model)", True, _exact),
}


def explain_infeasible(rule: str, **facts: Any) -> InfeasibleError:
    """The :class:`~gridplan.errors.InfeasibleError` for ``rule``, message and details.

    ``facts`` are what the rule's message needs (``tolerance``, ``smallest``,
    ``achieved``, ``causes``, ``violations``, ``parents``...). A search
    that found no plan (``proven`` false) says "not found within the effort"
    unless an exact proof (``proven=True``) says otherwise.
    """
    reason, proven, build = _RULES[rule]
    proven = bool(facts.get("proven", proven))
    message, extra = build(facts)
    if not proven and facts.get("exact_note"):
        message += " " + str(facts["exact_note"])
    smallest = facts.get("smallest")
    details: dict[str, Any] = {
        "stage": "divide",
        "rule": rule,
        "reason": reason,
        "proven": proven,
        "status": "proven impossible" if proven else "not found",
        "tolerance": facts.get("tolerance"),
        "smallest_tolerance": None if smallest is None else float(smallest),
        "achieved_tolerance": facts.get("achieved"),
        "causes": list(facts.get("causes", [])),
        "violations": list(facts.get("violations", [])),
        **extra,
    }
    return InfeasibleError(message, details=details)


def locked_pieces(
    broken: Sequence[Cause],
    labels: np.ndarray,
    comp: np.ndarray,
    codes: Sequence[str],
    locked: np.ndarray,
    ids: pd.Index,
) -> None:
    """Add ``locked_units`` (one list per piece) to grids whose locked units lie apart.

    ``labels``/``comp``: grid label and within-grid component of every unit;
    ``locked``: mask of locked units; ``ids``: unit ids by position.
    """
    code_index = {str(c): i for i, c in enumerate(codes)}
    for v in broken:
        g = code_index[v["grid"]]
        mine = np.flatnonzero((labels == g) & locked)
        pieces: dict[int, list[Any]] = {}
        for u in mine.tolist():
            pieces.setdefault(int(comp[u]), []).append(plain(ids[u]))
        if len(pieces) > 1:
            v["locked_units"] = list(pieces.values())
