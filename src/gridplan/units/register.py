"""Household registers (实有人口 / 房屋 tables) read from CSV or Excel and joined to buildings.

:func:`read_register` reads ``.csv`` (UTF-8, UTF-8 with BOM, GBK or GB18030,
detected or given) and ``.xlsx`` files, every cell as text, the index being
the row number a spreadsheet shows (header = row 1).

:func:`join_register` adds the register's counts to the buildings: first by
key (building id), then by address for the rows whose key is missing or
unknown, with addresses normalised (full-/half-width, spaces, ``号楼``/``幢``/
``座``/``#`` for ``栋``, Chinese numerals, unit and room numbers). Rows whose
building is not in the layer go to the building with the nearest number in the
same compound (address stem); the rest stay *unplaced*. The
:class:`MatchReport` lists every one of these cases: households are counted,
never dropped.

>>> import geopandas as gpd, pandas as pd, shapely
>>> b = gpd.GeoDataFrame({"bid": ["B1", "B2"], "addr": ["幸福路12号1栋", "幸福路12号2栋"]},
...                      geometry=[shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)],
...                      crs="EPSG:32650")
>>> reg = pd.DataFrame({"bid": ["B1", "", "B9"],
...                     "addr": ["", "幸福路１２号 二幢501室", "幸福路12号3栋"],
...                     "households": ["12户", "3", "4"]})
>>> joined, report = join_register(b, reg, on="bid", address="addr", counts=["households"])
>>> joined["households"].tolist()
[12.0, 7.0]
>>> report.matched_by_address, [s["building"] for s in report.assigned_by_stem]
([1], ['B2'])
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridplan.errors import ColumnError, ConfigError, DataValueError, IdError, InputError
from gridplan.errors import format_rows as _rows
from gridplan.units._address import building_number, normalise_series, stem

__all__ = ["MatchReport", "join_register", "read_register"]

_ENCODINGS = ("utf-8-sig", "gb18030")
_UNIT_SUFFIX = re.compile(r"(?:户|人|名|口|位|个)$")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def read_register(
    path: str | os.PathLike[str], encoding: str | None = None, sheet: str | int = 0
) -> pd.DataFrame:
    """Read a register table from ``.csv``, ``.xlsx`` or ``.xls``; every cell is text (or missing).

    ``encoding=None`` tries UTF-8 (with or without BOM), then GB18030 (a
    superset of GBK and GB2312). The encoding used is in ``df.attrs["encoding"]``
    (``"xlsx"``/``"xls"`` for Excel files). ``.xls`` needs the extra ``xls``
    (xlrd). The index is the spreadsheet row number (``row``; the header is row 1).

    >>> read_register("missing.csv")
    Traceback (most recent call last):
    ...
    gridplan.errors.InputError: register file 'missing.csv' does not exist; check the path.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"register file {str(path)!r} does not exist; check the path.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            df = pd.read_excel(path, sheet_name=sheet, dtype=str, engine="openpyxl")
        except (ValueError, KeyError, OSError) as exc:
            raise InputError(f"could not read register file {str(path)!r}: {exc}.") from exc
        used = "xlsx"
    elif suffix == ".xls":
        from gridplan.units._xls import read_xls

        df, used = read_xls(path, sheet), "xls"
    elif suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path, encoding, sep="\t" if suffix == ".tsv" else ",")
    else:
        raise InputError(
            f"register file {str(path)!r}: unknown type {suffix!r}; use .csv, .xlsx or .xls."
        )
    return _finish(df, used)


def _finish(df: pd.DataFrame, used: str) -> pd.DataFrame:
    df.columns = [str(c).strip() for c in df.columns]
    df.index = pd.RangeIndex(2, len(df) + 2, name="row")
    df.attrs["encoding"] = used
    return df


def frame_from_text(text: str, sep: str = ",", encoding: str = "utf-8") -> pd.DataFrame:
    """A register table from CSV text, exactly as :func:`read_register` reads a file.

    ``encoding`` is only recorded (``df.attrs["encoding"]``).

    >>> frame_from_text("bid,households\\nB1,12户\\n").loc[2].tolist()
    ['B1', '12户']
    """
    import io

    df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, skipinitialspace=True)
    return _finish(df, encoding)


def _read_csv(path: Path, encoding: str | None, sep: str) -> pd.DataFrame:
    data = path.read_bytes()
    tried = (encoding,) if encoding else _ENCODINGS
    for enc in tried:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            if encoding:
                raise InputError(
                    f"register file {str(path)!r} cannot be decoded as {encoding!r}: {exc}. "
                    "Leave encoding=None to detect UTF-8/GBK, or name the right one."
                ) from exc
            continue
        return frame_from_text(text, sep, "utf-8" if enc == "utf-8-sig" else enc)
    raise InputError(
        f"register file {str(path)!r} is neither UTF-8 nor GBK/GB18030 text; pass encoding=..."
    )


@dataclass
class MatchReport:
    """What :func:`join_register` did with every register row.

    Row labels are those of the table (spreadsheet row numbers after
    :func:`read_register`); building labels are the building keys.
    ``totals[col]`` has ``register`` (sum of the table), ``joined`` (sum over
    the buildings) and ``unplaced`` (rows that reached no building);
    ``register == joined + unplaced`` always.
    """

    n_rows: int
    n_buildings: int
    matched_by_key: int
    matched_by_address: list[Hashable] = field(default_factory=list)
    assigned_by_stem: list[dict[str, Any]] = field(default_factory=list)
    unplaced: list[Hashable] = field(default_factory=list)
    buildings_without_rows: list[Hashable] = field(default_factory=list)
    duplicate_rows: list[Hashable] = field(default_factory=list)
    blank_counts: dict[str, list[Hashable]] = field(default_factory=dict)
    totals: dict[str, dict[str, float]] = field(default_factory=dict)
    #: One line per register row to check (see :func:`issue_table`); not in :meth:`to_dict`.
    issues: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def match_rate(self) -> dict[str, float]:
        """Shares of rows matched by key, by address, by stem, and unplaced."""
        n = max(self.n_rows, 1)
        return {
            "key": self.matched_by_key / n,
            "address": len(self.matched_by_address) / n,
            "stem": len(self.assigned_by_stem) / n,
            "unplaced": len(self.unplaced) / n,
        }

    def summary(self) -> str:
        """A few lines for a log or a planner."""
        r = self.match_rate
        lines = [
            f"Register: {self.n_rows:,} rows, {self.n_buildings:,} buildings",
            f"  matched by key {self.matched_by_key:,} ({r['key']:.1%}), by address "
            f"{len(self.matched_by_address):,} ({r['address']:.1%}), to the nearest building "
            f"of the same compound {len(self.assigned_by_stem):,}, unplaced "
            f"{len(self.unplaced):,}",
        ]
        if self.unplaced:
            lines.append(f"  unplaced rows (fix their key or address): {_rows(self.unplaced)}")
        if self.duplicate_rows:
            lines.append(
                f"  {len(self.duplicate_rows)} row(s) repeat an earlier row exactly (counted; "
                f"check them): {_rows(self.duplicate_rows)}"
            )
        if self.buildings_without_rows:
            lines.append(
                f"  {len(self.buildings_without_rows)} building(s) have no register row "
                f"(0 households): {_rows(self.buildings_without_rows)}"
            )
        for col, rows in self.blank_counts.items():
            lines.append(f"  {col!r} blank in {len(rows)} row(s), read as 0: {_rows(rows)}")
        for col, t in self.totals.items():
            lines.append(
                f"  {col}: register {t['register']:,.0f} = buildings {t['joined']:,.0f} + "
                f"unplaced {t['unplaced']:,.0f}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (labels as plain Python values; see docs/schema.md)."""
        return {
            "n_rows": self.n_rows,
            "n_buildings": self.n_buildings,
            "matched_by_key": self.matched_by_key,
            "matched_by_address": _plain(self.matched_by_address),
            "assigned_by_stem": [
                {k: _plain_one(v) for k, v in d.items()} for d in self.assigned_by_stem
            ],
            "unplaced": _plain(self.unplaced),
            "buildings_without_rows": _plain(self.buildings_without_rows),
            "duplicate_rows": _plain(self.duplicate_rows),
            "blank_counts": {c: _plain(v) for c, v in self.blank_counts.items()},
            "totals": self.totals,
            "match_rate": self.match_rate,
        }


def _plain_one(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _plain(values: Sequence[Any]) -> list[Any]:
    return [_plain_one(v) for v in values]


def parse_counts(table: pd.DataFrame, col: str) -> tuple[np.ndarray, list[Hashable]]:
    """Column ``col`` as non-negative floats; text like ``"12户"`` is read as 12.

    Blank cells are 0 and returned as the second value; anything else that is
    not a number, and negative numbers, raise :class:`DataValueError` naming rows.
    """
    raw = table[col]
    values = pd.to_numeric(raw, errors="coerce")
    blank = raw.isna()
    unread = values.isna() & ~blank
    if unread.any():
        blank[unread] = raw[unread].astype(str).str.strip() == ""
    bad = values.isna() & ~blank
    if bad.any():
        text = raw[bad].astype(str).map(lambda s: unicodedata.normalize("NFKC", s))
        text = text.str.replace(r"[\s,]", "", regex=True).str.replace(_UNIT_SUFFIX, "", regex=True)
        ok = text.str.fullmatch(_NUMBER)
        if not ok.all():
            rows = list(raw.index[bad][~ok.to_numpy()])
            shown = ", ".join(f"{r!r}: {raw[r]!r}" for r in rows[:5])
            raise DataValueError(
                f"column {col!r} has {len(rows)} cell(s) that are not counts ({shown}"
                f"{' ...' if len(rows) > 5 else ''}); write a number (units such as 户/人 "
                "are accepted) or leave the cell empty for 0.",
                rows=rows,
            )
        values[bad] = text.astype(float).to_numpy()
    values = values.fillna(0.0).astype(float)
    neg = values < 0
    if neg.any() or not np.isfinite(values.to_numpy()).all():
        rows = list(values.index[neg | ~np.isfinite(values)])
        raise DataValueError(
            f"column {col!r} has negative or infinite counts in row(s) {_rows(rows)}; "
            "counts must be 0 or more.",
            rows=rows,
        )
    return values.to_numpy(dtype=float), list(raw.index[blank])


def _keys(values: pd.Series) -> pd.Series:
    """Keys compared as trimmed text; whole floats lose their ``.0`` (``101.0`` → ``101``)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        num = values.astype(float)
        whole = num.notna() & (num == np.floor(num))
        out = num.astype(str).astype(object)
        out[whole] = num[whole].astype(np.int64).astype(str)
        out[num.isna()] = ""
        return out
    text = values.astype(object).where(values.notna(), "")
    return text.astype(str).str.strip()


def join_register(
    buildings: gpd.GeoDataFrame,
    table: pd.DataFrame,
    on: str | tuple[str, str] | None = None,
    address: str | tuple[str, str] | None = None,
    counts: Sequence[str] | None = None,
    stem_fallback: bool = True,
) -> tuple[gpd.GeoDataFrame, MatchReport]:
    """Sum the register's counts per building; see the module docstring.

    ``on`` / ``address`` name the key / address column, the same in both
    tables or as ``(buildings_column, table_column)``. ``counts`` are the
    columns to sum (default: every table column but the key and address).
    The buildings come back with those columns, ``register_rows`` (rows
    joined) and ``match`` (``"key"``, ``"address"``, ``"stem"``, mixed as
    ``"key+address"``..., or ``"none"``). Building keys must be unique.
    """
    if on is None and address is None:
        raise ConfigError("join_register needs on=<key column> and/or address=<address column>.")
    bkey, tkey = _pair(on)
    baddr, taddr = _pair(address)
    for frame, cols, what in (
        (buildings, [bkey, baddr], "buildings"),
        (table, [tkey, taddr], "register"),
    ):
        _need(frame, [c for c in cols if c is not None], what)
    if len(table) == 0:
        raise InputError("the register table is empty: it has a header but no rows.")
    if counts is None:
        counts = [c for c in table.columns if c not in (tkey, taddr)]
    _need(table, list(counts), "register")
    values = {}
    blanks = {}
    for c in counts:
        values[c], blank = parse_counts(table, c)
        if blank:
            blanks[c] = blank
    ids = _building_ids(buildings, bkey)
    target = np.full(len(table), -1, dtype=np.int64)
    how = np.full(len(table), "", dtype=object)
    if tkey is not None:
        pos = pd.Series(np.arange(len(ids)), index=ids)
        hit = _keys(table[tkey]).map(pos)
        found = hit.notna().to_numpy()
        target[found] = hit[found].to_numpy(dtype=np.int64)
        how[found] = "key"
    stem_moves: list[dict[str, Any]] = []
    if taddr is not None and baddr is not None and (target < 0).any():
        stem_moves = _address_pass(buildings[baddr], table[taddr], target, how, ids, stem_fallback)
    out, report = _assemble(buildings, table, ids, values, blanks, target, how, stem_moves)
    report.issues = issue_table(table, (tkey, taddr), values, target, how, ids)
    return out, report


#: The kinds of :func:`issue_table` lines, in the order they are listed.
ISSUES = ("unplaced", "nearest_in_compound", "matched_by_address", "duplicate", "blank_count")


def issue_table(
    table: pd.DataFrame,
    columns: tuple[str | None, str | None],
    values: dict[str, np.ndarray],
    target: np.ndarray,
    how: np.ndarray,
    ids: pd.Index,
) -> pd.DataFrame:
    """The register rows a planner should look at, one line per row and issue.

    ``issue`` is one of :data:`ISSUES`; ``row`` the row label, then the row's
    key and address as written, ``matched_building`` (empty when unplaced),
    the row's counts as read and a ``note``. Rows matched by key without
    defect are not listed. :func:`join_register` puts it in ``report.issues``:

    >>> import geopandas as gpd, shapely
    >>> b = gpd.GeoDataFrame({"bid": ["B1"]}, geometry=[shapely.box(0, 0, 9, 9)], crs=32650)
    >>> reg = pd.DataFrame({"bid": ["B1", "B9"], "households": ["3", "2户"]})
    >>> _, report = join_register(b, reg, on="bid")
    >>> report.issues[["issue", "row", "bid", "households"]].values.tolist()
    [['unplaced', 1, 'B9', 2]]
    """
    tkey, taddr = columns
    n = len(table)
    key = _keys(table[tkey]).to_numpy(dtype=object) if tkey else np.full(n, "", dtype=object)

    def why(p: int) -> str:
        if not tkey:
            return "no key column"
        return "key blank" if not key[p] else f"key {key[p]!r} names no building"

    notes: list[tuple[str, int, str]] = []
    for p in np.flatnonzero(target < 0).tolist():
        notes.append(("unplaced", p, f"{why(p)}; the address matches none: fix key or address"))
    for p in np.flatnonzero(how == "stem").tolist():
        notes.append(
            (
                "nearest_in_compound",
                p,
                f"{why(p)}; no such building: counted in the nearest of its compound",
            )
        )
    for p in np.flatnonzero(how == "address").tolist():
        notes.append(("matched_by_address", p, why(p)))
    for p in np.flatnonzero(table.duplicated(keep="first").to_numpy()).tolist():
        notes.append(("duplicate", p, "repeats an earlier row exactly; counted again"))
    for col in values:
        raw = table[col]
        blank = (raw.isna() | (raw.astype(str).str.strip() == "")).to_numpy()
        notes += [
            ("blank_count", p, f"{col!r} blank, read as 0") for p in np.flatnonzero(blank).tolist()
        ]
    notes.sort(key=lambda t: (ISSUES.index(t[0]), t[1]))
    pos = np.array([p for _, p, _ in notes], dtype=np.int64)
    out = pd.DataFrame({"issue": [t[0] for t in notes], "row": table.index[pos]})
    for name in dict.fromkeys(c for c in (tkey, taddr) if c is not None):
        col = table[name].iloc[pos]
        out[name] = col.astype(object).where(col.notna(), "").to_numpy()  # blank, not NaN
    hit = target[pos]
    out["matched_building"] = [ids[t] if t >= 0 else "" for t in hit.tolist()]
    for col, v in values.items():
        whole = np.all(v == np.round(v))
        out[col] = v[pos].astype(np.int64) if whole else v[pos]
    out["note"] = [t[2] for t in notes]
    return out


def _address_pass(
    baddr: pd.Series,
    taddr: pd.Series,
    target: np.ndarray,
    how: np.ndarray,
    ids: pd.Index,
    stem_fallback: bool,
) -> list[dict[str, Any]]:
    """Match the rows still without a building by normalised address, then by stem."""
    bnorm = normalise_series(baddr).to_numpy(dtype=object)
    first: dict[str, int] = {}
    for i, k in enumerate(bnorm.tolist()):
        if k:
            first.setdefault(k, i)
    todo = np.flatnonzero(target < 0)
    tnorm = normalise_series(taddr.iloc[todo]).to_numpy(dtype=object)
    by_stem: dict[str, list[tuple[int, int]]] = {}
    if stem_fallback:
        for i, k in enumerate(bnorm.tolist()):
            n = building_number(k) if k else None
            if n is not None:
                by_stem.setdefault(stem(k), []).append((n, i))
    moves: list[dict[str, Any]] = []
    for r, k in zip(todo.tolist(), tnorm.tolist(), strict=True):
        if not k:
            continue
        if k in first:
            target[r], how[r] = first[k], "address"
            continue
        num = building_number(k)
        cands = by_stem.get(stem(k)) if num is not None else None
        if cands and num is not None:
            _, best = min((abs(c[0] - num), c[0], c[1]) for c in cands)[1:]
            target[r], how[r] = best, "stem"
            moves.append({"row": taddr.index[r], "address": taddr.iloc[r], "building": ids[best]})
    return moves


def _assemble(
    buildings: gpd.GeoDataFrame,
    table: pd.DataFrame,
    ids: pd.Index,
    values: dict[str, np.ndarray],
    blanks: dict[str, list[Hashable]],
    target: np.ndarray,
    how: np.ndarray,
    stem_moves: list[dict[str, Any]],
) -> tuple[gpd.GeoDataFrame, MatchReport]:
    placed = target >= 0
    n = len(ids)
    out = buildings.copy()
    totals: dict[str, dict[str, float]] = {}
    for c, v in values.items():
        joined = np.bincount(target[placed], weights=v[placed], minlength=n)
        out[c] = joined
        totals[c] = {
            "register": float(v.sum()),
            "joined": float(joined.sum()),
            "unplaced": float(v[~placed].sum()),
        }
        if not math.isclose(
            totals[c]["register"], totals[c]["joined"] + totals[c]["unplaced"], rel_tol=1e-9
        ):  # pragma: no cover - the bincount above conserves sums
            raise RuntimeError(f"gridplan: register totals of {c!r} not conserved")
    rows_per = np.bincount(target[placed], minlength=n)
    out["register_rows"] = rows_per
    out["match"] = _match_kinds(how[placed], target[placed], n)
    dup = table.duplicated(keep="first").to_numpy()
    report = MatchReport(
        n_rows=len(table),
        n_buildings=n,
        matched_by_key=int((how == "key").sum()),
        matched_by_address=list(table.index[how == "address"]),
        assigned_by_stem=stem_moves,
        unplaced=list(table.index[~placed]),
        buildings_without_rows=list(ids[rows_per == 0]),
        duplicate_rows=list(table.index[dup]),
        blank_counts=blanks,
        totals=totals,
    )
    return out, report


_KINDS = ("key", "address", "stem")


def _match_kinds(how: np.ndarray, target: np.ndarray, n: int) -> np.ndarray:
    """Per building: how its rows were matched (``"key+address"``...; ``"none"``)."""
    bit = np.zeros(len(how), dtype=np.int64)
    for k, kind in enumerate(_KINDS):
        bit[how == kind] = 1 << k
    mask = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(mask, target, bit)
    names = [
        "+".join(sorted(kind for k, kind in enumerate(_KINDS) if m >> k & 1)) or "none"
        for m in range(1 << len(_KINDS))
    ]
    return np.asarray(names, dtype=object)[mask]


def _pair(spec: str | tuple[str, str] | None) -> tuple[str | None, str | None]:
    if spec is None:
        return None, None
    if isinstance(spec, str):
        return spec, spec
    if isinstance(spec, tuple | list) and len(spec) == 2 and all(isinstance(s, str) for s in spec):
        return spec[0], spec[1]
    raise ConfigError(
        f"{spec!r}: give a column name or a pair (buildings column, register column)."
    )


def _need(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        have = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise ColumnError(
            f"column(s) {', '.join(map(repr, missing))} are not in the {what} table; "
            f"it has: {have}."
        )


def _building_ids(buildings: gpd.GeoDataFrame, bkey: str | None) -> pd.Index:
    ids = pd.Index(_keys(buildings[bkey])) if bkey is not None else buildings.index
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise IdError(
            f"building key(s) {_rows(pd.unique(ids[dup]))} repeat in the buildings layer; "
            "the register cannot tell these buildings apart. Dissolve the pieces of one "
            "building (layers cut into tiles repeat ids) or give each its own key.",
            rows=list(pd.unique(ids[dup])),
        )
    return ids
