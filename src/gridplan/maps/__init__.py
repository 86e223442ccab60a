"""Interactive maps of grid plans and allocations, saved as offline HTML.

- :func:`explore_grids` – grids coloured by a column, codes as labels,
  tooltips/popups, optional unit, community and street layers.
- :func:`explore_allocation` – service points, radii, worker and volunteer
  links, coverage per grid, unmet need.
- :func:`save_html` – one self-contained HTML file (Leaflet inlined).
- :func:`wgs84_to_gcj02` / :func:`gcj02_to_wgs84` – the GCJ-02 offset used by
  Chinese tile providers.

All maps are plain :class:`folium.Map` objects; by default they have no base
tiles, so they work without internet.

>>> import geopandas as gpd, pandas as pd
>>> from shapely.geometry import box
>>> g = gpd.GeoDataFrame({"households": [300], "deviation": [0.0]},
...     geometry=[box(0, 0, 100, 100)], index=pd.Index(["G01"], name="grid"), crs=32651)
>>> m = explore_grids(g)
"""

from gridplan.maps.allocation import explore_allocation
from gridplan.maps.coords import gcj02_to_wgs84, wgs84_to_gcj02
from gridplan.maps.grids import explore_grids
from gridplan.maps.notebook import show
from gridplan.maps.save import inline_assets, save_html
from gridplan.maps.tiles import PROVIDERS

__all__ = [
    "PROVIDERS",
    "explore_allocation",
    "explore_grids",
    "gcj02_to_wgs84",
    "inline_assets",
    "save_html",
    "show",
    "wgs84_to_gcj02",
]
