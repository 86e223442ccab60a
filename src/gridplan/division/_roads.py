"""Roads and barriers as preferred grid boundaries.

Edges of the territory's graph may carry ``road`` / ``barrier`` attributes
(class names, set by :func:`gridplan.units.mark_roads`). The division's local
search scores shape by grid perimeter; here the perimeter lying on a road or
barrier is made cheaper: an edge of length ``L`` with weight ``w`` costs
``L / (1 + w)``, and each unit's perimeter drops by the same discount, so the
grid "perimeters" the search sees stay consistent (sum of unit costs minus
twice the internal shared cost). Reported metrics keep the true lengths.

>>> import networkx as nx, numpy as np
>>> from gridplan.division._graph import Adjacency
>>> g = nx.Graph()
>>> g.add_edge("a", "b", length=10.0, road="major_road")
>>> g.add_edge("b", "c", length=10.0)
>>> adj = Adjacency.from_networkx(g, ["a", "b", "c"])
>>> cost, per = road_costs(g, ["a", "b", "c"], adj, np.full(3, 40.0), 3.0)
>>> sorted(cost.length.tolist()), per.tolist()
([2.5, 2.5, 10.0, 10.0], [32.5, 32.5, 40.0])
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from numbers import Real

import networkx as nx
import numpy as np

from gridplan.division._graph import Adjacency
from gridplan.errors import ConfigError

__all__ = ["check_road_weight", "road_costs", "road_share"]

RoadWeight = float | Mapping[str, float]


def check_road_weight(road_weight: RoadWeight) -> None:
    """Raise :class:`ConfigError` unless a weight >= 0 or a mapping class -> weight >= 0."""
    values = road_weight.values() if isinstance(road_weight, Mapping) else [road_weight]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, Real) or not v >= 0 or v == float("inf"):
            raise ConfigError(
                f"road_weight={road_weight!r}: give a number >= 0 (0 = no preference for "
                "roads) or a mapping road class -> number, e.g. {'major_road': 4, 'path': 0}."
            )


def _weight(cls: str, road_weight: RoadWeight) -> float:
    if isinstance(road_weight, Mapping):
        return float(road_weight.get(cls, road_weight.get("default", 0.0)))
    return float(road_weight)


def _marked(graph: nx.Graph) -> list[tuple[Hashable, Hashable, float, str]]:
    out = []
    for u, v, d in graph.edges(data=True):
        cls = d.get("barrier") or d.get("road")
        if cls:
            out.append((u, v, float(d.get("length", 0.0)), str(cls)))
    return out


def road_costs(
    graph: nx.Graph,
    nodes: Sequence[Hashable],
    adj: Adjacency,
    perimeter: np.ndarray,
    road_weight: RoadWeight,
) -> tuple[Adjacency, np.ndarray]:
    """``adj`` and unit perimeters with road/barrier edges discounted (see module docstring).

    Returns the inputs unchanged when no edge is marked or every weight is 0.
    A barrier's class is looked up like a road's (``{"river": 8}``).
    """
    marked = _marked(graph)
    if not marked:
        return adj, perimeter
    pos = {u: k for k, u in enumerate(nodes)}
    discount: dict[tuple[int, int], float] = {}
    for u, v, length, cls in marked:
        w = _weight(cls, road_weight)
        if w > 0:
            discount[(min(pos[u], pos[v]), max(pos[u], pos[v]))] = length * w / (1.0 + w)
    if not discount:
        return adj, perimeter
    i, j, ln = adj.edges()
    pairs = zip(i.tolist(), j.tolist(), strict=True)
    cut = np.array([discount.get((a, b), 0.0) for a, b in pairs], dtype=float)
    per = np.asarray(perimeter, dtype=float).copy()
    np.subtract.at(per, i, cut)
    np.subtract.at(per, j, cut)
    return Adjacency.from_edges(adj.n, i, j, ln - cut), per


def road_share(graph: nx.Graph, assignment: Mapping[Hashable, str]) -> float | None:
    """Share of the grid boundary length (between grids) that lies on roads or barriers.

    ``None`` when no edge of the graph is marked (nothing is known about roads).
    """
    if not _marked(graph):
        return None
    total = on = 0.0
    for u, v, d in graph.edges(data=True):
        if assignment[u] != assignment[v]:
            ln = float(d.get("length", 0.0))
            total += ln
            if d.get("road") or d.get("barrier"):
                on += ln
    return on / total if total > 0 else 0.0
