"""PostGIS as a batch source and sink: one region's rows in, one region's results out.

A layer path ``postgresql://user@host:5432/city#schema.table`` (the table after
``#``, the schema optional) reads that table, one region per task, with
``WHERE "<column>" = %s``: table and column names are checked against the
database's catalogue and composed as identifiers, the region value is a query
parameter. Rows come ordered by the primary key (or by every attribute when
there is none), so a region reads the same way every time.

With ``db=`` (``--db``) each done region's grids, unit assignment and
allocation are written to ``<schema>.gridplan_grids``, ``gridplan_units`` and
``gridplan_allocation`` in **one transaction**: the region's old rows are
deleted and the new ones inserted, so a failed or killed write leaves the old
rows whole and a re-run replaces them. The password comes from the URL or the
environment (``PGPASSWORD``, ``~/.pgpass``: libpq's usual places); messages and
files show URLs with the password replaced by ``***``.

Optional: ``pip install 'gridplan[postgis]'`` (psycopg 3).

>>> redact("postgresql://planner:s3cret@db.example/city#public.units")
'postgresql://planner:***@db.example/city#public.units'
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import pandas as pd
import shapely

from gridplan.errors import ColumnError, ConfigError, GridplanError, InputError

__all__ = ["SCHEMES", "is_postgis", "redact", "split_url", "write_region"]

SCHEMES = ("postgresql://", "postgres://")
APP = "gridplan-batch"
TABLES = ("gridplan_grids", "gridplan_units", "gridplan_allocation")


def is_postgis(path: str) -> bool:
    """True for a ``postgresql://`` or ``postgres://`` URL."""
    return path.startswith(SCHEMES)


def redact(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``: safe for messages and files."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def split_url(url: str) -> tuple[str, str, str]:
    """``(connection URL, schema, table)`` from ``postgresql://...#schema.table``."""
    conn, _, frag = url.partition("#")
    schema, _, table = frag.rpartition(".")
    if not table:
        raise ConfigError(
            f"{redact(url)}: name the table after '#', e.g. postgresql://host/city#public.units."
        )
    return conn, schema or "public", table


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise GridplanError(
            "PostGIS needs psycopg: pip install 'gridplan[postgis]' (psycopg[binary])."
        ) from exc
    return psycopg


@contextmanager
def connect(url: str) -> Iterator[Any]:
    """A psycopg connection; connection errors are reported without the password."""
    psycopg = _psycopg()
    try:
        con = psycopg.connect(url, application_name=APP, connect_timeout=30)
    except psycopg.Error as exc:
        msg = str(exc)
        password = urlsplit(url).password
        if password:
            msg = msg.replace(password, "***")
        raise InputError(f"cannot connect to {redact(url)}: {msg}") from None
    try:
        yield con
    finally:
        con.close()


def _columns(con: Any, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, udt_name FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        (schema, table),
    ).fetchall()
    return {name: kind for name, kind in rows}


def _primary_key(con: Any, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = (quote_ident(%s) || '.' || quote_ident(%s))::regclass "
        "AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)",
        (schema, table),
    ).fetchall()
    return [r[0] for r in rows]


class _Table:
    """One table's columns, geometry column and SRID, read from the catalogue."""

    def __init__(self, con: Any, url: str, what: str) -> None:
        _, self.schema, self.table = split_url(url)
        self.columns = _columns(con, self.schema, self.table)
        if not self.columns:
            raise InputError(
                f"{what}: table {self.schema}.{self.table} does not exist in {redact(url)}."
            )
        geoms = [c for c, k in self.columns.items() if k == "geometry"]
        if len(geoms) != 1:
            raise ColumnError(
                f"{what}: table {self.schema}.{self.table} needs exactly one geometry column, "
                f"found {geoms or 'none'}."
            )
        self.geom = geoms[0]
        self.attrs = [c for c in self.columns if c != self.geom]
        self.order = _primary_key(con, self.schema, self.table) or self.attrs

    def ident(self) -> Any:
        sql = _psycopg().sql
        return sql.Identifier(self.schema, self.table)


def fields(url: str, what: str) -> list[str]:
    """The attribute columns of the table named by ``url``."""
    with connect(split_url(url)[0]) as con:
        return _Table(con, url, what).attrs


def regions(url: str, what: str, columns: list[str]) -> pd.DataFrame:
    """``columns`` of every row of the table (no geometries)."""
    sql = _psycopg().sql
    with connect(split_url(url)[0]) as con:
        t = _Table(con, url, what)
        query = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)), t.ident()
        )
        cur = con.execute(query)
        return pd.DataFrame(cur.fetchall(), columns=columns)


def read(url: str, what: str, column: str, value: Any) -> gpd.GeoDataFrame:
    """The rows of one region: ``WHERE "<column>" = %s`` with ``value`` as a parameter."""
    sql = _psycopg().sql
    with connect(split_url(url)[0]) as con:
        t = _Table(con, url, what)
        if column not in t.columns:
            raise ColumnError(
                f"{what}: table {t.schema}.{t.table} has no region column {column!r}; "
                f"its columns are: {', '.join(t.attrs)}."
            )
        query = sql.SQL(
            "SELECT {attrs}, ST_AsBinary({g}), ST_SRID({g}) FROM {t} WHERE {c} = %s ORDER BY {o}"
        ).format(
            attrs=sql.SQL(", ").join(map(sql.Identifier, t.attrs)),
            g=sql.Identifier(t.geom),
            t=t.ident(),
            c=sql.Identifier(column),
            o=sql.SQL(", ").join(map(sql.Identifier, t.order)),
        )
        rows = con.execute(query, (value,)).fetchall()
    df = pd.DataFrame([r[:-2] for r in rows], columns=t.attrs)
    srids = {r[-1] for r in rows}
    if len(srids) > 1:
        raise InputError(f"{what}: region {value!r} mixes SRIDs {sorted(srids)}; use one.")
    geoms = shapely.from_wkb([bytes(r[-2]) for r in rows]) if rows else []
    crs = f"EPSG:{srids.pop()}" if srids and 0 not in srids else None
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=crs).values, crs=crs)


_DDL = {
    "gridplan_grids": "region text NOT NULL, grid text NOT NULL, properties jsonb NOT NULL, "
    "geom geometry(MultiPolygon, 4326) NOT NULL, PRIMARY KEY (region, grid)",
    "gridplan_units": "region text NOT NULL, unit_id text NOT NULL, grid text NOT NULL, "
    "PRIMARY KEY (region, unit_id)",
    "gridplan_allocation": "region text NOT NULL, kind text NOT NULL, id text NOT NULL, "
    "properties jsonb NOT NULL, PRIMARY KEY (region, kind, id)",
}


def prepare(url: str) -> None:
    """Create the result tables in the URL's schema (``#schema``) if they do not exist."""
    sql = _psycopg().sql
    conn, _, schema = url.partition("#")
    schema = schema or "public"
    with connect(conn) as con, con.transaction():
        con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for name, body in _DDL.items():
            con.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} (" + body + ")").format(
                    sql.Identifier(schema, name)
                )
            )


def _json(row: pd.Series) -> str:
    return json.dumps(
        {str(k): (None if pd.isna(v) else v) for k, v in row.items()},
        ensure_ascii=False,
        sort_keys=True,
        default=lambda v: v.item() if hasattr(v, "item") else str(v),
    )


def _rows(region: str, result: Any) -> dict[str, list[tuple[Any, ...]]]:
    grids = result.plan.grids.to_crs(4326)
    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
    attrs = pd.DataFrame(grids.drop(columns=grids.geometry.name))
    for code, geom in zip(grids.index, grids.geometry.values, strict=True):
        shape = geom if geom.geom_type == "MultiPolygon" else shapely.MultiPolygon([geom])
        out["gridplan_grids"].append(
            (region, str(code), _json(attrs.loc[code]), shapely.to_wkb(shape))
        )
    for unit, grid in result.plan.assignment.items():
        out["gridplan_units"].append((region, str(unit), str(grid)))
    alloc = result.allocation
    if alloc is not None:
        for kind, table in (("site", alloc.sites), ("worker", alloc.workers),
                            ("volunteer", alloc.volunteers)):  # fmt: skip
            if table is None:
                continue
            plain = pd.DataFrame(table.drop(columns=[c for c in ("geometry",) if c in table]))
            for key, row in plain.iterrows():
                out["gridplan_allocation"].append((region, kind, str(key), _json(row)))
    return out


_INSERT = {
    "gridplan_grids": "(region, grid, properties, geom) "
    "VALUES (%s, %s, %s, ST_GeomFromWKB(%s, 4326))",
    "gridplan_units": "(region, unit_id, grid) VALUES (%s, %s, %s)",
    "gridplan_allocation": "(region, kind, id, properties) VALUES (%s, %s, %s, %s)",
}


def write_region(url: str, region: str, result: Any) -> int:
    """Replace region ``region``'s rows in the result tables, in one transaction; return rows.

    Tables are written in the order grids, units, allocation; nothing is visible to
    other sessions until the commit, and a failure rolls every table back.
    """
    sql = _psycopg().sql
    conn, _, schema = url.partition("#")
    schema = schema or "public"
    rows = _rows(region, result)
    with connect(conn) as con, con.transaction(), con.cursor() as cur:
        for name in TABLES:
            target = sql.Identifier(schema, name)
            cur.execute(sql.SQL("DELETE FROM {} WHERE region = %s").format(target), (region,))
            if rows[name]:
                insert = sql.SQL("INSERT INTO {} " + _INSERT[name]).format(target)
                cur.executemany(insert, rows[name])
    return sum(len(v) for v in rows.values())
