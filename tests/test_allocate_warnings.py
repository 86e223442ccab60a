"""allocate(): results that look right but are not are announced, never silent."""

from __future__ import annotations

import json
import warnings

import pytest

from gridplan.allocation import NeedRule, Rules, allocate, budget_sweep
from gridplan.allocation.result import Allocation
from gridplan.errors import ColumnError, GridplanWarning
from gridplan.scenario.report import markdown_report
from test_allocate import _layers


def _quiet_allocate(*args, **kwargs) -> tuple[Allocation, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridplanWarning)
        a = allocate(*args, **kwargs)
    return a, [str(w.message) for w in caught if w.category is GridplanWarning]


def test_complete_inputs_warn_only_of_the_worker_who_reaches_no_grid():
    L = _layers()
    rules = Rules(needs={"elderly_care": NeedRule("elderly_alone", 2, 1.0)},
                  vulnerable_weights={"elderly_alone": 2.0})  # fmt: skip
    a, caught = _quiet_allocate(L["grids"], L["sites"], L["workers"], L["volunteers"],
                                budget=5000, rules=rules)  # fmt: skip
    assert caught == a.warnings and len(caught) == 1  # W4: 3.5 km away, 100 m travel limit
    assert caught[0].startswith("1 of 5 workers ('W4') reach no grid within their max_travel_m")
    assert "CRS" not in caught[0]  # 3.5 km is a real place, not a CRS mix-up


def test_missing_default_demand_columns_warn_in_result_summary_report_and_json():
    L = _layers()
    grids = L["grids"].drop(columns=["elderly_alone"])
    a, caught = _quiet_allocate(grids, L["sites"], L["workers"], L["volunteers"], budget=5000)
    assert len(caught) == 2 and caught == a.warnings  # demand columns, then worker W4
    message = a.warnings[0]
    for col in ("'age60plus'", "'children'", "'elderly_alone'"):
        assert col in message
    assert "'disabled'" not in message.split(":")[0]  # present, so not named as missing
    assert "elderly_care" in message and "demand=" in message
    assert "WARNING: grids lack" in a.summary()
    assert "### Warnings" in markdown_report(None, None, a)
    back = Allocation.from_dict(json.loads(json.dumps(a.to_dict())))
    assert back.warnings == a.warnings and back == a


def test_a_rule_of_your_own_on_a_missing_column_is_an_error():
    L = _layers()
    rules = Rules(needs={"meals": NeedRule("meal_orders", 4, 0.5)})
    with pytest.raises(ColumnError, match=r"'meal_orders'.*demand=\[\.\.\.\]"):
        allocate(L["grids"], volunteers=L["volunteers"], rules=rules)


def test_sites_far_outside_the_grids_are_named():
    L = _layers()
    sites = L["sites"].copy()
    sites.loc[sites["site_id"] == "S2", "geometry"] = sites.geometry[
        sites["site_id"] == "S2"
    ].translate(0, 250_000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridplanWarning)
        rows = budget_sweep(L["grids"], sites, L["workers"], budgets=[5000, 8000])
    far = [str(w.message) for w in caught if "sites" in str(w.message)]
    assert len(far) == 1  # once per sweep, not once per budget
    assert "1 of 2 sites ('S2')" in far[0] and "km from the nearest grid" in far[0]
    assert "another CRS" in far[0] and len(rows) == 2
    a, _ = _quiet_allocate(L["grids"], sites, L["workers"], budget=8000)
    assert any("'S2'" in w for w in a.warnings)
    assert a.sites.loc["S2", "households_served"] == 0
