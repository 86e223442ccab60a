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

import inspect
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gridplan.division._roads import RoadWeight, check_road_weight
from gridplan.errors import ConfigError

if TYPE_CHECKING:
    from gridplan.division.criteria import Criterion

__all__ = ["OBJECTIVES", "DivideSpec", "parameter_docs"]

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

    The one place the parameters of :func:`~gridplan.division.divide` (which
    shows this section in its own help) and their defaults are documented.

    Parameters
    ----------
    n_grids, households_per_grid
        Exactly one: the number of grids, or a target size (the count is then
        ``round(load / households_per_grid)``, at least 1, per parent). With
        ``n_grids`` more than the parents (one grid without nesting) and a
        ``balance`` column that is 0 everywhere, there is no load to share the
        grids by: :class:`~gridplan.errors.InfeasibleError` (also with
        ``strict=False``), never fewer grids than asked. A single parent without
        load among loaded ones gets one grid.
    tolerance
        Allowed relative deviation of every grid's load from its target.
        The target of a grid is its parent's load divided by the parent's
        number of grids (the whole territory without ``within``).
    balance
        What to balance: ``"households"``, ``"population"`` or a numeric column.
        Demand or balance columns named like a column of ``plan.grids``
        (``n_units``, ``target``...) raise :class:`~gridplan.errors.ColumnError`:
        rename them.
    area_weight
        Weight of area evenness (secondary; 0 = ignore area).
    compactness
        Weight of short boundaries (shape quality) in the local search.
    within
        Parent column (e.g. ``"community"``): grids never straddle parents;
        each parent gets grids in proportion to its load (largest remainder,
        at least one each) and codes ``<parent>-01``, ``<parent>-02``...
        The parent's code is its value as text, whole floats without ``.0``
        (``410727001001.0`` gives ``410727001001-01``); values that read the
        same (``1`` and ``"1"``) raise :class:`~gridplan.errors.DataValueError`.
    seed
        Seed of every random choice; same input and seed give the same plan.
    time_limit
        Seconds for the search. ``None`` (default): a fixed amount of work
        that depends only on the input size (10,000 units take a few
        seconds, 50,000 about half a minute), so a seed gives the same plan
        everywhere. With a limit, the search stops at it and the plan may
        depend on the machine's speed.
    strict
        When no plan within tolerance exists (or none is found), raise
        :class:`~gridplan.errors.InfeasibleError` (default) or, with
        ``False``, return the best plan and list the violations in
        ``plan.metrics["violations"]``.
    exact
        When the search finds no valid plan on a small territory (up to 80
        units, no locked units), let an exact model decide: a plan, or a
        proof that none exists ("proven impossible"). ``None`` (default):
        only with ``strict``; it may take up to 30 s (or ``time_limit``).
    criteria
        Extra soft criteria of the search (see :mod:`gridplan.division.criteria`),
        e.g. ``[BalanceCriterion("elderly_alone", tolerance=0.2)]``: single-unit
        moves also weigh their change, never at the cost of the balance band.
    road_weight
        How much grids prefer to end on roads and barriers: a shared boundary
        marked ``road``/``barrier`` in the territory's graph (see
        :func:`gridplan.units.mark_roads`) costs ``1 / (1 + road_weight)`` of
        its length in the shape score. A number, or a mapping class -> number
        (``{"major_road": 8, "path": 0, "default": 2}``); 0 turns it off.
        Without marked edges it changes nothing.
    objective
        What the search shortens. ``"compact"`` (default): grid perimeters,
        scored by 1 / Polsby-Popper (short, round grids). ``"cut_edges"``:
        the number of neighbouring unit pairs split between grids, whatever
        their shared length (the measure of many districting studies; with
        ``compactness`` as its weight). Road discounts apply to both.
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


def parameter_docs() -> str:
    """The ``Parameters`` entries of :class:`DivideSpec`'s docstring, unindented.

    :func:`~gridplan.division.divide` appends them to its own, so each
    parameter is documented once. Entries run to the first blank line.

    >>> parameter_docs().splitlines()[0]
    'n_grids, households_per_grid'
    """
    doc = inspect.cleandoc(DivideSpec.__doc__ or "")
    head = "Parameters\n----------\n"
    if head not in doc:  # docstrings stripped (python -OO)
        return ""
    return doc.split(head, 1)[1].split("\n\n", 1)[0]
