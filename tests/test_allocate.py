"""allocate(): hand-made instances with known optima, rules, errors, round trip, sweep."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from gridplan.allocation import (
    Allocation,
    NeedRule,
    Rules,
    allocate,
    budget_sweep,
    minimum_budget,
)
from gridplan.allocation.synthetic import make_scenario
from gridplan.errors import (
    ColumnError,
    ConfigError,
    CRSError,
    DataValueError,
    IdError,
    InfeasibleError,
    SolverError,
)

CRS = 4547


def _layers() -> dict[str, gpd.GeoDataFrame]:
    """Three 500 m grids in a row, 100 households each.

    S1 (existing, running 1000) sits in G1, reaches G1+G2, capacity 150.
    S2 (new: 500 to open + 1000 a year) sits in G3, reaches G2+G3, capacity 1000.
    Cheapest lead workers: W1 (G1, 300), W2 (G2, 400), W3 (G3, 350); W4 is cheap but
    lives far away with a 100 m travel limit; W5 could reach G2 but at 900.
    """
    x0, y0 = 500_000.0, 3_800_000.0
    grids = gpd.GeoDataFrame(
        {
            "households": [100, 100, 100],
            "elderly_alone": [5, 0, 2],
            "disabled": [0, 1, 0],
        },
        geometry=[box(x0 + 500 * i, y0, x0 + 500 * (i + 1), y0 + 500) for i in range(3)],
        index=pd.Index(["G1", "G2", "G3"], name="grid"),
        crs=CRS,
    )

    def pt(i: float) -> Point:
        return Point(x0 + 250 + 500 * i, y0 + 250)

    sites = gpd.GeoDataFrame(
        {
            "site_id": ["S1", "S2"],
            "name": ["centre", "station"],
            "open_cost": [0, 500],
            "annual_cost": [1000, 1000],
            "capacity": [150, 1000],
            "radius_m": [600, 600],
            "existing": [True, False],
        },
        geometry=[pt(0), pt(2)],
        crs=CRS,
    )
    workers = gpd.GeoDataFrame(
        {
            "worker_id": ["W1", "W2", "W3", "W4", "W5"],
            "annual_cost": [300, 400, 350, 100, 900],
            "max_travel_m": [300, 300, 300, 100, 2000],
            "max_grids": [1, 1, 1, 1, 2],
            "max_households": [500, 500, 500, 500, 500],
        },
        geometry=[pt(0), pt(1), pt(2), Point(x0 + 5000, y0), pt(1.1)],
        crs=CRS,
    )
    volunteers = gpd.GeoDataFrame(
        {
            "volunteer_id": ["V1", "V2", "V3"],
            "hours_per_month": [10, 6, 8],
            "skills": ["elderly_care", "disability;legal", "tutoring"],
            "max_travel_m": [700, 200, 5000],
            "annual_cost": [10, 20, 5],
        },
        geometry=[pt(0.5), pt(1), pt(1)],
        crs=CRS,
    )
    return {"grids": grids, "sites": sites, "workers": workers, "volunteers": volunteers}


RULES = Rules(
    needs={
        "elderly_care": NeedRule("elderly_alone", 2, 1.0),  # G1 10 h, G3 4 h
        "disability": NeedRule("disabled", 3, 1.0),  # G2 3 h
    }
)


def _check_plan(a: Allocation, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Every rule and every figure of a plan, checked from the raw inputs."""
    sites = layers["sites"].set_index("site_id")
    workers = layers["workers"].set_index("worker_id")
    vols = layers["volunteers"].set_index("volunteer_id")
    grids = layers["grids"]
    c = a.cost
    parts = c["sites_open_cost"] + c["sites_annual_cost"] + c["workers"] + c["volunteers"]
    assert c["total"] == pytest.approx(parts, abs=1e-9)
    assert c["total"] == pytest.approx(
        a.sites["cost"].sum() + a.workers["cost"].sum() + a.volunteers["cost"].sum()
    )
    opened = a.sites[a.sites["open"]]
    expect_sites = (
        opened["annual_cost"]
        + np.where(opened["existing"], 0, opened["open_cost"] / a.rules.open_cost_years)
    ).sum()
    assert c["sites_open_cost"] + c["sites_annual_cost"] == pytest.approx(expect_sites)
    assert c["workers"] == workers.loc[a.workers["hired"], "annual_cost"].sum()
    assert c["volunteers"] == vols.loc[a.volunteers["selected"], "annual_cost"].sum()
    if a.budget is not None:
        assert c["total"] <= a.budget + 1e-9
    assert a.sites.loc[sites.index[sites["existing"]], "open"].all()
    # capacities, and only open sites serve
    assert (a.sites["households_served"] <= a.sites["capacity"] + 1e-6).all()
    assert (a.sites.loc[~a.sites["open"], "households_served"] == 0).all()
    assert a.coverage["households_served"].sum() == pytest.approx(
        a.sites["households_served"].sum()
    )
    assert (a.coverage["households_served"] <= a.coverage["households"] + 1e-9).all()
    # workers: travel limit, one grid per worker by default, at most one lead per grid
    wa = a.worker_assignment
    assert not wa["grid"].duplicated().any()
    rep = grids.geometry.representative_point()
    for _, r in wa.iterrows():
        d = workers.geometry[r.worker_id].distance(rep[r.grid])
        assert r.distance_m == pytest.approx(d)
        assert d <= workers.loc[r.worker_id, "max_travel_m"]
        assert a.workers.loc[r.worker_id, "hired"]
    # volunteers: skills, hours, travel, need
    va = a.volunteer_assignment
    for _, r in va.iterrows():
        assert r.skill in vols.loc[r.volunteer_id, "skills"].split(";")
        assert (
            vols.geometry[r.volunteer_id].distance(rep[r.grid])
            <= vols.loc[r.volunteer_id, "max_travel_m"]
        )
    per_vol = va.groupby("volunteer_id")["hours_per_month"].sum()
    assert (per_vol <= vols.loc[per_vol.index, "hours_per_month"] + 1e-6).all()
    assert (a.volunteers.loc[per_vol.index, "selected"]).all()
    cov = a.coverage
    assert (cov["hours_delivered"] <= cov["need_hours"] + 1e-6).all()
    assert np.allclose(cov["unmet_hours"], cov["need_hours"] - cov["hours_delivered"], atol=1e-6)


def test_known_optimum_and_budget_threshold() -> None:
    L = _layers()
    # mandatory: S1 running 1000 + W1 300 + W2 400 + W3 350 = 2050
    mb = minimum_budget(**L, rules=RULES)
    assert mb["smallest_budget"] == 2050
    assert mb["existing_sites_cost"] == 1000 and mb["lead_workers_cost"] == 1050
    # opening S2 costs 1500 more; one yuan short keeps half the households unserved
    a = allocate(**L, budget=3549, rules=RULES)
    assert a.status == "optimal"
    assert not a.sites.loc["S2", "open"]
    assert a.coverage["households_served"].sum() == pytest.approx(150)
    _check_plan(a, L)
    b = allocate(**L, budget=3550 + 30, rules=RULES)  # S2 and V1 (10) and V2 (20)
    assert b.sites.loc["S2", "open"]
    assert b.coverage["households_served"].sum() == pytest.approx(300)
    assert b.coverage["lead_worker"].to_dict() == {"G1": "W1", "G2": "W2", "G3": "W3"}
    # V1 (10 h elderly care) reaches G1 (250 m) and G2 only; G1 needs 10 h
    vh = b.volunteer_assignment.set_index(["volunteer_id", "grid", "skill"])["hours_per_month"]
    assert vh.to_dict() == {("V1", "G1", "elderly_care"): 10.0, ("V2", "G2", "disability"): 3.0}
    assert b.cost["total"] == 3580
    _check_plan(b, L)
    # objective: need values G1 110, G2 102, G3 104 (households + 2 x vulnerable)
    # served 300 households worth 316, leads 316, hours 13 minus small travel/cost terms
    assert b.objective == pytest.approx(316 + 316 + 13, abs=0.2)
    assert b.best_bound is not None and b.best_bound >= b.objective - 1e-6
    assert a.objective < b.objective


def test_infeasible_budget_names_rule_and_computed_minimum() -> None:
    L = _layers()
    with pytest.raises(InfeasibleError) as e:
        allocate(**L, budget=900, rules=RULES)
    msg = str(e.value)
    assert "existing sites' running cost alone (1,000)" in msg
    assert "2,050" in msg and "one lead worker per grid" in msg
    assert e.value.details["smallest_budget"] == 2050
    assert e.value.details["rule"] == "budget"
    with pytest.raises(InfeasibleError) as e:
        allocate(**L, budget=2049.5, rules=RULES)
    assert "running cost alone" not in str(e.value) and "2,049.50" in str(e.value)
    assert e.value.details["smallest_budget"] == 2050
    a = allocate(**L, budget=2050, rules=RULES)  # the computed minimum is really enough
    assert a.cost["total"] == 2050
    _check_plan(a, L)


def test_lead_worker_rules() -> None:
    L = _layers()
    far = L["workers"].iloc[[3, 4]].copy()  # W4 far away, W5 (max 2 grids, reaches all)
    with pytest.raises(InfeasibleError) as e:
        allocate(L["grids"], workers=far.iloc[[0]], rules=RULES)
    assert e.value.details["rule"] == "lead_worker_reach"
    assert e.value.details["grids"] == ["G1", "G2", "G3"]
    # W5 alone cannot lead three grids under 一格一员, nor two when relaxed to max_grids=2
    with pytest.raises(InfeasibleError) as e:
        allocate(L["grids"], workers=far, budget=5000, rules=RULES)
    assert e.value.details["smallest_budget"] is None
    two = L["grids"].iloc[:2]
    relaxed = RULES.replace(one_grid_one_worker=False)
    a = allocate(two, workers=far, rules=relaxed)
    assert a.workers.loc["W5", "grids"] == "G1,G2"
    # optional leads: only what the budget buys, never above it
    opt = RULES.replace(require_lead_worker=False)
    b = allocate(L["grids"], workers=L["workers"], budget=700, rules=opt)
    assert b.cost["total"] <= 700 and b.coverage["lead_worker"].notna().sum() == 2
    assert b.coverage["lead_worker"].isna().sum() == 1


def test_input_errors_caught_before_solving() -> None:
    L = _layers()
    s = L["sites"].copy()
    s.loc[1, "annual_cost"] = np.nan
    with pytest.raises(DataValueError, match=r"sites\.annual_cost.*'S2'") as e:
        allocate(L["grids"], s)
    assert e.value.rows == ["S2"]
    w = L["workers"].copy()
    w.loc[[0, 2], "max_travel_m"] = -5
    with pytest.raises(DataValueError, match="'W1', 'W3'"):
        allocate(L["grids"], workers=w)
    g = L["grids"].copy()
    g.loc["G2", "households"] = -1
    with pytest.raises(DataValueError, match="'G2'"):
        allocate(g, L["sites"])
    d = pd.DataFrame(1.0, index=["G1", "G2", "G3"], columns=["S1", "S2"])
    d.loc["G3", "S1"] = np.nan
    with pytest.raises(DataValueError, match="'S1'"):
        allocate(L["grids"], L["sites"], distances={"sites": d})
    with pytest.raises(ColumnError, match="capacity"):
        allocate(L["grids"], L["sites"].drop(columns="capacity"))
    with pytest.raises(IdError):
        allocate(L["grids"], L["sites"].assign(site_id=["S1", "S1"]))
    # grids in degrees are projected now (test_geographic_grids_are_projected); no CRS is
    # still an error naming the layer
    with pytest.raises(CRSError, match="grids have no CRS"):
        allocate(L["grids"].set_crs(None, allow_override=True), L["sites"])
    with pytest.raises(CRSError):
        allocate(L["grids"], L["sites"].set_crs(None, allow_override=True))
    with pytest.raises(ConfigError):
        allocate(L["grids"], L["sites"], budget=-1)
    with pytest.raises(ConfigError):
        allocate(L["grids"], L["sites"], solver="glpk")
    with pytest.raises(ConfigError):
        allocate(L["grids"])
    with pytest.raises(ConfigError):
        Rules(weight_site=-1)


def test_reprojected_layers_and_distance_matrix() -> None:
    L = _layers()
    base = allocate(**L, budget=3580, rules=RULES)
    moved = {k: (v if k == "grids" else v.to_crs(3857)) for k, v in L.items()}
    again = allocate(**moved, budget=3580, rules=RULES)
    assert again.objective == pytest.approx(base.objective, abs=1e-6)
    assert again.coverage["lead_worker"].equals(base.coverage["lead_worker"])
    # a river: S2 cannot reach G2 by street although it is 500 m away in a straight line
    d = pd.DataFrame(
        [[0.0, 1000.0], [500.0, np.inf], [1000.0, 0.0]],
        index=["G1", "G2", "G3"],
        columns=["S1", "S2"],
    )
    r = allocate(L["grids"], L["sites"], budget=2500, rules=RULES, distances={"sites": d})
    assert r.coverage.loc["G2", "site_id"] in (None, "S1")
    assert r.sites.loc["S2", "households_served"] == pytest.approx(100)


def _sample_grids() -> dict[str, gpd.GeoDataFrame] | None:
    try:
        from gridplan.datasets import load_sample
    except ImportError:  # pragma: no cover - the sample module is another package part
        return None
    s = load_sample()
    u = s.units.copy()
    c = u.geometry.centroid
    # crude 380 m cells within communities stand in for planned grids
    u["cell"] = (
        u["community"].astype(str)
        + "-"
        + (c.x // 380).astype(int).astype(str)
        + "-"
        + (c.y // 380).astype(int).astype(str)
    )
    cols = ["households", "population", "age60plus", "elderly_alone", "disabled", "children"]
    grids = u.dissolve("cell", aggfunc={k: "sum" for k in cols}).rename_axis("grid")
    return {"grids": grids, "sites": s.sites, "workers": s.workers, "volunteers": s.volunteers}


@pytest.mark.slow
def test_cbc_and_highs_agree_on_sample_scenario() -> None:
    L = _sample_grids()
    if L is None:
        pytest.skip("gridplan.datasets not available")
    rules = Rules(require_lead_worker=False)
    mb = minimum_budget(**L, rules=rules)["smallest_budget"]
    h = allocate(**L, budget=mb * 1.4, rules=rules)
    c = allocate(**L, budget=mb * 1.4, rules=rules, solver="cbc")
    assert h.status == c.status == "optimal"
    # both are optimal within the default 1e-4 gap, and each one's plan respects the
    # bound the other solver proved
    assert h.objective == pytest.approx(c.objective, rel=2e-4)
    assert h.objective <= c.best_bound + 1e-6 and c.objective <= h.best_bound + 1e-6
    assert h.coverage["households_served"].sum() == pytest.approx(
        c.coverage["households_served"].sum(), rel=1e-3
    )
    # string dtypes of the sample layers survive the JSON round trip
    assert Allocation.from_dict(json.loads(json.dumps(h.to_dict(), allow_nan=False))) == h
    _check_plan(h, {k: v for k, v in L.items()} | {"grids": h.grids})
    _check_plan(c, {k: v for k, v in L.items()} | {"grids": c.grids})


def test_solvers_agree_on_small_scenario() -> None:
    L = _layers()
    h = allocate(**L, budget=3200, rules=RULES)
    c = allocate(**L, budget=3200, rules=RULES, solver="cbc")
    assert h.objective == pytest.approx(c.objective, rel=1e-6)
    assert h.cost == c.cost


def test_round_trip_and_determinism() -> None:
    sc = make_scenario(40, 10, 45, 80, seed=3)
    mb = minimum_budget(**sc)["smallest_budget"]
    a = allocate(**sc, budget=mb * 1.25)
    text = json.dumps(a.to_dict(), allow_nan=False)
    back = Allocation.from_dict(json.loads(text))
    assert back == a
    assert back.to_dict() == a.to_dict()
    assert isinstance(back.grids, gpd.GeoDataFrame) and back.grids.crs == a.grids.crs
    assert back.summary() == a.summary()
    back.cost["total"] += 1
    assert back != a
    b = allocate(**sc, budget=mb * 1.25)
    for name in ("worker_assignment", "volunteer_assignment", "coverage"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert (a.objective, a.cost) == (b.objective, b.cost)
    with pytest.raises(ConfigError):
        Allocation.from_dict({**a.to_dict(), "schema_version": 99})


def test_budget_sweep_is_monotone() -> None:
    sc = make_scenario(30, 8, 35, 60, seed=5)
    mb = minimum_budget(**sc)["smallest_budget"]
    budgets = [mb * 0.9, mb, mb * 1.1, mb * 1.3, mb * 1.6]
    df = budget_sweep(**sc, budgets=budgets, mip_gap=1e-6)
    assert df["status"].tolist()[0] == "infeasible"
    assert df.loc[0, "smallest_budget"] == pytest.approx(mb)
    ok = df[df["status"] == "optimal"]
    assert len(ok) == 4
    assert (ok["total_cost"] <= ok["budget"] + 1e-6).all()
    assert ok["objective"].is_monotonic_increasing
    assert (ok["objective_per_10k"].dropna() >= -1e-6).all()
    assert ok["objective_per_10k"].iloc[1] == pytest.approx(
        (ok["objective"].iloc[1] - ok["objective"].iloc[0])
        / (ok["budget"].iloc[1] - ok["budget"].iloc[0])
        * 10_000
    )
    parts = ok[[c for c in ok.columns if c.startswith("cost_")]].sum(axis=1)
    assert np.allclose(parts, ok["total_cost"])


def test_time_limit_is_never_reported_optimal() -> None:
    sc = make_scenario(300, 90, 300, 900, seed=9)
    mb = minimum_budget(**sc)["smallest_budget"]
    seen = []
    # gap 1e-9 cannot be proven in seconds on this instance; longer limits find incumbents
    # (the longest ones only run when a loaded machine found none in the shorter ones)
    for limit in (0.05, 1.0, 3.0, 8.0, 20.0, 40.0):
        try:
            a = allocate(**sc, budget=mb * 1.3, time_limit=limit, mip_gap=1e-9)
        except SolverError as exc:
            assert "no feasible plan" in str(exc)
            seen.append("no solution")
            continue
        seen.append(a.status)
        assert a.status == "feasible"
        assert a.best_bound is not None and a.best_bound >= a.objective
        assert a.gap == pytest.approx((a.best_bound - a.objective) / abs(a.objective), rel=1e-6)
        assert a.gap > 1e-9
        assert a.cost["total"] <= mb * 1.3
        break
    assert "feasible" in seen, seen


@pytest.mark.parametrize("seed", range(4))
def test_random_scenarios_respect_every_rule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sc = make_scenario(25, 8, 30, 50, seed=100 + seed)
    rules = Rules(
        one_grid_one_worker=bool(seed % 2),
        require_lead_worker=seed < 2,
        open_cost_years=1.0 + seed,
    )
    try:
        mb = minimum_budget(**sc, rules=rules)["smallest_budget"]
    except InfeasibleError:
        pytest.skip("this random town cannot give every grid a lead worker")
    budget = float(mb * rng.uniform(1.0, 1.6))
    h = allocate(**sc, budget=budget, rules=rules)
    c = allocate(**sc, budget=budget, rules=rules, solver="cbc")
    for a in (h, c):
        assert a.status == "optimal"
        _check_plan(a, sc)
        if not rules.one_grid_one_worker:
            per = a.worker_assignment.groupby("worker_id").size()
            limit = sc["workers"].set_index("worker_id").loc[per.index, "max_grids"]
            assert (per <= limit).all()
        if rules.require_lead_worker:
            assert a.coverage["lead_worker"].notna().all()
    # two independent solvers, each within the 1e-4 gap of the optimum
    assert h.objective == pytest.approx(c.objective, rel=2e-4)
    assert h.objective <= c.best_bound + 1e-6 and c.objective <= h.best_bound + 1e-6
