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

__all__ = ["assign_codes", "format_code", "reading_order"]


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
    """Code of each grid; ``fixed`` maps grid index -> code to keep (locked grids)."""
    fixed = dict(fixed or {})
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
            while seq in used or format_code(pcode, seq, width) in taken:
                seq += 1
            codes[g] = format_code(pcode, seq, width)
    return codes
