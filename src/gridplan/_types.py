"""Shared types for the joins between stages (division → allocation → maps and reports).

Duck typing is kept where it is intended: maps, plots and reports draw any
object with a ``grids`` GeoDataFrame (an :class:`~gridplan.Allocation`, a
:class:`~gridplan.GridPlan`, or a ``SimpleNamespace(grids=...)``), and
:func:`~gridplan.allocate` takes a GeoDataFrame of grids or anything carrying one.

>>> from types import SimpleNamespace
>>> import geopandas as gpd
>>> def count(g: SupportsGrids) -> int:
...     return len(g.grids)
>>> count(SimpleNamespace(grids=gpd.GeoDataFrame(geometry=[])))
0
"""

from __future__ import annotations

from typing import Protocol, TypeAlias

import geopandas as gpd

__all__ = ["GridsLike", "SupportsGrids"]


class SupportsGrids(Protocol):
    """Anything with a ``grids`` GeoDataFrame: an Allocation, a GridPlan, a namespace."""

    @property
    def grids(self) -> gpd.GeoDataFrame: ...


#: What the allocation stage takes as grids: the GeoDataFrame, or an object carrying one.
GridsLike: TypeAlias = gpd.GeoDataFrame | SupportsGrids
