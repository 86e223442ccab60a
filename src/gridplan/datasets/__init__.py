"""Sample data: a synthetic county-town district (not a real place).

:func:`load_sample` builds the district in memory with the same generator
that wrote the repository's ``sample_data/*.geojson`` files, so it works from
an installed package without those files. Money figures are illustrative.

>>> from gridplan.datasets import load_sample
>>> s = load_sample()
>>> s.crs.to_epsg(), len(s.communities)
(4547, 6)
>>> int(s.units["households"].sum()) > 20_000
True

It also holds what a planner's project starts from: building footprints
(``s.buildings``), the streets as a road layer with classes (``s.streets``,
column ``kind``), the community boundaries and a household register with the
usual defects (``s.register``, the table :func:`gridplan.units.read_register`
reads from ``sample_data/register.csv``):

>>> len(s.buildings), s.register.columns[:3].tolist()
(2228, ['building_id', 'address', 'households'])
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import pyproj

from gridplan.datasets._county_town import CRS, LAYERS, SKILLS, make_county_town
from gridplan.datasets._existing import make_existing
from gridplan.datasets._geojson import to_geojson
from gridplan.datasets._raw import DEFECTS, make_register, register_frame

__all__ = [
    "CRS",
    "DEFECTS",
    "LAYERS",
    "REGISTER_FILES",
    "SAMPLE_SEED",
    "SKILLS",
    "ExistingSample",
    "SampleData",
    "load_existing",
    "load_sample",
    "make_county_town",
    "make_existing",
    "make_register",
    "register_csv",
    "to_geojson",
]

SAMPLE_SEED = 2024  # the seed of the committed sample_data files
#: The household register's files in sample_data/: the same table in two encodings.
REGISTER_FILES = {"register.csv": "utf-8", "register_gbk.csv": "gbk"}


@dataclass(frozen=True)
class SampleData:
    """The layers of the synthetic district, all in :attr:`crs` (EPSG:4547).

    ``units`` (residential units: buildings, courtyards, shop-houses, public
    plots), ``communities``, ``streets`` (centre lines with a road class),
    ``sites`` (candidate service centres/stations), ``workers`` (grid-worker
    candidates), ``volunteers``, ``buildings`` (footprints) and ``register``
    (the household register as read from ``register.csv``: text cells,
    spreadsheet row numbers). See ``sample_data/README.md`` for the columns.
    """

    units: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    workers: gpd.GeoDataFrame
    volunteers: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    register: pd.DataFrame
    crs: pyproj.CRS


@functools.lru_cache(maxsize=4)
def _cached(seed: int) -> dict[str, gpd.GeoDataFrame]:
    return make_county_town(seed)


def load_sample(seed: int = SAMPLE_SEED) -> SampleData:
    """Return the synthetic sample district (fresh copies; safe to modify).

    The default seed gives exactly the committed ``sample_data`` files; the
    first call takes two to three seconds, later calls reuse a cache.

    >>> s = load_sample()
    >>> s.units.loc[0, "unit_id"], s.units.crs == s.crs
    ('B0001', True)
    """
    layers = _cached(int(seed))
    return SampleData(
        **{name: layers[name].copy(deep=True) for name in LAYERS},
        register=register_frame(register_csv(int(seed))),
        crs=pyproj.CRS.from_user_input(CRS),
    )


@functools.lru_cache(maxsize=4)
def register_csv(seed: int = SAMPLE_SEED) -> str:
    """The household register of the sample district as CSV text (``register.csv``).

    >>> register_csv().splitlines()[0]
    'building_id,address,households,residents,age60plus,elderly_alone,disabled,children'
    """
    return make_register(_cached(int(seed))["units"], int(seed))


@dataclass(frozen=True)
class ExistingSample:
    """Hand-drawn grids over the sample district and the district five years later.

    ``grids``: the existing grid map (``code``, ``worker``; uneven, with a
    gap and an overlap); ``units_5y``: the units after five years (a new
    estate, demolitions, households drifting in some communities; two
    communities unchanged). See :mod:`gridplan.datasets._existing`.

    >>> e = load_existing()  # doctest: +SKIP
    >>> len(e.grids), len(e.units_5y), len(load_sample().units)  # doctest: +SKIP
    (81, 2227, 2234)
    """

    grids: gpd.GeoDataFrame
    units_5y: gpd.GeoDataFrame


@functools.lru_cache(maxsize=4)
def _cached_existing(seed: int) -> dict[str, gpd.GeoDataFrame]:
    return make_existing(_cached(seed), seed)


def load_existing(seed: int = SAMPLE_SEED) -> ExistingSample:
    """The existing grids and the five-years-later units of the sample district (fresh copies)."""
    layers = _cached_existing(int(seed))
    return ExistingSample(
        grids=layers["existing_grids"].copy(deep=True), units_5y=layers["units_5y"].copy()
    )
