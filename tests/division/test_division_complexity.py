"""Division stays made of small functions: none 80 lines or longer, none above complexity 20.

Lines count from ``def`` to the last line, docstring included; complexity is
radon's cyclomatic complexity (measured in ``tests/_complexity.py``, which also
serves the allocation check and prints both: ``python tests/_complexity.py``).
"""

from __future__ import annotations

import pytest

pytest.importorskip("radon.complexity")

from _complexity import MAX_COMPLEXITY, MAX_LINES, complexity, lines, too_long_or_tangled


def test_division_functions_are_short_and_simple():
    long, tangled, n = too_long_or_tangled("division")
    assert n > 50  # the measure sees the package
    assert not long, f"functions of {MAX_LINES}+ lines (docstring included): {long}"
    assert not tangled, f"functions above complexity {MAX_COMPLEXITY}: {tangled}"


def test_the_measure_catches_a_long_tangled_function(tmp_path):
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(45))
    path = tmp_path / "bad.py"
    path.write_text(f'def f(x):\n    """Doc\n    string."""\n{body}    return -1\n')
    assert lines(path)["bad.py:1:f"] == 94  # the docstring counts
    assert complexity(path)["bad.py:1:f"] == 46
