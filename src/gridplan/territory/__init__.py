"""Territory: the validated units every algorithm takes, and their contiguity graph."""

from gridplan.territory.contiguity import connect_islands, contiguity_graph
from gridplan.territory.territory import Territory

__all__ = ["Territory", "connect_islands", "contiguity_graph"]
