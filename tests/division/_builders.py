"""Builders and checks shared by the division tests (one place for grid-making helpers)."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from gridplan.division import GridPlan
from gridplan.division._graph import Adjacency


def blocks(nx_: int = 12, ny: int = 12, seed: int = 0, size: float = 100.0) -> gpd.GeoDataFrame:
    """A lattice of square blocks with string ids, households, population, community."""
    rng = np.random.default_rng(seed)
    cells, ids, comm = [], [], []
    for r in range(ny):
        for c in range(nx_):
            cells.append(shapely.box(c * size, r * size, (c + 1) * size, (r + 1) * size))
            ids.append(f"b{r:02d}{c:02d}")
            comm.append(("S" if r < ny // 2 else "N") + ("W" if c < nx_ // 2 else "E"))
    hh = rng.integers(5, 40, len(cells))
    return gpd.GeoDataFrame(
        {
            "bid": ids,
            "hh": hh,
            "pop": (hh * 2.6).round(),
            "elderly": rng.integers(0, 10, len(cells)),
            "community": comm,
        },
        geometry=cells,
        crs="EPSG:32650",
    )


def lattice_gdf(n: int = 6, **columns: list) -> gpd.GeoDataFrame:
    """n × n squares of 100 m, row by row from the south-west, 10 people and 4 households each."""
    cells = [
        shapely.box(x, y, x + 100, y + 100)
        for y in range(0, n * 100, 100)
        for x in range(0, n * 100, 100)
    ]
    data = {"pop": [10] * n * n, "hh": [4] * n * n, **columns}
    return gpd.GeoDataFrame(data, geometry=cells, crs="EPSG:32650")


def halves(left, right, n: int = 6) -> list:
    """A parent column: ``left`` for the western half of the lattice, ``right`` for the east."""
    return [left if i % n < n // 2 else right for i in range(n * n)]


def check_partition(adj: Adjacency, labels: np.ndarray, k: int) -> None:
    """Every unit once, exactly k non-empty grids, each connected (networkx)."""
    assert labels.shape == (adj.n,)
    assert set(np.unique(labels).tolist()) == set(range(k))
    g = nx.Graph()
    g.add_nodes_from(range(adj.n))
    i, j, _ = adj.edges()
    g.add_edges_from(zip(i.tolist(), j.tolist(), strict=True))
    for lab in range(k):
        nodes = np.flatnonzero(labels == lab).tolist()
        assert nx.is_connected(g.subgraph(nodes)), f"grid {lab} is not contiguous"


def assert_valid(plan: GridPlan, n: int | None = None) -> None:
    t = plan.territory
    a = plan.assignment
    assert a.index.equals(t.units.index) and a.notna().all()
    if n is not None:
        assert a.nunique() == n == len(plan.grids) == plan.metrics["n_grids"]
    for code in a.unique():
        nodes = a.index[a == code].tolist()
        assert nx.is_connected(t.graph.subgraph(nodes)), code
    assert plan.metrics["contiguous"]
