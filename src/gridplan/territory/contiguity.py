"""Contiguity graphs of polygons and the bridging of islands.

Pure functions over arrays of shapely geometries; :class:`~gridplan.Territory`
calls them once and keeps the graph.

>>> import shapely
>>> squares = [shapely.box(x, 0, x + 1, 1) for x in range(3)]
>>> g = contiguity_graph(squares, ["a", "b", "c"])
>>> sorted(g.edges(data="length"))
[('a', 'b', 1.0), ('b', 'c', 1.0)]
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import networkx as nx
import numpy as np
import shapely

__all__ = ["connect_islands", "contiguity_graph", "neighbour_pairs"]

# Shared boundaries shorter than this (metres) count as a corner touch, not an edge:
# digitising noise makes exact zero-length tests unreliable.
MIN_SHARED_LENGTH = 1e-6


def neighbour_pairs(
    geoms: Sequence[shapely.Geometry] | np.ndarray, kind: str = "rook", snap: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)``, ``i < j``, of neighbouring polygons and their shared length.

    ``kind="rook"`` keeps pairs sharing a boundary of positive length;
    ``"queen"`` also keeps pairs touching at a corner (length 0). ``snap`` > 0
    treats polygons within ``snap`` metres as neighbours too (for buildings with
    gaps between them); their length is the part of one boundary that lies
    within ``snap`` of the other.
    """
    geoms = np.asarray(geoms, dtype=object)
    tree = shapely.STRtree(geoms)
    if snap > 0:
        left, right = tree.query(geoms, predicate="dwithin", distance=snap)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    order = np.lexsort((right, left))
    left, right = left[order], right[order]
    boundaries = shapely.boundary(geoms)
    if snap > 0:
        near = shapely.buffer(boundaries[right], snap)
        lengths = shapely.length(shapely.intersection(boundaries[left], near))
    else:
        lengths = shapely.length(shapely.intersection(boundaries[left], boundaries[right]))
    if kind == "rook" and snap == 0:
        keep = lengths > MIN_SHARED_LENGTH
        left, right, lengths = left[keep], right[keep], lengths[keep]
    return left, right, lengths


def contiguity_graph(
    geoms: Sequence[shapely.Geometry] | np.ndarray,
    ids: Sequence[Hashable],
    kind: str = "rook",
    snap: float = 0.0,
) -> nx.Graph:
    """A graph with one node per polygon (in ``ids`` order) and an edge per neighbour pair.

    Each edge carries ``length`` (shared boundary, CRS units) and ``kind``
    (``"shared"``, ``"corner"`` or ``"snap"``).
    """
    ids = list(ids)
    geoms = np.asarray(geoms, dtype=object)
    left, right, lengths = neighbour_pairs(geoms, kind=kind, snap=snap)
    if snap > 0:
        apart = shapely.distance(geoms[left], geoms[right]) > 0
        kinds = np.where(apart, "snap", "shared")
    else:
        kinds = np.where(lengths > MIN_SHARED_LENGTH, "shared", "corner")
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    graph.add_edges_from(
        (ids[i], ids[j], {"length": float(length), "kind": str(k)})
        for i, j, length, k in zip(
            left.tolist(), right.tolist(), lengths.tolist(), kinds.tolist(), strict=True
        )
    )
    return graph


def connect_islands(
    graph: nx.Graph,
    geoms: dict[Hashable, shapely.Geometry],
    nodes: Sequence[Hashable] | None = None,
) -> list[tuple[Hashable, Hashable, float]]:
    """Join the pieces of ``graph`` restricted to ``nodes`` into one, in place.

    Repeatedly links the smallest piece to the nearest unit outside it (ties
    broken by unit order, so the result is deterministic) with an edge of
    ``length`` 0 and ``kind="bridge"``. Returns the added edges as
    ``(u, v, gap_distance)``.
    """
    nodes = list(graph.nodes if nodes is None else nodes)
    order = {n: k for k, n in enumerate(nodes)}
    sub = graph.subgraph(nodes)
    pieces = [sorted(c, key=order.__getitem__) for c in nx.connected_components(sub)]
    added: list[tuple[Hashable, Hashable, float]] = []
    while len(pieces) > 1:
        pieces.sort(key=lambda c: (len(c), order[c[0]]))
        small = pieces[0]
        small_set = set(small)
        others = [n for n in nodes if n not in small_set]
        tree = shapely.STRtree([geoms[n] for n in others])
        src, dst = tree.query_nearest(
            [geoms[n] for n in small], return_distance=False, all_matches=True
        )
        dist = shapely.distance(
            np.array([geoms[small[s]] for s in src], dtype=object),
            np.array([geoms[others[d]] for d in dst], dtype=object),
        )
        best = min(
            range(len(dist)), key=lambda k: (dist[k], order[small[src[k]]], order[others[dst[k]]])
        )
        u, v = small[src[best]], others[dst[best]]
        graph.add_edge(u, v, length=0.0, kind="bridge")
        added.append((u, v, float(dist[best])))
        target = next(p for p in pieces if v in p)
        merged = sorted(small + target, key=order.__getitem__)
        pieces = [p for p in pieces[1:] if p is not target] + [merged]
    return added
