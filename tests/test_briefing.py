"""The briefing on hand-built data: the deck's slides, fonts and images; the workbook's
cover, types and neutralised cells; citizens masked in both; the command line."""

import io
from datetime import datetime

from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn

from reports import briefing
from tests.test_meeting import MONDAY, WEEK, build_week


def made(db):
    build_week(db)
    db.add_ticket("EVIL", department="=HYPERLINK(\"http://x\")", reported="2026-03-03 09:00",
                  events=[("reopened", "2026-03-10 09:00")])
    with db.connect() as conn:
        return briefing.build(conn, WEEK, made_at=datetime(2026, 3, 16, 10, 0))


def runs(deck):
    for slide in deck.slides:
        for shape in slide.shapes:
            frames = ([shape.text_frame] if shape.has_text_frame else
                      [c.text_frame for r in shape.table.rows for c in r.cells]
                      if shape.has_table else [])
            for frame in frames:
                for p in frame.paragraphs:
                    yield from p.runs


def test_the_deck_has_a_slide_per_agenda_item_with_east_asian_fonts_and_charts(tiny):
    stem, deck_bytes, _ = made(tiny)
    assert stem == "周例会简报_2026-03-09_全区"
    deck = Presentation(io.BytesIO(deck_bytes))
    slides = list(deck.slides)
    assert len(slides) == 1 + 7 + 1  # title, the agenda, the definitions
    every = list(runs(deck))
    text = "\n".join(r.text for r in every)
    assert "截止 2026-03-16 09:00" in text and "化解率：已解决 ÷ 收集问题" in text
    assert all(r._r.rPr.find(qn("a:ea")).get("typeface") == briefing.FONT for r in every)
    pictures = [s for slide in slides for s in slide.shapes
                if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 3  # the loop's chart, one board per dimension
    assert "张三丰" not in text and "13812345678" not in text and "张**" in text


def test_the_workbook_has_a_cover_typed_cells_and_no_formulas(tiny):
    _, _, book_bytes = made(tiny)
    book = load_workbook(io.BytesIO(book_bytes))
    assert book.sheetnames[:3] == ["封面", "闭环处置", "走访"]
    cover = {r[0]: r[1] for r in book["封面"].iter_rows(values_only=True) if r and r[0]}
    assert cover["截止时点（日期时间）"] == datetime(2026, 3, 16, 9, 0)
    assert cover["周一"] == datetime.combine(MONDAY, datetime.min.time())
    assert "化解率" in cover and "数据时间" in cover
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "'=HYPERLINK(\"http://x\")" in [c.value for c in cells]
    values = [str(c.value) for c in cells if c.value is not None]
    assert not [v for v in values if "张三丰" in v or "13812345678" in v]
    loop = book["闭环处置"]
    assert loop["B4"].value == 3 and loop["B5"].value == 0.6  # 已解决, 化解率 this week
    assert loop["B5"].number_format == "0.0%"
    overdue = book["超期最久的问题"]
    assert overdue["F2"].value == "上报时间" and isinstance(overdue["F3"].value, datetime)
    assert book["超期最久的问题"].column_dimensions["B"].width > 8


def test_neutral_quotes_what_a_spreadsheet_would_run():
    assert [briefing.neutral(v) for v in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "ok", 3]] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "ok", 3]


def test_the_command_line_writes_both_files(tiny, tmp_path, capsys):
    build_week(tiny)
    out = tmp_path / "briefing"
    assert briefing.main(["--url", tiny.url, "--week", "2026-03-09", "--town", "章水镇",
                          "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["周例会简报_2026-03-09_章水镇.pptx", "周例会简报_2026-03-09_章水镇.xlsx"]
    assert briefing.main(["--url", tiny.url, "--week", "2026-03-10", "--out", str(out)]) == 2
