"""The 走访覆盖 page for the district and a town, the warning line, one officer's view."""

import re

import pytest
from streamlit.typing import VegaLiteState

from components import format as fmt
from data_access import db
from tests.test_pages import chart_with, run, tiles

PAGE = "pages/3_visits.py"


pytestmark = pytest.mark.usefixtures("app_db")


def test_visits_page_for_the_district_this_month_shows_gaps_and_laggards():
    at = run(PAGE, period="近30天")
    assert not at.exception
    got = tiles(at)
    assert int(got["未走访对象"].replace(",", "")) > 0
    assert int(got["低于预警线的干部"].replace(",", "")) > 0
    levels = chart_with(at, "label", "区领导")
    assert set(levels["label"]) == {"区领导", "区管干部", "部门中层干部", "镇(乡)街道干部"}


def test_visits_page_for_one_town_lists_only_that_towns_gaps():
    at = run(PAGE, period="近30天", town="章水镇")
    gaps = next(d.value for d in at.dataframe if {"联系对象", "联系干部"} <= set(d.value.columns))
    assert set(gaps["镇(乡)街道"]) <= {"章水镇"}


def test_raising_the_warning_line_flags_more_officers():
    low = run(PAGE, period="近30天", threshold="30")
    high = run(PAGE, period="近30天", threshold="90")
    count = lambda at: int(tiles(at)["低于预警线的干部"].replace(",", ""))  # noqa: E731
    assert count(high) > count(low)


def test_choosing_an_officer_shows_their_view_and_puts_them_in_the_url(sample_file):
    from data_access import coverage
    from data_access.filters import Filters, local_now

    with db.read_only_engine(sample_file).connect() as conn:
        first = coverage.list_officers(conn, Filters.for_period("last_30_days", local_now()))
    officer = first.at[0, "officer_id"]
    at = run(PAGE, period="近30天")
    assert not any("联系对象**" in m.value for m in at.markdown)
    at.selectbox(key="officer").set_value(officer).run()
    assert not at.exception
    assert at.query_params["officer"] == officer
    assert any(m.value.startswith("**联系对象**") for m in at.markdown)
    assert any(m.value.startswith("**本期走访**") for m in at.markdown)
    # the shared link opens the same officer's view
    again = run(PAGE, period="近30天", officer=officer)
    assert again.selectbox(key="officer").value == officer
    assert any(m.value.startswith("**本期走访**") for m in again.markdown)
    # a code that is no officer's opens no view and no error
    bad = run(PAGE, period="近30天", officer="<nobody>")
    assert not bad.exception and bad.selectbox(key="officer").value is None


def test_a_long_period_shows_the_last_30_days_gaps_beside_it():
    at = run(PAGE)  # 活动以来: every target has been visited at some point
    hint = next(i.value for i in at.info if "近30天" in i.value)
    assert "未走访对象" in hint and not re.search(r"未走访对象 0 个", hint)
    next(b for b in at.button if b.label == "看近30天").click()
    at.run()
    assert at.selectbox(key="period").value == "近30天"
    assert int(tiles(at)["未走访对象"].replace(",", "")) > 0


def test_clicking_a_level_bar_filters_the_whole_page_and_the_url():
    at = run(PAGE, period="近30天")
    everyone = tiles(at)
    at.session_state["pick_level"] = VegaLiteState(
        {"selection": {"pick": [{"key": "district_leader"}]}})
    at.run()
    assert not at.exception
    assert at.query_params["level"] == "district_leader"
    got = tiles(at)
    assert got["联系关系"] != everyone["联系关系"]
    assert int(got["联系关系"].replace(",", "")) < int(everyone["联系关系"].replace(",", ""))
    officers = next(d.value for d in at.dataframe if "coverage_rate" in d.value.columns)
    assert set(officers["level"]) == {"区领导"}
    assert any("区领导" in m.value for m in at.markdown if "已筛选" in m.value)
    shades = chart_with(at, "key", "district_leader").set_index("key")["shade"]
    assert shades["district_leader"] == 1 and (shades.drop("district_leader") < 1).all()


def diary_visits(at) -> int:
    """The visits drawn in the diary chart (complete and incomplete records together)."""
    return int(chart_with(at, "what", "记录完整")["n"].sum())


def test_a_level_click_narrows_the_diary_chart_and_the_complete_rate_tile():
    at = run(PAGE, period="近30天")
    everyone = tiles(at)
    assert diary_visits(at) == int(everyone["走访次数"].replace(",", ""))
    at.session_state["pick_level"] = VegaLiteState(
        {"selection": {"pick": [{"key": "district_leader"}]}})
    at.run()
    got = tiles(at)
    leaders = int(got["走访次数"].replace(",", ""))
    assert 0 < leaders < int(everyone["走访次数"].replace(",", ""))
    assert diary_visits(at) == leaders  # the chart is the level's visits, not everyone's
    diary = chart_with(at, "what", "记录完整")
    complete = diary.loc[diary["what"] == "记录完整", "n"].sum() / diary["n"].sum()
    assert got["“三带走三留下”完整率"] == fmt.pct(complete)
    direct = run(PAGE, period="近30天", level="district_leader")  # the shared link
    assert tiles(direct)["“三带走三留下”完整率"] == got["“三带走三留下”完整率"]
    assert diary_visits(direct) == leaders


def test_clicking_a_target_group_bar_filters_the_whole_page_and_the_url():
    at = run(PAGE, period="近30天")
    everyone = tiles(at)
    at.session_state["pick_target_group"] = VegaLiteState(
        {"selection": {"pick": [{"key": "above_scale"}]}})
    at.run()
    assert not at.exception
    assert at.query_params["target_group"] == "above_scale"
    got = tiles(at)
    assert int(got["联系关系"].replace(",", "")) < int(everyone["联系关系"].replace(",", ""))
    assert diary_visits(at) == int(got["走访次数"].replace(",", ""))
    gaps = next(d.value for d in at.dataframe if {"联系对象", "联系干部"} <= set(d.value.columns))
    assert set(gaps["类型"]) <= {"规上企业"}
    assert any("对象类型：规上企业" in m.value for m in at.markdown if "已筛选" in m.value)
    shades = chart_with(at, "key", "above_scale").set_index("key")["shade"]
    assert shades["above_scale"] == 1 and (shades.drop("above_scale") < 1).all()
    next(b for b in at.button if b.label == "清除筛选").click()
    at.run()
    assert "target_group" not in at.query_params
    assert tiles(at)["联系关系"] == everyone["联系关系"]
