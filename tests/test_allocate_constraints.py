"""allocate(constraints=...): rules of the planner's own, added without editing the model."""

from __future__ import annotations

import pytest

from gridplan.allocation import allocate, budget_sweep
from gridplan.allocation.constraints import min_open_sites_per, must_hire, never_lead
from gridplan.errors import ConfigError, InfeasibleError
from test_allocate import _layers


def _run(budget=4000, **kwargs):
    L = _layers()
    return allocate(L["grids"], L["sites"], L["workers"], budget=budget, **kwargs)


def test_a_worker_who_must_not_lead_a_grid_never_does():
    free = _run()
    assert free.coverage.loc["G2", "lead_worker"] == "W2"
    kept = _run(constraints=[never_lead("W2", "G2")])
    assert kept.coverage.loc["G2", "lead_worker"] == "W5"  # the only other worker in reach
    assert "W2" not in set(kept.worker_assignment["worker_id"])
    assert kept.cost["workers"] == free.cost["workers"] - 400 + 900


def test_workers_who_keep_their_jobs_are_paid_for():
    a = _run(constraints=[must_hire(["W4"])])
    assert bool(a.workers.loc["W4", "hired"]) and a.cost["workers"] == 300 + 400 + 350 + 100


@pytest.mark.parametrize("where", ["sites", "grids"])
def test_every_community_keeps_an_open_site(where):
    L = _layers()
    if where == "sites":
        L["sites"]["community"] = ["east", "west"]
    else:
        L["grids"]["community"] = ["east", "east", "west"]  # S2 stands in G3
    layers = (L["grids"], L["sites"], L["workers"])
    free = allocate(*layers, budget=3000)
    assert not bool(free.sites.loc["S2", "open"])  # 2,050 mandatory + 1,500 does not fit
    with pytest.raises(InfeasibleError, match=r"min_open_sites_per\('community', 1\)") as err:
        allocate(*layers, budget=3000, constraints=[min_open_sites_per("community")])
    assert err.value.details["rule"] == "constraints"
    assert err.value.details["smallest_budget_without_constraints"] == 2050
    kept = allocate(*layers, budget=4000, constraints=[min_open_sites_per("community")])
    assert kept.sites["open"].all() and kept.cost["total"] <= 4000


def test_a_constraint_of_your_own_is_a_few_lines():
    def one_site_only(view):
        view.add_rows([view.open_columns()], hi=1)

    L = _layers()
    rows = budget_sweep(L["grids"], L["sites"], L["workers"], budgets=[3000, 10_000],
                        constraints=[one_site_only])  # fmt: skip
    assert rows["sites_open"].tolist() == [1, 1]
    assert _run(budget=10_000).sites["open"].sum() == 2


def test_constraints_that_name_what_does_not_exist_are_refused():
    with pytest.raises(ConfigError, match=r"workers 'W9'"):
        _run(constraints=[never_lead("W9", "G1")])
    with pytest.raises(ConfigError, match="functions of a ModelView"):
        _run(constraints=["W1 never leads G1"])
    L = _layers()
    with pytest.raises(ConfigError, match="no workers layer"):
        allocate(L["grids"], L["sites"], budget=4000, constraints=[never_lead("W1", "G1")])
