"""Constraints of the planner's own, added to :func:`~gridplan.allocation.allocate`.

A constraint is a function of a :class:`~gridplan.allocation.blocks.ModelView`, the
built model with named columns; it adds rows and returns nothing. Ready-made ones:

* :func:`min_open_sites_per` — every community (or any other group) keeps at least
  ``count`` open service points;
* :func:`never_lead` — a worker never leads the given grids (a conflict of interest,
  a worker who lives in the grid, a planned move);
* :func:`must_hire` — these workers keep their jobs.

Writing one of your own takes a few lines; for example "at most 5 new sites":

>>> def at_most_five_open(view):
...     view.add_rows([view.open_columns()], hi=5)

>>> from gridplan.allocation.model import _doctest_layers, allocate
>>> grids, sites, workers = _doctest_layers()
>>> a = allocate(grids, sites, workers, budget=2100, constraints=[never_lead("W1", "G1")])
>>> a.coverage["lead_worker"].tolist()
['W2', 'W1']
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np
import pandas as pd
import shapely

from gridplan.allocation.blocks import ModelView
from gridplan.errors import ColumnError

__all__ = ["min_open_sites_per", "must_hire", "never_lead"]

Constraint = Callable[[ModelView], None]


def _named(fn: Constraint, name: str) -> Constraint:
    fn.__name__ = name
    return fn


def min_open_sites_per(column: str, count: int = 1) -> Constraint:
    """Each group of sites by ``column`` keeps at least ``count`` sites open.

    ``column`` is a column of the sites layer (e.g. ``"community"``) or, when the sites
    lack it, of the grids (e.g. ``"parent"`` of a plan nested in communities): each
    site then belongs to the grid it stands in (the nearest grid when it stands in
    none). A group with fewer candidate sites than ``count`` must open all of them.
    """

    def constraint(view: ModelView) -> None:
        if view.sites is None:
            raise ColumnError("min_open_sites_per needs a sites layer")
        groups = _site_groups(view, column)
        cols = view.open_columns()
        rows = [cols[(groups == g).to_numpy()] for g in sorted(groups.dropna().unique(), key=str)]
        for row in rows:
            view.add_rows([row], lo=min(count, len(row)))

    return _named(constraint, f"min_open_sites_per({column!r}, {count})")


def _site_groups(view: ModelView, column: str) -> pd.Series:
    sites, grids = view.sites, view.grids
    assert sites is not None
    if column in sites.columns:
        return sites[column]
    if column not in grids.columns:
        raise ColumnError(
            f"min_open_sites_per({column!r}): neither the sites nor the grids have a column "
            f"{column!r}; sites have {list(sites.columns)}, grids {list(grids.columns)}"
        )
    tree = shapely.STRtree(np.asarray(grids.geometry.values))
    _, nearest = tree.query_nearest(np.asarray(sites.geometry.values), all_matches=False)
    return pd.Series(grids[column].to_numpy()[nearest], index=sites.index)


def never_lead(worker_id: Hashable, grids: Hashable | Sequence[Hashable]) -> Constraint:
    """Worker ``worker_id`` never leads any of ``grids`` (one grid code or several)."""

    def constraint(view: ModelView) -> None:
        view.fix(view.lead_columns(worker_id, grids), 0.0)

    return _named(constraint, f"never_lead({worker_id!r}, {grids!r})")


def must_hire(worker_ids: Hashable | Sequence[Hashable]) -> Constraint:
    """These workers are hired (they keep their jobs); the plan pays for them."""

    def constraint(view: ModelView) -> None:
        view.fix(view.hire_columns(worker_ids), 1.0)

    return _named(constraint, f"must_hire({worker_ids!r})")
