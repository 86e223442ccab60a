"""Plain arrays the algorithms work on: CSR adjacency with shared boundary lengths.

Everything in :mod:`gridplan.division` below the API works on integer unit
positions ``0..n-1`` and numpy arrays, never on ids or GeoDataFrames, so the
core is fast, testable on hand-made lattices and free of hash-order effects.

>>> import networkx as nx
>>> g = nx.path_graph(3)
>>> nx.set_edge_attributes(g, 2.0, "length")
>>> a = Adjacency.from_networkx(g, [0, 1, 2])
>>> a.indptr.tolist(), a.indices.tolist(), a.n_edges
([0, 1, 3, 4], [1, 0, 2, 1], 2)
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

__all__ = ["Adjacency", "lattice"]


@dataclass(frozen=True)
class Adjacency:
    """Undirected graph in CSR form; ``length[k]`` belongs to entry ``indices[k]``.

    Rows are sorted by neighbour position, so the structure depends only on
    the edge set, not on the order edges were added.
    """

    indptr: np.ndarray
    indices: np.ndarray
    length: np.ndarray

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def n_edges(self) -> int:
        return len(self.indices) // 2

    @classmethod
    def from_edges(cls, n: int, i: np.ndarray, j: np.ndarray, length: np.ndarray) -> Adjacency:
        """Build from undirected edge lists (each edge once; duplicates keep the longest)."""
        i = np.asarray(i, dtype=np.int64)
        j = np.asarray(j, dtype=np.int64)
        length = np.asarray(length, dtype=np.float64)
        keep = i != j  # self loops carry no adjacency
        i, j, length = i[keep], j[keep], length[keep]
        src = np.concatenate([i, j])
        dst = np.concatenate([j, i])
        ln = np.concatenate([length, length])
        order = np.lexsort((-ln, dst, src))
        src, dst, ln = src[order], dst[order], ln[order]
        if len(src):
            first = np.ones(len(src), dtype=bool)
            first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
            src, dst, ln = src[first], dst[first], ln[first]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        return cls(indptr, dst, ln)

    @classmethod
    def from_networkx(cls, graph: nx.Graph, nodes: Sequence[Hashable]) -> Adjacency:
        """Positions follow ``nodes``; edge attribute ``length`` (missing = 0)."""
        pos = {u: k for k, u in enumerate(nodes)}
        m = graph.number_of_edges()
        i = np.empty(m, dtype=np.int64)
        j = np.empty(m, dtype=np.int64)
        ln = np.empty(m, dtype=np.float64)
        for k, (u, v, d) in enumerate(graph.edges(data="length", default=0.0)):
            i[k], j[k], ln[k] = pos[u], pos[v], d
        return cls.from_edges(len(nodes), i, j, ln)

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each undirected edge once as ``(i, j, length)`` with ``i < j``."""
        src = np.repeat(np.arange(self.n), np.diff(self.indptr))
        keep = src < self.indices
        return src[keep], self.indices[keep], self.length[keep]

    def matrix(self) -> sparse.csr_matrix:
        data = np.ones(len(self.indices), dtype=np.int8)
        return sparse.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))

    def subset(self, keep_edge: np.ndarray) -> Adjacency:
        """The same nodes with only the undirected edges where ``keep_edge`` holds.

        ``keep_edge`` is a mask over CSR entries and must be symmetric.
        """
        src = np.repeat(np.arange(self.n), np.diff(self.indptr))[keep_edge]
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=self.n), out=indptr[1:])
        return Adjacency(indptr, self.indices[keep_edge], self.length[keep_edge])

    def neighbour_lists(self) -> tuple[list[list[int]], list[list[float]]]:
        """Python lists per node: fastest form for tight scalar loops."""
        ind = self.indices.tolist()
        ln = self.length.tolist()
        ptr = self.indptr.tolist()
        nb = [ind[ptr[u] : ptr[u + 1]] for u in range(self.n)]
        lens = [ln[ptr[u] : ptr[u + 1]] for u in range(self.n)]
        return nb, lens

    def components(self, labels: np.ndarray | None = None) -> tuple[int, np.ndarray]:
        """Connected components, optionally of the subgraph of edges inside one label."""
        if labels is None:
            return connected_components(self.matrix(), directed=False)
        src = np.repeat(np.arange(self.n), np.diff(self.indptr))
        same = labels[src] == labels[self.indices]
        return connected_components(self.subset(same).matrix(), directed=False)


def lattice(nx_: int, ny: int, size: float = 1.0) -> tuple[Adjacency, np.ndarray, np.ndarray]:
    """A rook lattice of ``nx_ * ny`` squares: adjacency and centroid x, y.

    Position ``k = row * nx_ + col``; row 0 is the southern row.

    >>> adj, x, y = lattice(3, 2)
    >>> adj.n, adj.n_edges
    (6, 7)
    """
    k = np.arange(nx_ * ny)
    row, col = np.divmod(k, nx_)
    right = k[col < nx_ - 1]
    up = k[row < ny - 1]
    i = np.concatenate([right, up])
    j = np.concatenate([right + 1, up + nx_])
    adj = Adjacency.from_edges(nx_ * ny, i, j, np.full(len(i), float(size)))
    return adj, (col + 0.5) * size, (row + 0.5) * size
