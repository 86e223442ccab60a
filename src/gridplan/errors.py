"""Every exception gridplan raises on purpose.

One hierarchy rooted at :class:`GridplanError`, so that a caller can catch
everything the library reports about its input with one ``except``. Input
errors also derive from :class:`ValueError` so generic code keeps working.

Messages follow one rule: name the offending rows, columns, keys or
constraints, then say how to fix it.

>>> from gridplan.errors import GridplanError, ColumnError
>>> issubclass(ColumnError, GridplanError) and issubclass(ColumnError, ValueError)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "CRSError",
    "ColumnError",
    "ConfigError",
    "DataValueError",
    "GeometryError",
    "GridplanError",
    "GridplanWarning",
    "IdError",
    "InfeasibleError",
    "InputError",
    "IslandError",
    "NetworkError",
    "NoSolutionError",
    "SolverError",
    "format_rows",
]


def format_rows(rows: Iterable[Any], limit: int = 10) -> str:
    """Render row labels for a message: the first ``limit``, then a count.

    >>> format_rows(["a", "b", "c"], limit=2)
    "'a', 'b' and 1 more"
    """
    rows = list(rows)
    shown = ", ".join(repr(r.item() if hasattr(r, "item") else r) for r in rows[:limit])
    extra = len(rows) - limit
    return f"{shown} and {extra} more" if extra > 0 else shown


class GridplanError(Exception):
    """Base of every error gridplan raises deliberately."""


class InputError(GridplanError, ValueError):
    """The input data cannot be used as given.

    ``rows`` holds the labels of the offending rows (possibly empty).
    """

    def __init__(self, message: str, rows: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.rows = list(rows)


class ConfigError(InputError):
    """A parameter, option or configuration key is invalid."""


class ColumnError(InputError):
    """A required column is missing or has the wrong type."""


class IdError(InputError):
    """Unit ids are missing or repeated."""


class DataValueError(InputError):
    """Numeric values are missing (NaN), negative, infinite or not numbers."""


class GeometryError(InputError):
    """Geometries are empty, invalid, or of the wrong type."""


class CRSError(InputError):
    """The coordinate reference system is missing or unusable."""


class IslandError(InputError):
    """The units do not form one connected piece (or a parent is split)."""


class NetworkError(InputError):
    """A street network cannot be used: empty after the walking filter, or unreadable."""


class InfeasibleError(GridplanError):
    """The requested plan cannot satisfy its constraints.

    ``details`` is a JSON-ready dict describing which constraint failed and the
    smallest relaxation that would work, when the library can compute it.
    """

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = dict(details or {})


class SolverError(GridplanError):
    """The optimisation solver failed, or is not installed."""


class GridplanWarning(UserWarning):
    """A result is usable but something in it needs the planner's attention.

    Raised through :func:`warnings.warn` and also kept on the result (for
    example ``Allocation.warnings``), so that reports and JSON outputs show it.
    """


class NoSolutionError(SolverError):
    """The solver stopped (time limit) before it found any plan; more time may help."""
