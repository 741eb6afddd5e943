"""Every page in headless Chromium: no error box, no request leaves the machine, screenshots."""

from urllib.parse import quote

import pytest

from components.frame import APP_TITLE, PAGES
from tests.e2e.conftest import Visit

# Deep links first: a wall screen after a night's restart opens a page that is not "/".
ORDER = sorted(PAGES, key=lambda p: p.url_path == "")
# 3840×2160 as a 4K wall screen runs it: device scale 2 (the README's kiosk setting), and
# as a browser left at scale 1.
SIZES = {"1920": (1920, 1080, 1), "3840": (1920, 1080, 2), "3840-scale1": (3840, 2160, 1)}


def url_of(server, page, query: str = "") -> str:
    return f"{server}/{page.url_path}{'?' + query if query else ''}"


@pytest.mark.parametrize("page", ORDER, ids=lambda p: p.url_path or "home")
@pytest.mark.parametrize("size", list(SIZES))
def test_page_opens_inside_the_frame_without_errors(server, browser, page, size):
    visit = Visit(browser, url_of(server, page), *SIZES[size])
    try:
        visit.settle("[data-testid=stPageLink]")
        assert APP_TITLE in visit.page.inner_text("[data-testid=stMain]")
        # the frame ran: our navigation, not Streamlit's automatic sidebar list
        assert visit.page.locator("[data-testid=stSidebarNav]").count() == 0
        assert visit.errors_on_page() == []
        assert visit.problems == []
        assert visit.outside == [], "the cockpit must work on an intranet"
        visit.screenshot(f"{page.url_path or 'overview'}-{size}")
    finally:
        visit.close()


def test_overview_figures_and_charts_are_drawn(server, browser):
    visit = Visit(browser, url_of(server, PAGES[0]), 1920, 1080)
    try:
        visit.settle("[data-testid=stMetric]")
        text = visit.page.inner_text("[data-testid=stMain]")
        assert "1,337" in text and "87.4%" in text
        visit.page.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=20_000)
        assert visit.page.locator(".vega-embed").count() == 2
    finally:
        visit.close()


def test_a_town_link_opens_that_town_for_everyone(server, browser):
    visit = Visit(browser, url_of(server, PAGES[0], f"town={quote('章水镇')}"), 1920, 1080)
    try:
        visit.settle("[data-testid=stMetric]")
        assert "章水镇 ·" in visit.page.inner_text("[data-testid=stMain]")
        visit.screenshot("overview-zhangshui-1920")
    finally:
        visit.close()


# The map's browser tests (names, points, drilling by clicks): test_map_browser.py
