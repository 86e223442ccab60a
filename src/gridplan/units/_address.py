"""Normalising Chinese building addresses so that variant spellings compare equal.

The register and the building layer come from different systems, and the same
building is written in several ways: full-width digits (``１２号``), spaces,
``幢``/``座``/``号楼``/``#`` for ``栋``, Chinese numerals (``三栋``), a unit and
room number after the building (``3栋2单元501室``). :func:`normalise` maps all
of these to one key, :func:`stem` drops the building number to find the
compound a building belongs to.

>>> normalise(" 幸福路１２号 三幢 2单元501室")
'幸福路12号3栋'
>>> normalise("幸福路12号3#楼") == normalise("幸福路12号3号楼") == "幸福路12号3栋"
True
>>> stem("幸福路12号3栋"), building_number("幸福路12号3栋")
('幸福路12号', 3)
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = ["building_number", "normalise", "normalise_series", "stem"]

_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_DIGITS["两"] = 2
_CN_NUMBER = re.compile(r"[零一二两三四五六七八九十]+(?=栋|单元|号|层|室)")
_SPACE = re.compile(r"[\s\u3000·,，。、\"'“”（）()]+")
_BUILDING = re.compile(r"(?:号楼|#楼|#|幢|座|栋|楼栋)")
# Everything after the building number: unit, floor, room ("2单元501室", "-2-501", "501").
_AFTER_BUILDING = re.compile(r"(\d+栋).*$")
_NUMBERED = re.compile(r"(\d+)栋$")
_TRAILING_ROOM = re.compile(r"(?:[-—]?\d+(?:单元|层|室|房|户)?)+$")


def _cn_to_int(text: str) -> str:
    """``三`` → ``3``, ``十二`` → ``12``, ``二十一`` → ``21`` (1–99)."""
    if "十" not in text:
        return "".join(str(_DIGITS[c]) for c in text)
    tens, _, ones = text.partition("十")
    value = (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
    return str(value)


def normalise(address: str) -> str:
    """One comparable key per building address (empty string for a missing one)."""
    if not isinstance(address, str):
        return ""
    text = unicodedata.normalize("NFKC", address)
    text = _SPACE.sub("", text).upper()
    text = _BUILDING.sub("栋", text)
    text = _CN_NUMBER.sub(lambda m: _cn_to_int(m.group(0)), text)
    building = _AFTER_BUILDING.search(text)
    if building:
        return text[: building.start()] + building.group(1)
    # No building token: a house number ("幸福路12号"), maybe followed by a room.
    if "号" in text:
        head, _, tail = text.rpartition("号")
        if _TRAILING_ROOM.fullmatch(tail) or not tail:
            return head + "号"
    return text


def normalise_series(values: pd.Series) -> pd.Series:
    """:func:`normalise` over a column, computed once per distinct value."""
    uniq = pd.unique(values.to_numpy(dtype=object))
    keys = {u: normalise(u) for u in uniq}
    raw = values.to_numpy(dtype=object)
    out = np.fromiter((keys[v] for v in raw), dtype=object, count=len(raw))
    return pd.Series(out, index=values.index)


def stem(key: str) -> str:
    """The compound part of a normalised key: the key without its building number."""
    m = _NUMBERED.search(key)
    return key[: m.start()] if m else key


def building_number(key: str) -> int | None:
    """The building number of a normalised key (``None`` when it has none)."""
    m = _NUMBERED.search(key)
    return int(m.group(1)) if m else None
