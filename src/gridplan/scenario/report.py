"""The run's report for planners: ``report.md`` and a printable ``report.html``.

Both are made from the same blocks (headings, paragraphs, tables, lists), in
English or Chinese (``lang``): first what limits coverage, in plain words
(:func:`gridplan.plots.explain_allocation`), then the territory and grid
quality, a per-community summary, the cost table and the per-grid tables;
neighbour lists are in their own section, out of the main grid table.

Everything that comes from the data (names, codes) is escaped: for Markdown
(:func:`md_escape`: HTML special characters as entities, Markdown syntax
characters with a backslash) and for HTML (:func:`html.escape`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridplan import __version__
from gridplan.i18n import check_lang, column_label, gettext

if TYPE_CHECKING:
    from gridplan.allocation.result import Allocation
    from gridplan.coverage import LifeCircles
    from gridplan.division.plan import GridPlan
    from gridplan.territory.territory import Territory

__all__ = [
    "TIMING_KEYS",
    "html_report",
    "markdown_report",
    "markdown_table",
    "md_escape",
    "report_blocks",
]

# Run times differ between identical runs; they go to timings.json, never into the
# files that must be byte-identical for the same input and seed.
TIMING_KEYS = frozenset({"seconds", "build_seconds"})

Block = tuple[str, Any]  # ("h1" | "h2" | "h3" | "p" | "pre" | "table" | "list", content)

# Characters that start Markdown syntax anywhere (emphasis, code, links, tables,
# strikethrough); "_" only where it can open or close emphasis (not inside a word).
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_MD_LINE_START = re.compile(r"^(\s*)([#+\->=]|\d+[.)])")


def md_escape(value: Any, block: bool = False) -> str:
    """Text safe in a Markdown paragraph or table cell: shows as written, never as markup.

    HTML special characters become entities (Markdown passes raw HTML through);
    Markdown syntax characters get a backslash. ``block=True`` (a paragraph
    or list item) also escapes what would start a heading, list or quote.

    >>> print(md_escape("<b>x</b> | *y* [z](http://e) _a_ max_gap"))
    &lt;b&gt;x&lt;/b&gt; \\| \\*y\\* \\[z\\](http://e) \\_a\\_ max_gap
    >>> print(md_escape("# not a heading", block=True), md_escape("0.5"))
    \\# not a heading 0.5
    """
    text = html.escape(str(value), quote=False).replace("\r", " ").replace("\n", " ")
    text = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)
    if not block:
        return text
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def _cell(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "–"
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.1f}"
    if value is None or value is pd.NA:
        return ""
    return str(value)


def markdown_table(df: pd.DataFrame, index: bool = True) -> str:
    """Render a DataFrame as a GitHub-flavoured Markdown table, every cell escaped.

    >>> print(markdown_table(pd.DataFrame({"a": [1]}, index=["x|y"])))
    |  | a |
    |---|---|
    | x\\|y | 1 |
    """
    frame = df.reset_index() if index else df
    if index:
        frame = frame.rename(columns={frame.columns[0]: df.index.name or ""})
    head = "| " + " | ".join(md_escape(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = [
        "| " + " | ".join(md_escape(_cell(v)) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, rule, *rows])


def _html_table(df: pd.DataFrame) -> str:
    frame = df.reset_index()
    frame = frame.rename(columns={frame.columns[0]: df.index.name or ""})
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{html.escape(_cell(v))}</td>'
            if num
            else f"<td>{html.escape(_cell(v))}</td>"
            for v, num in zip(row, numeric, strict=True)
        )
        + "</tr>\n"
        for row in frame.itertuples(index=False)
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"


# ---------------------------------------------------------------------------- content


def _metrics_table(metrics: dict[str, Any], lang: str) -> pd.DataFrame:
    _ = gettext(lang)
    simple = {
        column_label(k, lang): (_("yes") if v else _("no")) if isinstance(v, bool) else v
        for k, v in metrics.items()
        if isinstance(v, (int, float, str, bool)) and k not in TIMING_KEYS
    }
    return pd.DataFrame({_("Value"): pd.Series(simple, dtype=object)}).rename_axis(_("Metric"))


def _parent_names(territory: Territory | None, plan: GridPlan) -> dict[Any, str]:
    """Parent code → name when the units have a ``<within>_name`` column (else empty)."""
    within = plan.params.get("within")
    units = None if territory is None else territory.units
    name = f"{within}_name"
    if within is None or units is None or name not in units.columns:
        return {}
    pairs = units[[within, name]].drop_duplicates(subset=within)
    return {code: str(n) for code, n in zip(pairs[within], pairs[name], strict=True)}


def _community_table(
    territory: Territory | None, plan: GridPlan, allocation: Allocation | None, lang: str
) -> pd.DataFrame | None:
    """One row per parent (community): grids, demand, deviation range, coverage."""
    grids = pd.DataFrame(plan.grids.drop(columns=plan.grids.geometry.name))
    if "parent" not in grids.columns or grids["parent"].isna().all():
        return None
    _ = gettext(lang)
    if allocation is not None:
        cov = allocation.coverage
        grids = grids.join(cov[[c for c in cov.columns if c not in grids.columns]], how="left")
    by = grids.groupby("parent", sort=True)
    out = pd.DataFrame({_("Grids"): by.size()})
    for col in ("households", "population", "age60plus", "elderly_alone"):
        if col in grids.columns:
            out[column_label(col, lang)] = by[col].sum().round().astype("Int64")
    if "deviation" in grids.columns:
        low, high = by["deviation"].min() * 100, by["deviation"].max() * 100
        out[_("Deviation (%)")] = [f"{a:+.1f} … {b:+.1f}" for a, b in zip(low, high, strict=True)]
    if {"households", "households_served"} <= set(grids.columns):
        out[_("Households served (%)")] = (
            by["households_served"].sum() / by["households"].sum() * 100
        ).round(1)
    if "unmet_hours" in grids.columns:
        out[_("Unmet (h/month)")] = by["unmet_hours"].sum().round(1)
    names = _parent_names(territory, plan)
    labels = [f"{names[p]} ({p})" if p in names else str(p) for p in out.index]
    out.index = pd.Index(labels, name=plan._parent_label(lang))
    return out


def _cost_table(allocation: Allocation, lang: str) -> pd.DataFrame:
    from gridplan.plots.reports import COST_ITEMS

    _ = gettext(lang)
    cost = dict(allocation.cost)
    total = float(cost.get("total", 0.0))
    items = [k for k in COST_ITEMS if k in cost and k != "total"] + [
        k for k in cost if k not in COST_ITEMS
    ]
    rows = [(_(COST_ITEMS[k]) if k in COST_ITEMS else k, round(float(cost[k]))) for k in items]
    rows.append((_("Total"), round(total)))
    if allocation.budget is not None:
        budget = float(allocation.budget)
        rows += [(_("Budget"), round(budget)), (_("Unspent"), round(budget - total))]
    out = pd.DataFrame(rows, columns=[_("Item"), _("Yuan per year")]).set_index(_("Item"))
    out[_("Share of total (%)")] = [
        round(v / total * 100, 1) if total and i < len(items) + 1 else np.nan
        for i, v in enumerate(out.iloc[:, 0])
    ]
    return out


def _neighbour_list(plan: GridPlan, lang: str) -> list[str]:
    grids = plan.grids
    if "neighbours" not in grids.columns:
        return []
    out = []
    for code, value in grids["neighbours"].items():
        if isinstance(value, (list, tuple, np.ndarray)):
            items = [str(v) for v in value]
        else:
            items = [v.strip() for v in str(value).split(",") if v.strip()]
        out.append(f"{code}: {', '.join(items)}")
    return out


def _plan_blocks(
    territory: Territory | None, plan: GridPlan, allocation: Allocation | None, lang: str
) -> list[Block]:
    _ = gettext(lang)
    blocks: list[Block] = [
        ("h2", _("Grids")),
        ("pre", plan.summary(timing=False)),
        ("h3", _("Quality")),
        ("table", _metrics_table(plan.metrics, lang)),
    ]
    community = _community_table(territory, plan, allocation, lang)
    if community is not None:
        blocks += [("h3", _("By community")), ("table", community)]
    table = plan.report(lang=lang)
    table = table.drop(columns=[_("Neighbouring grids")], errors="ignore")
    names, parent = _parent_names(territory, plan), plan._parent_label(lang)
    if names and parent in table.columns:  # names, not 12-digit codes (codes are in the grid's)
        table[parent] = table[parent].map(lambda p: names.get(p, p))
    blocks += [("h3", _("Grid by grid")), ("table", table)]
    neighbours = _neighbour_list(plan, lang)
    if neighbours:
        blocks += [("h3", _("Neighbouring grids")), ("list", neighbours)]
    return blocks


def _allocation_blocks(allocation: Allocation, lang: str) -> list[Block]:
    _ = gettext(lang)
    return [
        ("h2", _("Allocation")),
        ("pre", allocation.summary(timing=False)),
        *(
            [("h3", _("Warnings: read before using these figures")), ("list", allocation.warnings)]
            if allocation.warnings
            else []
        ),
        ("h3", _("Cost")),
        ("table", _cost_table(allocation, lang)),
        ("h3", _("Coverage by grid")),
        ("table", allocation.report(lang=lang)),
    ]


def _life_circle_blocks(life_circles: LifeCircles, lang: str) -> list[Block]:
    """Who lives within each walking life circle of an open service point (with roads)."""
    _ = gettext(lang)
    total = life_circles.total.copy()
    total.index = [column_label(str(c), lang) for c in total.index]
    shares = [c for c in total.columns if str(c).startswith("share_")]
    total[shares] = (total[shares] * 100).round(1)
    total = total.rename(columns={c: f"{str(c)[6:]} (%)" for c in shares})
    return [("h3", _("Walking life circles (GB 50180-2018)")), ("table", total)]


def _layer_blocks(territory: Territory, lang: str) -> list[Block]:
    """How the household register was joined, and what the raw layers needed (from_layers)."""
    _ = gettext(lang)
    blocks: list[Block] = []
    warnings = list(territory.layer_warnings)
    if warnings:
        blocks += [("h3", _("Warnings about the layers")), ("list", warnings)]
    match = territory.match_report
    if match is None:
        return blocks
    blocks += [("h2", _("Household register")), ("pre", match.summary())]
    if match.issues is not None and len(match.issues):
        blocks += [("h3", _("Register rows to check")), ("table", match.issues.set_index("issue"))]
    return blocks


def report_blocks(
    territory: Territory | None,
    plan: GridPlan | None,
    allocation: Allocation | None,
    lang: str = "en",
    life_circles: LifeCircles | None = None,
) -> list[Block]:
    """The report's content, in order, as ``(kind, content)`` blocks (rendered by the two
    functions below). ``life_circles``: a :class:`gridplan.coverage.LifeCircles`."""
    from gridplan.plots.explain import explain_allocation

    lang = check_lang(lang)
    _ = gettext(lang)
    blocks: list[Block] = [
        ("h1", _("gridplan report")),
        ("p", _("Made by gridplan {version}.").format(version=__version__)),
    ]
    if allocation is not None:
        blocks.append(("h2", _("What limits coverage")))
        blocks += [("p", text) for text in explain_allocation(allocation, lang)]
    if territory is not None:
        blocks += [("h2", _("Territory")), ("pre", territory.summary())]
        blocks += _layer_blocks(territory, lang)
    if plan is not None:
        blocks += _plan_blocks(territory, plan, allocation, lang)
    if allocation is not None:
        blocks += _allocation_blocks(allocation, lang)
    if life_circles is not None:
        blocks += _life_circle_blocks(life_circles, lang)
    return blocks


# ---------------------------------------------------------------------------- rendering


def _markdown(blocks: Iterable[Block]) -> str:
    parts = []
    for kind, content in blocks:
        if kind in ("h1", "h2", "h3"):
            parts.append("#" * int(kind[1]) + " " + md_escape(content, block=True))
        elif kind == "p":
            parts.append(md_escape(content, block=True))
        elif kind == "pre":
            parts.append("```\n" + str(content).replace("```", "'''") + "\n```")
        elif kind == "table":
            parts.append(markdown_table(content))
        else:
            parts.append("\n".join(f"- {md_escape(item, block=True)}" for item in content))
    return "\n\n".join(parts) + "\n"


def markdown_report(
    territory: Territory | None,
    plan: GridPlan | None,
    allocation: Allocation | None,
    lang: str = "en",
    life_circles: LifeCircles | None = None,
) -> str:
    """The run's report as Markdown (``report.md``); ``lang="zh"`` for Chinese."""
    return _markdown(report_blocks(territory, plan, allocation, lang, life_circles))


_CSS = """
body { font: 11pt/1.45 "Helvetica Neue", Arial, "Noto Sans CJK SC", "Source Han Sans SC",
  "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif; color: #222;
  max-width: 60em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 18pt; } h2 { font-size: 14pt; border-bottom: 1px solid #999; margin-top: 1.6em; }
h3 { font-size: 12pt; margin-top: 1.2em; }
pre { background: #f4f4f1; padding: .6em; white-space: pre-wrap; font-size: 9pt; }
table { border-collapse: collapse; font-size: 9pt; margin: .4em 0 1em; }
th, td { border: 1px solid #bbb; padding: 2px 6px; vertical-align: top; }
th { background: #eee; text-align: left; } td.num { text-align: right; }
td:first-child { white-space: nowrap; }
thead { display: table-header-group; }
ul.gp-neighbours { columns: 2; font-size: 9pt; }
@page { size: A4; margin: 15mm; }
@media print { body { margin: 0; max-width: none; } h2, h3 { break-after: avoid; }
  tr { break-inside: avoid; } pre { break-inside: avoid; } }
"""


def html_report(
    territory: Territory | None,
    plan: GridPlan | None,
    allocation: Allocation | None,
    lang: str = "en",
    life_circles: LifeCircles | None = None,
) -> str:
    """The same report as a self-contained HTML page that prints well (A4, repeated
    table headers, no row split over two pages)."""
    lang = check_lang(lang)
    blocks = report_blocks(territory, plan, allocation, lang, life_circles)
    body = []
    for kind, content in blocks:
        if kind in ("h1", "h2", "h3", "p"):
            body.append(f"<{kind}>{html.escape(str(content))}</{kind}>")
        elif kind == "pre":
            body.append(f"<pre>{html.escape(str(content))}</pre>")
        elif kind == "table":
            body.append(_html_table(content))
        else:
            items = "".join(f"<li>{html.escape(str(i))}</li>" for i in content)
            body.append(f'<ul class="gp-neighbours">{items}</ul>')
    title = html.escape(str(blocks[0][1]))
    code = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{code}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
