"""City-scale batch: one scenario over many regions (streets or communities).

Each region is an independent territory → divide → allocate problem. They run
in parallel on any :class:`concurrent.futures.Executor` (a process pool by
default, or Dask), each reading only its own rows, writing ``out/<region>/``
atomically and recording its result in ``out/manifest.json``; a re-run skips
finished regions whose inputs did not change. See :func:`run_batch`.

>>> from gridplan.batch import region_seed
>>> region_seed("410727001001") == region_seed("410727001001", base=0)
True
"""

from gridplan.batch.run import MANIFEST, BatchResult, SerialExecutor, load_manifest, run_batch
from gridplan.batch.source import (
    LayerSource,
    index_column,
    quote_identifier,
    sql_literal,
    write_partitioned,
)
from gridplan.batch.synthetic import make_city, write_city
from gridplan.batch.task import input_hash, region_folder, region_seed, run_region

__all__ = [
    "MANIFEST",
    "BatchResult",
    "LayerSource",
    "SerialExecutor",
    "index_column",
    "input_hash",
    "load_manifest",
    "make_city",
    "quote_identifier",
    "region_folder",
    "region_seed",
    "run_batch",
    "run_region",
    "sql_literal",
    "write_city",
    "write_partitioned",
]
