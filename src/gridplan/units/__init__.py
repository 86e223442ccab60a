"""From a planner's raw layers to units: registers joined to buildings, tessellation, roads.

>>> from gridplan import units
>>> sorted(units.__all__)[:2]
['MatchReport', 'enclosures']
"""

from gridplan.units.layers import from_layers
from gridplan.units.register import MatchReport, join_register, read_register
from gridplan.units.roads import mark_roads
from gridplan.units.tessellate import enclosures, tessellate

__all__ = [
    "MatchReport",
    "enclosures",
    "from_layers",
    "join_register",
    "mark_roads",
    "read_register",
    "tessellate",
]
