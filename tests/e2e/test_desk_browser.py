"""The desk in a real browser: every page, a normal and an empty period, reads as Chinese.

What a reader sees is the page's text (document.body.innerText) without the Material icons,
whose ligature names ("download") are drawn as pictures, never as words. In it there may be
no Latin word but the file formats (CSV, Excel, PPT), and no None, nan or empty.
"""

import re
import urllib.parse

import pytest

from tests.e2e.conftest import TEXT_SIZES_IN_VIEW, Visit, running_server, sample_env

ALLOWED = {"CSV", "Excel", "PPT"}
PAGES = ["", "map", "tickets", "visits", "programmes", "wall"]
VIEWS = [{}, {"period": "本周", "town": "章水镇"}]
PROGRAMMES = ["hotline", "direct_line", "supervision"]

# Icons are drawn from their ligature names in the Material Symbols font; Streamlit's skip
# link shows only on keyboard focus.
VISIBLE_TEXT = """() => {
  const hidden = [...document.querySelectorAll('body *')].filter(e =>
      getComputedStyle(e).fontFamily.includes('Material Symbols')
      || e.dataset.testid === 'stSkipToContent');
  hidden.forEach(e => { e.dataset.was = e.style.display; e.style.display = 'none'; });
  const text = document.body.innerText;
  hidden.forEach(e => { e.style.display = e.dataset.was; });
  return text;
}"""


def latin_words(text: str) -> set[str]:
    words = set(re.findall(r"[A-Za-z][A-Za-z_]+", text))
    return {w for w in words if w not in ALLOWED}


def test_the_word_finder_catches_what_the_issue_saw():
    assert latin_words("评价分 None · completion_rate · 下载 CSV 下载 Excel") == {
        "None", "completion_rate"}
    assert latin_words("nan 与 empty") == {"nan", "empty"}


@pytest.fixture(scope="module")
def desk_server(sample_file, tmp_path_factory):
    log = tmp_path_factory.mktemp("desk") / "streamlit.log"
    with running_server(log, sample_env(sample_file)) as base:
        yield base


def _urls():
    for page in PAGES:
        for view in VIEWS:
            yield page, view
    for code in PROGRAMMES:
        for view in VIEWS:
            yield "programmes", view | {"programme": code}
    yield "tickets", {"category": "livelihood", "q": "停车"}


@pytest.mark.parametrize("page,query", list(_urls()),
                         ids=lambda x: x if isinstance(x, str) else urllib.parse.urlencode(x))
def test_every_page_reads_as_chinese(desk_server, browser, page, query):
    url = f"{desk_server}/{page}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    visit = Visit(browser, url, 1920, 1080)
    try:
        visit.page.wait_for_function("() => document.body.innerText.includes('驾驶舱')"
                                     " || document.body.innerText.includes('海曙')",
                                     timeout=60_000)
        visit.settle("[data-testid=stApp]")
        assert not visit.errors_on_page()
        text = visit.page.evaluate(VISIBLE_TEXT)
        assert "海曙" in text and "登录" not in text[:40]  # the page drew, not a login
        assert not latin_words(text), (url, sorted(latin_words(text)))
        name = "desk_" + (page or "overview") + ("_" + "_".join(query.values()) if query else "")
        visit.screenshot(re.sub(r"[^\w]+", "_", name))
    finally:
        visit.close()


# Rendered type (the desk zooms its main block on a 4K screen) of the text in view; and how
# far the page scrolls.
RENDERED_TYPE = """() => {""" + TEXT_SIZES_IN_VIEW + """
  const main = document.querySelector('[data-testid=stMain]');
  return {p10: sizes[Math.floor(sizes.length * 0.1)], texts: sizes.length,
          pageHeight: document.documentElement.scrollHeight, innerHeight,
          mainBottom: main.getBoundingClientRect().bottom,
          scrollScreens: (main.scrollHeight - main.clientHeight) / main.clientHeight};
}"""


def test_a_4k_screen_shows_the_desk_twice_as_large(desk_server, browser):
    """/tickets at 3840×2160 (device scale 1) looks like 1920×1080 at twice the size: type
    at least 1.8 times as large, the page no taller than the screen, and no more to scroll
    (in screens) than at 1080."""
    measured = {}
    for width, height in [(1920, 1080), (3840, 2160)]:
        visit = Visit(browser, f"{desk_server}/tickets", width, height)
        try:
            visit.settle("[data-testid=stVegaLiteChart]")
            visit.page.wait_for_timeout(2000)  # the charts take their final widths
            assert not visit.errors_on_page()
            measured[width] = visit.page.evaluate(RENDERED_TYPE)
            visit.screenshot(f"desk_tickets_{width}")
        finally:
            visit.close()
    small, large = measured[1920], measured[3840]
    assert large["p10"] >= 1.8 * small["p10"], measured
    assert large["pageHeight"] <= 2160 and large["mainBottom"] <= 2160 + 1, measured
    assert abs(large["scrollScreens"] - small["scrollScreens"]) < 0.1, measured
