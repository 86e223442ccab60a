"""Scenario files and end-to-end runs (used by the command line and services)."""

from gridplan.scenario.config import SCHEMA_VERSION, load_scenario, parse_scenario
from gridplan.scenario.run import RunResult, run_allocation, run_scenario

__all__ = [
    "SCHEMA_VERSION",
    "RunResult",
    "load_scenario",
    "parse_scenario",
    "run_allocation",
    "run_scenario",
]
