"""Input checks and distances shared by the allocation models."""

from __future__ import annotations

import numpy as np
import shapely


def point_coords(geoms) -> np.ndarray:
    """(n, 2) coordinates: points as they are, other shapes by ``representative_point()``."""
    arr = np.asarray(geoms.values if hasattr(geoms, "values") else geoms, dtype=object)
    is_point = shapely.get_type_id(arr) == 0
    pts = np.where(is_point, arr, shapely.point_on_surface(arr))
    return shapely.get_coordinates(pts).reshape(-1, 2)
