"""The meeting's agenda as tables: the same steps on the page, the presenter screens, the
slides and the workbook.

Each table keeps typed values (numbers, rates 0–1, datetimes) under Chinese headers with the
kind of each column, so the workbook keeps numbers and dates as such while the screen and
the slides show `text(table)`, formatted by components.format. Citizen fields are masked here
(format.mask_name / mask_phone), once, for every output. No Streamlit.
"""

from dataclasses import dataclass, field

import pandas as pd

from components import format as fmt
from data_access import figures, meeting
from data_access import glossary as g
from data_access.meeting import Meeting

NO_ROWS = "本周无"


@dataclass(frozen=True)
class Table:
    """One table of the agenda: `frame` under Chinese headers; `kinds` says how each column
    is shown: text, count, rate, points (a change of a rate), signed (a change of a count),
    days, moment, day."""

    name: str  # the sheet's name
    title: str
    frame: pd.DataFrame
    kinds: dict[str, str]
    note: str = ""
    row_kinds: list[str] | None = None  # comparison tables: count or rate, row by row
    empty: str = ""  # what an empty table says (default: 本周无<title>)

    def nothing(self) -> str:
        return self.empty or f"{NO_ROWS}{self.title}"


@dataclass(frozen=True)
class Step:
    """One agenda item: one presenter screen, one slide."""

    key: str
    title: str
    tables: list[Table]
    codes: list[str] = field(default_factory=list)  # registry figures it shows
    chart: str | None = None  # "comparison" | "board:<board key>"


def _value(kind: str, x) -> str:
    if kind == "count":
        return fmt.count(x)
    if kind == "rate":
        return fmt.pct(x)
    if kind == "points":
        return "持平" if x == 0 else fmt.points(x)
    if kind == "signed":
        return "持平" if x == 0 else fmt.signed(x)
    if kind == "days":
        return fmt.days(x)
    if kind == "moment":
        return fmt.moment(x)
    if kind == "day":
        return fmt.day(x)
    return fmt.NOTHING if x is None or (isinstance(x, float) and pd.isna(x)) else str(x)


def text(table: Table) -> pd.DataFrame:
    """The table as the screen and the slides show it: every cell a formatted string."""
    return pd.DataFrame({c: [_value(table.kinds.get(c, "text"), x) for x in table.frame[c]]
                         for c in table.frame.columns})


def _figure_kind(code: str) -> str:
    return "rate" if figures.FIGURES[code].is_rate else "count"


def comparison_table(comparison: pd.DataFrame, codes: list[str], title: str,
                     name: str) -> Table:
    rows = comparison.set_index("code").loc[codes]
    out = []
    for code, r in rows.iterrows():
        kind = _figure_kind(code)
        out.append({"指标": r["label"], "本周": r["this_week"], "上周": r["last_week"],
                    "较上周": r["change"], "活动以来": r["campaign"], "_kind": kind})
    frame = pd.DataFrame(out)
    # one column holds counts and rates: each row is shown by its figure's kind
    return Table(name, title, frame.drop(columns="_kind"), {"指标": "text"},
                 row_kinds=frame["_kind"].tolist())


def comparison_text(table: Table) -> pd.DataFrame:
    """A comparison table's text: each row formatted by its figure's kind."""
    out = []
    for kind, (_, r) in zip(table.row_kinds, table.frame.iterrows()):
        change = "points" if kind == "rate" else "signed"
        out.append({"指标": r["指标"], "本周": _value(kind, r["本周"]),
                    "上周": _value(kind, r["上周"]),
                    "较上周": _value(change, r["较上周"]) if pd.notna(r["较上周"]) else fmt.NOTHING,
                    "活动以来": _value(kind, r["活动以来"])})
    return pd.DataFrame(out, columns=["指标", "本周", "上周", "较上周", "活动以来"])


def shown(table: Table) -> pd.DataFrame:
    """Any agenda table as text (comparison tables format per row)."""
    return comparison_text(table) if table.row_kinds else text(table)


def board_table(frame: pd.DataFrame, by: str, code: str) -> Table:
    label = figures.label(code)
    kind = _figure_kind(code)
    base = figures.FIGURES[code].denominator
    out = pd.DataFrame({
        "榜单": frame["board"].map({"red": "红榜", "black": "黑榜"}),
        "名次": frame["rank"].astype("int64"),
        meeting.DIMENSION_LABELS[by]: frame["name"],
        label: frame["value"],
        "较上周": frame["change"],
        figures.label(base) if base else "基数": frame["base"].astype("int64"),
    })
    kinds = {label: kind, "较上周": "points" if kind == "rate" else "signed",
             "名次": "count", out.columns[-1]: "count"}
    return Table(f"红黑榜_{meeting.DIMENSION_LABELS[by]}_{label}",
                 meeting.board_title(by, code), out, kinds, note=meeting.board_rule(code),
                 empty="本周没有单位达到排名基数，不排名。")


def _masked_citizens(frame: pd.DataFrame) -> dict:
    return {"反映人": frame["reporter_name"].map(fmt.mask_name),
            "联系电话": frame["reporter_phone"].map(fmt.mask_phone)}


def overdue_table(frame: pd.DataFrame) -> Table:
    out = pd.DataFrame({
        "编号": frame["id"], "问题": frame["title"],
        "类别": frame["category"].map(lambda c: g.label(g.CATEGORIES, c)),
        "镇(乡)街道": frame["town"], "责任部门": frame["department"],
        "上报时间": frame["reported_at"], "办理时限": frame["due_at"],
        "超期天数": frame["overdue_days"], **_masked_citizens(frame)})
    return Table("超期最久的问题", f"超期最久的问题（前 {meeting.LONGEST_OVERDUE} 件）", out,
                 {"上报时间": "moment", "办理时限": "moment", "超期天数": "days"})


def week_events_table(frame: pd.DataFrame, name: str, title: str, when: str) -> Table:
    out = pd.DataFrame({
        "编号": frame["id"], "问题": frame["title"],
        "类别": frame["category"].map(lambda c: g.label(g.CATEGORIES, c)),
        "镇(乡)街道": frame["town"], "责任部门": frame["department"],
        when: frame["event_at"], "上报时间": frame["reported_at"],
        "办理时限": frame["due_at"], **_masked_citizens(frame)})
    return Table(name, title, out, {when: "moment", "上报时间": "moment", "办理时限": "moment"})


WEEKS_IN_WORDS = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 8: "八"}


def officers_title(m: Meeting) -> str:
    """The warning list's heading: the period it judges, the line, the order."""
    period = meeting.warning_filters(m.f)
    weeks = WEEKS_IN_WORDS.get(meeting.WARNING_WEEKS, str(meeting.WARNING_WEEKS))
    return (f"近{weeks}周（{fmt.day(period.start)} 至 {fmt.day(period.end)}）走访覆盖率低于"
            f"预警线（{meeting.COVERAGE_WARNING:.0%}）的干部，覆盖率低者在前")


def officers_table(frame: pd.DataFrame, title: str) -> Table:
    out = pd.DataFrame({
        "干部": frame["officer"], "层级": frame["level"].map(lambda c: g.label(g.LEVELS, c)),
        "部门": frame["department"], "镇(乡)街道": frame["town"],
        figures.label("assigned"): frame["assigned"],
        figures.label("visited"): frame["visited"],
        figures.label("coverage_rate"): frame["coverage_rate"]})
    return Table("低于预警线的干部", title, out,
                 {figures.label("assigned"): "count", figures.label("visited"): "count",
                  figures.label("coverage_rate"): "rate"})


def supervision_table(frame: pd.DataFrame) -> Table:
    out = pd.DataFrame({
        "编号": frame["code"], "监督事项": frame["title"],
        "重点": frame["focus"].map(lambda c: g.label(g.SUPERVISION_FOCUS, c)),
        "责任单位": frame["owner"],
        "状态": frame["status"].map(lambda c: g.label(g.SUPERVISION_STATUS, c)),
        "时限": frame["deadline"], "剩余天数": frame["days_left"],
        "逾期": frame["overdue"].map({True: "是", False: ""})})
    return Table("监督问效到期事项", "监督问效：已逾期及下周内到期的事项", out,
                 {"时限": "day", "剩余天数": "count"},
                 note="事项状态为当前登记的状态（监督事项不保留历史）。")


def _board_chart(boards: dict[str, pd.DataFrame], keys: list[str]) -> str | None:
    """The chart of a dimension's step: its first board with units ranked (none: no chart)."""
    return next((f"board:{key}" for key in keys if not boards[key].empty), None)


def agenda(m: Meeting, comparison: pd.DataFrame | None = None,
           boards: dict[str, pd.DataFrame] | None = None) -> list[Step]:
    """The meeting's agenda in order. `comparison` and `boards` replace the live ones when a
    stored snapshot is shown."""
    comparison = m.comparison if comparison is None else comparison
    boards = m.boards if boards is None else boards
    by_dimension: dict[str, list[tuple[str, Table]]] = {}
    for by, code in meeting.BOARDS:
        key = meeting.board_key(by, code)
        by_dimension.setdefault(by, []).append((key, board_table(boards[key], by, code)))
    return [
        Step("loop", "闭环处置：本周 · 上周 · 活动以来",
             [comparison_table(comparison, meeting.LOOP, "闭环处置", "闭环处置")],
             meeting.LOOP, "comparison"),
        Step("visits", "走访情况：本周 · 上周 · 活动以来",
             [comparison_table(comparison, meeting.VISITS, "走访", "走访"),
              officers_table(m.officers_below, officers_title(m))],
             meeting.VISITS + ["assigned", "visited"]),
        *(Step(f"board_{by}", f"红黑榜 · {meeting.DIMENSION_LABELS[by]}",
               [table for _, table in pairs], [c for b, c in meeting.BOARDS if b == by],
               _board_chart(boards, [key for key, _ in pairs]))
          for by, pairs in by_dimension.items()),
        Step("overdue", "超期最久的问题", [overdue_table(m.longest_overdue)], ["overdue"]),
        Step("supervised", "本周新增督办与重办", [
            week_events_table(m.new_supervised, "本周新增督办", "本周新增督办的问题", "督办时间"),
            week_events_table(m.reopened, "本周重办", "本周被重办的问题", "重办时间")],
            ["supervised", "reopened"]),
        Step("supervision", "监督问效到期事项", [supervision_table(m.supervision_due)],
             ["supervision_overdue"]),
    ]


def agenda_codes(steps: list[Step]) -> list[str]:
    """Every registry figure the agenda shows, once, in order (for the 指标口径)."""
    return list(dict.fromkeys(c for s in steps for c in s.codes))


def scope_text(m: Meeting, town_names: dict[str, str]) -> str:
    return town_names.get(m.f.town_code, "海曙区（全区）") if m.f.town_code else "海曙区（全区）"


def period_text(m: Meeting) -> str:
    return f"{fmt.day(m.f.start)} 至 {fmt.day(m.f.end)}"
