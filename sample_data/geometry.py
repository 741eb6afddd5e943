"""Schematic geometry (示意) for the sample database: towns that tile the district and grid
cells that tile each town, built with shapely.

No openly licensed boundary of Haishu's towns is known, so the sample draws its own from the
real town centres (haishu_towns.json) and the towns' estimated areas:
- the district: the union of a disc per town (its area's size) around its centre, smoothed;
- the towns: a power diagram of the centres (a Voronoi diagram weighted by each town's area,
  so a large mountain town is not squeezed by a small neighbour), clipped to the district;
- borders that wander like rivers and ridges: every line of the tessellation is densified and
  moved by the same smooth displacement field, so neighbours keep sharing their borders;
- the grid cells: a Voronoi diagram of seeds scattered in each town (denser near the town's
  centre, where residents crowd), relaxed twice, clipped to the town.
Everything is noded and polygonized once, so cells tile their town and towns tile the
district without gaps or overlaps, vertex for vertex. A real deployment loads its own
boundaries with the admin tool.
"""

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping

LON0, LAT0 = 121.40, 29.84  # the origin of the local kilometre frame
KM_PER_DEG_LAT = 111.2
KM_PER_DEG_LON = 96.6  # at 29.85° N
DIGITS = 5  # ~1 m: what is stored; the map rounds further for the screen
SEED = 20191014


@dataclass
class Region:
    """A town or a grid cell: its shape in the local km frame and its residents' weight."""

    shape: Polygon | MultiPolygon
    weights: np.ndarray  # one number: area × density, splits the town's residents
    code: str = ""


def to_km(lon, lat):
    return (np.asarray(lon) - LON0) * KM_PER_DEG_LON, (np.asarray(lat) - LAT0) * KM_PER_DEG_LAT


def to_lonlat(x, y):
    return LON0 + np.asarray(x) / KM_PER_DEG_LON, LAT0 + np.asarray(y) / KM_PER_DEG_LAT


def _radius(town: dict) -> float:
    return math.sqrt(town["area_km2"] / math.pi)


def _warp(coords: np.ndarray) -> np.ndarray:
    """A smooth displacement (≤ ~0.4 km, gentle enough that no line crosses another)."""
    x, y = coords[:, 0], coords[:, 1]
    dx = 0.3 * np.sin(x / 1.3 + y / 2.1 + 0.7) + 0.08 * np.sin(x / 0.37 - y / 0.53 + 1.9)
    dy = 0.3 * np.sin(x / 1.7 - y / 1.1 + 2.3) + 0.08 * np.sin(y / 0.41 + x / 0.61 + 0.4)
    return np.column_stack([x + dx, y + dy])


def district_outline(towns: list[dict]) -> Polygon:
    """The district: a disc per town, merged and smoothed, its edge left to wander."""
    discs = [Point(*to_km(t["lon"], t["lat"])).buffer(_radius(t) * 1.1 + 0.3, 32)
             for t in towns]
    # kept inside the district's published extent (haishu_facts.md §3), less the wander
    (west, east), (south, north) = to_km([121.14, 121.565], [29.715, 29.96])
    merged = shapely.union_all(discs).intersection(box(west, south, east, north))
    merged = merged.buffer(2.5, 16).buffer(-2.5, 16)
    if isinstance(merged, MultiPolygon):
        merged = max(merged.geoms, key=lambda g: g.area)
    return Polygon(merged.exterior)


def power_cells(centres: np.ndarray, weights: np.ndarray, frame: Polygon) -> list[Polygon]:
    """The power diagram of the centres inside `frame`: the points where
    |x − p_i|² − w_i is smallest, as an intersection of half-planes (convex cells)."""
    minx, miny, maxx, maxy = frame.bounds
    big = box(minx - 50, miny - 50, maxx + 50, maxy + 50)
    cells = []
    for i, (p, w) in enumerate(zip(centres, weights)):
        cell = big
        for j, (q, v) in enumerate(zip(centres, weights)):
            if i == j:
                continue
            # 2 x·(q − p) ≤ |q|² − |p|² − v + w: a half-plane, cut as a large polygon
            normal = q - p
            c = (q @ q - p @ p - v + w) / 2
            d = normal / np.hypot(*normal)
            foot = d * c / np.hypot(*normal)
            along = np.array([-d[1], d[0]]) * 200
            half = Polygon([foot + along, foot - along, foot - along - d * 200,
                            foot + along - d * 200])
            cell = cell.intersection(half)
        cells.append(cell)
    return cells


def _pieces(geometry) -> list[Polygon]:
    if geometry.is_empty:
        return []
    if isinstance(geometry, Polygon):
        return [geometry]
    return [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon)]


def faces_of(parts: list, lines: list, densify: float | None = None, warp: bool = False):
    """Node every line once, optionally densify and warp it, and polygonize: faces that share
    their edges exactly. Returns (faces, owner index per face: the part holding the face)."""
    noded = shapely.union_all(lines)
    if densify:
        noded = shapely.segmentize(noded, densify)
    if warp:
        noded = shapely.transform(noded, _warp)
    faces = list(shapely.polygonize(list(getattr(noded, "geoms", [noded]))).geoms)
    probes = [shapely.point_on_surface(f) for f in faces]
    if warp:  # find the owner in the unwarped parts: undo the warp by a nearest search
        probes = [Point(_unwarp(np.array(p.coords[0]))) for p in probes]
    tree = shapely.STRtree(parts)
    owners = []
    for probe in probes:
        hits = [int(k) for k in tree.query(probe, predicate="intersects")]
        owners.append(hits[0] if hits else -1)
    return faces, owners


def _unwarp(target: np.ndarray) -> np.ndarray:
    """The point that _warp moves onto `target` (fixed-point iteration; the warp is gentle)."""
    guess = target.copy()
    for _ in range(60):
        guess = guess - (_warp(guess[None, :])[0] - target)
    return guess


def partition_towns(towns: list[dict]) -> dict[str, Region]:
    """Town code → its Region. Each town: dict with code, lat, lon, area_km2, density."""
    district = district_outline(towns)
    centres = np.array([to_km(t["lon"], t["lat"]) for t in towns], dtype=float)
    target = np.array([t["area_km2"] for t in towns]) * district.area / sum(
        t["area_km2"] for t in towns)
    weights = target / math.pi
    for _ in range(12):  # move each town's weight until its area is near its estimate
        cells = [c.intersection(district) for c in power_cells(centres, weights, district)]
        areas = np.array([c.area for c in cells])
        weights = weights + 0.5 * (target - areas) / math.pi
    lines = [district.exterior] + [c.boundary for c in cells if not c.is_empty]
    faces, owners = faces_of(cells, lines, densify=0.3, warp=True)
    regions = {}
    for k, t in enumerate(towns):
        shape = shapely.coverage_union_all([f for f, o in zip(faces, owners) if o == k])
        regions[t["code"]] = Region(shape, np.array([t["area_km2"]]), t["code"])
    return regions


def _density(town: dict, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    cx, cy = to_km(town["lon"], town["lat"])
    return 1.0 + town["density"] * np.exp(-2.5 * np.hypot(x - cx, y - cy) / _radius(town))


def split_town(town: dict, region: Region, n: int) -> list[Region]:
    """Split a town into n grid cells: Voronoi of seeds drawn denser near the centre."""
    rng = np.random.default_rng(SEED + int(town["code"][:9]))
    shape = region.shape
    minx, miny, maxx, maxy = shape.bounds
    seeds = []
    shapely.prepare(shape)
    top = 1.0 + town["density"]
    while len(seeds) < n:
        x, y = rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)
        keep = (rng.uniform(0, top, 4 * n) < _density(town, x, y)) & shapely.contains_xy(
            shape, x, y)
        seeds += list(zip(x[keep], y[keep]))
    seeds = np.array(seeds[:n])
    for _ in range(2):  # Lloyd relaxation: fewer slivers, still denser in the centre
        cells = _voronoi(seeds, shape)
        seeds = np.array([c.centroid.coords[0] if c.contains(c.centroid) else s
                          for c, s in zip(cells, seeds)])
    return [Region(c, np.array([c.area * float(_density(town, *np.array(c.centroid.coords[0])))]))
            for c in _voronoi(seeds, shape)]


def _voronoi(seeds: np.ndarray, shape) -> list:
    """Voronoi cells of the seeds (in seed order), clipped to `shape`."""
    if len(seeds) == 1:
        return [shape]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=shape, ordered=True)
    return [c.intersection(shape) for c in cells.geoms]


def tessellate(towns: list[dict], counts: list[int]) -> tuple[dict, dict]:
    """Towns and their cells as one coverage: (town code → Region, town code → [Region])."""
    regions = partition_towns(towns)
    rough = {t["code"]: split_town(t, regions[t["code"]], n) for t, n in zip(towns, counts)}
    parts = [c.shape for t in towns for c in rough[t["code"]]]
    lines = [p.boundary for p in parts]
    faces, owners = faces_of(parts, lines)
    by_part: dict[int, list] = {}
    for face, owner in zip(faces, owners):
        by_part.setdefault(owner, []).append(face)
    cells, k = {}, 0
    for t in towns:
        cells[t["code"]] = []
        for cell in rough[t["code"]]:
            shape = shapely.coverage_union_all(by_part.get(k, [])) if k in by_part else cell.shape
            cells[t["code"]].append(Region(shape, cell.weights))
            k += 1
        regions[t["code"]] = Region(shapely.coverage_union_all(
            [c.shape for c in cells[t["code"]]]), regions[t["code"]].weights, t["code"])
    return regions, cells


def outline(region: Region) -> dict:
    """The region as a GeoJSON Polygon or MultiPolygon in WGS-84, rounded to ~1 m."""
    lonlat = shapely.transform(region.shape, lambda xy: np.column_stack(to_lonlat(
        xy[:, 0], xy[:, 1])))
    geo = mapping(shapely.set_precision(lonlat, 10 ** -DIGITS, mode="pointwise"))
    return {"type": geo["type"], "coordinates": _lists(geo["coordinates"])}


def _lists(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], DIGITS), round(coords[1], DIGITS)]
    return [_lists(c) for c in coords]


def label_point(region: Region) -> tuple[float, float]:
    """(lat, lon) of a point well inside the region (its pole of inaccessibility)."""
    shape = region.shape
    if isinstance(shape, MultiPolygon):
        shape = max(shape.geoms, key=lambda g: g.area)
    x, y = shapely.maximum_inscribed_circle(shape, 0.01).coords[0]
    lon, lat = to_lonlat(x, y)
    return round(float(lat), 6), round(float(lon), 6)


def random_point(region: Region, rng) -> tuple[float, float]:
    """(lat, lon) of a random point inside the region, drawn with `rng` (random.Random)."""
    minx, miny, maxx, maxy = region.shape.bounds
    for _ in range(1000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if region.shape.contains(Point(x, y)):
            break
    else:
        x, y = shapely.point_on_surface(region.shape).coords[0]
    lon, lat = to_lonlat(x, y)
    return round(float(lat), 6), round(float(lon), 6)
