"""Map data: shapes that can or cannot be drawn, area metrics, coordinate systems."""

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from components import crs, layers, map_geometry, map_settings
from data_access import geo, summaries
from data_access.filters import Filters

MARCH = Filters.between(date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 4, 10))
SQUARE = [[121.2, 29.8], [121.21, 29.8], [121.21, 29.81], [121.2, 29.81], [121.2, 29.8]]


@pytest.mark.parametrize("text", [
    None, "", "{broken", '{"type": "Point", "coordinates": [121.2, 29.8]}',
    '{"type": "Polygon", "coordinates": [[[121.2, 29.8], [121.3, 29.8]]]}',
    json.dumps({"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.1, 30.0],
                                                    [120.1, 30.1], [120.0, 30.0]]]}),
    '{"type": "Polygon"}',
])
def test_shapes_that_cannot_be_drawn_parse_to_none(text):
    assert geo.parse_shape(text) is None


def test_polygon_and_multipolygon_parse_to_a_list_of_polygons():
    assert geo.parse_shape(json.dumps({"type": "Polygon", "coordinates": [SQUARE]})) == [[SQUARE]]
    multi = {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]}
    assert len(geo.parse_shape(json.dumps(multi))) == 2


def test_area_metrics_per_cell_with_known_answers(tiny):
    cell = "330203106-001"
    tiny.add_ticket("A", events=[("resolved", "2026-03-04 10:00"), ("evaluated", "2026-03-05 09:00")],
                    satisfaction=5)
    tiny.add_ticket("B", reported="2026-01-02 09:00")  # open and overdue, reported before March
    tiny.add_officer("O1").add_target("T1").assign("O1", "T1")
    tiny.add_visit("V1", "O1", "T1", "2026-03-03 10:00")
    with tiny.connect() as conn:
        got = geo.fetch_area_metrics(conn, MARCH, "cell").set_index("code")
    row = got.loc[cell]
    assert (row["open"], row["overdue"], row["collected"]) == (1, 1, 1)
    assert row["tickets_per_1k"] == pytest.approx(1 / 500 * 1000)
    assert row["coverage_rate"] == 1.0 and row["satisfaction_rate"] == 1.0
    other = got.loc["330203005-001"]
    assert other["collected"] == 0 and np.isnan(other["coverage_rate"])


@pytest.mark.parametrize("refreshed", [False, True])
def test_both_layers_metrics_in_one_call_equal_each_asked_alone(tiny, refreshed):
    # 地图 asks for the towns' and the grid cells' metrics at once: one correction of the
    # rollup for both groupings after a refresh; the figures must be each area's own
    tiny.add_ticket("A", events=[("resolved", "2026-03-04 10:00"), ("evaluated", "2026-03-05 09:00")],
                    satisfaction=5)
    tiny.add_ticket("B", reported="2026-01-02 09:00")
    tiny.add_ticket("C", town="鼓楼街道", reported="2026-03-09 09:00",
                    events=[("resolved", "2026-04-20 10:00")])  # resolved after as_of
    if refreshed:
        with tiny.writer.begin() as conn:
            summaries.refresh(conn)
    with tiny.connect() as conn:
        both = geo.fetch_area_metrics_each(conn, MARCH, ("town", "cell"))
        for area in ("town", "cell"):
            pd.testing.assert_frame_equal(both[area], geo.fetch_area_metrics(conn, MARCH, area))
    assert list(both) == ["town", "cell"]
    towns = both["town"].set_index("code")
    assert towns["collected"].sum() == 2 and towns["open"].sum() == 2


def test_gcj02_round_trip_and_offset_near_ningbo():
    lon, lat = 121.55, 29.87
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    offset_m = np.hypot((glon - lon) * 96_600, (glat - lat) * 111_200)
    assert 300 < offset_m < 700  # about 450 m around Ningbo
    back = crs.gcj02_to_wgs84(glon, glat)
    assert abs(back[0] - lon) < 1e-7 and abs(back[1] - lat) < 1e-7


def test_map_settings_default_to_no_basemap_and_refuse_unknown_systems(monkeypatch):
    assert layers.settings({}).basemap == "none"
    carto = layers.settings({"COCKPIT_BASEMAP": "carto"})
    assert carto.basemap_crs == crs.WGS84
    intranet = layers.settings({"COCKPIT_BASEMAP": "http://tiles.intranet/style.json"})
    assert intranet.basemap_crs == crs.GCJ02
    with pytest.raises(ValueError, match="未知的坐标系"):
        layers.settings({"COCKPIT_STORED_CRS": "BD-09"})


def test_features_convert_coordinates_once_for_the_basemap():
    import pandas as pd

    shapes = pd.DataFrame({"boundary": [json.dumps({"type": "Polygon", "coordinates": [SQUARE]})]})
    props = pd.DataFrame({"code": ["x"]})
    same, dropped = map_geometry.features(shapes, props, map_settings.MapSettings(), "town")
    shifted, _ = map_geometry.features(shapes, props, map_settings.MapSettings(
        basemap_crs=crs.GCJ02), "town")
    assert dropped == 0
    first = same["features"][0]["geometry"]["coordinates"][0][0]
    moved = shifted["features"][0]["geometry"]["coordinates"][0][0]
    assert first == [121.2, 29.8] and moved != first


def test_deck_json_is_compact():
    deck = layers.deck([], layers.view_of(None), {}, layers.settings({}))
    assert "\n" not in deck.to_json()


def test_no_points_at_all_is_not_an_error():
    import pandas as pd

    empty = pd.DataFrame({"code": [], "lat": [], "lon": []})
    kept, dropped = layers.located(layers.settings({}), empty)
    assert kept.empty and list(kept.columns) == ["code", "lat", "lon"] and dropped == 0


def test_neighbours_are_simplified_together_and_keep_sharing_their_border():
    import pandas as pd
    import shapely
    from shapely.geometry import shape

    # two cells sharing a zig-zag border: simplified one by one they would part
    zig = [[121.2 + 0.0002 * (k % 2), 29.8 + 0.001 * k] for k in range(11)]
    left = [[121.19, 29.8], *zig, [121.19, 29.81], [121.19, 29.8]]
    right = [[121.21, 29.8], [121.21, 29.81], *zig[::-1], [121.21, 29.8]]
    shapes = pd.DataFrame({"boundary": [json.dumps({"type": "Polygon", "coordinates": [r]})
                                        for r in (left, right)]})
    got, _ = map_geometry.features(shapes, pd.DataFrame({"code": ["a", "b"]}),
                                   map_settings.MapSettings(), "district")
    parts = [shape(f["geometry"]) for f in got["features"]]
    assert shapely.coverage_is_valid(parts)
    assert sum(len(p.exterior.coords) for p in parts) < len(left) + len(right)


def test_sample_cells_tile_their_towns_and_towns_tile_the_district():
    import shapely

    from sample_data import geometry
    from sample_data import reference as ref
    from sample_data.generate import SEED_FIGURES, _largest_remainder

    towns = ref.load_towns()
    counts = _largest_remainder([t["population"] * (1.6 if t["mountain"] else 1.0)
                                 for t in towns], SEED_FIGURES["grid_cells"])
    regions, cells = geometry.tessellate(towns, counts)
    town_shapes = [regions[t["code"]].shape for t in towns]
    assert shapely.coverage_is_valid(town_shapes)
    assert all(len(cells[t["code"]]) == n for t, n in zip(towns, counts))
    all_cells = [c.shape for t in towns for c in cells[t["code"]]]
    assert shapely.coverage_is_valid(all_cells)
    for t in towns:
        union = shapely.union_all([c.shape for c in cells[t["code"]]])
        assert union.symmetric_difference(regions[t["code"]].shape).area < 1e-6
