"""gridplan: community grid planning.

Data flows one way: :class:`Territory` (validated units and their contiguity
graph) → grid division → allocation of service points, workers and volunteers
→ maps, plots and files.

>>> import gridplan
>>> gridplan.GridplanError.__name__
'GridplanError'
"""

from gridplan.errors import (
    ColumnError,
    ConfigError,
    CRSError,
    DataValueError,
    GeometryError,
    GridplanError,
    IdError,
    InfeasibleError,
    InputError,
    IslandError,
    SolverError,
)
from gridplan.territory import Territory

__version__ = "0.1.0"

__all__ = [
    "CRSError",
    "ColumnError",
    "ConfigError",
    "DataValueError",
    "GeometryError",
    "GridplanError",
    "IdError",
    "InfeasibleError",
    "InputError",
    "IslandError",
    "SolverError",
    "Territory",
    "__version__",
]
