"""Classic location models: OR-Library optima, brute-force checks, honest status."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridplan.allocation.locate import max_covering, p_median, set_covering
from gridplan.allocation.orlib import read_orlib_pmed
from gridplan.errors import ConfigError, DataValueError, InfeasibleError

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PMED = SHARED / "data" / "orlib_pmed"
OPTIMA = {1: 5819, 2: 4093, 3: 4250, 4: 3034, 5: 1355}


def _pmed(k: int) -> tuple[np.ndarray, int]:
    path = PMED / f"pmed{k}.txt"
    if not path.exists():
        pytest.skip(f"{path} not available (../shared is absent)")
    return read_orlib_pmed(path)


@pytest.mark.shared
@pytest.mark.parametrize("k", sorted(OPTIMA))
def test_orlib_pmed_optimum_highs(k: int) -> None:
    cost, p = _pmed(k)
    r = p_median(cost, p)
    assert r.status == "optimal"
    assert r.objective == OPTIMA[k]
    assert len(r.open_sites) == p
    # the objective is what the assignment really costs
    assigned = cost[np.arange(len(cost)), r.assignment.to_numpy(dtype=int)]
    assert assigned.sum() == OPTIMA[k]
    assert set(r.assignment) <= set(r.open_sites)
    assert r.best_bound is not None and abs(r.best_bound - OPTIMA[k]) <= 1e-4 * OPTIMA[k]


@pytest.mark.shared
@pytest.mark.parametrize("k", [1, 4])
def test_orlib_pmed_optimum_cbc(k: int) -> None:
    cost, p = _pmed(k)
    r = p_median(cost, p, solver="cbc")
    assert (r.status, r.objective) == ("optimal", OPTIMA[k])


def _brute_pmedian(d: np.ndarray, p: int, w: np.ndarray) -> float:
    best = np.inf
    for s in itertools.combinations(range(d.shape[1]), p):
        near = d[:, list(s)].min(axis=1)
        if np.isfinite(near).all():  # every demand, even weight 0, must reach an open site
            best = min(best, float((w * near).sum()))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_p_median_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 9, 7
    d = rng.integers(0, 40, size=(n, m)).astype(float)  # integer ties on purpose
    if seed % 2:
        d[rng.random((n, m)) < 0.2] = np.inf  # unreachable pairs
        d[:, 0] = rng.integers(0, 40, size=n)  # keep every demand reachable
    w = rng.integers(0, 5, size=n).astype(float)
    p = 1 + seed % 4
    r = p_median(d, p, weights=w)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(_brute_pmedian(d, p, w))


def test_p_median_labels_from_dataframe() -> None:
    d = pd.DataFrame(
        [[1.0, 5.0], [5.0, 1.0], [2.0, 9.0]], index=["a", "b", "c"], columns=["X", "Y"]
    )
    r = p_median(d, 1, weights=pd.Series({"c": 3.0, "a": 1.0, "b": 1.0}))
    assert r.open_sites == ["X"]
    assert r.assignment.to_dict() == {"a": "X", "b": "X", "c": "X"}
    assert r.objective == 1 + 5 + 6


def _brute_mclp(cover: np.ndarray, p: int, w: np.ndarray) -> float:
    return max(
        float(w[cover[:, list(s)].any(axis=1)].sum())
        for s in itertools.combinations(range(cover.shape[1]), p)
    )


@pytest.mark.parametrize("seed", range(5))
def test_max_covering_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    d = rng.random((12, 8)) * 10
    w = rng.integers(1, 9, size=12).astype(float)
    r = max_covering(d, radius=3.0, p=3, weights=w)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(_brute_mclp(d <= 3.0, 3, w))
    covered = r.assignment.notna()
    assert float(w[covered.to_numpy()].sum()) == r.objective
    for i, site in r.assignment.dropna().items():
        assert d[i, site] <= 3.0


def test_max_covering_budget_and_site_radius() -> None:
    # site 0 covers demands 0-2 but costs 10; sites 1 and 2 cover one demand each for 3
    d = np.array([[1, 1, 9], [1, 9, 9], [1, 9, 1], [9, 9, 9]], dtype=float)
    radius = [1.0, 1.0, 1.0]
    r = max_covering(d, radius=radius, budget=6, site_cost=[10, 3, 3])
    assert r.open_sites == [1, 2] and r.objective == 2
    r = max_covering(d, radius=radius, budget=10, site_cost=[10, 3, 3])
    assert r.open_sites == [0] and r.objective == 3
    # a per-site radius: site 2 now also reaches demand 3
    r = max_covering(d, radius=[1, 1, 9], p=1)
    assert r.open_sites == [2] and r.objective == 4
    with pytest.raises(InfeasibleError) as e:
        max_covering(d, radius=1, p=2, budget=5, site_cost=[10, 3, 3])
    assert e.value.details["smallest_budget"] == 6


def test_set_covering_small() -> None:
    d = np.array([[0, 5, 9], [3, 2, 9], [9, 2, 1], [9, 9, 0]], dtype=float)
    r = set_covering(d, radius=3)
    assert r.status == "optimal" and r.objective == 2 and r.open_sites == [0, 2]
    r = set_covering(d, radius=[9, 9, 9], site_cost=[5, 2, 1])
    assert r.open_sites == [2] and r.objective == 1  # site 2 reaches all within 9
    r = set_covering(d, radius=[3, 3, 9], site_cost=[1, 1, 5])
    assert r.objective == 5
    with pytest.raises(InfeasibleError, match="no candidate site") as e:
        set_covering(np.array([[0, 1], [7, 8]]), radius=2)
    assert e.value.details["rows"] == ["1"]


def test_solvers_agree() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.random((60, 2)), rng.random((25, 2))
    d = np.sqrt(((a[:, None] - b[None]) ** 2).sum(2)) * 1000
    for model in (
        lambda s: p_median(d, 5, solver=s),
        lambda s: max_covering(d, radius=200, p=4, solver=s),
        lambda s: set_covering(d, radius=300, solver=s),
    ):
        h, c = model("highs"), model("cbc")
        assert h.status == c.status == "optimal"
        assert h.objective == pytest.approx(c.objective, rel=1e-4)


def _hard_mclp() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    a, b = rng.random((800, 2)), rng.random((300, 2))
    return np.sqrt(((a[:, None] - b[None]) ** 2).sum(2)) * 1000, rng.integers(1, 100, 800)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_time_limit_is_never_reported_optimal(solver: str) -> None:
    d, w = _hard_mclp()
    # this instance needs seconds to prove; 0.05 s cannot
    r = max_covering(d, radius=130, p=15, weights=w, solver=solver, time_limit=0.05)
    assert r.status in ("feasible", "no solution")
    if r.status == "feasible":
        assert r.best_bound is not None and r.best_bound >= r.objective
        assert r.gap == pytest.approx((r.best_bound - r.objective) / r.objective)
        assert r.gap > 1e-4
        assert len(r.open_sites) == 15
    else:
        assert r.objective is None and r.open_sites == [] and r.gap is None


def test_time_limit_without_incumbent_is_no_solution() -> None:
    rng = np.random.default_rng(1)
    a = rng.random((400, 2))
    d = np.sqrt(((a[:, None] - a[None]) ** 2).sum(2)) * 1000
    r = p_median(d, 20, time_limit=0.01)
    assert r.status in ("no solution", "feasible")
    assert r.status != "optimal"


def test_input_errors_name_rows() -> None:
    d = pd.DataFrame([[1.0, 2.0], [np.nan, 1.0], [-1.0, 3.0]], index=["g1", "g2", "g3"])
    with pytest.raises(DataValueError, match="'g2', 'g3'") as e:
        p_median(d, 1)
    assert e.value.rows == ["g2", "g3"]
    with pytest.raises(DataValueError, match="weights"):
        p_median([[1, 2]], 1, weights=[-1])
    with pytest.raises(ConfigError):
        p_median([[1, 2]], 3)
    with pytest.raises(ConfigError):
        p_median([[1, 2]], 1, solver="gurobi")
    with pytest.raises(ConfigError):
        p_median([[1, 2]], 1, time_limit=0)
    with pytest.raises(ConfigError):
        max_covering([[1, 2]], radius=1)
    with pytest.raises(InfeasibleError, match="cannot reach"):
        p_median([[np.inf, np.inf], [1, 1]], 1)


def test_deterministic() -> None:
    rng = np.random.default_rng(11)
    d = rng.integers(1, 20, size=(40, 15)).astype(float)  # many ties
    runs = [p_median(d, 4) for _ in range(3)]
    assert all(r.open_sites == runs[0].open_sites for r in runs)
    assert all(r.assignment.equals(runs[0].assignment) for r in runs)
