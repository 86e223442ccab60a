"""Allocation stays made of small functions: none 80 lines or longer, none above complexity 20.

Lines include the docstring; the measure is ``tests/_complexity.py`` (shared
with division).
"""

from __future__ import annotations

import pytest

pytest.importorskip("radon.complexity")

from _complexity import MAX_COMPLEXITY, MAX_LINES, too_long_or_tangled


def test_allocation_functions_are_short_and_simple():
    long, tangled, n = too_long_or_tangled("allocation")
    assert n > 50  # the measure sees the package
    assert not long, f"functions of {MAX_LINES}+ lines (docstring included): {long}"
    assert not tangled, f"functions above complexity {MAX_COMPLEXITY}: {tangled}"
