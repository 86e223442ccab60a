"""Shared fixtures. Data under ../shared is optional: tests that need it skip cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder, or skip when this checkout has none beside it."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"{data} is absent (shared data sets are optional)")
    return data
