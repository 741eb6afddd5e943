"""The map in headless Chromium at 1920×1080 and at 4K: names and points drawn, and a
leader's drill by clicks: district → town (not the cell under the pointer) → grid cell →
one of its tickets, whose stage history opens.

deck.gl under SwiftShader on 2 cores: a press lasts longer than deck.gl's tap limit
(250 ms), so the test raises the limit on the live deck (found through React's fiber of
the canvas) and clicks with page.mouse.click at points the deck itself projects.
"""

import io
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.conftest import Visit, running_server, sample_env

# Finds the live Deck instance behind the map's canvas and keeps it as window.__deck.
FIND_DECK = """() => {
  const canvas = document.querySelector('[data-testid=stDeckGlJsonChart] canvas');
  for (let node = canvas; node; node = node.parentElement) {
    const key = Object.keys(node).find(k => k.startsWith('__reactFiber$'));
    if (!key) continue;
    for (let fiber = node[key]; fiber; fiber = fiber.return) {
      for (let st = fiber.memoizedState, n = 0; st && typeof st === 'object' && n < 60;
           st = st.next, n++) {
        const v = st.memoizedState;
        for (const c of [v, v && v.current, v && v.current && v.current.deck]) {
          if (c && c.eventManager && c.getViewports) { window.__deck = c; return true; }
        }
      }
    }
    return false;
  }
  return false;
}"""
RAISE_TAP_LIMIT = """() => {
  for (const r of window.__deck.eventManager.manager.recognizers) {
    if (r.options && (r.options.event === 'click' || r.options.event === 'dblclick')) {
      r.set ? r.set({time: 3000}) : (r.options.time = 3000);
    }
  }
}"""
# Screen point (CSS px, in the canvas) of a label of a live layer: [x, y] or null.
LABEL_AT = """([layerId, text]) => {
  const layer = window.__deck.props.layers.find(l => l && l.id === layerId);
  const row = layer && layer.props.data.find(d => d.text === text);
  return row ? window.__deck.getViewports()[0].project([row.lon, row.lat]) : null;
}"""


@pytest.fixture(scope="module")
def map_server(sample_file, tmp_path_factory):
    log = tmp_path_factory.mktemp("map-server") / "streamlit.log"
    with running_server(log, sample_env(sample_file)) as base:
        yield base


def _distinct_colours(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").resize((200, 120))
    return len(set(image.get_flattened_data()))


def ready_map(visit: Visit) -> None:
    """Wait for the page and the deck, find the deck, let it accept a slow press."""
    visit.settle("[data-testid=stDeckGlJsonChart] canvas")
    visit.page.wait_for_timeout(2500)  # deck.gl draws after the page settles
    visit.page.wait_for_function(FIND_DECK, timeout=20_000)
    visit.page.evaluate(RAISE_TAP_LIMIT)


def click_label(visit: Visit, layer_id: str, text: str) -> None:
    """Click the map where the live deck draws the label `text` of `layer_id`."""
    point = visit.page.evaluate(LABEL_AT, [layer_id, text])
    assert point, f"no label {text!r} in {layer_id}"
    canvas = visit.page.locator("[data-testid=stDeckGlJsonChart] canvas")
    box = canvas.bounding_box()
    zoom = box["width"] / canvas.evaluate("c => c.clientWidth")  # CSS zoom on a 4K screen
    x, y = box["x"] + point[0] * zoom, box["y"] + point[1] * zoom
    visit.page.mouse.move(x, y)
    visit.page.wait_for_timeout(800)  # let hover picking finish before the press
    visit.page.mouse.click(x, y)


def query(visit: Visit) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(visit.page.url).query).items()}


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)], ids=["1080", "4k"])
def test_a_leader_drills_town_cell_ticket_by_clicks(map_server, browser, app_db, size):
    from tests.test_page_map import busiest_cell

    cell = busiest_cell("章水镇", "330203106")  # a cell of 章水镇 with open tickets
    visit = Visit(browser, f"{map_server}/map", *size)
    try:
        ready_map(visit)
        chart = visit.page.locator("[data-testid=stDeckGlJsonChart]")
        assert _distinct_colours(chart.screenshot()) > 20, "the map canvas is blank"
        # 1. at district level a click on 章水镇 (on one of its cells) chooses the town
        click_label(visit, "town-names", "章水镇")
        visit.page.wait_for_function("() => location.search.includes('town=')", timeout=30_000)
        ready_map(visit)
        assert query(visit).get("town") == "章水镇" and "cell" not in query(visit)
        visit.screenshot(f"map-town-{size[0]}")
        # 2. in the town, a click on a cell opens it
        click_label(visit, "cell-names", cell[-3:])
        visit.page.wait_for_function("() => location.search.includes('cell=')", timeout=30_000)
        ready_map(visit)
        assert query(visit)["cell"] == cell
        main = visit.page.inner_text("[data-testid=stMain]")
        assert f"章水镇第{cell[-3:]}网格" in main and "在办问题" in main
        visit.screenshot(f"map-cell-{size[0]}")
        # 3. a ticket in the cell panel opens its stage history
        grid = visit.page.locator(f".st-key-cell_tickets_{cell} [data-testid=stDataFrame]")
        box = grid.bounding_box()
        k = grid.evaluate(  # rows are 35 px; the frame zooms the page on a 4K screen
            "e => e.currentCSSZoom || 1")
        visit.page.mouse.click(box["x"] + 12 * k, box["y"] + 35 * k * 1.5)  # row 1's checkbox
        visit.page.wait_for_function("() => location.search.includes('ticket=')",
                                     timeout=30_000)
        visit.settle("[data-testid=stDeckGlJsonChart] canvas")
        ticket = query(visit)["ticket"]
        main = visit.page.inner_text("[data-testid=stMain]")
        assert "流转记录" in main and ticket in main
        history = visit.page.locator(".st-key-ticket_history [data-testid=stDataFrame]")
        assert history.count() == 1
        assert visit.errors_on_page() == [] and visit.outside == []
        visit.screenshot(f"map-ticket-{size[0]}")
    finally:
        visit.close()


@pytest.mark.parametrize("size", [(1920, 1080, 1), (3840, 2160, 1), (1920, 1080, 2)],
                         ids=["1080", "4k", "4k-scale2"])
def test_names_and_points_are_drawn_and_the_map_fills_the_screen(map_server, browser, size):
    width, height, scale = size
    visit = Visit(browser, f"{map_server}/map", width, height, scale)
    try:
        ready_map(visit)
        visit.screenshot(f"map-district-{width * scale}x{height * scale}-scale{scale}")
        assert visit.problems == [], visit.problems  # e.g. a TextLayer's "not iterable"
        drawn = visit.page.evaluate("""() => window.__deck.props.layers
            .filter(l => l).map(l => [l.id, l.props.data.length])""")
        assert {"town-names", "clinics", "compounds", "cells"} <= {i for i, _ in drawn}
        chart = visit.page.locator("[data-testid=stDeckGlJsonChart]").bounding_box()
        assert chart["y"] + chart["height"] <= height + 2  # the map ends on the screen
        assert chart["height"] >= 0.65 * height  # and takes most of its height
        legend = visit.page.locator(".map-legend").bounding_box()
        assert 0 <= legend["y"] and legend["y"] + legend["height"] <= height
        assert visit.errors_on_page() == []
    finally:
        visit.close()
