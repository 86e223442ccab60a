"""``gridplan assess``: read units and existing grids, write the assessment files.

Files (written together, atomically): ``assessment.json``
(:meth:`Assessment.to_dict`), ``grids.csv``, ``problems.csv``,
``comparison.csv``, ``changes.csv`` and ``rebalanced.geojson`` (the
re-balanced plan, when compared) and ``map.html`` (unless ``map=False``).
Text cells that a spreadsheet would run as a formula are quoted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, cast

import pandas as pd

from gridplan.errors import ConfigError
from gridplan.existing.assessment import Assessment, GridsInput, assess
from gridplan.io.atomic import staged_dir
from gridplan.io.files import read_layer

__all__ = ["OUTPUTS", "run_assess", "safe_cells"]

OUTPUTS = (
    "assessment.json",
    "grids.csv",
    "problems.csv",
    "comparison.csv",
    "changes.csv",
    "rebalanced.geojson",
    "map.html",
)


def safe_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with ``= + - @`` (or a tab / carriage return) get a leading ``'``.

    >>> safe_cells(pd.DataFrame({"a": ["=1+1", "ok", 3]}))["a"].tolist()
    ["'=1+1", 'ok', 3]
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = [
                "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
                for v in out[col]
            ]
    return out


def write_assessment(a: Assessment, out: str | os.PathLike[str], map: bool = True) -> list[Path]:
    """Write the assessment files into ``out`` (see the module docstring); returns their paths."""
    with staged_dir(out, replaces=OUTPUTS) as stage:
        text = json.dumps(a.to_dict(), ensure_ascii=False, indent=1, allow_nan=False)
        (stage / "assessment.json").write_text(text + "\n", encoding="utf-8")
        tables = a.report()
        for name in ("grids", "problems", "comparison"):
            df = tables[name]
            safe_cells(df).to_csv(stage / f"{name}.csv", index=name == "grids", lineterminator="\n")
        if a.rebalanced is not None:
            safe_cells(a.rebalanced.changes).to_csv(
                stage / "changes.csv", index=False, lineterminator="\n"
            )
            a.rebalanced.plan.to_file(stage / "rebalanced.geojson")
        if map:
            from gridplan.maps import save_html

            save_html(a.explore(), stage / "map.html")
        names = sorted(p.name for p in stage.iterdir())
    return [Path(out) / n for n in names]


def run_assess(
    units: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    territory_kwargs: dict[str, Any],
    grids: str | os.PathLike[str] | None = None,
    column: str | None = None,
    code: str = "code",
    worker: str | None = None,
    map: bool = True,
    **assess_kwargs: Any,
) -> tuple[Assessment, list[Path]]:
    """Build the territory, read the grids (a layer file or a units column), assess, write."""
    from gridplan.territory import Territory

    if (grids is None) == (column is None):
        raise ConfigError(
            "give the existing grids either as a layer file (--grids grids.gpkg) or as a "
            "column of the units (--column WARD), not both and not neither."
        )
    territory = Territory.from_file(units, **territory_kwargs)
    # exactly one of the two is given (checked above)
    source: GridsInput = cast(str, column) if grids is None else read_layer(grids, "grids")
    a = assess(territory, source, code=code, worker=worker, **assess_kwargs)
    return a, write_assessment(a, out, map=map)
