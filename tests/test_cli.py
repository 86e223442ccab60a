"""The command line as a subprocess: exit codes, one-line messages, files written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

REPO = Path(__file__).resolve().parents[1]


def gridplan(
    *args: str, cwd: Path | None = None, hashseed: str = "123"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    return subprocess.run(
        [sys.executable, "-m", "gridplan.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def lattice(tmp_path: Path, crs: str | None = "EPSG:32650", n: int = 6) -> Path:
    geoms = [
        shapely.box(i * 50, j * 50, i * 50 + 50, j * 50 + 50) for j in range(n) for i in range(n)
    ]
    gdf = gpd.GeoDataFrame(
        {
            "uid": [f"u{k:03d}" for k in range(n * n)],
            "pop": [30 + (k * 7) % 11 for k in range(n * n)],
            "hh": [10 + (k * 3) % 5 for k in range(n * n)],
            "name": ["<img src=x onerror=alert(1)>"] * (n * n),
        },
        geometry=geoms,
        crs=crs,
    )
    path = tmp_path / "units.geojson"
    gdf.to_file(path)
    return path


def test_version_and_help():
    res = gridplan("--version")
    assert res.returncode == 0 and res.stdout.strip().startswith("gridplan 0.")
    res = gridplan("--help")
    assert res.returncode == 0
    for command in ("demo", "run", "divide", "allocate"):
        assert command in res.stdout


def test_divide_writes_outputs(tmp_path):
    units = lattice(tmp_path)
    out = tmp_path / "out"
    res = gridplan(
        "divide", str(units), "--population", "pop", "--households", "hh", "--id", "uid",
        "--grids", "4", "--tolerance", "0.05", "--out", str(out),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    names = sorted(p.name for p in out.iterdir())
    for name in ("plan.geojson", "grids.geojson", "metrics.json", "map.html", "report.md"):
        assert name in names
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_grids"] == 4 and metrics["contiguous"] is True
    assert metrics["max_abs_deviation"] <= 0.05 + 1e-9
    plan = gpd.read_file(out / "plan.geojson")
    assert len(plan) == 36
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "<img src=x onerror" not in html


def test_divide_objective_cut_edges_is_recorded(tmp_path):
    units = lattice(tmp_path)
    out = tmp_path / "out"
    res = gridplan(
        "divide", str(units), "--population", "pop", "--households", "hh", "--id", "uid",
        "--grids", "4", "--tolerance", "0.05", "--objective", "cut_edges", "--out", str(out),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    params = json.loads((out / "grids.geojson").read_text())["gridplan"]["params"]
    assert params["objective"] == "cut_edges"
    assert json.loads((out / "metrics.json").read_text())["max_abs_deviation"] <= 0.05 + 1e-9
    bad = gridplan("divide", str(units), "--population", "pop", "--objective", "short")
    assert bad.returncode == 2 and "compact" in bad.stderr


@pytest.mark.parametrize(
    ("extra", "pattern"),
    [
        (["--population", "people"], "'people'"),
        (["--population", "pop", "--households", "hh", "--within", "street"], "'street'"),
    ],
)
def test_divide_bad_column_exits_2(tmp_path, extra, pattern):
    units = lattice(tmp_path)
    res = gridplan("divide", str(units), *extra, "--grids", "2", "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert pattern in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_missing_crs_exits_2(tmp_path):
    units = lattice(tmp_path)
    raw = json.loads(units.read_text())
    raw.pop("crs", None)  # GeoJSON without crs means WGS 84 to GDAL, so use a shapefile
    gdf = gpd.read_file(units).set_crs(None, allow_override=True)
    shp = tmp_path / "nocrs.shp"
    gdf.to_file(shp)
    (tmp_path / "nocrs.prj").unlink(missing_ok=True)
    res = gridplan(
        "divide", str(shp), "--population", "pop", "--grids", "2", "--out", str(tmp_path / "o")
    )
    assert res.returncode == 2
    assert "coordinate reference system" in res.stderr and "Traceback" not in res.stderr


def test_missing_file_exits_2(tmp_path):
    res = gridplan("divide", str(tmp_path / "none.gpkg"), "--population", "p", "--grids", "2",
                   "--out", str(tmp_path / "o"))  # fmt: skip
    assert res.returncode == 2 and "does not exist" in res.stderr


def test_malformed_and_unknown_key_toml_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[units\npath = 1")
    res = gridplan("run", str(bad), "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "bad.toml" in res.stderr and "TOML" in res.stderr
    typo = tmp_path / "typo.toml"
    typo.write_text('[units]\npath = "u.gpkg"\npopulation = "p"\n[divide]\ngrids = 2\nseeed = 1\n')
    res = gridplan("run", str(typo), "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "'seeed'" in res.stderr and "'seed'" in res.stderr


def test_infeasible_divide_exits_3(tmp_path):
    units = lattice(tmp_path, n=2)  # 4 units cannot make 5 grids
    res = gridplan("divide", str(units), "--population", "pop", "--grids", "5",
                   "--out", str(tmp_path / "o"))  # fmt: skip
    assert res.returncode == 3, res.stderr
    assert res.stderr.startswith("gridplan: infeasible:") and "fewer grids" in res.stderr
    assert "Traceback" not in res.stderr


def test_tolerance_infeasible_exits_3_with_smallest_tolerance(tmp_path):
    units = lattice(tmp_path, n=2)  # populations 30, 37, 33, 40: no 2-way split within 1 %
    res = gridplan("divide", str(units), "--population", "pop", "--grids", "2",
                   "--tolerance", "0.01", "--out", str(tmp_path / "o"))  # fmt: skip
    assert res.returncode == 3, res.stderr
    assert "tolerance" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o").exists()


def test_argparse_errors_exit_2(tmp_path):
    res = gridplan("divide", "x.gpkg", "--population", "p", "--out", "o")
    assert res.returncode == 2 and "--grids" in res.stderr


def test_same_input_and_seed_give_identical_files(tmp_path):
    units = lattice(tmp_path, n=8)
    outs = []
    for k, hashseed in enumerate(("1", "2")):
        out = tmp_path / f"out{k}"
        res = gridplan(
            "divide", str(units), "--population", "pop", "--households", "hh", "--id", "uid",
            "--grids", "5", "--seed", "7", "--out", str(out), hashseed=hashseed,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        outs.append(out)
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(p.name for p in outs[1].iterdir())
    for name in names:
        if name != "timings.json":  # the only file that holds run times
            assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def scenario_files(tmp_path: Path) -> dict[str, Path]:
    from gridplan.allocation.synthetic import make_scenario

    paths = {}
    for name, layer in make_scenario(n_grids=16, n_sites=6, n_workers=20, n_volunteers=40).items():
        paths[name] = tmp_path / f"{name}.geojson"
        layer.reset_index().to_file(paths[name])
    return paths


def test_allocate_writes_outputs_that_round_trip(tmp_path):
    from gridplan import Allocation
    from gridplan.allocation import minimum_budget

    files = scenario_files(tmp_path)
    out = tmp_path / "alloc"
    args = ["allocate", str(files["grids"])]
    for name in ("sites", "workers", "volunteers"):
        args += [f"--{name}", str(files[name])]
    layers = {k: gpd.read_file(p) for k, p in files.items()}
    grids = layers.pop("grids").set_index("grid")
    budget = minimum_budget(grids, **layers)["smallest_budget"] * 1.2
    res = gridplan(*args, "--budget", str(budget), "--out", str(out))
    assert res.returncode == 0, res.stderr
    names = {p.name for p in out.iterdir()}
    assert {"allocation.json", "coverage.csv", "sites.csv", "map.html", "report.md"} <= names
    data = json.loads((out / "allocation.json").read_text())
    assert data["schema_version"] == 1 and data["status"] == "optimal"
    assert data["cost"]["total"] <= budget + 1e-6
    again = Allocation.from_dict(data)
    assert again.to_dict() | {"seconds": None, "build_seconds": None} == data | {
        "seconds": None,
        "build_seconds": None,
    }

    res = gridplan(*args, "--budget", str(budget * 0.5), "--out", str(tmp_path / "o2"))
    assert res.returncode == 3, res.stderr
    assert res.stderr.startswith("gridplan: infeasible:") and "smallest budget" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "o2").exists()


def test_rerun_into_a_used_folder_leaves_no_stale_outputs(tmp_path):
    units = lattice(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for stale in ("allocation.json", "coverage.csv", "allocation_map.html"):
        (out / stale).write_text("from an earlier run")
    (out / "notes.txt").write_text("the planner's own file")
    res = gridplan("divide", str(units), "--population", "pop", "--grids", "3", "--no-map",
                   "--out", str(out))  # fmt: skip
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["grids.geojson", "metrics.json", "notes.txt", "plan.geojson", "report.html",
                     "report.md", "timings.json"]  # fmt: skip


def test_coordinates_contradicting_the_crs_exit_2(tmp_path):
    units = lattice(tmp_path)
    gdf = gpd.read_file(units)
    gdf.geometry = gdf.geometry.translate(500_000, 3_800_000)
    wrong = tmp_path / "wrong.gpkg"
    gdf.set_crs("EPSG:4326", allow_override=True).to_file(wrong)
    res = gridplan("divide", str(wrong), "--population", "pop", "--grids", "2",
                   "--out", str(tmp_path / "o"))  # fmt: skip
    assert res.returncode == 2 and "not degrees" in res.stderr and "Traceback" not in res.stderr


def test_divide_then_allocate_on_its_grids(tmp_path):
    """The README's two-step flow: allocate reads the grids.geojson that divide wrote."""
    from gridplan.allocation.synthetic import make_scenario

    units = lattice(tmp_path, n=8)
    res = gridplan("divide", str(units), "--population", "pop", "--households", "hh",
                   "--grids", "4", "--no-map", "--out", str(tmp_path / "d"))  # fmt: skip
    assert res.returncode == 0, res.stderr
    grids = gpd.read_file(tmp_path / "d" / "grids.geojson").to_crs("EPSG:32650")
    layers = make_scenario(n_grids=4, n_sites=3, n_workers=6, n_volunteers=0, crs=32650)
    centre = grids.union_all().centroid
    args = []
    for name in ("sites", "workers"):
        layer = layers[name].reset_index()
        offset = centre.x - layer.geometry.x.mean(), centre.y - layer.geometry.y.mean()
        layer.geometry = layer.geometry.translate(*offset)
        layer.to_file(tmp_path / f"{name}.geojson")
        args += [f"--{name}", str(tmp_path / f"{name}.geojson")]
    res = gridplan("allocate", str(tmp_path / "d" / "grids.geojson"), *args, "--no-map",
                   "--out", str(tmp_path / "a"))  # fmt: skip
    assert res.returncode == 0, res.stderr
    data = json.loads((tmp_path / "a" / "allocation.json").read_text())
    assert sorted(data["coverage"]["index"]) == sorted(grids["grid"])
    written = {p.name for p in (tmp_path / "a").iterdir()}
    assert {"sites.csv", "worker_assignment.csv", "coverage.csv"} <= written


def test_demo_and_shipped_scenario_give_the_same_files(tmp_path):
    """`gridplan demo` (what `make demo` runs) equals `gridplan run sample_data/scenario.toml`."""
    from gridplan import Allocation, GridPlan, Territory
    from gridplan.scenario import load_scenario

    demo, run = tmp_path / "demo", tmp_path / "run"
    res = gridplan("demo", "--out", str(demo))
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""  # no progress bar when stderr is not a terminal
    from gridplan.scenario.run import OUTPUT_FILES

    assert f"wrote {len(OUTPUT_FILES)} file(s)" in res.stdout  # every documented output
    res = gridplan("run", str(REPO / "sample_data" / "scenario.toml"), "--out", str(run))
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in demo.iterdir())
    assert names == sorted(p.name for p in run.iterdir())
    for name in names:
        if name != "timings.json":
            assert (demo / name).read_bytes() == (run / name).read_bytes(), name

    metrics = json.loads((demo / "metrics.json").read_text())
    assert metrics["n_outside_tolerance"] == 0 and metrics["contiguous"] is True
    assert metrics["road_boundary_share"] > 0.5  # the demo's units come from raw layers
    cfg = load_scenario(REPO / "sample_data" / "scenario.toml")
    lay = cfg["layers"]
    territory = Territory.from_layers(
        boundaries=lay["boundaries"], buildings=lay["buildings"], roads=lay["roads"],
        register=lay["register"], on=lay["on"], address=lay["address"], parent=lay["parent"],
        population=lay["population"], demand=lay["demand"], segment=lay["segment"],
    )  # fmt: skip
    from_units = GridPlan.from_file(demo / "plan.geojson", territory)
    assert from_units == GridPlan.from_file(demo / "grids.geojson", territory)
    assert from_units.grids["households"].sum() == territory.totals["households"]
    # households conserved end to end: the register = the grids + the unplaced rows
    register = pd.read_csv(lay["register"], dtype=str)
    in_register = pd.to_numeric(register["households"].str.rstrip("户")).sum()
    issues = pd.read_csv(demo / "match_report.csv", encoding="utf-8-sig")
    unplaced = issues.loc[issues["issue"] == "unplaced", "households"].sum()
    assert unplaced > 0 and in_register == from_units.grids["households"].sum() + unplaced
    report = (demo / "report.md").read_text(encoding="utf-8")
    assert "## Household register" in report
    assert "| matched_by_address | 945 |  | 凤凰家属院1幢 | B0929 | 16 |" in report

    data = json.loads((demo / "allocation.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 1 and data["cost"]["total"] <= 9_000_000
    again = Allocation.from_dict(data).to_dict()
    assert {k: v for k, v in again.items() if k not in ("seconds", "build_seconds")} == data
    html = (demo / "map.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in html.lower() or "charset=utf-8" in html.lower()
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?://", html)


# --- divide from raw layers ------------------------------------------------------------------


def raw_layers(tmp_path: Path) -> dict[str, Path]:
    """Two communities, a slanted road, 16 buildings, a GBK register with a row keyed only
    by a variant address, a row for an unknown building and one for a hostile name."""
    crs = "EPSG:32650"
    bnd = gpd.GeoDataFrame(
        {"community": ["东社区", "西社区"]},
        geometry=[shapely.box(0, 0, 200, 200), shapely.box(200, 0, 400, 200)],
        crs=crs,
    )
    road = gpd.GeoDataFrame(
        {"kind": ["primary"]}, geometry=[shapely.LineString([(-5, 60), (405, 140)])], crs=crs
    )
    geoms, ids, addr = [], [], []
    for k, (x, y) in enumerate((x, y) for x in (20, 70, 120, 160, 220, 270, 320, 360)
                               for y in (10, 160)):  # fmt: skip
        geoms.append(shapely.box(x, y, x + 18, y + 14))
        ids.append(f"B{k:02d}")
        addr.append(f"幸福小区{k + 1}号楼")
    bld = gpd.GeoDataFrame({"bid": ids, "addr": addr}, geometry=geoms, crs=crs)
    rows = [f"{b},{a},{10 + k},{25 + k}" for k, (b, a) in enumerate(zip(ids, addr, strict=True))]
    rows[3] = ",幸福小区４幢,13,28"  # no key: matched by the address
    rows.append("B99,工人新村1号楼,7,15")  # unknown building: unplaced, still counted
    rows.append(",=HYPERLINK(1)<b>x</b>,2,3")  # no key, no such address: unplaced
    text = "bid,addr,households,residents\n" + "\n".join(rows) + "\n"
    names = {"boundaries": "bnd.geojson", "buildings": "bld.geojson", "roads": "roads.geojson",
             "register": "register.csv"}  # fmt: skip
    paths = {k: tmp_path / v for k, v in names.items()}
    bnd.to_file(paths["boundaries"])
    bld.to_file(paths["buildings"])
    road.to_file(paths["roads"])
    paths["register"].write_bytes(text.encode("gbk"))
    return paths


def test_divide_from_raw_layers(tmp_path):
    """`gridplan divide --boundaries --buildings --roads --register`: units per building,
    the register joined by key then address, the match report written, households kept."""
    p = raw_layers(tmp_path)
    out = tmp_path / "out"
    res = gridplan("divide", "--boundaries", str(p["boundaries"]), "--buildings",
                   str(p["buildings"]), "--roads", str(p["roads"]), "--register",
                   str(p["register"]), "--on", "bid", "--address", "addr", "--within",
                   "community", "--grids", "4", "--tolerance", "0.3", "--road-weight",
                   "primary=4", "--encoding", "gbk", "--out", str(out))  # fmt: skip
    assert res.returncode == 0, res.stderr
    issues = pd.read_csv(out / "match_report.csv", encoding="utf-8-sig", dtype={"row": int})
    kinds = dict(zip(issues["row"], issues["issue"], strict=True))
    assert kinds == {5: "matched_by_address", 18: "unplaced", 19: "unplaced"}
    assert issues.loc[issues["row"] == 5, "matched_building"].item() == "B03"
    grids = gpd.read_file(out / "grids.geojson")
    register_total = sum(10 + i for i in range(16)) + 7 + 2
    assert grids["households"].sum() + 7 + 2 == register_total
    assert issues.loc[issues["row"] == 19, "addr"].item().startswith("'=")  # not a formula
    params = json.loads((out / "grids.geojson").read_text())["gridplan"]["params"]
    assert params["road_weight"] == {"primary": 4.0}
    assert json.loads((out / "metrics.json").read_text())["road_boundary_share"] > 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "<b>" not in report and "&lt;b&gt;" in report  # register text is escaped
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<b>=HYPERLINK" not in html


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["units.geojson", "--boundaries", "b.geojson"], "not both"),
        (["--buildings", "b.geojson"], "--boundaries and --buildings"),
        (["units.geojson"], "--population is required"),
        (["--boundaries", "a", "--buildings", "b", "--snap", "1"], "--snap apply to a units"),
        (
            ["--boundaries", "bnd.geojson", "--buildings", "bld.geojson", "--on", "bid"],
            "(option --register)",
        ),
        (
            [
                "--boundaries",
                "bnd.geojson",
                "--buildings",
                "bld.geojson",
                "--register",
                "register.csv",
            ],
            "(option --on)",
        ),
    ],
)
def test_divide_units_or_raw_layers_exits_2(tmp_path, monkeypatch, capsys, args, pattern):
    """In-process (`main` is what the console script calls): one line, exit code 2."""
    from gridplan.cli import main

    raw_layers(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["divide", *args, "--grids", "2", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert pattern in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o").exists()


# --- options, warnings and the shell's conventions ---------------------------------------


def demand_lattice(tmp_path: Path, n: int = 8) -> Path:
    """The lattice with the four demand columns the default need rules read."""
    gdf = gpd.read_file(lattice(tmp_path, n=n))
    k = range(len(gdf))
    gdf["age60plus"] = [5 + i % 4 for i in k]
    gdf["elderly_alone"] = [1 + i % 3 for i in k]
    gdf["disabled"] = [i % 2 for i in k]
    gdf["children"] = [3 + i % 5 for i in k]
    path = tmp_path / "units_demand.geojson"
    gdf.to_file(path)
    return path


def volunteers_near(tmp_path: Path, grids_file: Path) -> Path:
    from gridplan.allocation.synthetic import make_scenario

    grids = gpd.read_file(grids_file).to_crs("EPSG:32650")
    vols = make_scenario(n_grids=4, n_sites=1, n_workers=1, n_volunteers=12, crs=32650)
    layer = vols["volunteers"].reset_index()
    centre = grids.union_all().centroid
    layer.geometry = layer.geometry.translate(
        centre.x - layer.geometry.x.mean(), centre.y - layer.geometry.y.mean()
    )
    path = tmp_path / "volunteers.geojson"
    layer.to_file(path)
    return path


def test_demand_columns_reach_allocate_or_it_warns(tmp_path):
    """divide --demand carries the need columns into grids.geojson; without them allocate
    says loudly that the need looks met only because the columns are missing."""
    units = demand_lattice(tmp_path)
    base = ["divide", str(units), "--population", "pop", "--households", "hh", "--grids", "4",
            "--no-map"]  # fmt: skip
    res = gridplan(*base, "--demand", "age60plus,elderly_alone", "--demand", "disabled,children",
                   "--out", str(tmp_path / "with"))  # fmt: skip
    assert res.returncode == 0, res.stderr
    grids = gpd.read_file(tmp_path / "with" / "grids.geojson")
    source = gpd.read_file(units)
    for col in ("age60plus", "elderly_alone", "disabled", "children"):
        assert grids[col].sum() == source[col].sum()
    res = gridplan(*base, "--out", str(tmp_path / "without"))
    assert res.returncode == 0, res.stderr
    vols = volunteers_near(tmp_path, tmp_path / "with" / "grids.geojson")

    def allocate(folder: str) -> tuple[subprocess.CompletedProcess[str], dict]:
        out = tmp_path / f"a_{folder}"
        r = gridplan("allocate", str(tmp_path / folder / "grids.geojson"), "--volunteers",
                     str(vols), "--no-map", "--quiet", "--out", str(out))  # fmt: skip
        assert r.returncode == 0, r.stderr
        return r, json.loads((out / "allocation.json").read_text(encoding="utf-8"))

    res, data = allocate("with")
    assert "warning" not in res.stderr and data["warnings"] == []
    need_with = sum(data["coverage"]["columns"]["need_hours"])
    res, data = allocate("without")
    assert res.stderr.startswith("gridplan: warning: grids lack the demand column(s)")
    assert "--demand" in res.stderr and "Traceback" not in res.stderr
    assert len(data["warnings"]) == 1 and "'elderly_alone'" in data["warnings"][0]
    assert sum(data["coverage"]["columns"]["need_hours"]) < need_with
    report = (tmp_path / "a_without" / "report.md").read_text(encoding="utf-8")
    assert "### Warnings" in report and "'elderly_alone'" in report


def test_every_suggested_option_exists(tmp_path):
    units = lattice(tmp_path)
    out = tmp_path / "o"
    res = gridplan("divide", str(units), "--population", "pop", "--households", "hh",
                   "--grids", "3", "--crs", "EPSG:32650", "--snap", "0.5", "--repair",
                   "--islands", "connect", "--contiguity", "queen", "--no-strict",
                   "--time-limit", "60", "--area-weight", "0.1", "--compactness", "1.5",
                   "--seed", "7", "--tolerance", "0.2", "--no-map", "--out", str(out),
                   "--quiet")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""  # --quiet after the command hides the summary
    params = json.loads((out / "grids.geojson").read_text())["gridplan"]["params"]
    assert params["seed"] == 7 and params["strict"] is False and params["area_weight"] == 0.1
    assert params["compactness"] == 1.5 and params["time_limit"] == 60


def test_messages_name_the_command_line_option(tmp_path):
    gdf = gpd.read_file(lattice(tmp_path))
    far = gdf.iloc[[0]].assign(uid="far", geometry=[shapely.box(900, 900, 950, 950)])
    path = tmp_path / "islands.geojson"
    pd.concat([gdf, far]).to_file(path)
    res = gridplan("divide", str(path), "--population", "pop", "--id", "uid", "--grids", "2",
                   "--out", str(tmp_path / "o"))  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert "--islands connect" in res.stderr and "--snap" in res.stderr


@pytest.mark.parametrize("where", ["file", "under_file", "read_only"])
def test_unusable_out_fails_before_computing(tmp_path, where):
    units = lattice(tmp_path)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = {"file": blocker, "under_file": blocker / "out", "read_only": Path("/proc/gridplan")}
    res = gridplan("divide", str(units), "--population", "pop", "--grids", "2",
                   "--out", str(out[where]))  # fmt: skip
    assert res.returncode == 2 and res.stderr.startswith("gridplan: error: --out")
    assert "Traceback" not in res.stderr and blocker.read_text() == "not a folder"


def test_closed_pipe_and_ctrl_c_are_not_tracebacks(tmp_path):
    import signal
    import time

    units = lattice(tmp_path)
    env = {**os.environ, "PYTHONHASHSEED": "1"}
    cmd = [sys.executable, "-m", "gridplan.cli", "divide", str(units), "--population", "pop",
           "--grids", "3", "--no-map", "--out", str(tmp_path / "o")]  # fmt: skip
    read, write = os.pipe()
    os.close(read)  # the reader is gone before gridplan writes its summary
    proc = subprocess.run(cmd, stdout=write, stderr=subprocess.PIPE, text=True, env=env)
    os.close(write)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "BrokenPipe" not in proc.stderr

    # the child says when its imports are done; Ctrl-C then lands inside main()'s run
    code = (
        "import sys, gridplan.cli; print('ready', flush=True); "
        f"sys.exit(gridplan.cli.main(['demo', '--out', {str(tmp_path / 'd')!r}]))"
    )
    live = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    assert live.stdout is not None and live.stdout.readline() == "ready\n"
    time.sleep(1.0)  # into the computation: the demo runs for well over ten seconds
    live.send_signal(signal.SIGINT)
    _, err = live.communicate(timeout=120)
    assert live.returncode == 130 and "Traceback" not in err, err
    assert "interrupted" in err and not (tmp_path / "d").exists()


def test_csv_tables_open_in_excel_and_run_no_formulas(tmp_path):
    files = scenario_files(tmp_path)
    sites = gpd.read_file(files["sites"])
    sites["name"] = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "西街", "ok"]
    sites.to_file(files["sites"])
    res = gridplan("allocate", str(files["grids"]), "--sites", str(files["sites"]), "--no-map",
                   "--out", str(tmp_path / "a"))  # fmt: skip
    assert res.returncode == 0, res.stderr
    raw = (tmp_path / "a" / "sites.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    table = pd.read_csv(tmp_path / "a" / "sites.csv", encoding="utf-8-sig")
    assert table.columns[0] == "site_id" and not any(c.startswith("Unnamed") for c in table)
    assert sorted(table["name"]) == sorted(["'=HYPERLINK(\"http://x\")", "'+1", "'-2",
                                            "'@SUM(A1)", "西街", "ok"])  # fmt: skip
    assert (table["annual_cost"] >= 0).all()  # numbers are numbers, never prefixed


def test_solver_stopped_by_its_time_limit_exits_4(tmp_path):
    files = scenario_files(tmp_path)
    args = ["allocate", str(files["grids"]), "--no-map", "--time-limit", "0.000001"]
    for name in ("sites", "workers", "volunteers"):
        args += [f"--{name}", str(files[name])]
    res = gridplan(*args, "--out", str(tmp_path / "o"))
    assert res.returncode == 4, res.stderr
    assert res.stderr.startswith("gridplan: solver:") and "time_limit" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "o").exists()
