"""Progress bars on a terminal, drawn even where the terminal reports no size.

A pseudo-terminal opened without a size (``script``, CI runners, some IDE consoles)
reports 0 columns and 0 rows; tqdm then draws nothing at all. The size falls
back to ``$COLUMNS``/``$LINES`` or 80 × 24 instead.

>>> terminal_columns() > 0
True
"""

from __future__ import annotations

import shutil
from typing import Any, TextIO

__all__ = ["terminal_bar", "terminal_columns", "terminal_lines"]


def terminal_columns() -> int:
    """The terminal's width, or ``$COLUMNS``, or 80 when neither is known."""
    return shutil.get_terminal_size((80, 24)).columns or 80


def terminal_lines() -> int:
    """The terminal's height, or ``$LINES``, or 24 when neither is known."""
    return shutil.get_terminal_size((80, 24)).lines or 24


def terminal_bar(total: int, file: TextIO, **options: Any) -> Any:
    """A tqdm bar on ``file`` at a fixed size that is never zero."""
    from tqdm import tqdm

    return tqdm(total=total, file=file, ncols=terminal_columns(), nrows=terminal_lines(), **options)
