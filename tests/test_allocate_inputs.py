"""allocate(): input handling found wanting in review, and honest status / solver errors."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from gridplan.allocation import (
    Rules,
    _solver,
    allocate,
    budget_sweep,
    locate,
    minimum_budget,
    model,
)
from gridplan.allocation._solver import Model, SolveResult
from gridplan.allocation.synthetic import make_scenario
from gridplan.errors import (
    ColumnError,
    ConfigError,
    CRSError,
    DataValueError,
    InfeasibleError,
    SolverError,
)
from test_allocate import RULES, _layers


def _leads(a: object) -> dict[str, str]:
    return a.coverage["lead_worker"].to_dict()  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- B1 CRS


def test_geographic_grids_are_projected(caplog: pytest.LogCaptureFixture) -> None:
    L = _layers()
    base = allocate(**L, budget=3580, rules=RULES)
    # grids.geojson from `gridplan divide` is longitude/latitude (EPSG:4326)
    lonlat = {**L, "grids": L["grids"].to_crs(4326)}
    with caplog.at_level(logging.INFO, logger="gridplan"):
        a = allocate(**lonlat, budget=3580, rules=RULES)
    assert "projected from EPSG:4326" in caplog.text and "grids" in caplog.text
    assert a.grids.crs.is_projected and a.sites.crs == a.grids.crs
    assert a.workers.crs == a.grids.crs and a.volunteers.crs == a.grids.crs
    assert _leads(a) == _leads(base)
    assert a.coverage["households_served"].tolist() == base.coverage["households_served"].tolist()
    assert a.cost == base.cost
    # the same plan up to the travel tie-breakers (UTM vs Gauss-Kruger metres)
    assert a.objective == pytest.approx(base.objective, abs=1e-2)
    # the other layers may be in degrees too
    all_deg = {k: v.to_crs(4326) for k, v in L.items()}
    assert _leads(allocate(**all_deg, budget=3580, rules=RULES)) == _leads(base)


def test_layer_without_crs_is_named() -> None:
    L = _layers()
    with pytest.raises(CRSError, match="grids have no CRS"):
        allocate(L["grids"].set_crs(None, allow_override=True), L["sites"])
    with pytest.raises(CRSError, match="workers have no CRS"):
        allocate(L["grids"], workers=L["workers"].set_crs(None, allow_override=True))


# --------------------------------------------------------------------------- B5 empty layers


@pytest.mark.parametrize("layer", ["sites", "workers", "volunteers"])
def test_empty_layer_counts_as_not_given(layer: str, caplog: pytest.LogCaptureFixture) -> None:
    L = _layers()
    with caplog.at_level(logging.WARNING, logger="gridplan"):
        a = allocate(**{**L, layer: L[layer].iloc[:0]}, budget=3580, rules=RULES)
    assert f"the {layer} layer is empty" in caplog.text
    b = allocate(**{**L, layer: None}, budget=3580, rules=RULES)
    assert getattr(a, layer) is None
    assert a.cost == b.cost and a.objective == pytest.approx(b.objective)


def test_all_layers_empty_is_a_config_error() -> None:
    L = _layers()
    with pytest.raises(ConfigError, match="at least one of sites, workers or volunteers"):
        allocate(L["grids"], L["sites"].iloc[:0], L["workers"].iloc[:0])


# --------------------------------------------------------------------------- B6 inf distances


def test_inf_distance_is_unreachable_even_without_a_limit() -> None:
    L = _layers()
    sites = L["sites"].assign(radius_m=np.inf, existing=[True, True])
    d = pd.DataFrame(
        [[0.0, np.inf], [np.inf, np.inf], [np.inf, 0.0]],
        index=["G1", "G2", "G3"],
        columns=["S1", "S2"],
    )
    a = allocate(L["grids"], sites, rules=RULES, distances={"sites": d})
    assert a.coverage["site_id"].fillna("none").tolist() == ["S1", "none", "S2"]
    assert a.coverage.loc["G2", "households_served"] == 0
    workers = L["workers"].iloc[:2].assign(max_travel_m=np.inf)
    dw = pd.DataFrame(
        [[0.0, np.inf], [np.inf, 0.0], [np.inf, np.inf]],
        index=["G1", "G2", "G3"],
        columns=["W1", "W2"],
    )
    with pytest.raises(InfeasibleError) as e:
        allocate(L["grids"], workers=workers, rules=RULES, distances={"workers": dw})
    assert e.value.details["grids"] == ["G3"]


# --------------------------------------------------------------------------- B7 CBC precision


def test_cbc_optimal_plan_is_not_refused() -> None:
    # CBC's solution file carries ~8 significant digits: this plan missed an absolute
    # 1e-6 row tolerance and was thrown away as "no feasible plan ... give it more time"
    sc = make_scenario(30, 10, 40, 80, seed=3)
    mb = minimum_budget(**sc)["smallest_budget"]
    a = allocate(**sc, budget=mb * 1.3, solver="cbc")
    assert a.status == "optimal"
    assert a.cost["total"] <= mb * 1.3 + 1e-6


def test_point_check_is_relative_and_rounds_integers() -> None:
    m = Model()
    y = m.add_vars(1, ub=1, integer=True)
    u = m.add_vars(1, ub=np.inf)
    # u <= 3000 y: a 2e-6 excess on terms of size 3000 is file precision, not a violation
    m.add_rows(1, [0, 0], [u[0], y[0]], [1.0, -3000.0], hi=0.0)
    x, why = _solver._checked_point(m, np.array([0.9999999, 3000.0 + 2e-6]))
    assert why == "" and x is not None and x.tolist() == [1.0, 3000.0 + 2e-6]
    x, why = _solver._checked_point(m, np.array([1.0, 3001.0]))
    assert x is None and "constraint" in why
    x, why = _solver._checked_point(m, np.array([0.5, 0.0]))
    assert x is None and "whole number" in why


def test_refused_plan_is_not_a_time_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    L = _layers()
    monkeypatch.setattr(_solver, "_checked_point", lambda m, x: (None, "a constraint is off"))
    for solver in ("cbc", "highs"):
        with pytest.raises(SolverError) as e:
            allocate(**L, budget=3580, rules=RULES, solver=solver)
        assert not isinstance(e.value, model.NoSolutionError)
        assert "more time" not in str(e.value) and "a constraint is off" in str(e.value)


# --------------------------------------------------------------------------- B8 yes/no flags


def test_existing_accepts_yes_no_words_and_names_bad_rows() -> None:
    L = _layers()
    words = {"False": False, "0": False, "no": False, "NO": False, "true": True, "Yes": True}
    for text, want in words.items():
        sites = L["sites"].assign(existing=[text, "false"])
        a = allocate(L["grids"], sites, rules=RULES)
        assert bool(a.sites.loc["S1", "existing"]) is want, text
    a = allocate(L["grids"], L["sites"].assign(existing=[1, 0.0]), rules=RULES)
    assert a.sites["existing"].tolist() == [True, False]
    a = allocate(L["grids"], L["sites"].assign(existing=[None, np.nan]), rules=RULES)
    assert a.sites["existing"].tolist() == [False, False]
    with pytest.raises(DataValueError, match=r"sites\.existing.*'maybe'.*'S2'") as e:
        allocate(L["grids"], L["sites"].assign(existing=[True, "maybe"]), rules=RULES)
    assert e.value.rows == ["S2"]
    with pytest.raises(DataValueError, match="'S1'"):
        allocate(L["grids"], L["sites"].assign(existing=[2, 0]), rules=RULES)


# --------------------------------------------------------------------------- B9 skills


def test_unknown_skill_is_named_with_a_suggestion() -> None:
    L = _layers()
    vols = L["volunteers"].assign(skills=["eldercare", "disability;legal", "tutorin;health"])
    with pytest.raises(DataValueError) as e:
        allocate(L["grids"], volunteers=vols, rules=RULES)
    msg = str(e.value)
    assert "'eldercare' (did you mean 'elderly_care'?) at 'V1'" in msg
    assert "'tutorin' (did you mean 'tutoring'?) at 'V3'" in msg
    assert e.value.rows == ["V1", "V3"]
    # a skill of a custom need rule is known; a default skill without a rule is not an error
    own = RULES.replace(needs={**RULES.needs, "eldercare": RULES.needs["elderly_care"]})
    a = allocate(L["grids"], volunteers=vols.iloc[:2], rules=own)
    assert set(a.volunteer_assignment["skill"]) <= {"eldercare", "disability"}


# --------------------------------------------------------------------------- status honesty


def test_loose_mip_gap_is_feasible_with_its_true_gap() -> None:
    sc = make_scenario(60, 20, 60, 180, seed=9)
    mb = minimum_budget(**sc)["smallest_budget"]
    a = allocate(**sc, budget=mb * 1.3, mip_gap=0.2)
    assert a.gap is not None and a.gap > 1e-4
    assert a.status == "feasible"
    assert a.gap == pytest.approx((a.best_bound - a.objective) / abs(a.objective), rel=1e-6)
    # a loose mip_gap whose plan is proven within the default gap is still optimal
    L = _layers()
    b = allocate(**L, budget=3580, rules=RULES, mip_gap=0.5)
    assert b.status == "optimal" and b.gap is not None and b.gap <= 1e-4
    c = allocate(**sc, budget=mb * 1.3)
    assert c.status == "optimal" and c.gap is not None and c.gap <= 1e-4


# --------------------------------------------------------------------------- numeric parameters


def test_numeric_parameters_are_real_numbers_not_bools() -> None:
    L = _layers()
    a = allocate(**L, budget=np.int64(3580), rules=RULES, time_limit=np.int64(30))
    assert a.budget == 3580.0
    allocate(**L, budget=np.float32(3580), rules=RULES, mip_gap=np.float64(1e-4))
    bad = [
        {"budget": True},
        {"budget": "3580"},
        {"budget": np.inf},
        {"time_limit": True},
        {"time_limit": 0},
        {"mip_gap": False},
        {"mip_gap": 1.0},
    ]
    for kw in bad:
        with pytest.raises(ConfigError, match=next(iter(kw))):
            allocate(**L, rules=RULES, **{"budget": 3580, **kw})
    with pytest.raises(ConfigError, match="budget"):
        budget_sweep(**L, budgets=[3580, True], rules=RULES)
    cost = np.array([[0, 3], [3, 0]])
    assert locate.max_covering(cost, radius=1, budget=np.int64(1)).objective == 1.0
    for b in (True, "1", np.nan, -1):
        with pytest.raises(ConfigError, match="budget"):
            locate.max_covering(cost, radius=1, budget=b)
    with pytest.raises(ConfigError, match="time_limit"):
        locate.p_median(cost, p=1, time_limit=True)
    assert Rules(weight_site=np.float64(2.0), open_cost_years=np.int64(3)).weight_site == 2.0
    for kw in ({"weight_site": True}, {"open_cost_years": 0}, {"default_max_grids": True}):
        with pytest.raises(ConfigError, match=next(iter(kw))):
            Rules(**kw)


# --------------------------------------------------------------------------- sweep errors


def test_sweep_keeps_time_limit_rows_but_raises_solver_failures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    L = _layers()

    def no_plan(*args: object, **kwargs: object) -> SolveResult:
        return SolveResult("no solution", None, None, None, None, 0.1, "highs", "time limit")

    monkeypatch.setattr(model, "solve", no_plan)
    df = budget_sweep(**L, budgets=[3000, 3580], rules=RULES, time_limit=1)
    assert df["status"].tolist() == ["no solution", "no solution"]

    def crash(*args: object, **kwargs: object) -> SolveResult:
        raise SolverError("CBC failed (exit 1)")

    monkeypatch.setattr(model, "solve", crash)
    with pytest.raises(SolverError, match="CBC failed"):
        budget_sweep(**L, budgets=[3000, 3580], rules=RULES)


# --------------------------------------------------------------------------- households


def test_population_stands_in_for_missing_households(caplog: pytest.LogCaptureFixture) -> None:
    L = _layers()
    grids = L["grids"].rename(columns={"households": "population"})
    with caplog.at_level(logging.WARNING, logger="gridplan"):
        a = allocate(grids, L["sites"], L["workers"], budget=3550, rules=RULES)
    assert "using 'population' in its place" in caplog.text
    assert a.coverage["households"].tolist() == [100.0, 100.0, 100.0]
    assert a.coverage["households_served"].sum() == pytest.approx(300)
    with pytest.raises(ColumnError, match=r"'households' column.*'population'"):
        allocate(L["grids"].drop(columns="households"), L["sites"])


def test_result_does_not_depend_on_integer_width_of_inputs() -> None:
    # File readers return int32 where the same data in memory is int64; the JSON must match.
    wide = _layers()
    narrow = {k: v.copy() for k, v in wide.items()}
    for layer in narrow.values():
        for col in layer.columns:
            if layer[col].dtype == "int64":
                layer[col] = layer[col].astype("int32")
    a = allocate(**wide, budget=3000, rules=RULES)
    b = allocate(**narrow, budget=3000, rules=RULES)
    strip = ("seconds", "build_seconds")
    assert {k: v for k, v in a.to_dict().items() if k not in strip} == {
        k: v for k, v in b.to_dict().items() if k not in strip
    }
