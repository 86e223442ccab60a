"""Static plots (Agg backend) and report tables."""

from __future__ import annotations

import sys
import warnings
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import TwoSlopeNorm

import gridplan.plots._mpl as mpl_support
from conftest_browser import XSS, make_allocation, make_grids, make_parents
from gridplan.errors import ColumnError, ConfigError, GridplanError, InputError
from gridplan.plots import (
    allocation_report,
    budget_curve,
    plan_report,
    plot_allocation,
    plot_plan,
)
from gridplan.plots.budget import pareto_mask


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def grids():
    return make_grids()


@pytest.fixture(scope="module")
def alloc(grids):
    return make_allocation(grids)


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


# --- plot_plan ------------------------------------------------------------------------


def test_plot_plan_deviation_is_diverging_around_zero(grids):
    ax = plot_plan(grids)
    assert ax.figure is not None
    coll = ax.collections[0]
    assert isinstance(coll.norm, TwoSlopeNorm) and coll.norm.vcenter == 0
    assert coll.cmap.name == "RdBu_r"
    assert len(coll.get_paths()) == len(grids)
    assert sorted(_texts(ax)) == sorted(map(str, grids.index))
    ax.figure.canvas.draw()


def test_plot_plan_other_columns(grids):
    ax = plot_plan(grids, column="households", labels=False)
    assert ax.collections[0].cmap.name == "YlGnBu" and _texts(ax) == []
    ax = plot_plan(grids, column="parent", parents=make_parents(grids))
    legend = ax.get_legend()
    assert {t.get_text() for t in legend.get_texts()} == set(grids["parent"])
    ax = plot_plan(grids, column=None, title="计划")
    assert ax.get_title() == "计划"
    _fig, own = plt.subplots()
    assert plot_plan(grids, ax=own) is own


def test_plot_plan_errors(grids):
    with pytest.raises(ColumnError, match="nope"):
        plot_plan(grids, column="nope")
    with pytest.raises(InputError, match="empty"):
        plot_plan(grids.iloc[:0])
    with pytest.raises(InputError, match="GeoDataFrame"):
        plot_plan(pd.DataFrame({"deviation": [0.0]}))


def test_chinese_text_uses_a_cjk_font_when_installed(grids, monkeypatch):
    monkeypatch.setattr(mpl_support, "cjk_font", lambda: "DejaVu Sans Mono")
    ax = plot_plan(grids, column="parent")
    chinese = [t for t in ax.figure.findobj(matplotlib.text.Text) if "社区" in t.get_text()]
    assert chinese and all(t.get_fontfamily()[0] == "DejaVu Sans Mono" for t in chinese)


def test_missing_cjk_font_warns_once_and_silences_glyph_warnings(grids, monkeypatch):
    monkeypatch.setattr(mpl_support, "cjk_font", lambda: None)
    monkeypatch.setattr(mpl_support, "_warned", False)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for _ in range(3):
            ax = plot_plan(grids, column="parent", title="外滩社区 网格")
            ax.figure.canvas.draw()  # glyph warnings would come from here
    messages = [str(w.message) for w in rec]
    assert sum("Chinese" in m for m in messages) == 1
    assert not any("missing from font" in m for m in messages)


def test_missing_matplotlib_is_a_clear_error(grids, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(GridplanError, match="pip install"):
        plot_plan(grids)


# --- plot_allocation ------------------------------------------------------------------


def test_plot_allocation_draws_every_part(alloc):
    ax = plot_allocation(alloc)
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    assert labels == {
        "unmet need",
        "worker → grid",
        "volunteer → grid",
        "service radius",
        "candidate, not opened",
        "service point, existing",
        "service point, new",
        "grid worker (home)",
        "volunteer (home)",
    }
    links = [c for c in ax.collections if isinstance(c, matplotlib.collections.LineCollection)]
    n_segments = sum(len(c.get_segments()) for c in links)
    radii = int(alloc.sites["open"].sum())
    assert n_segments >= len(alloc.worker_assignment) + len(alloc.volunteer_assignment) + radii
    assert "optimal" in ax.get_title() and "350,000 of 1,000,000" in ax.get_title()
    ax.figure.canvas.draw()


def test_plot_allocation_duck_typing_and_geographic_crs(grids):
    ax = plot_allocation(SimpleNamespace(grids=grids.to_crs(4326)))
    assert ax.get_legend() is None
    with pytest.raises(InputError, match="grids"):
        plot_allocation(SimpleNamespace())


# --- budget_curve ---------------------------------------------------------------------


def test_pareto_mask():
    b = np.array([1.0, 2.0, 3.0, 4.0])
    assert pareto_mask(b, np.array([1.0, 3.0, 2.0, 3.0])).tolist() == [True, True, False, False]
    assert pareto_mask(b, np.array([4.0, 3.0, 5.0, 1.0]), maximize=False).tolist() == [
        True,
        True,
        False,
        True,
    ]


def test_budget_curve():
    sweep = pd.DataFrame(
        {
            "budget": [3e5, 1e5, 2e5, 4e5, 5e5],
            "objective": [170, 100, 180, 240, np.nan],
            "coverage": [0.5, 0.3, 0.55, 0.8, np.nan],
            "status": ["optimal"] * 4 + ["infeasible"],
        }
    )
    ax = budget_curve(sweep)
    efficient, dominated = ax.lines[1], ax.lines[2]
    assert list(efficient.get_xdata()) == [1e5, 2e5, 4e5]
    assert list(dominated.get_xdata()) == [3e5]
    twin = [a for a in ax.figure.axes if a is not ax and a.get_ylabel() == "Coverage"]
    assert twin and isinstance(
        twin[0].yaxis.get_major_formatter(), matplotlib.ticker.PercentFormatter
    )
    ax.figure.canvas.draw()
    with pytest.raises(ColumnError, match="objective"):
        budget_curve(sweep.drop(columns="objective"))
    with pytest.raises(InputError, match="no row"):
        budget_curve(sweep.assign(objective=np.nan))
    with pytest.raises(ColumnError, match="nope"):
        budget_curve(sweep, secondary=["nope"])


# --- reports --------------------------------------------------------------------------


def test_plan_report(grids, tmp_path):
    table = plan_report(grids)
    assert table.index.name == "Grid" and list(table.index) == list(grids.index)
    assert list(table.columns) == [
        "Community",
        "Units",
        "Households",
        "Population",
        "Elderly living alone",
        "Target",
        "Deviation (%)",
        "Area (ha)",
        "Compactness (Polsby–Popper)",
        "Neighbouring grids",
        "Grid worker",
    ]
    first = grids.index[0]
    assert table.loc[first, "Deviation (%)"] == round(grids.loc[first, "deviation"] * 100, 1)
    assert table.loc[first, "Area (ha)"] == 4.0
    assert table.loc[grids.index[1], "Grid worker"] == XSS  # data, not HTML: left as is
    totals = plan_report(grids, totals=True)
    assert totals.loc["Total", "Households"] == grids["households"].sum()
    assert totals.loc["Total", "Deviation (%)"] == ""
    path = tmp_path / "plan.csv"
    totals.to_csv(path)
    assert pd.read_csv(path, index_col=0).loc["Total", "Households"] == grids["households"].sum()


def test_allocation_reports(alloc):
    g = allocation_report(alloc)
    assert g.loc[alloc.grids.index[0], "Service point"] == "外滩服务站 (S1)"
    assert g.loc[alloc.grids.index[0], "Lead worker"] == "王芳 (W1)"
    assert g["Coverage (%)"].tolist()[-1] == 0.0
    assert g["Volunteers"].sum() == 2
    sites = allocation_report(alloc, "sites")
    assert sites["Status"].tolist() == ["open (existing)", "open (new)", "not opened", "not opened"]
    assert sites.loc["S1", "Utilisation (%)"] == round(1400 / 1500 * 100, 1)
    workers = allocation_report(alloc, "workers")
    assert workers.loc["W1", "Number of grids"] == 6 and workers.loc["W3", "Hired"] == "no"
    vols = allocation_report(alloc, "volunteers")
    assert vols.loc["V1", "Hours assigned (per month)"] == 8.0
    summary = allocation_report(alloc, "summary")["Value"]
    assert summary["Total cost"] == 350_000.0 and summary["Service points open"] == "2 of 4"
    assert summary["Households served (%)"] == round(
        alloc.coverage["households_served"].sum() / alloc.coverage["households"].sum() * 100, 1
    )
    with pytest.raises(ConfigError, match="kind"):
        allocation_report(alloc, "nope")
    with pytest.raises(InputError, match="no sites"):
        allocation_report(SimpleNamespace(grids=alloc.grids), "sites")


def test_budget_curve_reads_budget_sweep_columns():
    # Column names of gridplan.allocation.budget_sweep.
    sweep = pd.DataFrame(
        {
            "budget": [1e6, 2e6, 3e6],
            "status": ["optimal"] * 3,
            "objective": [10.0, 14.0, 15.0],
            "total_cost": [0.9e6, 1.9e6, 2.5e6],
            "households_served_share": [0.4, 0.8, 1.0],
            "hours_met_share": [0.2, 0.3, 0.35],
        }
    )
    ax = budget_curve(sweep)
    twin = next(a for a in ax.figure.axes if a is not ax)
    assert [ln.get_label() for ln in twin.lines] == [
        "Households served (share)",
        "Volunteer hours met (share)",
    ]


def test_numeric_colour_bar_spans_the_data():
    import geopandas as gpd
    import shapely

    from gridplan.plots import plot_plan

    grids = gpd.GeoDataFrame(
        {"households": [120.0, 300.0, 610.0], "deviation": [-0.1, 0.0, 0.1]},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)],
        index=pd.Index(["G01", "G02", "G03"], name="grid"),
        crs="EPSG:32650",
    )
    ax = plot_plan(grids, "households", labels=False)
    bar = ax.figure.axes[-1]
    assert bar is not ax
    low, high = sorted(bar.get_ylim())
    assert low == pytest.approx(120.0) and high == pytest.approx(610.0)
    plt.close(ax.figure)


def test_font_guard_keeps_settings_made_while_plotting():
    # Jupyter turns interactive mode on at the first pyplot use; if that happens inside
    # our guard, restoring every rcParam (rc_context) would turn it off again and no
    # later figure would show (matplotlib issue 24351).
    import matplotlib as mpl

    was = mpl.rcParams["interactive"]
    before_fonts = list(mpl.rcParams["font.sans-serif"])
    try:
        with mpl_support.font_guard():
            mpl.rcParams["interactive"] = not was
        assert mpl.rcParams["interactive"] == (not was)
        assert list(mpl.rcParams["font.sans-serif"]) == before_fonts
    finally:
        mpl.rcParams["interactive"] = was
