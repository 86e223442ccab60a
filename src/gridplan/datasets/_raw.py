"""What a planner's project starts from: building footprints and a household register.

Derived from the synthetic district's units (:mod:`gridplan.datasets._county_town`)
with a random stream of its own, so the other layers stay exactly as they were:

- ``buildings``: one footprint inside every built plot (apartment slabs set back
  from their plot, the main house on the north side of a courtyard, shop-houses
  filling their plot, a block for schools, hospitals and other public plots),
  none on parks, squares and nurseries (open land). Columns ``building_id``
  (the unit id of its plot), ``address``, ``use`` (``residential``/``public``),
  ``floors``.
- ``register``: the household register (实有人口/房屋 table), one row per
  building or, for larger apartment buildings, per staircase (单元), keyed by
  ``building_id`` and carrying ``address``, ``households``, ``residents``,
  ``age60plus``, ``elderly_alone``, ``disabled``, ``children``, every cell
  text as in a CSV file. It has the defects of real registers (see
  :data:`DEFECTS`): a few rows without key whose address is written
  differently, a building missing from the survey, an unknown building, a
  duplicate row, a count written ``"36户"``, a blank cell.

>>> import numpy as np
>>> sorted(DEFECTS)[:3]
['blank_cell', 'duplicate', 'full_width']
"""

from __future__ import annotations

import csv
import io
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["DEFECTS", "OPEN_LAND", "REGISTER_COLUMNS", "make_buildings", "make_register"]

#: Public plots that are open land: no building footprint.
OPEN_LAND = ("公园", "广场", "苗圃")
REGISTER_COLUMNS = ("building_id", "address", "households", "residents", "age60plus",
                    "elderly_alone", "disabled", "children")  # fmt: skip
_COUNTS = ("households", "population", "age60plus", "elderly_alone", "disabled", "children")
#: The register's defects: name -> what the row looks like.
DEFECTS = {
    "full_width": "key blank, address with full-width digits (和平小区３号楼)",
    "variant": "key blank, 幢 for 号楼 (和平小区3幢)",
    "room": "key blank, trailing unit and room number (和平小区3号楼2单元501室)",
    "stem": "key blank, a new building of a known compound not yet in the buildings layer",
    "unknown": "a key and an address that name no building (a compound outside the district)",
    "duplicate": "a row repeated exactly",
    "unit_text": "households written with a unit (36户)",
    "blank_cell": "disabled left blank (read as 0)",
}
_SPLIT_AT = 48  # apartment buildings with more households are registered per staircase


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, 9])  # a stream apart from the district's own


def _round(g: shapely.Geometry) -> shapely.Geometry:
    """Coordinates rounded to 0.01 m as the GeoJSON file writes them (valid polygons)."""
    g = shapely.make_valid(shapely.set_precision(g, 0.01))
    return shapely.transform(g, lambda c: np.round(c, 2))


def _largest(g: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(g)
    if len(parts) == 0:
        return shapely.Polygon()
    return parts[int(np.argmax(shapely.area(parts)))]


def _footprint(rng: np.random.Generator, plot: shapely.Polygon, kind: str) -> shapely.Geometry:
    """A building inside ``plot`` (empty when the plot is open land)."""
    minx, miny, maxx, maxy = plot.bounds
    w, h = maxx - minx, maxy - miny
    if kind == "apartment":
        inner = plot.buffer(-6.0, join_style="mitre")
        c = inner.point_on_surface() if not inner.is_empty else plot.point_on_surface()
        length, depth = w * rng.uniform(0.5, 0.75), rng.uniform(11.0, 16.0)
        box = shapely.box(c.x - length / 2, c.y - depth / 2, c.x + length / 2, c.y + depth / 2)
        fp = shapely.intersection(box, inner)
    elif kind == "courtyard":  # the main house along the north side
        inner = plot.buffer(-1.2, join_style="mitre")
        fp = shapely.intersection(inner, shapely.box(minx, maxy - h * 0.45, maxx, maxy))
    elif kind == "shop_house":
        fp = plot.buffer(-0.8, join_style="mitre")
    else:
        inner = plot.buffer(-8.0, join_style="mitre")
        c = plot.point_on_surface()
        bw, bh = w * rng.uniform(0.25, 0.4), h * rng.uniform(0.2, 0.35)
        fp = shapely.intersection(
            inner, shapely.box(c.x - bw / 2, c.y - bh / 2, c.x + bw / 2, c.y + bh / 2)
        )
    fp = _largest(_round(fp))
    if fp.is_empty or fp.area < 20.0:  # a thin plot: a smaller setback all round
        fp = _largest(_round(plot.buffer(-0.5, join_style="mitre")))
    return fp


def make_buildings(
    units: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, seed: int
) -> gpd.GeoDataFrame:
    """Building footprints of the district's built plots (see the module docstring).

    Footprints keep 1 m off the street centre lines (plots reach them, and a few
    reach across a street where a sliver was merged into them).
    """
    rng = _rng(seed)
    rows, geoms = [], []
    for u in units.itertuples(index=False):
        if u.kind == "public" and any(w in u.name for w in OPEN_LAND):
            continue
        fp = _footprint(rng, u.geometry, u.kind)
        rows.append(
            {
                "building_id": u.unit_id,
                "address": u.name,
                "use": "public" if u.kind == "public" else "residential",
                "floors": int(u.floors),
            }
        )
        geoms.append(fp)
    return gpd.GeoDataFrame(rows, geometry=_off_roads(np.array(geoms), streets), crs=units.crs)


def _off_roads(footprints: np.ndarray, streets: gpd.GeoDataFrame) -> np.ndarray:
    """Footprints kept 1 m off every street centre line (the largest part where cut)."""
    road = shapely.buffer(np.asarray(streets.geometry.array, dtype=object), 1.0)
    hit = np.unique(shapely.STRtree(road).query(footprints, predicate="intersects")[0])
    out = footprints.copy()
    cut = shapely.difference(footprints[hit], shapely.union_all(road))
    out[hit] = [_largest(_round(g)) for g in cut]
    return out


def _split(values: np.ndarray, n: int) -> np.ndarray:
    """Split each count into ``n`` whole parts that sum to it (rows of an (n, k) array)."""
    base, extra = np.divmod(values, n)
    return base[None, :] + (np.arange(n)[:, None] < extra[None, :])


def _register_rows(units: gpd.GeoDataFrame) -> list[list[str]]:
    """One row per inhabited building, per staircase for the larger apartment buildings."""
    rows = []
    for u in units.itertuples(index=False):
        if u.households <= 0:
            continue
        counts = np.array([getattr(u, c) for c in _COUNTS], dtype=np.int64)
        n = 1
        if u.kind == "apartment" and u.households > _SPLIT_AT:
            n = min(4, int(u.households) // (_SPLIT_AT // 2))
        for k, part in enumerate(_split(counts, n)):
            address = u.name if n == 1 else f"{u.name}{k + 1}单元"
            rows.append([u.unit_id, address, *(str(int(v)) for v in part)])
    return rows


def _row(rows: list[list[str]], pick: int, used: set[int], apartment: bool = False) -> int:
    """The first keyed row at or after ``pick`` not ``used`` yet (of an apartment: "...号楼")."""
    for k in range(pick, pick + len(rows)):
        k %= len(rows)
        if k not in used and rows[k][0] and (not apartment or "号楼" in rows[k][1]):
            used.add(k)
            return k
    raise AssertionError("the sample has too few buildings")  # pragma: no cover


def _full_width(text: str) -> str:
    return text.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"})


def _defects(rng: np.random.Generator, rows: list[list[str]], units: gpd.GeoDataFrame) -> None:
    """Write the register's defects (:data:`DEFECTS`) into ``rows``, in place."""
    picks = rng.choice(len(rows), size=8, replace=False).tolist()
    used: set[int] = set()  # one defect per row
    a = [_row(rows, p, used, apartment=True) for p in picks[:4]]
    dup, unit_text, blank = (_row(rows, p, used) for p in picks[4:7])
    unit, room = int(rng.integers(1, 4)), int(rng.integers(1, 7)) * 100 + int(rng.integers(1, 4))
    for k, kind in zip(a[:3], ("full_width", "variant", "room"), strict=True):
        name = rows[k][1].split("号楼")[0] + "号楼"
        rows[k][0] = ""
        if kind == "full_width":
            rows[k][1] = _full_width(rows[k][1])
        elif kind == "variant":
            rows[k][1] = name.replace("号楼", "幢")
        else:
            rows[k][1] = f"{name}{unit}单元{room}室"
    # a new building of a known compound, not yet surveyed: it goes to its nearest neighbour
    stem = rows[a[3]][1].split("号楼")[0].rstrip("0123456789")
    pattern = rf"^{re.escape(stem)}(\d+)号楼$"
    numbers = [int(n) for n in units["name"].str.extract(pattern)[0].dropna()]
    rows.append(["", f"{stem}{max(numbers) + 1}号楼", "24", "66", "12", "1", "1", "10"])
    rows.append(["B9990", "工人新村5号楼", "18", "47", "11", "1", "0", "6"])
    rows[unit_text][2] = f"{rows[unit_text][2]}户"
    rows[blank][6] = ""
    rows.insert(dup + 1, list(rows[dup]))  # last: the positions above stay put


def make_register(units: gpd.GeoDataFrame, seed: int) -> str:
    """The household register as CSV text (UTF-8, header first; see the module docstring)."""
    rng = _rng(seed + 1)
    rows = _register_rows(units)
    _defects(rng, rows, units)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(REGISTER_COLUMNS)
    writer.writerows(rows)
    return buf.getvalue()


def register_frame(text: str) -> pd.DataFrame:
    """The register CSV text as :func:`gridplan.units.read_register` reads the file."""
    from gridplan.units.register import frame_from_text

    return frame_from_text(text, ",", "utf-8")
