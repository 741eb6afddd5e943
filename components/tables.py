"""Tables of records for the screen and for download: labels from the glossary, citizens
masked, CSV and Excel exports."""

import csv
import io

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from components import format as fmt
from data_access import figures
from data_access import glossary as g

TICKET_COLUMNS = {
    "id": "编号", "title": "问题", "category": "类别", "source": "来源渠道", "town": "镇(乡)街道",
    "grid_cell": "网格", "department": "责任部门", "task_force": "工作专班", "status": "当前环节",
    "reported_at": "上报时间", "due_at": "办理时限", "overdue": "超期", "satisfaction": "评价分",
    "reporter_name": "反映人", "reporter_phone": "联系电话",
}


def ticket_view(tickets: pd.DataFrame, reveal: bool = False) -> pd.DataFrame:
    """fetch_tickets' frame as the screen shows it: Chinese words, masked citizens (unless
    `reveal`: a user allowed to, outside masked modes, asked to see them; auth.may_reveal)."""
    view = tickets.assign(
        category=tickets["category"].map(lambda c: g.label(g.CATEGORIES, c)),
        source=tickets["source"].map(lambda c: g.label(g.SOURCES, c)),
        task_force=tickets["task_force"].map(
            lambda c: g.label(g.TASK_FORCES, c) if isinstance(c, str) else "无"),
        status=tickets["status"].map(lambda c: g.label(g.ALL_EVENTS, c)),
        overdue=tickets["overdue"].map(fmt.flag),
        satisfaction=tickets["satisfaction"].map(fmt.score),
        grid_cell=tickets["grid_cell"].fillna(fmt.NOTHING),
        title=tickets["title"].map(fmt.mask_text),
        reporter_name=tickets["reporter_name"].map(fmt.mask_name),
        reporter_phone=tickets["reporter_phone"].map(fmt.mask_phone),
    )
    if reveal:
        view = view.assign(title=tickets["title"], reporter_name=tickets["reporter_name"],
                           reporter_phone=tickets["reporter_phone"])
    return view[list(TICKET_COLUMNS)].rename(columns=TICKET_COLUMNS)


SHEET_LIMIT = 31  # Excel's limit on a sheet name
inert_cell = fmt.inert_cell  # the one step against formula injection, shared with the briefing


def inert(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell and column name made inert (see inert_cell): the one
    step both exports take."""
    out = frame.rename(columns=lambda c: inert_cell(c) if isinstance(c, str) else c)
    text = [c for c in out.columns if out[c].dtype == object or pd.api.types.is_string_dtype(out[c])]
    return out.assign(**{c: out[c].map(inert_cell) for c in text}) if text else out


def export_name(*parts) -> str:
    """A file name from what an export holds: its subject, then each filter, then the days;
    parts that are empty are left out; characters a file system refuses become '-'."""
    words = [str(p).strip() for p in parts if p is not None and str(p).strip()]
    return "_".join(words).translate(str.maketrans({c: "-" for c in '\\/:*?"<>|'}))


def sheet_name(name: str) -> str:
    """`name` within Excel's 31 characters, cut only between its '_'-joined words."""
    if len(name) <= SHEET_LIMIT:
        return name
    kept = ""
    for word in name.split("_"):
        candidate = f"{kept}_{word}" if kept else word
        if len(candidate) > SHEET_LIMIT:
            break
        kept = candidate
    return kept or name[:SHEET_LIMIT]


def _width(value) -> int:
    """Display width of a cell: CJK characters count twice."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _about(notes: list[str], codes) -> list[str]:
    """The lines that describe an export: its notes (filters, data time), then the
    definitions of its figures from the registry."""
    lines = list(notes)
    codes = [c for c in (codes or []) if c in figures.FIGURES]
    if codes:
        lines.append("指标口径：")
        lines += [f"{figures.FIGURES[c].label}：{figures.FIGURES[c].definition}" for c in codes]
    return lines


def csv_bytes(frame: pd.DataFrame, notes: list[str] = (), codes=()) -> bytes:
    """UTF-8 with BOM (so Excel opens Chinese right); first the '#' lines that state the
    filters, the data time and the definitions, then a blank line, then the table."""
    head = "".join(f"# {line}\n" for line in _about(list(notes), codes))
    # every text cell quoted: a carriage return inside a cell must not end the row
    body = inert(frame).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)
    return ((head + "\n" if head else "") + body).encode("utf-8-sig")


def ticket_columns() -> dict:
    """Column configs of ticket_view on the screen: times to the minute."""
    return {c: st.column_config.DatetimeColumn(c, format=fmt.TABLE_MOMENT)
            for c in (TICKET_COLUMNS["reported_at"], TICKET_COLUMNS["due_at"])}


def excel_bytes(frame: pd.DataFrame, sheet: str, notes: list[str] = (), codes=()) -> bytes:
    """A workbook: the sheet 说明 (filters, data time, definitions), then the table with
    column widths fitted to the text, dates as dates and numbers with separators."""
    buffer = io.BytesIO()
    frame = inert(frame)
    about = [inert_cell(line) for line in _about(list(notes), codes)]
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        if about:
            pd.DataFrame({"说明": about}).to_excel(writer, sheet_name="说明", index=False)
            writer.sheets["说明"].column_dimensions["A"].width = min(
                120, max(_width(x) for x in about) + 2)
        name = sheet_name(sheet)
        frame.to_excel(writer, sheet_name=name, index=False)
        ws = writer.sheets[name]
        for i, column in enumerate(frame.columns, start=1):
            cells = frame[column]
            letter = ws.cell(row=1, column=i).column_letter
            longest = max([_width(column), *(_width(v) for v in cells.head(500))])
            ws.column_dimensions[letter].width = min(60, longest + 2)
            kind = cells.dtype.kind
            number_format = (fmt.EXCEL_MOMENT if kind == "M" else
                             fmt.EXCEL_COUNT if kind in "iu" else
                             fmt.EXCEL_DECIMAL if kind == "f" else None)
            if number_format:
                for row in range(2, len(frame) + 2):
                    ws.cell(row=row, column=i).number_format = number_format
        ws.freeze_panes = "A2"
        for sheet in writer.sheets.values():  # text stays text, whatever it begins with
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        cell.data_type = "s"
    return buffer.getvalue()


def downloads(frame: pd.DataFrame, name: str, key: str, notes: list[str] = (),
              codes=()) -> None:
    """CSV and Excel buttons side by side. `name` (see export_name) names the files and the
    sheet; `notes` (filters, data time) and the definitions of `codes` go into the CSV's
    header lines and the workbook's first sheet. Each file is made when its button is
    clicked, not on every run of the page (a workbook of 2,000 rows takes about 2 s), and
    the click does not rerun the page."""
    left, right, _ = st.columns([1, 1, 4])
    notes = list(notes)  # the files are made later, in another thread: fixed now
    left.download_button("下载 CSV", lambda: csv_bytes(frame, notes, codes),
                         file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv",
                         on_click="ignore", icon=":material/download:")
    right.download_button("下载 Excel", lambda: excel_bytes(frame, name, notes, codes),
                          file_name=f"{name}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}_xlsx", on_click="ignore", icon=":material/download:")


def show(where, frame: pd.DataFrame, empty: str = "本期无数据", **kw):
    """st.dataframe, or a caption saying there is nothing, never an empty grid ("empty");
    `frame` may be a DataFrame or its Styler."""
    if (frame.data if isinstance(frame, Styler) else frame).empty:
        where.caption(empty)
        return None
    return where.dataframe(frame, **kw)


def figure_columns(codes) -> dict:
    """st.dataframe column configs for columns named by registry figures or glossary columns:
    the label from the registry (or glossary); rates as bars with one decimal ("87.4%"),
    which needs the frame's rates as 0–100 (`figure_frame`); counts with separators."""
    configs = {}
    for code in codes:
        label = figures.column_label(code)
        fig = figures.FIGURES.get(code)
        if fig is not None and fig.is_rate:
            configs[code] = st.column_config.ProgressColumn(
                label, min_value=0, max_value=100, format=fmt.TABLE_PCT,
                help=fig.definition)
        elif fig is not None and fig.family == "per_1k":
            configs[code] = st.column_config.NumberColumn(label, format=fmt.TABLE_PER_1K,
                                                          help=fig.definition)
        elif fig is not None or code == "population":
            configs[code] = st.column_config.NumberColumn(
                label, format=fmt.TABLE_COUNT, help=fig.definition if fig else None)
        else:
            configs[code] = label
    return configs


def figure_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its rate columns (registry figures, 0–1) as 0–100, for figure_columns."""
    rates = [c for c in frame.columns if c in figures.FIGURES and figures.FIGURES[c].is_rate]
    return frame.assign(**{c: frame[c] * 100 for c in rates})
