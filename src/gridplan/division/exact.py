"""Exact division of small territories: a MILP solved by HiGHS (``highspy``).

Each parent group is its own model (no edge joins two groups). The model
follows Hess with a vertex ordering, as Validi and Buchanan ("Political
districting to minimize cut edges", 2022) use it: the units are ranked
(breadth first from a far end of the graph) and every grid is named by its
*centre*, its lowest-ranked unit, so no two labellings describe the same
plan. Variables: ``x[i, j]`` (unit ``i`` in the grid centred at ``j``,
only for ``rank(j) <= rank(i)``) and ``z[e, j]`` (edge ``e`` lies inside
the grid of ``j``). Rows: one centre per unit, ``k`` centres,
``x[i, j] <= x[j, j]``, the balance band ``L x[j, j] <= load <= U x[j, j]``,
a unit other than the centre joins a grid only with a neighbour in it,
``z[e, j] <= x[u, j], x[v, j]``. The objective is the total weight of cut
edges, ``sum(c) - sum(c z)``: 1 per edge (cut edges) or the shared boundary
length (what :func:`~gridplan.division.divide` shortens).

Contiguity is added as it is needed: when the best plan has a grid in
pieces, every piece ``C`` without the centre gets the separator rows
``x[i, j] <= sum(x[v, j] for v next to C)`` (``i`` in ``C``, every centre
``j`` beyond ``C``'s neighbours) and the model is solved again, until the
best plan is whole (then it is optimal: the rows only cut off split grids)
or the model is infeasible (then no contiguous plan exists).

Variables that cannot be 1 are never built: ``x[i, j]`` needs a path from
``j`` to ``i`` through units ranked after ``j`` whose weights add up to at
most ``U`` (the largest grid), and a centre needs at least ``L`` of weight
within that reach.

The heuristic's plan, when given, is the starting incumbent. The result
says whether the plan is proven optimal, proven impossible, or neither
within ``time_limit`` (or ``node_limit`` branch-and-bound nodes, a limit
that does not depend on the machine).

>>> import numpy as np
>>> from gridplan.division._graph import lattice
>>> adj, _, _ = lattice(4, 3)
>>> res = solve_exact(adj, np.ones(12), np.zeros(12, dtype=int), [3], tolerance=0.0)
>>> res.status, res.objective, np.bincount(res.labels).tolist()
('optimal', 6.0, [4, 4, 4])
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, connected_components, dijkstra

from gridplan.division._graph import Adjacency

__all__ = ["EXACT_MAX_UNITS", "ExactResult", "solve_exact"]

#: Largest territory (in units) that :func:`divide` hands to the exact model when the
#: heuristic finds no valid plan.
EXACT_MAX_UNITS = 80

Status = Literal["optimal", "feasible", "infeasible", "unknown"]
_RANK: dict[str, int] = {"optimal": 0, "feasible": 1, "unknown": 2, "infeasible": 3}


@dataclass
class ExactResult:
    """``optimal``: proven best plan; ``feasible``: a plan, not proven best;
    ``infeasible``: proven that no plan exists; ``unknown``: no plan and no proof."""

    status: Status
    labels: np.ndarray | None
    objective: float | None
    bound: float | None
    seconds: float
    nodes: int = 0


class _Rows:
    """COO triplets and row bounds, added a block at a time."""

    def __init__(self) -> None:
        self.i: list[np.ndarray] = []
        self.j: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.n = 0

    def add(
        self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float, lo, hi, count: int
    ) -> None:
        """Rows ``self.n + rows`` (``count`` of them) with bounds ``lo``, ``hi``."""
        self.i.append(np.asarray(rows, dtype=np.int64) + self.n)
        self.j.append(np.asarray(cols, dtype=np.int64))
        self.v.append(np.broadcast_to(np.asarray(vals, dtype=float), (len(self.j[-1]),)))
        self.lo.append(np.broadcast_to(np.asarray(lo, dtype=float), (count,)))
        self.hi.append(np.broadcast_to(np.asarray(hi, dtype=float), (count,)))
        self.n += count

    def matrix(self, n_cols: int) -> tuple[sparse.csc_matrix, np.ndarray, np.ndarray]:
        a = sparse.coo_matrix(
            (np.concatenate(self.v), (np.concatenate(self.i), np.concatenate(self.j))),
            shape=(self.n, n_cols),
        ).tocsc()
        return a, np.concatenate(self.lo), np.concatenate(self.hi)


def _order(mat: sparse.csr_matrix) -> np.ndarray:
    """Units breadth first from a far end of each component (double sweep), ties by position."""
    n = mat.shape[0]
    seen = np.zeros(n, dtype=bool)
    out: list[np.ndarray] = []
    for s in range(n):
        if seen[s]:
            continue
        far = s
        for _ in range(2):
            far = int(breadth_first_order(mat, far, directed=False, return_predecessors=False)[-1])
        comp = breadth_first_order(mat, far, directed=False, return_predecessors=False)
        seen[comp] = True
        out.append(comp)
    return np.concatenate(out).astype(np.int64)


class _Part:
    """One parent group's model: its units in rank order and the variables that may be 1."""

    def __init__(
        self, adj: Adjacency, units: np.ndarray, weight: np.ndarray, k: int, band: tuple
    ) -> None:
        sub = adj.matrix()[units][:, units].tocsr()
        order = _order(sub)
        self.units = units[order]  # local position p = rank
        self.w = np.asarray(weight, dtype=float)[self.units]
        self.k = k
        self.lo, self.hi = band
        mat = sub[order][:, order].tocsr()
        mat.sort_indices()
        self.src = np.repeat(np.arange(len(order)), np.diff(mat.indptr))
        self.dst = mat.indices.astype(np.int64)
        self.allowed = self._reach(mat)

    @property
    def n(self) -> int:
        return len(self.units)

    def _reach(self, mat: sparse.csr_matrix) -> np.ndarray:
        """``allowed[i, j]``: unit ``i`` may join the grid centred at ``j``."""
        n, w = self.n, self.w
        eps = 1e-9 * max(float(w.max(initial=0.0)), 1.0)
        step = sparse.csr_matrix((w[self.dst] + eps, (self.src, self.dst)), shape=(n, n))
        cap = self.hi * (1 + 1e-9) + eps * (n + 1)
        allowed = np.zeros((n, n), dtype=bool)
        for j in range(n):
            dist = dijkstra(step[j:, j:], indices=0, limit=cap)
            allowed[j:, j] = dist + w[j] + eps <= cap
        reach = w @ allowed  # weight within reach of each centre
        allowed[:, reach < self.lo * (1 - 1e-9)] = False
        return allowed


class _Model:
    """Column blocks of one part: ``x`` pairs, then inside-edge indicators ``z``."""

    def __init__(self, part: _Part, cost: np.ndarray) -> None:
        self.part = part
        ok = part.allowed
        self.pi, self.pj = np.nonzero(ok)  # x pairs (unit, centre)
        self.xid = np.full(ok.shape, -1, dtype=np.int64)
        self.xid[self.pi, self.pj] = np.arange(len(self.pi))
        src, dst = part.src, part.dst
        e_ok = ok[src] & ok[dst] & (src < dst)[:, None]
        self.za, self.zj = np.nonzero(e_ok)  # inside (arc with src < dst, centre)
        self.z0 = len(self.pi)
        self.n_cols = self.z0 + len(self.za)
        self.cost = cost  # per arc (both directions carry the edge's weight)

    def rows(self) -> _Rows:
        rows = _Rows()
        self._assignment_rows(rows)
        self._neighbour_rows(rows)
        self._inside_rows(rows)
        return rows

    def _assignment_rows(self, rows: _Rows) -> None:
        p, pi, pj = self.part, self.pi, self.pj
        n_x = len(pi)
        rows.add(pi, np.arange(n_x), 1.0, 1, 1, p.n)  # one centre per unit
        diag = np.flatnonzero(pi == pj)
        rows.add(np.zeros(len(diag)), diag, 1.0, p.k, p.k, 1)  # k centres
        off = np.flatnonzero(pi != pj)  # x[i, j] <= x[j, j]
        r = np.arange(len(off))
        rows.add(
            np.concatenate([r, r]),
            np.concatenate([off, self.xid[pj[off], pj[off]]]),
            np.concatenate([np.ones(len(off)), -np.ones(len(off))]),
            -np.inf,
            0,
            len(off),
        )
        slot = np.full(p.n, -1)
        slot[pj[diag]] = np.arange(len(diag))
        for bound, lo, hi in ((p.lo, 0, np.inf), (p.hi, -np.inf, 0)):  # band * x[j, j]
            rows.add(
                np.concatenate([slot[pj], slot[pj[diag]]]),
                np.concatenate([np.arange(n_x), diag]),
                np.concatenate([p.w[pi], -bound * np.ones(len(diag))]),
                lo,
                hi,
                len(diag),
            )

    def _neighbour_rows(self, rows: _Rows) -> None:
        """A unit other than the centre joins a grid only with a neighbour in it."""
        p = self.part
        off = np.flatnonzero(self.pi != self.pj)
        slot = np.full(len(self.pi), -1)
        slot[off] = np.arange(len(off))
        a, j = np.nonzero(p.allowed[p.src] & p.allowed[p.dst])
        x_dst, x_src = self.xid[p.dst[a], j], self.xid[p.src[a], j]
        into = p.dst[a] != j
        rows.add(
            np.concatenate([np.arange(len(off)), slot[x_dst[into]]]),
            np.concatenate([off, x_src[into]]),
            np.concatenate([np.ones(len(off)), -np.ones(int(into.sum()))]),
            -np.inf,
            0,
            len(off),
        )

    def _inside_rows(self, rows: _Rows) -> None:
        p = self.part
        r = np.arange(len(self.za))
        z = self.z0 + r
        for end in (p.src, p.dst):  # z[e, j] <= x[end, j]
            rows.add(
                np.concatenate([r, r]),
                np.concatenate([z, self.xid[end[self.za], self.zj]]),
                np.concatenate([np.ones(len(r)), -np.ones(len(r))]),
                -np.inf,
                0,
                len(r),
            )

    def objective(self) -> tuple[np.ndarray, float]:
        """Column costs and offset: the weight of cut edges is ``offset - sum(c z)``."""
        c = np.zeros(self.n_cols)
        c[self.z0 :] = -self.cost[self.za]
        half = self.part.src < self.part.dst
        return c, float(self.cost[half].sum())

    def start(self, local: np.ndarray) -> np.ndarray | None:
        """The columns of a plan (local grid labels), or ``None`` if it is no plan here."""
        p = self.part
        if len(np.unique(local)) != p.k or _broken(p, local):
            return None
        centre = np.full(local.max() + 1, p.n)
        np.minimum.at(centre, local, np.arange(p.n))  # rank order: lowest position
        cj = centre[local]
        ids = self.xid[np.arange(p.n), cj]
        if np.any(ids < 0):
            return None
        col = np.zeros(self.n_cols)
        col[ids] = 1
        inside = local[p.src[self.za]] == local[p.dst[self.za]]
        col[self.z0 :] = inside & (cj[p.src[self.za]] == self.zj)
        return col

    def centres(self, col: np.ndarray) -> np.ndarray:
        """Each unit's centre (local position) in a solution."""
        on = col[: self.z0] > 0.5
        centre = np.zeros(self.part.n, dtype=np.int64)
        centre[self.pi[on]] = self.pj[on]
        return centre

    def separators(self, centre: np.ndarray) -> tuple[list[int], list[int]] | None:
        """Rows cutting off this solution's grids in pieces (CSR starts, indices), or ``None``.

        For a piece ``C`` of a grid without its centre and ``N`` the units
        next to ``C``: a unit ``i`` of ``C`` joins a grid centred at ``j``
        outside ``C`` and ``N`` only with some unit of ``N``:
        ``x[i, j] <= sum(x[v, j] for v in N)``.
        """
        starts: list[int] = []
        index: list[int] = []
        for piece in _pieces(self.part, centre):
            near = np.zeros(self.part.n, dtype=bool)
            near[self.part.dst[np.isin(self.part.src, piece)]] = True
            near[piece] = False
            outside = ~near
            outside[piece] = False
            for i in piece.tolist():
                for j in np.flatnonzero((self.xid[i] >= 0) & outside).tolist():
                    starts.append(len(index))
                    index.append(int(self.xid[i, j]))
                    index += [int(c) for c in self.xid[near, j] if c >= 0]
        return None if not starts else (starts, index)


def _pieces(part: _Part, centre: np.ndarray) -> list[np.ndarray]:
    """Connected pieces of grids (by centre) that do not hold their centre."""
    inside = centre[part.src] == centre[part.dst]
    mat = sparse.csr_matrix(
        (np.ones(int(inside.sum())), (part.src[inside], part.dst[inside])),
        shape=(part.n, part.n),
    )
    _, comp = connected_components(mat, directed=False)
    return [np.flatnonzero(comp == c) for c in np.unique(comp) if comp[centre[comp == c][0]] != c]


def _broken(part: _Part, local: np.ndarray) -> bool:
    inside = local[part.src] == local[part.dst]
    mat = sparse.csr_matrix(
        (np.ones(int(inside.sum())), (part.src[inside], part.dst[inside])),
        shape=(part.n, part.n),
    )
    return connected_components(mat, directed=False)[0] != len(np.unique(local))


def _highs(model: _Model, time_limit: float, node_limit: int | None, warm: bool):
    import highspy

    from gridplan.allocation._solver import _new_highs

    a, lo, hi = model.rows().matrix(model.n_cols)
    cost, offset = model.objective()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(a.shape[1]), np.ones(a.shape[1])
    lp.offset_ = offset
    lp.row_lower_, lp.row_upper_ = lo, hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
    lp.integrality_ = [kinds[int(i < model.z0)] for i in range(model.n_cols)]
    h = _new_highs(highspy)
    for key, value in (("output_flag", False), ("threads", 1), ("random_seed", 0)):
        h.setOptionValue(key, value)
    h.setOptionValue("mip_rel_gap", 1e-6)
    if warm:  # the search's plan is the incumbent: no sub-MIP searches for one
        for key in ("rins", "rens", "root_reduced_cost"):
            h.setOptionValue(f"mip_heuristic_run_{key}", False)
    h.setOptionValue("time_limit", float(time_limit))
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(node_limit))
    h.passModel(lp)
    return h, highspy


def _solve_part(
    model: _Model, local_start: np.ndarray | None, time_limit: float, node_limit: int | None
) -> ExactResult:
    """Solve without contiguity, cut off grids in pieces, repeat until the best plan is whole."""
    t0 = time.perf_counter()
    if not _possible(model.part):
        return ExactResult("infeasible", None, None, None, time.perf_counter() - t0)
    best = None if local_start is None else model.start(local_start)
    h, highspy = _highs(model, time_limit, node_limit, best is not None)
    nodes, s = 0, highspy.HighsModelStatus
    while True:
        if best is not None:
            sol = highspy.HighsSolution()
            sol.col_value = best.tolist()
            sol.value_valid = True
            h.setSolution(sol)
        h.setOptionValue("time_limit", max(1e-3, time_limit - (time.perf_counter() - t0)))
        h.run()
        status, info = h.getModelStatus(), h.getInfo()
        nodes += int(info.mip_node_count)
        if status in (s.kInfeasible, s.kUnboundedOrInfeasible):
            return ExactResult("infeasible", None, None, None, time.perf_counter() - t0, nodes)
        col = np.asarray(h.getSolution().col_value) if info.primal_solution_status == 2 else None
        cuts = None if col is None else model.separators(model.centres(col))
        if cuts is None and col is not None:
            best = col
        if cuts is None or status != s.kOptimal:
            break
        starts, index = cuts
        h.addRows(
            len(starts),
            np.full(len(starts), -np.inf),
            np.zeros(len(starts)),
            len(index),
            np.asarray(starts, dtype=np.int32),
            np.asarray(index, dtype=np.int32),
            _separator_values(starts, len(index)),
        )
    return _outcome(model, best, status == s.kOptimal, h, time.perf_counter() - t0, nodes)


def _possible(part: _Part) -> bool:
    """False when the fixing alone proves it: a unit fits no grid, or too few centres remain."""
    return bool(part.allowed.any(axis=1).all()) and int(np.diag(part.allowed).sum()) >= part.k


def _separator_values(starts: list[int], n: int) -> np.ndarray:
    vals = -np.ones(n)
    vals[starts] = 1.0
    return vals


def _outcome(model, best, optimal: bool, h, seconds: float, nodes: int) -> ExactResult:
    """The part's result: its best whole plan, proven optimal when the last solve ended so."""
    info = h.getInfo()
    bound = round(float(info.mip_dual_bound), 6)
    if best is None:
        return ExactResult("unknown", None, None, bound, seconds, nodes)
    cost, offset = model.objective()
    objective = round(offset + float(cost @ best), 6)
    proven = optimal and objective <= bound + 1e-6 * max(1.0, abs(bound))
    _, labels = np.unique(model.centres(best), return_inverse=True)
    kind: Status = "optimal" if proven else "feasible"
    return ExactResult(
        kind, labels.astype(np.int64), objective, min(bound, objective), seconds, nodes
    )


def _combine(parts: list[tuple[_Part, ExactResult]], m: list[int], n: int, t0: float):
    """One result for the whole territory from the parts' results (group by group)."""
    seconds = time.perf_counter() - t0
    nodes = sum(r.nodes for _, r in parts)
    worst: Status = max((r.status for _, r in parts), key=_RANK.__getitem__, default="optimal")
    if worst == "infeasible" or len(parts) < len(m):
        return ExactResult(
            "infeasible" if worst == "infeasible" else "unknown", None, None, None, seconds, nodes
        )
    bounds = [r.bound for _, r in parts]
    bound = None if any(b is None for b in bounds) else round(sum(bounds), 6)  # type: ignore[arg-type]
    if worst == "unknown":
        return ExactResult("unknown", None, None, bound, seconds, nodes)
    labels = np.zeros(n, dtype=np.int64)
    offset = 0
    for (part, r), k in zip(parts, m, strict=True):
        assert r.labels is not None
        first = np.full(k, n)
        np.minimum.at(first, r.labels, part.units)  # grids numbered by their lowest unit
        labels[part.units] = offset + np.argsort(np.argsort(first))[r.labels]
        offset += k
    objective = round(sum(float(r.objective or 0.0) for _, r in parts), 6)
    return ExactResult(worst, labels, objective, bound, seconds, nodes)


def _local_start(start: np.ndarray | None, units: np.ndarray) -> np.ndarray | None:
    if start is None:
        return None
    return np.unique(np.asarray(start)[units], return_inverse=True)[1].astype(np.int64)


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
    node_limit: int | None = None,
) -> ExactResult:
    """Minimum-cut contiguous partition within the balance band, or a proof there is none.

    ``adj`` must have no edge between groups (like the search's working
    graph); grid labels of group ``gi`` follow those of group ``gi - 1``,
    and within a group the grids are numbered by their lowest unit.
    ``start``: a contiguous plan to start from (labels), e.g. the heuristic's.
    ``time_limit`` (seconds) and ``node_limit`` (branch-and-bound nodes per
    group) stop the search early; the node limit keeps the result
    independent of the machine.
    """
    t0 = time.perf_counter()
    weight = np.asarray(weight, dtype=float)
    group = np.asarray(group)
    parts: list[tuple[_Part, ExactResult]] = []
    for gi, k in enumerate(m):
        units = np.flatnonzero(group == gi)
        target = float(weight[units].sum()) / max(k, 1)
        part = _Part(adj, units, weight, k, (target * (1 - tolerance), target * (1 + tolerance)))
        cost = np.ones(len(part.src)) if edge_weight == "count" else _arc_lengths(adj, part)
        left = max(1e-3, time_limit - (time.perf_counter() - t0))
        res = _solve_part(_Model(part, cost), _local_start(start, part.units), left, node_limit)
        parts.append((part, res))
        if res.status in ("infeasible", "unknown"):
            break
    return _combine(parts, list(m), adj.n, t0)


def _arc_lengths(adj: Adjacency, part: _Part) -> np.ndarray:
    """Shared boundary length of each of the part's arcs (local positions)."""
    mat = sparse.csr_matrix((adj.length, adj.indices, adj.indptr), shape=(adj.n, adj.n))
    return np.asarray(mat[part.units[part.src], part.units[part.dst]]).ravel()
