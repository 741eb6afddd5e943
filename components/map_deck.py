"""The map's deck: the rows each layer carries (tooltips pre-formatted and escaped) and the
layers themselves, assembled into a lean deck.

Instanced deck.gl layers (Scatterplot, Path, Text) draw under software WebGL too; what
broke them was pydeck's serialisation, which turns every string property into an `@@=`
expression: LeanDeck writes a TextLayer's characterSet and fontFamily as plain JSON.
"""

import html
import json

import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from components import format as fmt
from components import map_colours as mc
from components.map_settings import MapSettings

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
# Every pickable row carries name and label (nothing else: 1,409 cells pay for each key).
TOOLTIP = {"html": "<b>{name}</b><br/>{label}",
           "style": {"backgroundColor": "#13253B", "color": "#E6EDF5", "fontSize": "15px"}}


def area_props(shapes: pd.DataFrame, metrics: pd.DataFrame, metric: str, label: str,
               higher_is_better: bool, dim_except: str | None = None,
               stages: dict[str, str] | None = None) -> pd.DataFrame:
    """Tooltip and colour per shape: code, name, label (pre-formatted metric), fill (a tuple:
    the frame is then hashable as a cache key, where lists made Streamlit pickle it).
    With `dim_except` (a code), every other shape is dimmed; with `stages` (code → label),
    `metric` holds stage codes and the colours are categorical."""
    data = shapes[["code", "name"]].merge(metrics, on="code", how="left")
    values = data[metric]
    if stages is not None:
        shown = values.map(lambda v: stages.get(v, "无在办问题") if isinstance(v, str)
                           else "无在办问题")
        if {"wait_hours", "open"} <= set(data):  # how long, and how many wait
            shown = shown + [f"（已等 {h / 24:.1f} 天，在办 {int(n)} 件）" if pd.notna(h) else ""
                             for h, n in zip(data["wait_hours"], data["open"])]
        fill = mc.categories(values, list(stages))
    else:
        if higher_is_better:
            shown = values.map(fmt.pct)
        elif values.dtype.kind == "f":
            shown = values.map(lambda v: fmt.NOTHING if pd.isna(v) else f"{v:,.1f}")
        else:
            shown = values.map(fmt.count)
        fill = mc.ramp(values, higher_is_better)
    if dim_except is not None:
        fill = [[*rgb[:3], 255 if code == dim_except else mc.DIM_ALPHA]
                for rgb, code in zip(fill, data["code"])]
    return pd.DataFrame({"code": data["code"], "name": data["name"].map(html.escape),
                         "label": label + "：" + shown, "fill": [tuple(c) for c in fill]})


def site_rows(data: pd.DataFrame, lines: list[str]) -> pd.DataFrame:
    """Sites with the tooltip fields every layer carries (name, label: the lines), escaped:
    the names come from imported data and the tooltip renders HTML."""
    return data.assign(name=data["name"].map(html.escape),
                       label=["<br/>".join(html.escape(str(x)) for x in parts) for parts in lines])


def area_layer(layer_id: str, collection: dict, *, opacity: float = 0.85,
               pickable: bool = True) -> pdk.Layer:
    """Filled areas without strokes (borders are their own PathLayer, drawn above)."""
    return pdk.Layer(
        "GeoJsonLayer", collection, id=layer_id, pickable=pickable, auto_highlight=pickable,
        filled=True, stroked=False, opacity=opacity, get_fill_color="properties.fill",
        highlight_color=[255, 255, 255, 90])


def polygon_layer(layer_id: str, rows: list[dict], *, opacity: float = 0.85) -> pdk.Layer:
    """Filled areas from polygon rows (map_geometry.polygon_rows), pickable, no strokes."""
    return pdk.Layer("PolygonLayer", rows, id=layer_id, pickable=True, auto_highlight=True,
                     filled=True, stroked=False, opacity=opacity, get_polygon="polygon",
                     get_fill_color="fill", highlight_color=[255, 255, 255, 90])


def path_layer(layer_id: str, paths: list[dict], colour, width_px: float) -> pdk.Layer:
    """Borders or an outline, `width_px` screen pixels wide at any zoom."""
    return pdk.Layer("PathLayer", paths, id=layer_id, get_path="path", get_color=colour,
                     get_width=width_px, width_units="pixels", joint_rounded=True,
                     cap_rounded=True, pickable=False)


def point_layer(layer_id: str, data: pd.DataFrame, colour, radius_px="radius_px",
                outline=mc.OUTLINE) -> pdk.Layer:
    """Sites as outlined dots sized in pixels (min 5, max 22): visible at every zoom.
    `colour`: an RGB list or the name of a column of RGB lists."""
    return pdk.Layer(
        "ScatterplotLayer", data, id=layer_id, pickable=True, auto_highlight=True,
        get_position=["lon", "lat"], get_fill_color=colour,
        get_radius=radius_px if isinstance(radius_px, str) else radius_px,
        radius_units="pixels", radius_min_pixels=5, radius_max_pixels=22, stroked=True,
        get_line_color=outline, line_width_units="pixels", get_line_width=2,
        highlight_color=[255, 255, 255, 120])


def text_layer(layer_id: str, labels: list[dict], size_px: int | str) -> pdk.Layer:
    """Names (rows of text, lon, lat) in white with a dark halo, `size_px` high (or the
    rows' column of that name)."""
    return pdk.Layer("TextLayer", labels, id=layer_id, get_position=["lon", "lat"],
                     get_text="text", get_size=size_px, size_units="pixels",
                     get_color=mc.NAME_COLOUR, outline_width=3, outline_color=mc.OUTLINE,
                     font_settings={"sdf": True}, font_weight=600, pickable=False)


def heat_layer(layer_id: str, data: pd.DataFrame) -> pdk.Layer:
    """Where tickets crowd, drawn above the cells in its own ramp (mc.HEAT_RANGE)."""
    return pdk.Layer("HeatmapLayer", data, id=layer_id, get_position=["lon", "lat"],
                     radius_pixels=45, intensity=1.3, threshold=0.08, opacity=0.75,
                     color_range=mc.HEAT_RANGE)


class LeanDeck(pdk.Deck):
    """A Deck whose JSON has no indentation and keeps Chinese as UTF-8 (pydeck's own made
    the cells four times larger on the wire), whose layers' string settings (units, font)
    are plain values (pydeck sends every string as an expression, so radiusUnits="pixels"
    reached deck.gl as the undefined variable `pixels`), and whose TextLayers carry their
    character set."""

    def to_json(self):
        spec = json.loads(json.dumps(self, default=default_serialize))
        for layer in spec.get("layers", []):
            for key, value in layer.items():  # radiusUnits="pixels" etc.: plain, not `pixels`
                if not key.startswith("get") and isinstance(value, str) and value.startswith("@@="):
                    layer[key] = value[3:]
            if layer.get("@@type") == "TextLayer":
                texts = layer.get("data") or []
                layer["characterSet"] = sorted({ch for row in texts if isinstance(row, dict)
                                                for ch in str(row.get("text", ""))})
                layer["fontFamily"] = FONT
                layer["getTextAnchor"], layer["getAlignmentBaseline"] = "middle", "center"
        return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def deck(layers: list, view: pdk.ViewState, tooltip: dict, map_settings: MapSettings) -> pdk.Deck:
    """The deck: no basemap request at all unless a basemap is configured."""
    if map_settings.basemap == "none":
        return LeanDeck(layers=layers, initial_view_state=view, tooltip=tooltip,
                        map_provider=None)
    style = "dark" if map_settings.basemap == "carto" else map_settings.basemap
    return LeanDeck(layers=layers, initial_view_state=view, tooltip=tooltip,
                    map_provider="carto", map_style=style)
