"""Hostile rows: a shared database holding what other systems wrote (NULLs, codes outside the
glossary, HTML and 10,000-character names, empty, malformed, huge and far-away geometry,
events without tickets, duplicated and future events, negative counts) never breaks a page,
is left out of the figures it would distort, and is listed on the 数据质量 page. On SQLite
and PostgreSQL, with tables created without NOT NULL, foreign keys or unique constraints."""

import time
from datetime import date, datetime

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from components import cached, frame
from components.frame import PAGES
from data_access import coverage, data_quality, figures, geo, ticket_list
from data_access import glossary as g
from data_access import schema as s
from data_access.db import ENV_VAR
from data_access.filters import Filters
from tests.conftest import BACKENDS, fresh_database_url
from tests.hostile import AS_OF, EMPTY_POLYGON, HOSTILE, HostileDatabase

ROOT = "../"
NOVEMBER = Filters.between(date(2026, 11, 1), date(2026, 11, 25), AS_OF)


@pytest.fixture(scope="module", params=BACKENDS)
def hostile(request, tmp_path_factory):
    url, drop = fresh_database_url(request.param, tmp_path_factory.mktemp("hostile"))
    db = HostileDatabase(url).add_clean_base().add_hostile_rows()
    yield db
    db.close()
    drop()


@pytest.fixture
def hostile_app(hostile, monkeypatch):
    """The app reads the hostile database, with empty caches and the tests' now."""
    def clear():
        st.cache_resource.clear()
        cached.forget()
        cached._outage_since.clear()

    clear()
    monkeypatch.setenv(ENV_VAR, hostile.url)
    monkeypatch.setattr(frame, "data_moment", lambda: AS_OF)
    yield hostile
    clear()


def logged_in(at: AppTest) -> AppTest:
    """A district user's session (the hostile database is not the built-in sample, so the
    cockpit asks for a login)."""
    from components import auth

    now = time.time()
    at.session_state[auth.STATE] = {"user": auth.User(name="数据管理员", role="district"),
                                    "since": now, "seen": now}
    return at


def run(script: str) -> AppTest:
    at = logged_in(AppTest.from_file(ROOT + "app.py", default_timeout=120))
    if script != "app.py":
        at.switch_page(script)
    return at.run()


def assert_page_whole(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert not [b for b in at.button if b.label == "登录"], "the page itself, not the login"
    # a failing query would be served as an outage: no banner, no "never computed" note
    assert not [w.value for w in at.warning if "不是最新数据" in w.value]
    assert not [i.value for i in at.info if i.value == cached.NOT_COMPUTED]


@pytest.mark.parametrize("script", [p.script for p in PAGES] + ["pages/5_wall.py"])
def test_every_page_runs_on_a_hostile_database(hostile_app, script):
    assert_page_whole(run(script))


def test_the_map_leaves_undrawable_shapes_out_and_says_how_many(hostile_app):
    at = run("pages/1_map.py")
    assert_page_whole(at)
    deck = at.get("deck_gl_json_chart")[0].proto.json
    assert "<img" not in deck, "names reach the map's tooltips escaped"
    assert HOSTILE["cell_empty_polygon"] not in deck and HOSTILE["cell_far_away"] not in deck


# --- the figures leave out what would distort them -----------------------------------------

def test_ticket_figures_ignore_future_duplicate_and_orphan_events(hostile):
    with hostile.connect() as conn:
        got = figures.headline(conn, NOVEMBER, ["collected", "resolved", "resolved_in_period"])
    # collected: T1, T-DUP, T-ORDER, T-CODES, T-NULLS, T-HTML; not T-FUTURE (reported after
    # as_of), not T-NOTIME (no report time). Resolved: T1 and T-DUP once (its 办结 twice);
    # not T-ORDER (its 办结 lies after as_of); T-GHOST's 办结 has no ticket.
    assert got == {"collected": 6, "resolved": 2, "resolved_in_period": 2}


def test_the_ticket_list_has_no_ticket_for_an_orphan_event_nor_a_future_one(hostile):
    with hostile.connect() as conn:
        ids = set(ticket_list.fetch_tickets(conn, NOVEMBER)["id"])
    assert HOSTILE["orphan_event_ticket"] not in ids and HOSTILE["ticket_future"] not in ids
    with hostile.connect() as conn:
        listed = ticket_list.fetch_tickets(conn, NOVEMBER)["id"].tolist()
    assert listed.count(HOSTILE["ticket_dup_resolved"]) == 1


def test_negative_counts_are_not_summed(hostile):
    with hostile.connect() as conn:
        got = figures.headline(conn, NOVEMBER, [
            "clinic_visits", "hotline_services", "agent_cases", "lifts_installed",
            "open_space_raised", "open_space_solved", "red_helper_solved"])
        points = geo.fetch_clinic_points(conn, NOVEMBER).set_index("code")["person_visits"]
        officers = coverage.fetch_officer_coverage(conn, NOVEMBER).set_index("officer_id")
    # CP1 served 30; CP-NEG's -500 and the -20, -4, -3, -3, -2, -6 rows are left out
    assert got == {"clinic_visits": 30, "hotline_services": 0, "agent_cases": 0,
                   "lifts_installed": 0, "open_space_raised": 0, "open_space_solved": 0,
                   "red_helper_solved": 0}
    assert points[HOSTILE["clinic_negative"]] == 0 and points["CP1"] == 30
    assert officers.at["O1", "problems_raised"] == 2  # V1's 2; V-NEG's -5 left out
    assert officers.at["O1", "visits"] == 3  # V-FUTURE lies after as_of


def test_visits_after_as_of_are_not_counted(hostile):
    with hostile.connect() as conn:
        assert figures.headline(conn, NOVEMBER, ["visits"]) == {"visits": 3}


# --- names and codes ----------------------------------------------------------------------

def test_unknown_and_missing_codes_show_as_unknown():
    assert g.label(g.LEVELS, "town_cadre") == "镇(乡)街道干部"
    assert g.label(g.LEVELS, "martian") == "未知（martian）"
    assert g.label(g.LEVELS, None) == g.label(g.LEVELS, float("nan")) == "未知"
    assert g.label(g.LEVELS, "  ") == "未知"
    assert g.label(g.STAGES, "x" * 10_000) == "未知（" + "x" * g.UNKNOWN_CODE_SHOWN + "…）"


def test_places_without_a_name_are_named_by_their_code(hostile):
    from data_access import places

    with hostile.connect() as conn:
        towns = places.list_towns(conn).set_index("town_code")["town"]
        cells = geo.fetch_shapes(conn, "cell").set_index("code")["name"]
    assert towns[HOSTILE["town_null_name"]] == f"未知（{HOSTILE['town_null_name']}）"
    assert cells[HOSTILE["cell_null_name"]] == f"未知（{HOSTILE['cell_null_name']}）"


def test_an_empty_polygon_is_not_drawable():
    assert geo.parse_shape(EMPTY_POLYGON) is None
    assert geo.parse_shape('{"type":"MultiPolygon","coordinates":[[]]}') is None
    assert data_quality.boundary_problem(EMPTY_POLYGON) == "边界为空"


# --- the 数据质量 page lists each case ----------------------------------------------------

EXPECTED = [  # (table, problem, a key that must be listed)
    ("towns", "必填项为空", HOSTILE["town_null_name"]),
    ("towns", "含标记字符（< >）", HOSTILE["town_html_name"]),
    ("towns", "边界为空", HOSTILE["town_null_name"]),
    ("towns", "边界格式错误", HOSTILE["town_html_name"]),
    ("grid_cells", "必填项为空", HOSTILE["cell_null_name"]),
    ("grid_cells", "必填项为空", HOSTILE["cell_null_town"]),
    ("grid_cells", "边界为空", HOSTILE["cell_empty_polygon"]),
    ("grid_cells", "边界格式错误", HOSTILE["cell_malformed"]),
    ("grid_cells", "边界不在区内", HOSTILE["cell_far_away"]),
    ("grid_cells", "边界顶点过多（>50,000）", HOSTILE["cell_huge"]),
    ("officers", "代码不在词表中", HOSTILE["officer_unknown_level"]),
    ("officers", "必填项为空", HOSTILE["officer_null_level"]),
    ("assignments", "引用的记录不存在", "O-NOBODY · E1"),
    ("assignments", "代码不在词表中", f"{HOSTILE['officer_null_level']} · E2"),
    ("visits", "时间晚于当前", HOSTILE["visit_future"]),
    ("visits", "数量为负", HOSTILE["visit_negative"]),
    ("visits", "代码不在词表中", HOSTILE["visit_unknown_diary"]),
    ("tickets", "时间晚于当前", HOSTILE["ticket_future"]),
    ("tickets", "时间顺序颠倒", HOSTILE["ticket_wrong_order"]),
    ("tickets", "代码不在词表中", HOSTILE["ticket_unknown_codes"]),
    ("tickets", "引用的记录不存在", HOSTILE["ticket_unknown_codes"]),
    ("tickets", "评分不在1–5分", HOSTILE["ticket_unknown_codes"]),
    ("tickets", "必填项为空", HOSTILE["ticket_nulls"]),
    ("tickets", "超出列宽", HOSTILE["ticket_html"]),
    ("tickets", "含标记字符（< >）", HOSTILE["ticket_html"]),
    ("tickets", "坐标不在区内", HOSTILE["ticket_html"]),
    ("ticket_events", "引用的记录不存在", "T-GHOST · resolved"),
    ("ticket_events", "重复记录", "T-DUP · resolved"),
    ("ticket_events", "时间晚于当前", "T-ORDER · resolved"),
    ("ticket_events", "时间顺序颠倒", "T-ORDER · dispatched"),
    ("ticket_events", "代码不在词表中", "T-CODES · teleported"),
    ("ticket_events", "必填项为空", "T-NULLS"),
    ("clinic_services", "数量为负", HOSTILE["clinic_negative"]),
    ("clinic_services", "引用的记录不存在", "CP-GHOST"),
    ("compounds", "代码不在词表中", HOSTILE["compound_unknown_stage"]),
    ("compounds", "数量为负", HOSTILE["compound_unknown_stage"]),
    ("hotline_daily", "数量为负", "2026-11-04 · 330203106000 · telepathy"),
    ("agent_services", "数量为负", "330203106000 · 里梅村 · magic"),
    ("open_space_sessions", "数量为负", "OS-NEG"),
    ("red_helper_cases", "数量为负", "RH-NEG"),
    ("site_issues", "时间顺序颠倒", "SP-ODD"),
    ("supervision_items", "代码不在词表中", "SUP-ODD"),
    ("supervision_items", "必填项为空", "SUP-NULL"),
]


def test_data_quality_lists_every_hostile_row_with_its_key(hostile):
    with hostile.connect() as conn:
        found = data_quality.fetch_problems(conn, AS_OF)
    for table, problem, key in EXPECTED:
        rows = found[(found["table"] == table) & (found["problem"] == problem)]
        keys = [k for listed in rows["keys"] for k in listed]
        assert any(k.startswith(key) for k in keys), (table, problem, key, keys)
        assert (rows["rows"] >= 1).all()


def test_data_quality_finds_nothing_in_clean_data(tiny):
    tiny.add_officer("O1").add_target("E1").assign("O1", "E1")
    tiny.add_visit("V1", "O1", "E1", "2026-11-10 10:00", problems=2)
    tiny.add_ticket("T1", events=[("resolved", "2026-03-04 09:00")], satisfaction=5)
    with tiny.connect() as conn:
        found = data_quality.fetch_problems(conn, datetime(2026, 11, 25))
    assert found.empty, found[["table", "problem", "column"]]


def test_data_quality_counts_all_rows_and_lists_the_first_fifty(tiny):
    for i in range(60):
        tiny.add_clinic_point(f"P{i:02}", services=[("2026-11-04", -1)])
    with tiny.connect() as conn:
        found = data_quality.fetch_problems(conn, datetime(2026, 11, 25))
    row = found[(found["table"] == "clinic_services") & (found["problem"] == "数量为负")].iloc[0]
    assert row["rows"] == 60 and len(row["keys"]) == data_quality.LIST_LIMIT
    assert row["keys"][0] == "P00 · 2026-11-04"


def test_the_data_quality_page_lists_the_problems_escaped(hostile_app):
    at = run("pages/7_data_quality.py")
    assert_page_whole(at)
    frames = [df.value for df in at.dataframe]
    listed = " ".join(str(v) for df in frames for v in df.to_numpy().ravel())
    for table, problem, key in EXPECTED:
        assert problem in listed and key in listed, (table, problem, key)
    assert not [m.value for m in at.markdown if "<img" in m.value]


def test_the_ticket_pages_quality_note_links_to_the_data_quality_page(hostile_app):
    at = run("pages/2_tickets.py")
    assert_page_whole(at)
    links = [e for e in at.get("page_link") if "数据质量" in e.proto.label]
    assert links, "the ticket page links to 数据质量"
    target = links[0].proto.page
    assert target.endswith("7_data_quality.py") or target == "data_quality", target
    at.switch_page("pages/7_data_quality.py").run()  # following it opens the page
    assert_page_whole(at)
    assert any(h.value == "数据质量" for h in at.header)


def test_a_score_outside_1_to_5_is_no_evaluation_and_a_duplicated_bounce_counts_once(tmp_path):
    url, drop = fresh_database_url("sqlite", tmp_path)
    db = HostileDatabase(url).add_clean_base()
    db.add_ticket("T-SCORE", reported="2026-11-03 09:00", satisfaction=9,
                  events=[("resolved", "2026-11-04 09:00"), ("evaluated", "2026-11-05 09:00")])
    db.add_ticket("T-BOUNCE", reported="2026-11-03 09:00", events=[
        ("dispatched", "2026-11-03 10:00"), ("rejected", "2026-11-03 12:00")])
    db.rows(s.ticket_events, dict(ticket_id="T-BOUNCE", stage="rejected",
                                  at=datetime(2026, 11, 3, 12)))  # the same 退单 twice
    try:
        with db.connect() as conn:
            got = figures.headline(conn, NOVEMBER, ["evaluations", "bounced"])
        # T-SCORE's 9 is not a score (it would count 1); T-BOUNCE was bounced once, not twice
        assert got == {"evaluations": 0, "bounced": 0}
    finally:
        db.close()
        drop()
