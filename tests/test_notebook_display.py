"""gridplan.maps.show: folium maps in Jupyter without any CDN, safely escaped."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from gridplan.errors import ConfigError, GridplanError
from gridplan.maps import explore_grids, save_html, show
from gridplan.maps.notebook import MapFrame

XSS = "<img src=x onerror=alert(1)>"
CHINESE = "城关镇东街社区"
EXTERNAL_REF = re.compile(
    r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I
)


class _Tags(HTMLParser):
    """Records the start tags (with attributes) of the notebook output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _grids() -> gpd.GeoDataFrame:
    """Two grids near the sample district, one with a hostile code, one with a Chinese name."""
    return gpd.GeoDataFrame(
        {
            "households": [300, 310],
            "population": [820, 850],
            "deviation": [-0.02, 0.01],
            "parent": [CHINESE, XSS],
        },
        geometry=[
            box(500_000, 3_800_000, 500_300, 3_800_300),
            box(500_300, 3_800_000, 500_600, 3_800_300),
        ],
        index=pd.Index([XSS, f"{CHINESE}-01"], name="grid"),
        crs="EPSG:4547",
    )


@pytest.fixture(scope="module")
def frame() -> MapFrame:
    return show(explore_grids(_grids()), height=450)


@pytest.fixture(scope="module")
def output(frame: MapFrame) -> str:
    return frame._repr_html_()


def _parse(output: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(output)
    parser.close()
    return parser.tags


def test_output_is_one_sandboxed_iframe(output: str) -> None:
    tags = _parse(output)
    assert [t for t, _ in tags] == ["div", "iframe"]
    attrs = tags[1][1]
    assert attrs["sandbox"] == "allow-scripts"  # map scripts run, but cannot reach the notebook
    assert "height:450px" in (attrs["style"] or "")
    assert attrs["srcdoc"]


def test_srcdoc_is_the_whole_offline_page(frame: MapFrame, output: str) -> None:
    srcdoc = _parse(output)[1][1]["srcdoc"]
    assert srcdoc == frame.document
    assert srcdoc.lstrip().lower().startswith("<!doctype html>")
    assert "L.map(" in srcdoc or "L.map (" in srcdoc


def test_no_cdn_references(frame: MapFrame, output: str) -> None:
    assert not EXTERNAL_REF.search(frame.document)
    assert not EXTERNAL_REF.search(html.unescape(output))
    assert "<script src" not in frame.document.lower()
    assert "cdn.jsdelivr" not in frame.document and "cdnjs" not in frame.document
    # Leaflet itself is in the page, inline.
    assert "Leaflet" in frame.document


def test_same_page_as_save_html(frame: MapFrame, tmp_path) -> None:
    saved = save_html(explore_grids(_grids()), tmp_path / "map.html").read_text(encoding="utf-8")
    assert saved == frame.document


def test_hostile_name_stays_escaped(frame: MapFrame, output: str) -> None:
    # Outside the attribute there is nothing but the div and the iframe: no raw <img.
    assert "<img" not in output.lower()
    assert "onerror=alert" not in re.sub(r'srcdoc="[^"]*"', "", output)
    # Inside the page (srcdoc, once the browser un-escapes the attribute) the name is still
    # text: the map builders escaped it, so it never becomes an <img> element there either.
    page = frame.document
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page or "\\u003cimg" in page
    tags = _Tags()
    tags.feed(page)
    assert "img" not in [t for t, _ in tags.tags]


def test_utf8_chinese_preserved(frame: MapFrame) -> None:
    # The map builders embed data as JSON (non-ASCII as \\uXXXX escapes, which is lossless).
    escaped = CHINESE.encode("ascii", "backslashreplace").decode("ascii")
    assert CHINESE in frame.document or escaped in frame.document
    # Literal Chinese in the page survives the attribute escaping untouched, UTF-8 declared.
    m = folium.Map(tiles=None)
    m.get_root().html.add_child(folium.Element(f"<p class='t'>{CHINESE}网格</p>"))
    f = show(m)
    assert f"<p class='t'>{CHINESE}网格</p>" in f.document
    out = f._repr_html_()
    assert f"&lt;p class=&#x27;t&#x27;&gt;{CHINESE}网格&lt;/p&gt;" in out
    assert _parse(out)[1][1]["srcdoc"] == f.document
    assert re.search(r"""(?i)<meta[^>]+charset\s*=\s*["']?utf-8""", f.document)


def test_plain_folium_map_and_repr() -> None:
    f = show(folium.Map(tiles=None))
    assert f.height == 600
    assert repr(f).startswith("<MapFrame: ") and "600px" in repr(f)
    assert not EXTERNAL_REF.search(f.document)


def test_deterministic_ids() -> None:
    one, two = show(explore_grids(_grids())), show(explore_grids(_grids()))
    assert one.document == two.document


@pytest.mark.parametrize("height", [0, -10, float("nan"), True, "600"])
def test_bad_height(height: object) -> None:
    with pytest.raises(ConfigError, match="height"):
        show(folium.Map(tiles=None), height=height)  # type: ignore[arg-type]


def test_not_a_map() -> None:
    with pytest.raises(GridplanError, match="folium map"):
        show(object())


def test_no_ipython_needed_at_import() -> None:
    import subprocess
    import sys

    code = "import sys; import gridplan.maps.notebook; print('IPython' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_notebooks_exist() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01_quickstart.ipynb",
        "02_divide_your_own_data.ipynb",
        "03_budget_scenarios.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_committed_without_outputs(path: Path) -> None:
    """Outputs stay out of git (maps alone are megabytes); nbmake does not write them back."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: clear the outputs before committing"
            assert cell["execution_count"] is None
        source = "".join(cell["source"])
        # Nothing fetched from the network, nothing written into the repository.
        assert "tiles=" not in source or "tiles=None" in source
        assert "to_file(" not in source or "TMP" in source


def test_iframe_renders_offline_in_chromium(tmp_path: Path) -> None:
    """The notebook output in a real browser: the map draws, nothing is fetched, no alert."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    exe = Path("/usr/bin/chromium")
    if not exe.exists():
        pytest.skip("Debian's chromium is not installed (run scripts/install_browser.sh as root)")
    frame = show(explore_grids(_grids()), height=400)
    page_file = tmp_path / "notebook.html"
    page_file.write_text(
        "<!doctype html><html><head><meta charset='utf-8'></head><body>"
        f"{frame._repr_html_()}</body></html>",
        encoding="utf-8",
    )
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=str(exe), args=["--no-sandbox"])
        except Exception as exc:  # a browser that cannot start here is "unavailable"
            pytest.skip(f"chromium did not start: {exc}")
        try:
            page = browser.new_page()
            requests: list[str] = []
            dialogs: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(page_file.as_uri())
            inner = page.frames[1]
            inner.wait_for_selector("path.leaflet-interactive", state="attached", timeout=15_000)
            assert inner.locator("path.leaflet-interactive").count() == len(_grids())
            assert inner.locator("img").count() == 0
            # sandboxed: the map's scripts cannot reach the notebook page
            reach = "() => { try { return !!window.parent.document; } catch (e) { return false; } }"
            assert inner.evaluate(reach) is False
            page.wait_for_timeout(300)
        finally:
            browser.close()
    assert dialogs == []
    assert [u for u in requests if not u.startswith(("file:", "data:", "about:"))] == []
