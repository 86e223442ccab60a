"""The saved map in a real browser: headless Debian Chromium driven by Playwright.

Checks what a person would see: one SVG shape per grid, a tooltip with the
right grid code on hover, hostile names shown as text (their ``onerror`` never
runs), and no request leaving the page. Skips, with the reason, when the
``playwright`` package or ``/usr/bin/chromium`` is missing
(``scripts/install_browser.sh`` installs both; it never downloads a browser).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import Point

from conftest_browser import (
    CRS,
    XSS,
    XSS_SCRIPT,
    XSS_TEMPLATE,
    chromium_path,
    make_allocation,
    make_grids,
    make_parents,
    make_streets,
    make_units,
)
from gridplan.maps import explore_allocation, explore_grids, save_html
from gridplan.maps.coords import to_display

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (run scripts/install_browser.sh)")
    exe = chromium_path()
    if exe is None:
        pytest.skip("Debian's chromium is not installed (run scripts/install_browser.sh as root)")
    with sync_playwright() as p:
        try:
            context = p.chromium.launch_persistent_context(
                str(tmp_path_factory.mktemp("chromium-profile")),
                executable_path=exe,
                headless=True,
                args=FLAGS,
                viewport={"width": 1100, "height": 800},
            )
        except Exception as exc:  # a browser that cannot start here is "unavailable"
            pytest.skip(f"chromium at {exe} did not start: {exc}")
        context.set_default_timeout(15_000)
        yield context
        context.close()


class Page:
    """A loaded map page that records requests and script errors."""

    def __init__(self, context: Any, path: Path, map_name: str) -> None:
        self.page = context.new_page()
        self.map_name = map_name
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())
        self.page.wait_for_function(f"window.{map_name} !== undefined")
        self.page.wait_for_timeout(200)

    def screen_xy(self, lat: float, lon: float) -> tuple[float, float]:
        xy = self.page.evaluate(
            f"""([lat, lon]) => {{
                const m = window.{self.map_name};
                const p = m.latLngToContainerPoint([lat, lon]);
                const r = m.getContainer().getBoundingClientRect();
                return [r.left + p.x, r.top + p.y];
            }}""",
            [lat, lon],
        )
        return float(xy[0]), float(xy[1])

    def _reset(self) -> None:
        # Leave every shape and close popups, so exactly one tooltip can show next.
        self.page.evaluate(f"window.{self.map_name}.closePopup()")
        self.page.mouse.move(2, 400)
        self.page.wait_for_function(
            "document.querySelectorAll('.leaflet-tooltip, .leaflet-popup').length === 0"
        )

    def hover(self, lat: float, lon: float) -> str:
        self._reset()
        x, y = self.screen_xy(lat, lon)
        self.page.mouse.move(x, y)  # one jump from empty space: a single mouseover
        tip = self.page.locator(".leaflet-tooltip")
        tip.first.wait_for(state="visible")
        texts = tip.all_inner_texts()
        assert len(texts) == 1, texts
        return texts[0]

    def click(self, lat: float, lon: float) -> str:
        self._reset()
        x, y = self.screen_xy(lat, lon)
        self.page.mouse.click(x, y)
        popup = self.page.locator(".leaflet-popup-content")
        popup.first.wait_for(state="visible")
        return popup.first.inner_text()

    def xss(self) -> Any:
        return self.page.evaluate("window.__xss")


def _rep_points(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    pts = gpd.GeoDataFrame(geometry=gdf.geometry.representative_point(), crs=gdf.crs)
    return to_display(pts).geometry


@pytest.fixture(scope="module")
def grid_page(browser, tmp_path_factory) -> Iterator[tuple[Page, gpd.GeoDataFrame]]:
    grids = make_grids()
    m = explore_grids(
        grids, units=make_units(grids), parents=make_parents(grids), streets=make_streets()
    )
    path = save_html(m, tmp_path_factory.mktemp("browser") / "grids.html")
    page = Page(browser, path, m.get_name())
    yield page, grids
    page.page.close()


def test_one_svg_shape_per_grid(grid_page):
    page, grids = grid_page
    shapes = page.page.locator("svg path.gp-grid")
    assert shapes.count() == len(grids)
    drawn = page.page.evaluate(
        """() => Array.from(document.querySelectorAll('svg path.gp-grid'))
             .filter(p => { const b = p.getBBox(); return b.width > 1 && b.height > 1; }).length"""
    )
    assert drawn == len(grids)


def test_hover_shows_the_right_grid_code(grid_page):
    page, grids = grid_page
    reps = _rep_points(grids)
    for code in [grids.index[0], grids.index[5], grids.index[-1]]:
        text = page.hover(reps[code].y, reps[code].x)
        assert f"Grid {code}" in text.splitlines()[0]
        assert str(grids.loc[code, "worker"]) in text
    # Chinese text arrives intact.
    assert "网格员1" in page.hover(reps.iloc[0].y, reps.iloc[0].x)


def test_hostile_names_render_as_text_and_never_run(grid_page):
    page, grids = grid_page
    reps = _rep_points(grids)
    for i, bad in [(1, XSS), (2, XSS_TEMPLATE), (3, XSS_SCRIPT)]:
        code = grids.index[i]
        assert bad in page.hover(reps[code].y, reps[code].x)
        assert bad in page.click(reps[code].y, reps[code].x)
    # Hostile community name and grid code as labels: visible text, no element created.
    labels = page.page.eval_on_selector_all(".gp-label", "els => els.map(e => e.textContent)")
    assert "<b>G-last</b>" in labels
    assert any(XSS in t for t in labels)
    assert page.page.locator(".leaflet-container img[src='x']").count() == 0
    assert page.xss() is None
    assert page.errors == []


def test_page_makes_no_request(grid_page):
    page, _ = grid_page
    assert [u for u in page.requests if not u.startswith("file://")] == []


def test_allocation_map_in_browser(browser, tmp_path):
    alloc = make_allocation()
    m = explore_allocation(alloc)
    page = Page(browser, save_html(m, tmp_path / "alloc.html"), m.get_name())
    try:
        assert page.page.locator("svg path.gp-grid").count() == len(alloc.grids)
        assert page.page.locator("svg path.gp-site-open").count() == int(alloc.sites["open"].sum())
        s2 = to_display(alloc.sites.loc[["S2"]]).geometry.iloc[0]
        text = page.hover(s2.y, s2.x)
        assert XSS in text and "open, new" in text
        assert page.xss() is None
        assert page.errors == []
        assert [u for u in page.requests if not u.startswith("file://")] == []
    finally:
        page.page.close()


VISIBLE_LABEL_BOXES = """() => Array.from(document.querySelectorAll('.gp-label'))
    .filter(el => getComputedStyle(el).visibility !== 'hidden')
    .map(el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })
    .filter(b => b[2] > b[0] && b[3] > b[1])"""


def _overlapping(boxes: list[list[float]]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[i + 1 :], i + 1)
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


def test_labels_never_overlap_at_any_zoom(browser, tmp_path):
    # 8 × 10 small grids: at the first zoom their codes and the community names collide.
    grids = make_grids(rows=8, cols=10)
    m = explore_grids(grids, parents=make_parents(grids))
    page = Page(browser, save_html(m, tmp_path / "dense.html"), m.get_name())
    try:
        total = page.page.locator(".gp-label").count()
        assert total == len(grids) + 2
        seen = []
        for step in (0, -1, 2):  # as opened, zoomed out, zoomed in
            if step:
                zoom = page.page.evaluate(f"window.{m.get_name()}.getZoom()")
                page.page.evaluate(
                    f"window.{m.get_name()}.setZoom({zoom + step}, {{animate: false}})"
                )
                page.page.wait_for_timeout(300)
            boxes = page.page.evaluate(VISIBLE_LABEL_BOXES)
            assert _overlapping(boxes) == []
            seen.append(len(boxes))
        assert seen[1] < total  # zoomed out, some labels had to go ...
        assert seen[2] > seen[1]  # ... and zooming in brings them back
        # Community names win over grid codes.
        names = page.page.locator(".gp-label-parent:not(.gp-label-hidden)").count()
        assert names == 2
        page.page.screenshot(path=str(tmp_path / "dense.png"))
        assert page.errors == []
    finally:
        page.page.close()


def test_allocation_map_defaults_and_popup(browser, tmp_path):
    alloc = make_allocation()
    plan_grids = make_grids().assign(age60plus=lambda g: (g["population"] * 0.2).round())
    m = explore_allocation(alloc, plan_grids=plan_grids, streets=make_streets())
    page = Page(browser, save_html(m, tmp_path / "alloc.html"), m.get_name())
    try:
        control = page.page.evaluate(
            """() => Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
                .map(l => [l.innerText.trim(), l.querySelector('input').checked])"""
        )
        state = dict(control)
        for on in ("Coverage by grid", "Service points (open)", "Service areas", "Grid workers",
                   "Worker → grid", "Streets"):  # fmt: skip
            assert state.get(on) is True, (on, control)
        for off in ("Volunteers", "Volunteer → grid", "Candidate points (not opened)"):
            assert state.get(off) is False, (off, control)
        # Dense layers off: nothing of them is drawn until switched on.
        assert page.page.locator("svg path.gp-site-closed").count() == 0
        code = alloc.grids.index[5]  # mid-map, clear of the legend boxes
        # Near a corner: links end at the grid's representative point and would take the click.
        minx, _miny, _maxx, maxy = alloc.grids.geometry[code].bounds
        spot = to_display(gpd.GeoDataFrame(geometry=[Point(minx + 25, maxy - 25)], crs=CRS))
        text = page.click(spot.geometry.iloc[0].y, spot.geometry.iloc[0].x)
        row = plan_grids.loc[code]
        site = alloc.coverage.loc[code, "site_id"]
        inside = alloc.grids.geometry.representative_point()[code]
        site_m = alloc.sites.geometry[site].distance(inside)
        for label, value in [
            ("Households", f"{int(row['households']):,}"),
            ("People", f"{int(row['population']):,}"),
            ("Aged 60+", f"{int(row['age60plus']):,}"),
            ("Elderly living alone", f"{int(row['elderly_alone']):,}"),
            ("Lead worker", "(W1)"),
            ("Service point", f"({site})"),
            ("Worker's distance (m)", "350"),  # the lead's assignment row: 100 + 5 × 50 m
            ("Distance to service point (m)", f"{site_m:,.1f}"),
            ("Deviation", f"{row['deviation']:+.1%}"),
        ]:
            assert label in text and value in text, (label, value, text)
        page.page.screenshot(path=str(tmp_path / "alloc.png"))
        assert page.errors == []
    finally:
        page.page.close()
