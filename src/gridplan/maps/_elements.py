"""Small Leaflet elements of our own: legend/info boxes, text labels, page CSS.

They exist because folium's equivalents either load extra libraries from a
CDN (branca legends need d3; ``folium.Popup`` needs jQuery) or put text into
the page as HTML. Labels here are set with ``textContent``, so no escaping
mistake can turn a grid code or name into markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from jinja2 import Template

__all__ = ["CSS", "Declutter", "HtmlControl", "TextLabels", "add_css"]

CSS = """
.folium-map.leaflet-container { background: #f4f4f1; font: 13px/1.4 "Helvetica Neue", Arial,
  "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
.gp-box { background: rgba(255,255,255,.92); padding: 6px 8px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); max-width: 260px; }
.gp-legend-title { font-weight: bold; margin-bottom: 4px; }
.gp-legend-bar { height: 10px; width: 200px; border: 1px solid #999; }
.gp-legend-ticks { display: flex; justify-content: space-between; width: 202px; font-size: 11px; }
.gp-legend-row { display: flex; align-items: center; gap: 6px; font-size: 12px; }
.gp-legend-row i { display: inline-block; width: 14px; height: 12px; border: 1px solid #777; }
.gp-label { color: #222; font-size: 11px; font-weight: bold; white-space: nowrap;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; transform: translate(-50%, -50%);
  width: max-content; }
.gp-label-parent { font-size: 14px; color: #333; }
.gp-label-hidden { visibility: hidden; }
.gp-tip table { border-collapse: collapse; }
.gp-tip th { text-align: left; padding-right: 8px; font-weight: normal; color: #555; }
.gp-tip td { text-align: right; }
.gp-tip .gp-head { font-weight: bold; font-size: 13px; }
"""


def add_css(m: Element) -> None:
    """Add gridplan's style sheet to the map's page once (idempotent by name)."""
    root = m.get_root()
    if isinstance(root, Figure):
        root.header.add_child(Element(f"<style>{CSS}</style>"), name="gridplan_css")


class HtmlControl(MacroElement):
    """A Leaflet control box showing HTML that the caller has already escaped.

    ``html`` must be built with :func:`gridplan.maps._escape.esc` for every piece
    of user text. It reaches the page through ``tojson``, which also escapes
    ``<`` and ``>``, so it cannot end the surrounding ``<script>``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str = "bottomright", css_class: str = "gp-box") -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html = html
        self.position = position
        self.css_class = css_class


class TextLabels(Layer):
    """A toggleable layer of plain-text labels at given points.

    ``points`` are ``(lat, lon, text)``. Text is inserted with ``textContent``,
    never parsed as HTML. The labels are not interactive, so the shapes under
    them keep their tooltips.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        (function (group, rows, cls) {
            rows.forEach(function (r) {
                var el = document.createElement("div");
                el.className = cls;
                el.textContent = r[2];
                L.marker([r[0], r[1]], {
                    icon: L.divIcon({html: el, className: "", iconSize: null}),
                    interactive: false, keyboard: false
                }).addTo(group);
            });
        })({{ this.get_name() }}, {{ this.rows|tojson }}, {{ this.css_class|tojson }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        points: Sequence[tuple[float, float, str]],
        name: str = "Labels",
        css_class: str = "gp-label",
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "TextLabels"
        self.rows = [[round(float(a), 7), round(float(b), 7), str(t)] for a, b, t in points]
        self.css_class = css_class


class Declutter(MacroElement):
    """Hide labels that would overlap another: no two visible labels ever touch.

    After every zoom, pan or layer switch, the labels of all :class:`TextLabels`
    layers are measured on screen (their bounding boxes, plus 2 px) and taken
    in order — parent (community) names first, then grid codes in drawing
    order; a label whose box meets one already kept is hidden until the next
    pass. Zooming in shows more of them.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            function meets(a, b) {
                return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
            }
            function rank(el) { return el.classList.contains("gp-label-parent") ? 0 : 1; }
            function declutter() {
                var els = Array.prototype.slice.call(
                    map.getContainer().querySelectorAll(".gp-label"));
                els.forEach(function (el) { el.classList.remove("gp-label-hidden"); });
                els.sort(function (a, b) { return rank(a) - rank(b); });
                var kept = [];
                els.forEach(function (el) {
                    var r = el.getBoundingClientRect();
                    if (r.width === 0 && r.height === 0) { return; }
                    var box = {left: r.left - 2, right: r.right + 2, top: r.top - 2,
                               bottom: r.bottom + 2};
                    if (kept.some(function (k) { return meets(k, box); })) {
                        el.classList.add("gp-label-hidden");
                    } else {
                        kept.push(box);
                    }
                });
            }
            map.on("zoomend moveend overlayadd overlayremove resize", declutter);
            map.whenReady(function () { setTimeout(declutter, 0); });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "Declutter"
