"""Reading a plan file back, hand edits included.

A plan file is GeoJSON written by :meth:`GridPlan.to_file`. Planners open it in a
GIS, change a unit's ``grid`` and save it; such an edit must reach the plan, never
be ignored in favour of the copy embedded in the ``"gridplan"`` member:

* units file (``plan.geojson``, one feature per unit with ``unit_id`` and
  ``grid``): the features' grids *are* the assignment; units whose grid differs
  from the embedded copy are reported in a :class:`~gridplan.errors.GridplanWarning`.
  A GIS that drops the ``"gridplan"`` member on save still works when the
  plan's ``params`` are passed.
* grids file (``grids.geojson``, one polygon per grid): a polygon cannot say which
  units moved, so a grid whose code or shape differs from the embedded plan is an
  error that names the grids and says to edit the units file instead.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from gridplan.errors import GridplanWarning, InputError, format_rows

__all__ = ["PlanFile", "check_grid_features", "read_plan_file"]

# Grid outlines are written at 1e-7 degrees; a GIS re-saving them may round again.
_SAME_SHAPE_DEGREES = 1e-6


class PlanFile:
    """What a plan file holds: its ``meta`` (or None), the assignment and the features."""

    def __init__(self, where: str, meta: dict[str, Any] | None, features: list[Any]) -> None:
        self.where, self.meta, self.features = where, meta, features
        props = [f.get("properties") or {} for f in features if isinstance(f, dict)]
        self.is_units = bool(props) and all("unit_id" in p and "grid" in p for p in props)
        self.props = props

    def params(self, given: dict[str, Any] | None) -> dict[str, Any]:
        if given is not None:
            return dict(given)
        if self.meta is None or not isinstance(self.meta.get("params"), dict):
            raise InputError(
                f"{self.where} has no plan parameters in a 'gridplan' member (a GIS that saves "
                "the file may drop it); pass them: GridPlan.from_file(path, territory, "
                "params=plan.params) or params={'balance': 'households', 'balance_column': "
                "'households', 'tolerance': 0.05, 'seed': 0}."
            )
        return dict(self.meta["params"])

    def embedded(self) -> pd.Series | None:
        saved = None if self.meta is None else self.meta.get("assignment")
        if saved is None:
            return None
        missing = [k for k in ("ids", "grids") if not isinstance(saved.get(k), list)]
        if missing:
            raise InputError(
                f"{self.where} lacks {' and '.join(map(repr, missing))} in 'gridplan.assignment'; "
                "write the plan again with GridPlan.to_file."
            )
        ids, grids = saved["ids"], saved["grids"]
        if len(grids) != len(ids):
            raise InputError(
                f"{self.where} has {len(ids)} unit ids but {len(grids)} grid codes in "
                "'gridplan.assignment'; write the plan again with GridPlan.to_file."
            )
        return pd.Series(grids, index=ids, dtype=object)

    def assignment(self) -> pd.Series:
        """The units' grids: the features' for a units file, else the embedded copy."""
        embedded = self.embedded()
        if not self.is_units:
            if embedded is None:
                raise InputError(
                    f"{self.where} is neither a units file (features with 'unit_id' and 'grid') "
                    "nor a grids file with its 'gridplan' member; use plan.geojson."
                )
            return embedded
        ids: list[Hashable] = [p["unit_id"] for p in self.props]
        edited = pd.Series([str(p["grid"]) for p in self.props], index=ids, dtype=object)
        repeated = edited.index[edited.index.duplicated()].unique()
        if len(repeated):
            raise InputError(
                f"{self.where} lists unit(s) {format_rows(repeated)} more than once; keep one "
                "feature per unit.",
                rows=list(repeated),
            )
        if embedded is not None:
            _warn_edits(self.where, embedded, edited)
        return edited


def _warn_edits(where: str, embedded: pd.Series, edited: pd.Series) -> None:
    common = embedded.index.intersection(edited.index)
    moved = common[(embedded[common].astype(str) != edited[common]).to_numpy()]
    if len(moved):
        changes = [f"{u!r}: {embedded[u]} → {edited[u]}" for u in moved[:10]]
        more = f" and {len(moved) - 10} more" if len(moved) > 10 else ""
        warnings.warn(
            f"{where}: {len(moved)} unit(s) were moved to another grid by hand "
            f"({'; '.join(changes)}{more}); the plan uses these edits.",
            GridplanWarning,
            stacklevel=4,
        )


def read_plan_file(path: str | os.PathLike[str]) -> PlanFile:
    """Parse a plan file (JSON errors and a damaged structure become :class:`InputError`)."""
    where = repr(str(path))
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{where} is not a gridplan plan file: {exc}") from exc
    meta = data.get("gridplan") if isinstance(data, dict) else None
    if meta is not None and not isinstance(meta, dict):
        raise InputError(f"{where}: its 'gridplan' member is not an object.")
    features = data.get("features") if isinstance(data, dict) else None
    if meta is None and not isinstance(features, list):
        raise InputError(f"{where} is not a GeoJSON FeatureCollection written by gridplan.")
    file = PlanFile(where, meta, features if isinstance(features, list) else [])
    if meta is not None and not file.is_units:
        lacking = [k for k in ("params", "assignment") if not isinstance(meta.get(k), dict)]
        if lacking:
            raise InputError(
                f"{where} has no {' or '.join(map(repr, lacking))} in its 'gridplan' member; "
                "it was not written by GridPlan.to_file (or was edited): write it again."
            )
    return file


def check_grid_features(file: PlanFile, grids_wgs84: pd.Series) -> None:
    """Refuse a grids file whose grid codes or outlines differ from the plan it embeds.

    ``grids_wgs84`` maps each grid code of the rebuilt plan to its outline in EPSG:4326.
    """
    shapes: dict[str, Any] = {}
    for feature, props in zip(file.features, file.props, strict=False):
        code = str(props.get("grid", feature.get("id")))
        geometry = feature.get("geometry")
        shapes[code] = None if geometry is None else shapely.from_geojson(json.dumps(geometry))
    codes = [str(c) for c in grids_wgs84.index]
    renamed = sorted(set(shapes) ^ set(codes))
    common = [c for c in codes if c in shapes and shapes[c] is not None]
    far = shapely.hausdorff_distance(
        np.asarray([shapes[c] for c in common], dtype=object),
        np.asarray(grids_wgs84[common].to_numpy(), dtype=object),
    )
    reshaped = [c for c, d in zip(common, far, strict=True) if not d <= _SAME_SHAPE_DEGREES]
    missing_shape = [c for c in codes if c in shapes and shapes[c] is None]
    bad = renamed + reshaped + missing_shape
    if bad:
        raise InputError(
            f"{file.where}: grid(s) {format_rows(bad)} differ from the plan the file embeds "
            "(code or outline edited by hand?). A grid outline cannot say which units moved: "
            "edit the 'grid' of units in the units file (plan.geojson) and read that instead.",
            rows=bad,
        )
