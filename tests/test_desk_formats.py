"""Numbers on every desk page go through components/format.py: percentages with exactly one
decimal, counts of 1,000 and more with separators (万 from 100,000), in tiles, texts and the
tables' column formats; exports state their filters, data time and definitions."""

import io
import json
import re

import openpyxl
import pandas as pd
import pytest

from components import format as fmt
from components import tables
from tests.test_pages import run

pytestmark = pytest.mark.usefixtures("app_db")

VIEWS = [("app.py", {}), ("pages/2_tickets.py", {}), ("pages/2_tickets.py", {"show": "all"}),
         ("pages/3_visits.py", {}), ("pages/3_visits.py", {"period": "近30天"}),
         *(("pages/4_programmes.py", {"programme": p}) for p in
           ("mountain", "compounds", "open_space", "red_helper", "site_secretary",
            "supervision", "hotline", "direct_line"))]
PERCENT = re.compile(r"\d[\d,]*(?:\.\d+)?%")
BARE_COUNT = re.compile(r"(?<![\d,.\-:/A-Za-z])\d{4,}(?![\d,.\-:/年月日号])")


def _words(at) -> list[str]:
    elements = (*at.metric, *at.markdown, *at.caption, *at.info, *at.subheader)
    texts = [str(getattr(e, "value", "")) for e in elements]
    return [t for t in texts if not t.lstrip().startswith("<style")]  # the frame's CSS


@pytest.mark.parametrize("script,query", VIEWS, ids=lambda x: x if isinstance(x, str) else
                         "&".join(f"{k}={v}" for k, v in x.items()))
def test_every_percentage_has_one_decimal_and_counts_have_separators(script, query):
    at = run(script, **query)
    assert not at.exception, [e.value for e in at.exception]
    for text in _words(at):
        for pct in PERCENT.findall(text):
            assert re.fullmatch(r"\d{1,3}\.\d%", pct), (pct, text)
        # dates, years and the hotline's name are not counts
        years = re.sub(r"(19|20)\d\d(年|-\d\d)|81890", "", text)
        assert not BARE_COUNT.findall(years), (BARE_COUNT.findall(years), text)
    for tile in at.metric:
        assert tile.value == fmt.NOTHING or re.fullmatch(
            r"-?[\d,]+(\.\d万)?|\d{1,3}\.\d%|\d+ 大类 \d+ 项|[\d,.]+ 天|本期无数据|[\u4e00-\u9fff]+",
            tile.value), (tile.label, tile.value)


def test_table_columns_of_rates_show_one_decimal_on_0_to_100_values():
    at = run("app.py")
    table = next(d for d in at.dataframe if "resolution_rate" in d.value.columns)
    configs = json.loads(table.proto.columns)
    assert configs["resolution_rate"]["type_config"]["format"] == "%.1f%%"
    assert table.value["resolution_rate"].between(0, 100).all()
    assert table.value["resolution_rate"].max() > 1  # scaled, not 0–1
    assert configs["collected"]["type_config"]["format"] == "localized"


def test_overview_ranks_towns_by_resolution_rate_worst_first():
    from tests.test_pages import chart_data

    at = run("app.py")
    chart = next(c for c in at.get("vega_lite_chart") if "rate_text" in chart_data(c))
    towns, spec = chart_data(chart), json.loads(chart.proto.spec)
    order = next(layer["encoding"]["y"]["sort"] for layer in spec["layer"]
                 if isinstance(layer["encoding"]["y"].get("sort"), list))
    rates = towns.set_index("town").loc[order, "resolution_rate"]
    assert rates.is_monotonic_increasing


def test_exports_state_filters_data_time_and_definitions_with_widths_and_dates():
    frame = pd.DataFrame({"编号": ["T1"], "问题": ["路灯不亮"],
                          "上报时间": [pd.Timestamp("2026-11-02 09:30")], "数量": [1234]})
    name = tables.export_name("问题清单", "超期未办结", "章水镇", "民生实事", "2026-01-01至2026-11-27")
    book = openpyxl.load_workbook(io.BytesIO(tables.excel_bytes(
        frame, name, ["筛选条件：民生实事", "数据截至 2026-11-25 16:00"], ["overdue"])))
    assert book.sheetnames[0] == "说明"
    about = [c.value for c in book["说明"]["A"]]
    assert "筛选条件：民生实事" in about and any("超期未办结：" in str(x) for x in about)
    sheet = book[book.sheetnames[1]]
    assert len(sheet.title) <= 31 and name.startswith(sheet.title)
    assert name[len(sheet.title)] == "_"  # cut between words, not inside one
    assert sheet["C2"].number_format == fmt.EXCEL_MOMENT and sheet["D2"].number_format == "#,##0"
    assert sheet.column_dimensions["B"].width >= 10
    csv = tables.csv_bytes(frame, ["筛选条件：民生实事"], ["overdue"]).decode("utf-8-sig")
    assert csv.startswith("# 筛选条件：民生实事\n# 指标口径：\n# 超期未办结：")
