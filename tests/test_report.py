"""The planner's report: what limits coverage, costs, per community, per grid; escaping."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point

from gridplan import Territory, allocate, divide
from gridplan.allocation.model import _doctest_layers
from gridplan.plots import explain_allocation
from gridplan.scenario.report import html_report, markdown_report, md_escape

HOSTILE = "<img src=x onerror=alert(1)>|*x*_[y](z)"


def volunteers(costs, hours=5.0, travel=5000.0, skills="elderly_care", at=(250.0, 250.0)):
    n = len(costs)
    return gpd.GeoDataFrame(
        {
            "volunteer_id": [f"V{i + 1}" for i in range(n)],
            "hours_per_month": [hours] * n,
            "skills": [skills] * n,
            "max_travel_m": [travel] * n,
            "annual_cost": list(costs),
        },
        geometry=[Point(at[0], at[1] + 10 * i) for i in range(n)],
        crs=3857,
    )


def test_the_volunteer_pool_binds_when_every_volunteer_works_and_money_is_left():
    a = allocate(*_doctest_layers(), volunteers=volunteers([100.0]), budget=10_000)
    f = a.figures()
    assert f["volunteers_selected"] == 1 and f["unmet_hours"] > 1
    left = 10_000 - a.cost["total"]
    [text] = explain_allocation(a)
    assert text.startswith(f"All 1 volunteers are used and {left:,.0f} of the budget is unspent")
    assert f"about {f['unmet_hours']:,.0f} more volunteer hours a month" in text
    # The unmet hours at 5 h per volunteer, rounded up.
    assert f"about {-(-f['unmet_hours'] // 5):,.0f} more volunteers" in text
    [zh] = explain_allocation(a, lang="zh")
    assert "志愿者队伍规模" in zh and f"{f['unmet_hours']:,.0f}" in zh


def test_the_budget_binds_when_what_is_left_buys_no_further_volunteer():
    layers = _doctest_layers()
    base = allocate(*layers, volunteers=volunteers([100.0, 150.0]), budget=None).cost["total"]
    assert base == pytest.approx(2100 + 250)  # unlimited: both volunteers work
    a = allocate(*layers, volunteers=volunteers([100.0, 150.0]), budget=2100 + 150 + 20)
    assert a.figures()["volunteers_selected"] == 1
    [text] = explain_allocation(a)
    assert text.startswith("The budget limits volunteer coverage")


def test_the_rules_bind_when_volunteers_are_free_but_too_far():
    far = volunteers([100.0], travel=10.0, at=(5000.0, 5000.0))
    a = allocate(*_doctest_layers(), volunteers=far, budget=10_000)
    [text] = explain_allocation(a)
    assert text.startswith("1 volunteers are not used although the budget allows")


def test_all_met_says_so():
    grids, sites, workers = _doctest_layers()
    vols = volunteers([1.0], hours=10.0, skills="elderly_care;legal")
    a = allocate(grids.assign(elderly_alone=0), sites, workers, vols, budget=None)
    [text] = explain_allocation(a)
    assert text.startswith("All need is met")


@pytest.fixture(scope="module")
def hostile_run():
    n = 6
    geoms = [
        shapely.box(i * 50, j * 50, i * 50 + 50, j * 50 + 50) for j in range(n) for i in range(n)
    ]
    units = gpd.GeoDataFrame(
        {
            "uid": [f"u{k:03d}" for k in range(n * n)],
            "pop": [30 + (k * 7) % 11 for k in range(n * n)],
            "hh": [10 + (k * 3) % 5 for k in range(n * n)],
            "elderly_alone": [k % 3 for k in range(n * n)],
            "community": ["C1" if k % n < 3 else "C2" for k in range(n * n)],
            "community_name": [HOSTILE if k % n < 3 else "外滩社区" for k in range(n * n)],
        },
        geometry=geoms,
        crs="EPSG:32650",
    )
    t = Territory(units, population="pop", households="hh", id="uid", demand=["elderly_alone"])
    plan = divide(t, n_grids=4, within="community", tolerance=0.2, seed=0)
    cents = plan.grids.geometry.representative_point()
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["S1"],
            "open_cost": [0],
            "annual_cost": [100],
            "capacity": [1000],
            "radius_m": [1000],
            "existing": [True],
            "name": [HOSTILE],
        },
        geometry=[cents.iloc[0]],
        crs=units.crs,
    )
    workers = gpd.GeoDataFrame(
        {
            "worker_id": ["W1", "W2", "W3", "W4"],
            "annual_cost": [10] * 4,
            "max_travel_m": [5000] * 4,
            "name": [HOSTILE] * 4,
        },
        geometry=list(cents),
        crs=units.crs,
    )
    vols = volunteers([5.0]).set_crs(units.crs, allow_override=True)
    a = allocate(plan, sites, workers, vols, budget=1_000)
    return t, plan, a


def test_report_sections_in_order_and_neighbours_out_of_the_grid_table(hostile_run):
    t, plan, a = hostile_run
    md = markdown_report(t, plan, a)
    heads = re.findall(r"^#+ (.*)$", md, flags=re.M)
    assert heads[:3] == ["gridplan report", "What limits coverage", "Territory"]
    for head in ("By community", "Grid by grid", "Neighbouring grids", "Cost", "Coverage by grid"):
        assert head in heads
    grid_table = md.split("### Grid by grid")[1].split("###")[0]
    assert "Neighbouring" not in grid_table
    cost = md.split("### Cost")[1].split("###")[0]
    total = f"{round(a.cost['total']):,}"
    assert f"| Total | {total}" in cost and "| Unspent |" in cost
    zh = markdown_report(t, plan, a, lang="zh")
    assert zh.startswith("# 网格化规划报告") and "## 覆盖受何限制" in zh and "### 费用" in zh


def test_names_are_escaped_in_markdown_and_html(hostile_run):
    t, plan, a = hostile_run
    md = markdown_report(t, plan, a)
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert md_escape(HOSTILE) in md  # the community name, escaped, in the per-community table
    assert "\\|\\*x\\*\\_\\[y\\](z)" in md
    # Every table row still has as many cells as its header: no name broke a table.
    for block in re.findall(r"((?:^\|.*\|$\n?)+)", md, flags=re.M):
        rows = [re.split(r"(?<!\\)\|", r)[1:-1] for r in block.strip().splitlines()]
        assert len({len(r) for r in rows}) == 1
    page = html_report(t, plan, a, lang="zh")
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert "@page" in page and "break-inside: avoid" in page


def test_report_is_deterministic(hostile_run):
    t, plan, a = hostile_run
    assert markdown_report(t, plan, a, "zh") == markdown_report(t, plan, a, "zh")
    assert html_report(t, plan, a) == html_report(t, plan, a)


def test_worker_and_site_shortfalls_name_their_limit():
    from gridplan import Rules

    grids, sites, workers = _doctest_layers()
    far = sites.assign(radius_m=10.0).set_geometry([Point(5000, 5000)], crs=3857)
    one = workers.iloc[:1]
    rules = Rules(require_lead_worker=False)
    vols = volunteers([1.0], hours=50.0, skills="elderly_care;legal")
    a = allocate(grids, far, one, vols, budget=None, rules=rules)
    f = a.figures()
    assert f["grids_with_lead"] == 1 and f["households_served"] == 0
    texts = explain_allocation(a)
    assert texts[0] == (
        "1 grids have no lead worker and all 1 grid workers are hired: about 1 more grid "
        "workers are needed."
    )
    assert texts[1].startswith("500 households are not served by a service point, and the")
    zh = explain_allocation(a, lang="zh")
    assert zh[0].startswith("1 个网格没有责任网格员") and "500 户" in zh[1]
