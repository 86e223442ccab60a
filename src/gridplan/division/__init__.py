"""Balanced grid division: contiguous, compact grids balanced on households or population.

Public entry points: :func:`divide` and :class:`GridPlan`. The modules below
are pure array code that the API wires to a :class:`~gridplan.Territory`:
``_graph`` (CSR adjacency), ``seed`` (recursive bisection), ``refine``
(contiguity-preserving local search), ``_solve`` (the two together),
``codes`` (stable hierarchical codes), ``metrics`` (quality measures).
"""

from gridplan.division.api import divide
from gridplan.division.plan import SCHEMA_VERSION, GridPlan

__all__ = ["SCHEMA_VERSION", "GridPlan", "divide"]
