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


def _distinct_colours(png: bytes) -> int:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").resize((200, 120))
    return len(set(image.get_flattened_data()))


def test_map_draws_and_a_click_on_a_grid_cell_opens_its_panel(server, browser):
    map_page = next(p for p in PAGES if p.url_path == "map")
    visit = Visit(browser, url_of(server, map_page), 1920, 1080)
    try:
        visit.settle("[data-testid=stDeckGlJsonChart] canvas")
        chart = visit.page.locator("[data-testid=stDeckGlJsonChart]")
        visit.page.wait_for_timeout(3000)  # deck.gl draws after the page settles
        assert _distinct_colours(chart.screenshot()) > 20, "the map canvas is blank"
        box = chart.bounding_box()
        for dx, dy in [(0.45, 0.55), (0.35, 0.6), (0.6, 0.5), (0.3, 0.45)]:
            visit.page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
            try:
                visit.page.wait_for_function(
                    "() => [...document.querySelectorAll('h3')].some(h => /第\\d+网格/.test(h.innerText))",
                    timeout=15_000)
                break
            except Exception:  # the press may have been too slow for deck.gl's tap; again
                continue
        else:
            raise AssertionError("no grid cell panel appeared after clicking the map")
        visit.settle("[data-testid=stDeckGlJsonChart] canvas")
        text = visit.page.inner_text("[data-testid=stMain]")
        assert "在办问题" in text and "近期走访" in text
        assert "cell=" in visit.page.url
        assert visit.errors_on_page() == []
        visit.screenshot("map-cell-1920")
    finally:
        visit.close()
