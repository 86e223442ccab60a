"""Excel 97-2003 (``.xls``) registers, read with xlrd (the optional extra ``xls``).

Many street offices still export ``.xls``. Cells are read as text the way
:func:`pandas.read_excel` with ``dtype=str`` reads ``.xlsx``: whole numbers
without ``.0``, empty cells missing, dates as ``YYYY-MM-DD``. xlrd is used
directly (pandas 3 deprecates its xlrd engine).

>>> import pathlib
>>> read_xls(pathlib.Path("missing.xls"), 0)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
gridplan.errors.InputError: could not read register file 'missing.xls': ...
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from gridplan.errors import InputError

__all__ = ["read_xls"]

_EXTRA = (
    "reading .xls registers needs xlrd: pip install 'gridplan[xls]' (or pip install xlrd), "
    "or save the file as .xlsx"
)


def _xlrd() -> Any:
    try:
        import xlrd
    except ImportError as exc:
        raise InputError(_EXTRA + ".") from exc
    return xlrd


def _text(cell: Any, datemode: int, xlrd: Any) -> str | None:
    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) or (
        kind == xlrd.XL_CELL_TEXT and not value
    ):
        return None
    if kind == xlrd.XL_CELL_NUMBER:
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if kind == xlrd.XL_CELL_DATE:
        moment = xlrd.xldate_as_datetime(value, datemode)
        return moment.date().isoformat() if moment.time() == datetime.time() else str(moment)
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if value else "FALSE"
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERROR")
    return str(value)


def read_xls(path: Path, sheet: str | int) -> pd.DataFrame:
    """The sheet as a DataFrame of text cells (header = first row); see the module docstring."""
    xlrd = _xlrd()
    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
        page = book.sheet_by_index(sheet) if isinstance(sheet, int) else book.sheet_by_name(sheet)
    except (xlrd.XLRDError, OSError, IndexError, ValueError) as exc:
        raise InputError(f"could not read register file {str(path)!r}: {exc}.") from exc
    rows = [[_text(c, book.datemode, xlrd) for c in page.row(r)] for r in range(page.nrows)]
    if not rows:
        raise InputError(f"register file {str(path)!r}: the sheet is empty (no header row).")
    header = [str(h) if h is not None else f"Unnamed: {k}" for k, h in enumerate(rows[0])]
    return pd.DataFrame(rows[1:], columns=header, dtype=object)
