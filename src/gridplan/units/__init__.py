"""From a planner's raw layers to units: registers joined to buildings, tessellation, roads.

>>> from gridplan import units
>>> sorted(units.__all__)[:3]
['MatchReport', 'join_register', 'read_register']
"""

from gridplan.units.register import MatchReport, join_register, read_register

__all__ = ["MatchReport", "join_register", "read_register"]
