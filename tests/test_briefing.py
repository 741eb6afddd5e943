"""The briefing on hand-built data: the deck's slides, fonts and images; the workbook's
cover, types and neutralised cells; citizens masked in both; the command line."""

import io
from datetime import datetime

import pandas as pd
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn

from data_access import meeting
from reports import briefing, charts
from tests.test_meeting import MONDAY, WEEK, add_department, build_week


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
    assert len(pictures) == 1  # the loop's chart: no unit has the boards' minimum base
    assert meeting.board_rule("resolution_rate") in text
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


def test_the_boards_are_charted_and_their_minimum_base_said_on_slide_and_sheet(tiny):
    build_week(tiny)
    add_department(tiny, "丁局", 10, 6)  # 章水镇 now has 14 tickets this week, 丁局 10
    with tiny.connect() as conn:
        _, deck_bytes, book_bytes = briefing.build(conn, WEEK)
    deck = Presentation(io.BytesIO(deck_bytes))
    pictures = [s for slide in deck.slides for s in slide.shapes
                if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 3  # the loop's chart, one board per dimension
    text = "\n".join(r.text for r in runs(deck))
    for code in ("resolution_rate", "coverage_rate", "on_time_rate"):
        assert meeting.board_rule(code) in text
    book = load_workbook(io.BytesIO(book_bytes))
    sheet = book["红黑榜_责任部门_化解率"]
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "丁局" in values and meeting.board_rule("resolution_rate") in values


def _layers(spec: dict, mark: str) -> list[dict]:
    return [layer for layer in spec["layer"]
            if (layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"])
            == mark]


BOARD = pd.DataFrame({"board": ["red", "red", "black"], "name": ["甲镇", "乙镇", "丙镇"],
                      "value": [1.0, 0.5, 0.0]})


def test_the_charts_are_drawn_for_their_ground_with_every_value_seen():
    for theme in (charts.DARK, charts.LIGHT):
        spec = charts.board(BOARD, "resolution_rate", theme).to_dict()
        text, = _layers(spec, "text")
        assert text["mark"]["color"] == theme.text
        assert spec["config"]["axis"]["labelColor"] == theme.text
        assert spec["config"]["axis"]["labelLimit"] == 0  # no label cut to "超期未…"
        colours = spec["layer"][0]["encoding"]["color"]["scale"]["range"]
        assert colours == [theme.red, theme.black]
        bars = pd.DataFrame(spec["datasets"][spec["data"]["name"]])
        assert (bars["长"] > 0).all()  # the unit at 0% keeps a visible stub
        assert bars["标注"].tolist() == ["100.0%", "50.0%", "0.0%"]  # and its true value
        assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"][1] > 1  # room for 100.0%
    dark, light = charts.DARK, charts.LIGHT
    assert dark.text != light.text and dark.black != light.black
    # light values on the dark page, dark ones on the white slide
    assert int(dark.text[1:3], 16) > 0xC0 and int(light.text[1:3], 16) < 0x40
    assert int(dark.black[1:3], 16) > 0x80  # 黑榜 stands out from the navy page
    comparison = meeting.comparison_from({"comparison": {
        "collected": {"this_week": 44, "last_week": 46, "campaign": 100},
        "resolved": {"this_week": 11, "last_week": 23, "campaign": 90},
        "overdue": {"this_week": 125, "last_week": 127, "campaign": 125}}})
    spec = charts.comparison(comparison, charts.DARK).to_dict()
    text, = _layers(spec, "text")
    assert text["mark"]["color"] == charts.DARK.text and text["mark"]["baseline"] == "bottom"
    assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"][1] > 127  # labels above bars
    assert spec["config"]["background"] == "transparent"
    assert charts.png(charts.comparison(comparison))[:4] == b"\x89PNG"
