"""Schematic geometry (示意) for the sample database: towns and grid cells on a raster.

No openly licensed boundary of Haishu's towns exists, so the sample draws its own: each
raster pixel goes to the town whose centre is nearest relative to the town's size (a
weighted Voronoi cut off at the district's edge), each town is split into its grid cells
by recursive weighted bisection, and outlines are traced from the pixels. A real
deployment loads its own boundaries with the admin tool.
"""

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

RES = 0.001  # degrees per raster pixel (~100 m)
LON0, LAT0 = 121.13, 29.72
WIDTH, HEIGHT = 430, 235
KM_PER_DEG_LAT = 111.2
KM_PER_DEG_LON = 96.6  # at 29.85° N
REACH = 1.3  # how far past its nominal radius a town may spread where nobody else claims


@dataclass
class Region:
    """A set of raster pixels with a density weight each."""

    cols: np.ndarray
    rows: np.ndarray
    weights: np.ndarray

    def __len__(self):
        return len(self.cols)

    def subset(self, mask: np.ndarray) -> "Region":
        return Region(self.cols[mask], self.rows[mask], self.weights[mask])


def partition_towns(towns: list[dict]) -> dict[str, Region]:
    """Town code → its pixels. Each town: dict with code, lat, lon, area_km2, density."""
    cols, rows = np.meshgrid(np.arange(WIDTH), np.arange(HEIGHT))
    lon = LON0 + (cols + 0.5) * RES
    lat = LAT0 + (rows + 0.5) * RES
    scores = []
    dists = []
    for t in towns:
        d = np.hypot((lon - t["lon"]) * KM_PER_DEG_LON, (lat - t["lat"]) * KM_PER_DEG_LAT)
        radius = math.sqrt(t["area_km2"] / math.pi)
        scores.append(d / radius)
        dists.append(d / radius)
    scores = np.stack(scores)
    owner = scores.argmin(axis=0)
    inside = scores.min(axis=0) <= REACH
    regions = {}
    for k, t in enumerate(towns):
        mask = inside & (owner == k)
        # residents crowd towards the town centre
        w = 1.0 + t["density"] * np.exp(-2.5 * dists[k][mask])
        regions[t["code"]] = Region(cols[mask], rows[mask], w)
    return regions


def bisect(region: Region, n: int) -> list[Region]:
    """Split `region` into n contiguous parts of about equal weight (n ≤ its pixels)."""
    if n <= 1:
        return [region]
    if len(region) < n:
        raise ValueError(f"{len(region)} pixels cannot make {n} cells")
    wide = np.ptp(region.cols) * KM_PER_DEG_LON >= np.ptp(region.rows) * KM_PER_DEG_LAT
    key = region.cols if wide else region.rows
    order = np.lexsort((region.rows if wide else region.cols, key))
    left_n = n // 2
    cum = np.cumsum(region.weights[order])
    cut = int(np.searchsorted(cum, cum[-1] * left_n / n))
    cut = min(max(cut, left_n), len(region) - (n - left_n))  # every part keeps a pixel per cell
    mask = np.zeros(len(region), dtype=bool)
    mask[order[:cut]] = True
    return bisect(region.subset(mask), left_n) + bisect(region.subset(~mask), n - left_n)


def _to_lonlat(col: int, row: int) -> list[float]:
    return [round(LON0 + col * RES, 5), round(LAT0 + row * RES, 5)]


def _signed_area(ring: list[tuple[int, int]]) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]))


def _drop_collinear(ring: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    n = len(ring)
    for i, p in enumerate(ring):
        a, b = ring[i - 1], ring[(i + 1) % n]
        if (p[0] - a[0]) * (b[1] - p[1]) != (p[1] - a[1]) * (b[0] - p[0]):
            out.append(p)
    return out


def _contains(ring: list[tuple[int, int]], x: float, y: float) -> bool:
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def outline(region: Region) -> dict:
    """The GeoJSON Polygon or MultiPolygon that bounds the region's pixels."""
    edges = set()
    for c, r in zip(region.cols.tolist(), region.rows.tolist()):
        corners = [(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)]
        for a, b in zip(corners, corners[1:] + corners[:1]):
            if (b, a) in edges:
                edges.remove((b, a))
            else:
                edges.add((a, b))
    nexts = defaultdict(list)
    for a, b in edges:
        nexts[a].append(b)
    rings = []
    while nexts:
        start = next(iter(nexts))
        ring, point = [], start
        while True:
            ring.append(point)
            following = nexts[point].pop()
            if not nexts[point]:
                del nexts[point]
            point = following
            if point == start:
                break
        rings.append(_drop_collinear(ring))
    outers = [r for r in rings if _signed_area(r) > 0]
    holes = [r for r in rings if _signed_area(r) < 0]
    polygons = [[outer] for outer in outers]
    for hole in holes:
        x, y = hole[0][0] + 0.5, hole[0][1] + 0.5
        host = next((p for p in polygons if _contains(p[0], x, y)), polygons[0])
        host.append(hole)
    coords = [[[_to_lonlat(*pt) for pt in ring + ring[:1]] for ring in poly] for poly in polygons]
    if len(coords) == 1:
        return {"type": "Polygon", "coordinates": coords[0]}
    return {"type": "MultiPolygon", "coordinates": coords}


def label_point(region: Region) -> tuple[float, float]:
    """(lat, lon) of the pixel centre nearest the region's weighted centre: inside the region."""
    cx = np.average(region.cols, weights=region.weights)
    cy = np.average(region.rows, weights=region.weights)
    k = int(np.argmin((region.cols - cx) ** 2 + (region.rows - cy) ** 2))
    return pixel_centre(int(region.cols[k]), int(region.rows[k]))


def pixel_centre(col: int, row: int, dx: float = 0.5, dy: float = 0.5) -> tuple[float, float]:
    """(lat, lon) of a point inside a pixel, at fractions dx, dy of its width and height."""
    return round(LAT0 + (row + dy) * RES, 6), round(LON0 + (col + dx) * RES, 6)
