"""Synthetic county-town district: units, communities, streets, sites, people.

Everything here is invented. The district, its streets, compounds, names,
people and all money figures are made up; the county code ``410727`` is used
only to show the 12-digit hierarchical code format. Coordinates are in
EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E) around
x 500,000-503,500 m, y 3,800,000-3,803,000 m.

How the geometry is built, so that units tile space exactly:

1. street centre lines (primary, secondary, an old-town ring road, a diagonal
   riverside road, residential streets, old-town lanes), building-plot and
   compound cut lines are collected as plain line strings;
2. all lines are noded together with snap rounding on a 0.01 m grid
   (``shapely.union_all(..., grid_size=0.01)``) and polygonised.

Faces of one noded line work share their edges vertex for vertex, so the
contiguity graph is the same whether computed from shared vertices or from
shared boundary length, and blocks meet at street centre lines so the whole
district is one connected piece. Slivers are dissolved into a neighbour with
``shapely.coverage_union``, which keeps every other vertex as is.

Only ``numpy.random.default_rng(seed)`` supplies randomness.

>>> layers = make_county_town()  # doctest: +SKIP
>>> sorted(layers)  # doctest: +SKIP
['buildings', 'communities', 'sites', 'streets', 'units', 'volunteers', 'workers']
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon

from gridplan.datasets._raw import make_buildings

__all__ = ["CRS", "LAYERS", "SKILLS", "make_county_town"]

CRS = "EPSG:4547"
LAYERS = ("units", "communities", "streets", "sites", "workers", "volunteers", "buildings")
SKILLS = ("elderly_care", "health", "legal", "tutoring", "disability")

X0, Y0 = 500_000.0, 3_800_000.0  # south-west corner of the district's bounding box
GRID = 0.01  # coordinate precision, metres
OVERSHOOT = 0.05  # cut lines poke this far past their polygon so noding always splits it

COUNTY = "410727"
STREETS = {"001": "城关镇", "002": "清河街道"}
# Communities are the six regions cut out by the three primary roads:
# (column west/middle/east, row south/north) -> (street, community, short name).
COMMUNITY_OF_REGION = {
    (0, 0): ("001", "001", "西街社区"),
    (0, 1): ("001", "002", "北关社区"),
    (1, 0): ("001", "003", "南关社区"),
    (1, 1): ("001", "004", "东街社区"),
    (2, 0): ("002", "001", "滨河社区"),
    (2, 1): ("002", "002", "新华社区"),
}

COMPOUND_STEMS = (
    "和平", "幸福", "阳光", "锦绣", "金色", "翰林", "书香", "康乐", "丽景", "御景",
    "怡和", "华府", "名门", "建业", "盛世", "祥和", "兴华", "文化", "铁路", "电力",
    "供销社", "粮食局", "教师", "棉纺厂", "水利局", "东方", "凤凰", "富源", "桂园", "嘉禾",
    "锦江", "兰亭", "丽水", "明珠", "南苑", "清华", "瑞景", "盛和", "泰和", "万象",
    "润泽", "新城", "雅居", "永和", "长安", "中和", "宏达", "恒泰", "金桥", "天伦",
    "碧水", "翠苑", "丰泽", "福安", "广厦", "和谐", "华庭", "惠民", "吉祥", "佳和",
    "金沙", "锦华", "静安", "康桥", "兰庭", "龙湖", "绿洲", "美景", "平安", "启明",
    "荣华", "瑞祥", "尚城", "顺达", "天和", "同心", "香榭", "新港", "银杏", "悦澜",
)  # fmt: skip
COMPOUND_SUFFIXES = ("小区", "家园", "花园", "苑", "家属院")
STREET_STEMS = (
    "民主", "健康", "光明", "团结", "胜利", "友谊", "繁荣", "兴业", "振兴", "育才",
    "红旗", "向阳", "朝阳", "长青", "永安", "安康", "富民", "顺河", "东风", "前进",
    "公园", "学院", "花园", "银河", "金水", "玉带", "桃园", "杏林", "春晖", "秋实",
    "德政", "崇文", "尚武", "福寿", "仁和", "宣化", "望京", "迎春", "滨湖", "柳荫",
)  # fmt: skip
LANE_STEMS = (
    "槐树", "柳树", "钟楼", "鼓楼", "书院", "文庙", "城隍庙", "县衙", "仓门", "马号",
    "井台", "米市", "盐店", "铁匠", "染坊", "油坊", "石板", "南门", "北门", "东门",
    "西门", "关帝庙", "榆树", "枣树", "竹竿", "府前", "学前", "火神庙", "当铺", "估衣",
)  # fmt: skip
PUBLIC_NAMES = (
    "县第一实验小学", "县第二初级中学", "人民公园", "县人民医院", "县政务服务中心",
    "体育中心", "农贸市场", "文化广场", "县第三小学", "县第一高级中学",
    "中心幼儿园", "汽车站", "滨河公园", "县中医院", "工业园区", "苗圃",
    "老年大学", "图书馆", "污水处理厂", "消防站",
)  # fmt: skip
OLD_TOWN_PUBLIC_NAMES = ("文庙", "城关小学", "县衙遗址公园")
SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
GIVEN_CHARS = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅建国志鹏宇浩然欣怡子涵博文晨"
    "雪婷佳琪海燕春花秋菊冬梅振华卫东建军淑珍凤兰秀英德胜永强桂芝晓东丽娟文静金凤"
)


# --------------------------------------------------------------------------- geometry helpers


def _p(x: float, y: float) -> tuple[float, float]:
    """Local metres (from the bounding box's south-west corner) to EPSG:4547."""
    return (X0 + x, Y0 + y)


def _polyline(
    rng: np.random.Generator, pts: Sequence[tuple[float, float]], jitter: float
) -> LineString:
    """A line through local points, inner vertices shifted by up to ``jitter`` m."""
    out = []
    for i, (x, y) in enumerate(pts):
        if 0 < i < len(pts) - 1:
            x += rng.uniform(-jitter, jitter)
            y += rng.uniform(-jitter, jitter)
        out.append(_p(x, y))
    return LineString(out)


def _lines_in(geom: shapely.Geometry) -> list[LineString]:
    """The non-empty line strings making up ``geom`` (drops points)."""
    parts = shapely.get_parts(geom)
    return [g for g in parts if g.geom_type == "LineString" and g.length > 0]


def _clip(line: LineString, poly: Polygon) -> list[LineString]:
    """Pieces of ``line`` inside ``poly`` grown by ``OVERSHOOT`` (see module notes)."""
    ext = poly.buffer(OVERSHOOT, join_style="mitre")
    return _lines_in(shapely.intersection(line, ext))


def _faces(lines: list[LineString], inside: Polygon) -> list[Polygon]:
    """Node ``lines`` on the 0.01 m grid, polygonise, keep faces inside ``inside``.

    Dangles (the overshoots) are dropped by polygonize. Output order is made
    independent of GEOS internals by sorting on the representative point.
    """
    noded = shapely.union_all(lines, grid_size=GRID)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = [f for f in faces if f.area > 0 and inside.contains(f.point_on_surface())]
    return sorted(faces, key=_sort_key)


def _sort_key(g: shapely.Geometry) -> tuple[float, float]:
    """North to south, then west to east, on a 1 m grid of the representative point."""
    p = g.point_on_surface()
    return (-round(p.y), round(p.x))


def _round(g: shapely.Geometry) -> shapely.Geometry:
    """Round coordinates to 0.01 m (same vertex in, same vertex out)."""
    return shapely.transform(g, lambda c: np.round(c, 2))


def _lookup(tree_geoms: list[Polygon], geoms: list[Polygon]) -> np.ndarray:
    """Index of the polygon in ``tree_geoms`` holding each geometry's inner point."""
    tree = shapely.STRtree(tree_geoms)
    pts = [g.point_on_surface() for g in geoms]
    out = np.full(len(geoms), -1, dtype=int)
    hit_pt, hit_tree = tree.query(pts, predicate="within")
    out[hit_pt] = hit_tree
    missing = np.flatnonzero(out < 0)
    if len(missing):  # snap rounding can move a boundary by < 0.02 m: take the nearest
        out[missing] = tree.nearest([pts[i] for i in missing])
    return out


def _random_point_in(rng: np.random.Generator, poly: Polygon) -> Point:
    """A uniform random point inside ``poly`` (rejection sampling, rng only)."""
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(200):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            return p
    return poly.point_on_surface()


# --------------------------------------------------------------------------- the plan


@dataclass
class _Street:
    name: str
    kind: str
    line: LineString


@dataclass
class _Plan:
    """Line work and bookkeeping shared by the build steps."""

    rng: np.random.Generator
    district: Polygon
    old_town: Polygon
    lines: list[LineString] = field(default_factory=list)
    streets: list[_Street] = field(default_factory=list)
    commercial: list[tuple[str, LineString]] = field(default_factory=list)  # shop streets

    def street(self, name: str, kind: str, line: LineString, clip: Polygon | None = None) -> None:
        for piece in _clip(line, clip if clip is not None else self.district):
            self.lines.append(piece)
            self.streets.append(_Street(name, kind, piece))


def _district(rng: np.random.Generator) -> Polygon:
    """Irregular outline inside the 3.5 km x 3 km box, with a notch of farmland in the east."""
    pts = [
        (60, 90), (700, 30), (1500, 70), (2300, 20), (3000, 60), (3460, 180), (3420, 900),
        (3000, 1050), (2900, 1300), (3050, 1650), (3450, 1800), (3470, 2500), (3380, 2960),
        (2600, 2990), (1800, 2940), (1000, 2980), (300, 2950), (40, 2600), (110, 1800),
        (20, 1000),
    ]  # fmt: skip
    ring = [_p(x + rng.uniform(-25, 25), y + rng.uniform(-25, 25)) for x, y in pts]
    return Polygon(ring)


def _old_town(rng: np.random.Generator) -> Polygon:
    """The old walled town: a wobbly ellipse, its former wall now the ring road."""
    cx, cy, ax, ay = 1350.0, 1480.0, 470.0, 380.0
    ring = []
    for k in range(28):
        t = 2 * math.pi * k / 28
        r = 1 + rng.uniform(-0.04, 0.04)
        ring.append(_p(cx + ax * r * math.cos(t), cy + ay * r * math.sin(t)))
    return Polygon(ring)


def _main_roads(plan: _Plan) -> tuple[list[LineString], list[LineString]]:
    """Primary and secondary roads; returns (primary N-S lines, primary E-W lines)."""
    rng = plan.rng
    ns_primary = [
        ("人民路", [(1150, -100), (1170, 800), (1140, 1500), (1165, 2300), (1150, 3100)]),
        ("建设路", [(2350, -100), (2330, 900), (2370, 1700), (2345, 2400), (2360, 3100)]),
    ]
    ew_primary = [
        ("解放大道", [(-100, 1450), (700, 1470), (1800, 1440), (2700, 1475), (3600, 1460)])
    ]
    secondary = [
        ("文化路", [(560, -100), (540, 1000), (575, 2000), (550, 3100)]),
        ("工业路", [(2950, -100), (2970, 1000), (2940, 2000), (2960, 3100)]),
        ("中山路", [(-100, 760), (900, 740), (2000, 775), (3600, 750)]),
        ("迎宾大道", [(-100, 2250), (1000, 2270), (2200, 2235), (3600, 2260)]),
    ]
    out_ns, out_ew = [], []
    for name, pts in ns_primary:
        line = _polyline(rng, pts, 8)
        plan.street(name, "primary", line)
        out_ns.append(line)
        plan.commercial.append((name, line))
    for name, pts in ew_primary:
        line = _polyline(rng, pts, 8)
        plan.street(name, "primary", line)
        out_ew.append(line)
        plan.commercial.append((name, line))
    for name, pts in secondary:
        plan.street(name, "secondary", _polyline(rng, pts, 8))
    # The riverside road follows the Qing river diagonally south-west to north-east.
    river = []
    for k in range(13):
        t = k / 12
        x, y = -100 + 3700 * t, 80 + 2300 * t
        wobble = 45 * math.sin(3 * math.pi * t) + rng.uniform(-10, 10)
        river.append(_p(x - 0.53 * wobble, y + 0.85 * wobble))
    plan.street("滨河路", "secondary", LineString(river))
    plan.street("环城路", "secondary", plan.old_town.exterior)
    return out_ns, out_ew


def _local_streets(plan: _Plan, superblocks: list[Polygon]) -> None:
    """Residential streets in the new town, lanes (paths) inside the old town."""
    rng = plan.rng
    stems = iter(STREET_STEMS * 4)
    lanes = iter(LANE_STEMS * 6)
    for sb in superblocks:
        minx, miny, maxx, maxy = sb.bounds
        old = plan.old_town.contains(sb.point_on_surface())
        if old:
            spacing_x, spacing_y, jit, kind = (60.0, 80.0), (55.0, 75.0), 5.0, "path"
        else:
            spacing_x, spacing_y, jit, kind = (200.0, 260.0), (180.0, 240.0), 12.0, "residential"
        for axis in (0, 1):
            lo, hi = (minx, maxx) if axis == 0 else (miny, maxy)
            pos = lo + rng.uniform(*(spacing_x if axis == 0 else spacing_y))
            while pos < hi - 0.6 * (spacing_x if axis == 0 else spacing_y)[0]:
                a, b = pos + rng.uniform(-jit, jit), pos + rng.uniform(-jit, jit)
                if axis == 0:
                    line = LineString([(a, miny - 20), (b, maxy + 20)])
                    name = f"{next(lanes)}巷" if old else f"{next(stems)}街"
                else:
                    line = LineString([(minx - 20, a), (maxx + 20, b)])
                    name = f"{next(lanes)}胡同" if old else f"{next(stems)}路"
                plan.street(name, kind, line, clip=sb)
                pos += rng.uniform(*(spacing_x if axis == 0 else spacing_y))


def _cut_rows(plan: _Plan, poly: Polygon, row: float, col: float, horizontal: bool = True) -> None:
    """Cut ``poly`` into rows ~``row`` m deep, each row into plots ~``col`` m wide.

    Rows run east-west when ``horizontal`` (buildings face south, as most
    Chinese housing does); plot cuts are drawn per row so they stagger.
    """
    rng = plan.rng
    minx, miny, maxx, maxy = poly.bounds
    if not horizontal:  # swap roles of x and y
        minx, miny, maxx, maxy = miny, minx, maxy, maxx

    def seg(u0: float, v0: float, u1: float, v1: float) -> LineString:
        return LineString([(u0, v0), (u1, v1)] if horizontal else [(v0, u0), (v1, u1)])

    n_rows = max(1, round((maxy - miny) / row))
    edges = [miny + (maxy - miny) * k / n_rows for k in range(n_rows + 1)]
    for k in range(1, n_rows):
        edges[k] += rng.uniform(-0.08, 0.08) * row
    for v in edges[1:-1]:
        plan.lines.extend(_clip(seg(minx - 1, v, maxx + 1, v), poly))
    for v0, v1 in itertools.pairwise(edges):
        width = maxx - minx
        n_cols = max(1, round(width / (col * rng.uniform(0.85, 1.15))))
        for k in range(1, n_cols):
            u = minx + width * (k + rng.uniform(-0.12, 0.12)) / n_cols
            plan.lines.extend(_clip(seg(u, v0 - OVERSHOOT, u, v1 + OVERSHOOT), poly))


# Apartment eras: (floors, units per floor, staircases, row depth m, plot width m).
ERAS = {
    "walkup": ((4, 5, 6, 6, 6, 7), (2,), (1, 2, 2, 3), (68.0, 85.0), (85.0, 115.0)),
    "midrise": ((9, 11, 11, 12), (2, 2, 3), (1, 2), (85.0, 105.0), (90.0, 120.0)),
    "highrise": ((16, 18, 18, 24, 26), (2, 3, 4), (1, 1, 2), (115.0, 145.0), (100.0, 130.0)),
}
# Era mix per community region: the east-centre (东街) grew tall, the riverside (滨河) stayed low,
# which makes community sizes uneven as they are in practice.
ERA_MIX = {
    (0, 0): (0.80, 0.15, 0.05),
    (0, 1): (0.70, 0.25, 0.05),
    (1, 0): (0.65, 0.25, 0.10),
    (1, 1): (0.35, 0.30, 0.35),
    (2, 0): (0.70, 0.25, 0.05),
    (2, 1): (0.60, 0.25, 0.15),
}


@dataclass
class _Compound:
    poly: Polygon
    kind: str  # "apartment", "oldtown" or "public"
    block: int = -1
    era: str = ""
    row: float = 0.0
    col: float = 0.0


def _compounds(plan: _Plan, blocks: list[Polygon]) -> list[_Compound]:
    """Decide what each block holds and cut it into compounds (walled 小区)."""
    rng = plan.rng
    new_idx = [i for i, b in enumerate(blocks) if not plan.old_town.contains(b.point_on_surface())]
    old_idx = [i for i, b in enumerate(blocks) if plan.old_town.contains(b.point_on_surface())]
    big_old = [i for i in old_idx if blocks[i].area > 2500]
    public = set(rng.choice(new_idx, size=min(len(PUBLIC_NAMES), len(new_idx)), replace=False))
    public |= set(
        rng.choice(big_old, size=min(len(OLD_TOWN_PUBLIC_NAMES), len(big_old)), replace=False)
    )
    out: list[_Compound] = []
    for i, block in enumerate(blocks):
        if i in public:
            out.append(_Compound(block, "public"))
            if block.area > 60_000:  # big campuses: two units, e.g. teaching area and sports field
                minx, miny, maxx, maxy = block.bounds
                x = minx + (maxx - minx) * rng.uniform(0.4, 0.6)
                plan.lines.extend(_clip(LineString([(x, miny - 1), (x, maxy + 1)]), block))
        elif i in old_idx:
            out.append(_Compound(block, "oldtown"))
        else:
            minx, miny, maxx, maxy = block.bounds
            n = 1 if block.area < 30_000 else (2 if block.area < 80_000 else 3)
            wide = (maxx - minx) >= (maxy - miny)
            lo, hi = (minx, maxx) if wide else (miny, maxy)
            for k in range(1, n):
                pos = lo + (hi - lo) * (k + rng.uniform(-0.12, 0.12)) / n
                cut = (
                    LineString([(pos, miny - 1), (pos, maxy + 1)])
                    if wide
                    else LineString([(minx - 1, pos), (maxx + 1, pos)])
                )
                plan.lines.extend(_clip(cut, block))
            # compound polygons are found after noding; remember the block for now
            out.append(_Compound(block, "apartment"))
    return out


# --------------------------------------------------------------------------- units


def _merge_small(units: list[Polygon | None], group: list[int], min_area: list[float]) -> None:
    """Dissolve units smaller than their ``min_area`` into a neighbour.

    The neighbour is the one sharing the longest boundary, preferring the same
    ``group`` (compound). ``units`` is updated in place: absorbed entries
    become ``None``, and the receiver keeps its group.
    """
    tree = shapely.STRtree(units)
    nbrs: list[set[int]] = [set() for _ in units]
    a, b = tree.query(units, predicate="intersects")
    for i, j in zip(a.tolist(), b.tolist(), strict=True):
        if i != j:
            nbrs[i].add(j)
    areas = [g.area if g is not None else 0.0 for g in units]
    order = sorted(range(len(units)), key=lambda i: (areas[i], i))
    for i in order:
        g = units[i]
        if g is None or g.area >= min_area[i]:
            continue
        best, best_key = -1, (False, 0.0)
        for j in sorted(nbrs[i]):
            h = units[j]
            if h is None:
                continue
            shared = shapely.intersection(g, h).length
            key = (group[j] == group[i], shared)
            if shared > 0 and key > best_key:
                best, best_key = j, key
        if best < 0:
            continue
        merged = shapely.coverage_union(units[best], g)
        if merged.geom_type != "Polygon":
            continue
        units[best] = merged
        units[i] = None
        nbrs[best] |= nbrs[i] - {best}
        for j in nbrs[i]:
            nbrs[j].discard(i)
            if j != best:
                nbrs[j].add(best)


@dataclass
class _Unit:
    geom: Polygon
    kind: str
    compound: int
    region: tuple[int, int]


def _region_of(pt: Point, ns: list[LineString], ew: list[LineString]) -> tuple[int, int]:
    """Which of the 3 x 2 regions between the primary roads a point lies in."""
    col = 0
    for line in ns:  # west of a N-S road if its x at this latitude is larger
        xs = np.asarray(line.coords)
        x_at = np.interp(pt.y, xs[:, 1], xs[:, 0])
        col += pt.x > x_at
    row = 0
    for line in ew:
        ys = np.asarray(line.coords)
        y_at = np.interp(pt.x, ys[:, 0], ys[:, 1])
        row += pt.y > y_at
    return (int(col), int(row))


def make_county_town(seed: int = 2024) -> dict[str, gpd.GeoDataFrame]:
    """Build the synthetic district (not a real place) as seven GeoDataFrames.

    Layers: ``units``, ``communities``, ``streets``, ``sites``, ``workers``,
    ``volunteers`` and ``buildings`` (footprints, see :mod:`gridplan.datasets._raw`),
    all in EPSG:4547 with coordinates rounded to 0.01 m. Pure and deterministic:
    the same ``seed`` gives identical frames. Money figures are illustrative only.

    >>> layers = make_county_town()  # doctest: +SKIP
    >>> int(layers["units"]["households"].sum()) > 20_000  # doctest: +SKIP
    True
    """
    rng = np.random.default_rng(seed)
    district = _district(rng)
    plan = _Plan(rng=rng, district=district, old_town=_old_town(rng))
    plan.lines.append(district.exterior)
    ns, ew = _main_roads(plan)
    superblocks = _faces(plan.lines, district)
    _local_streets(plan, superblocks)
    blocks = _faces(plan.lines, district)
    block_info = _compounds(plan, blocks)
    compounds = _faces(plan.lines, district)
    comp_block = _lookup(blocks, compounds)
    comps = [
        _Compound(c, block_info[b].kind, block=b)
        for c, b in zip(compounds, comp_block.tolist(), strict=True)
    ]
    _plan_plots(plan, comps, ns, ew)
    faces = _faces(plan.lines, district)
    face_comp = _lookup(compounds, faces).tolist()
    min_area = [_min_area(comps[c]) for c in face_comp]
    _merge_small(faces, face_comp, min_area)
    units = [
        _Unit(g, comps[c].kind, c, _region_of(g.point_on_surface(), ns, ew))
        for g, c in zip(faces, face_comp, strict=True)
        if g is not None
    ]
    units_gdf = _unit_table(plan, comps, units)
    communities = _community_table(units_gdf)
    streets = _street_table(plan)
    sites = _site_table(rng, units_gdf, communities)
    workers = _people_table(rng, units_gdf, district, 100, "worker")
    names_used = set(workers["name"].str.split(" ").str[1])
    volunteers = _people_table(rng, units_gdf, district, 300, "volunteer", names_used)
    return {
        "units": units_gdf,
        "communities": communities,
        "streets": streets,
        "sites": sites,
        "workers": workers,
        "volunteers": volunteers,
        # what a planner's project starts from (own random stream: the layers above stay put)
        "buildings": make_buildings(units_gdf, streets, seed),
    }


def _min_area(comp: _Compound) -> float:
    """Plots below this size are slivers to dissolve into a neighbour."""
    if comp.kind == "apartment":
        return 0.3 * comp.row * comp.col
    if comp.kind == "oldtown":
        return 90.0
    return 2_000.0


def _plan_plots(
    plan: _Plan, comps: list[_Compound], ns: list[LineString], ew: list[LineString]
) -> None:
    """Choose each compound's era and cut it into building / courtyard plots."""
    rng = plan.rng
    eras = list(ERAS)
    for comp in comps:
        if comp.kind == "apartment":
            probs = ERA_MIX[_region_of(comp.poly.point_on_surface(), ns, ew)]
            comp.era = eras[int(rng.choice(len(eras), p=probs))]
            _, _, _, row, col = ERAS[comp.era]
            comp.row, comp.col = rng.uniform(*row), rng.uniform(*col)
            _cut_rows(plan, comp.poly, comp.row, comp.col)
        elif comp.kind == "oldtown":
            minx, miny, maxx, maxy = comp.poly.bounds
            horizontal = (maxx - minx) >= (maxy - miny)  # rows along the longer side
            depth = (maxy - miny) if horizontal else (maxx - minx)
            shop = any(comp.poly.distance(line) < 1.0 for _, line in plan.commercial)
            comp.row = depth / 2 if depth > 40 else depth
            comp.col = rng.uniform(9.0, 13.0) if shop else rng.uniform(14.0, 21.0)
            _cut_rows(plan, comp.poly, comp.row + 0.01, comp.col, horizontal)


def _unit_table(plan: _Plan, comps: list[_Compound], units: list[_Unit]) -> gpd.GeoDataFrame:
    """Attributes for every unit: kind, floors, households and people."""
    rng = plan.rng
    # order: community, then compound (north-west first), then plot (north-west first)
    comp_key: dict[int, tuple[tuple[int, int], tuple[float, float]]] = {}
    for u in units:
        comp_key.setdefault(u.compound, (u.region, _sort_key(comps[u.compound].poly)))
    units.sort(key=lambda u: (u.region, comp_key[u.compound], _sort_key(u.geom)))

    # unique compound names, so "X小区3号楼" names one building in the district
    combos = [a + b for a in COMPOUND_STEMS for b in COMPOUND_SUFFIXES]
    rng.shuffle(combos)
    compound_names = itertools.chain(combos, (f"{c}二期" for c in combos))
    public_iter = iter(PUBLIC_NAMES)
    old_public_iter = iter(OLD_TOWN_PUBLIC_NAMES)
    lanes = [s for s in plan.streets if s.kind == "path"]  # old-town lanes
    lane_tree = shapely.STRtree([s.line for s in lanes])
    comp_names: dict[int, str] = {}
    counters: dict[str, int] = {}
    rows = []
    for u in units:
        c = comps[u.compound]
        kind = c.kind
        if kind == "oldtown":
            shop_street = next(
                (n for n, line in plan.commercial if _frontage(u.geom, line) > 4.0), None
            )
            if shop_street is not None:
                kind, base = "shop_house", shop_street
            else:
                kind = "courtyard"
                base = lanes[int(lane_tree.nearest(u.geom.point_on_surface()))].name
            counters[base] = counters.get(base, 0) + 1
            name = f"{base}{counters[base]}号" + ("院" if kind == "courtyard" else "")
        elif kind == "public":
            key = -1 - c.block  # a campus cut in two keeps one name
            if key not in comp_names:
                old = plan.old_town.contains(u.geom.point_on_surface())
                comp_names[key] = next(old_public_iter if old else public_iter)
            base = comp_names[key]
            counters[base] = counters.get(base, 0) + 1
            name = base if counters[base] == 1 else f"{base}{counters[base]}区"
        else:
            if u.compound not in comp_names:
                comp_names[u.compound] = next(compound_names)
            base = comp_names[u.compound]
            counters[base] = counters.get(base, 0) + 1
            name = f"{base}{counters[base]}号楼"
        rows.append(_attributes(rng, u, c, kind, name, plan.old_town))
    gdf = gpd.GeoDataFrame(rows, geometry=[_round(u.geom) for u in units], crs=CRS)
    gdf.insert(0, "unit_id", [f"B{k + 1:04d}" for k in range(len(gdf))])
    return gdf


def _frontage(unit: Polygon, line: LineString) -> float:
    """Length of ``unit``'s boundary running along ``line`` (within 2 cm)."""
    return float(shapely.intersection(unit.boundary, line.buffer(0.02)).length)


def _attributes(
    rng: np.random.Generator, u: _Unit, c: _Compound, kind: str, name: str, old_town: Polygon
) -> dict[str, object]:
    """Floors, households and demographic counts of one unit."""
    street, code, short = COMMUNITY_OF_REGION[u.region]
    if kind == "apartment":
        floors_opts, upf_opts, stair_opts, _, _ = ERAS[c.era]
        floors = int(rng.choice(floors_opts))
        cap = floors * int(rng.choice(upf_opts)) * int(rng.choice(stair_opts))
        # vacancy and flats used as offices: 5-25 % of flats hold no household
        households = max(1, round(cap * rng.uniform(0.75, 0.95)))
        pph = rng.normal(2.78, 0.22)
    elif kind == "courtyard":
        floors = int(rng.choice((1, 1, 2)))
        households = int(min(8, 1 + rng.poisson(2.4)))
        pph = rng.normal(2.70, 0.45)
    elif kind == "shop_house":
        floors = int(rng.choice((2, 2, 3)))
        households = int(rng.integers(1, 5))
        pph = rng.normal(2.70, 0.45)
    else:
        floors = int(rng.integers(1, 5))
        households = 0
        pph = 0.0
    population = round(households * float(np.clip(pph, 1.6, 4.2)))
    old = kind in ("courtyard", "shop_house") or old_town.contains(u.geom.point_on_surface())
    p60 = float(np.clip(rng.normal(0.26 if old else 0.185, 0.04), 0.05, 0.6))
    age60 = int(rng.binomial(population, p60))
    # living alone: about 6 % of older residents (9 % in the old town), at most one per household
    elderly_alone = min(int(rng.binomial(age60, 0.09 if old else 0.06)), households)
    children = int(rng.binomial(population - age60, 0.15 / (1 - 0.2)))
    disabled = int(rng.binomial(population, 0.015))
    return {
        "name": name,
        "kind": kind,
        "floors": floors,
        "households": int(households),
        "population": population,
        "age60plus": age60,
        "elderly_alone": elderly_alone,
        "disabled": disabled,
        "children": children,
        "community": f"{COUNTY}{street}{code}",
        "community_name": f"{STREETS[street]}{short}",
        "street": f"{COUNTY}{street}",
    }


def _community_table(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Community polygons: exact dissolve (coverage union) of their units."""
    rows, geoms = [], []
    for code, grp in units.groupby("community", sort=True):
        street = str(code)[:9]
        rows.append(
            {
                "community": str(code),
                "community_name": grp["community_name"].iloc[0],
                "street": street,
                "street_name": STREETS[street[6:]],
            }
        )
        geoms.append(_round(shapely.coverage_union_all(grp.geometry.to_numpy())))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)


def _street_table(plan: _Plan) -> gpd.GeoDataFrame:
    """Street centre lines clipped to the district, one row per piece."""
    rows, geoms = [], []
    for s in plan.streets:
        for piece in _lines_in(shapely.intersection(s.line, plan.district)):
            if piece.length < 1.0:
                continue
            rows.append({"name": s.name, "kind": s.kind})
            geoms.append(_round(piece))
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)
    gdf.insert(0, "street_id", [f"R{k + 1:03d}" for k in range(len(gdf))])
    return gdf


def _pt(p: Point) -> Point:
    return Point(round(p.x, 2), round(p.y, 2))


def _site_table(
    rng: np.random.Generator, units: gpd.GeoDataFrame, communities: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """One existing centre per community plus candidate (and a few existing) stations."""
    rows, geoms = [], []
    reps = units.geometry.representative_point()
    hh_by_comm = units.groupby("community")["households"].sum()
    for _, c in communities.iterrows():
        mine = units.index[units["community"] == c["community"]]
        centre = c.geometry.centroid
        # the centre sits in the community's unit nearest its middle
        k = mine[int(np.argmin(reps[mine].distance(centre).to_numpy()))]
        short = c["community_name"].removeprefix(c["street_name"])
        rows.append(
            {
                "name": f"{short}服务中心",
                "kind": "centre",
                "open_cost": 0,
                "annual_cost": int(rng.integers(35, 56)) * 10_000,
                "capacity": int(math.ceil(hh_by_comm[c["community"]] / 500.0) * 500 + 500),
                "radius_m": int(rng.choice((800, 850, 900, 950, 1000))),
                "existing": True,
            }
        )
        geoms.append(_pt(reps[k]))
    candidates = units.index[units["households"] > 0].to_numpy()
    order = rng.permutation(candidates)
    chosen: list[Point] = list(geoms)
    used_names: set[str] = set()
    n_stations, n_existing = 34, 0
    for k in order:
        p = reps[k]
        if all(p.distance(q) >= 300 for q in chosen):
            existing = n_existing < 4 and rng.random() < 0.15
            n_existing += existing
            # named after the compound, lane or street it stands in
            base = re.sub(r"\d+(号楼|号院|号|区)$", "", units.at[k, "name"]) + "服务站"
            base = base if base not in used_names else base.replace("服务站", "第二服务站")
            used_names.add(base)
            rows.append(
                {
                    "name": base,
                    "kind": "station",
                    # fit-out of 300k-800k yuan annualised over 10 years; 0 when already open
                    "open_cost": 0 if existing else int(rng.integers(30, 81)) * 1_000,
                    "annual_cost": int(rng.integers(6, 16)) * 10_000,
                    "capacity": int(rng.integers(16, 41)) * 50,
                    "radius_m": int(rng.choice((300, 350, 400, 450, 500))),
                    "existing": bool(existing),
                }
            )
            geoms.append(_pt(p))
            chosen.append(p)
            if len(rows) - len(communities) >= n_stations:
                break
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)
    gdf.insert(0, "site_id", [f"S{k + 1:02d}" for k in range(len(gdf))])
    return gdf


def _name(rng: np.random.Generator, used: set[str]) -> str:
    """A made-up Chinese personal name, unique within ``used``."""
    while True:
        n = 1 + int(rng.random() < 0.7)
        name = SURNAMES[int(rng.integers(len(SURNAMES)))] + "".join(
            GIVEN_CHARS[int(i)] for i in rng.integers(len(GIVEN_CHARS), size=n)
        )
        if name not in used:
            used.add(name)
            return name


def _people_table(
    rng: np.random.Generator,
    units: gpd.GeoDataFrame,
    district: Polygon,
    n: int,
    role: str,
    used: set[str] | None = None,
) -> gpd.GeoDataFrame:
    """Grid-worker or volunteer candidates living where the households live."""
    used = set() if used is None else used
    weights = units["households"].to_numpy(dtype=float)
    weights /= weights.sum()
    minx, miny, maxx, maxy = district.bounds
    rows, geoms = [], []
    for k in range(n):
        if role == "worker" and rng.random() < 0.08:
            # some workers live in villages just outside the district
            while True:
                p = Point(rng.uniform(minx - 400, maxx + 400), rng.uniform(miny - 400, maxy + 400))
                if not district.contains(p):
                    break
        else:
            p = _random_point_in(rng, units.geometry.iat[int(rng.choice(len(units), p=weights))])
        geoms.append(_pt(p))
        if role == "worker":
            rows.append(
                {
                    "worker_id": f"W{k + 1:03d}",
                    "name": f"网格员 {_name(rng, used)}",
                    "annual_cost": int(rng.integers(450, 651)) * 100,
                    "max_travel_m": int(rng.integers(15, 31)) * 100,
                    "max_grids": 2 if rng.random() < 0.12 else 1,
                    "max_households": int(rng.integers(40, 71)) * 10,
                }
            )
        else:
            n_sk = 1 + int(rng.random() < 0.35) + int(rng.random() < 0.1)
            p_sk = np.array([0.45, 0.2, 0.07, 0.18, 0.1])
            pick = sorted(rng.choice(len(SKILLS), size=n_sk, replace=False, p=p_sk).tolist())
            rows.append(
                {
                    "volunteer_id": f"V{k + 1:04d}",
                    "name": f"志愿者 {_name(rng, used)}",
                    "hours_per_month": int(rng.integers(2, 21)),
                    "skills": ";".join(SKILLS[i] for i in pick),
                    "max_travel_m": int(rng.integers(10, 31)) * 50,
                    "annual_cost": int(rng.integers(20, 201)) * 10,
                }
            )
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)
