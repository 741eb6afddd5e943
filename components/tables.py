"""Tables of records for the screen and for download: labels from the glossary, citizens
masked, CSV and Excel exports."""

import io

import pandas as pd
import streamlit as st

from components import format as fmt
from data_access import figures
from data_access import glossary as g

TICKET_COLUMNS = {
    "id": "编号", "title": "问题", "category": "类别", "source": "来源渠道", "town": "镇(乡)街道",
    "grid_cell": "网格", "department": "责任部门", "task_force": "工作专班", "status": "当前环节",
    "reported_at": "上报时间", "due_at": "办理时限", "overdue": "超期", "satisfaction": "评价分",
    "reporter_name": "反映人", "reporter_phone": "联系电话",
}


def ticket_view(tickets: pd.DataFrame) -> pd.DataFrame:
    """fetch_tickets' frame as the screen shows it: Chinese words, masked citizens."""
    view = tickets.assign(
        category=tickets["category"].map(lambda c: g.label(g.CATEGORIES, c)),
        source=tickets["source"].map(lambda c: g.label(g.SOURCES, c)),
        task_force=tickets["task_force"].map(
            lambda c: g.label(g.TASK_FORCES, c) if isinstance(c, str) else ""),
        status=tickets["status"].map(lambda c: g.label(g.ALL_EVENTS, c)),
        overdue=tickets["overdue"].map({True: "是", False: ""}),
        reporter_name=tickets["reporter_name"].map(fmt.mask_name),
        reporter_phone=tickets["reporter_phone"].map(fmt.mask_phone),
    )
    return view[list(TICKET_COLUMNS)].rename(columns=TICKET_COLUMNS)


def excel_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()


def downloads(frame: pd.DataFrame, name: str, key: str) -> None:
    """CSV (UTF-8 with BOM, so Excel opens Chinese right) and Excel buttons side by side."""
    left, right, _ = st.columns([1, 1, 4])
    left.download_button("下载 CSV", frame.to_csv(index=False).encode("utf-8-sig"),
                         file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv",
                         icon=":material/download:")
    right.download_button("下载 Excel", excel_bytes(frame, name), file_name=f"{name}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}_xlsx", icon=":material/download:")


def figure_columns(codes) -> dict:
    """st.dataframe column configs for columns named by registry figures or glossary columns:
    the label from the registry (or glossary), rates as bars from 0 to 100%."""
    configs = {}
    for code in codes:
        label = figures.column_label(code)
        if code in figures.FIGURES and figures.FIGURES[code].is_rate:
            configs[code] = st.column_config.ProgressColumn(label, min_value=0, max_value=1,
                                                            format="percent")
        elif code in figures.FIGURES or code == "population":
            configs[code] = st.column_config.NumberColumn(label, format="localized")
        else:
            configs[code] = label
    return configs
