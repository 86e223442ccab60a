"""Function size and complexity of a package, for the tests that keep them small.

Lines of a function count from its ``def`` to its last line, docstring
included; complexity is radon's cyclomatic complexity of every function and
method. ``python tests/_complexity.py [package ...]`` prints the worst ones.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "gridplan"
#: A function must stay under MAX_LINES lines (docstring included) and at most MAX_COMPLEXITY.
MAX_LINES, MAX_COMPLEXITY = 80, 20


def lines(path: Path) -> dict[str, int]:
    """``file:line:name`` -> lines from ``def`` to the function's last line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        f"{path.name}:{node.lineno}:{node.name}": node.end_lineno - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno
    }


def complexity(path: Path) -> dict[str, int]:
    """``file:line:name`` -> cyclomatic complexity (radon) of each function and method."""
    from radon.complexity import cc_visit

    blocks = cc_visit(path.read_text(encoding="utf-8"))
    return {f"{path.name}:{b.lineno}:{b.name}": b.complexity for b in blocks if b.letter in "FM"}


def measure(package: str) -> tuple[dict[str, int], dict[str, int]]:
    """Lines and complexity of every function in ``src/gridplan/<package>``."""
    out_lines: dict[str, int] = {}
    out_cc: dict[str, int] = {}
    for path in sorted((SRC / package).glob("*.py")):
        out_lines |= lines(path)
        out_cc |= complexity(path)
    return out_lines, out_cc


def too_long_or_tangled(package: str) -> tuple[dict[str, int], dict[str, int], int]:
    """The functions over the limits, and how many functions were measured."""
    n_lines, cc = measure(package)
    long = {k: v for k, v in n_lines.items() if v >= MAX_LINES}
    tangled = {k: v for k, v in cc.items() if v > MAX_COMPLEXITY}
    return long, tangled, min(len(n_lines), len(cc))


if __name__ == "__main__":
    for pkg in sys.argv[1:] or ["division", "allocation"]:
        n_lines, cc = measure(pkg)
        print(
            f"{pkg}: {sum(v >= MAX_LINES for v in n_lines.values())} function(s) of "
            f"{MAX_LINES}+ lines, {sum(v > MAX_COMPLEXITY for v in cc.values())} above "
            f"complexity {MAX_COMPLEXITY}"
        )
        print("  most complex:", sorted(cc.items(), key=lambda kv: -kv[1])[:5])
        print("  longest:", sorted(n_lines.items(), key=lambda kv: -kv[1])[:5])
