"""The exact model: optimum equals brute force on tiny lattices; divide falls back on it and
says "proven impossible" only with a proof."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from gridplan import Territory
from gridplan.division import divide
from gridplan.division._graph import Adjacency, lattice
from gridplan.division.api import build_plan, exact_rescue
from gridplan.division.exact import solve_exact
from gridplan.division.prepare import prepare
from gridplan.division.spec import DivideSpec
from gridplan.errors import ConfigError, InfeasibleError


def brute_force(adj, weight, k, tol, length=False):
    """Minimum cut edges (or cut length) over every contiguous partition into k grids
    within the band."""
    i, j, ln = adj.edges()
    g = nx.Graph()
    g.add_nodes_from(range(adj.n))
    g.add_edges_from(zip(i.tolist(), j.tolist(), strict=True))
    target = weight.sum() / k
    best = None
    for labels in itertools.product(range(k), repeat=adj.n):
        lab = np.asarray(labels)
        loads = np.bincount(lab, weights=weight, minlength=k)
        if np.any(np.abs(loads - target) > tol * target + 1e-9):
            continue
        if not all(
            nx.is_connected(g.subgraph(np.flatnonzero(lab == c).tolist())) for c in range(k)
        ):
            continue
        cut = float(ln[lab[i] != lab[j]].sum()) if length else int((lab[i] != lab[j]).sum())
        best = cut if best is None else min(best, cut)
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_optimum_equals_brute_force(seed):
    adj, _, _ = lattice(3, 3)
    weight = np.random.default_rng(seed).integers(1, 5, 9).astype(float)
    want = brute_force(adj, weight, 3, 0.25)
    res = solve_exact(adj, weight, np.zeros(9, dtype=int), [3], 0.25, time_limit=60)
    if want is None:
        assert res.status == "infeasible" and res.labels is None
        return
    assert res.status == "optimal" and res.objective == want
    i, j, _ = adj.edges()
    assert int((res.labels[i] != res.labels[j]).sum()) == want
    loads = np.bincount(res.labels, weights=weight, minlength=3)
    assert np.all(np.abs(loads / (weight.sum() / 3) - 1) <= 0.25 + 1e-9)


def test_shortest_boundary_equals_brute_force():
    base, _, _ = lattice(3, 3)
    i, j, _ = base.edges()
    rng = np.random.default_rng(7)
    adj = Adjacency.from_edges(9, i, j, rng.uniform(1, 10, len(i)).round(2))
    weight = rng.integers(1, 5, 9).astype(float)
    want = brute_force(adj, weight, 3, 0.3, length=True)
    res = solve_exact(adj, weight, np.zeros(9, dtype=int), [3], 0.3, edge_weight="length")
    assert res.status == "optimal" and res.objective == pytest.approx(want)


def test_contiguity_is_enforced_when_only_pieces_balance():
    # a path 1-1-2-1-1 into 2 grids of 3: only {0, 1, 3} | {2, 4}-like pieces balance
    adj = Adjacency.from_edges(5, np.arange(4), np.arange(1, 5), np.ones(4))
    weight = np.array([1.0, 1, 2, 1, 1])
    res = solve_exact(adj, weight, np.zeros(5, dtype=int), [2], 0.0)
    assert res.status == "infeasible" and res.labels is None


def test_each_parent_group_is_solved_on_its_own():
    # two 3x2 lattices with no edge between them, 2 grids in the first, 1 in the second
    one, _, _ = lattice(3, 2)
    i, j, ln = one.edges()
    adj = Adjacency.from_edges(
        12, np.concatenate([i, i + 6]), np.concatenate([j, j + 6]), np.concatenate([ln, ln])
    )
    group = np.repeat([0, 1], 6)
    res = solve_exact(adj, np.ones(12), group, [2, 1], 0.0)
    assert res.status == "optimal" and res.objective == 3  # 3 units each: 3 edges cut
    assert sorted(np.bincount(res.labels).tolist()) == [3, 3, 6]
    assert set(res.labels[6:].tolist()) == {2}  # the second group's grid follows the first's


def test_a_warm_start_keeps_the_optimum():
    adj, _, _ = lattice(4, 2)
    start = np.array([0, 1, 1, 1, 0, 0, 0, 1])  # an L and its twin: 4 cut edges
    res = solve_exact(adj, np.ones(8), np.zeros(8, dtype=int), [2], 0.0, start=start)
    assert res.status == "optimal" and res.objective == 2  # two 2x2 squares


def row(weights: list[int]) -> Territory:
    cells = [shapely.box(x * 10, 0, x * 10 + 10, 10) for x in range(len(weights))]
    gdf = gpd.GeoDataFrame({"pop": weights}, geometry=cells, crs="EPSG:32650")
    return Territory(gdf, population="pop")


def test_divide_says_proven_impossible_with_a_proof():
    # every unit fits a grid (the pre-check passes), but no contiguous split is even
    t = row([1, 2, 1])
    with pytest.raises(InfeasibleError, match="proven impossible") as info:
        divide(t, n_grids=2, balance="population", tolerance=0.0)
    d = info.value.details
    assert d["rule"] == "exact" and d["proven"] is True and d["status"] == "proven impossible"
    assert d["achieved_tolerance"] == pytest.approx(0.5)  # the best plan: 1 | 2 + 1
    plan = divide(t, n_grids=2, balance="population", tolerance=0.0, strict=False)
    assert plan.metrics["n_outside_tolerance"] > 0  # strict=False: the best plan, no proof
    with pytest.raises(InfeasibleError, match="proven impossible"):
        divide(t, n_grids=2, balance="population", tolerance=0.0, strict=True, exact=True)
    with pytest.raises(InfeasibleError, match="not proven impossible"):
        divide(t, n_grids=2, balance="population", tolerance=0.0, exact=False)


def test_the_exact_model_replaces_an_invalid_search_result():
    t = row([1] * 8)
    spec = DivideSpec(n_grids=2, balance="population", tolerance=0.0)
    p = prepare(t, spec)
    broken = np.array([0, 1, 0, 1, 0, 1, 0, 1])  # balanced but in pieces
    plan = build_plan(t, p, spec, broken, 0.0)
    assert not plan.metrics["contiguous"]
    fixed, note = exact_rescue(t, p, spec, plan, broken)
    assert note == "" and fixed.metrics["contiguous"] and fixed.metrics["n_outside_tolerance"] == 0
    assert fixed.assignment.tolist() == ["G01"] * 4 + ["G02"] * 4


def voronoi(n: int, seed: int) -> Territory:
    """``n`` irregular blocks with uneven households (shared lengths differ from edge counts)."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 400, size=(n, 2))
    box = shapely.box(0, 0, 400, 400)
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box, ordered=True)
    polys = shapely.intersection(np.asarray(shapely.get_parts(cells)), box)
    gdf = gpd.GeoDataFrame({"pop": rng.integers(5, 30, n)}, geometry=polys, crs="EPSG:32650")
    return Territory(gdf, population="pop")


def test_objective_cut_edges_reaches_the_fewest_cut_edges():
    t = voronoi(12, seed=1)  # the default (compact) plan cuts 9 edges here, the fewest is 5
    p = prepare(t, DivideSpec(n_grids=2, balance="population", tolerance=0.1))
    best = solve_exact(p.work, p.weight, p.group, [2], 0.1, edge_weight="count")
    assert best.status == "optimal"
    i, j, _ = p.arrays.adj.edges()
    plan = divide(t, n_grids=2, balance="population", tolerance=0.1, objective="cut_edges")
    assert plan.metrics["contiguous"] and plan.metrics["n_outside_tolerance"] == 0
    assert plan.params["objective"] == "cut_edges"
    lab = plan._labels
    assert int((lab[i] != lab[j]).sum()) == best.objective
    with pytest.raises(ConfigError, match="objective='edges'"):
        divide(t, n_grids=2, objective="edges")


def test_a_node_limit_gives_the_same_plan_every_time():
    adj, _, _ = lattice(4, 3)
    weight = np.random.default_rng(5).integers(1, 5, 12).astype(float)
    runs = [
        solve_exact(adj, weight, np.zeros(12, dtype=int), [3], 0.3, node_limit=1) for _ in range(2)
    ]
    assert runs[0].status in ("optimal", "feasible")
    assert runs[0].labels.tolist() == runs[1].labels.tolist()
    assert runs[0].objective == runs[1].objective


def test_a_unit_heavier_than_any_grid_is_proven_impossible():
    adj, _, _ = lattice(3, 2)
    weight = np.array([1.0, 1, 1, 1, 1, 20])  # the last unit alone outweighs a grid's band
    res = solve_exact(adj, weight, np.zeros(6, dtype=int), [2], 0.1)
    assert res.status == "infeasible" and res.labels is None
