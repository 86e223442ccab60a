"""Base tiles: none by default, OpenStreetMap, or Chinese providers.

No tiles is the default because a saved map must work offline (on a
government intranet tiles never load). A provider is chosen by name:

- ``"osm"`` – OpenStreetMap standard tiles, WGS-84.
- ``"amap"`` / ``"gaode"`` – AMap (高德) street tiles. Drawn in GCJ-02, so the
  overlays are shifted into GCJ-02 (see :mod:`gridplan.maps.coords`) to match.
- ``"tianditu"`` – Tianditu (天地图) vector tiles plus Chinese labels, in
  CGCS2000, which agrees with WGS-84 to well under a metre, so nothing is
  shifted. Tianditu requires a user key (``tiles_key=``), free from the
  Tianditu developer site.

>>> resolve_tiles(None) is None
True
>>> resolve_tiles("gaode").gcj02
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridplan.errors import ConfigError

if TYPE_CHECKING:
    import folium

__all__ = ["PROVIDERS", "ResolvedTiles", "TileProvider", "add_tiles", "resolve_tiles"]


@dataclass(frozen=True)
class TileProvider:
    """One base-map choice: tile URL template(s) and whether it uses GCJ-02."""

    name: str
    urls: tuple[str, ...]
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 19
    gcj02: bool = False
    needs_key: bool = False


PROVIDERS: dict[str, TileProvider] = {
    "osm": TileProvider(
        name="OpenStreetMap",
        urls=("https://tile.openstreetmap.org/{z}/{x}/{y}.png",),
        attribution="&copy; OpenStreetMap contributors",
        subdomains="",
    ),
    "amap": TileProvider(
        name="AMap 高德",
        urls=(
            "https://webrd0{s}.is.autonavi.com/appmaptile"
            "?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        ),
        attribution="&copy; AutoNavi 高德地图 (GCJ-02; overlays shifted to match)",
        subdomains="1234",
        max_zoom=18,
        gcj02=True,
    ),
    "tianditu": TileProvider(
        name="Tianditu 天地图",
        urls=(
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
            "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            "&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
        ),
        attribution="&copy; 天地图 Tianditu",
        subdomains="01234567",
        max_zoom=18,
        needs_key=True,
    ),
}
_ALIASES = {
    "openstreetmap": "osm",
    "gaode": "amap",
    "autonavi": "amap",
    "高德": "amap",
    "天地图": "tianditu",
}


@dataclass(frozen=True)
class ResolvedTiles:
    """A provider with its key filled in."""

    provider: TileProvider
    urls: tuple[str, ...]

    @property
    def gcj02(self) -> bool:
        return self.provider.gcj02


def resolve_tiles(tiles: str | None, key: str | None = None) -> ResolvedTiles | None:
    """Check a ``tiles=`` choice; ``None`` (or ``"none"``) means no base map.

    Raises :class:`~gridplan.errors.ConfigError` for an unknown provider or a
    provider that needs a key when none is given.
    """
    if tiles is None:
        return None
    if not isinstance(tiles, str):
        raise ConfigError(f"tiles must be a provider name or None, got {type(tiles).__name__}")
    name = tiles.strip().lower()
    if name in ("", "none"):
        return None
    name = _ALIASES.get(name, name)
    if name not in PROVIDERS:
        known = ", ".join(sorted([*PROVIDERS, *_ALIASES]))
        raise ConfigError(
            f"unknown tiles provider {tiles!r}; use None (no base map, works offline) or one of: "
            f"{known}"
        )
    provider = PROVIDERS[name]
    if provider.needs_key:
        if not key or not str(key).strip():
            raise ConfigError(
                f"tiles={tiles!r} needs a Tianditu user key: pass tiles_key='...' "
                "(a free key from the Tianditu developer site), or use tiles=None, 'osm' or 'amap'"
            )
        urls = tuple(u.replace("{key}", str(key).strip()) for u in provider.urls)
    else:
        if key:
            raise ConfigError(f"tiles_key is only used with tiles='tianditu', not {tiles!r}")
        urls = provider.urls
    return ResolvedTiles(provider=provider, urls=urls)


def add_tiles(m: folium.Map, tiles: ResolvedTiles | None) -> None:
    """Add the provider's tile layer(s) to ``m`` (nothing for ``None``)."""
    if tiles is None:
        return
    import folium

    p = tiles.provider
    for i, url in enumerate(tiles.urls):
        folium.TileLayer(
            tiles=url,
            attr=p.attribution if i == 0 else " ",
            name=p.name if i == 0 else f"{p.name} labels",
            max_zoom=p.max_zoom,
            overlay=i > 0,
            control=i > 0,
            subdomains=p.subdomains or "abc",  # unused when the URL has no {s}
        ).add_to(m)
