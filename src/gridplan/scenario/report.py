"""A plain Markdown report of a run, for planners and for review in version control."""

from __future__ import annotations

from typing import Any

import pandas as pd

from gridplan import __version__

__all__ = ["TIMING_KEYS", "markdown_report", "markdown_table"]

# Run times differ between identical runs; they go to timings.json, never into the
# files that must be byte-identical for the same input and seed.
TIMING_KEYS = frozenset({"seconds", "build_seconds"})


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.1f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def _md_text(text: str) -> str:
    """Plain text safe in Markdown: no markup, no HTML (``*``, ``<``, ``|``... escaped).

    >>> _md_text("<b>S1|*x*</b>")
    '\\\\<b\\\\>S1\\\\|\\\\*x\\\\*\\\\</b\\\\>'
    """
    return str(text).translate(_MD_SPECIAL).replace("\n", " ")


def markdown_table(df: pd.DataFrame, index: bool = True) -> str:
    """Render a DataFrame as a GitHub-flavoured Markdown table (no extra dependency).

    >>> print(markdown_table(pd.DataFrame({"a": [1]}, index=["x"])))
    |  | a |
    |---|---|
    | x | 1 |
    """
    frame = df.reset_index() if index else df
    if index:
        frame = frame.rename(columns={frame.columns[0]: df.index.name or ""})
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, rule, *rows])


def _metrics_table(metrics: dict[str, Any]) -> str:
    simple = {
        k: v
        for k, v in metrics.items()
        if isinstance(v, (int, float, str, bool)) and k not in TIMING_KEYS
    }
    return markdown_table(
        pd.DataFrame({"value": pd.Series(simple, dtype=object)}).rename_axis("metric")
    )


def markdown_report(territory: Any, plan: Any, allocation: Any) -> str:
    """The run's report: territory, grid metrics and table, allocation and costs."""
    parts = [f"# gridplan report\n\nMade by gridplan {__version__}."]
    if territory is not None:
        parts.append("## Territory\n\n```\n" + territory.summary() + "\n```")
    if plan is not None:
        parts.append("## Grids\n\n```\n" + plan.summary(timing=False) + "\n```")
        parts.append("### Quality\n\n" + _metrics_table(plan.metrics))
        parts.append("### Grids\n\n" + markdown_table(plan.report()))
    if allocation is not None:
        parts.append("## Allocation\n\n```\n" + allocation.summary(timing=False) + "\n```")
        if allocation.warnings:
            items = "\n".join(f"- {_md_text(w)}" for w in allocation.warnings)
            parts.append("### Warnings: read before using these figures\n\n" + items)
        cost = pd.DataFrame({"yuan per year": pd.Series(allocation.cost)}).rename_axis("item")
        parts.append("### Cost\n\n" + markdown_table(cost))
        parts.append("### Coverage by grid\n\n" + markdown_table(allocation.report()))
    return "\n\n".join(parts) + "\n"
