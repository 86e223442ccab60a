"""gridplan: community grid planning.

Data flows one way: :class:`Territory` (validated units and their contiguity
graph) → :func:`divide` (balanced contiguous grids, a :class:`GridPlan`) →
:func:`allocate` (service points, grid workers, volunteers under a budget, an
:class:`Allocation`) → :mod:`gridplan.maps`, :mod:`gridplan.plots` and files.

>>> import gridplan
>>> sorted(set(gridplan.__all__) - set(dir(gridplan)))
[]
"""

from gridplan import batch, coverage, datasets, existing, locate, maps, network, plots, units
from gridplan.allocation import Allocation, NeedRule, Rules, allocate, budget_sweep, minimum_budget
from gridplan.division import GridPlan, divide
from gridplan.errors import (
    ColumnError,
    ConfigError,
    CRSError,
    DataValueError,
    GeometryError,
    GridplanError,
    GridplanWarning,
    IdError,
    InfeasibleError,
    InputError,
    IslandError,
    NetworkError,
    SolverError,
)
from gridplan.existing import Assessment, Rebalance, assess, rebalance
from gridplan.scenario import load_scenario, run_scenario
from gridplan.territory import Territory

__version__ = "0.1.0"

__all__ = [
    "Allocation",
    "Assessment",
    "CRSError",
    "ColumnError",
    "ConfigError",
    "DataValueError",
    "GeometryError",
    "GridPlan",
    "GridplanError",
    "GridplanWarning",
    "IdError",
    "InfeasibleError",
    "InputError",
    "IslandError",
    "NeedRule",
    "NetworkError",
    "Rebalance",
    "Rules",
    "SolverError",
    "Territory",
    "__version__",
    "allocate",
    "assess",
    "batch",
    "budget_sweep",
    "coverage",
    "datasets",
    "divide",
    "existing",
    "load_scenario",
    "locate",
    "maps",
    "minimum_budget",
    "network",
    "plots",
    "rebalance",
    "run_scenario",
    "units",
]
