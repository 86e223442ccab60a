"""Maps on real data: Providence's 3,014 census blocks and its 15 wards as grids.

Uses ../shared (skipped when absent). The wards are a real balanced partition,
so they stand in for a plan: the saved page must carry every ward and every
block, stay offline, and, in a browser, draw one shape per ward.
"""

from __future__ import annotations

import geopandas as gpd
import pytest

from conftest_browser import chromium_path, embedded_geojson
from gridplan.maps import explore_grids, save_html
from gridplan.plots import plan_report

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def wards(shared_data) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    path = shared_data / "providence_blocks" / "Providence_blocks.shp"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    blocks = gpd.read_file(path).to_crs(32619)  # UTM 19N: metres
    blocks["grid"] = "W" + blocks["WARD"].astype(int).astype(str).str.zfill(2)
    grids = blocks[["grid", "TOTPOP", "geometry"]].dissolve(by="grid", aggfunc="sum")
    grids = grids.rename(columns={"TOTPOP": "population"})
    grids["target"] = grids["population"].mean()
    grids["deviation"] = grids["population"] / grids["target"] - 1
    grids["area_m2"] = grids.area
    grids.index.name = "grid"
    return grids, blocks


def test_real_plan_saves_every_ward_and_block(wards, tmp_path):
    grids, blocks = wards
    m = explore_grids(grids, units=blocks, unit_column="grid")
    path = save_html(m, tmp_path / "providence.html")
    html = path.read_text(encoding="utf-8")
    layers = embedded_geojson(html)
    assert len(layers["gp-grid"]["features"]) == 15
    assert len(layers["gp-unit"]["features"]) == len(blocks) == 3014
    assert "<script src=" not in html and 'rel="stylesheet"' not in html
    assert path.stat().st_size < 4_000_000  # about 2.6 MB with every block outlined
    # Ward deviations of the official partition: -4.2 % … +4.9 %.
    report = plan_report(grids)
    assert report["Deviation (%)"].min() == pytest.approx(-4.2, abs=0.1)
    assert report["Deviation (%)"].max() == pytest.approx(4.9, abs=0.1)


def test_real_plan_in_browser(wards, tmp_path):
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    exe = chromium_path()
    if exe is None:
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    grids, blocks = wards
    m = explore_grids(grids, units=blocks, unit_column="grid")
    path = save_html(m, tmp_path / "providence.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--disable-quic"]
        )
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.goto(path.as_uri())
            page.wait_for_function(f"window.{m.get_name()} !== undefined")
            assert page.locator("svg path.gp-grid").count() == 15
            # Units are hidden at first; switching the layer on draws all 3,014.
            page.get_by_label("Units").check()
            page.wait_for_function("document.querySelectorAll('svg path.gp-unit').length > 0")
            assert page.locator("svg path.gp-unit").count() == len(blocks)
        finally:
            browser.close()
