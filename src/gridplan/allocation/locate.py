"""Classic facility-location models: p-median, maximal covering, set covering.

Each function takes a demand × site ``cost`` matrix (numpy array or DataFrame
whose index labels demands and whose columns label sites; ``inf`` marks a pair
that cannot be served) and returns a :class:`LocateResult`. With
``network=`` (a :class:`gridplan.network.Network`), ``cost`` is instead the pair
``(demand, sites)`` of GeoDataFrames and the cost is the walking distance.

>>> import numpy as np
>>> cost = np.array([[0, 3, 9], [4, 0, 5], [9, 5, 0], [8, 2, 1]])
>>> r = p_median(cost, p=2)
>>> r.status, r.objective, r.open_sites
('optimal', 4.0, [1, 2])
>>> r.assignment.tolist()
[1, 1, 2, 2]
>>> max_covering(cost, radius=4, p=1).open_sites
[1]
>>> set_covering(cost, radius=4).objective
2.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from gridplan.allocation._inputs import check_number
from gridplan.allocation._solver import (
    Model,
    Solver,
    SolveResult,
    check_solver_args,
    relative_gap,
    solve,
)
from gridplan.errors import ConfigError, DataValueError, InfeasibleError, format_rows
from gridplan.network import Network

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "LocateResult",
    "distance_matrix",
    "max_covering",
    "p_median",
    "set_covering",
]


@dataclass
class LocateResult:
    """Outcome of a location model.

    ``objective`` is re-evaluated from the chosen sites (weighted distance for
    p-median, covered weight for max covering, site cost for set covering), so
    it is exact for the returned plan. ``status`` is ``"optimal"`` (proven
    within a relative gap of 1e-4), ``"feasible"`` (stopped early by the time
    limit or a looser ``mip_gap``; ``gap`` is the true relative gap to
    ``best_bound``) or ``"no solution"``. ``assignment`` maps each demand label to
    its nearest open site (p-median) or nearest covering open site (covering
    models; missing when uncovered).
    """

    objective: float | None
    open_sites: list[Any]
    assignment: pd.Series
    status: str
    gap: float | None
    best_bound: float | None
    seconds: float
    solver: str
    model: str
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        gap = "n/a" if self.gap is None else f"{self.gap:.4%}"
        return (
            f"LocateResult({self.model}: status={self.status!r}, objective={self.objective}, "
            f"open_sites={len(self.open_sites)}, gap={gap}, {self.seconds:.3f}s, {self.solver})"
        )


# --------------------------------------------------------------------------- helpers


def _as_cost(cost: Any) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """Validate the cost matrix once: 2-D, numeric, no NaN, no negatives."""
    if isinstance(cost, pd.DataFrame):
        rows, cols = cost.index, cost.columns
        arr = cost.to_numpy(dtype=float, na_value=np.nan)
    else:
        try:
            arr = np.asarray(cost, dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataValueError("cost must be a numeric demand × site matrix") from exc
        if arr.ndim != 2:
            raise DataValueError(f"cost must be 2-D (demand × site), got shape {arr.shape}")
        rows, cols = pd.RangeIndex(arr.shape[0]), pd.RangeIndex(arr.shape[1])
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataValueError(f"cost needs at least one demand and one site, got {arr.shape}")
    bad = np.isnan(arr) | (arr < 0) | np.isneginf(arr)
    if bad.any():
        r = np.flatnonzero(bad.any(axis=1))
        raise DataValueError(
            f"cost has NaN or negative values in demand rows {format_rows(rows[r])}; "
            "use inf for pairs that cannot be served",
            rows=list(rows[r]),
        )
    return arr, rows, cols


def _as_vector(values: Any, n: int, what: str, labels: pd.Index, default: float) -> np.ndarray:
    if values is None:
        return np.full(n, float(default))
    if np.isscalar(values):
        arr = np.full(n, float(values))  # type: ignore[arg-type]
    else:
        arr = np.asarray(
            values.reindex(labels).to_numpy() if isinstance(values, pd.Series) else values,
            dtype=float,
        )
    if arr.shape != (n,):
        raise DataValueError(f"{what} must have {n} values, got shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        r = np.flatnonzero(bad)
        raise DataValueError(
            f"{what} must be finite and non-negative; bad at {format_rows(labels[r])}",
            rows=list(labels[r]),
        )
    return arr


def _result(
    model_name: str,
    sol: SolveResult,
    objective: float | None,
    open_idx: np.ndarray,
    assign: np.ndarray,
    rows: pd.Index,
    cols: pd.Index,
    sense: int,
    extra: dict[str, Any] | None = None,
) -> LocateResult:
    """Assemble a LocateResult; ``sense`` is +1 for minimisation, -1 for maximisation."""
    if not sol.has_solution:
        return LocateResult(
            None,
            [],
            pd.Series(index=rows, dtype=object, name="site"),
            sol.status,
            None,
            None,
            sol.seconds,
            sol.solver,
            model_name,
            extra or {},
        )
    bound = None if sol.best_bound is None else sense * sol.best_bound
    if objective is not None and bound is not None:
        # a valid bound never promises better than a plan in hand (rounding noise otherwise)
        if sense * (bound - objective) > 0:
            bound = objective
        gap = relative_gap(objective, bound)
    else:
        gap = None
    labels = cols.to_numpy()[np.where(assign >= 0, assign, 0)]
    series = pd.Series(labels, index=rows, name="site", dtype=object)
    series[assign < 0] = None
    return LocateResult(
        objective,
        [cols[j].item() if hasattr(cols[j], "item") else cols[j] for j in open_idx],
        series,
        sol.status,
        gap,
        bound,
        sol.seconds,
        sol.solver,
        model_name,
        extra or {},
    )


def distance_matrix(
    demand: gpd.GeoDataFrame | gpd.GeoSeries,
    sites: gpd.GeoDataFrame | gpd.GeoSeries,
    network: Network | None = None,
    limit: float | None = None,
) -> pd.DataFrame:
    """Straight-line distances (CRS units) from demand representative points to sites.

    ``demand`` and ``sites`` are GeoDataFrames or GeoSeries in the same metric CRS;
    polygons are reduced to their ``representative_point()``. The result is
    indexed by ``demand.index`` with one column per ``sites.index`` label, ready
    for :func:`p_median` and the covering models. With ``network`` the distances
    are walking metres over the street network (``inf`` beyond ``limit`` or unreachable).

    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> d = gpd.GeoSeries([box(0, 0, 2, 2)], index=["g1"], crs=3857)
    >>> s = gpd.GeoSeries([Point(1, 4)], index=["s1"], crs=3857)
    >>> distance_matrix(d, s).round(1).to_dict()
    {'s1': {'g1': 3.0}}
    """
    from gridplan.allocation._inputs import check_network, point_coords

    if check_network(network) is not None:
        return network.distances(demand, sites, limit=limit)  # type: ignore[union-attr]
    a = point_coords(demand.geometry if hasattr(demand, "geometry") else demand)
    b = point_coords(sites.geometry if hasattr(sites, "geometry") else sites)
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    return pd.DataFrame(d, index=demand.index, columns=sites.index)


def _walking_cost(cost: Any, network: Network | None) -> Any:
    """``cost`` as given, or the walking distances of the ``(demand, sites)`` pair."""
    if network is None:
        return cost
    if not (isinstance(cost, tuple) and len(cost) == 2):
        raise ConfigError(
            "with network=..., pass cost as a (demand, sites) pair of GeoDataFrames; "
            f"got {type(cost).__name__}"
        )
    return distance_matrix(cost[0], cost[1], network=network)


def _open_from(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.flatnonzero(x[y] > 0.5)


# --------------------------------------------------------------------------- p-median


def _check_p(p: Any, m: int) -> None:
    """``p`` must be an integer number of sites between 1 and ``m``."""
    if not isinstance(p, (int, np.integer)) or isinstance(p, bool) or not 1 <= p <= m:
        raise ConfigError(
            f"p must be an integer between 1 and the number of sites ({m}), got {p!r}"
        )


def _check_reachable(d: np.ndarray, rows: pd.Index) -> None:
    """Every demand must reach some site (a finite cost), else name the ones that cannot."""
    unreachable = ~np.isfinite(d).any(axis=1)
    if unreachable.any():
        r = rows[np.flatnonzero(unreachable)]
        raise InfeasibleError(
            f"demands {format_rows(r)} cannot reach any site (all costs are inf)",
            details={"rule": "reachability", "rows": [str(x) for x in r]},
        )


class _Chain(NamedTuple):
    """One demand's listed sites in the chained p-median rows, nearest first."""

    levels: np.ndarray  # its sorted distinct distances D1 < D2 < ...
    level: np.ndarray  # the level of each listed site
    sites: np.ndarray  # the listed sites
    n_rows: int  # k - 1 rows when the list surely holds an open site, else k


def _chain(di: np.ndarray, order_i: np.ndarray, limit: int) -> _Chain:
    """List the ``limit`` nearest sites of a demand (``di`` sorted), widened to ties."""
    finite = int(np.isfinite(di).sum())
    # widen the cut to include ties with the last listed distance (same level)
    cut = min(limit, finite)
    while cut < finite and di[cut] == di[cut - 1]:
        cut += 1
    vals = di[:cut]
    new = np.empty(cut, dtype=bool)  # first of its level (np.r_ is slow in this loop)
    new[0] = True
    np.greater(vals[1:], vals[:-1], out=new[1:])
    levels = vals[new]
    # guaranteed: the listed sites include an open one whenever cut >= m - p + 1
    closed = cut >= limit
    return _Chain(
        levels, np.cumsum(new) - 1, order_i[:cut], len(levels) - 1 if closed else len(levels)
    )


@dataclass
class _ChainRows:
    """The chained rows of all demands as COO triplets; column ``-1 - j`` marks site ``j``'s y."""

    z_cost: list[np.ndarray] = field(default_factory=list)
    rr: list[np.ndarray] = field(default_factory=list)
    cc: list[np.ndarray] = field(default_factory=list)
    vv: list[np.ndarray] = field(default_factory=list)
    lo: list[np.ndarray] = field(default_factory=list)
    n_z: int = 0
    n_r: int = 0

    def add(self, chain: _Chain, weight: float) -> None:
        """Row t: z_t - z_(t-1) + sum(y at level t) >= [t == 0]; no z_t in a closing row."""
        n_rows_i, n_zi = chain.n_rows, len(chain.levels) - 1
        z_ids = self.n_z + np.arange(n_zi)
        self.z_cost.append(weight * np.diff(chain.levels))
        r_ids = self.n_r + np.arange(n_rows_i)
        self.rr += [r_ids[:n_zi], r_ids[1 : n_zi + 1]]
        self.cc += [z_ids, z_ids[: n_rows_i - 1]]
        self.vv += [np.ones(n_zi), -np.ones(n_rows_i - 1)]
        sel = chain.level < n_rows_i
        self.rr.append(r_ids[chain.level[sel]])
        self.cc.append(-1 - chain.sites[sel])  # negative marks a y column; remapped below
        self.vv.append(np.ones(int(sel.sum())))
        lo_i = np.zeros(n_rows_i)
        lo_i[0] = 1.0
        self.lo.append(lo_i)
        self.n_z += n_zi
        self.n_r += n_rows_i

    def add_to(self, model: Model, y: np.ndarray) -> None:
        """Add the z variables and the rows to ``model`` (``y``: the site columns)."""
        z_cost = np.concatenate(self.z_cost) if self.z_cost else 0.0
        z = model.add_vars(self.n_z, lb=0, ub=np.inf, cost=z_cost)
        if not self.n_r:
            return
        c_all = np.concatenate(self.cc)
        z_base = int(z[0]) if self.n_z else 0
        cols_idx = np.where(c_all < 0, y[0] + (-1 - c_all), z_base + c_all)
        rows = np.concatenate(self.rr)
        model.add_rows(
            self.n_r, rows, cols_idx, np.concatenate(self.vv), lo=np.concatenate(self.lo)
        )


def _p_median_model(d: np.ndarray, w: np.ndarray, p: int) -> tuple[Model, np.ndarray]:
    """The chained radius model of ``p_median``; returns it and the site columns ``y``."""
    n, m = d.shape
    model = Model()
    y = model.add_vars(m, lb=0, ub=1, integer=True)
    model.add_rows(1, np.zeros(m, dtype=np.int64), y, 1.0, lo=p, hi=p)
    order = np.argsort(d, axis=1, kind="stable")
    ds = np.take_along_axis(d, order, axis=1)
    chains = _ChainRows()
    for i in range(n):
        chain = _chain(ds[i], order[i], m - p + 1)
        model.offset += w[i] * chain.levels[0]
        if chain.n_rows:
            chains.add(chain, w[i])
    chains.add_to(model, y)
    return model, y


def _p_median_result(
    sol: SolveResult, d: np.ndarray, w: np.ndarray, y: np.ndarray, rows: pd.Index, cols: pd.Index
) -> LocateResult:
    """Each demand to its nearest open site; the objective re-evaluated from them."""
    n = d.shape[0]
    if not sol.has_solution:
        return _result("p_median", sol, None, np.zeros(0, int), np.full(n, -1), rows, cols, 1)
    assert sol.x is not None
    open_idx = _open_from(sol.x, y)
    sub = d[:, open_idx]
    nearest = np.argmin(sub, axis=1)
    objective = float((w * sub[np.arange(n), nearest]).sum())
    return _result("p_median", sol, objective, open_idx, open_idx[nearest], rows, cols, 1)


def p_median(
    cost: Any,
    p: int,
    weights: Any = None,
    solver: Solver = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    *,
    network: Network | None = None,
) -> LocateResult:
    """Open ``p`` sites minimising the weighted distance from each demand to its nearest one.

    Formulation: the radius (covering) formulation of Cornuéjols, Nemhauser and
    Wolsey as tightened by Elloumi (2010), in chained form. For demand ``i`` with
    sorted distinct distances ``D1 < D2 < ...``, a continuous ``z_ik`` is 1 when no
    site closer than ``D(k+1)`` is open, so the demand's distance is
    ``D1 + sum_k (D(k+1) - Dk) z_ik`` with ``z_ik >= z_i(k-1) - sum(y at level k)``.
    Its LP bound equals that of the strong ``x_ij <= y_j`` model, with far fewer
    nonzeros. Only the ``m - p + 1`` nearest sites of each demand are listed:
    with ``p`` sites open, at most ``p - 1`` of them can lie outside that set, so
    the nearest open site is always inside it (exact, not a heuristic).

    ``weights`` (length n, default 1) multiply each demand's distance.

    >>> p_median([[1, 5], [5, 1], [2, 9]], p=1, weights=[1, 1, 3]).open_sites
    [0]
    """
    check_solver_args(solver, time_limit, mip_gap)
    d, rows, cols = _as_cost(_walking_cost(cost, network))
    _check_p(p, d.shape[1])
    w = _as_vector(weights, d.shape[0], "weights", rows, 1.0)
    _check_reachable(d, rows)
    model, y = _p_median_model(d, w, p)
    sol = solve(model, solver, time_limit, mip_gap)
    if sol.status == "infeasible":  # pragma: no cover - p <= m and reachability checked above
        raise InfeasibleError("p-median model is infeasible", details={"rule": "p"})
    return _p_median_result(sol, d, w, y, rows, cols)


# --------------------------------------------------------------------------- covering


def _coverage(d: np.ndarray, radius: Any, cols: pd.Index) -> np.ndarray:
    m = d.shape[1]
    if np.isscalar(radius):
        r = np.full(m, float(radius))  # type: ignore[arg-type]
    else:
        r = np.asarray(
            radius.reindex(cols).to_numpy() if isinstance(radius, pd.Series) else radius,
            dtype=float,
        )
    if r.shape != (m,) or not np.all(np.isfinite(r)) or (r < 0).any():
        raise DataValueError("radius must be one non-negative number or one per site")
    return d <= r[None, :]


def _nearest_covering(d: np.ndarray, cover: np.ndarray, open_idx: np.ndarray) -> np.ndarray:
    if len(open_idx) == 0:
        return np.full(d.shape[0], -1)
    sub = np.where(cover[:, open_idx], d[:, open_idx], np.inf)
    best = np.argmin(sub, axis=1)
    ok = np.isfinite(sub[np.arange(len(sub)), best])
    return np.where(ok, open_idx[best], -1)


class _Covering(NamedTuple):
    """Validated inputs of ``max_covering``."""

    d: np.ndarray
    rows: pd.Index
    cols: pd.Index
    cover: np.ndarray  # demand i within the radius of site j
    w: np.ndarray  # demand weights
    sc: np.ndarray  # site costs
    p: int | None
    budget: float | None


def _covering_inputs(
    cost: Any, radius: Any, p: Any, budget: Any, site_cost: Any, weights: Any
) -> _Covering:
    """Check ``max_covering``'s inputs at the boundary, before any model is built."""
    d, rows, cols = _as_cost(cost)
    n, m = d.shape
    if p is None and budget is None:
        raise ConfigError("max_covering needs p (number of sites), budget, or both")
    if p is not None:
        _check_p(p, m)
    budget = check_number("budget", budget, minimum=0)
    w = _as_vector(weights, n, "weights", rows, 1.0)
    sc = _as_vector(site_cost, m, "site_cost", cols, 1.0)
    return _Covering(d, rows, cols, _coverage(d, radius, cols), w, sc, p, budget)


def _max_covering_model(c: _Covering) -> tuple[Model, np.ndarray]:
    """The MCLP: covered weight as a negative cost; returns it and the site columns ``y``."""
    m = c.d.shape[1]
    model = Model()
    y = model.add_vars(m, lb=0, ub=1, integer=True)
    has = c.cover.any(axis=1)
    ci, cj = np.nonzero(c.cover[has])
    n_c = int(has.sum())
    covered = model.add_vars(n_c, lb=0, ub=1, cost=-c.w[has])
    # c_i - sum_{j covers i} y_j <= 0
    model.add_rows(
        n_c,
        np.r_[np.arange(n_c), ci],
        np.r_[covered, y[cj]],
        np.r_[np.ones(n_c), -np.ones(len(ci))],
        hi=0,
    )
    if c.p is not None:
        model.add_rows(1, np.zeros(m, dtype=np.int64), y, 1.0, lo=c.p, hi=c.p)
    if c.budget is not None:
        model.add_rows(1, np.zeros(m, dtype=np.int64), y, c.sc, hi=c.budget)
    return model, y


def _raise_covering_infeasible(c: _Covering) -> None:
    p, budget = c.p, c.budget
    raise InfeasibleError(
        f"no choice of {p} sites fits the budget {budget}"
        if p is not None and budget is not None
        else "max covering model is infeasible",
        details={
            "rule": "budget",
            "p": p,
            "budget": budget,
            "smallest_budget": float(np.sort(c.sc)[:p].sum()) if p is not None else 0.0,
        },
    )


def max_covering(
    cost: Any,
    radius: Any,
    p: int | None = None,
    budget: float | None = None,
    site_cost: Any = None,
    weights: Any = None,
    solver: Solver = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    *,
    network: Network | None = None,
) -> LocateResult:
    """Open sites to maximise the weight of demands within ``radius`` of an open site.

    Give ``p`` (exactly ``p`` sites open, the classic MCLP of Church and ReVelle),
    ``budget`` (total ``site_cost`` of open sites at most ``budget``), or both.
    ``radius`` is one number or one per site; a demand is covered when some open
    site has ``cost <= radius``. Coverage variables are continuous: with integer
    ``y`` the optimum sets each to 0 or 1 on its own.

    >>> max_covering([[1, 9], [2, 9], [9, 1]], radius=3, p=1, weights=[1, 1, 5]).objective
    5.0
    """
    check_solver_args(solver, time_limit, mip_gap)
    c = _covering_inputs(_walking_cost(cost, network), radius, p, budget, site_cost, weights)
    model, y = _max_covering_model(c)
    sol = solve(model, solver, time_limit, mip_gap)
    if sol.status == "infeasible":
        _raise_covering_infeasible(c)
    n, rows, cols = c.d.shape[0], c.rows, c.cols
    if not sol.has_solution:
        return _result("max_covering", sol, None, np.zeros(0, int), np.full(n, -1), rows, cols, -1)
    assert sol.x is not None
    open_idx = _open_from(sol.x, y)
    assign = _nearest_covering(c.d, c.cover, open_idx)
    objective = float(c.w[assign >= 0].sum())
    extra = {"covered": int((assign >= 0).sum()), "site_cost": float(c.sc[open_idx].sum())}
    return _result("max_covering", sol, objective, open_idx, assign, rows, cols, -1, extra)


def set_covering(
    cost: Any,
    radius: Any,
    site_cost: Any = None,
    solver: Solver = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    *,
    network: Network | None = None,
) -> LocateResult:
    """Open the cheapest set of sites so that every demand is within ``radius`` of one.

    ``site_cost`` defaults to 1 per site (fewest sites, the classic LSCP of
    Toregas et al.). Demands that no site can cover raise
    :class:`~gridplan.errors.InfeasibleError` naming them, before any solve.

    >>> set_covering([[1, 9], [9, 1]], radius=2).open_sites
    [0, 1]
    """
    check_solver_args(solver, time_limit, mip_gap)
    d, rows, cols = _as_cost(_walking_cost(cost, network))
    n, m = d.shape
    sc = _as_vector(site_cost, m, "site_cost", cols, 1.0)
    cover = _coverage(d, radius, cols)
    lonely = ~cover.any(axis=1)
    if lonely.any():
        r = rows[np.flatnonzero(lonely)]
        raise InfeasibleError(
            f"demands {format_rows(r)} have no candidate site within the radius; "
            "add sites or widen the radius",
            details={"rule": "coverage", "rows": [str(x) for x in r]},
        )
    model = Model()
    y = model.add_vars(m, lb=0, ub=1, cost=sc, integer=True)
    ci, cj = np.nonzero(cover)
    model.add_rows(n, ci, y[cj], 1.0, lo=1)
    sol = solve(model, solver, time_limit, mip_gap)
    if not sol.has_solution:
        return _result("set_covering", sol, None, np.zeros(0, int), np.full(n, -1), rows, cols, 1)
    assert sol.x is not None
    open_idx = _open_from(sol.x, y)
    assign = _nearest_covering(d, cover, open_idx)
    return _result("set_covering", sol, float(sc[open_idx].sum()), open_idx, assign, rows, cols, 1)
