"""Reader for OR-Library p-median instances (``pmed1.txt`` ... ``pmed40.txt``).

Format (J. E. Beasley): first line ``n_vertices n_edges p``; then one line per
undirected edge ``i j cost`` with 1-based vertices. Where the same edge is listed
more than once, the last listing holds. Every vertex is both a demand and a
candidate site; distances are shortest paths over the graph.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as d:
...     path = os.path.join(d, "tiny.txt")
...     _ = open(path, "w").write("3 3 1\\n1 2 5\\n2 3 1\\n1 2 2\\n")
...     cost, p = read_orlib_pmed(path)
>>> cost.tolist(), p
([[0.0, 2.0, 3.0], [2.0, 0.0, 1.0], [3.0, 1.0, 0.0]], 1)
"""

from __future__ import annotations

from os import PathLike

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from gridplan.errors import DataValueError

__all__ = ["read_orlib_pmed"]


def read_orlib_pmed(path: str | PathLike[str]) -> tuple[np.ndarray, int]:
    """Return ``(cost, p)``: the all-pairs shortest-path matrix and the number of medians."""
    with open(path) as f:
        tokens = f.read().split()
    n, m, p = (int(t) for t in tokens[:3])
    data = np.asarray(tokens[3 : 3 + 3 * m], dtype=float).reshape(-1, 3)
    if len(data) != m:
        raise DataValueError(f"{path}: header announces {m} edges, file holds {len(data)}")
    i = data[:, 0].astype(np.int64) - 1
    j = data[:, 1].astype(np.int64) - 1
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    # last listing of a repeated edge wins: keep the last occurrence of each (lo, hi) key
    key = lo * n + hi
    _, last_from_end = np.unique(key[::-1], return_index=True)
    keep = len(key) - 1 - last_from_end
    lo, hi, w = lo[keep], hi[keep], data[keep, 2]
    graph = csr_matrix((np.r_[w, w], (np.r_[lo, hi], np.r_[hi, lo])), shape=(n, n))
    cost = shortest_path(graph, method="D", directed=False)
    return cost, p
