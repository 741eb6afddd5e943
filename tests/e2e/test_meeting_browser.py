"""周例会 in headless Chromium: the briefing downloaded from the page (deck and workbook
opened, nothing a citizen could be recognised by), and presenter mode stepped with the keys
a presentation clicker sends."""

import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from data_access import db, meeting
from tests.e2e.conftest import Visit, running_server, sample_env

WEEK = "2026-11-16"
PHONE = re.compile(r"(?<![\d.])1\d{10}(?!\d)")  # a mobile number, not a fraction


@pytest.fixture(scope="module")
def meeting_server(sample_file, tmp_path_factory):
    log = tmp_path_factory.mktemp("meeting") / "streamlit.log"
    with running_server(log, sample_env(sample_file)) as base:
        yield base


@pytest.fixture(scope="module")
def citizens(sample_file):
    """The full names and phones of every citizen behind the meeting's lists."""
    engine = db.read_only_engine(sample_file)
    with engine.connect() as conn:
        m = meeting.assemble(conn, meeting.week_filters(date(2026, 11, 16),
                                                        datetime(2026, 11, 23, 9)))
    engine.dispose()
    frames = [m.longest_overdue, m.new_supervised, m.reopened]
    names = {n for fr in frames for n in fr["reporter_name"].dropna() if len(n) >= 2}
    phones = {p for fr in frames for p in fr["reporter_phone"].dropna()}
    assert names and phones  # the lists do have citizens to hide
    # officers are named (as on the visits page), and the sample's officers and citizens
    # share a name generator: a cell that is an officer's name is not a citizen's
    charted = {by for by, code in meeting.BOARDS
               if not m.boards[meeting.board_key(by, code)].empty}
    return names, phones, set(m.officers_below["officer"]), 1 + len(charted)


def _download(visit: Visit, label: str) -> bytes:
    with visit.page.expect_download(timeout=60_000) as info:
        visit.page.get_by_role("button", name=label).click()
    return open(info.value.path(), "rb").read()


def _no_citizen(cells: list[str], citizens) -> None:
    """No cell (a table cell, a text run) holds a phone number or a citizen's full name."""
    names, phones, officers, _ = citizens
    text = "\n".join(cells)
    assert not PHONE.search(text), PHONE.search(text)
    assert not [p for p in phones if p in text]
    assert not [(n, c) for c in cells if c not in officers for n in names if n in c]


def test_the_briefing_downloads_from_the_page(browser, meeting_server, citizens):
    visit = Visit(browser, f"{meeting_server}/meeting?week={WEEK}", 1600, 1000)
    try:
        visit.settle("text=红黑榜 · 责任部门")
        assert visit.errors_on_page() == []
        visit.screenshot("meeting-desk-1600")
        deck = Presentation(io.BytesIO(_download(visit, "下载简报 PPT")))
        book = load_workbook(io.BytesIO(_download(visit, "下载简报 Excel")))
    finally:
        visit.close()
    slides = list(deck.slides)
    assert len(slides) >= 4
    runs = [run.text for slide in slides for shape in slide.shapes if shape.has_text_frame
            for p in shape.text_frame.paragraphs for run in p.runs]
    runs += [cell.text for slide in slides for shape in slide.shapes if shape.has_table
             for row in shape.table.rows for cell in row.cells]
    text = "\n".join(runs)
    assert "红黑榜" in text and "截止 2026-11-23 09:00" in text and "化解率：" in text
    pictures = [s for slide in slides for s in slide.shapes
                if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    # the loop's chart and one per dimension with units at the boards' minimum base
    assert len(pictures) == citizens[3] >= 2
    assert all(p.image.content_type == "image/png" for p in pictures)
    _no_citizen(runs, citizens)

    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert book.sheetnames[0] == "封面" and len(book.sheetnames) >= 6
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = [str(c.value) for c in cells if c.value is not None]
    assert "截止时点" in values and "指标口径" in values
    assert any("2026-11-23 09:00" in v for v in values)
    _no_citizen(values, citizens)
    overdue = book["超期最久的问题"]
    assert isinstance(overdue["F3"].value, datetime)  # 上报时间 as a date, not text


def _step(visit: Visit) -> str:
    return visit.page.locator("[data-testid=present-step]").inner_text()


def _press(visit: Visit, key: str, expect: str) -> None:
    visit.page.keyboard.press(key)
    visit.page.wait_for_function(
        "want => document.querySelector('[data-testid=present-step]')?.innerText === want",
        arg=expect, timeout=30_000)


def _fits(visit: Visit):
    """Whether the presenter's content fits the screen (nothing to scroll)."""
    sizes = visit.page.evaluate(
        "() => { const c = document.querySelector('.st-key-meeting_present');"
        " return [c.scrollHeight, c.clientHeight]; }")
    return sizes[0] <= sizes[1] + 1


def test_presenter_mode_steps_with_the_clicker_keys(browser, meeting_server):
    visit = Visit(browser, f"{meeting_server}/meeting?week={WEEK}&present=1&step=1",
                  1920, 1080)
    try:
        visit.settle("[data-testid=present-step]")
        total = _step(visit).split(" / ")[1]
        assert _step(visit) == f"1 / {total}"
        visit.screenshot("meeting-present-1-1920")
        for key, expect in [("ArrowRight", 2), ("PageDown", 3), ("Space", 4),
                            ("ArrowLeft", 3), ("PageUp", 2)]:
            _press(visit, key, f"{expect} / {total}")
            visit.page.wait_for_function(f"() => location.search.includes('step={expect}')")
        _press(visit, "ArrowRight", f"3 / {total}")
        visit.settle("[data-testid=present-step]")
        visit.screenshot("meeting-present-3-1920")
        for step in range(3, int(total) + 1):  # every screen fits: nothing to scroll
            if step > 3:
                _press(visit, "ArrowRight", f"{step} / {total}")
                visit.settle("[data-testid=present-step]")
            assert _fits(visit), step
        visit.screenshot("meeting-present-last-1920")
        assert visit.errors_on_page() == [] and visit.problems == []
        assert visit.outside == []
    finally:
        visit.close()


def test_presenter_screens_fit_a_4k_screen_with_type_twice_as_large(browser, meeting_server):
    visit = Visit(browser, f"{meeting_server}/meeting?week={WEEK}&present=1&step=2",
                  3840, 2160)
    try:
        visit.settle("[data-testid=present-step]")
        assert _fits(visit)
        root = visit.page.evaluate(
            "() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert root > 30  # min(0.9vw, 1.6vh): 34.6 px at 3840×2160 (17.3 px at 1920×1080)
        visit.screenshot("meeting-present-2-3840")
    finally:
        visit.close()
