"""Map layer: the walking catchment of each open site (reachable street segments)."""

from __future__ import annotations

import folium
import geopandas as gpd

from gridplan.maps._layers import geojson_layer, tip_html
from gridplan.maps.coords import to_display

__all__ = ["CATCHMENT", "add_catchments"]

CATCHMENT = "#1a9850"


def add_catchments(m: folium.Map, catchments: gpd.GeoDataFrame, gcj: bool) -> None:
    """Draw :func:`gridplan.coverage.catchments` as one line layer, tooltips escaped.

    >>> import geopandas as gpd
    >>> from shapely.geometry import MultiLineString
    >>> c = gpd.GeoDataFrame({"reach_m": [500.0], "street_m": [820.0]},
    ...     geometry=[MultiLineString([[(0, 0), (100, 0)]])], index=["S<1>"], crs=32651)
    >>> m = folium.Map()
    >>> add_catchments(m, c, gcj=False)
    >>> html = m.get_root().render()
    >>> "Walking catchment of S" in html and "S<1>" not in html  # escaped
    True
    """
    drawn = catchments[~catchments.geometry.is_empty]
    tips = [
        tip_html(
            f"Walking catchment of {site}",
            [("reach", f"{row['reach_m']:,.0f} m"), ("streets", f"{row['street_m']:,.0f} m")],
        )
        for site, row in drawn.iterrows()
    ]
    geojson_layer(
        to_display(drawn, gcj02=gcj),
        "Walking catchments",
        style=lambda _i: {"color": CATCHMENT, "weight": 3, "opacity": 0.8},
        tooltips=tips,
    ).add_to(m)
