"""How much one partition moves from another: grids matched by overlap.

Codes of two plans drawn separately mean nothing to each other, so grids
are matched one to one to maximise the load they share
(:func:`scipy.optimize.linear_sum_assignment` on the overlap table); what
is not on a matched pair has moved.

>>> import numpy as np
>>> moved_between(np.array([0, 0, 1, 1]), np.array([5, 5, 5, 7]), np.array([1.0, 2, 3, 4]))
(3.0, 1)
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["moved_between"]


def moved_between(before: np.ndarray, after: np.ndarray, weight: np.ndarray) -> tuple[float, int]:
    """Load and units outside the best one-to-one matching of grids ``before`` -> ``after``."""
    b_codes, b = np.unique(np.asarray(before).astype(str), return_inverse=True)
    a_codes, a = np.unique(np.asarray(after).astype(str), return_inverse=True)
    w = np.asarray(weight, dtype=float)
    shared = np.zeros((len(b_codes), len(a_codes)))
    np.add.at(shared, (b, a), w)
    count = np.zeros_like(shared)
    np.add.at(count, (b, a), 1.0)
    # Matched load first, then matched units (ties between equally heavy matchings).
    score = shared * (count.sum() + 1) + count
    rows, cols = linear_sum_assignment(score, maximize=True)
    match = np.full(len(b_codes), -1)
    match[rows] = cols
    stays = match[b] == a
    return float(w[~stays].sum()), int((~stays).sum())
