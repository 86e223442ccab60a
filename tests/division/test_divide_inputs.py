"""divide() and GridPlan: fixes from review, each with the case that showed the bug."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _builders import halves, lattice_gdf

from gridplan import Territory
from gridplan.division import GridPlan, divide
from gridplan.errors import (
    ColumnError,
    ConfigError,
    DataValueError,
    InfeasibleError,
    InputError,
)

# --- 1. no load to balance ----------------------------------------------------------------


def test_all_zero_loads_never_give_fewer_grids_than_asked():
    t = Territory(lattice_gdf(hh=[0] * 36), population="pop", households="hh")
    with pytest.raises(InfeasibleError, match="'hh' is 0 for every unit") as info:
        divide(t, n_grids=4)
    assert "balance='population'" in str(info.value)
    assert info.value.details["reason"] == "no load to balance"
    with pytest.raises(InfeasibleError):  # not a tolerance problem: strict=False is no way out
        divide(t, n_grids=4, strict=False)
    assert divide(t, n_grids=1).metrics["n_grids"] == 1  # one grid is still a plan
    # Nested: every parent empty and more grids than parents asked.
    tn = Territory(
        lattice_gdf(hh=[0] * 36, par=halves("A", "B")), population="pop", households="hh"
    )
    with pytest.raises(InfeasibleError, match="'A', 'B'"):
        divide(tn, n_grids=4, within="par")
    assert divide(tn, n_grids=2, within="par").metrics["n_grids"] == 2


def test_one_empty_parent_among_loaded_ones_still_gets_the_asked_count():
    par = ["A" if i % 6 < 2 else ("B" if i % 6 < 4 else "C") for i in range(36)]
    hh = [0 if p == "C" else 4 for p in par]
    t = Territory(lattice_gdf(hh=hh, par=par), population="pop", households="hh")
    for n in (3, 4, 5, 6, 8):
        plan = divide(t, n_grids=n, within="par", strict=False)
        assert plan.metrics["n_grids"] == n == plan.assignment.nunique()


# --- 2. parent codes -----------------------------------------------------------------------


def test_parent_values_printing_alike_are_refused():
    t = Territory(lattice_gdf(par=halves(1, "1")), population="pop", households="hh")
    with pytest.raises(DataValueError, match=r"1 and '1'.*'1'"):
        divide(t, n_grids=4, within="par")


def test_integral_float_parent_codes_print_without_point_zero():
    t = Territory(
        lattice_gdf(par=halves(410727001001.0, 410727001002.0)), population="pop", households="hh"
    )
    plan = divide(t, n_grids=4, within="par")
    assert sorted(plan.grids.index) == [
        "410727001001-01",
        "410727001001-02",
        "410727001002-01",
        "410727001002-02",
    ]
    t = Territory(lattice_gdf(par=halves(1, 1.5)), population="pop", households="hh")
    assert sorted(divide(t, n_grids=4, within="par").grids.index) == [
        "1-01",
        "1-02",
        "1.5-01",
        "1.5-02",
    ]


# --- 3. locked codes and parents ---------------------------------------------------------


def test_locked_code_of_another_parent_is_refused():
    t = Territory(lattice_gdf(par=halves("A", "B")), population="pop", households="hh")
    with pytest.raises(ConfigError, match=r"'B-01'.*parent 'A'.*'A-'"):
        divide(t, n_grids=4, within="par", locked={0: "B-01"}, strict=False)
    # A code that reads as another parent's even though it starts with this parent's code.
    t = Territory(lattice_gdf(par=halves("A", "A-B")), population="pop", households="hh")
    with pytest.raises(ConfigError, match=r"'A-B-01'.*'A-B'"):
        divide(t, n_grids=4, within="par", locked={0: "A-B-01"})
    plan = divide(t, n_grids=4, within="par", locked={0: "A-07"})
    assert plan.assignment.iloc[0] == "A-07" and plan.assignment.nunique() == 4


def test_locked_codes_are_never_reused_by_other_grids():
    # Without nesting, a lock may use any code, even one of the form of another grid's.
    t = Territory(lattice_gdf(), population="pop", households="hh")
    plan = divide(t, n_grids=4, locked={35: "G01"})
    assert plan.assignment.nunique() == 4 == plan.metrics["n_grids"]
    assert plan.assignment.iloc[35] == "G01"


# --- 4. locked units that cannot be one grid ----------------------------------------------


def test_locked_units_that_cannot_be_joined_are_named():
    t = Territory(lattice_gdf(), population="pop", households="hh")
    with pytest.raises(InfeasibleError) as info:
        divide(t, n_grids=4, locked={0: "X", 35: "X"}, tolerance=0.05)
    msg = str(info.value)
    assert "'X'" in msg and "0" in msg and "35" in msg
    assert "Lock a connected set" in msg and "is known to work" not in msg
    pieces = info.value.details["not_contiguous"]
    assert pieces[0]["grid"] == "X"
    assert sorted(u for piece in pieces[0]["locked_units"] for u in piece) == [0, 35]
    plan = divide(t, n_grids=4, locked={0: "X", 35: "X"}, strict=False)
    bad = [v for v in plan.metrics["violations"] if v["reason"] == "not contiguous"]
    assert bad and "locked_units" in bad[0]


# --- 5. demand columns named like grid-table columns ----------------------------------------


@pytest.mark.parametrize("name", ["n_units", "target", "deviation", "neighbours", "grid"])
def test_demand_column_named_like_a_grid_column_is_refused(name):
    g = lattice_gdf(**{name: [5] * 36})
    t = Territory(g, population="pop", households="hh", demand=[name])
    with pytest.raises(ColumnError, match=f"{name!r}.*rename"):
        divide(t, n_grids=4)


def test_balance_column_named_like_a_grid_column_is_refused():
    t = Territory(lattice_gdf(area_m2=[5] * 36), population="pop", households="hh")
    with pytest.raises(ColumnError, match="'area_m2'"):
        divide(t, n_grids=4, balance="area_m2")


# --- 6. GridPlan inputs ----------------------------------------------------------------------


def test_from_file_names_what_is_missing(tmp_path):
    t = Territory(lattice_gdf(), population="pop", households="hh")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"gridplan": {"schema_version": 1}}))
    with pytest.raises(InputError, match=r"bad\.json.*'assignment'"):
        GridPlan.from_file(bad, t)
    plan = divide(t, n_grids=4)
    path = tmp_path / "plan.geojson"
    plan.to_file(path)
    data = json.loads(path.read_text())
    del data["gridplan"]["params"]["balance_column"]
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"plan\.geojson.*'balance_column'"):
        GridPlan.from_file(path, t)
    data["gridplan"]["params"] = plan.params
    del data["gridplan"]["assignment"]["grids"]
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"plan\.geojson.*'grids'"):
        GridPlan.from_file(path, t)


def test_assignment_with_missing_codes_is_refused():
    t = Territory(lattice_gdf(), population="pop", households="hh")
    plan = divide(t, n_grids=4)
    a = plan.assignment.copy()
    a.iloc[0] = np.nan
    with pytest.raises(InputError, match="no grid code") as info:
        GridPlan(t, a, plan.params)
    assert info.value.rows == [0]
    a.iloc[0] = None
    with pytest.raises(InputError, match="no grid code"):
        GridPlan(t, a, plan.params)


# --- 7. parent boundaries follow the plan's nesting ------------------------------------------


def test_parent_boundaries_use_the_plans_within_column():
    g = lattice_gdf(par=halves(1, 2), street=["S1" if i < 18 else "S2" for i in range(36)])
    t = Territory(g, population="pop", households="hh", parent="par")
    plan = divide(t, n_grids=4, within="street")
    assert plan.parent_boundaries()["street"].tolist() == ["S1", "S2"]
    flat = divide(t, n_grids=4)
    assert flat.parent_boundaries() is None
    html = flat.explore().get_root().render()
    assert "gp-parent" not in html
    html = plan.explore().get_root().render()
    assert "gp-parent" in html and "S1" in html


# --- 8. the parent's label ---------------------------------------------------------------------


def test_parent_label_is_the_nesting_column():
    g = lattice_gdf(street=["S1" if i < 18 else "S2" for i in range(36)])
    t = Territory(g, population="pop", households="hh")
    plan = divide(t, n_grids=4, within="street")
    assert plan.report().columns[0] == "Street"
    html = plan.explore().get_root().render()
    assert "Street" in html and "Community" not in html
    g = lattice_gdf(community=["S1" if i < 18 else "S2" for i in range(36)])
    t = Territory(g, population="pop", households="hh")
    plan = divide(t, n_grids=4, within="community")
    assert plan.report().columns[0] == "Community"


# --- 9. types ----------------------------------------------------------------------------------


def test_numbers_of_any_real_type_are_accepted():
    t = Territory(lattice_gdf(), population="pop", households="hh")
    plan = divide(t, n_grids=np.int64(4), tolerance=np.float32(0.1), seed=np.uint8(1))
    assert plan.metrics["n_grids"] == 4
    assert divide(t, households_per_grid=np.float64(36.0)).metrics["n_grids"] == 4
