"""Budgeted allocation of service points, grid workers and volunteers.

Public entry points (the lead re-exports them from :mod:`gridplan`):

* :func:`allocate` → :class:`Allocation`; :func:`budget_sweep`; :func:`minimum_budget`;
* :class:`Rules`, :class:`NeedRule` (needs, worker rules, objective weights);
* :mod:`gridplan.allocation.constraints`: rules of your own (``allocate(constraints=...)``);
* :mod:`gridplan.allocation.locate`: ``p_median``, ``max_covering``, ``set_covering``.
"""

from gridplan.allocation import constraints, locate
from gridplan.allocation.model import allocate, minimum_budget
from gridplan.allocation.result import Allocation
from gridplan.allocation.rules import NeedRule, Rules
from gridplan.allocation.sweep import budget_sweep

__all__ = [
    "Allocation",
    "NeedRule",
    "Rules",
    "allocate",
    "budget_sweep",
    "constraints",
    "locate",
    "minimum_budget",
]
