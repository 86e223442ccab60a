"""Plug-in criteria: a user criterion changes the plan without touching the engine;
the built-ins' generic ``delta`` agrees with the engine's fast path."""

from __future__ import annotations

import numpy as np
import pytest
from _builders import lattice_gdf

from gridplan import Territory
from gridplan.division import divide
from gridplan.division._graph import Adjacency
from gridplan.division.criteria import (
    AreaEvenness,
    BalanceCriterion,
    Bound,
    Compactness,
    Criterion,
    LoadBalance,
    SearchContext,
)
from gridplan.division.refine import Engine
from gridplan.errors import ColumnError, ConfigError


def elderly_lattice(n: int = 10) -> Territory:
    """Even households; people living alone over 65 crowd the three western columns."""
    elderly = [
        (3 if i % n < 3 else 0) + (1 if (i % n + i // n) % 4 == 0 else 0) for i in range(n * n)
    ]
    return Territory(lattice_gdf(n, elderly_alone=elderly), population="pop", households="hh")


def spread(t: Territory, assignment) -> float:
    totals = t.units["elderly_alone"].groupby(assignment).sum()
    return float((totals / totals.mean() - 1).abs().max())


def test_a_user_criterion_balances_a_second_column():
    t = elderly_lattice()
    plain = divide(t, n_grids=4, tolerance=0.05)
    soft = divide(
        t, n_grids=4, tolerance=0.05, criteria=[BalanceCriterion("elderly_alone", tolerance=0.1)]
    )
    assert spread(t, plain.assignment) > 0.5  # compact quadrants split the west unevenly
    assert spread(t, soft.assignment) <= 0.1 + 1e-9  # within the criterion's band
    # ... never at the cost of the hard rules
    assert soft.metrics["contiguous"] and soft.metrics["n_outside_tolerance"] == 0
    assert soft.assignment.value_counts().sum() == 100
    assert soft.metrics["criteria"] == {"balance:elderly_alone": 0.0}
    assert soft.params["criteria"][0]["column"] == "elderly_alone"
    again = divide(
        t, n_grids=4, tolerance=0.05, criteria=[BalanceCriterion("elderly_alone", tolerance=0.1)]
    )
    assert again.assignment.equals(soft.assignment)  # deterministic


class _KeepTogether(Bound):
    """Cost: 10 per flagged unit outside the grid that holds most flagged units."""

    def __init__(self, flag: list[float]) -> None:
        self.flag = flag
        self.count: dict[int, int] = {}

    def _away(self, count: dict[int, int]) -> int:
        return sum(count.values()) - max(count.values(), default=0)

    def reset(self, part):
        self.count = {}
        for u, g in enumerate(part):
            if self.flag[u]:
                self.count[g] = self.count.get(g, 0) + 1

    def delta(self, u, p, q):
        if not self.flag[u]:
            return 0.0
        after = dict(self.count)
        after[p] -= 1
        after[q] = after.get(q, 0) + 1
        return 10.0 * (self._away(after) - self._away(self.count))

    def moved(self, u, p, q):
        if self.flag[u]:
            self.count[p] -= 1
            self.count[q] = self.count.get(q, 0) + 1

    def cost(self):
        return 10.0 * self._away(self.count)


class KeepTogether(Criterion):
    """Written outside the package: units flagged 1 (one compound) stay in one grid."""

    name = "keep_together"

    def bind(self, ctx: SearchContext) -> Bound:
        return _KeepTogether(ctx.column("compound").tolist())


def test_a_subclassed_criterion_plugs_in():
    t = elderly_lattice(6)
    centre = [2 * 6 + 2, 2 * 6 + 3, 3 * 6 + 2, 3 * 6 + 3]
    t.units["compound"] = 0.0
    t.units.iloc[centre, t.units.columns.get_loc("compound")] = 1.0
    plain = divide(t, n_grids=2, tolerance=0.2, balance="population")
    plan = divide(t, n_grids=2, tolerance=0.2, balance="population", criteria=[KeepTogether()])
    assert plain.assignment.iloc[centre].nunique() == 2  # a balanced cut splits the centre
    assert plan.assignment.iloc[centre].nunique() == 1
    assert plan.metrics["criteria"] == {"keep_together": 0.0}
    assert plan.metrics["contiguous"] and plan.metrics["n_outside_tolerance"] == 0


def test_bad_criteria_are_refused_with_the_fix():
    t = elderly_lattice(4)
    with pytest.raises(ConfigError, match=r"not a gridplan\.division\.criteria\.Criterion"):
        divide(t, n_grids=2, criteria=["elderly_alone"])
    with pytest.raises(ConfigError, match="list of criterion objects"):
        divide(t, n_grids=2, criteria="elderly_alone")
    with pytest.raises(ColumnError, match="'nope'"):
        divide(t, n_grids=2, criteria=[BalanceCriterion("nope")])
    with pytest.raises(ConfigError, match="tolerance"):
        BalanceCriterion("elderly_alone", tolerance=-0.1)


def _engine_and_context(seed: int):
    """A 6x5 lattice of uneven rectangles split in three; engine and context on it."""
    rng = np.random.default_rng(seed)
    w, h = 6, 5
    xs = np.concatenate(([0.0], np.cumsum(rng.uniform(50, 150, w))))
    ys = np.concatenate(([0.0], np.cumsum(rng.uniform(50, 150, h))))
    k = np.arange(w * h)
    row, col = np.divmod(k, w)
    right, up = k[col < w - 1], k[row < h - 1]
    i = np.concatenate([right, up])
    j = np.concatenate([right + 1, up + w])
    length = np.concatenate([ys[row[right] + 1] - ys[row[right]], xs[col[up] + 1] - xs[col[up]]])
    adj = Adjacency.from_edges(w * h, i, j, length)
    area = (xs[col + 1] - xs[col]) * (ys[row + 1] - ys[row])
    per = 2 * ((xs[col + 1] - xs[col]) + (ys[row + 1] - ys[row]))
    load = rng.integers(1, 9, w * h).astype(float)
    part = (col // 2).tolist()
    nb, ln = adj.neighbour_lists()
    targets = [load.sum() / 3] * 3
    e = Engine(
        nb, ln, load.tolist(), area.tolist(), part, targets,
        [t * 0.9 for t in targets], [t * 1.1 for t in targets],
        area_targets=[area.sum() / 3] * 3, area_weight=0.7, perimeter=per.tolist(),
    )  # fmt: skip
    ctx = SearchContext(
        nb, ln, {"load": load}, np.zeros(w * h, np.int64), np.zeros(3, np.int64), area, per
    )
    return e, ctx, part


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_builtin_deltas_match_the_engine_fast_path(seed):
    e, ctx, part = _engine_and_context(seed)
    area = AreaEvenness(0.7).bind(ctx)
    shape = Compactness(1.0).bind(ctx)
    band = LoadBalance("load", tolerance=0.1).bind(ctx)
    for b in (area, shape, band):
        b.reset(part)
    checked = 0
    for u in range(len(part)):
        p = e.part[u]
        for q in sorted({e.part[v] for v in e.nbrs[u]} - {p}):
            assert area.delta(u, p, q) == pytest.approx(e._area_delta(u, p, q), abs=1e-9)
            fast = -e._shape_gain(u, p, q, e._raw(u)) / e.shape_scale
            assert shape.delta(u, p, q) == pytest.approx(fast, rel=1e-9, abs=1e-9)
            assert band.delta(u, p, q) == pytest.approx(e._delta_v(u, p, q), abs=1e-12)
            checked += 1
    assert checked > 10
    # after a move the incremental state still agrees with a recount
    u, q = next(
        (u, e.part[v])
        for u in range(len(part))
        for v in e.nbrs[u]
        if e.part[u] == 0 and e.part[v] != 0 and e.removable(u, 0)
    )
    for b in (area, shape, band):
        b.moved(u, 0, q)
    e.move(u, q)
    fresh = AreaEvenness(0.7).bind(ctx)
    fresh.reset(e.part)
    assert area.cost() == pytest.approx(fresh.cost())
    assert shape.cost() == pytest.approx(e.shape_cost(range(3)))
