"""The map's shapes: parsed, simplified as one coverage, rounded to what the screen shows,
converted for the basemap; where labels go; the view that frames them."""

import json
import math

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from shapely.geometry import MultiPolygon, Polygon

from components.map_settings import DISTRICT_VIEW, MapSettings
from data_access.geo import parse_shape
from data_access.places import inside_district

# (simplification tolerance in degrees, decimals kept): about 60 m and 11 m for the whole
# district (under one screen pixel: the district view's ~0.0007° per pixel), 5 m and 1 m
# inside a town.
DETAIL = {"district": (0.0006, 4), "town": (0.00005, 5)}


def _shape(polygons: list):
    parts = [Polygon(p[0], p[1:]) for p in polygons]
    geom = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    return geom if geom.is_valid else shapely.make_valid(geom)


def simplified(boundaries: pd.Series, detail: str) -> list:
    """Each boundary text → a simplified shapely geometry, or None when it cannot be drawn.
    Neighbours are simplified together (coverage_simplify) so no gap opens between them."""
    tolerance, _ = DETAIL[detail]
    parsed = [parse_shape(text) for text in boundaries]
    shapes = [_shape(p) if p else None for p in parsed]
    drawable = [s for s in shapes if s is not None and not s.is_empty]
    if not drawable:
        return shapes
    try:
        if not shapely.coverage_is_valid(drawable):
            raise ValueError("not a coverage")
        done = iter(shapely.coverage_simplify(drawable, tolerance))
    except (ValueError, shapely.errors.GEOSException):  # overlapping imports: one by one
        done = iter(shapely.simplify(drawable, tolerance, preserve_topology=True))
    return [next(done) if s is not None and not s.is_empty else None for s in shapes]


def _rings(geom, convert, digits: int) -> list:
    out = []
    for polygon in getattr(geom, "geoms", [geom]):
        if not isinstance(polygon, Polygon) or polygon.is_empty:
            continue
        rings = []
        for ring in [polygon.exterior, *polygon.interiors]:
            arr = np.asarray(ring.coords)
            lon, lat = convert(arr[:, 0], arr[:, 1])
            rings.append(np.round(np.column_stack([lon, lat]), digits).tolist())
        out.append(rings)
    return out


def features(shapes: pd.DataFrame, props: pd.DataFrame, map_settings: MapSettings,
             detail: str = "district") -> tuple[dict, int]:
    """A FeatureCollection of the drawable shapes, with `props` (one row per shape, same
    order) as properties; and how many shapes could not be drawn."""
    feats, dropped = [], 0
    geoms = simplified(shapes["boundary"], detail)
    for geom, prop in zip(geoms, props.to_dict("records")):
        if geom is None:
            dropped += 1
            continue
        rings = _rings(geom, map_settings.convert, DETAIL[detail][1])
        geometry = ({"type": "Polygon", "coordinates": rings[0]} if len(rings) == 1 else
                    {"type": "MultiPolygon", "coordinates": rings})
        feats.append({"type": "Feature", "properties": prop, "geometry": geometry})
    return {"type": "FeatureCollection", "features": feats}, dropped


def features_json(shapes: pd.DataFrame, props: pd.DataFrame, map_settings: MapSettings,
                  detail: str = "district") -> tuple[str, int]:
    """features() as JSON text: the form to cache and to cache on. A string is hashed and
    copied in one step, where the nested coordinate lists of 1,409 cells took Streamlit
    about 0.4 s to hash as a later step's argument on every run."""
    collection, dropped = features(shapes, props, map_settings, detail)
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")), dropped


def _collection(collection: dict | str) -> dict:
    return json.loads(collection) if isinstance(collection, str) else collection


def polygons_of(feature: dict) -> list:
    geometry = feature["geometry"]
    return ([geometry["coordinates"]] if geometry["type"] == "Polygon"
            else geometry["coordinates"])


def polygon_rows(collection: dict | str) -> list[dict]:
    """The features (a FeatureCollection or its JSON text) as rows for a PolygonLayer: the
    properties plus `polygon` (rings without the closing point; one row per part of a
    MultiPolygon). About 80 bytes per shape less than GeoJSON on the wire."""
    collection = _collection(collection)
    return [{**feat["properties"], "polygon": [ring[:-1] for ring in polygon]}
            for feat in collection["features"] for polygon in polygons_of(feat)]


def border_paths(collection: dict | str) -> list[dict]:
    """The outer ring of every polygon of the collection (or its JSON text) as a path (for a
    PathLayer)."""
    collection = _collection(collection)
    return [{"path": polygon[0], "code": feat["properties"].get("code", "")}
            for feat in collection["features"] for polygon in polygons_of(feat)]


def label_points(collection: dict | str, field: str, last: int | None = None,
                 small: tuple[float, str, int, int] | None = None) -> list[dict]:
    """One label per feature at the centre of its largest inscribed circle (always inside
    the shape): text (the property `field`, its `last` characters if given), lon, lat, and
    size in pixels. `small` = (radius in degrees, suffix, small size, size): a shape whose
    inscribed circle is narrower than the radius gets the small size and loses the suffix
    (南门街道 → 南门), so the crowded city centre stays legible."""
    out = []
    for feat in _collection(collection)["features"]:
        largest = max((Polygon(p[0], p[1:]) for p in polygons_of(feat)), key=lambda g: g.area)
        circle = shapely.maximum_inscribed_circle(largest, 0.0005)
        centre = circle.coords[0]
        text = str(feat["properties"][field])
        text = text[-last:] if last else text
        size = None
        if small:
            radius, suffix, small_px, size = small
            if circle.length < radius:
                text, size = text.removesuffix(suffix), small_px
        out.append({"text": text, "lon": round(centre[0], 5), "lat": round(centre[1], 5),
                    **({"size": size} if size else {})})
    return out


def located(map_settings: MapSettings, points: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The points inside the district, converted for the basemap; and how many were not."""
    ok = np.array([bool(pd.notna(lon) and pd.notna(lat) and inside_district(lon, lat))
                   for lon, lat in zip(points["lon"], points["lat"])], dtype=bool)
    kept = points.loc[ok].copy()
    kept["lon"], kept["lat"] = map_settings.convert(kept["lon"].to_numpy(), kept["lat"].to_numpy())
    kept["lon"], kept["lat"] = kept["lon"].round(5), kept["lat"].round(5)
    return kept, len(points) - len(kept)


def view_of(collection: dict | None, width_px: int = 1150, height_px: int = 620) -> pdk.ViewState:
    """A view that frames the collection's shapes in a map of about width × height pixels."""
    if not collection or not collection["features"]:
        return pdk.ViewState(**DISTRICT_VIEW)
    points = np.array([pt for feat in collection["features"] for poly in polygons_of(feat)
                       for pt in poly[0]])
    (west, south), (east, north) = points.min(axis=0), points.max(axis=0)
    # Web Mercator: 512 · 2^zoom pixels span 360° of longitude (latitude ≈ 1.15× here)
    fit_x = math.log2(360 * width_px / (512 * max(east - west, 0.003)))
    fit_y = math.log2(360 * height_px / (512 * 1.15 * max(north - south, 0.003)))
    return pdk.ViewState(latitude=round((south + north) / 2, 5),
                         longitude=round((west + east) / 2, 5),
                         zoom=round(min(15.0, fit_x, fit_y), 2))
