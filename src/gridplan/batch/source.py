"""Reading one region of a city-wide layer without reading the whole city.

A :class:`LayerSource` says where a layer lives and how to cut one region out
of it; it is small and picklable, so each batch task carries one and reads
only its own rows in its own worker:

- GeoPackage (and any other file GDAL reads): an attribute filter
  ``"<column>" = <value>`` through pyogrio's ``where=``. The column name is
  checked against the layer's fields first and quoted as an identifier; the
  value is written as an SQL literal (strings with ``'`` doubled), never pasted
  raw. A GeoPackage with an index on the column answers from the index.
- GeoParquet: a single file or a folder partitioned by region
  (``<column>=<value>/part.parquet``, see :func:`write_partitioned`), read
  with a pyarrow filter, so only the matching partition or row groups are read.
- PostGIS: ``postgresql://host/city#schema.table``, ``WHERE "<column>" = %s`` with
  the value as a query parameter (see :mod:`gridplan.batch.postgis`).
- One folder per region: a path containing ``{region}`` (for example
  ``city/{region}/units.gpkg``); the regions are the folders that exist.

>>> sql_literal("O'Brien"), sql_literal(7), quote_identifier('a"b')
("'O''Brien'", '7', '"a""b"')
"""

from __future__ import annotations

import glob
import numbers
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import pandas as pd

from gridplan.errors import ColumnError, ConfigError, InputError

__all__ = [
    "PLACEHOLDER",
    "LayerSource",
    "index_column",
    "quote_identifier",
    "sql_literal",
    "write_partitioned",
]

PLACEHOLDER = "{region}"


def quote_identifier(name: str) -> str:
    """Quote a column name for SQL (OGR SQL, SQLite, PostgreSQL): ``"name"``, ``"`` doubled."""
    if "\x00" in name:
        raise ConfigError(f"column name {name!r} contains a NUL character.")
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: Any) -> str:
    """An SQL literal for a region value: a quoted string (``'`` doubled) or a plain integer.

    >>> sql_literal("城关镇")
    "'城关镇'"
    """
    if isinstance(value, str):
        if "\x00" in value:
            raise InputError(f"region value {value!r} contains a NUL character.")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    raise InputError(
        f"region value {value!r} ({type(value).__name__}) cannot be used as a region code; "
        "use a text or integer column for regions."
    )


def _postgis(path: str) -> bool:
    return path.startswith(("postgresql://", "postgres://"))


def _is_parquet(path: str) -> bool:
    p = Path(path)
    return p.suffix.lower() in (".parquet", ".geoparquet") or (
        p.is_dir() and any(p.rglob("*.parquet"))
    )


def _partitioning(path: str, column: str) -> Any:
    """Hive partitioning on ``column``, typed as text (or as the files store it).

    Codes such as "001" must stay text; hive discovery would read them as the number 1.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    kind = pa.string()
    first = next(iter(sorted(Path(path).rglob("*.parquet"))), None)
    if first is not None:
        schema = pq.read_schema(first)
        if column in schema.names:  # the files keep the column too: use their type
            kind = schema.field(column).type
    return ds.partitioning(pa.schema([(column, kind)]), flavor="hive")


def _parquet_dataset(path: str, column: str | None) -> Any:
    import pyarrow.dataset as ds

    if Path(path).is_dir() and column is not None:
        return ds.dataset(path, format="parquet", partitioning=_partitioning(path, column))
    return ds.dataset(path, format="parquet")


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(str)
    return df


@dataclass(frozen=True)
class LayerSource:
    """Where one layer (units, sites, workers, volunteers) is and how to read one region of it.

    ``path`` is a file, a partitioned GeoParquet folder, or a pattern with
    ``{region}``; ``column`` is the region column (unused for a pattern).
    """

    what: str
    path: str
    column: str | None
    layer: str | int | None = None

    @property
    def per_folder(self) -> bool:
        return PLACEHOLDER in self.path

    def check(self) -> None:
        """Raise a typed error unless the layer exists and has the region column."""
        if self.per_folder:
            return
        if not _postgis(self.path) and not Path(self.path).exists():
            raise InputError(f"{self.what} file {self.path!r} does not exist; check the path.")
        if self.column is None:
            raise ConfigError(
                f"{self.what}: give the region column (regions=...) or a path with {PLACEHOLDER}."
            )
        fields = self.fields()
        if self.column not in fields:
            raise ColumnError(
                f"{self.what} file {self.path!r} has no region column {self.column!r}; "
                f"its columns are: {', '.join(fields)}. Add the column (every row needs its region "
                "code, e.g. by a spatial join) or choose another with regions=..."
            )

    def fields(self) -> list[str]:
        """The layer's attribute column names."""
        if _postgis(self.path):
            from gridplan.batch import postgis

            return postgis.fields(self.path, self.what)
        if _is_parquet(self.path):
            return [
                f for f in _parquet_dataset(self.path, self.column).schema.names if f != "geometry"
            ]
        import pyogrio

        try:
            info = pyogrio.read_info(self.path, layer=self.layer)
        except Exception as exc:  # GDAL raises many types; report them as one
            raise InputError(f"could not read {self.what} file {self.path!r}: {exc}") from exc
        return [str(f) for f in info["fields"]]

    def regions(self, extra: list[str]) -> pd.DataFrame:
        """The region column (plus ``extra`` columns) of every row, without geometries."""
        if self.per_folder:
            return self._folder_regions(extra)
        assert self.column is not None
        columns = [self.column, *[c for c in extra if c != self.column]]
        missing = [c for c in columns if c not in self.fields()]
        if missing:
            raise ColumnError(f"{self.what} file {self.path!r} lacks column(s) {missing}.")
        if _postgis(self.path):
            from gridplan.batch import postgis

            return postgis.regions(self.path, self.what, columns)
        if _is_parquet(self.path):
            table = _parquet_dataset(self.path, self.column).to_table(columns=columns)
            return _plain(table.to_pandas())
        import pyogrio

        return pyogrio.read_dataframe(
            self.path, layer=self.layer, columns=columns, read_geometry=False
        )

    def _folder_regions(self, extra: list[str]) -> pd.DataFrame:
        """One row per region folder, or (with ``extra``) its units' ``extra`` columns."""
        head, _, tail = self.path.partition(PLACEHOLDER)
        pattern = re.compile(re.escape(head) + r"([^/\\]+)" + re.escape(tail) + r"\Z")
        found = sorted(glob.glob(glob.escape(head) + "*" + glob.escape(tail)))
        codes = [m.group(1) for p in found if (m := pattern.match(p))]
        if not extra:
            return pd.DataFrame({"region": codes})
        import pyogrio

        parts = []
        for code in codes:
            path = self.path.replace(PLACEHOLDER, code)
            try:
                part = pyogrio.read_dataframe(
                    path, layer=self.layer, columns=extra, read_geometry=False
                )
            except Exception as exc:  # GDAL raises many types; report them as one
                raise InputError(f"could not read {self.what} file {path!r}: {exc}") from exc
            missing = [c for c in extra if c not in part.columns]
            if missing:
                raise ColumnError(f"{self.what} file {path!r} lacks column(s) {missing}.")
            parts.append(part.assign(region=code))
        return pd.concat(parts, ignore_index=True)

    def read(self, value: Any) -> gpd.GeoDataFrame:
        """The rows of region ``value`` only."""
        if self.per_folder:
            from gridplan.io.files import read_layer

            return read_layer(self.path.replace(PLACEHOLDER, str(value)), self.what, self.layer)
        assert self.column is not None
        if _postgis(self.path):
            from gridplan.batch import postgis

            return postgis.read(self.path, self.what, self.column, value)
        if _is_parquet(self.path):
            return self._read_parquet(value)
        import pyogrio

        where = f"{quote_identifier(self.column)} = {sql_literal(value)}"
        try:
            return pyogrio.read_dataframe(self.path, layer=self.layer, where=where)
        except Exception as exc:  # GDAL raises many types; report them as one
            raise InputError(
                f"could not read region {value!r} of {self.what} file {self.path!r}: {exc}"
            ) from exc

    def _read_parquet(self, value: Any) -> gpd.GeoDataFrame:
        import pyarrow.dataset as ds

        assert self.column is not None
        kwargs: dict[str, Any] = {"filters": ds.field(self.column) == value}
        if Path(self.path).is_dir():
            kwargs["partitioning"] = _partitioning(self.path, self.column)
        return _plain(gpd.read_parquet(self.path, **kwargs))


def write_partitioned(
    gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], column: str
) -> list[Path]:
    """Write ``gdf`` as GeoParquet partitioned by ``column``: ``<column>=<value>/part.parquet``.

    The files keep ``column`` too (so a region reads back with its columns in
    their order). Each partition is written atomically; values are URL-quoted in folder names.
    Returns the files written. Needs pyarrow (``pip install 'gridplan[parquet]'``).
    """
    from gridplan.io.atomic import atomic_path

    if column not in gdf.columns:
        raise ColumnError(f"cannot partition by {column!r}: no such column.")
    written = []
    for value, part in gdf.groupby(column, sort=True):
        folder = Path(path) / f"{column}={quote(str(value), safe='')}"
        target = folder / "part.parquet"
        with atomic_path(target) as tmp:
            part.reset_index(drop=True).to_parquet(tmp)
        written.append(target)
    return written


def index_column(path: str | os.PathLike[str], layer: str, column: str) -> None:
    """Add an index on ``column`` of a GeoPackage layer, so a region is a lookup, not a scan.

    The names are checked against the layer and quoted; nothing is pasted raw.
    """
    src = LayerSource(layer, str(path), column, layer)
    src.check()
    name = quote_identifier(f"idx_{layer}_{column}")
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(
                f"CREATE INDEX IF NOT EXISTS {name} "
                f"ON {quote_identifier(layer)} ({quote_identifier(column)})"
            )
    finally:
        con.close()
