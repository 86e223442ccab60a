"""Exact division of small territories: a MILP solved by HiGHS (``highspy``).

Variables: ``x[u, g]`` (unit ``u`` in grid ``g``), ``r[u, g]`` (``u`` is
the root of ``g``), a flow ``f[a, g]`` on every directed edge ``a`` (the
root sends one unit of flow to every other unit of its grid, along edges
inside the grid: contiguity) and ``y[e]`` (edge ``e`` is cut). Rows: each
unit in one grid of its parent group, one root per grid, the balance band
``target * (1 ± tolerance)`` per grid, flow conservation and capacities,
``y[e] >= |x[u, g] - x[v, g]|``. Symmetry is broken by making the root of a
grid its lowest unit and ordering the roots of a group's grids. The
objective is the total weight of cut edges: 1 per edge (cut edges) or the
shared boundary length (what :func:`~gridplan.division.divide` shortens).

The heuristic's plan, when given, is the starting incumbent. The result
says whether the plan is proven optimal, proven impossible, or neither
within ``time_limit``.

>>> import numpy as np
>>> from gridplan.division._graph import lattice
>>> adj, _, _ = lattice(4, 3)
>>> res = solve_exact(adj, np.ones(12), np.zeros(12, dtype=int), [3], tolerance=0.0)
>>> res.status, res.objective, np.bincount(res.labels).tolist()
('optimal', 6.0, [4, 4, 4])
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse

from gridplan.division._graph import Adjacency

__all__ = ["EXACT_MAX_UNITS", "ExactResult", "solve_exact"]

#: Largest territory (in units) that :func:`divide` hands to the exact model when the
#: heuristic finds no valid plan.
EXACT_MAX_UNITS = 80

Status = Literal["optimal", "feasible", "infeasible", "unknown"]


@dataclass
class ExactResult:
    """``optimal``: proven best plan; ``feasible``: a plan, not proven best;
    ``infeasible``: proven that no plan exists; ``unknown``: no plan and no proof."""

    status: Status
    labels: np.ndarray | None
    objective: float | None
    bound: float | None
    seconds: float


class _Layout:
    """Column positions of the model's variable blocks."""

    def __init__(self, n: int, k: int, n_arcs: int, n_edges: int) -> None:
        self.n, self.k = n, k
        self.x0 = 0
        self.r0 = n * k
        self.f0 = 2 * n * k
        self.y0 = self.f0 + n_arcs * k
        self.n_cols = self.y0 + n_edges

    def x(self, u: np.ndarray | int, g: np.ndarray | int) -> np.ndarray:
        return np.asarray(u) * self.k + g

    def r(self, u: np.ndarray | int, g: np.ndarray | int) -> np.ndarray:
        return self.r0 + np.asarray(u) * self.k + g

    def f(self, a: np.ndarray | int, g: np.ndarray | int) -> np.ndarray:
        return self.f0 + np.asarray(a) * self.k + g


class _Rows:
    """COO triplets and row bounds, added a block at a time."""

    def __init__(self) -> None:
        self.i: list[np.ndarray] = []
        self.j: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.n = 0

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, lo, hi, count: int):
        self.i.append(np.asarray(rows, dtype=np.int64) + self.n)
        self.j.append(np.asarray(cols, dtype=np.int64))
        self.v.append(np.asarray(vals, dtype=float))
        self.lo.append(np.broadcast_to(np.asarray(lo, dtype=float), (count,)))
        self.hi.append(np.broadcast_to(np.asarray(hi, dtype=float), (count,)))
        self.n += count

    def matrix(self, n_cols: int) -> tuple[sparse.csc_matrix, np.ndarray, np.ndarray]:
        a = sparse.coo_matrix(
            (np.concatenate(self.v), (np.concatenate(self.i), np.concatenate(self.j))),
            shape=(self.n, n_cols),
        ).tocsc()
        return a, np.concatenate(self.lo), np.concatenate(self.hi)


def _grid_rows(rows: _Rows, lay: _Layout, weight: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    n, k = lay.n, lay.k
    u = np.repeat(np.arange(n), k)
    g = np.tile(np.arange(k), n)
    rows.add(u, lay.x(u, g), np.ones(n * k), 1, 1, n)  # one grid per unit
    rows.add(g, lay.r(u, g), np.ones(n * k), 1, 1, k)  # one root per grid
    idx = np.arange(n * k)  # r <= x
    rows.add(
        np.concatenate([idx, idx]),
        np.concatenate([lay.r(u, g), lay.x(u, g)]),
        np.concatenate([np.ones(n * k), -np.ones(n * k)]),
        -np.inf,
        0,
        n * k,
    )
    rows.add(g, lay.x(u, g), weight[u], lo, hi, k)  # balance band


def _flow_rows(rows: _Rows, lay: _Layout, src: np.ndarray, dst: np.ndarray, cap: float):
    n, k = lay.n, lay.k
    n_arcs = len(src)
    a = np.repeat(np.arange(n_arcs), k)
    g = np.tile(np.arange(k), n_arcs)
    idx = np.arange(n_arcs * k)
    for end in (src, dst):  # f[a, g] <= cap * x[end, g]
        rows.add(
            np.concatenate([idx, idx]),
            np.concatenate([lay.f(a, g), lay.x(end[a], g)]),
            np.concatenate([np.ones(n_arcs * k), -cap * np.ones(n_arcs * k)]),
            -np.inf,
            0,
            n_arcs * k,
        )
    # inflow - outflow - x[u, g] + cap * r[u, g] >= 0 (row u * k + g)
    row_in = dst[a] * k + g
    row_out = src[a] * k + g
    u = np.repeat(np.arange(n), k)
    gu = np.tile(np.arange(k), n)
    nodes = np.arange(n * k)
    rows.add(
        np.concatenate([row_in, row_out, nodes, nodes]),
        np.concatenate([lay.f(a, g), lay.f(a, g), lay.x(u, gu), lay.r(u, gu)]),
        np.concatenate(
            [np.ones(n_arcs * k), -np.ones(n_arcs * k), -np.ones(n * k), cap * np.ones(n * k)]
        ),
        0,
        np.inf,
        n * k,
    )


def _cut_rows(rows: _Rows, lay: _Layout, ei: np.ndarray, ej: np.ndarray):
    k = lay.k
    n_e = len(ei)
    e = np.repeat(np.arange(n_e), k)
    g = np.tile(np.arange(k), n_e)
    idx = np.arange(n_e * k)
    for sign in (1.0, -1.0):  # y[e] - sign * (x[i, g] - x[j, g]) >= 0
        rows.add(
            np.concatenate([idx, idx, idx]),
            np.concatenate([lay.y0 + e, lay.x(ei[e], g), lay.x(ej[e], g)]),
            np.concatenate([np.ones(n_e * k), -sign * np.ones(n_e * k), sign * np.ones(n_e * k)]),
            0,
            np.inf,
            n_e * k,
        )


def _symmetry_rows(rows: _Rows, lay: _Layout, grid_group: np.ndarray):
    """Root of a grid = its lowest unit; roots of one group's grids increase with ``g``."""
    n, k = lay.n, lay.k
    v_idx, w_idx = np.tril_indices(n)  # w <= v
    n_pairs = len(v_idx)
    for g in range(k):  # x[v, g] - sum_{w <= v} r[w, g] <= 0
        rows.add(
            np.concatenate([np.arange(n), v_idx]),
            np.concatenate([lay.x(np.arange(n), g), lay.r(w_idx, g)]),
            np.concatenate([np.ones(n), -np.ones(n_pairs)]),
            -np.inf,
            0,
            n,
        )
    pos = np.arange(n, dtype=float)
    for g in range(k - 1):
        if grid_group[g] != grid_group[g + 1]:
            continue
        rows.add(
            np.zeros(2 * n, dtype=np.int64),
            np.concatenate([lay.r(np.arange(n), g), lay.r(np.arange(n), g + 1)]),
            np.concatenate([pos, -pos]),
            -np.inf,
            -1,
            1,
        )


def _warm(
    labels: np.ndarray, lay: _Layout, adj: Adjacency, src: np.ndarray, ei, ej
) -> np.ndarray | None:
    """The model's columns for a contiguous plan (roots = lowest units), else ``None``."""
    n, k = lay.n, lay.k
    col = np.zeros(lay.n_cols)
    col[lay.x(np.arange(n), labels)] = 1
    nb = [adj.indices[adj.indptr[u] : adj.indptr[u + 1]] for u in range(n)]
    arc_of = {(int(s), int(d)): a for a, (s, d) in enumerate(zip(src, adj.indices, strict=True))}
    for g in range(k):
        members = np.flatnonzero(labels == g)
        if len(members) == 0:
            return None
        root = int(members[0])
        col[lay.r(root, g)] = 1
        parent = {root: -1}
        order = [root]
        queue = deque([root])
        while queue:
            u = queue.popleft()
            for v in nb[u].tolist():
                if labels[v] == g and v not in parent:
                    parent[v] = u
                    order.append(v)
                    queue.append(v)
        if len(order) != len(members):
            return None
        size = {u: 1 for u in order}
        for v in reversed(order[1:]):
            size[parent[v]] += size[v]
            col[lay.f(arc_of[(parent[v], v)], g)] = size[v]
    col[lay.y0 : lay.y0 + len(ei)] = (labels[ei] != labels[ej]).astype(float)
    return col


def _relabel(labels: np.ndarray, grid_group: np.ndarray) -> np.ndarray:
    """Grids of each group renumbered so that their lowest units increase."""
    out = labels.copy()
    for gi in np.unique(grid_group):
        gs = np.flatnonzero(grid_group == gi)
        first = [int(np.flatnonzero(labels == g).min()) for g in gs]
        for new, old in zip(gs, gs[np.argsort(first)], strict=True):
            out[labels == old] = new
    return out


def _highs(a: sparse.csc_matrix, lo, hi, cost, ub, integer: np.ndarray, time_limit: float):
    import highspy

    from gridplan.allocation._solver import _new_highs

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(a.shape[1]), ub
    lp.row_lower_, lp.row_upper_ = lo, hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
    lp.integrality_ = [kinds[int(f)] for f in integer]
    h = _new_highs(highspy)
    for key, value in (("output_flag", False), ("threads", 1), ("random_seed", 0)):
        h.setOptionValue(key, value)
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.setOptionValue("time_limit", float(time_limit))
    h.passModel(lp)
    return h, highspy


def solve_exact(
    adj: Adjacency,
    weight: np.ndarray,
    group: np.ndarray,
    m: list[int],
    tolerance: float,
    *,
    edge_weight: Literal["count", "length"] = "count",
    time_limit: float = 60.0,
    start: np.ndarray | None = None,
) -> ExactResult:
    """Minimum-cut contiguous partition within the balance band, or a proof there is none.

    ``adj`` must have no edge between groups (like the search's working
    graph); grid labels of group ``gi`` follow those of group ``gi - 1``.
    ``start``: a contiguous plan to start from (labels), e.g. the heuristic's.
    """
    t0 = time.perf_counter()
    n, k = adj.n, int(sum(m))
    grid_group = np.repeat(np.arange(len(m)), m)
    src = np.repeat(np.arange(n), np.diff(adj.indptr))
    ei, ej, ln = adj.edges()
    lay = _Layout(n, k, len(src), len(ei))
    loads = np.bincount(group, weights=weight, minlength=len(m))
    target = (loads / np.maximum(np.asarray(m, dtype=float), 1))[grid_group]
    rows = _Rows()
    _grid_rows(
        rows, lay, np.asarray(weight, float), target * (1 - tolerance), target * (1 + tolerance)
    )
    cap = float(np.bincount(group).max())
    _flow_rows(rows, lay, src, adj.indices, cap)
    _cut_rows(rows, lay, ei, ej)
    _symmetry_rows(rows, lay, grid_group)
    a, lo, hi = rows.matrix(lay.n_cols)
    ub = np.ones(lay.n_cols)
    ub[lay.f0 : lay.y0] = cap
    other = group[:, None] != grid_group[None, :]  # a unit never joins another group's grid
    ub[lay.x0 : lay.r0][other.ravel()] = 0
    ub[lay.r0 : lay.f0][other.ravel()] = 0
    integer = np.zeros(lay.n_cols, dtype=bool)
    integer[: lay.f0] = True
    cost = np.zeros(lay.n_cols)
    cost[lay.y0 :] = 1.0 if edge_weight == "count" else ln
    h, highspy = _highs(a, lo, hi, cost, ub, integer, time_limit)
    if start is not None:
        col = _warm(_relabel(np.asarray(start), grid_group), lay, adj, src, ei, ej)
        if col is not None:
            sol = highspy.HighsSolution()
            sol.col_value = col.tolist()
            sol.value_valid = True
            h.setSolution(sol)
    h.run()
    return _result(h, highspy, lay, time.perf_counter() - t0)


def _result(h, highspy, lay: _Layout, seconds: float) -> ExactResult:
    status = h.getModelStatus()
    info = h.getInfo()
    s = highspy.HighsModelStatus
    if status in (s.kInfeasible, s.kUnboundedOrInfeasible):
        return ExactResult("infeasible", None, None, None, seconds)
    if info.primal_solution_status != 2:
        return ExactResult("unknown", None, None, float(info.mip_dual_bound), seconds)
    x = np.asarray(h.getSolution().col_value)[: lay.r0].reshape(lay.n, lay.k)
    labels = np.argmax(x, axis=1).astype(np.int64)
    kind: Status = "optimal" if status == s.kOptimal else "feasible"
    objective = round(float(info.objective_function_value), 6)
    return ExactResult(kind, labels, objective, round(float(info.mip_dual_bound), 6), seconds)
