"""Tables for spreadsheets: CSV files that open correctly in Excel and cannot run formulas.

* UTF-8 with a byte-order mark, so Excel on Chinese Windows reads 社区 names
  instead of guessing GBK; ``\\n`` line ends.
* No unnamed index column: a named index becomes the first column, a plain
  row number is left out.
* Text cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  are prefixed with ``'`` (formula injection: a name such as ``=HYPERLINK(...)``
  typed into a register must stay text). Numbers are never changed.
* Shares are fractions from 0 to 1 (``coverage``, ``deviation``, ``*_share``),
  as in the JSON outputs; percentages appear only in reports for people.

>>> import pandas as pd, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> write_csv(pd.DataFrame({"name": ["=1+1", "东关"], "n": [-1, 2]}), path)
>>> path.read_bytes().decode("utf-8-sig").splitlines()
['name,n', "'=1+1,-1", '东关,2']
"""

from __future__ import annotations

import os

import geopandas as gpd
import pandas as pd

from gridplan.io.atomic import write_bytes

__all__ = ["safe_cell", "write_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula.

    >>> safe_cell("@SUM(A1)"), safe_cell(-3), safe_cell("西街")
    ("'@SUM(A1)", -3, '西街')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``table`` atomically as an Excel-safe CSV (see the module notes)."""
    frame = pd.DataFrame(table)
    if isinstance(table, gpd.GeoDataFrame):
        frame = frame.drop(columns=table.geometry.name)
    named = any(name is not None for name in frame.index.names)
    if named:
        frame = frame.reset_index()
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].map(safe_cell)
    frame.columns = [str(safe_cell(str(c))) for c in frame.columns]
    text = frame.to_csv(index=False, lineterminator="\n")
    write_bytes(path, text.encode("utf-8-sig"))
