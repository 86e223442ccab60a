"""The array core of gridplan.division: contiguity check, seeding, balance, codes."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from _builders import check_partition
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridplan.division._graph import Adjacency, lattice
from gridplan.division._solve import Problem, effort, largest_remainder, out_of_reach, solve
from gridplan.division.codes import assign_codes, format_code, reading_order
from gridplan.division.metrics import contiguous_grids, cut_stats, grid_stats
from gridplan.division.refine import Engine


def test_adjacency_from_networkx_is_order_independent():
    g1 = nx.Graph()
    g1.add_edge("a", "b", length=2.0)
    g1.add_edge("b", "c", length=3.0)
    g2 = nx.Graph()
    g2.add_edge("c", "b", length=3.0)
    g2.add_edge("b", "a", length=2.0)
    a1 = Adjacency.from_networkx(g1, ["a", "b", "c"])
    a2 = Adjacency.from_networkx(g2, ["a", "b", "c"])
    assert a1.indices.tolist() == a2.indices.tolist() == [1, 0, 2, 1]
    assert a1.length.tolist() == a2.length.tolist() == [2.0, 2.0, 3.0, 3.0]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 9), st.integers(3, 9))
def test_removable_matches_networkx(seed, w, h):
    """The fast check agrees with a full connectivity test on random regions."""
    adj, _, _ = lattice(w, h)
    rng = np.random.default_rng(seed)
    part = (rng.random(adj.n) < 0.6).astype(int).tolist()
    nb, ln = adj.neighbour_lists()
    e = Engine(nb, ln, [1.0] * adj.n, [1.0] * adj.n, part, [1.0, 1.0], [0, 0], [9, 9])
    g = nx.Graph()
    i, j, _ = adj.edges()
    g.add_edges_from(zip(i.tolist(), j.tolist(), strict=True))
    for u in range(adj.n):
        region = [v for v in range(adj.n) if part[v] == part[u]]
        sub = g.subgraph(region)
        if not nx.is_connected(sub):
            continue
        rest = [v for v in region if v != u]
        truth = bool(rest) and nx.is_connected(g.subgraph(rest))
        assert e.removable(u) == truth, (u, part)


def test_largest_remainder():
    assert largest_remainder(np.array([2.5, 1.5, 1.0]), 5, np.ones(3, int)).tolist() == [3, 1, 1]
    out = largest_remainder(np.array([9.7, 0.2, 0.1]), 10, np.ones(3, int))
    assert out.tolist() == [8, 1, 1]
    assert largest_remainder(np.array([3.0]), 3, np.ones(1, int)).tolist() == [3]


def test_solve_lattice_exact_balance():
    adj, x, y = lattice(12, 12)
    p = Problem(adj, np.ones(144), np.ones(144), x, y, np.zeros(144, dtype=int), [6], tolerance=0)
    r = solve(p)
    check_partition(adj, r.labels, 6)
    assert np.bincount(r.labels).tolist() == [24] * 6
    assert r.violation == 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    w=st.integers(6, 18),
    h=st.integers(6, 18),
    k=st.integers(2, 7),
    zero_share=st.floats(0, 0.3),
)
def test_solve_random_lattices_within_tolerance(seed, w, h, k, zero_share):
    """Random sizes and weights (some zero): contiguous grids, all within 10 %."""
    adj, x, y = lattice(w, h)
    rng = np.random.default_rng(seed)
    weight = rng.integers(1, 11, adj.n).astype(float)
    weight[rng.random(adj.n) < zero_share] = 0.0
    k = min(k, max(2, int(weight.sum() // 60)))  # >= ~60 load per grid: 10 % > 1 heavy unit
    if weight.sum() == 0 or np.count_nonzero(weight) < k:
        return
    p = Problem(
        adj, weight, np.ones(adj.n), x, y, np.zeros(adj.n, dtype=int), [k], tolerance=0.1, seed=seed
    )
    r = solve(p)
    check_partition(adj, r.labels, k)
    loads = np.bincount(r.labels, weights=weight, minlength=k)
    assert np.all(np.abs(loads / (weight.sum() / k) - 1) <= 0.1 + 1e-9), loads
    assert loads.sum() == pytest.approx(weight.sum())


def test_solve_groups_never_straddle_and_locked_units_stay():
    adj, x, y = lattice(10, 10)
    group = (x > 5).astype(int)  # west / east halves
    src = np.repeat(np.arange(adj.n), np.diff(adj.indptr))
    work = adj.subset(group[src] == group[adj.indices])
    locked = np.full(100, -1)
    locked[[0, 1, 10]] = 1  # three south-west units pinned to grid 1
    p = Problem(
        work, np.ones(100), np.ones(100), x, y, group, [2, 3], locked=locked, tolerance=0.05
    )
    r = solve(p)
    check_partition(work, r.labels, 5)
    assert set(r.labels[group == 0].tolist()) == {0, 1}
    assert set(r.labels[group == 1].tolist()) == {2, 3, 4}
    assert r.labels[[0, 1, 10]].tolist() == [1, 1, 1]
    assert r.violation == 0


def test_metrics_on_known_partition():
    adj, x, _ = lattice(4, 2)
    labels = (x > 2).astype(int)  # two 2x2 squares
    s = grid_stats(adj, labels, 2, np.ones(8), np.ones(8), np.full(8, 4.0))
    assert s["perimeter"].tolist() == [8.0, 8.0]
    assert s["polsby_popper"][0] == pytest.approx(np.pi / 4)
    assert cut_stats(adj, labels) == (2, 2.0)
    assert contiguous_grids(adj, labels, 2).tolist() == [True, True]
    bad = np.array([0, 1, 0, 1, 1, 1, 1, 1])  # grid 0 = two separate cells
    assert contiguous_grids(adj, bad, 2).tolist() == [False, True]


def test_codes_reading_order_and_locked_codes_kept():
    cx = np.array([5.0, 0.0, 5.0, 0.0])
    cy = np.array([0.0, 0.0, 5.0, 5.0])  # SE, SW, NE, NW
    assert reading_order(cx, cy, np.full(4, 25.0)).tolist() == [3, 2, 1, 0]
    codes = assign_codes(np.zeros(4, int), cx, cy, np.full(4, 25.0), ["C7"])
    assert codes == ["C7-04", "C7-03", "C7-02", "C7-01"]
    # NW grid locked to code 03: the others take 01, 02, 04 in reading order.
    codes = assign_codes(np.zeros(4, int), cx, cy, np.full(4, 25.0), ["C7"], {3: "C7-03"})
    assert codes == ["C7-04", "C7-02", "C7-01", "C7-03"]
    assert format_code(None, 7) == "G07"
    many = assign_codes(np.zeros(120, int), np.arange(120.0), np.zeros(120), np.ones(120), [None])
    assert many[0] == "G001" and many[-1] == "G120"


def test_no_extra_attempts_when_the_tolerance_is_out_of_reach():
    """A unit heavier than a grid may be: the regular attempts only, no extra ones."""
    adj, x, y = lattice(6, 6)
    w = np.ones(36)
    p = Problem(adj, w, np.ones(36), x, y, np.zeros(36, dtype=int), [4], tolerance=0.0)
    assert not out_of_reach(p)
    w[0] = 20.0  # the target is (35 + 20) / 4 = 13.75 a grid
    heavy = Problem(adj, w, np.ones(36), x, y, np.zeros(36, dtype=int), [4], tolerance=0.05)
    assert out_of_reach(heavy)
    r = solve(heavy)
    assert r.violation > 0
    assert r.attempts == effort(36)[0]
    labels = np.bincount(r.labels, minlength=4)
    assert (labels > 0).all()
    check_partition(adj, r.labels, 4)
    few = Problem(
        adj, np.where(np.arange(36) < 3, 1.0, 0.0), np.ones(36), x, y, np.zeros(36, dtype=int), [4]
    )
    assert out_of_reach(few)  # three loaded units, four grids
