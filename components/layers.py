"""The map's public builders, for pages other than the map (the wall): settings, area
features coloured by a metric, borders as filled bands, points, the lean deck.

The map itself is split by what each part does: components.map_settings (basemap, the URL's
layer codes), map_geometry (shapes, simplification, labels, view), map_colours (ramps,
palette, legend), map_deck (rows and layers, LeanDeck).
"""

import math

import numpy as np
import pandas as pd

from components import map_colours as mc
from components.map_deck import (  # noqa: F401  (re-exported)
    TOOLTIP,
    LeanDeck,
    area_layer,
    area_props,
    deck,
    heat_layer,
    site_rows,
)
from components.map_geometry import features, located, polygons_of, view_of  # noqa: F401
from components.map_settings import DISTRICT_VIEW, MapSettings, settings  # noqa: F401
from data_access.geo import HIGHER_IS_BETTER, METRICS

BORDER = mc.BORDER


def area_features(shapes: pd.DataFrame, metrics: pd.DataFrame, metric: str,
                  map_settings: MapSettings) -> tuple[dict, int]:
    """The areas as features coloured by `metric`; and how many could not be drawn."""
    props = area_props(shapes, metrics, metric, METRICS[metric], metric in HIGHER_IS_BETTER)
    return features(shapes, props, map_settings)


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
        for polygon in polygons_of(feat):
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
