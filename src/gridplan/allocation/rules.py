"""Planning rules for :func:`gridplan.allocate`: needs, worker rules, objective weights.

Everything the allocation model assumes about needs and priorities lives in one
frozen dataclass, :class:`Rules`, so a city can state its own practice:

>>> from gridplan.allocation.rules import NeedRule, Rules
>>> r = Rules()
>>> r.needs["elderly_care"]
NeedRule(column='elderly_alone', visits_per_month=4.0, hours_per_visit=1.0)
>>> strict = r.replace(needs={"elderly_care": NeedRule("elderly_alone", 8, 1.5)})
>>> strict.needs["elderly_care"].hours_per_month(10)
120.0

Default figures are *illustrative* (our assumptions, not an official standard).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from gridplan.allocation._inputs import check_number
from gridplan.errors import ConfigError

__all__ = ["DEFAULT_NEEDS", "NeedRule", "Rules"]


@dataclass(frozen=True)
class NeedRule:
    """Volunteer hours a grid needs per month for one skill.

    ``hours = grids[column] * visits_per_month * hours_per_visit``.
    """

    column: str
    visits_per_month: float
    hours_per_visit: float

    def hours_per_month(self, count: Any) -> Any:
        """Monthly hours for ``count`` people (or households) of ``column``."""
        return count * float(self.visits_per_month) * float(self.hours_per_visit)


#: Illustrative defaults: weekly visits to elderly people living alone and to disabled
#: residents, a monthly health check for one in four people aged 60+, a little tutoring
#: per child, and legal-aid clinic time in proportion to households.
DEFAULT_NEEDS: Mapping[str, NeedRule] = MappingProxyType(
    {
        "elderly_care": NeedRule("elderly_alone", 4.0, 1.0),
        "disability": NeedRule("disabled", 4.0, 1.0),
        "health": NeedRule("age60plus", 0.25, 0.5),
        "tutoring": NeedRule("children", 0.25, 1.0),
        "legal": NeedRule("households", 0.02, 0.5),
    }
)


def _default_vulnerable() -> Mapping[str, float]:
    return MappingProxyType({"elderly_alone": 2.0, "disabled": 2.0})


@dataclass(frozen=True)
class Rules:
    """Rules and weights of the allocation model (all overridable).

    Needs
        ``needs``: skill → :class:`NeedRule`. A volunteer can serve a skill only if
        it is listed in their ``skills``. A missing demand column means no need.

    Workers (网格员)
        ``require_lead_worker`` (default True): every grid gets exactly one lead
        worker (一格一员); an impossible budget then raises
        :class:`~gridplan.errors.InfeasibleError`. When False a grid may go
        without, at a loss in the objective.
        ``one_grid_one_worker`` (default True): a worker leads at most one grid.
        When False each worker leads at most their ``max_grids`` column (or
        ``default_max_grids`` if the column is absent).

    Budget
        ``open_cost_years``: a new site's ``open_cost`` is spread over this many
        years in the yearly budget (default 1: all of it in the plan year).
        Existing sites pay only ``annual_cost``.

    Objective (maximised; every term is "value" per month or per household)
        Each grid's *need value* is ``households + sum(vulnerable_weights[c] *
        grids[c])`` (by default elderly living alone and disabled residents count
        twice more). Terms:

        * ``weight_site`` × need value × share of households served by an open site;
        * ``weight_lead`` × need value for each grid with a lead worker;
        * ``weight_hours`` × ``skill_weights.get(skill, 1)`` per volunteer hour per
          month delivered against need (never above the need);
        * minus ``travel_worker`` per km from a worker's home to their grid and
          ``travel_volunteer`` per hour·km of volunteer service;
        * minus ``cost_weight`` per yuan spent, so that equal coverage is bought
          at the lower price.

        The travel and cost weights are small on purpose: they only break ties
        between plans of (nearly) equal coverage.
    """

    needs: Mapping[str, NeedRule] = field(default_factory=lambda: DEFAULT_NEEDS)
    require_lead_worker: bool = True
    one_grid_one_worker: bool = True
    default_max_grids: int = 1
    open_cost_years: float = 1.0
    vulnerable_weights: Mapping[str, float] = field(default_factory=_default_vulnerable)
    weight_site: float = 1.0
    weight_lead: float = 1.0
    weight_hours: float = 1.0
    skill_weights: Mapping[str, float] = field(default_factory=dict)
    travel_worker: float = 0.1
    travel_volunteer: float = 0.01
    cost_weight: float = 1e-6

    def __post_init__(self) -> None:
        for name in (
            "open_cost_years",
            "weight_site",
            "weight_lead",
            "weight_hours",
            "travel_worker",
            "travel_volunteer",
            "cost_weight",
        ):
            check_number(f"Rules.{name}", getattr(self, name), minimum=0, allow_none=False)
        check_number("Rules.open_cost_years", self.open_cost_years, minimum=0, above_minimum=True)
        if (
            not isinstance(self.default_max_grids, (int, np.integer))
            or isinstance(self.default_max_grids, bool)
            or self.default_max_grids < 1
        ):
            raise ConfigError("Rules.default_max_grids must be an integer >= 1")
        for skill, rule in self.needs.items():
            if not isinstance(rule, NeedRule):
                raise ConfigError(f"Rules.needs[{skill!r}] must be a NeedRule, got {rule!r}")
            for rate in ("visits_per_month", "hours_per_visit"):
                name = f"Rules.needs[{skill!r}].{rate}"
                check_number(name, getattr(rule, rate), minimum=0, allow_none=False)
        for label, mapping in (
            ("vulnerable_weights", self.vulnerable_weights),
            ("skill_weights", self.skill_weights),
        ):
            for k, v in mapping.items():
                check_number(f"Rules.{label}[{k!r}]", v, minimum=0, allow_none=False)

    def replace(self, **changes: Any) -> Rules:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def need_hours(self, grids: pd.DataFrame) -> pd.DataFrame:
        """Monthly volunteer hours needed per grid (rows) and skill (columns)."""
        out = {}
        for skill, rule in self.needs.items():
            col = grids.get(rule.column, 0.0)
            out[skill] = rule.hours_per_month(np.asarray(col, dtype=float) * np.ones(len(grids)))
        return pd.DataFrame(out, index=grids.index, dtype=float)

    def missing_columns(self, grids: pd.DataFrame) -> list[str]:
        """Warnings for demand columns the rules read but ``grids`` lacks.

        A missing column counts as zero, which would report its need as fully met;
        so a default rule's missing column is a warning (returned, for the result and
        the report), and a column of a rule you changed or added is an error.

        >>> import pandas as pd
        >>> print(Rules().missing_columns(pd.DataFrame({"households": [10]}))[0][:50])
        grids lack the demand column(s) 'age60plus', 'chil
        """
        custom = sorted(
            {r.column for k, r in self.needs.items() if DEFAULT_NEEDS.get(k) != r}
            - set(grids.columns)
        )
        if custom:
            from gridplan.errors import ColumnError

            raise ColumnError(
                f"grids lack the column(s) {', '.join(map(repr, custom))} that your need "
                f"rules read; have {list(grids.columns)}. Add them to the grids (build the "
                "Territory with demand=[...] so divide sums them per grid) or change the rules."
            )
        used = {r.column: k for k, r in self.needs.items()}
        missing = sorted((set(used) | set(self.vulnerable_weights)) - set(grids.columns))
        if not missing:
            return []
        skills = sorted(used[c] for c in missing if c in used)
        return [
            f"grids lack the demand column(s) {', '.join(map(repr, missing))}: they count as "
            f"zero, so the need of {', '.join(map(repr, skills)) or 'no skill'} is reported "
            "as met and the need value ignores them. Build the Territory with "
            f"demand={missing!r} (CLI: --demand {','.join(missing)}) so grids carry them."
        ]

    def need_value(self, grids: pd.DataFrame) -> np.ndarray:
        """Each grid's need value: households plus weighted vulnerable residents."""
        v = np.asarray(grids["households"], dtype=float).copy()
        for col, w in self.vulnerable_weights.items():
            if col in grids:
                v += float(w) * np.asarray(grids[col], dtype=float)
        return v

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (used in :meth:`Allocation.to_dict`)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["needs"] = {k: dataclasses.asdict(v) for k, v in self.needs.items()}
        d["vulnerable_weights"] = dict(self.vulnerable_weights)
        d["skill_weights"] = dict(self.skill_weights)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Rules:
        d = dict(d)
        d["needs"] = {k: NeedRule(**v) for k, v in d.get("needs", {}).items()}
        return cls(**d)
