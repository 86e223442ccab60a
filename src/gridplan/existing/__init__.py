"""Existing grids: import a hand-drawn grid map, assess it, re-balance it with the fewest moves.

* :func:`grids_from_layer` / :func:`grids_from_column` → :class:`ImportedGrids`;
* :func:`assess` → :class:`Assessment` (topology, balance, shape, side by side
  with :func:`~gridplan.divide` and :func:`rebalance`);
* :func:`rebalance` → :class:`Rebalance` (a :class:`~gridplan.GridPlan` and
  its change log).
"""

from gridplan.existing.assessment import Assessment, assess
from gridplan.existing.importing import ImportedGrids, grids_from_column, grids_from_layer
from gridplan.existing.rebalancing import Rebalance, rebalance

__all__ = [
    "Assessment",
    "ImportedGrids",
    "Rebalance",
    "assess",
    "grids_from_column",
    "grids_from_layer",
    "rebalance",
]
