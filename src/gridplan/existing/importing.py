"""Import existing (hand-drawn) grids onto a :class:`~gridplan.Territory`.

Two ways in: a polygon layer of grids (:func:`grids_from_layer`: each unit
goes to the grid it overlaps most) or a column of grid codes on the units
(:func:`grids_from_column`). Both return :class:`ImportedGrids`: the
assignment (``NaN`` for units in no grid) and what the import found wrong
with the drawing: units split between grids, units in no grid (gaps), grids
overlapping each other, grids that won no unit.

>>> import geopandas as gpd, shapely
>>> from gridplan import Territory
>>> cells = [shapely.box(x, 0, x + 100, 100) for x in range(0, 400, 100)]
>>> t = Territory(gpd.GeoDataFrame({"pop": [5, 5, 5, 5]}, geometry=cells,
...                                crs="EPSG:32650"), population="pop")
>>> layer = gpd.GeoDataFrame({"code": ["G01", "G02"]},
...     geometry=[shapely.box(0, 0, 160, 100), shapely.box(160, 0, 300, 100)], crs="EPSG:32650")
>>> imp = grids_from_layer(t, layer)
>>> imp.assignment.tolist()[:3], imp.gaps, imp.split["share"].round(2).tolist()
(['G01', 'G01', 'G02'], [3], [0.6, 0.4])
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridplan.division.codes import parent_code
from gridplan.errors import ColumnError, CRSError, DataValueError, IdError, InputError, format_rows

if TYPE_CHECKING:
    from gridplan.territory import Territory

__all__ = ["ImportedGrids", "grids_from_column", "grids_from_layer"]

#: Overlaps smaller than this share of a unit's area are slivers of drawing, not splits.
MIN_SHARE = 0.01


@dataclass
class ImportedGrids:
    """Existing grids laid on a territory, with what is wrong with the drawing.

    Attributes
    ----------
    assignment
        Unit id -> grid code (text), ``NaN`` for units in no grid.
    split
        Units overlapping several grids: ``unit``, ``grid``, ``share`` (of
        the unit's area; shares below ``min_share`` are left out).
    gaps
        Units in no grid at all (their assignment is ``NaN``).
    uncovered
        Unit id -> share of its area in no grid (units above ``min_share``).
    overlaps
        Pairs of grids drawn over each other: ``grid_a``, ``grid_b``, ``area_m2``.
    empty_grids
        Codes of grids that won no unit.
    workers
        Grid code -> worker name(s), when a worker column was given.
    layer
        The grids in the territory's CRS, index ``grid`` (``None`` from a column).
    """

    assignment: pd.Series
    split: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"unit": [], "grid": [], "share": []})
    )
    gaps: list[Hashable] = field(default_factory=list)
    uncovered: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    overlaps: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"grid_a": [], "grid_b": [], "area_m2": []})
    )
    empty_grids: list[str] = field(default_factory=list)
    workers: pd.Series | None = None
    layer: gpd.GeoDataFrame | None = None

    @property
    def codes(self) -> list[str]:
        """Distinct grid codes holding at least one unit, sorted."""
        return sorted(self.assignment.dropna().unique().tolist())

    def summary(self) -> str:
        """One line per finding."""
        n_split = self.split["unit"].nunique() if len(self.split) else 0
        return "\n".join(
            [
                f"ImportedGrids: {len(self.codes)} grids over "
                f"{int(self.assignment.notna().sum()):,} of {len(self.assignment):,} units",
                f"  {n_split} unit(s) split between grids, {len(self.gaps)} unit(s) in no grid, "
                f"{len(self.overlaps)} pair(s) of overlapping grids, "
                f"{len(self.empty_grids)} grid(s) without units",
            ]
        )


def _codes_as_text(values: pd.Series, what: str) -> pd.Series:
    """Grid codes as text (whole floats without ``.0``); missing or blank codes raise."""
    text = values.map(lambda v: None if pd.isna(v) else parent_code(v).strip())
    blank = text.isna() | (text == "")
    if blank.any():
        rows = list(values.index[blank.to_numpy()])
        raise DataValueError(
            f"{what} has no grid code for {len(rows)} row(s): {format_rows(rows)}; "
            "give every grid a code (or drop the rows that are not grids).",
            rows=rows,
        )
    return text.astype(object)


def _check_layer(
    territory: Territory, grids: object, code: str, worker: str | None
) -> gpd.GeoDataFrame:
    if not isinstance(grids, gpd.GeoDataFrame):
        raise InputError(
            f"grids must be a geopandas.GeoDataFrame of grid polygons, not {type(grids).__name__}."
        )
    for col, role in ((code, "code"), (worker, "worker")):
        if col is not None and col not in grids.columns:
            raise ColumnError(
                f"the grids layer has no column {col!r} ({role}=); its columns are "
                f"{', '.join(map(repr, [c for c in grids.columns if c != grids.geometry.name]))}."
            )
    if grids.crs is None:
        raise CRSError(
            "the grids layer has no CRS, so it cannot be laid on the territory; set the one "
            "it was drawn in, e.g. grids.set_crs('EPSG:4326')."
        )
    if len(grids) == 0:
        raise InputError("the grids layer is empty.")
    codes = _codes_as_text(grids[code], f"column {code!r} of the grids layer")
    dup = codes.duplicated(keep=False)
    if dup.any():
        rows = list(grids.index[dup.to_numpy()])
        raise IdError(
            f"grid code(s) {format_rows(sorted(set(codes[dup])))} are on several features "
            f"(rows {format_rows(rows)}); give each grid one code, or dissolve the pieces of "
            f"one grid first: grids.dissolve(by={code!r}).reset_index().",
            rows=rows,
        )
    out = grids.to_crs(territory.crs)
    out = out.set_geometry(shapely.make_valid(np.asarray(out.geometry.array)))
    out.index = pd.Index(codes.to_numpy(), name="grid")
    return out


def _overlaps(layer: gpd.GeoDataFrame, min_area: float) -> pd.DataFrame:
    geoms = np.asarray(layer.geometry.array)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    area = shapely.area(shapely.intersection(geoms[i], geoms[j]))
    big = area > min_area
    codes = layer.index.to_numpy()
    return pd.DataFrame(
        {"grid_a": codes[i[big]], "grid_b": codes[j[big]], "area_m2": area[big]}
    ).reset_index(drop=True)


def grids_from_layer(
    territory: Territory,
    grids: gpd.GeoDataFrame,
    code: str = "code",
    worker: str | None = None,
    *,
    min_share: float = MIN_SHARE,
) -> ImportedGrids:
    """Lay a polygon layer of grids on the territory: each unit joins the grid it overlaps most.

    Overlaps are measured by area in the territory's metric CRS (the layer is
    reprojected; a layer without CRS raises :class:`~gridplan.errors.CRSError`).
    Ties go to the smaller code; overlaps below ``min_share`` of a unit's
    area are slivers of drawing and count for nothing. Units no grid covers
    stay unassigned (``NaN``) and are listed in ``gaps``. Missing codes raise
    :class:`~gridplan.errors.DataValueError`, a code on several features
    :class:`~gridplan.errors.IdError`.
    """
    layer = _check_layer(territory, grids, code, worker)
    units = territory.units
    ugeoms = np.asarray(units.geometry.array)
    ggeoms = np.asarray(layer.geometry.array)
    uarea = shapely.area(ugeoms)
    ui, gi = shapely.STRtree(ggeoms).query(ugeoms, predicate="intersects")
    inter = shapely.area(shapely.intersection(ugeoms[ui], ggeoms[gi]))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(uarea[ui] > 0, inter / uarea[ui], 0.0)
    codes = layer.index.to_numpy().astype(str)
    pairs = pd.DataFrame({"u": ui, "grid": codes[gi], "area": inter, "share": share})
    pairs = pairs[pairs["share"] >= min_share].sort_values(
        ["u", "area", "grid"], ascending=[True, False, True], kind="stable"
    )
    best = pairs.drop_duplicates("u")
    assignment = pd.Series(np.nan, index=units.index, dtype=object, name="grid")
    assignment.iloc[best["u"].to_numpy()] = best["grid"].to_numpy()
    multi = pairs["u"].map(pairs["u"].value_counts()) > 1
    split = pairs[multi].sort_values(["u", "share"], ascending=[True, False], kind="stable")
    split = pd.DataFrame(
        {
            "unit": units.index.to_numpy()[split["u"].to_numpy()],
            "grid": split["grid"].to_numpy(),
            "share": split["share"].to_numpy(),
        }
    )
    covered = shapely.area(shapely.intersection(ugeoms, shapely.union_all(ggeoms)))
    with np.errstate(divide="ignore", invalid="ignore"):
        free = np.where(uarea > 0, 1.0 - covered / uarea, 0.0)
    uncovered = pd.Series(free, index=units.index, name="uncovered")
    uncovered = uncovered[uncovered >= min_share]
    gaps = list(units.index[assignment.isna().to_numpy()])
    won = set(best["grid"])
    return ImportedGrids(
        assignment=assignment,
        split=split,
        gaps=gaps,
        uncovered=uncovered,
        overlaps=_overlaps(layer, min_area=float(np.median(uarea)) * min_share),
        empty_grids=[c for c in codes.tolist() if c not in won],
        workers=None if worker is None else layer[worker].rename("worker"),
        layer=layer,
    )


def grids_from_column(territory: Territory, column: str) -> ImportedGrids:
    """Existing grids from a column of grid codes on the territory's units.

    Empty cells are units in no grid (``gaps``); codes are read as text
    (``3.0`` reads ``"3"``).

    >>> # grids_from_column(territory, "WARD").codes -> ['1', '10', ..., '9']
    """
    units = territory.units
    if column not in units.columns or column == units.geometry.name:
        raise ColumnError(
            f"the units have no column {column!r} with grid codes; pass the column that "
            "holds each unit's grid (or a grids layer to grids_from_layer)."
        )
    raw = units[column]
    text = raw.map(lambda v: None if pd.isna(v) else (parent_code(v).strip() or None))
    assignment = pd.Series(text.to_numpy(), index=units.index, dtype=object, name="grid")
    return ImportedGrids(
        assignment=assignment, gaps=list(units.index[assignment.isna().to_numpy()])
    )
