"""Number, percentage and date formatting for the screen, one way everywhere: counts with
thousands separators (万 from 100,000), percentages with one decimal, rates per 1,000 with
one decimal, days and times in Asia/Shanghai. Tiles, tables (their column formats below),
charts (the Altair formats below) and exports all take their formats from here."""

import pandas as pd

from data_access.filters import local_now as now_local  # noqa: F401  (pages format "now")

NOTHING = "—"


def _missing(x) -> bool:
    """None, NaN and NaT: nothing to show."""
    return x is None or (not isinstance(x, (str, list, tuple)) and bool(pd.isna(x)))


def count(n) -> str:
    """1337 → '1,337'; 412386 → '41.2万'."""
    if _missing(n):
        return NOTHING
    n = int(n)
    return f"{n / 10_000:.1f}万" if abs(n) >= 100_000 else f"{n:,}"


def pct(rate, digits: int = 1) -> str:
    """0.8743 → '87.4%'."""
    return NOTHING if _missing(rate) else f"{rate * 100:.{digits}f}%"


def per_1k(rate) -> str:
    """A rate per 1,000 residents: 12.345 → '12.3‰'."""
    return NOTHING if _missing(rate) else f"{rate:,.1f}‰"


def days(n) -> str:
    """A duration in days, one decimal: 2.25 → '2.3 天'."""
    return NOTHING if _missing(n) else f"{n:,.1f} 天"


def hours_as_days(h) -> str:
    """A duration given in hours, as days with the hours beside: 54 → '2.3 天（54 小时）'."""
    return NOTHING if _missing(h) else f"{h / 24:,.1f} 天（{h:,.0f} 小时）"


def score(x) -> str:
    """An evaluation score of 1–5: 4 → '4 分'; none → '未评价'."""
    return "未评价" if _missing(x) else f"{x:.0f} 分"


def flag(x, yes: str = "是", no: str = "否") -> str:
    """A yes/no value in words."""
    return NOTHING if _missing(x) else (yes if x else no)


# The same formats for the other renderers: st.dataframe column configs (printf, with rates
# shown as 0–100 values, see tables.figure_columns), Altair (d3-format) and Excel.
TABLE_COUNT = "localized"  # 1,817
TABLE_PCT = "%.1f%%"  # on a 0–100 value: 82.857 → 82.9%
TABLE_PER_1K = "%.1f‰"
TABLE_MOMENT = "YYYY-MM-DD HH:mm"
CHART_COUNT = ",d"
CHART_PCT = ".1%"  # on a 0–1 value
CHART_AXIS_PCT = ".0%"
CHART_DAY = "%Y-%m-%d"
EXCEL_COUNT = "#,##0"
EXCEL_PCT = "0.0%"
EXCEL_DECIMAL = "#,##0.0"
EXCEL_DAY = "yyyy-mm-dd"
EXCEL_MOMENT = "yyyy-mm-dd hh:mm"


def signed(n) -> str:
    return NOTHING if _missing(n) else f"{int(n):+,}"


def points(rate_delta) -> str:
    """A change of a rate, in percentage points: 0.021 → '+2.1个百分点'."""
    return NOTHING if _missing(rate_delta) else f"{rate_delta * 100:+.1f}个百分点"


def day(d) -> str:
    return NOTHING if _missing(d) else f"{d:%Y-%m-%d}"


def moment(t) -> str:
    return NOTHING if _missing(t) else f"{t:%Y-%m-%d %H:%M}"


def mask_name(name: str | None) -> str:
    """Citizen names are masked: 张伟 → 张*, 欧阳娜娜 → 欧***."""
    if not name:
        return NOTHING
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str:
    """13812345678 → 138****5678."""
    if not phone:
        return NOTHING
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
