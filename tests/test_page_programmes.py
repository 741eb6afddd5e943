"""The 专项工作 page: every programme's seed figure, for the district and for a town."""

import pytest

from tests.test_pages import chart_data, chart_with, run

PAGE = "pages/4_programmes.py"


pytestmark = pytest.mark.usefixtures("app_db")


def tile_list(at) -> list[tuple[str, str]]:
    """(label, value) of every tile in order: several tabs have a 解决问题 tile."""
    return [(m.label, m.value) for m in at.metric]


PROGRAMMES = ["mountain", "compounds", "open_space", "red_helper", "site_secretary",
              "supervision", "hotline", "direct_line"]


def every_view(**query) -> list[tuple[str, str]]:
    """The tiles of every view of the page, each opened through the URL."""
    got = []
    for code in PROGRAMMES:
        at = run(PAGE, programme=code, **query)
        assert not at.exception, (code, [e.value for e in at.exception])
        got += tile_list(at)
    return got


def test_every_programme_shows_its_seed_figure_for_the_campaign():
    got = every_view()
    for figure in [("巡回医疗服务点", "18"), ("巡回医疗人次", "7,562"), ("2000年前老小区", "98"),
                   ("物业提价提质完成", "22"), ("执法进小区清单", "5 大类 37 项"),
                   ("开放空间场次", "110"), ("开放空间解决问题", "768"), ("红色帮办员", "335"),
                   ("帮办解决问题", "1,536"), ("工地书记项目", "148"), ("工地协调问题", "112"),
                   ("监督项目", "47")]:
        assert figure in got, figure


def test_the_chosen_view_round_trips_through_the_url():
    at = run(PAGE)
    control = at.get("button_group")[0]
    assert control.value == "mountain"
    control.set_value("open_space").run()
    assert at.query_params["programme"] == "open_space"
    assert ("开放空间场次", "110") in tile_list(at)
    again = run(PAGE, programme="open_space")
    assert again.get("button_group")[0].value == "open_space"
    assert run(PAGE, programme="<bad>").get("button_group")[0].value == "mountain"


def test_the_81890_view_shows_the_service_mix_by_type_and_week():
    at = run(PAGE, programme="hotline")
    mix = chart_with(at, "type", "求助服务")
    assert set(mix["type"]) == {"求助服务", "家政服务", "维修服务", "咨询服务", "养老服务"}
    total = int(dict(tile_list(at))["81890服务量"].replace(",", "").replace("万", "")
                .split(".")[0]) if "万" not in dict(tile_list(at))["81890服务量"] else None
    assert total is None or total == mix["hotline_services"].sum()
    weekly = next(chart_data(c) for c in at.get("vega_lite_chart")
                  if "week" in chart_data(c).columns)
    assert weekly["hotline_services"].sum() == mix["hotline_services"].sum()


def test_the_direct_line_view_shows_what_firms_submit_and_how_fast():
    at = run(PAGE, programme="direct_line")
    got = dict(tile_list(at))
    assert 0 < int(got["收集问题"].replace(",", "")) < 1337
    assert got["办结用时（中位数）"].endswith("天")
    assert set(chart_with(at, "key", "enterprise_development")["label"]) <= {
        "企业发展", "基层治理", "民生实事"}


def test_programmes_for_one_town_show_that_towns_share():
    at = run(PAGE, town="章水镇")
    assert not at.exception
    got = dict(tile_list(at)[:4])
    assert 0 < int(got["巡回医疗服务点"]) < 18
    at = run(PAGE, town="章水镇", programme="supervision")
    assert dict(tile_list(at))["监督项目"] == "47"  # supervision items belong to no town
    assert any("不分镇(乡)街道" in c.value for c in at.caption)


def test_each_section_links_to_the_map_or_the_ticket_page():
    links = [link.proto for code in PROGRAMMES
             for link in run(PAGE, programme=code).get("page_link")]
    targets = [(link.page, link.query_string if hasattr(link, "query_string") else "")
               for link in links]
    pages = [page for page, _ in targets]
    assert sum("map" in page for page in pages) >= 2
    assert sum("tickets" in page for page in pages) >= 3


def test_a_link_from_a_programme_narrows_the_ticket_page_to_its_source():
    at = run("pages/2_tickets.py", source="open_space", show="all")
    assert not at.exception
    assert any("开放空间" in m.value for m in at.markdown if "已筛选" in m.value)
    assert 0 < int(dict(tile_list(at))["收集问题"].replace(",", "")) < 1337  # the headline too
    table = next(d.value for d in at.dataframe if "编号" in d.value.columns)
    assert set(table["来源渠道"]) == {"开放空间"}


def empty_sentences(at) -> set[str]:
    return {c.value for c in at.caption}


# every table of the page that may be empty, and the sentence that stands in its place
EMPTY_TABLES = {"mountain": "这里没有巡回医疗服务点。", "compounds": "这里没有2000年前建成的老小区。",
                "red_helper": "本期没有红色帮办员帮办的企业。",
                "site_secretary": "这里没有工地书记联系的项目。",
                "supervision": "本期没有监督问效项目。",
                "direct_line": "本期没有来自政企直通车的问题。"}


def test_every_table_says_in_words_that_it_is_empty_on_an_empty_database(tmp_path, monkeypatch):
    import sqlite3

    from streamlit.testing.v1 import AppTest

    from data_access import db
    from data_access.schema import SCHEMA_VERSION
    from tests.builders import TestDatabase
    from tests.conftest import fresh_database_url

    url, drop = fresh_database_url("sqlite", tmp_path)
    database = TestDatabase(url)
    path = db.sqlite_path(url)
    with sqlite3.connect(path) as conn:  # marked as the sample (no login), and current
        conn.execute("DELETE FROM cockpit_meta WHERE key IN (?, 'schema_version')",
                     (db.SAMPLE_MARK[0],))
        conn.executemany("INSERT INTO cockpit_meta (key, value) VALUES (?, ?)",
                         [db.SAMPLE_MARK, ("schema_version", str(SCHEMA_VERSION))])
    monkeypatch.setenv(db.ENV_VAR, url)
    monkeypatch.setattr(db, "SAMPLE_DB", path)
    try:
        for code in PROGRAMMES:
            at = AppTest.from_file("../app.py", default_timeout=60)
            at.query_params["programme"] = code
            at.switch_page(PAGE)
            at.run()
            assert not at.exception, (code, [e.value for e in at.exception])
            assert not at.dataframe, (code, "an empty grid")
            if code in EMPTY_TABLES:
                assert EMPTY_TABLES[code] in empty_sentences(at), code
        at = AppTest.from_file("../app.py", default_timeout=60)
        at.query_params["programme"] = "compounds"
        at.switch_page(PAGE)
        at.run()
        at.expander[0]  # the enforcement list's expander is drawn, its table said empty
        assert "执法进小区清单暂无事项。" in empty_sentences(at)
    finally:
        database.close()
        drop()


def test_this_week_in_zhangshui_shows_sentences_instead_of_empty_tables():
    for code in PROGRAMMES:
        at = run(PAGE, programme=code, town="章水镇", period="本周")
        assert not at.exception, (code, [e.value for e in at.exception])
        assert all(not d.value.empty for d in at.dataframe), code
    at = run(PAGE, programme="compounds", town="章水镇", period="本周")
    assert "这里没有2000年前建成的老小区。" in empty_sentences(at)  # a mountain town


def test_the_compound_list_counts_households_with_separators_and_says_no_in_words():
    import json

    from components import format as fmt

    at = run(PAGE, programme="compounds")
    table = next(d for d in at.dataframe if "households" in d.value.columns)
    config = json.loads(table.proto.columns)["households"]
    assert config["type_config"]["format"] == fmt.TABLE_COUNT, config
    done = set(table.value["property_upgrade_done"])
    assert done <= {"已完成", "否"} and "否" in done, done
