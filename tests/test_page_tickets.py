"""The 问题流转 page: the seed's headline, a town, a chart click that narrows the table."""

import pytest
from streamlit.typing import VegaLiteState

from tests.test_pages import chart_with, run, tiles

PAGE = "pages/2_tickets.py"


pytestmark = pytest.mark.usefixtures("app_db")


def ticket_table(at):
    return next(d.value for d in at.dataframe if "编号" in d.value.columns)


def test_ticket_page_shows_the_seed_headline_for_the_campaign():
    at = run(PAGE)
    got = tiles(at)
    assert (got["收集问题"], got["已解决"], got["化解率"]) == ("1,337", "1,169", "87.4%")
    funnel = chart_with(at, "label", "上报").set_index("label")
    assert funnel.at["上报", "tickets"] == 1337
    assert funnel.at["办结", "tickets"] == 1169


def test_ticket_page_for_one_town_shows_only_that_towns_tickets():
    at = run(PAGE, town="章水镇")
    assert int(tiles(at)["收集问题"].replace(",", "")) < 1337
    assert set(ticket_table(at)["镇(乡)街道"]) <= {"章水镇"}


def test_clicking_a_category_bar_narrows_the_table_below():
    at = run(PAGE)
    at.session_state["show"] = "all"
    at.session_state["pick_category"] = VegaLiteState(
        {"selection": {"pick": [{"key": "livelihood"}]}})
    at.run()
    assert not at.exception
    assert any("民生实事" in i.value for i in at.info)
    assert set(ticket_table(at)["类别"]) == {"民生实事"}


def test_ticket_table_masks_citizens_and_selecting_a_row_shows_its_history():
    at = run(PAGE)
    table = ticket_table(at)
    assert table["联系电话"].str.fullmatch(r"\d{3}\*{4}\d{4}").all()
    assert table["反映人"].str.contains(r"\*").all()
    assert len(at.get("download_button")) == 2


def test_every_stage_of_the_funnel_is_labelled_in_chinese_in_loop_order():
    at = run(PAGE)
    funnel = chart_with(at, "label", "上报")
    assert funnel["label"].tolist() == ["上报", "派单", "接单", "办结", "对账销号", "评价"]
