"""pydeck layers for the map page: lean JSON, pre-formatted tooltips, fixed layer ids.

Basemap settings come from the environment or `.streamlit/secrets.toml` ([map]):
- COCKPIT_BASEMAP / basemap: "none" (default: no request leaves the machine), "carto"
  (the public Carto dark style, needs the internet) or the URL of a self-hosted
  Mapbox-GL/MapLibre style.json on the intranet;
- COCKPIT_STORED_CRS / stored_crs: the system of the stored coordinates (WGS-84 default);
- COCKPIT_BASEMAP_CRS / basemap_crs: the basemap's system (default: WGS-84 for carto,
  GCJ-02 for a self-hosted style, as Chinese tile servers use). Shapes are converted once.
"""

import html
import json
import math
import os
import tomllib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from components import crs
from components import format as fmt
from data_access import db
from data_access.geo import HIGHER_IS_BETTER, METRICS, inside_district, parse_shape

NO_DATA = [90, 100, 112]
BORDER = [230, 237, 245, 230]
AMBER_BORDER = [242, 193, 78, 255]
CLINIC_COLOUR = [61, 220, 151]
GAP_COLOUR = [255, 107, 107]
BAD_RAMP = [(35, 62, 92), (62, 128, 190), (242, 193, 78), (255, 107, 107)]
GOOD_RAMP = [(255, 107, 107), (242, 193, 78), (61, 220, 151)]
STAGE_COLOURS = {"not_started": [143, 163, 191], "planned": [78, 168, 245],
                 "in_progress": [242, 193, 78], "completed": [61, 220, 151]}
DISTRICT_VIEW = {"latitude": 29.84, "longitude": 121.35, "zoom": 9.9}


@dataclass(frozen=True)
class MapSettings:
    basemap: str = "none"
    stored_crs: str = crs.WGS84
    basemap_crs: str = crs.WGS84

    @property
    def convert(self):
        return crs.converter(self.stored_crs, self.basemap_crs)


def settings(environ=None) -> MapSettings:
    environ = os.environ if environ is None else environ
    section = {}
    if db.SECRETS.exists():
        section = tomllib.loads(db.SECRETS.read_text(encoding="utf-8")).get("map", {})

    def pick(env, key, default):
        return environ.get(env) or section.get(key) or default

    basemap = pick("COCKPIT_BASEMAP", "basemap", "none")
    stored = pick("COCKPIT_STORED_CRS", "stored_crs", crs.WGS84)
    shown = pick("COCKPIT_BASEMAP_CRS", "basemap_crs",
                 stored if basemap == "none" else crs.WGS84 if basemap == "carto" else crs.GCJ02)
    crs.converter(stored, shown)  # refuses unknown systems with a clear message
    return MapSettings(basemap, stored, shown)


def ramp_range(values: pd.Series) -> tuple[float, float]:
    """The values that get the ramp's first and last colour: the 2nd and 98th percentiles,
    or the whole range for sparse counts (else one cell with a ticket paints all red)."""
    known = values.dropna()
    if not len(known):
        return 0.0, 1.0
    if known.nunique() <= 8:
        return float(known.min()), float(known.max())
    return float(known.quantile(0.02)), float(known.quantile(0.98))


def ramp(values: pd.Series, metric: str) -> list[list[int]]:
    """RGB colours for values along the metric's ramp (see ramp_range)."""
    stops = GOOD_RAMP if metric in HIGHER_IS_BETTER else BAD_RAMP
    lo, hi = ramp_range(values)
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(NO_DATA)
            continue
        t = 0.0 if hi <= lo else min(1.0, max(0.0, (v - lo) / (hi - lo)))
        k = min(int(t * (len(stops) - 1)), len(stops) - 2)
        u = t * (len(stops) - 1) - k
        out.append([round(a + (b - a) * u) for a, b in zip(stops[k], stops[k + 1])])
    return out


def _converted(polygons, convert):
    out = []
    for polygon in polygons:
        rings = []
        for ring in polygon:
            arr = np.asarray(ring, dtype=float)
            lon, lat = convert(arr[:, 0], arr[:, 1])
            rings.append(np.round(np.column_stack([lon, lat]), 5).tolist())
        out.append(rings)
    return out


def features(shapes: pd.DataFrame, props: pd.DataFrame, convert) -> tuple[dict, int]:
    """A FeatureCollection of the drawable shapes, with `props` (one row per shape, same
    order) as properties; and how many shapes could not be drawn."""
    feats, dropped = [], 0
    for boundary, prop in zip(shapes["boundary"], props.to_dict("records")):
        polygons = parse_shape(boundary)
        if polygons is None:
            dropped += 1
            continue
        feats.append({"type": "Feature", "properties": prop,
                      "geometry": {"type": "MultiPolygon",
                                   "coordinates": _converted(polygons, convert)}})
    return {"type": "FeatureCollection", "features": feats}, dropped


def area_props(shapes: pd.DataFrame, metrics: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Tooltip and colour per shape: code, name, label (pre-formatted metric), fill."""
    data = shapes[["code", "name"]].merge(metrics, on="code", how="left")
    values = data[metric]
    if metric in HIGHER_IS_BETTER:
        shown = values.map(fmt.pct)
    elif metric == "tickets_per_1k":
        shown = values.map(lambda v: fmt.NOTHING if pd.isna(v) else f"{v:,.1f}")
    else:
        shown = values.map(fmt.count)
    return pd.DataFrame({"code": data["code"], "name": data["name"].map(html.escape),
                         "label": METRICS[metric] + "：" + shown, "tip": "",
                         "fill": ramp(values, metric)})


TOOLTIP = {"html": "<b>{name}</b><br/>{label}{tip}",
           "style": {"backgroundColor": "#13253B", "color": "#E6EDF5", "fontSize": "15px"}}


def site_rows(data: pd.DataFrame, lines: list[str]) -> pd.DataFrame:
    """Sites with the tooltip fields every layer carries (name, label, tip), escaped: the
    names come from imported data and the tooltip renders HTML."""
    return data.assign(name=data["name"].map(html.escape), label="",
                       tip=["<br/>".join(html.escape(str(x)) for x in parts) for parts in lines])


def area_features(shapes: pd.DataFrame, metrics: pd.DataFrame, metric: str,
                  map_settings: MapSettings) -> tuple[dict, int]:
    """The areas as features coloured by `metric`; and how many could not be drawn."""
    return features(shapes, area_props(shapes, metrics, metric), map_settings.convert)


def located(map_settings: MapSettings, points: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The points inside the district, converted for the basemap; and how many were not."""
    ok = np.array([bool(pd.notna(lon) and pd.notna(lat) and inside_district(lon, lat))
                   for lon, lat in zip(points["lon"], points["lat"])], dtype=bool)
    kept = points.loc[ok].copy()
    kept["lon"], kept["lat"] = map_settings.convert(kept["lon"].to_numpy(), kept["lat"].to_numpy())
    return kept, len(points) - len(kept)


def area_layer(layer_id: str, collection: dict, *, opacity: float = 0.85,
               pickable: bool = True) -> pdk.Layer:
    """Filled areas, no strokes: deck.gl draws strokes with instanced paths, which software
    WebGL (a wall screen's browser without a GPU) drew as screen-filling shapes."""
    return pdk.Layer(
        "GeoJsonLayer", collection, id=layer_id, pickable=pickable, auto_highlight=pickable,
        filled=True, stroked=False, opacity=opacity, get_fill_color="properties.fill",
        highlight_color=[255, 255, 255, 90])


def _simplify(ring: list, tolerance: float) -> list:
    """Douglas–Peucker on a closed ring of [lon, lat] (keeps the first and last point)."""
    if len(ring) < 4:
        return ring
    pts = np.asarray(ring, dtype=float)
    keep = np.zeros(len(pts), dtype=bool)
    far = int(np.argmax(np.hypot(*(pts - pts[0]).T)))  # a closed ring: split it in two first
    keep[[0, far, -1]] = True
    stack = [(0, far), (far, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg = pts[b] - pts[a]
        rel = pts[a + 1:b] - pts[a]
        norm = np.hypot(*seg) or 1e-12
        dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            keep[a + 1 + k] = True
            stack += [(a, a + 1 + k), (a + 1 + k, b)]
    return pts[keep].tolist()


def outline_bands(collection: dict, width_m: float = 140, colour=None,
                  tolerance: float = 0.0008) -> dict:
    """Boundaries as thin filled quads (one per simplified edge): borders that draw
    wherever polygons draw. The input's properties, coloured `colour` (BORDER)."""
    feats = []
    half_lat = width_m / 2 / 111_200
    for feat in collection["features"]:
        quads = []
        for polygon in feat["geometry"]["coordinates"]:
            for ring in polygon:
                pts = _simplify(ring, tolerance)
                for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
                    half_lon = half_lat / math.cos(math.radians(y0))
                    length = math.hypot(x1 - x0, y1 - y0) or 1e-12
                    nx, ny = -(y1 - y0) / length * half_lon, (x1 - x0) / length * half_lat
                    quads.append([[[round(x, 4), round(y, 4)] for x, y in (
                        (x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny),
                        (x0 - nx, y0 - ny), (x0 + nx, y0 + ny))]])
        feats.append({"type": "Feature",
                      "properties": {**feat["properties"], "fill": colour or BORDER},
                      "geometry": {"type": "MultiPolygon", "coordinates": quads}})
    return {"type": "FeatureCollection", "features": feats}


def circle(lon: float, lat: float, radius_m: float, sides: int = 16) -> list[list[float]]:
    """A ring approximating a circle of radius_m metres around (lon, lat)."""
    dlat = radius_m / 111_200
    dlon = radius_m / (111_200 * math.cos(math.radians(lat)))
    return [[round(lon + dlon * math.cos(a), 5), round(lat + dlat * math.sin(a), 5)]
            for a in (2 * math.pi * k / sides for k in range(sides))]


def site_layer(layer_id: str, data: pd.DataFrame, *, colour, radius_m="radius_m") -> pdk.Layer:
    """Point sites drawn as small circles (polygons, in metres). deck.gl's instanced layers
    (Scatterplot, Text, paths) drew nothing or filled the canvas under software WebGL here,
    and a wall screen's browser may have no GPU either; polygons draw everywhere."""
    radii = data[radius_m] if isinstance(radius_m, str) else [radius_m] * len(data)
    data = data.assign(polygon=[circle(lon, lat, r) for lon, lat, r in
                                zip(data["lon"], data["lat"], radii)])
    data = data.drop(columns=[c for c in ("lat", "lon", radius_m) if isinstance(c, str)
                              and c in data])
    return pdk.Layer(
        "PolygonLayer", data, id=layer_id, pickable=True, get_polygon="polygon",
        get_fill_color=colour, stroked=False, opacity=0.95, auto_highlight=True)


def heat_layer(layer_id: str, data: pd.DataFrame) -> pdk.Layer:
    return pdk.Layer("HeatmapLayer", data, id=layer_id, get_position=["lon", "lat"],
                     radius_pixels=40, intensity=1.2, threshold=0.05, opacity=0.6)


def view_of(collection: dict | None, width_px: int = 1150, height_px: int = 620) -> pdk.ViewState:
    """A view that frames the collection's shapes in a map of about width × height pixels."""
    if not collection or not collection["features"]:
        return pdk.ViewState(**DISTRICT_VIEW)
    points = np.array([pt for feat in collection["features"]
                       for poly in feat["geometry"]["coordinates"] for pt in poly[0]])
    (west, south), (east, north) = points.min(axis=0), points.max(axis=0)
    # Web Mercator: 512 · 2^zoom pixels span 360° of longitude (latitude ≈ 1.15× here)
    fit_x = math.log2(360 * width_px / (512 * max(east - west, 0.003)))
    fit_y = math.log2(360 * height_px / (512 * 1.15 * max(north - south, 0.003)))
    return pdk.ViewState(latitude=(south + north) / 2, longitude=(west + east) / 2,
                         zoom=round(min(15.0, fit_x, fit_y), 2))


class LeanDeck(pdk.Deck):
    """A Deck whose JSON has no indentation and keeps Chinese as UTF-8: pydeck's own indents
    by 2 and escapes every character, which made the 1,409 cells four times larger on the
    wire (2.5 MB instead of 0.6 MB)."""

    def to_json(self):
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"),
                          ensure_ascii=False)


def deck(layers: list, view: pdk.ViewState, tooltip: dict, map_settings: MapSettings) -> pdk.Deck:
    """The deck: no basemap request at all unless a basemap is configured."""
    if map_settings.basemap == "none":
        return LeanDeck(layers=layers, initial_view_state=view, tooltip=tooltip,
                        map_provider=None)
    style = "dark" if map_settings.basemap == "carto" else map_settings.basemap
    return LeanDeck(layers=layers, initial_view_state=view, tooltip=tooltip,
                    map_provider="carto", map_style=style)


def _css(rgb) -> str:
    return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})"


def legend_html(metric: str, values: pd.Series, sites: dict[str, list]) -> str:
    """The map's legend: the metric's colour ramp with its end values, and a swatch per
    kind of site shown (label → RGB)."""
    stops = GOOD_RAMP if metric in HIGHER_IS_BETTER else BAD_RAMP
    lo, hi = ramp_range(values)
    show = fmt.pct if metric in HIGHER_IS_BETTER else (lambda v: f"{v:,.1f}")
    gradient = ", ".join(_css(c) for c in stops)
    parts = [f"<b>{METRICS[metric]}</b> {show(lo)} "
             f"<span style='display:inline-block;width:160px;height:14px;border-radius:3px;"
             f"vertical-align:middle;background:linear-gradient(90deg,{gradient})'></span> "
             f"{show(hi)}（及以上） <span style='display:inline-block;width:14px;height:14px;"
             f"border-radius:3px;vertical-align:middle;background:{_css(NO_DATA)}'></span> 无数据"]
    parts += [f"<span style='display:inline-block;width:14px;height:14px;border-radius:50%;"
              f"vertical-align:middle;background:{_css(rgb)}'></span> {label}"
              for label, rgb in sites.items()]
    return ("<div style='font-size:1.0rem;color:#C9D4E3;line-height:2'>"
            + " &nbsp;·&nbsp; ".join(parts) + "</div>")
