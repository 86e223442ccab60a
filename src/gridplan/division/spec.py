"""``DivideSpec``: the validated parameters of :func:`~gridplan.division.divide`.

The single source of the division defaults: :func:`divide`, the scenario
schema (``[divide]`` in a scenario TOML) and the ``gridplan divide`` command
all read them from here. Building a spec checks every value and raises
:class:`~gridplan.errors.ConfigError` naming the parameter and the fix.

>>> spec = DivideSpec(n_grids=4)
>>> spec.tolerance, spec.balance, spec.compactness, spec.strict
(0.05, 'households', 1.0, True)
>>> DivideSpec(n_grids=4, tolerance=-1)
Traceback (most recent call last):
...
gridplan.errors.ConfigError: tolerance=-1: give a number 0 or more.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gridplan.division._roads import RoadWeight, check_road_weight
from gridplan.errors import ConfigError

if TYPE_CHECKING:
    from gridplan.division.criteria import Criterion

__all__ = ["OBJECTIVES", "DivideSpec"]

#: What the search shortens: ``"compact"`` (grid perimeters, scored by 1 / Polsby-Popper)
#: or ``"cut_edges"`` (the number of neighbouring unit pairs split between grids).
OBJECTIVES = ("compact", "cut_edges")


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _as_real(value: object) -> float | None:
    """``value`` as a float when it is a real number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def _check_size(n_grids: object, households_per_grid: object) -> None:
    if (n_grids is None) == (households_per_grid is None):
        raise ConfigError(
            "give exactly one of n_grids (the number of grids) or households_per_grid "
            f"(the target size); got n_grids={n_grids!r}, "
            f"households_per_grid={households_per_grid!r}."
        )
    if n_grids is not None and not (_is_int(n_grids) and int(n_grids) >= 1):  # type: ignore[call-overload]
        raise ConfigError(f"n_grids={n_grids!r}: give a whole number of grids, 1 or more.")
    if households_per_grid is not None:
        size = _as_real(households_per_grid)
        if size is None or not (math.isfinite(size) and size > 0):
            raise ConfigError(
                f"households_per_grid={households_per_grid!r}: give a positive number, e.g. 300."
            )


def _check_weights(**values: object) -> None:
    for name, value in values.items():
        real = _as_real(value)
        if real is None or math.isnan(real) or real < 0:
            raise ConfigError(f"{name}={value!r}: give a number 0 or more.")


def _check_run(seed: object, time_limit: object, strict: object) -> None:
    if not (_is_int(seed) and int(seed) >= 0):  # type: ignore[call-overload]
        raise ConfigError(f"seed={seed!r}: give a non-negative whole number.")
    if time_limit is not None:
        limit = _as_real(time_limit)
        if limit is None or not limit > 0:
            raise ConfigError(f"time_limit={time_limit!r}: give seconds (> 0) or None.")
    if not isinstance(strict, bool):
        raise ConfigError(f"strict={strict!r}: give True or False.")


@dataclass(frozen=True)
class DivideSpec:
    """What to divide for: size, balance, weights, nesting, seed and effort.

    Field meanings are those of :func:`~gridplan.division.divide`'s
    parameters of the same names; ``criteria`` holds extra soft criteria
    (see :mod:`gridplan.division.criteria`).
    """

    n_grids: int | None = None
    households_per_grid: float | None = None
    tolerance: float = 0.05
    balance: str = "households"
    area_weight: float = 0.0
    compactness: float = 1.0
    within: str | None = None
    seed: int = 0
    time_limit: float | None = None
    strict: bool = True
    exact: bool | None = None  # None: the exact fallback runs only with strict
    criteria: Sequence[Criterion] = field(default_factory=tuple)
    road_weight: RoadWeight = 2.0  # no effect unless the territory's graph marks roads
    objective: str = "compact"  # or "cut_edges": fewest neighbouring units split between grids

    def __post_init__(self) -> None:
        _check_size(self.n_grids, self.households_per_grid)
        _check_weights(
            tolerance=self.tolerance, area_weight=self.area_weight, compactness=self.compactness
        )
        _check_run(self.seed, self.time_limit, self.strict)
        if not isinstance(self.balance, str):
            raise ConfigError(
                f"balance={self.balance!r}: give 'households', 'population' or a column."
            )
        if self.exact not in (None, True, False):
            raise ConfigError(f"exact={self.exact!r}: give True, False or None (automatic).")
        self._check_criteria()
        check_road_weight(self.road_weight)
        if self.objective not in OBJECTIVES:
            raise ConfigError(
                f"objective={self.objective!r}: give 'compact' (short, round grids) or "
                "'cut_edges' (fewest neighbouring units split between grids)."
            )

    def _check_criteria(self) -> None:
        from gridplan.division.criteria import Criterion

        if isinstance(self.criteria, str | bytes) or not isinstance(self.criteria, Sequence):
            raise ConfigError(
                f"criteria={self.criteria!r}: give a list of criterion objects, e.g. "
                "[BalanceCriterion('elderly_alone', tolerance=0.2)]."
            )
        bad = [c for c in self.criteria if not isinstance(c, Criterion)]
        if bad:
            raise ConfigError(
                f"criteria holds {bad[0]!r}, which is not a gridplan.division.criteria."
                "Criterion; build one, e.g. BalanceCriterion('elderly_alone', tolerance=0.2)."
            )
        object.__setattr__(self, "criteria", tuple(self.criteria))

    def params(self, balance_column: str, n_locked: int) -> dict[str, Any]:
        """The JSON-ready ``plan.params`` of a plan made with this spec."""
        out: dict[str, Any] = {
            "n_grids": None if self.n_grids is None else int(self.n_grids),
            "households_per_grid": (
                None if self.households_per_grid is None else float(self.households_per_grid)
            ),
            "tolerance": float(self.tolerance),
            "balance": self.balance,
            "balance_column": balance_column,
            "area_weight": float(self.area_weight),
            "compactness": float(self.compactness),
            "within": self.within,
            "n_locked": n_locked,
            "seed": int(self.seed),
            "time_limit": None if self.time_limit is None else float(self.time_limit),
            "strict": self.strict,
            "road_weight": (
                dict(self.road_weight)
                if isinstance(self.road_weight, Mapping)
                else float(self.road_weight)
            ),
        }
        if self.criteria:
            out["criteria"] = [c.describe() for c in self.criteria]
        if self.objective != "compact":  # plans made with the default read as before
            out["objective"] = self.objective
        return out
