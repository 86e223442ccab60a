"""Dask (``dask.distributed``) as the batch engine: a cluster's scheduler or a local one.

Optional: ``pip install 'gridplan[dask]'``. :func:`dask_executor` yields the
client's :class:`concurrent.futures.Executor`, so a batch runs the same code on
one machine or on a cluster; every worker needs gridplan installed and must see
the input files (or the database) and the output folder at the same paths.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager

from gridplan.errors import ConfigError, GridplanError

__all__ = ["dask_executor"]


@contextmanager
def dask_executor(scheduler: str, workers: int | None = None) -> Iterator[Executor]:
    """Connect to ``scheduler`` (``"tcp://host:8786"``) or start ``"local"``: a LocalCluster.

    A local cluster has ``workers`` single-threaded worker processes (default: one per
    core). The client (and a local cluster) are closed on exit.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise GridplanError(
            "Dask is not installed: pip install 'gridplan[dask]' (dask[distributed])."
        ) from exc
    with ExitStack() as stack:
        if scheduler == "local":
            n = workers or os.cpu_count() or 1
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
                )
            )
            client = stack.enter_context(Client(cluster))
        elif "://" in scheduler:
            client = stack.enter_context(Client(scheduler))
        else:
            raise ConfigError(
                f"scheduler {scheduler!r}: give 'local' or an address such as tcp://host:8786."
            )
        yield client.get_executor(pure=False)
