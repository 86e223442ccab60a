"""Division stays made of small functions: none 80 lines or longer, none above complexity 20.

Measured with radon (cyclomatic complexity of every function and method)
and the AST (line span of every function, its docstring left out: the
parameter documentation of ``divide`` is long on purpose). allocation/ is reported, not
enforced yet: ``python tests/division/test_division_complexity.py`` prints both.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

radon_complexity = pytest.importorskip("radon.complexity")

SRC = Path(__file__).resolve().parents[2] / "src" / "gridplan"
MAX_LINES, MAX_COMPLEXITY = 80, 20


def _lines(path: Path) -> dict[str, int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
            span = node.end_lineno - node.lineno + 1
            first = node.body[0]
            doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            if doc and isinstance(first.value.value, str) and first.end_lineno:  # type: ignore[attr-defined]
                span -= first.end_lineno - first.lineno + 1
            out[f"{path.name}:{node.lineno}:{node.name}"] = span
    return out


def _complexity(path: Path) -> dict[str, int]:
    blocks = radon_complexity.cc_visit(path.read_text(encoding="utf-8"))
    out: dict[str, int] = {}
    for b in blocks:
        if b.letter in ("F", "M"):
            out[f"{path.name}:{b.lineno}:{b.name}"] = b.complexity
    return out


def measure(package: str) -> tuple[dict[str, int], dict[str, int]]:
    lines: dict[str, int] = {}
    cc: dict[str, int] = {}
    for path in sorted((SRC / package).glob("*.py")):
        lines |= _lines(path)
        cc |= _complexity(path)
    return lines, cc


def test_division_functions_are_short_and_simple():
    lines, cc = measure("division")
    assert len(lines) > 50 and len(cc) > 50  # the measure sees the package
    long = {k: v for k, v in lines.items() if v >= MAX_LINES}
    tangled = {k: v for k, v in cc.items() if v > MAX_COMPLEXITY}
    assert not long, f"functions of {MAX_LINES}+ lines: {long}"
    assert not tangled, f"functions above complexity {MAX_COMPLEXITY}: {tangled}"


def test_the_measure_catches_a_long_tangled_function(tmp_path):
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(45))
    path = tmp_path / "bad.py"
    path.write_text(f'def f(x):\n    """Doc\n    string."""\n{body}    return -1\n')
    assert _lines(path)["bad.py:1:f"] == 92
    assert _complexity(path)["bad.py:1:f"] == 46


if __name__ == "__main__":  # report both packages
    for pkg in sys.argv[1:] or ["division", "allocation"]:
        lines, cc = measure(pkg)
        worst = sorted(cc.items(), key=lambda kv: -kv[1])[:5]
        longest = sorted(lines.items(), key=lambda kv: -kv[1])[:5]
        print(
            f"{pkg}: {sum(v >= MAX_LINES for v in lines.values())} function(s) of 80+ lines, "
            f"{sum(v > MAX_COMPLEXITY for v in cc.values())} above complexity 20"
        )
        print("  most complex:", worst)
        print("  longest:", longest)
