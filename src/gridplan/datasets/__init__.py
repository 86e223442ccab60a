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
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import geopandas as gpd
import pyproj

from gridplan.datasets._county_town import CRS, LAYERS, SKILLS, make_county_town
from gridplan.datasets._existing import make_existing
from gridplan.datasets._geojson import to_geojson

__all__ = [
    "CRS",
    "LAYERS",
    "SAMPLE_SEED",
    "SKILLS",
    "ExistingSample",
    "SampleData",
    "load_existing",
    "load_sample",
    "make_county_town",
    "make_existing",
    "to_geojson",
]

SAMPLE_SEED = 2024  # the seed of the committed sample_data files


@dataclass(frozen=True)
class SampleData:
    """The six layers of the synthetic district, all in :attr:`crs` (EPSG:4547).

    ``units`` (residential units: buildings, courtyards, shop-houses, public
    plots), ``communities``, ``streets`` (centre lines), ``sites`` (candidate
    service centres/stations), ``workers`` (grid-worker candidates) and
    ``volunteers``. See ``sample_data/README.md`` for the columns.
    """

    units: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    workers: gpd.GeoDataFrame
    volunteers: gpd.GeoDataFrame
    crs: pyproj.CRS


@functools.lru_cache(maxsize=4)
def _cached(seed: int) -> dict[str, gpd.GeoDataFrame]:
    return make_county_town(seed)


def load_sample(seed: int = SAMPLE_SEED) -> SampleData:
    """Return the synthetic sample district (fresh copies; safe to modify).

    The default seed gives exactly the committed ``sample_data`` files; the
    first call takes about a second, later calls reuse a cache.

    >>> s = load_sample()
    >>> s.units.loc[0, "unit_id"], s.units.crs == s.crs
    ('B0001', True)
    """
    layers = _cached(int(seed))
    return SampleData(
        **{name: layers[name].copy(deep=True) for name in LAYERS},
        crs=pyproj.CRS.from_user_input(CRS),
    )


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
