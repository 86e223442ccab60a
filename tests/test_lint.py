"""The code base stays ruff clean and type checks (the dev extra, which `make test` installs)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "benchmarks", "sample_data"]


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return found


# notebooks are linted, not reformatted (their cells are laid out for reading)
@pytest.mark.parametrize(
    ("args", "paths"),
    [(["check"], [*PATHS, "notebooks"]), (["format", "--check"], PATHS)],
)
def test_ruff(args, paths):
    res = subprocess.run(
        [_tool("ruff"), *args, *paths], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_mypy_on_the_package():
    res = subprocess.run(
        [_tool("mypy"), "src/gridplan"], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0, res.stdout + res.stderr
