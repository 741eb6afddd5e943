"""The 问题流转 page: the seed's headline, a town, a chart click that narrows the table."""

import csv
import io

import openpyxl
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


def click(at, dim: str, code: str):
    at.session_state[f"pick_{dim}"] = VegaLiteState({"selection": {"pick": [{"key": code}]}})
    return at.run()


def banner(at) -> str:
    return " ".join(m.value for m in at.markdown if "已筛选" in m.value)


def test_clicking_a_category_bar_filters_the_whole_page_and_the_url():
    at = run(PAGE, show="all")
    click(at, "category", "livelihood")
    assert not at.exception
    assert at.query_params["category"] == "livelihood"
    assert "民生实事" in banner(at)
    headline = int(tiles(at)["收集问题"].replace(",", ""))
    assert 0 < headline < 1337
    assert set(ticket_table(at)["类别"]) == {"民生实事"}
    funnel = chart_with(at, "label", "上报").set_index("label")
    assert funnel.at["上报", "tickets"] == headline  # the funnel follows the click too
    shades = chart_with(at, "key", "livelihood").set_index("key")["shade"]
    assert shades["livelihood"] == 1 and (shades.drop("livelihood") < 1).all()


def test_clicking_the_chosen_bar_again_clears_the_filter():
    at = run(PAGE)
    click(at, "category", "livelihood")
    at.session_state["pick_category"] = VegaLiteState({"selection": {"pick": []}})
    at.run()
    assert "category" not in at.query_params
    assert tiles(at)["收集问题"] == "1,337"


def test_the_clear_button_removes_every_choice():
    at = run(PAGE, category="livelihood", source="visit")
    assert "民生实事" in banner(at) and "走访" in banner(at)
    next(b for b in at.button if b.label == "清除筛选").click()
    at.run()
    assert "category" not in at.query_params and "source" not in at.query_params
    assert tiles(at)["收集问题"] == "1,337"
    assert not banner(at)


def test_a_shared_link_with_codes_reproduces_the_filter_and_bad_codes_are_ignored():
    at = run(PAGE, source="open_space")
    assert 0 < int(tiles(at)["收集问题"].replace(",", "")) < 1337
    assert "开放空间" in banner(at)
    at = run(PAGE, source="<script>", category="nope")
    assert tiles(at)["收集问题"] == "1,337"
    assert not at.exception and not banner(at)


def test_clicking_a_town_bar_switches_the_whole_cockpit_to_that_town():
    at = run(PAGE)
    click(at, "town_code", "330203001000")
    at.run()
    assert not at.exception
    assert at.selectbox(key="town").value != "海曙区（全区）"
    assert int(tiles(at)["收集问题"].replace(",", "")) < 1337


def test_the_task_force_chart_leaves_out_tickets_without_one_and_says_so():
    at = run(PAGE)
    data = chart_with(at, "key", "tech")
    assert data["key"].notna().all()
    assert any("未列入工作专班的问题" in c.value for c in at.caption)


def test_search_filters_the_list_and_its_export(monkeypatch):
    """The export buttons hold the filtered list; each file is made only when its button is
    clicked (the callable a click runs), never by the page's run."""
    from streamlit.delta_generator import DeltaGenerator

    from components import tables

    made, files = [], {}
    for maker in ("csv_bytes", "excel_bytes"):
        real_maker = getattr(tables, maker)
        monkeypatch.setattr(tables, maker, lambda *a, real=real_maker, **k: made.append(a)
                            or real(*a, **k))
    real_button = DeltaGenerator.download_button

    def button(self, label, data, *args, **kwargs):
        files[label] = data
        return real_button(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", button)

    def exported() -> tuple[str, list[dict]]:
        assert not made  # the page's run made no file
        text = files["下载 CSV"]().decode("utf-8-sig")
        body = text.split("\n\n", 1)[-1] if text.startswith("#") else text
        book = openpyxl.load_workbook(io.BytesIO(files["下载 Excel"]()))
        made.clear()
        assert book.sheetnames[0] == "说明"
        return text, list(csv.DictReader(io.StringIO(body, newline="")))

    at = run(PAGE, show="all", q="区住建局")
    table = ticket_table(at)
    assert len(table) > 0 and set(table["责任部门"]) == {"区住建局"}
    text, rows = exported()
    assert len(rows) == len(table) and {r["责任部门"] for r in rows} == {"区住建局"}
    assert "搜索：区住建局" in text
    at.text_input(key="q").set_value("没有这种问题").run()
    assert at.query_params["q"] == "没有这种问题"
    assert exported()[1] == []
    assert any("没有符合条件的问题" in c.value for c in at.caption)


def test_list_mode_lives_in_the_url():
    at = run(PAGE, show="resolved")
    assert at.get("button_group")[0].value == "resolved"
    at.get("button_group")[0].set_value("open").run()
    assert at.query_params["show"] == "open"


def test_ticket_table_masks_citizens_and_selecting_a_row_shows_its_history():
    at = run(PAGE)
    table = ticket_table(at)
    assert table["联系电话"].str.fullmatch(r"\*{7}\d{4}").all()
    assert table["反映人"].str.contains(r"\*").all()
    assert len(at.get("download_button")) == 2
    assert set(table["评价分"]) <= {"未评价", *(f"{n} 分" for n in range(1, 6))}


def test_every_stage_of_the_funnel_is_labelled_in_chinese_in_loop_order():
    at = run(PAGE)
    funnel = chart_with(at, "label", "上报")
    assert funnel["label"].tolist() == ["上报", "派单", "接单", "办结", "对账销号", "评价"]


def test_the_stage_table_says_it_counts_reopened_tickets_too():
    """1,184 tickets took 接单 → 办结 at least once, the funnel's 办结 is 1,169: the header and
    the caption say why (曾办结, reopened ones included)."""
    at = run(PAGE)
    stages = next(t for t in at.table if "走过这一步的问题数（含后来重办的）" in t.value.columns)
    took_it = int(stages.value["走过这一步的问题数（含后来重办的）"].iloc[2].replace(",", ""))
    assert took_it > 1169  # the funnel's 办结
    captions = " ".join(c.value for c in at.caption)
    assert "曾办结" in captions and "重办" in captions
