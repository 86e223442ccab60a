"""Chinese output: the message catalogue, translated maps, tables and plots, CJK fonts."""

from __future__ import annotations

import io
import re
import string
import warnings
from pathlib import Path

import pytest

from conftest_browser import make_allocation, make_grids
from gridplan import i18n
from gridplan.errors import ConfigError

babel = pytest.importorskip("babel", reason="babel checks the catalogues (extra 'test')")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.mofile import read_mo, write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

PACKAGE = Path(i18n.__file__).parent
PO = PACKAGE / "locale" / "zh" / "LC_MESSAGES" / "gridplan.po"
MO = PO.with_suffix(".mo")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="zh")


def _marked_in_code() -> set[str]:
    found = extract_from_dir(str(PACKAGE), method_map=[("**.py", "python")], keywords=i18n.KEYWORDS)
    return {msg if isinstance(msg, str) else msg[0] for _f, _l, msg, _c, _x in found}


def test_committed_mo_is_the_compiled_po():
    buf = io.BytesIO()
    write_mo(buf, _catalog())
    assert MO.read_bytes() == buf.getvalue(), "run `make messages` to recompile the catalogue"


def test_every_marked_text_has_a_chinese_translation_and_none_is_stale():
    cat = _catalog()
    in_po = {m.id for m in cat if m.id}
    marked = _marked_in_code()
    assert marked, "no marked texts found: extraction keywords are wrong"
    assert sorted(marked - in_po) == [], "texts missing from the .po: run `make messages`"
    assert sorted(in_po - marked) == [], "stale .po entries: run `make messages`"
    untranslated = [m.id for m in cat if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


def test_translations_keep_their_placeholders():
    fields = string.Formatter()
    for m in _catalog():
        if not m.id:
            continue
        want = sorted(f for _t, f, _s, _c in fields.parse(m.id) if f)
        got = sorted(f for _t, f, _s, _c in fields.parse(m.string) if f)
        assert want == got, m.id


def test_compiled_catalogue_is_what_gettext_reads():
    with MO.open("rb") as f:
        mo = read_mo(f)
    _ = i18n.gettext("zh")
    for m in mo:
        if m.id:
            assert _(m.id) == m.string


def test_no_untranslatable_gettext_calls_in_the_code():
    # gettext(lang)("text") is invisible to the extractor: use _ = gettext(lang) or translate().
    bad = [
        f"{p.relative_to(PACKAGE)}:{n}"
        for p in PACKAGE.rglob("*.py")
        if p.name != "i18n.py"  # defines gettext/translate; its examples are doctests
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"gettext\([^()]*\)\(\s*[\"']", line)
    ]
    assert bad == []


def test_languages():
    assert i18n.check_lang("ZH") == "zh" and i18n.check_lang("zh_CN") == "zh"
    assert i18n.translate("en", "Households") == "Households"
    assert i18n.translate("zh", "Households") == "户数"
    with pytest.raises(ConfigError, match="'en', 'zh'"):
        i18n.gettext("fr")
    assert i18n.column_label("age60plus", "zh") == "60岁以上"
    assert i18n.column_label("bus_stops", "zh") == "Bus stops"  # unknown: readable, as is


def test_tables_in_chinese_keep_values_and_translate_headings():
    from gridplan.plots import allocation_report, plan_report

    grids = make_grids()
    en, zh = plan_report(grids, totals=True), plan_report(grids, totals=True, lang="zh")
    assert "户数" in zh.columns and "偏差（%）" in zh.columns and zh.index.name == "网格"
    assert zh.to_numpy().tolist() == en.to_numpy().tolist()  # same values, same order
    assert zh.index[-1] == "合计"
    alloc = make_allocation()
    summary = allocation_report(alloc, "summary", lang="zh")
    assert summary.index.name == "项目" and "总费用" in summary.index
    assert (
        allocation_report(alloc, "sites", lang="zh")["状态"]
        .isin(["开设（已有）", "开设（新建）", "未开设"])
        .all()
    )


def _page_text(path: Path) -> str:
    """The saved page with JSON \\uXXXX escapes decoded (folium writes data as JSON)."""
    page = path.read_text(encoding="utf-8")
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


def test_maps_in_chinese(tmp_path):
    from gridplan.maps import explore_allocation, explore_grids, save_html

    grids = make_grids()
    path = tmp_path / "m.html"
    save_html(explore_grids(grids, lang="zh"), path)
    page = _page_text(path)
    for text in ("户数", "网格编码", "偏差"):
        assert text in page
    save_html(explore_allocation(make_allocation(), lang="zh"), path)
    page = _page_text(path)
    for text in ("各网格覆盖率", "服务点（开设）", "网格员", "未满足需求"):
        assert text in page
    assert "Coverage by grid" not in page


def test_chinese_plot_uses_an_installed_cjk_font():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib.text import Text

    from gridplan.plots import plot_allocation
    from gridplan.plots._mpl import MISSING_FONT_HELP, cjk_font, pick_cjk_font

    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (scripts/install_fonts.sh installs one)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would be a warning at draw time
        ax = plot_allocation(make_allocation(), lang="zh")
        ax.figure.canvas.draw()
    chinese = [t for t in ax.figure.findobj(Text) if CJK.search(t.get_text())]
    assert any("服务点" in t.get_text() for t in chinese)
    assert all(t.get_fontfamily()[0] == font for t in chinese)
    # The font really has the glyphs: matplotlib resolves the family to a file that covers them.
    path = font_manager.findfont(
        font_manager.FontProperties(family=font), fallback_to_default=False
    )
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(path).get_charmap()
    assert all(ord(c) in charmap for c in "服务点网格员覆盖率")
    # Without any CJK family the picker finds none and the warning says how to install one.
    names = [f.name for f in font_manager.fontManager.ttflist]
    assert (
        pick_cjk_font(n for n in names if n != font and "CJK" not in n and "WenQuanYi" not in n)
        is None
    )
    assert "apt-get install fonts-noto-cjk" in MISSING_FONT_HELP


def test_cli_lang_zh_translates_the_report_and_keeps_file_columns(tmp_path, capsys):
    import geopandas as gpd
    import pandas as pd
    import shapely

    from gridplan.cli import main
    from gridplan.scenario import load_scenario

    n = 6
    units = gpd.GeoDataFrame(
        {
            "uid": [f"u{k:03d}" for k in range(n * n)],
            "pop": [30 + (k * 7) % 11 for k in range(n * n)],
            "hh": [10 + (k * 3) % 5 for k in range(n * n)],
        },
        geometry=[shapely.box(i * 50, j * 50, i * 50 + 50, j * 50 + 50)
                  for j in range(n) for i in range(n)],
        crs="EPSG:32650",
    )  # fmt: skip
    path = tmp_path / "units.geojson"
    units.to_file(path)
    runs = {}
    for lang in ("en", "zh"):
        out = tmp_path / lang
        args = ["divide", str(path), "--population", "pop", "--households", "hh", "--id", "uid"]
        assert main([*args, "--grids", "4", "--no-map", "--lang", lang, "--out", str(out)]) == 0
        runs[lang] = out
    said = capsys.readouterr().out
    assert "wrote 6 file(s)" in said and "已写入 6 个文件" in said
    zh = (runs["zh"] / "report.md").read_text(encoding="utf-8")
    assert zh.startswith("# 网格化规划报告\n")
    assert '<html lang="zh-CN">' in (runs["zh"] / "report.html").read_text(encoding="utf-8")
    # What programs read does not change with the language.
    for name in ("grids.geojson", "plan.geojson", "metrics.json"):
        assert (runs["en"] / name).read_bytes() == (runs["zh"] / name).read_bytes(), name
    en_grids = gpd.read_file(runs["en"] / "grids.geojson")
    assert "households" in en_grids.columns and not any(CJK.search(c) for c in en_grids.columns)
    assert isinstance(pd.read_json(runs["zh"] / "metrics.json", typ="series"), pd.Series)
    # The scenario key: output.lang, checked like every other key.
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'[units]\npath = "{path.name}"\npopulation = "pop"\n[divide]\ngrids = 2\n'
        '[output]\nlang = "zh"\n',
        encoding="utf-8",
    )
    assert load_scenario(toml)["output"]["lang"] == "zh"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"zh"', '"fr"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"output\.lang"):
        load_scenario(toml)
