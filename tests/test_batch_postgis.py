"""Batch against a real PostgreSQL + PostGIS server, started here on a unix socket.

`make test` installs Debian's postgresql and postgis (scripts/install_postgis.sh) and
psycopg (the postgis extra). The server lives in a temporary folder, listens on a
socket only, and is stopped at the end. Skips when any piece is missing.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridplan.batch import make_city, region_folder, run_batch, write_city
from gridplan.errors import InputError

psycopg = pytest.importorskip("psycopg", reason="the postgis extra (psycopg) is not installed")

VARYING = {"timings.json"}


def _bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    controls = glob.glob("/usr/share/postgresql/*/extension/postgis.control")
    if not found or not controls:
        pytest.skip("PostgreSQL or PostGIS is not installed (scripts/install_postgis.sh)")
    return Path(found[-1]).parent


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    runner = shutil.which("runuser")
    if runner is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as postgres")
    return [runner, "-u", "postgres", "--", *args]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A throw-away server; yields the URL of database ``city`` (PostGIS enabled)."""
    bindir = _bin()
    root = Path(tempfile.mkdtemp(prefix="gridplan-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    run = lambda args: subprocess.run(  # noqa: E731
        _as_postgres(args), check=True, capture_output=True, text=True, timeout=120
    )
    run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
    opts = f"-k {sock} -c listen_addresses='' -F"
    run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-w",
            "-l",
            str(root / "log"),
            "start",
        ]
    )
    try:
        base = f"postgresql://postgres@/postgres?host={sock}"
        with psycopg.connect(base, autocommit=True) as con:
            con.execute("CREATE DATABASE city")
        url = f"postgresql://postgres@/city?host={sock}"
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("CREATE EXTENSION postgis")
        yield url
    finally:
        run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


def _load(url: str, city: dict) -> None:
    """Put the city's layers into tables units, sites, workers, volunteers (SRID 4547)."""
    with psycopg.connect(url) as con:
        for name, gdf in city.items():
            cols = [c for c in gdf.columns if c != "geometry"]
            kinds = {c: "bigint" if gdf[c].dtype.kind in "iu" else
                     "double precision" if gdf[c].dtype.kind == "f" else
                     "boolean" if gdf[c].dtype.kind == "b" else "text" for c in cols}  # fmt: skip
            body = ", ".join(f'"{c}" {kinds[c]}' for c in cols)
            # The id column (first) is the primary key: rows come back in its order.
            con.execute(f'CREATE TABLE "{name}" ({body}, geom geometry, PRIMARY KEY ("{cols[0]}"))')
            names = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join(["%s"] * len(cols))
            rows = [
                (*(v.item() if hasattr(v, "item") else v for v in rec), geom.wkb)
                for rec, geom in zip(gdf[cols].itertuples(index=False), gdf.geometry, strict=True)
            ]
            with con.cursor() as cur:
                cur.executemany(
                    f'INSERT INTO "{name}" ({names}, geom) '
                    f"VALUES ({marks}, ST_GeomFromWKB(%s, 4547))",
                    rows,
                )


def _files(out: Path, regions: list[str]) -> dict[str, bytes]:
    return {
        f"{c}/{p.name}": p.read_bytes()
        for c in regions
        for p in sorted((out / region_folder(c)).iterdir())
        if p.name not in VARYING
    }


def _region_rows(url: str, region: str) -> dict[str, list]:
    with psycopg.connect(url) as con:
        return {
            "grids": con.execute(
                "SELECT grid, properties::text, ST_AsText(geom) FROM results.gridplan_grids "
                "WHERE region = %s ORDER BY grid", (region,)).fetchall(),
            "units": con.execute(
                "SELECT unit_id, grid FROM results.gridplan_units WHERE region = %s "
                "ORDER BY unit_id", (region,)).fetchall(),
            "allocation": con.execute(
                "SELECT kind, id, properties::text FROM results.gridplan_allocation "
                "WHERE region = %s ORDER BY kind, id", (region,)).fetchall(),
        }  # fmt: skip


def test_postgis_in_and_out_and_a_killed_write_keeps_old_rows(server: str, tmp_path: Path) -> None:
    city = make_city(3, side=3, seed=21)
    cfg = write_city(city, tmp_path / "gpkg", households_per_grid=400)
    _load(server, city)
    pg_cfg = json.loads(json.dumps(cfg))
    pg_cfg["units"]["path"] = f"{server}#public.units"
    for key in ("sites", "workers", "volunteers"):
        pg_cfg["allocate"][key] = f"{server}#{key}"
    db = f"{server}#results"

    ref = run_batch(cfg, "community", tmp_path / "ref", workers=1, merge=False)
    res = run_batch(pg_cfg, "community", tmp_path / "pg", workers=1, merge=False, db=db)
    regions = ["C0000", "C0001", "C0002"]
    assert ref.done == regions and res.done == regions
    assert _files(tmp_path / "pg", regions) == _files(tmp_path / "ref", regions)
    before = _region_rows(server, "C0001")
    assert len(before["grids"]) == res.records["C0001"]["grids"]
    assert len(before["units"]) == 9
    assert {k for k, *_ in before["allocation"]} == {"site", "worker", "volunteer"}

    # Re-running a region replaces its rows (no duplicates).
    again = run_batch(pg_cfg, "community", tmp_path / "pg", workers=1, merge=False, db=db,
                      budget="same")  # fmt: skip
    assert again.ran == regions
    after = {c: _region_rows(server, c) for c in regions}
    assert len(after["C0001"]["units"]) == 9
    assert len(after["C0001"]["grids"]) == len(before["grids"])

    # A write killed half-way (the first region's, blocked on the last of its three
    # tables after replacing the rows of the other two): every old row is still there.
    code = _killed_write(server, pg_cfg, db, tmp_path)
    assert code != 0
    assert {c: _region_rows(server, c) for c in regions} == after


_CHILD = """
import json, sys
from gridplan.batch import run_batch
cfg = json.loads(sys.argv[1])
run_batch(cfg, "community", sys.argv[2], workers=1, merge=False, db=sys.argv[3],
          budget="column:budget", retry_failed=True)
"""


def _killed_write(server: str, cfg: dict, db: str, tmp_path: Path) -> int:
    import sys

    with psycopg.connect(server) as con:  # a different budget: region C0001 must change
        con.execute("ALTER TABLE units ADD COLUMN budget double precision")
        con.execute("UPDATE units SET budget = 900000")
        con.commit()
    lock = psycopg.connect(server)
    lock.execute("LOCK TABLE results.gridplan_allocation IN ACCESS EXCLUSIVE MODE")
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, json.dumps(cfg), str(tmp_path / "killed"), db]
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with psycopg.connect(server, autocommit=True) as con:
                waiting = con.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                    "AND wait_event_type = 'Lock'",
                    ("gridplan-batch",),
                ).fetchone()[0]
            if waiting:
                break
            assert child.poll() is None, "the write finished before it could be killed"
            time.sleep(0.2)
        else:
            pytest.fail("the region's write never reached the locked table")
        # It has deleted and re-inserted grids and units, uncommitted; kill it there.
        child.kill()
        code = child.wait(timeout=30)
    finally:
        lock.rollback()
        lock.close()
    return code


def test_connection_errors_do_not_show_the_password(server: str, tmp_path: Path) -> None:
    sock = server.split("host=")[1]
    url = f"postgresql://planner:s3cret-pw@/nosuchdb?host={sock}#public.units"
    cfg = write_city(make_city(1, side=3), tmp_path)
    cfg["units"]["path"] = url
    with pytest.raises(InputError) as info:
        run_batch(cfg, "community", tmp_path / "o", workers=1)
    assert "s3cret-pw" not in str(info.value) and "***" in str(info.value)
