"""The weekly meeting's briefing: a PowerPoint deck (one slide per agenda item, charts as
images) and an Excel workbook (a cover sheet, then a sheet per table), both carrying the
cut-off and the definitions of their figures, citizens masked, no live formulas.

    python -m reports.briefing --week 2026-11-16 [--cutoff ISO] [--town NAME] --out DIR [--url URL]

writes 周例会简报_<week>_<scope>.pptx and .xlsx into DIR (for a scheduled job); the meeting
page offers the same files for download. No Streamlit.
"""

import argparse
import io
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from components import format as fmt
from data_access import db, figures, freshness, meeting, places
from data_access.meeting import Meeting
from reports import charts, views

FONT = "Noto Sans CJK SC"  # Latin and East Asian face of every run
SLIDE_ROWS = {1: 10, 2: 7}  # table rows a slide shows, by tables on it; the workbook has all
DARK, GREY, ACCENT = RGBColor(0x1B, 0x2A, 0x3A), RGBColor(0x6B, 0x7A, 0x8C), RGBColor(0x1F, 0x6F, 0xB2)


@dataclass(frozen=True)
class About:
    """What the briefing says about itself: scope, cut-off, data time, stored or live."""

    title: str
    scope: str
    period: str
    cutoff: datetime
    data_time: datetime | None
    source: str  # "实时计算" or "存档（…存档）"
    made_at: datetime

    def lines(self) -> list[tuple[str, str]]:
        return [("会议", self.title), ("周次", self.period), ("范围", self.scope),
                ("截止时点", f"{fmt.moment(self.cutoff)}（此后发生的事项不计入）"),
                ("数据时间", f"数据截至 {fmt.moment(self.data_time)}" if self.data_time
                 else "数据时间未知"),
                ("数字来源", self.source), ("生成时间", fmt.moment(self.made_at))]


def about(m: Meeting, town_names: dict[str, str], data_time: datetime | None,
          source: str = "实时计算", made_at: datetime | None = None) -> About:
    return About(f"“三服务”周例会 · {views.period_text(m)}", views.scope_text(m, town_names),
                 views.period_text(m), m.cutoff, data_time, source,
                 made_at or fmt.now_local())


def file_stem(m: Meeting, town_names: dict[str, str]) -> str:
    scope = town_names.get(m.f.town_code, "全区") if m.f.town_code else "全区"
    return f"周例会简报_{m.f.start:%Y-%m-%d}_{scope}"


# --- PowerPoint -------------------------------------------------------------------------------

def _run_font(run, size: float, bold: bool = False, colour: RGBColor = DARK) -> None:
    """Latin and East Asian typeface (python-pptx's font.name sets only the Latin one)."""
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = colour
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        node = rpr.find(qn(tag))
        if node is None:
            node = rpr.makeelement(qn(tag), {})
            rpr.append(node)
        node.set("typeface", FONT)


def _text(slide, text: str, left, top, width, height, size: float, bold=False,
          colour=DARK) -> None:
    frame = slide.shapes.add_textbox(left, top, width, height).text_frame
    frame.word_wrap = True
    for i, line in enumerate(str(text).split("\n")):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = line
        _run_font(run, size, bold, colour)


def _table(slide, shown: pd.DataFrame, left, top, width, row_height: int, size: float,
           rows: int) -> int:
    """A native table of the first `rows` rows of strings; returns its height in EMU."""
    rows = min(len(shown), rows)
    shape = slide.shapes.add_table(rows + 1, len(shown.columns), left, top, width,
                                   row_height * (rows + 1))
    table = shape.table
    weights = [max(4, _width(column), *(_width(v) for v in shown[column].head(rows)))
               for column in shown.columns]  # columns as wide as their text needs
    for j, weight in enumerate(weights):
        table.columns[j].width = int(width * weight / sum(weights))
    for j, column in enumerate(shown.columns):
        cells = [column, *shown[column].head(rows)]
        for i, value in enumerate(cells):
            cell = table.cell(i, j)
            cell.text = ""
            run = cell.text_frame.paragraphs[0].add_run()
            run.text = str(value)
            _run_font(run, size, bold=i == 0, colour=RGBColor(0xFF, 0xFF, 0xFF) if i == 0
                      else DARK)
            cell.margin_left = cell.margin_right = Inches(0.05)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
    return row_height * (rows + 1)


def _slide(deck, title: str, info: About):
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    _text(slide, title, Inches(0.5), Inches(0.3), Inches(12.3), Inches(0.7), 26, bold=True)
    _text(slide, f"{info.scope} · {info.period} · 截止 {fmt.moment(info.cutoff)} · "
                 f"{info.source}", Inches(0.5), Inches(0.95), Inches(12.3), Inches(0.4), 13,
          colour=GREY)
    _text(slide, "指标口径见末页；群众信息已脱敏。", Inches(0.5), Inches(7.0), Inches(12.3),
          Inches(0.35), 10, colour=GREY)
    return slide


def _chart_image(step: views.Step, comparison: pd.DataFrame,
                 boards: dict[str, pd.DataFrame]) -> bytes | None:
    if step.chart == "comparison":
        return charts.png(charts.comparison(comparison))
    if step.chart and step.chart.startswith("board:"):
        key = step.chart.removeprefix("board:")
        frame = boards[key]
        return None if frame.empty else charts.png(charts.board(frame, key.split(":")[1]))
    return None


def deck_bytes(m: Meeting, info: About, comparison: pd.DataFrame | None = None,
               boards: dict[str, pd.DataFrame] | None = None) -> bytes:
    """The deck: a title slide, one slide per agenda item, the definitions last."""
    comparison = m.comparison if comparison is None else comparison
    boards = m.boards if boards is None else boards
    steps = views.agenda(m, comparison, boards)
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    cover = deck.slides.add_slide(deck.slide_layouts[6])
    _text(cover, "海曙区“三服务”周例会", Inches(0.8), Inches(2.0), Inches(11.7), Inches(1.0), 40,
          bold=True)
    _text(cover, "\n".join(f"{k}：{v}" for k, v in info.lines()[1:]), Inches(0.8),
          Inches(3.3), Inches(11.7), Inches(3.0), 18, colour=GREY)
    for step in steps:
        slide = _slide(deck, step.title, info)
        image = _chart_image(step, comparison, boards)
        table_width = Inches(7.4) if image else Inches(12.3)
        top = Inches(1.5)
        limit = SLIDE_ROWS[len(step.tables)]
        lines = sum(min(len(t.frame), limit) + 1 for t in step.tables)
        captions = Inches(0.6) * len(step.tables) if len(step.tables) > 1 else Inches(0.3)
        captions += Inches(0.3) * sum(1 for t in step.tables if t.note)
        row_height = min(Inches(0.36), int((Inches(5.4) - captions) / max(lines, 1)))
        small = row_height < Inches(0.33)  # text that fits the row (11 pt needs ~0.28 in)
        for table in step.tables:
            shown = views.shown(table)
            if len(step.tables) > 1:
                _text(slide, table.title, Inches(0.5), top, table_width, Inches(0.4), 14,
                      bold=True, colour=ACCENT)
                top += Inches(0.42)
            if shown.empty:
                _text(slide, table.nothing(), Inches(0.5), top, table_width,
                      Inches(0.4), 14, colour=GREY)
                top += Inches(0.5)
            else:
                size = 9 if len(shown.columns) > 6 else 11 if small else 12
                top += _table(slide, shown, Inches(0.5), top, table_width, row_height, size,
                              limit)
                if len(shown) > limit:
                    _text(slide, f"另有 {len(shown) - limit} 条，见 Excel 表“{table.name}”",
                          Inches(0.5), top, table_width, Inches(0.3), 10, colour=GREY)
                    top += Inches(0.3)
            if table.note:  # e.g. the boards' minimum base
                _text(slide, table.note, Inches(0.5), top, table_width, Inches(0.3), 10,
                      colour=GREY)
                top += Inches(0.3)
            top += Inches(0.15)
        if image:
            slide.shapes.add_picture(io.BytesIO(image), Inches(8.2), Inches(1.6),
                                     width=Inches(4.7))
    last = _slide(deck, "指标口径", info)
    _text(last, "\n".join(f"{figures.label(c)}：{figures.definition(c)}"
                          for c in views.agenda_codes(steps)),
          Inches(0.5), Inches(1.5), Inches(12.3), Inches(5.4), 12)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


# --- Excel ------------------------------------------------------------------------------------

EXCEL_FORMATS = {"count": fmt.EXCEL_COUNT, "rate": fmt.EXCEL_PCT, "points": "+0.0%;-0.0%;0.0%",
                 "signed": "+#,##0;-#,##0;0", "days": fmt.EXCEL_DECIMAL,
                 "moment": fmt.EXCEL_MOMENT, "day": fmt.EXCEL_DAY}


neutral = fmt.inert_cell  # a cell no spreadsheet runs as a formula


def _width(value) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _cell_value(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return neutral(value)


def _sheet(wb: Workbook, table: views.Table) -> None:
    ws = wb.create_sheet(table.name[:31])
    ws.append([table.title])
    ws["A1"].font = Font(bold=True, size=13)
    columns = list(table.frame.columns)
    ws.append(columns)
    for cell in ws[2]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1B2A3A")
    for i, record in enumerate(table.frame.itertuples(index=False)):
        ws.append([_cell_value(v) for v in record])
        for j, column in enumerate(columns, start=1):
            kind = table.kinds.get(column)
            if table.row_kinds and column not in ("指标",):
                kind = table.row_kinds[i]
                if column == "较上周":
                    kind = "points" if kind == "rate" else "signed"
            if kind in EXCEL_FORMATS:
                ws.cell(row=i + 3, column=j).number_format = EXCEL_FORMATS[kind]
    if table.frame.empty:
        ws.append([table.nothing()])
    if table.note:
        ws.append([table.note])
    for j, column in enumerate(columns, start=1):
        longest = max([_width(column), *(_width(views._value(table.kinds.get(column, "text"), v))
                                         for v in table.frame[column].head(500))])
        ws.column_dimensions[ws.cell(row=2, column=j).column_letter].width = min(60, longest + 3)
    ws.freeze_panes = "A3"


def workbook_bytes(m: Meeting, info: About, comparison: pd.DataFrame | None = None,
                   boards: dict[str, pd.DataFrame] | None = None,
                   filters_text: str = "") -> bytes:
    """The workbook: 封面 (week, cut-off, filters, data time, definitions), then each table."""
    steps = views.agenda(m, comparison, boards)
    wb = Workbook()
    cover = wb.active
    cover.title = "封面"
    cover.append(["海曙区“三服务”周例会"])
    cover["A1"].font = Font(bold=True, size=15)
    for key, value in info.lines():
        cover.append([key, neutral(value)])
    cover.append(["筛选条件", neutral(filters_text or f"{info.scope}；全部类别、来源、部门与专班")])
    cover.append(["周一", m.f.start])
    cover["B" + str(cover.max_row)].number_format = fmt.EXCEL_DAY
    cover.append(["截止时点（日期时间）", m.cutoff])
    cover["B" + str(cover.max_row)].number_format = fmt.EXCEL_MOMENT
    cover.append([])
    cover.append(["指标口径"])
    cover["A" + str(cover.max_row)].font = Font(bold=True)
    for code in views.agenda_codes(steps):
        cover.append([figures.label(code), neutral(figures.definition(code))])
    cover.append([])
    cover.append(["说明", "群众姓名与电话已脱敏；本文件不含公式。"])
    cover.column_dimensions["A"].width = 22
    cover.column_dimensions["B"].width = 100
    for row in cover.iter_rows(min_row=2):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    for step in steps:
        for table in step.tables:
            _sheet(wb, table)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- the command line -------------------------------------------------------------------------

def build(conn, f, made_at: datetime | None = None) -> tuple[str, bytes, bytes]:
    """(file stem, deck, workbook) of the live meeting for the Filters `f`."""
    m = meeting.assemble(conn, f)
    towns = places.list_towns(conn)
    names = dict(zip(towns["town_code"], towns["town"]))
    loaded = freshness.data_time(freshness.fetch_load_times(conn))
    info = about(m, names, loaded, made_at=made_at)
    return file_stem(m, names), deck_bytes(m, info), workbook_bytes(m, info)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.briefing",
                                     description="生成周例会简报（PowerPoint 与 Excel）")
    parser.add_argument("--url", help="数据库地址（默认：驾驶舱配置的数据库）")
    parser.add_argument("--week", required=True, help="该周星期一的日期，如 2026-11-16")
    parser.add_argument("--cutoff", help="截止时点，默认下周一 09:00")
    parser.add_argument("--town", help="镇(乡)街道名称或代码，默认全区")
    parser.add_argument("--out", type=Path, required=True, help="输出目录")
    args = parser.parse_args(argv)
    try:
        engine = db.read_only_engine(args.url or db.configured_url())
    except db.CockpitDatabaseError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        with engine.connect() as conn:
            f = meeting.resolve_view(conn, args.week, args.cutoff, args.town)
            stem, deck, book = build(conn, f)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    args.out.mkdir(parents=True, exist_ok=True)
    for suffix, data in ((".pptx", deck), (".xlsx", book)):
        path = args.out / f"{stem}{suffix}"
        path.write_bytes(data)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

