"""Quality measures of a partition, from arrays (used by plans and benchmarks alike).

Grid perimeters come from the units: the sum of unit perimeters minus twice
the boundary shared inside the grid. That is exact for a clean coverage
(what :class:`~gridplan.Territory` measures) and costs no polygon union.

>>> import numpy as np
>>> from gridplan.division._graph import lattice
>>> adj, x, y = lattice(2, 1)
>>> s = grid_stats(adj, np.array([0, 0]), 1, np.ones(2), np.ones(2), np.full(2, 4.0))
>>> s["perimeter"].tolist(), round(float(s["polsby_popper"][0]), 4)
([6.0], 0.6981)
"""

from __future__ import annotations

import math

import numpy as np

from gridplan.division._graph import Adjacency

__all__ = ["contiguous_grids", "cut_stats", "grid_neighbour_pairs", "grid_stats", "summarise"]


def grid_stats(
    adj: Adjacency,
    labels: np.ndarray,
    k: int,
    weight: np.ndarray,
    area: np.ndarray,
    perimeter: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per grid: ``load``, ``n_units``, ``area``, ``perimeter``, ``polsby_popper``."""
    i, j, ln = adj.edges()
    inside = labels[i] == labels[j]
    shared = np.bincount(labels[i][inside], weights=ln[inside], minlength=k)
    per = np.bincount(labels, weights=perimeter, minlength=k) - 2 * shared
    ar = np.bincount(labels, weights=area, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        pp = np.where(per > 0, 4 * math.pi * ar / per**2, 0.0)
    return {
        "load": np.bincount(labels, weights=weight, minlength=k),
        "n_units": np.bincount(labels, minlength=k),
        "area": ar,
        "perimeter": per,
        "polsby_popper": np.clip(pp, 0.0, 1.0),
    }


def cut_stats(adj: Adjacency, labels: np.ndarray) -> tuple[int, float]:
    """Number of edges between grids and their total shared length."""
    i, j, ln = adj.edges()
    cut = labels[i] != labels[j]
    return int(cut.sum()), float(ln[cut].sum())


def contiguous_grids(adj: Adjacency, labels: np.ndarray, k: int) -> np.ndarray:
    """Boolean per grid: its units form one connected piece (empty grids: False)."""
    _, comp = adj.components(labels)
    pieces = np.zeros(k, dtype=np.int64)
    pairs = np.unique(np.stack([labels, comp]), axis=1)
    np.add.at(pieces, pairs[0], 1)
    return pieces == 1


def grid_neighbour_pairs(adj: Adjacency, labels: np.ndarray) -> np.ndarray:
    """Sorted unique ``(a, b)`` grid pairs, ``a < b``, sharing an edge."""
    i, j, _ = adj.edges()
    a, b = labels[i], labels[j]
    cut = a != b
    pairs = np.stack([np.minimum(a, b)[cut], np.maximum(a, b)[cut]], axis=1)
    return np.unique(pairs, axis=0) if len(pairs) else pairs.reshape(0, 2)


def summarise(
    adj: Adjacency,
    labels: np.ndarray,
    k: int,
    weight: np.ndarray,
    area: np.ndarray,
    perimeter: np.ndarray,
    targets: np.ndarray,
    tolerance: float,
) -> dict[str, float | int | bool]:
    """The headline numbers of a plan (no timing, no parameters)."""
    s = grid_stats(adj, labels, k, weight, area, perimeter)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = np.where(targets > 0, s["load"] / targets - 1.0, 0.0)
    cut, blen = cut_stats(adj, labels)
    pp = s["polsby_popper"]
    return {
        "max_abs_deviation": float(np.abs(dev).max()) if k else 0.0,
        "n_outside_tolerance": int(np.sum(np.abs(dev) > tolerance + 1e-9)),
        "contiguous": bool(contiguous_grids(adj, labels, k).all()),
        "cut_edges": cut,
        "boundary_length": blen,
        "mean_polsby_popper": float(pp.mean()) if k else 0.0,
        "min_polsby_popper": float(pp.min()) if k else 0.0,
    }
