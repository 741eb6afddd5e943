"""Number, percentage and date formatting for the screen, one way everywhere: counts with
thousands separators (万 from 100,000), percentages with one decimal, rates per 1,000 with
one decimal, days and times in Asia/Shanghai. Tiles, tables (their column formats below),
charts (the Altair formats below) and exports all take their formats from here."""

import re

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


# --- masking citizens: names, phone numbers, the events they take part in ------------------
# A number keeps at most its last KEEP_DIGITS digits, and only when it is long enough that
# they do not give it away (a 5-digit short number is masked whole).
KEEP_DIGITS = 4
KEEP_FROM_DIGITS = 7
_NUMBER = re.compile(r"\+?\d[\d\s()\-]*\d|\d")  # one number: digits, spaces, dashes, brackets
_PHONE_SEPARATORS = set(" \t-()+/,;，；、")
_PHONE_LIKE = re.compile(r"\+?\d[\d\s\-]{5,}\d")  # 7+ characters of digits: a phone in text
CITIZEN_EVENTS = {"evaluated", "reopened"}  # the ticket events whose actor is the citizen


def _mask_number(number: str) -> str:
    digits = sum(ch.isdigit() for ch in number)
    keep = KEEP_DIGITS if digits >= KEEP_FROM_DIGITS else 0
    out, seen = [], 0
    for ch in number:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > digits - keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_name(name: str | None) -> str:
    """Citizen names are masked: 张伟 → 张*, 欧阳娜娜 → 欧***, 张 → *."""
    if _missing(name) or not str(name).strip():
        return NOTHING
    name = str(name).strip()
    return "*" if len(name) == 1 else name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str:
    """Every number in the field keeps at most its last 4 digits (none when it has fewer
    than 7): 13812345678 → *******5678, 0574-87654321 → ****-****4321, 87654321 →
    ****4321, 7654321 → ***4321, 96345 → *****; several numbers are masked one by one;
    any other character that is not a separator is masked too."""
    if _missing(phone) or not str(phone).strip():
        return NOTHING
    text = _NUMBER.sub(lambda m: _mask_number(m.group()), str(phone))
    return "".join(ch if ch.isdigit() or ch in "*" or ch in _PHONE_SEPARATORS else "*"
                   for ch in text)


def mask_text(text):
    """Free text written by citizens (a ticket's title) with every phone-like number in it
    masked as mask_phone masks it."""
    if _missing(text):
        return text
    return _PHONE_LIKE.sub(lambda m: _mask_number(m.group()), str(text))


def mask_actor(stage: str, actor):
    """The actor of a ticket event: a citizen's name for CITIZEN_EVENTS (masked), else the
    unit that acted (shown)."""
    return mask_name(actor) if stage in CITIZEN_EVENTS else actor


def mask_history(history: pd.DataFrame) -> pd.DataFrame:
    """fetch_history's frame with the citizens' names among the actors masked."""
    return history.assign(actor=[mask_actor(s, a) for s, a in
                                 zip(history["stage"], history["actor"])])


# --- text from the URL or the data inside Markdown (st.warning, st.info, captions, …) -------
_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
# GitHub-flavoured Markdown turns bare URLs and e-mail addresses into links after escapes
# are resolved: a zero-width space (invisible) breaks "://", "www." and "@" apart.
_AUTOLINK = re.compile(r"(?i)(://|www\.|@)")
ZERO_WIDTH = "\u200b"


def _unlinked(value) -> str:
    text = "" if _missing(value) else " ".join(str(value).split())
    return _AUTOLINK.sub(lambda m: m.group()[0] + ZERO_WIDTH + m.group()[1:], text)


def md_text(value) -> str:
    """`value` as literal text inside Markdown: every ASCII punctuation character escaped
    (so no link, image, HTML, emphasis, colour or LaTeX can form), bare URLs and e-mail
    addresses broken by an invisible space (so no autolink forms), line breaks as spaces."""
    return _MD_PUNCTUATION.sub(r"\\\1", _unlinked(value))


def md_literal(value) -> str:
    """`value` quoted as literal text inside Markdown: “…”."""
    return f"“{md_text(value)}”"


def html_text(value) -> str:
    """`value` as literal text inside Markdown that allows HTML (unsafe_allow_html): every
    ASCII punctuation character as a numeric entity, so neither a tag nor Markdown forms."""
    return _MD_PUNCTUATION.sub(lambda m: f"&#{ord(m.group())};", _unlinked(value))


# A cell beginning with one of these is run as a formula by spreadsheet programs (CSV and
# Excel injection); such a cell is written with a leading apostrophe, i.e. as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def inert_cell(value):
    """A text cell that a spreadsheet would run, as text ('=1+1 → '\'=1+1'); other values
    unchanged. Every export (tables, the briefing) writes its cells through this."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
