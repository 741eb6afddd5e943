"""The 周例会 page in AppTest on a copy of the sample: the URL's week, live against a stored
snapshot after late data, presenter screens masked."""

import shutil
from datetime import datetime

import pytest
from sqlalchemy import insert, select

from components import cached
from data_access import admin, db
from data_access import schema as s
from tests.test_pages import run

PAGE = "pages/6_meeting.py"
WEEK = "2026-11-16"


@pytest.fixture
def meeting_db(sample_file, tmp_path, monkeypatch):
    """A copy of the sample (as the built-in sample: no login) that a test may write to;
    nothing cached from another database's runs."""
    cached.forget()
    path = tmp_path / "cockpit.db"
    shutil.copy(db.sqlite_path(sample_file), path)
    url = db.sample_url(path)
    monkeypatch.setenv(db.ENV_VAR, url)
    monkeypatch.setattr(db, "SAMPLE_DB", path)
    return url


def add_late_ticket(url: str) -> None:
    """A ticket of the meeting week, resolved before the cut-off, imported after it."""
    engine = db.writable_engine(url)
    with engine.begin() as conn:
        town = conn.execute(select(s.towns.c.code).order_by(s.towns.c.code)).scalars().first()
        conn.execute(insert(s.tickets), [dict(
            id="LATE0001", title="补录的问题", source="grid", category="livelihood",
            town_code=town, department="区住建局", reporter_name="李四光",
            reporter_phone="13900001111", reported_at=datetime(2026, 11, 20, 9),
            due_at=datetime(2026, 11, 27, 9))])
        conn.execute(insert(s.ticket_events), [
            dict(ticket_id="LATE0001", stage=stage, at=at, actor="补录")
            for stage, at in [("reported", datetime(2026, 11, 20, 9)),
                              ("resolved", datetime(2026, 11, 21, 9))]])
    engine.dispose()


def info_text(at) -> str:
    return "\n".join(i.value for i in at.info)


def test_the_page_shows_the_week_of_the_link_live_when_nothing_is_stored(meeting_db):
    at = run(PAGE, week=WEEK)
    assert not at.exception
    assert "显示：实时计算（截止 2026-11-23 09:00）" in info_text(at)
    assert [h.value for h in at.subheader][:3] == [
        "闭环处置：本周 · 上周 · 活动以来", "走访情况：本周 · 上周 · 活动以来", "红黑榜 · 镇(乡)街道"]
    assert {m.label for m in at.metric} >= {"收集问题", "化解率", "超期未办结", "走访覆盖率"}


def test_a_bad_week_in_the_link_falls_back_with_a_note(meeting_db):
    at = run(PAGE, week="2026-11-17")
    assert not at.exception
    assert "链接中的周次无效" in at.warning[0].value
    assert "2026-11-17" not in at.warning[0].value  # the URL's text is not echoed


def test_a_stored_snapshot_is_shown_and_late_data_is_listed_figure_by_figure(meeting_db):
    assert admin.main(["--url", meeting_db, "snapshot", "--week", WEEK]) == 0
    before = run(PAGE, week=WEEK)
    assert "显示：存档" in info_text(before) and "存档与实时计算一致" in info_text(before)
    add_late_ticket(meeting_db)
    cached.expire()  # the cache's five minutes have passed
    stored = run(PAGE, week=WEEK)
    assert "显示：存档" in info_text(stored) and "与实时计算不同" in info_text(stored)
    diff = next(d.value for d in stored.dataframe if "差异" in d.value.columns)
    rows = {(r["指标"], r["期间"]): r for r in diff.to_dict("records")}
    assert rows[("收集问题", "本周")]["差异"] == "+1"
    assert rows[("已解决", "活动以来")]["差异"] == "+1"
    shown = {m.label: m.value for m in stored.metric}
    live = run(PAGE, week=WEEK, view="live")
    assert "显示：实时计算" in info_text(live)
    live_shown = {m.label: m.value for m in live.metric}
    assert int(live_shown["收集问题"]) == int(shown["收集问题"]) + 1


def test_presenter_mode_shows_one_step_masked(meeting_db):
    at = run(PAGE, week=WEEK, present="1", step="5")
    assert not at.exception
    html = "\n".join(e.proto.body for e in at.get("html"))
    assert "超期最久的问题" in html and "5 / 7" in html
    assert "present-table" in html, html[:3000]
    assert "****" in html  # the phone column, masked
    assert not [b for b in at.button if b.key == "present_next" and b.disabled]
    last = run(PAGE, week=WEEK, present="1", step="99")  # clamped to the last step
    assert "7 / 7" in "\n".join(e.proto.body for e in last.get("html"))


def test_the_page_speaks_to_leaders_and_draws_its_charts_for_the_dark_page(meeting_db):
    import json

    from data_access import meeting
    from reports import charts

    at = run(PAGE, week=WEEK)
    assert not at.exception
    # the meeting chooses its own week: no 时间范围 control, no campaign dates in the note
    labels = [s.label for s in at.selectbox]
    assert "时间范围" not in labels and "镇(乡)街道" in labels
    notes = "\n".join(m.value for m in at.markdown)
    assert "cockpit-note" in notes and "2026-01-01 至" not in notes
    assert "python -m" not in info_text(at) and "管理员" in info_text(at)
    captions = "\n".join(c.value for c in at.caption)
    assert meeting.board_rule("resolution_rate") in captions
    assert meeting.board_rule("coverage_rate") in captions
    assert "近四周" in "\n".join(m.value for m in at.markdown)  # the warning list's heading
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert specs and all(s["config"]["axis"]["labelColor"] == charts.DARK.text for s in specs)
    assert all(c.proto.theme == "" for c in at.get("vega_lite_chart"))  # not Streamlit's


def test_other_pages_keep_the_period_control(meeting_db):
    at = run("app.py")
    assert "时间范围" in [s.label for s in at.selectbox]
