"""City-scale batch: per-region runs, resuming, executors, region reads, merged outputs."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from gridplan.batch import (
    LayerSource,
    SerialExecutor,
    load_manifest,
    make_city,
    region_folder,
    run_batch,
    write_city,
    write_partitioned,
)
from gridplan.errors import ColumnError, ConfigError, DataValueError, InfeasibleError

# Wall-clock figures differ between identical runs; every other file must not.
VARYING = {"timings.json"}


def region_files(out: Path, regions: list[str]) -> dict[str, bytes]:
    files = {}
    for code in regions:
        for p in sorted((out / region_folder(code)).iterdir()):
            if p.name not in VARYING:
                files[f"{code}/{p.name}"] = p.read_bytes()
    return files


class Interrupt(Exception):
    """Stands for the run being killed after some regions."""


@pytest.fixture(scope="module")
def city20(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("city20")
    return write_city(make_city(20, side=3, seed=3), folder, households_per_grid=400)


def test_interrupted_run_resumes_only_missing_regions(city20: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    seen: list[str] = []

    def stop_after_seven(rec: dict) -> None:
        seen.append(rec["region"])
        if len(seen) == 7:
            raise Interrupt("killed")

    with pytest.raises(Interrupt):
        run_batch(city20, "community", out, executor=SerialExecutor(), progress=stop_after_seven)
    first = load_manifest(out)
    assert sorted(first["regions"]) == sorted(seen)
    # each region is recorded as it ends: nothing ran past the interruption
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(seen)
    assert first["counts"]["pending"] == 13
    stamps = {c: (out / c / "report.md").stat().st_mtime_ns for c in seen}

    res = run_batch(city20, "community", out, workers=1)
    every = [f"C{k:04d}" for k in range(20)]
    assert res.skipped == sorted(seen)
    assert res.ran == sorted(set(every) - set(seen))
    assert sorted(res.records) == every
    assert {c: (out / c / "report.md").stat().st_mtime_ns for c in seen} == stamps
    assert load_manifest(out)["counts"] == {"done": 20, "failed": 0, "pending": 0}

    # merged outputs: every grid of the city once, one summary row per region
    grids = gpd.read_file(out / "city_grids.gpkg", layer="grids")
    assert len(grids) == sum(r["grids"] for r in res.records.values())
    assert sorted(grids["community"].unique()) == every
    one = gpd.read_file(out / "C0004" / "grids.geojson")
    assert len(grids[grids["community"] == "C0004"]) == len(one)
    summary = pd.read_csv(out / "summary.csv", dtype={"region": str})
    assert list(summary["region"]) == every and set(summary["status"]) == {"done"}
    budgets = summary.set_index("region")["budget"]
    # the city's budget shared in proportion to households
    hh = summary.set_index("region")["households"]
    assert budgets.sum() == pytest.approx(city20["allocate"]["budget"], abs=0.1)
    assert budgets["C0003"] / budgets["C0007"] == pytest.approx(hh["C0003"] / hh["C0007"], 1e-6)
    html = (out / "overview.html").read_text(encoding="utf-8")
    assert "C0004" in html and "-U00" not in html  # regions, never units


def _small_city(tmp_path: Path, n: int = 4, **kw) -> dict:
    return write_city(
        make_city(n, side=3, seed=11), tmp_path / "data", households_per_grid=400, **kw
    )


def test_serial_process_pool_and_dask_give_identical_region_outputs(tmp_path: Path) -> None:
    cfg = _small_city(tmp_path, 4)
    regions = [f"C{k:04d}" for k in range(4)]
    serial = run_batch(cfg, "community", tmp_path / "serial", workers=1, merge=False)
    pool = run_batch(cfg, "community", tmp_path / "pool", workers=2, merge=False)
    assert serial.done == regions and pool.done == regions
    expected = region_files(tmp_path / "serial", regions)
    assert len(expected) >= 4 * 8
    assert region_files(tmp_path / "pool", regions) == expected
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    dask = run_batch(cfg, "community", tmp_path / "dask", scheduler="local", workers=2, merge=False)
    assert dask.done == regions
    assert region_files(tmp_path / "dask", regions) == expected
    seeds = {c: r["seed"] for c, r in serial.records.items()}
    assert seeds == {c: r["seed"] for c, r in dask.records.items()}
    assert len(set(seeds.values())) == 4  # one seed per region, from its code


def test_infeasible_region_is_a_result_and_retried_on_request(tmp_path: Path) -> None:
    city = make_city(3, side=3, seed=5)
    city["units"]["budget"] = city["units"]["community"].map(
        {"C0000": 300_000.0, "C0001": 1_000.0, "C0002": 300_000.0}
    )
    cfg = write_city(city, tmp_path / "data", households_per_grid=400)
    out = tmp_path / "out"
    res = run_batch(cfg, "community", out, workers=1, budget="column:budget")
    assert res.done == ["C0000", "C0002"] and res.failed == ["C0001"]
    err = res.records["C0001"]["error"]
    assert err["type"] == InfeasibleError.__name__ and "budget" in err["message"]
    assert err["details"]["smallest_budget"] > 1_000
    assert json.loads((out / "C0001" / "error.json").read_text())["error"] == err
    assert not (out / "C0001" / "grids.geojson").exists()

    assert run_batch(cfg, "community", out, workers=1, budget="column:budget").ran == []
    retried = run_batch(cfg, "community", out, workers=1, budget="column:budget",
                        retry_failed=True)  # fmt: skip
    assert retried.ran == ["C0001"] and retried.failed == ["C0001"]


def test_changed_region_input_reruns_only_that_region(tmp_path: Path) -> None:
    cfg = _small_city(tmp_path, 3)
    out = tmp_path / "out"
    run_batch(cfg, "community", out, workers=1, budget="same", merge=False)
    units = gpd.read_file(cfg["units"]["path"])
    units.loc[units["unit_id"] == "C0002-U004", "households"] += 7
    units.to_file(cfg["units"]["path"], layer="units", driver="GPKG")
    res = run_batch(cfg, "community", out, workers=1, budget="same", merge=False)
    assert res.ran == ["C0002"]
    assert res.records["C0002"]["households"] == res.records["C0002"]["households"] // 1


def test_region_read_quotes_values_and_checks_columns(tmp_path: Path) -> None:
    city = make_city(2, side=3, seed=2)
    tricky = "x' OR '1'='1"
    city["units"]["community"] = city["units"]["community"].replace("C0001", tricky)
    path = tmp_path / "units.gpkg"
    city["units"].to_file(path, layer="units", driver="GPKG")
    src = LayerSource("units", str(path), "community")
    src.check()
    assert len(src.read(tricky)) == 9 and set(src.read(tricky)["community"]) == {tricky}
    assert len(src.read("C0000")) == 9 and len(src.read("nobody")) == 0
    assert region_folder(tricky) == "x%27%20OR%20%271%27%3D%271"
    with pytest.raises(ColumnError, match="no region column 'comunity'"):
        LayerSource("units", str(path), "comunity").check()
    with pytest.raises(ConfigError, match="region column"):
        run_batch({**_small_city(tmp_path), "name": "x"}, None, tmp_path / "o")


def test_missing_region_codes_and_varying_budget_are_input_errors(tmp_path: Path) -> None:
    city = make_city(2, side=3, seed=2)
    city["units"]["budget"] = range(len(city["units"]))
    cfg = write_city(city, tmp_path / "d")
    with pytest.raises(DataValueError, match="differs within region"):
        run_batch(cfg, "community", tmp_path / "o", workers=1, budget="column:budget")
    units = city["units"].astype({"street": object})
    units.loc[3, "street"] = None
    units.to_file(cfg["units"]["path"], layer="units", driver="GPKG")
    with pytest.raises(DataValueError, match="1 row"):
        run_batch(cfg, "street", tmp_path / "o", workers=1)


def test_raw_layers_scenario_is_refused_with_the_way_out(tmp_path: Path) -> None:
    from gridplan.scenario import parse_scenario

    cfg = parse_scenario(
        {"layers": {"boundaries": "c.gpkg", "buildings": "b.gpkg"}, "divide": {"grids": 2}}
    )
    with pytest.raises(ConfigError, match=r"splits a \[units\] layer.*`gridplan run`"):
        run_batch(cfg, "community", tmp_path / "o", workers=1)
    assert not (tmp_path / "o").exists()


def test_partitioned_geoparquet_and_folder_per_region_match_geopackage(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow", reason="GeoParquet needs pyarrow")
    city = make_city(2, side=3, seed=4)
    cfg = write_city(city, tmp_path / "gpkg", households_per_grid=400)
    ref = run_batch(cfg, "community", tmp_path / "ref", workers=1, budget="same", merge=False)
    regions = ref.done
    assert regions == ["C0000", "C0001"]

    pq_cfg = json.loads(json.dumps(cfg))
    for name, gdf in city.items():
        write_partitioned(gdf, tmp_path / "pq" / name, "community")
    pq_cfg["units"]["path"] = str(tmp_path / "pq" / "units")
    for key in ("sites", "workers", "volunteers"):
        pq_cfg["allocate"][key] = str(tmp_path / "pq" / key)
    pq = run_batch(pq_cfg, "community", tmp_path / "pqout", workers=1, budget="same")
    assert pq.done == regions
    assert (tmp_path / "pqout" / "city_grids.parquet").exists()

    dir_cfg = json.loads(json.dumps(cfg))
    for code in regions:
        for name, gdf in city.items():
            part = gdf[gdf["community"] == code]
            (tmp_path / "dirs" / code).mkdir(parents=True, exist_ok=True)
            pyogrio.write_dataframe(part, tmp_path / "dirs" / code / f"{name}.gpkg", layer=name)
    dir_cfg["units"]["path"] = str(tmp_path / "dirs" / "{region}" / "units.gpkg")
    for key in ("sites", "workers", "volunteers"):
        dir_cfg["allocate"][key] = str(tmp_path / "dirs" / "{region}" / f"{key}.gpkg")
    dirs = run_batch(dir_cfg, None, tmp_path / "dirout", workers=1, budget="same", merge=False)
    assert dirs.done == regions
    shared = run_batch(dir_cfg, None, tmp_path / "dirshared", workers=1, merge=False)
    hh = {c: float(city["units"].query("community == @c")["households"].sum()) for c in regions}
    ratio = shared.records["C0000"]["budget"] / shared.records["C0001"]["budget"]
    assert ratio == pytest.approx(hh["C0000"] / hh["C0001"], rel=1e-6)

    expected = region_files(tmp_path / "ref", regions)
    assert region_files(tmp_path / "pqout", regions) == expected
    assert region_files(tmp_path / "dirout", regions) == expected


def test_cli_batch_runs_and_resumes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from gridplan.cli import main

    cfg = write_city(make_city(2, side=3, seed=8), tmp_path, households_per_grid=400)
    toml = tmp_path / "city.toml"
    toml.write_text(
        f"""name = "two communities"
[units]
path = "units.gpkg"
id = "unit_id"
population = "population"
households = "households"
[divide]
households_per_grid = 400
tolerance = 0.15
[allocate]
sites = "sites.gpkg"
workers = "workers.gpkg"
volunteers = "volunteers.gpkg"
budget = {cfg["allocate"]["budget"]}
[output]
map = false
""",
        encoding="utf-8",
    )
    args = ["-q", "batch", str(toml), "--regions", "community", "--out", str(tmp_path / "o")]
    assert main([*args, "--workers", "1"]) == 0
    assert main([*args, "--workers", "1"]) == 0
    assert load_manifest(tmp_path / "o")["counts"] == {"done": 2, "failed": 0, "pending": 0}
    assert main([*args, "--regions", "nope"]) == 2
    assert "no region column 'nope'" in capsys.readouterr().err
    assert main([*args, "--workers", "0"]) == 2
    db_out = ["batch", str(toml), "--regions", "community", "--out", "postgresql://u:pw@h/c"]
    assert main(["-q", *db_out]) == 2
    err = capsys.readouterr().err
    assert "--db" in err and "pw@" not in err
