"""Solvers through libraries: HiGHS's model writer, CBC on its MPS, any PuLP solver object."""

from __future__ import annotations

import json

import highspy
import pulp
import pytest

from gridplan.allocation import Allocation, allocate, locate
from gridplan.errors import ConfigError
from test_allocate import _layers

BUDGET = 5000


@pytest.mark.parametrize("suffix", ["mps", "lp"])
def test_the_written_model_solves_to_the_allocation_objective(tmp_path, suffix):
    L = _layers()
    a = allocate(L["grids"], L["sites"], L["workers"], L["volunteers"], budget=BUDGET)
    assert a.status == "optimal"
    path = tmp_path / f"allocation.{suffix}"
    a.write_model(path)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    # the model minimises the negative of the need-weighted coverage score
    assert -h.getInfo().objective_function_value == pytest.approx(a.objective, abs=1e-6)


def test_a_pulp_solver_object_gives_the_same_plan_without_claiming_optimality():
    L = _layers()
    layers = (L["grids"], L["sites"], L["workers"], L["volunteers"])
    best = allocate(*layers, budget=BUDGET)
    via_pulp = allocate(*layers, budget=BUDGET, solver=pulp.PULP_CBC_CMD(msg=False))
    assert via_pulp.solver == "pulp:PULP_CBC_CMD"
    assert via_pulp.status == "feasible" and via_pulp.gap is None
    assert via_pulp.objective == pytest.approx(best.objective, abs=1e-6)
    assert via_pulp.cost["total"] <= BUDGET
    back = Allocation.from_dict(json.loads(json.dumps(via_pulp.to_dict())))
    assert back == via_pulp


def test_locate_takes_a_pulp_solver_object_too():
    cost = [[0, 4, 9, 7], [4, 0, 3, 8], [9, 3, 0, 2], [7, 8, 2, 0], [5, 6, 6, 5]]
    weights = [3, 1, 2, 4, 1]
    exact = locate.p_median(cost, p=2, weights=weights)
    other = locate.p_median(cost, p=2, weights=weights, solver=pulp.PULP_CBC_CMD(msg=False))
    assert other.objective == pytest.approx(exact.objective, rel=1e-9)
    assert other.status == "feasible" and exact.status == "optimal"


def test_bad_solver_and_a_model_that_was_not_kept_are_named(tmp_path):
    L = _layers()
    with pytest.raises(ConfigError, match=r"PuLP solver object"):
        allocate(L["grids"], L["sites"], solver="gurobi")
    a = allocate(L["grids"], L["sites"], L["workers"], budget=BUDGET)
    with pytest.raises(ConfigError, match=r"\.mps or \.lp"):
        a.write_model(tmp_path / "model.txt")
    with pytest.raises(ConfigError, match="from_dict"):
        Allocation.from_dict(a.to_dict()).write_model(tmp_path / "model.mps")
