"""Maps: escaping, offline HTML, UTF-8, embedded features, GCJ-02, tile options."""

from __future__ import annotations

import json
import re
import warnings
from types import SimpleNamespace

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from conftest_browser import (
    XSS,
    XSS_SCRIPT,
    XSS_TEMPLATE,
    embedded_geojson,
    make_allocation,
    make_grids,
    make_parents,
    make_streets,
    make_units,
)
from gridplan.errors import (
    ColumnError,
    ConfigError,
    CRSError,
    GeometryError,
    GridplanError,
    InputError,
)
from gridplan.maps import (
    explore_allocation,
    explore_grids,
    gcj02_to_wgs84,
    inline_assets,
    save_html,
    wgs84_to_gcj02,
)
from gridplan.maps.coords import to_display

EXTERNAL_REF = re.compile(
    r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I
)


@pytest.fixture(scope="module")
def grids() -> gpd.GeoDataFrame:
    return make_grids()


@pytest.fixture(scope="module")
def grid_html(grids, tmp_path_factory) -> str:
    m = explore_grids(
        grids, units=make_units(grids), parents=make_parents(grids), streets=make_streets()
    )
    path = save_html(m, tmp_path_factory.mktemp("maps") / "grids.html")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def alloc_html(grids, tmp_path_factory) -> str:
    path = save_html(
        explore_allocation(make_allocation(grids)),
        tmp_path_factory.mktemp("maps") / "allocation.html",
    )
    return path.read_text(encoding="utf-8")


def _all_tips(html: str) -> list[str]:
    return [
        f["properties"][key]
        for layer in embedded_geojson(html).values()
        for f in layer["features"]
        for key in ("_tip", "_pop")
        if key in f["properties"]
    ]


# --- escaping -------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["grid_html", "alloc_html"])
def test_hostile_names_never_reach_the_page_as_markup(fixture, request):
    html = request.getfixturevalue(fixture)
    for bad in ("<img src=x", "onerror=window.__xss=1>", "<script>window.__xss"):
        assert bad not in html
    # The JSON that carries data escapes "<" too, so decode it and look again.
    tips = "\n".join(_all_tips(html))
    assert "&lt;img src=x onerror=window.__xss=1&gt;" in tips
    assert "<img" not in tips and "<script" not in tips
    # Backticks, "$" and "\" are entity-encoded: safe inside JS template literals too.
    assert "`" not in tips and "${" not in tips
    assert "&#96;&#36;{window.__xss=2}&#96;" in tips or fixture == "alloc_html"


def test_grid_tooltips_escape_codes_and_workers(grid_html):
    tips = _all_tips(grid_html)
    assert any("Grid &lt;b&gt;G-last&lt;/b&gt;" in t for t in tips)
    assert any("&lt;/script&gt;&lt;script&gt;window.__xss=3&lt;/script&gt;" in t for t in tips)


def test_labels_layer_names_and_legend_are_escaped(grids, tmp_path):
    g = grids.copy()
    g["team"] = [XSS, "甲", XSS_TEMPLATE] * (len(g) // 3)
    m = explore_grids(g, column="team", name=XSS)
    html = save_html(m, tmp_path / "m.html").read_text(encoding="utf-8")
    assert "<img" not in html and XSS_TEMPLATE not in html
    # Legend and layer names travel as JSON strings that the browser parses as HTML.
    legends = [json.loads(s) for s in re.findall(r"div\.innerHTML = (\".*?[^\\]\");", html)]
    names = [json.loads(s) for s in re.findall(r'^\s*("[^\n]*") : geo_json_\w+,$', html, re.M)]
    assert names == ["&lt;img src=x onerror=window.__xss=1&gt;"]
    legend = next(t for t in legends if "gp-legend-title" in t)
    assert "&lt;img src=x onerror=window.__xss=1&gt;" in legend
    assert "&#96;&#36;{window.__xss=2}&#96;" in legend
    assert "<img" not in legend and "`" not in legend
    # Grid-code labels are set with textContent, never innerHTML.
    assert "el.textContent = r[2]" in html


def test_javascript_template_literals_cannot_be_broken(grids):
    # folium's own Tooltip would put this text into a `...` literal; ours never does.
    html = explore_grids(grids.assign(worker=XSS_TEMPLATE)).get_root().render()
    assert XSS_TEMPLATE not in html
    assert XSS_SCRIPT not in html


# --- offline, UTF-8 -------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["grid_html", "alloc_html"])
def test_saved_html_has_no_external_script_or_stylesheet(fixture, request):
    html = request.getfixturevalue(fixture)
    assert not EXTERNAL_REF.search(html)
    assert not re.search(r"<script[^>]*\bsrc=", html, re.I)
    assert not re.search(r"<link[^>]*stylesheet", html, re.I)
    assert "L.version" in html or "leaflet" in html.lower()
    assert re.search(r"<meta[^>]+charset=UTF-8", html, re.I)


def test_plain_folium_map_with_cdn_assets_is_made_offline(tmp_path):
    m = folium.Map(tiles=None)
    folium.Marker([31.2, 121.5], icon=folium.Icon(color="red")).add_to(m)
    html = save_html(m, tmp_path / "folium.html").read_text(encoding="utf-8")
    assert not EXTERNAL_REF.search(html)
    assert "jQuery" in html and "L.AwesomeMarkers" in html  # inlined, not dropped
    # url(...) in inlined CSS (icons, web fonts) would be fetched: removed.
    for style in re.findall(r"<style>(.*?)</style>", html, re.S):
        assert not re.search(r"url\(\s*(?!['\"]?data:)", style)


def test_reference_without_bundled_copy_is_removed_with_warning():
    page = (
        '<head><script src="https://example.invalid/x.js"></script>'
        '<link rel="stylesheet" href="https://example.invalid/x.css"/>'
        '<script src="https://a.test/lib@1.0.1/a.js"></script></head>'
    )
    with pytest.warns(UserWarning) as rec:
        out = inline_assets(page, {"https://a.test/lib@1.0.0/a.js": "var a = '</script>';"})
    assert "example.invalid" not in out
    assert "<script>var a = '<\\/script>';</script>" in out  # other version, closed safely
    assert len(rec) == 3


def test_chinese_text_survives_in_utf8(grid_html, alloc_html):
    tips = "\n".join(_all_tips(grid_html) + _all_tips(alloc_html))
    for word in ("外滩社区", "网格员1", "王芳", "外滩服务站", "赵敏"):
        assert word in tips
    assert "中山东一路" in "\n".join(_all_tips(grid_html))


def test_save_html_is_atomic_and_overwrites(grids, tmp_path):
    target = tmp_path / "sub" / "map.html"
    save_html(explore_grids(grids, labels=False), target)
    first = target.read_bytes()
    save_html(explore_grids(grids.iloc[:2], labels=False), target)
    assert target.read_bytes() != first
    assert [p.name for p in target.parent.iterdir()] == ["map.html"]  # no temp left


def test_save_html_rejects_non_maps(tmp_path):
    with pytest.raises(GridplanError, match="folium map"):
        save_html(object(), tmp_path / "x.html")


# --- embedded features ----------------------------------------------------------------


def test_embedded_feature_counts_match_inputs(grids, grid_html):
    layers = embedded_geojson(grid_html)
    assert len(layers["gp-grid"]["features"]) == len(grids)
    assert len(layers["gp-unit"]["features"]) == 4 * len(grids)
    assert len(layers["gp-parent"]["features"]) == 2
    assert len(layers["gp-street"]["features"]) == 3
    assert grid_html.count('"Grid codes"') == 1


def test_allocation_layers(grids, alloc_html):
    alloc = make_allocation(grids)
    layers = embedded_geojson(alloc_html)
    assert len(layers["gp-grid"]["features"]) == len(grids)
    assert len(layers["gp-site-open"]["features"]) == int(alloc.sites["open"].sum())
    assert len(layers["gp-site-closed"]["features"]) == int((~alloc.sites["open"]).sum())
    assert len(layers["gp-radius"]["features"]) == int(alloc.sites["open"].sum())
    assert len(layers["gp-unmet"]["features"]) == int((alloc.coverage["unmet_hours"] > 0).sum())
    # Service radii are metres on the ground, per site.
    radius_js = re.findall(r'"radius": ([0-9.]+)', alloc_html)
    assert "300.0" in radius_js and "500.0" in radius_js


def test_allocation_links_go_from_home_to_grid(grids):
    alloc = make_allocation(grids)
    links = embedded_geojson(explore_allocation(alloc).get_root().render())["gp-link"]
    assert len(links["features"]) == len(alloc.worker_assignment) + len(alloc.volunteer_assignment)
    home = to_display(alloc.workers.loc[["W1"]]).geometry.iloc[0]
    rep = to_display(
        gpd.GeoDataFrame(geometry=grids.geometry.representative_point(), crs=grids.crs)
    ).geometry
    w1 = [f for f in links["features"] if "王芳 (W1)" in f["properties"]["_tip"]]
    assert len(w1) == (alloc.worker_assignment["worker_id"] == "W1").sum()
    for f in w1:
        start, end = np.array(f["geometry"]["coordinates"])
        grid = f["properties"]["_tip"].split("→ ")[1].split("<")[0]
        assert np.allclose(start, [home.x, home.y], atol=1e-6)
        assert np.allclose(end, [rep[grid].x, rep[grid].y], atol=1e-6)


def test_allocation_duck_typing_needs_only_grids(grids):
    m = explore_allocation(SimpleNamespace(grids=grids))
    assert isinstance(m, folium.Map)
    with pytest.raises(InputError, match="grids"):
        explore_allocation(SimpleNamespace(sites=None))


def test_allocation_warns_on_unknown_people(grids):
    alloc = make_allocation(grids)
    alloc.worker_assignment = pd.concat(
        [alloc.worker_assignment, pd.DataFrame({"worker_id": ["W9"], "grid": [grids.index[0]]})]
    )
    with pytest.warns(UserWarning, match="skipped 1 link"):
        explore_allocation(alloc)


# --- input checks ---------------------------------------------------------------------


def test_input_errors(grids):
    with pytest.raises(ColumnError, match="nope"):
        explore_grids(grids, column="nope")
    with pytest.raises(CRSError):
        explore_grids(
            gpd.GeoDataFrame(grids.drop(columns="geometry"), geometry=list(grids.geometry))
        )
    with pytest.raises(InputError, match="empty"):
        explore_grids(grids.iloc[:0])
    with pytest.raises(InputError, match="GeoDataFrame"):
        explore_grids(pd.DataFrame(grids.drop(columns="geometry")))
    bad = grids.copy()
    bad.loc[bad.index[0], "geometry"] = None
    with pytest.raises(GeometryError) as err:
        explore_grids(bad)
    assert err.value.rows == [grids.index[0]]


def test_column_none_and_sequential_and_categorical(grids):
    for column in (None, "households", "parent"):
        html = explore_grids(grids, column=column).get_root().render()
        assert len(embedded_geojson(html)["gp-grid"]["features"]) == len(grids)
    fills = {
        f["properties"]["_s"]
        for f in embedded_geojson(explore_grids(grids).get_root().render())["gp-grid"]["features"]
    }
    assert len(fills) == len(grids)


# --- GCJ-02 ---------------------------------------------------------------------------

# (wgs lon, wgs lat, gcj lon, gcj lat) published with the coordtransform and
# eviltransform projects.
REFERENCE = [
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]


@pytest.mark.parametrize(("lon", "lat", "glon", "glat"), REFERENCE)
def test_gcj02_matches_published_values(lon, lat, glon, glat):
    x, y = wgs84_to_gcj02(lon, lat)
    assert float(x) == pytest.approx(glon, abs=1e-9)
    assert float(y) == pytest.approx(glat, abs=1e-9)
    bx, by = gcj02_to_wgs84(x, y)
    assert float(bx) == pytest.approx(lon, abs=1e-8)
    assert float(by) == pytest.approx(lat, abs=1e-8)


def test_gcj02_is_vectorised_and_leaves_other_countries_alone():
    lon = np.array([121.49, -71.41, 2.35])
    lat = np.array([31.24, 41.82, 48.86])
    x, y = wgs84_to_gcj02(lon, lat)
    assert x[0] != lon[0] and y[0] != lat[0]
    assert np.array_equal(x[1:], lon[1:]) and np.array_equal(y[1:], lat[1:])


def test_amap_tiles_shift_overlays_into_gcj02(grids):
    plain = embedded_geojson(explore_grids(grids).get_root().render())["gp-grid"]
    amap = explore_grids(grids, tiles="gaode")
    html = amap.get_root().render()
    shifted = embedded_geojson(html)["gp-grid"]
    p = np.array(plain["features"][0]["geometry"]["coordinates"][0])
    s = np.array(shifted["features"][0]["geometry"]["coordinates"][0])
    ex, ey = wgs84_to_gcj02(p[:, 0], p[:, 1])
    assert np.allclose(s[:, 0], ex, atol=2e-6) and np.allclose(s[:, 1], ey, atol=2e-6)
    # Near the Bund the offset is several hundred metres.
    assert 0.002 < abs(s[0, 0] - p[0, 0]) < 0.01
    assert "autonavi.com" in html


# --- tiles ----------------------------------------------------------------------------


def test_default_has_no_tiles(grids):
    html = explore_grids(grids).get_root().render()
    assert "L.tileLayer" not in html


def test_osm_tiles(grids):
    html = explore_grids(grids, tiles="osm").get_root().render()
    assert "tile.openstreetmap.org" in html


def test_unknown_tiles_and_missing_key_are_refused(grids):
    with pytest.raises(ConfigError, match="unknown tiles provider"):
        explore_grids(grids, tiles="bing")
    with pytest.raises(ConfigError, match="key"):
        explore_grids(grids, tiles="tianditu")
    with pytest.raises(ConfigError, match="only used with"):
        explore_grids(grids, tiles="osm", tiles_key="abc")
    with pytest.raises(ConfigError):
        explore_allocation(make_allocation(grids), tiles=42)


def test_tianditu_with_key_is_wgs84(grids):
    html = explore_grids(grids, tiles="tianditu", tiles_key="k123").get_root().render()
    assert html.count("tk=k123") == 2  # map and Chinese labels
    plain = embedded_geojson(explore_grids(grids).get_root().render())["gp-grid"]
    tdt = embedded_geojson(html)["gp-grid"]
    assert plain["features"][0]["geometry"] == tdt["features"][0]["geometry"]


def test_no_shift_outside_china():
    g = gpd.GeoDataFrame(
        {"households": [1]}, geometry=[box(-71.41, 41.82, -71.40, 41.83)], crs=4326
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = to_display(g, gcj02=True).geometry.iloc[0]
    assert a.equals(g.geometry.iloc[0])


def test_coverage_uses_a_fixed_zero_to_hundred_percent_scale(grids):
    full = make_allocation(grids)
    full.grids["coverage"] = 1.0
    html = explore_allocation(full).get_root().render()
    legend = next(
        json.loads(s)
        for s in re.findall(r"div\.innerHTML = (\".*?[^\\]\");", html)
        if "gp-legend-title" in s
    )
    assert ">0.0%<" in legend and ">100.0%<" in legend
    fills = {s for s in re.findall(r'"fillColor": "(#[0-9a-f]{6})"', html)}
    from gridplan.maps.colors import _SEQUENTIAL, _hex

    assert _hex(_SEQUENTIAL[-1]) in fills and _hex(_SEQUENTIAL[0]) not in fills


def test_allocation_map_names_the_communities(grids):
    alloc = make_allocation(grids)
    parents = gpd.GeoDataFrame(
        {"community_name": ["<b>东湖</b>社区"]}, geometry=[grids.union_all()], crs=grids.crs
    )
    html = explore_allocation(alloc, parents=parents).get_root().render()
    assert len(embedded_geojson(html)["gp-parent"]["features"]) == 1
    from jinja2.utils import htmlsafe_json_dumps

    # the name reaches the page as a JSON string set as text, never as markup
    assert str(htmlsafe_json_dumps("<b>东湖</b>社区")) in html and "<b>东湖</b>" not in html
    assert "gp-label-parent" in html
    plain = explore_allocation(alloc).get_root().render()
    assert "gp-parent" not in embedded_geojson(plain)
