"""Scenario TOML parsing: defaults, unknown keys, types, paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridplan.errors import ConfigError
from gridplan.io.atomic import staged_dir, write_text
from gridplan.scenario import load_scenario, parse_scenario
from gridplan.scenario.demo import DEMO, demo_scenario

GOOD = """
name = "test"
[units]
path = "data/units.gpkg"
population = "pop"
households = "hh"
[divide]
households_per_grid = 300
tolerance = 0.1
[allocate]
sites = "sites.geojson"
budget = 5_000_000
"""


LAYERS = """
[layers]
boundaries = "data/communities.gpkg"
buildings = "b.gpkg"
roads = "roads.gpkg"
register = "register.csv"
on = "building_id"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "scenario.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_and_relative_paths(tmp_path):
    cfg = load_scenario(write(tmp_path, GOOD))
    assert cfg["units"]["path"] == str((tmp_path / "data" / "units.gpkg").resolve())
    assert cfg["allocate"]["sites"] == str((tmp_path / "sites.geojson").resolve())
    assert cfg["divide"]["tolerance"] == 0.1 and cfg["divide"]["seed"] == 0
    assert cfg["divide"]["grids"] is None and cfg["units"]["islands"] == "raise"
    assert cfg["has_divide"] and cfg["has_allocate"] and cfg["output"]["map"] is True


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (GOOD.replace("tolerance", "tolerence"), r"unknown key divide\.'tolerence'.*'tolerance'"),
        (GOOD + "\n[extra]\nx = 1\n", r"unknown key 'extra'"),
        (GOOD.replace('population = "pop"', "population = 3"), r"units\.population = 3"),
        (GOOD.replace("tolerance = 0.1", "tolerance = true"), r"divide\.tolerance = True"),
        (GOOD.replace('path = "data/units.gpkg"\n', ""), r"units\.path is required"),
        (
            GOOD.replace("households_per_grid = 300", "grids = 4\nhouseholds_per_grid = 1"),
            "exactly one of",
        ),
        ("schema_version = 9\n" + GOOD, "schema_version = 9"),
        ("[divide]\ngrids = 3\n", r"exactly one of \[units\].*or \[layers\].*got 0"),
        (GOOD + LAYERS, r"exactly one of \[units\].*got 2"),
        (LAYERS.replace('buildings = "b.gpkg"\n', ""), r"layers\.buildings is required"),
        (LAYERS.replace("roads =", "road ="), r"unknown key layers\.'road'.*'roads'"),
        (LAYERS + "[divide]\ngrids = 2\nroad_weight = true\n", r"divide\.road_weight = True"),
        (GOOD + "\n[units\n", "not valid TOML"),
    ],
)
def test_errors_name_the_key(tmp_path, text, pattern):
    with pytest.raises(ConfigError, match=pattern) as err:
        load_scenario(write(tmp_path, text))
    assert "scenario.toml" in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_scenario(tmp_path / "nope.toml")


def test_raw_layers_table_defaults_and_relative_paths(tmp_path):
    cfg = load_scenario(write(tmp_path, LAYERS + "[divide]\ngrids = 2\n"))
    lay = cfg["layers"]
    assert cfg["units"] is None
    assert lay["boundaries"] == str((tmp_path / "data" / "communities.gpkg").resolve())
    assert lay["register"] == str((tmp_path / "register.csv").resolve())
    assert lay["on"] == "building_id" and lay["address"] is None and lay["encoding"] is None
    assert (lay["population"], lay["households"], lay["road_class"]) == (
        "residents", "households", "kind")  # fmt: skip
    assert cfg["divide"]["road_weight"] == 2.0
    weights = "[divide]\ngrids = 2\nroad_weight = { primary = 8, path = 0 }\n"
    cfg = load_scenario(write(tmp_path, LAYERS + weights))
    assert cfg["divide"]["road_weight"] == {"primary": 8, "path": 0}


SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
_PATHS = ("path", "sites", "workers", "volunteers", "boundaries", "buildings", "roads", "register")


def test_demo_scenario_matches_shipped_toml():
    cfg = demo_scenario()
    assert cfg["divide"]["households_per_grid"] == 300 and cfg["divide"]["within"] == "community"
    assert cfg["units"] is None and cfg["layers"]["register"] == "register.csv"
    shipped = SAMPLE / "scenario.toml"
    if not shipped.exists():
        pytest.skip("sample_data/scenario.toml not generated in this checkout")
    other = load_scenario(shipped)
    for section in ("divide", "allocate", "layers"):
        for key, value in cfg[section].items():
            if key not in _PATHS:
                assert other[section][key] == value, (section, key)
            else:
                assert other[section][key] == (value and str((SAMPLE / value).resolve()))
    assert other["units"] is None and DEMO["name"] == other["name"]


def test_polygon_units_scenario_runs_the_same_district(tmp_path):
    """sample_data/scenario_units.toml: the sample's ready-made polygon units, the demo's
    settings; households are kept from the units file to the grids."""
    from gridplan.scenario import run_scenario

    shipped = SAMPLE / "scenario_units.toml"
    if not shipped.exists():
        pytest.skip("sample_data/ not present (installed package)")
    cfg, demo = load_scenario(shipped), demo_scenario()
    assert cfg["layers"] is None and Path(cfg["units"]["path"]).exists()
    for section in ("divide", "allocate"):
        for key, value in demo[section].items():
            if key not in _PATHS and key != "road_weight":
                assert cfg[section][key] == value, (section, key)
    assert cfg["units"]["demand"] == demo["layers"]["demand"]
    cfg["output"]["map"] = False
    cfg["has_allocate"] = False  # the division is what differs from the demo
    result = run_scenario(cfg, tmp_path / "out")
    units = result.territory.units
    assert result.plan.grids["households"].sum() == units["households"].sum() == 27_299
    assert result.plan.metrics["n_outside_tolerance"] == 0
    assert "road_boundary_share" not in result.plan.metrics or (
        result.plan.metrics["road_boundary_share"] is None
    )


def test_staged_dir_leaves_output_untouched_on_failure(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    write_text(out / "keep.txt", "old")
    with pytest.raises(RuntimeError), staged_dir(out) as stage:
        (stage / "keep.txt").write_text("new")
        raise RuntimeError("boom")
    assert (out / "keep.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging debris
    with staged_dir(out) as stage:
        (stage / "keep.txt").write_text("new")
    assert (out / "keep.txt").read_text() == "new"


def test_parse_scenario_direct():
    cfg = parse_scenario({"units": {"path": "u", "population": "p"}})
    assert not cfg["has_divide"] and not cfg["has_allocate"]


def test_schema_doc_lists_every_scenario_key():
    from gridplan.scenario.config import SCHEMA

    doc = (Path(__file__).resolve().parents[1] / "docs" / "schema.md").read_text(encoding="utf-8")
    for section, keys in SCHEMA.items():
        for key in keys:
            assert f"`{section}.{key}`" in doc, f"docs/schema.md misses {section}.{key}"


def test_run_reads_the_named_layer_and_writes_outputs(tmp_path):
    import geopandas as gpd
    import shapely

    from gridplan.scenario import run_scenario

    cells = [
        shapely.box(i * 50, j * 50, i * 50 + 50, j * 50 + 50) for j in range(4) for i in range(4)
    ]
    blocks = gpd.GeoDataFrame({"pop": [20] * 16}, geometry=cells, crs="EPSG:32650")
    decoy = blocks.iloc[:3].assign(pop=1)
    gpkg = tmp_path / "layers.gpkg"
    decoy.to_file(gpkg, layer="decoy")
    blocks.to_file(gpkg, layer="blocks")
    cfg = load_scenario(
        write(
            tmp_path,
            '[units]\npath = "layers.gpkg"\nlayer = "blocks"\npopulation = "pop"\n'
            '[divide]\ngrids = 4\nbalance = "population"\ntolerance = 0.0\n[output]\nmap = false\n',
        )
    )
    result = run_scenario(cfg, tmp_path / "out")
    assert len(result.territory.units) == 16
    assert result.plan.grids["population"].tolist() == [80.0] * 4
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "grids.geojson",
        "metrics.json",
        "plan.geojson",
        "report.html",
        "report.md",
        "timings.json",
    ]
