"""gridplan.division.refine: batched pair re-splits (repair, scoring) and balance's stop."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gridplan.division._graph import lattice
from gridplan.division.refine import Engine, _components, _repair


def _reference_repair(row: list[bool], edges: list[tuple[int, int]], w: list[float]) -> list[bool]:
    """One split at a time with networkx: side A's strays to B, then B's to A."""
    out = list(row)
    for side in (True, False):
        g = nx.Graph()
        g.add_nodes_from(i for i, f in enumerate(out) if f == side)
        g.add_edges_from((i, j) for i, j in edges if out[i] == side and out[j] == side)
        comps = [sorted(c) for c in nx.connected_components(g)]
        if len(comps) > 1:
            keep = max(comps, key=lambda c: (sum(w[i] for i in c), len(c), -c[0]))
            for c in comps:
                if c is not keep:
                    for i in c:
                        out[i] = not side
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 7), st.integers(2, 7), st.integers(1, 12))
def test_repair_matches_one_split_at_a_time(seed, w, h, rows):
    """Every row ends with both sides connected, keeping the pieces the reference keeps."""
    adj, _, _ = lattice(w, h)
    i, j, _ = adj.edges()
    rng = np.random.default_rng(seed)
    x = rng.random((rows, adj.n)) < rng.uniform(0.2, 0.8)
    wt = rng.integers(0, 4, adj.n).astype(float)  # ties on weight and size happen
    got = _repair(x, i, j, wt)
    edges = list(zip(i.tolist(), j.tolist(), strict=True))
    for r in range(rows):
        assert got[r].tolist() == _reference_repair(x[r].tolist(), edges, wt.tolist())


def test_components_label_each_node_with_its_lowest_node():
    # 0-1-2   3   4-5 (a path, a lone node, a pair joined from the high end)
    lab = _components(6, np.array([2, 1, 5]), np.array([1, 0, 4]))
    assert lab.tolist() == [0, 0, 0, 3, 4, 4]


def test_balance_gives_up_when_the_band_is_out_of_reach():
    """One unit heavier than a grid may be: balance stops instead of re-cutting forever."""
    adj, x, y = lattice(6, 6)
    nb, ln = adj.neighbour_lists()
    weight = [1.0] * 36
    weight[0] = 30.0  # the target is (35 + 30) / 4 = 16.25 a grid
    part = [(u % 6 >= 3) + 2 * (u // 6 >= 3) for u in range(36)]
    t = sum(weight) / 4
    e = Engine(nb, ln, weight, [1.0] * 36, part, [t] * 4, [t * 0.95] * 4, [t * 1.05] * 4)
    e.stall_rounds = 3
    e.xy = (x.tolist(), y.tolist())
    before = e.total_violation(range(4))
    assert e.balance(range(4)) is False
    assert e.total_violation(range(4)) <= before
    assert e.n_moves < 200
