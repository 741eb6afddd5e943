"""The wall screen in headless Chromium at 1920×1080 and 3840×2160 (device scale 1): it fits
the screen, its text grows with it, the clock ticks, it rotates by itself without a
navigation, and nothing leaves the machine, the server's own start included."""

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.e2e.conftest import SHOTS, TEXT_SIZES_IN_VIEW, running_server, sample_env

SIZES = {"1920": (1920, 1080), "3840": (3840, 2160)}
SHANGHAI = ZoneInfo("Asia/Shanghai")

# What a viewer sees, measured in the page: scroll sizes, inner scroll boxes that overflow,
# wall panels that reach below the screen (the main area clips rather than scrolls), and
# the rendered font size of every visible piece of text.
MEASURE = """() => {
  const overflowing = [];
  for (const el of document.querySelectorAll('*')) {
    const cs = getComputedStyle(el);
    if (['auto', 'scroll'].includes(cs.overflowY) && el.scrollHeight > el.clientHeight + 1)
      overflowing.push(el.getAttribute('data-testid') || el.className || el.tagName);
  }
  const below = [...document.querySelectorAll('.wall, [data-testid=stDeckGlJsonChart]')]
    .filter(el => el.getBoundingClientRect().bottom > innerHeight + 1).length;
""" + TEXT_SIZES_IN_VIEW + """
  return {scrollHeight: document.documentElement.scrollHeight, innerHeight,
          scrollWidth: document.documentElement.scrollWidth, innerWidth,
          overflowing, below, texts: sizes.length,
          p10: sizes[Math.floor(sizes.length * 0.1)]};
}"""


@pytest.fixture(scope="module")
def wall_server(sample_file, tmp_path_factory):
    """A fresh server with the shipped configuration (server.address included), its log.
    COCKPIT_TEST_PORT pins the port (machines where ports are shared out)."""
    log = tmp_path_factory.mktemp("wall-server") / "streamlit.log"
    port = int(os.environ.get("COCKPIT_TEST_PORT") or 0) or None
    with running_server(log, sample_env(sample_file), port, shipped_config=True) as base:
        yield base, log


class WallVisit:
    """The wall opened in a fresh context, with everything that went wrong recorded."""

    def __init__(self, browser, url: str, width: int, height: int):
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           device_scale_factor=1)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("request", self._check_request)
        self.page.goto(url)
        self.page.wait_for_selector(".wall-heads", timeout=60_000)
        self.page.wait_for_function(
            "() => !document.querySelector('[data-testid=stStatusWidget] button')"
            " && !document.querySelector('[data-testid=stSkeleton]')", timeout=60_000)
        self.page.wait_for_timeout(4000)  # the deck draws a few seconds after (SwiftShader)

    def _check_request(self, request):
        host = request.url.split("/")[2] if "://" in request.url else ""
        if request.url.startswith(("http", "ws")) and not host.startswith("127.0.0.1"):
            self.outside.append(request.url)

    def view_title(self) -> str:
        return self.page.inner_text(".wall-sub").split("·")[-1].strip()

    def errors(self) -> list[str]:
        boxes = self.page.locator("[data-testid=stException], [data-testid=stAlertContentError]")
        shown = [boxes.nth(i).inner_text() for i in range(boxes.count())]
        said = [m for m in self.console if m.startswith(("error", "pageerror"))
                or "navigation" in m.lower()]
        return shown + said

    def close(self):
        self.context.close()


def test_the_wall_fits_both_screens_with_text_twice_as_large_on_4k(wall_server, browser):
    base, log = wall_server
    measured = {}
    for name, (width, height) in SIZES.items():
        visit = WallVisit(browser, f"{base}/?wall=1&views=main", width, height)
        try:
            got = visit.page.evaluate(MEASURE)
            measured[name] = got
            assert got["scrollHeight"] <= got["innerHeight"], got
            assert got["scrollWidth"] <= got["innerWidth"], got
            assert got["overflowing"] == [] and got["below"] == 0, got
            clock = visit.page.inner_text("#wall-clock-time")
            now = datetime.now(SHANGHAI)
            assert clock[:5] in {f"{t:%H:%M}" for t in (now, now - timedelta(minutes=1))}
            assert "数据截至" in visit.page.inner_text("[data-testid=wall-data-time]")
            assert visit.page.locator("[data-testid=stDeckGlJsonChart] canvas").count() == 1
            assert visit.page.locator("[data-testid=stPageLink], [data-testid=stSelectbox]"
                                      ).count() == 0
            assert visit.errors() == []
            assert visit.outside == [], "the wall must work on a sealed intranet"
            SHOTS.mkdir(parents=True, exist_ok=True)
            shot = SHOTS / f"wall-{name}.png"
            visit.page.screenshot(path=str(shot))
            box = visit.page.locator("[data-testid=stDeckGlJsonChart]").bounding_box()
            drawn = Image.open(shot).convert("RGB").crop(
                (box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]))
            assert len(drawn.getcolors(1 << 20)) > 50, "the map drew nothing"
        finally:
            visit.close()
    assert measured["3840"]["p10"] >= 1.8 * measured["1920"]["p10"], measured
    started = log.read_text()
    assert "External URL" not in started and "external IP" not in started, started


def test_the_wall_moves_on_by_itself_without_a_navigation(wall_server, browser):
    base, _ = wall_server
    visit = WallVisit(browser, f"{base}/?wall=1&every=5", 1920, 1080)
    try:
        first = visit.view_title()
        SHOTS.mkdir(parents=True, exist_ok=True)
        visit.page.screenshot(path=str(SHOTS / f"wall-1920-{first}.png"))
        visit.page.wait_for_function(
            "t => !document.querySelector('.wall-sub').innerText.endsWith(t)", arg=first,
            timeout=30_000)
        second = visit.view_title()
        assert {first, second} == {"总览", "镇街对比"}
        visit.page.wait_for_timeout(1500)
        visit.page.screenshot(path=str(SHOTS / f"wall-1920-{second}.png"))
        assert "every=5" in visit.page.url and "/wall" in visit.page.url
        assert visit.errors() == []
    finally:
        visit.close()


# From now on: count skeletons added, and elements that start to fade while their run is
# going (Streamlit dims stale elements with an opacity transition); mark the map's canvas.
WATCH = """() => {
  window.__wall = {skeletons: 0, stale: 0, fades: 0,
                   canvas: document.querySelector('[data-testid=stDeckGlJsonChart] canvas')};
  const fading = el => parseFloat(getComputedStyle(el).opacity) < 1 || el.getAnimations()
    .some(a => a.transitionProperty === 'opacity');
  new MutationObserver(records => {
    for (const r of records) {
      if (r.type === 'attributes' && r.target.getAttribute('data-stale') === 'true') {
        window.__wall.stale += 1;
        requestAnimationFrame(() => { if (fading(r.target)) window.__wall.fades += 1; });
      }
      for (const n of r.addedNodes || [])
        if (n.nodeType === 1 && (n.matches('[data-testid=stSkeleton]') ||
            n.querySelector('[data-testid=stSkeleton]'))) window.__wall.skeletons += 1;
    }
  }).observe(document.body, {childList: true, subtree: true, attributes: true,
                             attributeFilter: ['data-stale']});
}"""


def test_a_refresh_replaces_figures_in_place(wall_server, browser):
    base, _ = wall_server
    visit = WallVisit(browser, f"{base}/?wall=1&every=5&views=main", 1920, 1080)
    try:
        visit.page.evaluate(WATCH)
        tick = int(visit.page.get_attribute(".wall-band", "data-tick"))
        clock = visit.page.inner_text("#wall-clock-time")
        visit.page.wait_for_timeout(12_000)  # two refreshes
        assert int(visit.page.get_attribute(".wall-band", "data-tick")) >= tick + 2
        assert visit.page.inner_text("#wall-clock-time") != clock  # it ticks in the browser
        assert visit.page.evaluate("() => window.__wall.skeletons") == 0
        assert visit.page.evaluate(
            "() => window.__wall.canvas === document.querySelector("
            "'[data-testid=stDeckGlJsonChart] canvas')"), "the map was drawn anew"
        watched = visit.page.evaluate("() => window.__wall")
        assert watched["stale"] > 0, "no run was seen: the watch proves nothing"
        assert watched["fades"] == 0, watched
        assert visit.errors() == []
    finally:
        visit.close()
