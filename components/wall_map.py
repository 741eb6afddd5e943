"""The wall's map: the towns coloured by a figure, their borders and their names.

Built from the map's public builders (components.layers, map_deck, map_geometry,
map_colours). The deck is drawn at its 1920×1080 size (DECK_HEIGHT) and CSS zooms it with
the screen (CSS below), so the district fills the same share of any 16:9 wall without the
server knowing the screen's pixels.
"""

import html
import math

import pandas as pd
import pydeck as pdk

from components import layers, map_deck, map_geometry
from components import map_colours as mc
from components.format import pct
from data_access.geo import HIGHER_IS_BETTER, METRICS

DECK_HEIGHT = 700  # px at 1920×1080: the map panel's 65vh
DECK_WIDTH = 820
METRIC = "satisfaction_rate"
NAME_PX = 19  # at 1920; the CSS zoom doubles it on 4K
NAME_GAP_PX = 4  # the least room between two names (their halos touch below it)

# zoom = screen width / 1920: typed arithmetic where the browser has it, else steps.
CSS = """
<style>
.st-key-wall_map { zoom: 1; }
@media (min-width: 2400px) { .st-key-wall_map { zoom: 1.5; } }
@media (min-width: 3200px) { .st-key-wall_map { zoom: 2; } }
@supports (zoom: calc(100vw / 1920px)) { .st-key-wall_map { zoom: calc(100vw / 1920px); } }
</style>
"""


def short_name(town: str) -> str:
    """The city's small 街道 crowd the centre of the map: 鼓楼街道 → 鼓楼, as people say."""
    return town.removesuffix("街道") or town


def _pixels_per_degree(view: pdk.ViewState) -> tuple[float, float]:
    """Screen pixels per degree of longitude and of latitude around the view's centre (Web
    Mercator: 512 · 2^zoom pixels span 360° of longitude)."""
    x = 512 * 2 ** view.zoom / 360
    return x, x / math.cos(math.radians(view.latitude))


def label_box(row: dict, size_px: float) -> tuple[float, float]:
    """The width and height in pixels a name takes (a CJK character is as wide as high)."""
    return len(row["text"]) * size_px + NAME_GAP_PX, size_px + NAME_GAP_PX


def overlaps(names: list[dict], view: pdk.ViewState, size_px: float) -> list[tuple[str, str]]:
    """The pairs of names whose boxes overlap on the screen at `view`."""
    px, py = _pixels_per_degree(view)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (wa, ha), (wb, hb) = label_box(a, size_px), label_box(b, size_px)
            if (abs(a["lon"] - b["lon"]) * px < (wa + wb) / 2
                    and abs(a["lat"] - b["lat"]) * py < (ha + hb) / 2):
                out.append((a["text"], b["text"]))
    return out


def spread(names: list[dict], view: pdk.ViewState, size_px: float,
           rounds: int = 60) -> list[dict]:
    """The names nudged apart until no two overlap on the screen at `view`: each crowded
    pair is pushed apart along the axis where it overlaps least, half each (the city's
    small 街道 crowd the centre: 西门/鼓楼, 月湖/江厦). Collision-aware, so it holds for a
    deployment's own boundaries as well as for the sample's."""
    px, py = _pixels_per_degree(view)
    spots = [[row["lon"] * px, -row["lat"] * py] for row in names]  # screen pixels, y down
    boxes = [label_box(row, size_px) for row in names]
    for _ in range(rounds):
        moved = False
        for i in range(len(spots)):
            for j in range(i + 1, len(spots)):
                dx, dy = spots[j][0] - spots[i][0], spots[j][1] - spots[i][1]
                ox = (boxes[i][0] + boxes[j][0]) / 2 - abs(dx)
                oy = (boxes[i][1] + boxes[j][1]) / 2 - abs(dy)
                if ox <= 0 or oy <= 0:
                    continue
                moved = True
                axis, need, d = (0, ox, dx) if ox < oy else (1, oy, dy)
                step = (need / 2 + 0.5) * (1 if d >= 0 else -1)
                spots[i][axis] -= step
                spots[j][axis] += step
        if not moved:
            break
    return [{**row, "lon": round(x / px, 5), "lat": round(-y / py, 5)}
            for row, (x, y) in zip(names, spots)]


def deck(town_fc: dict, borders: dict) -> pdk.Deck:
    """Towns filled by METRIC, their borders and names (nudged apart where they crowd);
    framed for the wall's panel. No basemap: nothing is fetched."""
    view = layers.view_of(town_fc, width_px=DECK_WIDTH, height_px=DECK_HEIGHT)
    names = spread([{**row, "text": short_name(html.unescape(row["text"]))}  # names come escaped
                    for row in map_geometry.label_points(town_fc, "name")], view, NAME_PX)
    return layers.LeanDeck(
        layers=[layers.area_layer("wall-towns", town_fc, pickable=False),
                layers.area_layer("wall-borders", borders, opacity=1.0, pickable=False),
                map_deck.text_layer("wall-town-names", names, NAME_PX)],
        initial_view_state=view, map_provider=None, tooltip=False)


def legend(metrics: pd.DataFrame) -> str:
    """The map's title line: the figure, its ramp and end values, in rem (follows the wall)."""
    values = metrics[METRIC]
    if values.dropna().empty:
        return f"<b>{METRICS[METRIC]}</b> 本期无数据"
    lo, hi = mc.ramp_range(values)
    ramp = mc.GOOD_RAMP if METRIC in HIGHER_IS_BETTER else mc.BAD_RAMP
    gradient = ", ".join(f"rgb({r},{g},{b})" for r, g, b in ramp)
    return (f"<b>各镇(乡)街道{METRICS[METRIC]}</b> &nbsp; {pct(lo)} "
            f"<span style='display:inline-block;width:9rem;height:0.9rem;border-radius:0.2rem;"
            f"vertical-align:middle;background:linear-gradient(90deg,{gradient})'></span> "
            f"{pct(hi)}")
