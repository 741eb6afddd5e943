"""The wall's map: the towns coloured by a figure, their borders and their names.

Built from the map's public builders (components.layers, map_deck, map_geometry,
map_colours). The deck is drawn at its 1920×1080 size (DECK_HEIGHT) and CSS zooms it with
the screen (CSS below), so the district fills the same share of any 16:9 wall without the
server knowing the screen's pixels.
"""

import html

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


def deck(town_fc: dict, borders: dict) -> pdk.Deck:
    """Towns filled by METRIC, their borders and names; framed for the wall's panel. No
    basemap: nothing is fetched."""
    names = [{**row, "text": short_name(html.unescape(row["text"]))}  # names come escaped
             for row in map_geometry.label_points(town_fc, "name")]
    view = layers.view_of(town_fc, width_px=DECK_WIDTH, height_px=DECK_HEIGHT)
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
