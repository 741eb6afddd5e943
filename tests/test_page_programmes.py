"""The 专项工作 page: every programme's seed figure, for the district and for a town."""

import pytest

from tests.test_pages import run

PAGE = "pages/4_programmes.py"


pytestmark = pytest.mark.usefixtures("app_db")


def tile_list(at) -> list[tuple[str, str]]:
    """(label, value) of every tile in order: several tabs have a 解决问题 tile."""
    return [(m.label, m.value) for m in at.metric]


def test_every_programme_shows_its_seed_figure_for_the_campaign():
    at = run(PAGE)
    assert not at.exception
    got = tile_list(at)
    for figure in [("巡回医疗服务点", "18"), ("巡回医疗人次", "7,562"), ("2000年前老小区", "98"),
                   ("物业提价提质完成", "22"), ("执法进小区清单", "5 大类 37 项"),
                   ("开放空间场次", "110"), ("开放空间解决问题", "768"), ("红色帮办员", "335"),
                   ("帮办解决问题", "1,536"), ("工地书记项目", "148"), ("工地协调问题", "112"),
                   ("监督项目", "47")]:
        assert figure in got, figure
    assert [t.label for t in at.tabs] == ["高山服务", "老小区", "开放空间", "红色帮办员", "工地书记",
                                          "监督问效"]


def test_programmes_for_one_town_show_that_towns_share():
    at = run(PAGE, town="章水镇")
    assert not at.exception
    got = dict(tile_list(at)[:4])
    assert 0 < int(got["巡回医疗服务点"]) < 18
    assert dict(tile_list(at))["监督项目"] == "47"  # supervision items belong to no town
    assert any("不分镇(乡)街道" in c.value for c in at.caption)


def test_each_section_links_to_the_map_or_the_ticket_page():
    at = run(PAGE)
    links = [link.proto for link in at.get("page_link")]
    targets = [(link.page, link.query_string if hasattr(link, "query_string") else "")
               for link in links]
    pages = [page for page, _ in targets]
    assert sum("map" in page for page in pages) >= 2
    assert sum("tickets" in page for page in pages) >= 3


def test_a_link_from_a_programme_narrows_the_ticket_page_to_its_source():
    at = run("pages/2_tickets.py", source="open_space", show="all")
    assert not at.exception
    assert any("开放空间" in i.value for i in at.info)
    table = next(d.value for d in at.dataframe if "编号" in d.value.columns)
    assert set(table["来源渠道"]) == {"开放空间"}
