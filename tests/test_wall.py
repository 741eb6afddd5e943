"""The wall screen in AppTest: reached from any page, no widgets, settings from the URL,
stale sources marked, empty periods drawn as 本期无数据. (Pixels: tests/e2e.)"""

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components import wall
from data_access import db, freshness
from tests.builders import TestDatabase
from tests.conftest import fresh_database_url

ROOT = "../"


def open_wall(script: str = "app.py", **query) -> AppTest:
    at = AppTest.from_file(ROOT + "app.py", default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    if script != "app.py":
        at.switch_page(script)
    return at.run()


def html_of(at: AppTest) -> str:
    return " ".join(e.proto.body for e in at.get("html"))


@pytest.mark.parametrize("script", ["app.py", "pages/2_tickets.py", wall.SCRIPT])
def test_wall_1_on_any_page_shows_the_wall_without_navigation_or_widgets(app_db, script):
    at = open_wall(script, wall="1", town="章水镇")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.selectbox and not at.get("page_link") and not at.get("iframe")
    shown = html_of(at)
    assert "wall-heads" in shown and "wall-clock" in shown
    assert "章水镇" in shown
    assert len(at.get("deck_gl_json_chart")) == 1  # the first screen has the map


def test_the_wall_keeps_its_settings_in_the_url_for_a_reboot(app_db):
    at = open_wall("pages/3_visits.py", wall="1", every="15", views="towns,main",
                   period="本月", evil="<script>")
    assert at.query_params["every"] == "15"
    assert at.query_params["views"] == "towns,main"
    assert at.query_params["period"] == "本月"
    assert "evil" not in at.query_params
    assert "镇街对比" in html_of(at)  # the playlist starts with its first screen


def test_url_settings_are_validated_with_sane_defaults():
    assert wall.WallSettings.from_query({}) == wall.WallSettings(60, ("main", "towns"))
    assert wall.WallSettings.from_query({"every": "abc", "views": "x,y"}) == \
        wall.WallSettings(60, ("main", "towns"))
    assert wall.WallSettings.from_query({"every": "1", "views": "towns,towns"}) == \
        wall.WallSettings(wall.MIN_EVERY, ("towns",))
    assert wall.WallSettings.from_query({"every": "999999"}).every == wall.MAX_EVERY


def test_the_wall_shows_the_data_time_not_the_clock(app_db):
    # the session's sample was built at SAMPLE_NOW (2026-11-25 16:00)
    assert "数据截至 2026-11-25 16:00" in html_of(open_wall(wall.SCRIPT))


def test_a_source_older_than_the_limit_is_marked_stale(app_db, monkeypatch):
    monkeypatch.setenv(freshness.ENV_VAR, "1")  # the sample is days old: everything stale
    shown = html_of(open_wall(wall.SCRIPT))
    assert shown.count("wall-stale") >= 5
    assert "⚠ 已" in shown and "天未更新" in shown


def test_fresh_sources_carry_no_stale_mark(app_db, monkeypatch):
    monkeypatch.setenv(freshness.ENV_VAR, str(24 * 365 * 10))
    assert "wall-stale" not in html_of(open_wall(wall.SCRIPT))


@pytest.fixture
def empty_app(tmp_path, monkeypatch):
    """The app on a cockpit database with towns and cells but no tickets or visits, opened
    as the built-in sample is (without a login)."""
    url, drop = fresh_database_url("sqlite", tmp_path)
    database = TestDatabase(url)
    monkeypatch.setenv(db.ENV_VAR, url)
    monkeypatch.setattr(db, "SAMPLE_DB", tmp_path / "cockpit.db")
    yield database
    database.close()
    drop()


def test_an_empty_period_is_drawn_as_no_data(empty_app):
    at = open_wall(wall.SCRIPT)
    assert not at.exception, [e.value for e in at.exception]
    shown = html_of(at)
    assert shown.count(wall.NO_DATA) >= 4  # headline, ranking, week, coverage
    assert "0.000000" not in shown and "+0" not in shown
    assert "数据时间未知" in shown  # no build time, no import: said, not invented


def test_panels_escape_names_from_the_database():
    towns = pd.DataFrame({"town": ["<img src=x onerror=alert(1)>"], "collected": [3],
                          "resolved": [2], "resolution_rate": [2 / 3], "overdue": [1],
                          "visits": [4], "coverage_rate": [0.5]})
    shown = wall.ranking(towns, "化解率") + wall.town_table(towns, {
        k: k for k in ["collected", "resolved", "resolution_rate", "overdue", "visits",
                       "coverage_rate"]})
    assert "<img" not in shown and "&lt;img" in shown


def test_ranking_leaves_out_towns_without_tickets_and_says_so():
    towns = pd.DataFrame({"town": ["甲", "乙", "丙"], "collected": [10, 0, 5],
                          "resolution_rate": [0.9, float("nan"), 0.8]})
    shown = wall.ranking(towns, "化解率", n=1)
    assert shown.index("甲") < shown.index("丙")
    assert "乙" not in shown and f"另有 1 个镇(乡)街道{wall.NO_DATA}" in shown


def test_week_against_last_says_level_instead_of_plus_zero():
    same = {"collected": 5, "resolved": 5}
    shown = wall.week_against_last(same, same, {"collected": "收集", "resolved": "解决"},
                                   ["collected", "resolved"], "本周（未完）")
    assert "持平" in shown and "+0" not in shown


def test_the_desk_pages_show_the_same_data_time(app_db):
    at = open_wall("app.py")
    notes = " ".join(m.value for m in at.markdown if "cockpit-note" in m.value)
    assert "数据截至 2026-11-25 16:00" in notes


def test_the_towns_screen_lists_the_most_overdue_towns_or_says_there_are_none():
    towns = pd.DataFrame({"town": ["甲", "乙", "丙"], "overdue": [2, 0, 7]})
    shown = wall.overdue_ranking(towns, "超期未办结")
    assert shown.index("丙") < shown.index("甲") and "乙" not in shown
    assert "无超期未办结" in wall.overdue_ranking(towns.assign(overdue=0), "超期未办结")


def test_town_names_on_the_wall_map_do_not_overlap_at_1920(app_db):
    import json

    import pydeck as pdk

    from components import wall_map

    at = open_wall(wall.SCRIPT)
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    names = next(layer for layer in spec["layers"] if layer["id"] == "wall-town-names")
    view = pdk.ViewState(**{k: spec["initialViewState"][k]
                            for k in ("latitude", "longitude", "zoom")})
    assert {"西门", "鼓楼", "月湖", "江厦"} <= {row["text"] for row in names["data"]}
    # the deck is drawn at its 1920 size (CSS zooms it with the screen): pixels as computed
    assert wall_map.overlaps(names["data"], view, names["getSize"]) == []


def test_spreading_names_moves_only_crowded_ones_and_only_a_little():
    import pydeck as pdk

    from components import wall_map

    view = pdk.ViewState(latitude=29.87, longitude=121.55, zoom=12)
    crowded = [{"text": "西门", "lon": 121.55, "lat": 29.87},
               {"text": "鼓楼", "lon": 121.5505, "lat": 29.8701},
               {"text": "章水镇", "lon": 121.40, "lat": 29.80}]
    assert wall_map.overlaps(crowded, view, 19) == [("西门", "鼓楼")]
    spread = wall_map.spread(crowded, view, 19)
    assert wall_map.overlaps(spread, view, 19) == []
    assert spread[2] == crowded[2]  # alone: not moved
    px, _ = wall_map._pixels_per_degree(view)
    assert all(abs(a["lon"] - b["lon"]) * px < 50 for a, b in zip(spread, crowded))
