"""Stable hierarchical grid codes, numbered in reading order (north-west first).

A grid code is ``<parent code>-<seq>`` when grids nest in a parent, else
``G<seq>``. ``seq`` has 2 digits, or as many as the largest number needs
when a parent has more than 99 grids (``G001`` ... ``G120``).

Order: grid centroids are put in rows from north to south (row height = the
side of a square of the mean grid area), then west to east inside a row.
Codes already held by locked grids are kept; the other grids take the
smallest free numbers in that order, so a re-plan that locks what did not
change keeps every code.

>>> import numpy as np
>>> assign_codes(np.array([0, 0, 0, 0]), np.array([0.0, 1.0, 0.0, 1.0]),
...              np.array([1.0, 1.0, 0.0, 0.0]), np.ones(4), [None])
['G01', 'G02', 'G03', 'G04']
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Sequence

import numpy as np

__all__ = ["assign_codes", "format_code", "parent_code", "reading_order", "short_labels"]


def parent_code(value: Hashable) -> str:
    """The text a parent value gives grid codes: whole floats without ``.0``.

    A parent column read as floats (``410727001001.0``) names the same parent
    as the integer; NumPy scalars read as their Python values.

    >>> parent_code(410727001001.0), parent_code(1.5), parent_code("A"), parent_code(7)
    ('410727001001', '1.5', 'A', '7')
    """
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str):
        value = item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def format_code(parent: Hashable | None, seq: int, width: int = 2) -> str:
    """``format_code("A", 3) == "A-03"``; ``format_code(None, 3) == "G03"``."""
    return f"G{seq:0{width}d}" if parent is None else f"{parent}-{seq:0{width}d}"


def reading_order(cx: np.ndarray, cy: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Indices of grids sorted north to south by row, then west to east."""
    if len(cx) == 0:
        return np.zeros(0, dtype=np.int64)
    h = math.sqrt(max(float(np.mean(area)), 1e-12))
    row = np.floor((cy.max() - cy) / h + 1e-9)
    return np.lexsort((-cy, cx, row))


def assign_codes(
    grid_group: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
    area: np.ndarray,
    group_codes: Sequence[Hashable | None],
    fixed: dict[int, str] | None = None,
) -> list[str]:
    """Code of each grid; ``fixed`` maps grid index -> code to keep (locked grids).

    ``group_codes`` are the parents' codes as text (see :func:`parent_code`),
    or ``[None]`` without nesting. A locked code is never given to another
    grid, whichever parent that grid is in.
    """
    fixed = dict(fixed or {})
    locked_codes = set(fixed.values())  # kept, so never given to another grid of any parent
    codes = [""] * len(grid_group)
    for gi, pcode in enumerate(group_codes):
        grids = np.flatnonzero(grid_group == gi)
        width = max(2, len(str(len(grids))))
        taken = {fixed[g] for g in grids.tolist() if g in fixed}
        prefix = "G" if pcode is None else f"{pcode}-"
        pat = re.compile(re.escape(prefix) + r"(\d+)$")
        used = {int(m.group(1)) for c in taken if (m := pat.match(c))}
        seq = 0
        for g in grids[reading_order(cx[grids], cy[grids], area[grids])].tolist():
            if g in fixed:
                codes[g] = fixed[g]
                continue
            seq += 1
            while seq in used or format_code(pcode, seq, width) in locked_codes:
                seq += 1
            codes[g] = format_code(pcode, seq, width)
    return codes


def short_labels(codes: Sequence[Hashable]) -> list[str]:
    """Map labels: hierarchical codes without the parent prefix they all share.

    Full codes such as ``410727001001-05`` crowd a map; every code keeps its
    distinguishing part and its sequence, so labels stay unique. Codes without
    a ``-<sequence>`` part are returned unchanged.

    >>> short_labels(["410727001001-05", "410727002002-13"])
    ['1001-05', '2002-13']
    >>> short_labels(["G01", "G02"])
    ['G01', 'G02']
    """
    texts = [str(c) for c in codes]
    if len(texts) < 2 or not all("-" in t for t in texts):
        return texts
    parents = [t.rsplit("-", 1)[0] for t in texts]
    cut = 0  # length of the prefix every parent code shares, character by character
    for chars in zip(*parents, strict=False):
        if len(set(chars)) > 1:
            break
        cut += 1
    if cut == min(len(p) for p in parents):  # one parent: keep its last digits for context
        cut = max(cut - 3, 0)
    return [t[cut:] for t in texts]
