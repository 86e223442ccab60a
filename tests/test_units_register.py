"""Household registers: reading CSV/Excel in any usual encoding, joining to buildings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridplan.errors import ColumnError, ConfigError, DataValueError, IdError, InputError
from gridplan.units import MatchReport, join_register, read_register
from gridplan.units._address import normalise

COUNTS = ["households", "residents", "age60plus"]


def _buildings() -> gpd.GeoDataFrame:
    addrs = ["幸福路12号1栋", "幸福路12号2栋", "幸福路12号5栋", "建设街3号", "建设街8号"]
    return gpd.GeoDataFrame(
        {"bid": [f"B{i}" for i in range(1, 6)], "addr": addrs, "floors": [6, 6, 18, 3, 2]},
        geometry=[shapely.box(20 * i, 0, 20 * i + 10, 10) for i in range(5)],
        crs="EPSG:32650",
    )


def _register() -> pd.DataFrame:
    rows = [
        ("B1", "幸福路12号1栋", "10", "25", "4"),
        ("B1", "幸福路12号1栋", "12户", "30人", ""),
        ("", "幸福路１２号 二幢 3单元501室", "5", "11", "2"),  # no key: by address
        ("B99", "建设街 3 号", "3", "7", "1"),  # unknown key, known address
        ("", "幸福路12号4#楼", "6", "14", "3"),  # building 4 unknown: nearest of compound = 5栋
        ("", "光明路1号", "2", "5", "0"),  # nowhere: unplaced
        ("B1", "幸福路12号1栋", "10", "25", "4"),  # exact repeat of the first row
    ]
    return pd.DataFrame(rows, columns=["bid", "addr", *COUNTS])


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("幸福路１２号 三幢", "幸福路12号3栋"),
        ("幸福路12号3号楼2单元501室", "幸福路12号3栋"),
        ("幸福路12号 3#", "幸福路12号3栋"),
        ("幸福路12号三座", "幸福路12号3栋"),
        ("幸福路12号十二栋", "幸福路12号12栋"),
        ("幸福路12号二十一栋1201", "幸福路12号21栋"),
        ("建设街3号501室", "建设街3号"),
        ("建设街3号", "建设街3号"),
        ("ＡＢ小区3栋", "AB小区3栋"),
        ("ab小区 3 栋", "AB小区3栋"),
    ],
)
def test_address_variants_normalise_to_one_key(raw, key):
    assert normalise(raw) == key


def test_join_places_every_household_and_reports_how():
    b, reg = _buildings(), _register()
    joined, rep = join_register(b, reg, on="bid", address="addr", counts=COUNTS)
    assert isinstance(rep, MatchReport)
    assert joined["households"].tolist() == [32.0, 5.0, 6.0, 3.0, 0.0]
    assert rep.matched_by_key == 3
    assert rep.matched_by_address == [2, 3]
    assert rep.assigned_by_stem == [{"row": 4, "address": "幸福路12号4#楼", "building": "B3"}]
    assert rep.unplaced == [5]
    assert rep.buildings_without_rows == ["B5"]
    assert rep.duplicate_rows == [6]
    assert rep.blank_counts == {"age60plus": [1]}
    for col in COUNTS:
        t = rep.totals[col]
        assert (
            t["register"]
            == pd.to_numeric(reg[col].str.rstrip("户人"), errors="coerce").fillna(0).sum()
        )
        assert t["joined"] == joined[col].sum()
        assert t["register"] == t["joined"] + t["unplaced"]
    assert rep.totals["households"] == {"register": 48.0, "joined": 46.0, "unplaced": 2.0}
    assert joined["match"].tolist() == ["key", "address", "stem", "address", "none"]
    assert joined["register_rows"].sum() + len(rep.unplaced) == len(reg)
    d = rep.to_dict()
    assert d["unplaced"] == [5] and d["match_rate"]["key"] == pytest.approx(3 / 7)
    assert "unplaced rows" in rep.summary() and "光明路" not in rep.summary()


def test_without_stem_fallback_the_row_stays_unplaced():
    _, rep = join_register(
        _buildings(), _register(), on="bid", address="addr", counts=COUNTS, stem_fallback=False
    )
    assert rep.unplaced == [4, 5]
    assert rep.totals["households"]["unplaced"] == 8.0


def test_address_only_join_uses_the_building_index():
    b = _buildings().set_index("bid")
    joined, rep = join_register(b, _register(), address="addr", counts=["households"])
    assert rep.matched_by_key == 0
    assert joined.loc["B1", "households"] == 32.0
    assert rep.totals["households"]["register"] == 48.0


def test_text_counts_that_are_not_numbers_name_their_rows():
    reg = _register()
    reg.loc[3, "households"] = "十二户"
    reg.loc[4, "households"] = "n/a"
    with pytest.raises(DataValueError, match=r"'households'.*3: '十二户'.*4: 'n/a'") as exc:
        join_register(_buildings(), reg, on="bid", address="addr", counts=COUNTS)
    assert exc.value.rows == [3, 4]


def test_negative_counts_are_rejected():
    reg = _register()
    reg.loc[2, "residents"] = "-3"
    with pytest.raises(DataValueError, match="negative") as exc:
        join_register(_buildings(), reg, on="bid", counts=COUNTS)
    assert exc.value.rows == [2]


def test_bad_input_gets_typed_errors():
    b, reg = _buildings(), _register()
    with pytest.raises(ColumnError, match="'building'"):
        join_register(b, reg, on="building")
    with pytest.raises(ConfigError):
        join_register(b, reg)
    with pytest.raises(InputError, match="empty"):
        join_register(b, reg.iloc[:0], on="bid", counts=COUNTS)
    b.loc[1, "bid"] = "B1"
    with pytest.raises(IdError, match="'B1'"):
        join_register(b, reg, on="bid", counts=COUNTS)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    reg = _register()
    path = tmp_path / "register.csv"
    path.write_bytes(reg.to_csv(index=False).encode(encoding))
    back = read_register(path)
    assert back.attrs["encoding"] in ("utf-8", "gb18030")
    assert back["addr"].tolist() == reg["addr"].tolist()
    assert back.index.tolist() == list(range(2, 2 + len(reg)))  # spreadsheet rows
    _, rep = join_register(_buildings(), back, on="bid", address="addr", counts=COUNTS)
    assert rep.unplaced == [7]  # row 7 of the file is光明路
    assert rep.totals["households"]["register"] == 48.0


def test_explicit_wrong_encoding_is_an_input_error(tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(_register().to_csv(index=False).encode("gbk"))
    with pytest.raises(InputError, match="utf-8"):
        read_register(path, encoding="utf-8")
    assert read_register(path, encoding="gbk")["addr"][4] == "幸福路１２号 二幢 3单元501室"


def test_xlsx_is_read(tmp_path):
    reg = _register()
    path = tmp_path / "register.xlsx"
    reg.to_excel(path, index=False)
    back = read_register(path)
    assert back.attrs["encoding"] == "xlsx"
    joined, rep = join_register(_buildings(), back, on="bid", address="addr", counts=COUNTS)
    assert joined["households"].sum() + rep.totals["households"]["unplaced"] == 48.0


DATA = Path(__file__).resolve().parent / "data"


def test_xls_is_read_like_xlsx(tmp_path):
    """tests/data/register.xls: the _register() rows saved by Excel 97-2003 (counts as numbers
    where they are numbers); read through the extra 'xls' (xlrd) as the same text table."""
    pytest.importorskip("xlrd", reason="the extra 'xls'")
    back = read_register(DATA / "register.xls")
    assert back.attrs["encoding"] == "xls" and back.index.tolist() == list(range(2, 9))
    expected = _register().replace("", None)
    assert back.fillna("").to_numpy().tolist() == expected.fillna("").to_numpy().tolist()
    joined, rep = join_register(_buildings(), back, on="bid", address="addr", counts=COUNTS)
    assert rep.matched_by_address == [4, 5] and rep.unplaced == [7]
    assert joined["households"].sum() + rep.totals["households"]["unplaced"] == 48.0


def test_xls_without_xlrd_names_the_extra(tmp_path):
    code = (
        "import sys; sys.modules['xlrd'] = None\n"
        "from gridplan.units import read_register\n"
        f"read_register({str(DATA / 'register.xls')!r})"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert "InputError" in res.stderr and "pip install 'gridplan[xls]'" in res.stderr
    (tmp_path / "register.ods").write_bytes(b"")
    with pytest.raises(InputError, match=r"unknown type '\.ods'; use \.csv, \.xlsx or \.xls"):
        read_register(tmp_path / "register.ods")


def test_numeric_keys_read_as_numbers_still_match():
    b = _buildings()
    b["code"] = [101, 102, 103, 104, 105]
    reg = pd.DataFrame({"code": [101.0, 105.0, np.nan], "households": [1, 2, 3]})
    joined, rep = join_register(b, reg, on="code")
    assert joined["households"].tolist() == [1.0, 0.0, 0.0, 0.0, 2.0]
    assert rep.unplaced == [2]
