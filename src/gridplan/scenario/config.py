"""Scenario files: one TOML file describing inputs, column names and settings.

Unknown keys are errors (a typo must not silently fall back to a default).

>>> cfg = parse_scenario({"units": {"path": "u.geojson", "population": "pop"},
...                       "divide": {"grids": 4}})
>>> cfg["divide"]["tolerance"], cfg["layers"]
(0.05, None)

A scenario starting from raw layers has a ``[layers]`` table instead of ``[units]``:

>>> cfg = parse_scenario({"layers": {"boundaries": "c.gpkg", "buildings": "b.gpkg",
...                                  "register": "r.csv", "on": "building_id"}})
>>> cfg["units"], cfg["layers"]["population"], cfg["layers"]["road_class"]
(None, 'residents', 'kind')
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import Any

from gridplan.division.spec import DivideSpec as _Divide  # the division defaults
from gridplan.errors import ConfigError
from gridplan.i18n import check_lang

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["SCHEMA", "SCHEMA_VERSION", "load_scenario", "parse_scenario"]

SCHEMA_VERSION = 1

_REQUIRED = object()
_NUM = (int, float)

# section -> key -> (accepted types, default). Paths are relative to the scenario file.
SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], Any]]] = {
    "units": {
        "path": ((str,), _REQUIRED),
        "layer": ((str, int), None),
        "population": ((str,), _REQUIRED),
        "households": ((str,), None),
        "id": ((str,), None),
        "parent": ((str,), None),
        "demand": ((list,), []),
        "crs": ((str, int), None),
        "metric_crs": ((str, int), None),
        "contiguity": ((str,), "rook"),
        "snap": (_NUM, 0.0),
        "islands": ((str,), "raise"),
        "repair": ((bool,), False),
    },
    # The alternative to [units]: raw layers made into one unit per building
    # (gridplan.units.from_layers). A scenario has exactly one of the two.
    "layers": {
        "boundaries": ((str,), _REQUIRED),
        "buildings": ((str,), _REQUIRED),
        "roads": ((str,), None),
        "barriers": ((str,), None),
        "register": ((str,), None),
        "on": ((str,), None),
        "address": ((str,), None),
        "encoding": ((str,), None),
        "counts": ((list,), None),
        "parent": ((str,), None),
        "population": ((str,), "residents"),
        "households": ((str,), "households"),
        "demand": ((list,), []),
        "road_class": ((str,), "kind"),
        "islands": ((str,), "raise"),
        "segment": (_NUM, 2.0),
    },
    "divide": {
        "grids": ((int,), None),
        "households_per_grid": (_NUM, None),
        "tolerance": (_NUM, _Divide.tolerance),
        "balance": ((str,), _Divide.balance),
        "area_weight": (_NUM, _Divide.area_weight),
        "compactness": (_NUM, _Divide.compactness),
        "within": ((str,), _Divide.within),
        "seed": ((int,), _Divide.seed),
        "time_limit": (_NUM, _Divide.time_limit),
        "strict": ((bool,), _Divide.strict),
        "road_weight": ((int, float, dict), _Divide.road_weight),
        "objective": ((str,), _Divide.objective),
    },
    "allocate": {
        "sites": ((str,), None),
        "workers": ((str,), None),
        "volunteers": ((str,), None),
        "budget": (_NUM, None),
        "solver": ((str,), "highs"),
        "time_limit": (_NUM, None),
        "mip_gap": (_NUM, None),
        "roads": ((str,), None),  # street lines or an OSM .pbf: walking distances
    },
    "output": {
        "map": ((bool,), True),
        "tiles": ((str,), None),
        "lang": ((str,), "en"),  # report, maps and tables: "en" or "zh" (gridplan.i18n)
        "streets": ((str,), None),  # a line layer drawn on the maps as context
    },
}
_TOP_LEVEL = {"schema_version", "name", *SCHEMA}
_PATH_KEYS = {("units", "path"), ("allocate", "sites"), ("allocate", "workers"),
              ("allocate", "volunteers"), ("output", "streets")}  # fmt: skip
_PATH_KEYS.add(("allocate", "roads"))
_PATH_KEYS |= {("layers", k) for k in ("boundaries", "buildings", "roads", "barriers", "register")}
_UNITS_SECTIONS = ("units", "layers")  # exactly one of them


def _unknown(key: str, allowed: set[str], where: str, source: str) -> ConfigError:
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ConfigError(
        f"{source}: unknown key {where}{key!r}.{hint} Allowed: {', '.join(sorted(allowed))}."
    )


def _one_units_section(raw: dict[str, Any], source: str) -> None:
    given = [s for s in _UNITS_SECTIONS if s in raw]
    if len(given) != 1:
        raise ConfigError(
            f"{source}: give exactly one of [units] (a polygon layer of units: path, "
            "population, ...) or [layers] (raw layers made into one unit per building: "
            f"boundaries, buildings, roads, register, ...); got {len(given)}."
        )


def parse_scenario(
    raw: dict[str, Any], base: str | os.PathLike[str] | None = None, source: str = "scenario"
) -> dict[str, Any]:
    """Validate a scenario mapping and fill in defaults.

    Relative paths are resolved against ``base`` (the scenario file's folder).
    Raises :class:`ConfigError` naming the key and the fix.
    """
    for key in raw:
        if key not in _TOP_LEVEL:
            raise _unknown(key, _TOP_LEVEL, "", source)
    version = raw.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ConfigError(
            f"{source}: schema_version = {version!r} is not supported; this gridplan reads "
            f"version {SCHEMA_VERSION}."
        )
    _one_units_section(raw, source)
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "name": raw.get("name", "scenario")}
    for section, spec in SCHEMA.items():
        if section in _UNITS_SECTIONS and section not in raw:
            out[section] = None
            continue
        given = raw.get(section, {})
        if not isinstance(given, dict):
            raise ConfigError(f"{source}: [{section}] must be a table of settings.")
        for key in given:
            if key not in spec:
                raise _unknown(key, set(spec), f"{section}.", source)
        values: dict[str, Any] = {}
        for key, (types, default) in spec.items():
            if key not in given:
                if default is _REQUIRED:
                    raise ConfigError(f"{source}: {section}.{key} is required.")
                values[key] = list(default) if isinstance(default, list) else default
                continue
            value = given[key]
            if isinstance(value, bool) and bool not in types:
                value = None  # TOML true/false where a number or text was expected
            if value is None or not isinstance(value, types):
                kinds = " or ".join(t.__name__ for t in types)
                raise ConfigError(
                    f"{source}: {section}.{key} = {given[key]!r} should be of type {kinds}."
                )
            if (section, key) in _PATH_KEYS and base is not None:
                value = str((Path(base) / str(value)).resolve())
            values[key] = value
        out[section] = values
    divide = out["divide"]
    if (divide["grids"] is None) == (divide["households_per_grid"] is None) and "divide" in raw:
        raise ConfigError(
            f"{source}: give exactly one of divide.grids or divide.households_per_grid."
        )
    try:
        out["output"]["lang"] = check_lang(out["output"]["lang"])
    except ConfigError as exc:
        raise ConfigError(f"{source}: output.lang: {exc}") from None
    out["has_divide"] = "divide" in raw
    out["has_allocate"] = "allocate" in raw
    return out


def load_scenario(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a scenario TOML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"scenario file {str(path)!r} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read scenario file {str(path)!r}: {exc}") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from exc
    return parse_scenario(raw, base=path.parent, source=path.name)
