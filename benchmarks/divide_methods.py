"""Runners for the divide benchmark: each returns one integer label per unit.

All methods see the same graph (unit positions 0..n-1 in ``territory.units``
order), the same integer loads and the same number of grids; their plans are
scored by the same code (:mod:`gridplan.division.metrics`).
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from gridplan.division import divide
from gridplan.division._graph import Adjacency
from gridplan.division.metrics import summarise
from gridplan.division.plan import _Arrays


class Timeout(Exception):
    """A run exceeded its time cap."""


@contextlib.contextmanager
def time_cap(seconds: float) -> Iterator[None]:
    """Interrupt pure-Python work after ``seconds`` (SIGALRM; main thread, POSIX)."""

    def _raise(signum: int, frame: Any) -> None:
        raise Timeout(f"over {seconds:.0f} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Case:
    """One data set: territory, its arrays, the balance column and grid count."""

    name: str
    territory: Any
    balance: str
    k: int
    tolerance: float = 0.01

    def __post_init__(self) -> None:
        self.arrays = _Arrays.from_territory(self.territory)
        col = self.territory.column(self.balance)
        self.weight = self.territory.units[col].to_numpy(dtype=float)

    @property
    def adj(self) -> Adjacency:
        return self.arrays.adj

    def score(self, labels: np.ndarray) -> dict[str, Any]:
        """Same measures for every method; targets = territory mean."""
        uniq, lab = np.unique(labels, return_inverse=True)
        k = len(uniq)
        targets = np.full(k, self.weight.sum() / self.k)
        a = self.arrays
        m = summarise(a.adj, lab, k, self.weight, a.area, a.perimeter, targets, self.tolerance)
        m["n_grids"] = k
        m["valid"] = bool(k == self.k and m["contiguous"] and m["n_outside_tolerance"] == 0)
        return m


def run_gridplan(case: Case, seed: int) -> np.ndarray:
    plan = divide(
        case.territory,
        n_grids=case.k,
        balance=case.balance,
        tolerance=case.tolerance,
        seed=seed,
        strict=False,
    )
    return np.unique(plan.assignment.to_numpy(dtype=str), return_inverse=True)[1]


def run_gerrychain(case: Case, seed: int) -> np.ndarray:
    from gerrychain import Graph
    from gerrychain.tree import recursive_tree_part

    g = nx.Graph()
    g.add_nodes_from((u, {"population": float(w)}) for u, w in enumerate(case.weight))
    i, j, _ = case.adj.edges()
    g.add_edges_from(zip(i.tolist(), j.tolist(), strict=True))
    graph = Graph.from_networkx(g)
    target = case.weight.sum() / case.k
    out = recursive_tree_part(graph, range(case.k), target, "population", case.tolerance, rng=seed)
    return np.array([out[u] for u in range(len(case.weight))])


def run_pymetis(case: Case, seed: int) -> np.ndarray:
    import pymetis

    adj = case.adj
    opts = pymetis.Options(seed=seed, ufactor=max(1, round(case.tolerance * 1000)))
    ew = np.maximum(1, np.round(adj.length)).astype(np.int64)
    res = pymetis.part_graph(
        case.k,
        adjacency=pymetis.CSRAdjacency(adj.indptr, adj.indices),
        vweights=np.round(case.weight).astype(np.int64),
        eweights=ew,
        options=opts,
        contiguous=True,
        recursive=False,
    )
    return np.asarray(res[1])


def _pysal_w(case: Case):
    from libpysal.weights import W

    adj = case.adj
    nb = {u: adj.indices[adj.indptr[u] : adj.indptr[u + 1]].tolist() for u in range(adj.n)}
    return W(nb, silence_warnings=True)


def run_spopt_kmeans(case: Case, seed: int) -> np.ndarray:
    from spopt.region import RegionKMeansHeuristic

    xy = np.column_stack([case.arrays.x, case.arrays.y])
    model = RegionKMeansHeuristic(xy, case.k, _pysal_w(case), seed=seed)
    model.solve()
    return np.asarray(model.labels_)


def run_spopt_maxp(case: Case, seed: int) -> np.ndarray:
    import random

    from spopt.region import MaxPHeuristic

    random.seed(seed)
    np.random.seed(seed)  # MaxPHeuristic draws from the global numpy state
    gdf = case.territory.units[[case.territory.units.geometry.name]].copy()
    gdf["x"], gdf["y"] = case.arrays.x, case.arrays.y
    gdf["load"] = case.weight
    gdf = gdf.reset_index(drop=True)
    thr = case.weight.sum() / case.k * (1 - case.tolerance)
    model = MaxPHeuristic(
        gdf,
        _pysal_w(case),
        ["x", "y"],
        "load",
        thr,
        top_n=2,
        max_iterations_construction=20,
        max_iterations_sa=2,
    )
    model.solve()
    return np.asarray(model.labels_)


METHODS: dict[str, Callable[[Case, int], np.ndarray]] = {
    "gridplan": run_gridplan,
    "gerrychain recursive_tree_part": run_gerrychain,
    "pymetis k-way contig": run_pymetis,
    "spopt RegionKMeans": run_spopt_kmeans,
    "spopt MaxP": run_spopt_maxp,
}


def machine() -> str:
    """Python, machine, cores and load at the start of a benchmark run."""
    return (
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"load average at start {os.getloadavg()[0]:.2f}"
    )


def timed(fn: Callable[[Case, int], np.ndarray], case: Case, seed: int, cap: float):
    """(labels or None, seconds, note)."""
    start = time.perf_counter()
    try:
        with time_cap(cap):
            labels = fn(case, seed)
    except Timeout as exc:
        return None, time.perf_counter() - start, f"timeout ({exc})"
    except Exception as exc:  # a failing competitor is a result, not a crash
        return None, time.perf_counter() - start, f"{type(exc).__name__}: {str(exc)[:60]}"
    return labels, time.perf_counter() - start, ""
