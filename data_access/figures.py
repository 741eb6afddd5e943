"""The registry of figures: every number the cockpit shows, defined once.

Each Figure has its Chinese label, its definition in one Chinese sentence, and the one SQL
expression that computes it: a count is a conditional count over one family of rows
(tickets with their state at `as_of`, visits, assigned pairs, programme records), a rate is
one count divided by another. `headline` computes figures for the filters, `grouped` the
same figures per town, grid cell, category, source, department or 专班: the same
expressions with a GROUP BY. Pages, tiles, tooltips, tables, the map, exports and the 指标
口径 text all take their figures and words from here (`label`, `definition`, `glossary`).
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache

import pandas as pd
from sqlalchemy import (
    Connection,
    Date,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union,
    union_all,
)

from data_access import db, programme_figures, summaries
from data_access import glossary as g
from data_access import schema as s
from data_access import ticket_state as ts
from data_access.filters import Filters
from data_access.result import count_if, fetch, ratio, typed
from data_access.schema import (
    assignments,
    clinic_points,
    grid_cells,
    hotline_daily,
    officers,
    pair_visits,
    targets,
    tickets,
    towns,
    visits,
)
from data_access.workdays import WorkCalendar, load_calendar

SATISFIED_MIN_SCORE = 4
SOON_DUE_WORKDAYS = 3


@dataclass(frozen=True)
class Figure:
    code: str
    label: str
    definition: str
    family: str  # tickets | visits | pairs | clinic | hotline | rate | per_1k
    numerator: str | None = None  # rates: the counts divided
    denominator: str | None = None
    higher_is_better: bool | None = None  # None: neither (a volume)

    @property
    def is_rate(self) -> bool:
        return self.family == "rate"


def _f(code, label, definition, family, num=None, den=None, better=None) -> Figure:
    return Figure(code, label, definition, family, num, den, better)


FIGURES: dict[str, Figure] = {f.code: f for f in [
    # the closed loop, on the tickets reported in the period
    _f("collected", "收集问题", "本期上报的问题数（可报）。", "tickets"),
    _f("resolved", "已解决", "本期上报的问题中，截至统计时点已办结、且最后一次办结后未被重办的问题数。",
       "tickets", better=True),
    _f("resolution_rate", "化解率", "已解决 ÷ 收集问题：本期上报的问题中已解决的比例。", "rate",
       "resolved", "collected", True),
    _f("dispatched", "已派单", "本期上报的问题中，截至统计时点已派单（退单后须重新派单）的问题数。",
       "tickets"),
    _f("accepted", "已接单", "本期上报的问题中，截至统计时点已由承办单位接单（最后一次退单之后）的问题数。",
       "tickets"),
    _f("completion_rate", "办结率", "已解决 ÷ 已接单：承办单位接单的问题中已解决的比例。", "rate",
       "resolved", "accepted", True),
    _f("signed_off", "已销号", "本期上报的问题中，已解决且在最后一次办结后经对账销号的问题数。",
       "tickets"),
    _f("evaluated", "已评价", "本期上报的问题中，已解决且在最后一次办结后由服务对象评价打分的问题数（可评）。",
       "tickets"),
    _f("on_time", "按时办结", "本期上报的问题中，已解决且最后一次办结不晚于办理时限（按工作日计）的问题数。",
       "tickets", better=True),
    _f("on_time_rate", "按时办结率", "按时办结 ÷ 已解决：已解决的问题中在办理时限内办结的比例。", "rate",
       "on_time", "resolved", True),
    _f("ever_resolved", "曾办结", "本期上报的问题中，截至统计时点至少办结过一次的问题数。", "tickets"),
    _f("reopened", "重办", "本期上报的问题中，办结后又被重办（可督）的问题数。", "tickets", better=False),
    _f("reopen_rate", "重办率", "重办 ÷ 曾办结：办结过的问题中又被重办的比例。", "rate",
       "reopened", "ever_resolved", False),
    _f("supervised", "督办", "本期上报的问题中，被督办过的问题数（可督）。", "tickets", better=False),
    _f("coordinated", "协调交办", "本期上报的问题中，需多个单位协同、经协调交办的问题数。", "tickets"),
    # closure quality
    _f("bounced", "多次退单", "本期上报的问题中，被承办单位退单两次及以上的问题数。", "tickets",
       better=False),
    _f("repeat_reported", "办结后重复反映",
       f"本期上报且已解决的问题中，办结后{g.REPEAT_REPORT_DAYS}天内同一网格、同一类别又有新问题上报的问题数。",
       "tickets", better=False),
    _f("fast_closed", "办结过快",
       "本期上报且已解决的问题中，自上报至最后一次办结的时长短于该类别合理下限（企业发展4小时、基层治理2小时、"
       "民生实事1小时）的问题数。", "tickets", better=False),
    _f("signed_off_unscored", "销号未评价", "本期上报的问题中，已对账销号但服务对象没有评价打分的问题数。",
       "tickets", better=False),
    # flows within the period, whenever reported
    _f("resolved_in_period", "期内办结", "本期内办结、且截至统计时点未被重办的问题数（不论何时上报）。",
       "tickets"),
    _f("evaluations", "评价数", "本期内服务对象作出评价打分的问题数（不论何时上报，以最后一次评价为准）。",
       "tickets"),
    _f("satisfied", "满意评价", f"评价数中评分为{SATISFIED_MIN_SCORE}–5分的问题数。", "tickets"),
    _f("satisfaction_rate", "满意率", f"满意评价 ÷ 评价数：本期内作出的评价中评分为{SATISFIED_MIN_SCORE}–5分的比例。",
       "rate", "satisfied", "evaluations", True),
    # the stock at as_of, whenever reported
    _f("open", "在办", "截至统计时点尚未解决的问题数（存量，不限上报时间）。", "tickets"),
    _f("overdue", "超期未办结", "截至统计时点尚未解决、且已超过办理时限（按工作日计）的问题数（存量，不限上报时间）。",
       "tickets", better=False),
    _f("soon_due", f"{SOON_DUE_WORKDAYS}个工作日内到期",
       f"截至统计时点尚未解决、未超期、且办理时限在此后{SOON_DUE_WORKDAYS}个工作日内的问题数。", "tickets"),
    _f("tickets_per_1k", "每千人问题数", "本期上报的问题数 ÷ 常住人口 × 1000。", "per_1k",
       "collected", "population", False),
    # visits: the four-level contact mechanism
    _f("visits", "走访次数", "本期干部走访次数（企情/民情/基层日记，含非联系对象）。", "visits"),
    _f("assigned", "联系关系", "联系对象所在范围内的干部—联系对象结对数。", "pairs"),
    _f("visited", "已走访联系关系", "本期内干部走访了其联系对象的结对数。", "pairs", better=True),
    _f("coverage_rate", "走访覆盖率", "已走访联系关系 ÷ 联系关系：本期内走访到自己联系对象的结对比例。",
       "rate", "visited", "assigned", True),
    # programmes (their SQL: programme_figures.py)
    _f("clinic_points", "巡回医疗服务点", "高山巡回卫生健康服务点的个数（现有）。", "clinic_points"),
    _f("clinic_visits", "巡回医疗人次", "本期高山巡回卫生健康服务点服务人次。", "clinic"),
    _f("clinic_stops", "巡回次数", "本期医疗队到服务点巡回服务的次数。", "clinic"),
    _f("agent_cases", "代办事项", "本期高山首席代办员、山区便民服务队代办的事项数（群众不下山）。", "agent"),
    _f("hotline_services", "81890服务量", "本期81890服务平台服务量。", "hotline"),
    _f("old_compounds", "2000年前老小区", "2000年以前建成的住宅小区个数（现有）。", "compounds"),
    _f("upgraded_compounds", "物业提价提质完成", "2000年前老小区中已完成物业提价提质的小区数。",
       "compounds", better=True),
    _f("lifts_installed", "加装电梯", "2000年前老小区累计加装的电梯部数。", "compounds"),
    _f("open_space_sessions", "开放空间场次", "本期组织的开放空间讨论场次。", "open_space"),
    _f("open_space_participants", "开放空间参与人次", "本期开放空间的居民、业委会、辖区企业与物业、党员参与人次之和。",
       "open_space"),
    _f("open_space_raised", "开放空间提出问题", "本期开放空间讨论中提出的问题数。", "open_space"),
    _f("open_space_solved", "开放空间解决问题", "本期开放空间讨论中已解决的问题数。", "open_space",
       better=True),
    _f("red_helpers", "红色帮办员", "走进民营企业的党员帮办员人数（现有）。", "red_helpers"),
    _f("red_helper_solved", "帮办解决问题", "本期红色帮办员帮助企业解决的问题数。", "red_helper_cases",
       better=True),
    _f("site_projects", "工地书记项目", "派驻工地书记的重点项目与老旧小区改造工程个数（现有）。",
       "site_projects"),
    _f("site_issues", "工地协调问题", "本期提出的立项审批、施工矛盾、加装电梯等工地问题数。", "site_issues"),
    _f("site_issues_resolved", "工地问题已解决", "本期提出、且截至期末已解决的工地问题数。", "site_issues",
       better=True),
    _f("site_issues_open", "工地问题在办", "截至期末仍未解决的工地问题数（不限提出时间）。", "site_issues",
       better=False),
    _f("supervision_items", "监督项目", "监督问效项目总数（全区，不分镇街）。", "supervision"),
    _f("supervision_completed", "监督项目已完成", "状态为已完成的监督问效项目数。", "supervision"),
    _f("supervision_in_progress", "监督项目推进中", "状态为推进中的监督问效项目数。", "supervision"),
    _f("supervision_overdue", "监督项目逾期", "截至统计时点已过时限仍未完成、或晚于时限完成的监督问效项目数。",
       "supervision", better=False),
]}
PROGRAMME_FAMILIES = {"clinic", "clinic_points", "agent", "hotline", "compounds", "open_space",
                      "red_helpers", "red_helper_cases", "site_projects", "site_issues",
                      "supervision"}


def label(code: str) -> str:
    """The Chinese label of a figure."""
    return FIGURES[code].label


def column_label(code: str) -> str:
    """A table or chart header: the figure's label, else the glossary's column name."""
    return FIGURES[code].label if code in FIGURES else g.COLUMNS[code]


def definition(code: str) -> str:
    return FIGURES[code].definition


def glossary(codes) -> str:
    """The 指标口径 text for `codes`, in Chinese: one line per figure, as Markdown."""
    return "\n".join(f"- **{FIGURES[c].label}**：{FIGURES[c].definition}" for c in codes)


# --- the SQL of each count, by family of rows ------------------------------------------------

def cohort_conditions(st, t, f: Filters | None = None, only=None) -> dict:
    """The condition of each ticket figure counted over the tickets reported in the period,
    without the period: on a ticket (columns of `t`) with its state (`st`); with `f`, its
    办结后重复反映 as known at f.as_of (ts.is_repeat_reported). `only`: just those codes'
    (each condition is built when asked for: building them all cost a few ms a statement)."""
    def fast_closed():
        fast = case(*((t.category == c, h * 3600) for c, h in g.IMPLAUSIBLY_FAST_HOURS.items()),
                    else_=0)
        return and_(ts.is_resolved(st),
                    ts.seconds(st.c.resolved_at) - ts.seconds(t.reported_at) < fast)

    built = {
        "collected": true,
        "resolved": lambda: ts.is_resolved(st),
        "dispatched": lambda: ts.reached(st, "dispatched"),
        "accepted": lambda: ts.reached(st, "accepted"),
        "signed_off": lambda: ts.is_signed_off(st),
        "evaluated": lambda: ts.is_evaluated(st),
        "on_time": lambda: and_(ts.is_resolved(st), st.c.resolved_at <= t.due_at),
        "ever_resolved": lambda: st.c.resolved_at.is_not(None),
        "reopened": lambda: st.c.reopened_at.is_not(None),
        "supervised": lambda: st.c.supervisions > 0,
        "coordinated": lambda: st.c.coordinated_at.is_not(None),
        "bounced": lambda: st.c.rejections >= 2,
        "fast_closed": fast_closed,
        "signed_off_unscored": lambda: and_(ts.is_signed_off(st), ~ts.is_evaluated(st)),
        "repeat_reported": lambda: ts.is_repeat_reported(st, t, f),
    }
    return _asked(built, only)


def _asked(built: dict, only) -> dict:
    """{code: built[code]()} for the codes `only` holds (None: every code), each condition
    built only when asked for."""
    return {code: build() for code, build in built.items() if only is None or code in only}


def rollup_bases(st, t, f: Filters | None = None) -> dict:
    """basis → (the ticket's time whose day it is counted on, {rollup count: condition}):
    how ticket_rollup counts a ticket from its stored state (summaries.refresh builds it,
    _ticket_values corrects it with the same conditions); with `f`, a state at f.as_of
    (办结后重复反映 as known then)."""
    evaluated = ts.is_evaluated(st)
    at = basis_times(st, t)
    return {
        "reported": (at["reported"], cohort_conditions(st, t, f)),
        "resolved": (at["resolved"], {"resolved_in_period": ts.is_resolved(st)}),
        "evaluated": (at["evaluated"], {
            "evaluations": evaluated,
            "satisfied": and_(evaluated, t.satisfaction >= SATISFIED_MIN_SCORE)}),
        "due": (at["due"], {"open": ts.is_open(st)}),
    }


def basis_times(st, t) -> dict:
    """basis → the ticket's time whose day rollup_bases counts it on."""
    return {"reported": t.reported_at, "resolved": st.c.resolved_at,
            "evaluated": st.c.evaluated_at, "due": t.due_at}


@cache
def stored_bases() -> dict:
    """rollup_bases of the stored states (ticket_states), built once: the expressions are
    immutable and the same for every statement that counts the stored states."""
    return rollup_bases(s.ticket_states, s.ticket_states.c)


def _ticket_counts(f: Filters, st, cal: WorkCalendar, t, only=None) -> dict:
    """The SQL count of each ticket figure (`only`: of those codes), over tickets reported
    before as_of; `t`: the ticket columns (of tickets, or of ts.ticket_rows that carries
    them)."""
    in_period = and_(t.reported_at >= f.start_at, t.reported_at < f.end_before)

    def evaluated_in_period():
        return and_(ts.is_evaluated(st), st.c.evaluated_at >= f.start_at,
                    st.c.evaluated_at < f.end_before)

    conditions = {code: and_(in_period, cond)
                  for code, cond in cohort_conditions(st, t, f, only).items()}
    built = {
        "collected": lambda: in_period,
        "resolved_in_period": lambda: and_(ts.is_resolved(st), st.c.resolved_at >= f.start_at,
                                           st.c.resolved_at < f.end_before),
        "evaluations": evaluated_in_period,
        "satisfied": lambda: and_(evaluated_in_period(), t.satisfaction >= SATISFIED_MIN_SCORE),
        "open": lambda: ts.is_open(st),
        "overdue": lambda: ts.is_overdue(st, f),
        "soon_due": lambda: and_(ts.is_open(st), t.due_at >= f.as_of,
                                 t.due_at <= cal.due_at(f.as_of, SOON_DUE_WORKDAYS)),
    }
    conditions.update(_asked(built, only))
    order = [*FIGURES]
    return {code: count_if(conditions[code])
            for code in sorted(conditions, key=order.index)}


# --- the ticket figures from ticket_rollup ----------------------------------------------------
ROLLUP_DIMENSIONS = ("town_code", "category", "source")  # what ticket_rollup is kept by
# The ticket counts over the period's reports (the cohort's): counted on the report day.
COHORT_COUNTS = s.COHORT_COUNTS
_BASIS_OF = {code: basis for basis, codes in {
    "reported": COHORT_COUNTS,
    "resolved": ["resolved_in_period"],
    "evaluated": ["evaluations", "satisfied"], "due": ["open", "overdue", "soon_due"]}.items()
    for code in codes}


def _month(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def cover(first: date | None, stop: date | None):
    """(months, days): the days [first, stop) (None: an open end) as whole months [m0, m1)
    (None when none lies inside; an end None: open) and the day ranges [a, b) of the months
    the range cuts, each day once."""
    m0 = None if first is None else (first if first.day == 1 else next_month(first))
    m1 = None if stop is None else _month(stop)
    if m0 is not None and m1 is not None and m0 >= m1:  # no whole month inside
        return None, [(first, stop)]
    days = [(first, m0)] if first is not None and first < m0 else []
    days += [(m1, stop)] if stop is not None and m1 < stop else []
    return (m0, m1), days


def cover_years(first: date | None, stop: date | None):
    """(years, months, days): the days [first, stop) (None: an open end) as whole years
    [y0, y1) (None when none lies inside; an end None: open), the ranges [a, b) of the whole
    months of the years the range cuts, and the day ranges of the months it cuts (as
    cover's), each day once."""
    months, days = cover(first, stop)
    if months is None:
        return None, [], days
    m0, m1 = months
    y0 = None if m0 is None else (m0 if m0.month == 1 else date(m0.year + 1, 1, 1))
    y1 = None if m1 is None else m1.replace(month=1)
    if y0 is not None and y1 is not None and y0 >= y1:  # no whole year inside
        return None, [months], days
    parts = [(m0, y0)] if m0 is not None and m0 < y0 else []
    parts += [(y1, m1)] if m1 is not None and y1 < m1 else []
    return (y0, y1), parts, days


def unit_rows(u, first: date | None, stop: date | None, *where):
    """(conditions, days): conditions on the rows `u` of ticket_unit_rollup (kept by month
    and year) whose days cover [first, stop) exactly once: whole years from grain Y, the
    other whole months from grain M, each with `where`; and the day ranges [a, b) of the
    months the range cuts, which the rollup cannot answer."""
    years, months, days = cover_years(first, stop)
    parts = [] if years is None else [and_(u.grain == "Y", *where, *_within(u.day, *years))]
    return parts + [and_(u.grain == "M", *where, *_within(u.day, a, b))
                    for a, b in months], days


def _within(column, first, stop) -> list:
    """WHERE clauses keeping a date or datetime column on the days [first, stop) (None: open)."""
    def at(day):
        return day if isinstance(column.type, Date) else datetime.combine(day, time())

    return [*([] if first is None else [column >= at(first)]),
            *([] if stop is None else [column < at(stop)])]


def _rollup_rows(basis: str, first: date | None, stop: date | None):
    """ticket_rollup rows of `basis` whose days cover [first, stop) exactly once (None: open
    end)."""
    r = s.ticket_rollup.c
    return grain_rows(r, first, stop, r.basis == basis)


def grain_rows(r, first: date | None, stop: date | None, *where, years: bool = False):
    """Conditions on the rows `r` of a rollup kept by day and month (grain, day) whose days
    cover [first, stop) exactly once (None: open end): whole months from grain M, the days
    of the months cut by the range from grain D; each with `where`. With `years` (a rollup
    that keeps each year too, its months summed: officer_rollup), whole years from grain Y
    and the months of the years cut from grain M (unit_rows)."""
    if years:
        parts, days = unit_rows(r, first, stop, *where)
    else:
        months, days = cover(first, stop)
        parts = [] if months is None else [and_(r.grain == "M", *where,
                                                *_within(r.day, *months))]
    return parts + [and_(r.grain == "D", *where, *_within(r.day, a, b)) for a, b in days]


def rollup_split(f: Filters) -> tuple[date, datetime, datetime]:
    """(stop, since, until): a rollup kept by day answers the period's days before `stop`
    (as_of's day, or the day after the period); the rows at [since, until) (as_of's day up
    to as_of, inside the period; none when since >= until) are counted from the tables."""
    stop = max(f.start, min(f.end + timedelta(days=1), f.as_of.date()))
    return stop, max(f.start_at, datetime.combine(stop, time())), min(f.end_before, f.as_of)


def visit_counts(conn: Connection, f: Filters, by: str | None) -> pd.DataFrame | None:
    """Visits (per town or diary type with `by` "town_code" or "diary_type"), and of them
    those with a complete record, from visit_rollup for the period's whole days before
    as_of's day, and from the visits themselves for as_of's day; None when the rollup
    cannot answer (another grouping, or a write since it was built).
    Columns: key (when `by`; None for none), visits, complete; by key."""
    if by not in (None, "town_code", "diary_type") or not summaries.visits_current(conn):
        return None
    stop, since, until = rollup_split(f)
    v, live = s.visit_rollup.c, visits.c
    kept_key, live_key = ([], []) if by is None else (
        [func.nullif(v[by], "").label("key")],
        [(targets.c if by == "town_code" else live)[by].label("key")])
    parts = [select(*kept_key, v.visits, v.complete).where(part, *f.town(v.town_code))
             for part in grain_rows(v, f.start, stop)]
    today = (select(*live_key, literal(1).label("visits"),  # as_of's day: an index range
                    case((s.complete_record(live), 1), else_=0).label("complete"))
             .select_from(visits.join(targets, targets.c.id == live.target_id))
             .where(live.visited_at >= since, live.visited_at < until,  # not f.period's 3
                    *f.town(targets.c.town_code)))
    parts.append(db.through_index(today, visits, "ix_visits_time", conn))  # not per target
    rows = union_all(*parts).subquery()
    key = [] if by is None else [rows.c.key]
    got = conn.execute(select(*key, *(func.coalesce(func.sum(rows.c[c]), 0)
                                      for c in ("visits", "complete")))
                       .group_by(*key).order_by(*key)).all()
    return typed(got, {**({"key": "str"} if by else {}), "visits": "int", "complete": "int"})


def _unit_counts(f: Filters, unit: str, basis: str, first, stop, codes):
    """SELECT key, one count per code of `codes` (all of `basis`) per value of a ROLLUP_UNITS
    column, over the days [first, stop): the whole years and months from ticket_unit_rollup,
    the days of the months the range cuts counted from ticket_states as the rollup counts
    them."""
    u, kept = s.ticket_unit_rollup.c, s.ticket_states
    column, conditions = stored_bases()[basis]
    unit_of = [u.unit_kind == unit, u.basis == basis, *f.town(u.town_code)]
    kept_rows, days = unit_rows(u, first, stop, *unit_of)
    parts = []

    def counted(a, b, sign: int = 1):  # the states of the days [a, b), as the rollup counts
        parts.append(select(kept.c[unit].label("key"),
                            *((sign * count_if(conditions[_column(c)])).label(c) for c in codes))
                     .where(*_within(column, a, b), *f.town(kept.c.town_code))
                     .group_by(kept.c[unit]))

    for a, b in days:
        rest = _rest_of_month(a, b)
        if rest is None:
            counted(a, b)
        else:  # most of a month: its row, less the states of the rest of it
            kept_rows.append(and_(u.grain == "M", u.day == _month(a), *unit_of))
            for c, d in rest:
                counted(c, d, -1)
    parts += [select(func.nullif(u.unit, "").label("key"),
                     *(u[_column(c)].label(c) for c in codes)).where(where)
              for where in kept_rows]
    rows = union_all(*parts).subquery()
    return select(rows.c.key, *(func.coalesce(func.sum(rows.c[c]), 0).label(c) for c in codes)
                  ).group_by(rows.c.key)


def _rest_of_month(a: date | None, b: date | None) -> list | None:
    """The days of a's month outside [a, b) (a range inside one month that cover leaves to
    the states), as ranges, when they are fewer than the range's own days; else None (the
    range is counted from the states). A month's row less its rest then counts the range:
    ticket_unit_rollup has no days, and a long period up to today leaves it most of a month
    (超期未办结: the open states due this month before today)."""
    if a is None or b is None:
        return None
    month, after = _month(a), next_month(a)
    if not a < b <= after:
        return None
    rest = [(month, a)] * (a > month) + [(b, after)] * (b < after)
    return rest if sum((d - c).days for c, d in rest) < (b - a).days else None


def _day_ranges(f: Filters, cal: WorkCalendar) -> dict:
    """rollup count → (basis, first day, stop day) for each ticket figure the rollup answers:
    whole days only; a ticket whose figure the day alone cannot decide (due on as_of's day or
    on the last day of 3个工作日内到期) is counted by _split_days, or one of the `moved`
    tickets."""
    period = (f.start, f.end + timedelta(days=1))
    today = f.as_of.date()
    soon = cal.due_at(f.as_of, SOON_DUE_WORKDAYS).date()
    out = {code: (basis, *period) for code, basis in _BASIS_OF.items()}
    out["open"] = ("due", None, None)
    out["overdue"] = ("due", None, today)
    out["soon_due"] = ("due", today + timedelta(days=1), soon)
    return out


def _moved(f: Filters, cal: WorkCalendar, mark: int | None, codes, split_days: bool = True):
    """SELECT ticket_id of the tickets whose count of a figure of `codes` in the rollup may
    differ from their count at as_of: touched at or after as_of, reported at or after it,
    unseen by the last refresh (ticket_state.unseen); for 超期未办结 and 3个工作日内到期, due on a day the
    rollup cannot split (see _day_ranges; not with `split_days` False: _split_days counts
    those whose state is stored); for 办结后重复反映, first reported again at or after as_of,
    or near a ticket the refresh has not seen. A common table: a statement that reads it
    several times finds the tickets once."""
    kept = s.ticket_states.c
    found = [select(kept.ticket_id).where(kept.last_event_at >= f.as_of),
             select(kept.ticket_id).where(kept.reported_at >= f.as_of),
             *ts.unseen(mark).selects]
    if split_days and {"overdue", "soon_due"} & set(codes):
        today, _, last_day = _split_moments(f, cal)
        found += [select(kept.ticket_id).where(kept.due_at >= day, kept.due_at < day + timedelta(1))
                  for day in (today, last_day)]
    if "repeat_reported" in codes:
        found += [select(kept.ticket_id).where(kept.repeat_reported_at >= f.as_of),
                  *ts.unseen_neighbours(mark).selects]
    moved = union(*found).cte("moved")
    return select(moved.c.ticket_id)


def rollup_usable(conn: Connection, f: Filters, by: str | None) -> bool:
    """Whether the ticket figures for `f` (grouped `by`) can come from ticket_rollup: built by
    the last refresh, the filters and grouping among its dimensions, and few moved tickets."""
    return rollup_answers(f, by) and rollup_current(conn, f)


def rollup_answers(f: Filters, by: str | None) -> bool:
    """Whether the filters and the grouping are among the rollups' dimensions (rollup_usable
    without asking the database whether they are current)."""
    if not ts.USE_SUMMARIES or f.department or f.task_force:
        return False
    return by is None or by in ROLLUP_DIMENSIONS or (
        by in s.ROLLUP_UNITS and not (f.category or f.source))  # units are kept by town only


def rollup_current(conn: Connection, f: Filters) -> bool:
    """Whether the rollups kept with the ticket states (ticket_rollup, ticket_unit_rollup,
    officer_rollup) count the states the last refresh stored, and few tickets were touched
    at or after f.as_of (summaries.ROLLUP_MOVED_MAX): each reader corrects for those. The
    refresh keeps the moment from which on more were (summaries.moved_above); counted here
    on a database refreshed before it did."""
    if not ts.USE_SUMMARIES or not summaries.rollups_kept(conn):
        return False
    kept = summaries.moved_above(conn)
    if kept is not False:
        return kept is None or f.as_of > kept
    late = conn.execute(select(func.count()).select_from(
        select(s.ticket_states.c.ticket_id).where(s.ticket_states.c.last_event_at >= f.as_of)
        .limit(summaries.ROLLUP_MOVED_MAX + 1).subquery())).scalar()
    return late <= summaries.ROLLUP_MOVED_MAX


def _ticket_values(conn: Connection, periods: list[Filters], bys: list, codes) -> list[dict]:
    """The ticket figures `codes` (counts the rollup answers) from ticket_rollup for each of
    `periods` (Filters that differ in their period alone: same_judgement), grouped by each of
    `bys` ([None]: not grouped; else DIMENSIONS keys), corrected exactly for the moved
    tickets: their rollup counts (from their stored state, by the same rules as
    summaries.refresh) taken off, their counts at as_of (ticket_rows) added. The moved
    tickets are found and judged once for all the periods and groupings: one column per
    period and code, one row per combination of the groupings' values, summed per grouping.
    Per period {by: frame}; columns: key (when `by`), then one per code."""
    f = periods[0]
    cal = load_calendar(conn)
    keys = [by for by in bys if by is not None]
    if keys != list(bys) and bys != [None]:
        raise ValueError(f"不分组与分组不能一起计算: {bys}")
    # per period and grouping: key text → each code's sum (summed in Python: a few hundred
    # rows, where pandas' steps on small frames of text keys cost more than the statements)
    sums = [{by: {} for by in bys} for _ in periods]
    dims = [by for by in keys if by not in s.ROLLUP_UNITS]  # ticket_rollup's: read together
    at = {code: n for n, code in enumerate(codes)}

    def add(into: dict, key, group, values) -> None:
        row = into.setdefault(_key_text(key), [0] * len(codes))
        for code, value in zip(group, values):
            row[at[code]] += int(value or 0)

    # 1. the rollup: one query per (basis, days) for ticket_rollup's groupings, grouped by
    # all of them and summed per grouping; one more per ROLLUP_UNITS grouping. Periods that
    # count a figure on the same days (the open stock and 超期未办结: up to as_of, whatever
    # the period) read them once
    read = {}  # (basis, first, stop, codes, the unit grouping or None) → the rows

    def rows_of(fp: Filters, days: tuple, group: list, unit: str | None) -> list:
        key = (*days, tuple(group), unit)
        if key not in read:
            query = (_unit_counts(fp, unit, *days, group) if unit
                     else _rolled(fp, dims, *days, group))
            read[key] = conn.execute(query).all()
        return read[key]

    for sums_of, fp in zip(sums, periods):
        ranges = _day_ranges(fp, cal)
        by_days = {}
        for code in codes:
            by_days.setdefault(ranges[code], []).append(code)
        for days, group in by_days.items():
            for by in (by for by in keys if by in s.ROLLUP_UNITS):
                for key, *values in rows_of(fp, days, group, by):
                    add(sums_of[by], key, group, values)
            if dims or bys == [None]:
                for row in rows_of(fp, days, group, None):
                    for n, by in enumerate(dims or [None]):
                        add(sums_of[by], None if by is None else row[n], group, row[len(dims):])
    # 2. the moved tickets: as the rollup counted them, taken off, and at as_of, added (or
    # their correction kept at a meeting's cut-off); grouped by all of `keys` at once, one
    # column per period and code
    mark = ts.mark(conn)
    since = None if keys else correction_kept_from(conn, f, mark, codes)
    if since is not None:
        moves = conn.execute(_kept_correction(periods, cal, codes, since, mark)).all()
    else:
        columns = [f"{code}{PERIOD_MARK}{i}" for i in range(len(periods)) for code in codes]
        moves = conn.execute(_correction(periods, keys, codes, cal, mark, columns)).all()
    groups = _group_keys(conn, f, keys)
    for row in moves:
        counts = row[len(keys):len(keys) + len(periods) * len(codes)]
        for n, by in enumerate(keys or [None]):
            key = None if by is None else row[n]
            if by is not None and row[-1]:  # KNOWN: a group known at as_of
                groups[by].add(key)
            for i, sums_of in enumerate(sums):
                add(sums_of[by], key, codes, counts[i * len(codes):(i + 1) * len(codes)])
    return [{by: _summed(codes, sums_of[by], groups.get(by)) for by in bys} for sums_of in sums]


def _rolled(f: Filters, dims: list[str], basis: str, first: date | None, stop: date | None,
            codes):
    """SELECT dims…, the sum of each of `codes` over ticket_rollup's rows of `basis` on the
    days [first, stop) in f's choices, grouped by `dims` (ticket_rollup's dimensions)."""
    r = s.ticket_rollup.c
    rows = union_all(*(select(*(r[k] for k in dims), *(r[_column(c)] for c in codes))
                       .where(part, *f.ticket_choices(s.ticket_rollup))
                       for part in _rollup_rows(basis, first, stop))).subquery()
    return select(*(rows.c[k] for k in dims),
                  *(func.coalesce(func.sum(rows.c[_column(c)]), 0).label(c) for c in codes)
                  ).group_by(*(rows.c[k] for k in dims))


def _correction(periods: list[Filters], keys: list[str], codes, cal: WorkCalendar, mark,
                columns):
    """SELECT `keys`…, the correction of each code for each period (`columns`), KNOWN: the
    moved tickets (_moved) as the rollup counted them taken off, and at as_of added, in one
    statement that finds them once; grouped by `keys` (none: one row)."""
    f = periods[0]
    key = list(keys)
    moved = _moved(f, cal, mark, codes, split_days=False)
    kept = s.ticket_states
    bases = stored_bases()
    stored = []
    for fp in periods:
        ranges = _day_ranges(fp, cal)
        for code in codes:
            basis, first, stop = ranges[code]
            column, conditions = bases[basis]
            on_days = _within(column, first, stop)
            stored.append(-count_if(and_(conditions[_column(code)], *on_days)))
    taken = (select(*(kept.c[k] for k in key), *(n.label(c) for n, c in zip(stored, columns)),
                    literal(0).label(KNOWN))
             .where(kept.c.ticket_id.in_(moved), *f.ticket_choices(kept))
             .group_by(*(kept.c[k] for k in key)))
    rows = ts.ticket_rows(f, ids=moved, mark=mark, covers_changed=True)
    added = [counts[code] for counts in (_ticket_counts(fp, rows, cal, rows.c, codes)
                                         for fp in periods)
             for code in codes]  # each period's counts built once
    added = (select(*(rows.c[k] for k in key), *(n.label(c) for n, c in zip(added, columns)),
                    func.count().label(KNOWN))
             .group_by(*(rows.c[k] for k in key)))
    both = union_all(taken, added, *_split_days(periods, key, codes, cal, moved)).subquery()
    return (select(*(both.c[k] for k in key), *(func.sum(both.c[c]) for c in [*columns, KNOWN]))
            .group_by(*(both.c[k] for k in key)))


def _split_moments(f: Filters, cal: WorkCalendar) -> tuple[datetime, datetime, datetime]:
    """(the start of as_of's day, the end of 3个工作日内到期, the start of its day): the two
    days whose due tickets the rollup cannot split by day (_day_ranges)."""
    soon = cal.due_at(f.as_of, SOON_DUE_WORKDAYS)
    return (datetime.combine(f.as_of.date(), time()), soon,
            datetime.combine(soon.date(), time()))


def _split_days(periods: list[Filters], keys: list[str], codes, cal: WorkCalendar, moved):
    """[SELECT keys…, a column per code and period (0 but for 超期未办结 and 3个工作日内到期), KNOWN 0]:
    the tickets not `moved` (their stored state is theirs at as_of), open and due on a day
    whose whole the rollup cannot count for those figures (_day_ranges): 超期未办结 if due
    on as_of's day before as_of, 3个工作日内到期 if due on it from as_of on, or on the last
    day of those three workdays up to its end. A range of the open states' due index."""
    f = periods[0]
    if not {"overdue", "soon_due"} & set(codes):
        return []
    kept = s.ticket_states.c
    today, soon, last_day = _split_moments(f, cal)
    overdue = and_(kept.due_at >= today, kept.due_at < f.as_of)
    soon_due = or_(and_(kept.due_at >= f.as_of, kept.due_at < today + timedelta(days=1)),
                   and_(kept.due_at >= last_day, kept.due_at <= soon))
    counts = {"overdue": count_if(overdue), "soon_due": count_if(soon_due)}
    key = [kept[k] for k in keys]
    return [select(*key, *(counts.get(code, literal(0)) for _ in periods for code in codes),
                   literal(0))
            .where(ts.is_open(s.ticket_states), or_(overdue, soon_due),
                   kept.ticket_id.not_in(moved), *f.ticket_choices(s.ticket_states))
            .group_by(*key)]


# --- the correction kept at the weekly meetings' cut-offs (cutoff_corrections) ----------------
KEPT_AT = "corrections_kept_at"  # cockpit_meta: the cut-offs kept, ISO, comma-separated
REPORTS_AT = "reports_kept_at"  # cockpit_meta: the cut-offs of cutoff_reports, likewise


def correction_rows(conn: Connection, as_of: datetime, mark):
    """SELECT of cutoff_corrections' rows at `as_of` (in its columns' order): the tickets
    _moved at as_of, counted as ticket_rollup counts their stored states and taken off, and
    as their states at as_of count them (办结后重复反映 as known then) and added, per basis,
    day of the basis time, town, category and source (ticket_rollup's day rows of both,
    summaries._rollup_selects, the first signed); `overdue` on the due rows: their
    exact change to 超期未办结 (taken off: open and due before as_of's day, as the rollup
    answers it; added: overdue at as_of). `mark`: ts.mark, complete."""
    f = Filters(start=as_of.date(), end=as_of.date(), as_of=as_of)
    codes = s.KEPT_CORRECTIONS
    moved = _moved(f, load_calendar(conn), mark, codes)
    stored = select(s.ticket_states).where(s.ticket_states.c.ticket_id.in_(moved)).cte("stored")
    at = ts.ticket_rows(f, ids=moved, mark=mark, covers_changed=True)
    at = select(at).cte("at").prefix_with("MATERIALIZED")  # judged once, read per basis
    today = datetime.combine(as_of.date(), time())
    parts = []
    for sign, rows, judged, overdue in (
            (-1, stored, None, and_(ts.is_open(stored), stored.c.due_at < today)),
            (1, at, f, ts.is_overdue(at, f))):
        for query in summaries._rollup_selects(rows, judged=judged).values():
            day_rows = list(query.subquery().c)  # grain, basis, day, town, category, source
            parts.append(select(*day_rows[1:6], *(sign * n for n in day_rows[6:]),
                                literal(0)))
        day, dims = summaries._day(rows.c.due_at), [rows.c.town_code, rows.c.category,
                                                     rows.c.source]
        parts.append(select(literal("due"), day, *dims, *(literal(0) for _ in s.ROLLUP_COUNTS),
                            literal(sign) * func.count()).where(overdue).group_by(day, *dims))
    both = union_all(*parts).subquery()
    key, counts = list(both.c)[:5], list(both.c)[5:]  # counts: KEPT_CORRECTIONS' order
    return (select(literal(as_of, s.cutoff_corrections.c.as_of.type), *key,
                   *(func.sum(n) for n in counts))
            .group_by(*key).having(or_(*(func.sum(n) != 0 for n in counts))))


def keep_corrections(conn: Connection, cutoffs, followed=(), meetings=()) -> list[datetime]:
    """Keep cutoff_corrections for `cutoffs` (the admin tool's refresh, in its transaction,
    after the states are stored): computed anew, but for those of `followed` (kept before
    and brought up to date by the refresh: summaries._follow_corrections); the others'
    rows dropped. For those of `meetings` (weekly meetings' cut-offs) also cutoff_reports,
    their week's reports per town and department (report_rows): computed anew unless
    followed and kept before (no state at the cut-off changed). Returns the cut-offs kept:
    none when a ticket or event was written meanwhile (the states then do not hold)."""
    c, r = s.cutoff_corrections.c, s.cutoff_reports.c
    mark = ts.mark(conn)
    kept = sorted(set(cutoffs)) if mark is not None and mark.complete else []
    conn.execute(s.cutoff_corrections.delete().where(c.as_of.not_in(
        [as_of for as_of in kept if as_of in followed])))
    reported = [as_of for as_of in kept if as_of in meetings]
    before = reports_kept(conn)
    held = [as_of for as_of in reported if as_of in followed and as_of in before]
    conn.execute(s.cutoff_reports.delete().where(r.as_of.not_in(held)))
    db.plan_as_readers(conn)  # the queries the pages would run, planned as theirs
    for as_of in kept:
        if as_of not in followed:
            conn.execute(s.cutoff_corrections.insert().from_select(
                list(s.cutoff_corrections.c.keys()), correction_rows(conn, as_of, mark)))
    for as_of in reported:
        if as_of not in held:
            conn.execute(s.cutoff_reports.insert().from_select(
                list(s.cutoff_reports.c.keys()), report_rows(conn, as_of)))
    db.set_meta(conn, KEPT_AT, ",".join(as_of.isoformat() for as_of in kept))
    db.set_meta(conn, REPORTS_AT, ",".join(as_of.isoformat() for as_of in reported))
    return kept


def report_rows(conn: Connection, as_of: datetime):
    """SELECT of cutoff_reports' rows at a meeting's cut-off `as_of` (in its columns'
    order): the reports of the seven days before its day, per town and department, in each
    of COHORT_COUNTS as they stood at as_of (what 周例会's boards read: _reported_counts)."""
    day = as_of.date()
    f = Filters(start=day - timedelta(days=7), end=day - timedelta(days=1), as_of=as_of)
    names, query = family_query(conn, f, "tickets", [tickets.c.town_code, tickets.c.department],
                                COHORT_COUNTS, reported_in_period=True)
    town, department, *counts = query.group_by(*query.selected_columns[:2]).subquery().c
    by_name = dict(zip(names, counts))
    return select(literal(as_of, s.cutoff_reports.c.as_of.type), town, department,
                  *(by_name[code] for code in COHORT_COUNTS))


def reports_kept(conn: Connection) -> list[datetime]:
    """The cut-offs whose week's reports cutoff_reports holds (as the last refresh kept it)."""
    return _moments(db.meta_value(conn, REPORTS_AT))


def _kept_reports(conn: Connection, f: Filters, bys: list[str], counts) -> list | None:
    """cutoff_reports' rows (town_code, department, `counts`…) for the ticket `counts` over
    f's reports grouped by `bys`, when they answer it: f is the week before a meeting's
    cut-off they were kept at (as_of), chosen by town at most, grouped by town and
    department only, nothing written since the refresh. None otherwise."""
    if not ts.USE_SUMMARIES or not set(bys) <= {"town_code", "department"} or not set(
            counts) <= set(COHORT_COUNTS) or f.category or f.source or f.department or (
            f.task_force) or f.as_of not in reports_kept(conn):
        return None
    day = f.as_of.date()
    if (f.start, f.end) != (day - timedelta(days=7), day - timedelta(days=1)) or not getattr(
            ts.mark(conn), "complete", False):
        return None
    r = s.cutoff_reports.c
    return conn.execute(select(r.town_code, r.department, *(r[c] for c in counts))
                        .where(r.as_of == f.as_of, *f.town(r.town_code))).all()


WEEK_AGO_TIME = time(13)  # the middle of the working day, when the pages are looked at


def week_ago_cutoffs(now: datetime) -> list[datetime]:
    """The moments a comparison with the week before (Filters.shifted_weeks(-1): 总览's and
    大屏's 上周) starts its correction from (correction_kept_from), kept by the refresh besides
    the meetings' cut-offs: WEEK_AGO_TIME on the day a week before now's, and on the next
    (for tomorrow until the next refresh, and kept then: each refresh computes one anew). A
    look during the working day (08:00-18:00) judges at most five hours of events from it."""
    day = now.date()
    return [datetime.combine(day - timedelta(days=n), WEEK_AGO_TIME) for n in (7, 6)]


def cutoffs_kept(conn: Connection) -> list[datetime]:
    """The cut-offs whose correction cutoff_corrections holds (as the last refresh kept it)."""
    return _moments(db.meta_value(conn, KEPT_AT))


def _moments(text: str | None) -> list[datetime]:
    return [datetime.fromisoformat(part) for part in (text or "").split(",") if part]


def correction_kept_from(conn: Connection, f: Filters, mark, codes) -> datetime | None:
    """The kept cut-off the rollup's correction for `codes` at f.as_of can start from: of
    those kept by the last refresh (cutoff_corrections) on as_of's day, the nearest to
    as_of (the earlier of two as near), so that its change to as_of (_between, either way)
    reads the fewest events; None when there is none, something was written since the
    refresh (the states it was computed from no longer hold) or 3个工作日内到期 is asked."""
    if not getattr(mark, "complete", False) or not set(codes) <= set(s.KEPT_CORRECTIONS):
        return None
    return min((cutoff for cutoff in cutoffs_kept(conn) if cutoff.date() == f.as_of.date()),
               key=lambda cutoff: (abs(cutoff - f.as_of), cutoff), default=None)


def _kept_correction(periods: list[Filters], cal: WorkCalendar, codes, since: datetime, mark):
    """SELECT of one row: the correction of each code for each period (columns
    code__period_i) at as_of: the one kept at `since` (correction_kept_from, on as_of's
    day), summed over the days each counts (_day_ranges; 超期未办结: all), and its change to
    as_of (_between)."""
    c = s.cutoff_corrections.c
    sums = []
    for fp in periods:
        ranges = _day_ranges(fp, cal)
        for code in codes:
            basis, first, stop = ranges[code]
            on_days = [] if code == "overdue" else _within(c.day, first, stop)
            sums.append(func.coalesce(func.sum(case((and_(c.basis == basis, *on_days), c[code]),
                                                    else_=0)), 0))
    kept = select(*sums).where(c.as_of == since, *periods[0].ticket_choices(s.cutoff_corrections))
    if since == periods[0].as_of:
        return kept
    both = union_all(kept, _between(periods, cal, codes, since, mark)).subquery()
    return select(*(func.sum(column) for column in both.c))


def _between(periods: list[Filters], cal: WorkCalendar, codes, since: datetime, mark):
    """SELECT of one row: each code's change for each period from `since` to as_of (before
    or after it): the tickets whose counts may differ between the two moments (changed_between),
    counted as their states at as_of count them, less as their states at `since` did."""
    f = periods[0]
    ids = changed_between(*sorted((since, f.as_of)), codes)
    parts = []
    for sign, at in ((1, f.as_of), (-1, since)):
        rows = ts.ticket_rows(replace(f, as_of=at), ids=ids, mark=mark)
        parts.append(select(*(sign * counts[code] for counts in (
            _ticket_counts(replace(fp, as_of=at), rows, cal, rows.c, codes) for fp in periods)
            for code in codes)))
    both = union_all(*parts).subquery()
    return select(*(func.sum(column) for column in both.c))


def changed_between(since: datetime, until: datetime, codes):
    """SELECT ticket_id of the tickets whose count of a figure of `codes` may differ between
    their states at `since` and at `until` (a superset, while no ticket is unseen by the
    refresh): an event that changes the state (any but the report) in [since, until), a
    report then; for 超期未办结, due then; for 办结后重复反映, first reported again then, or
    a state not final at `until` with a report of the same grid cell and category then (the
    first repeat as known at each moment may differ though the stored one does not)."""
    ev, kept = s.ticket_events.c, s.ticket_states.c

    def then(column):
        return [column >= since, column < until]

    found = [select(ev.ticket_id).where(ev.stage.in_(ts.STATE_STAGES), *then(ev.at)),
             select(kept.ticket_id).where(*then(kept.reported_at))]
    if "overdue" in codes:
        found.append(select(kept.ticket_id).where(*then(kept.due_at)))
    if "repeat_reported" in codes:
        reports = select(kept.grid_cell_code, kept.category).where(
            *then(kept.reported_at)).subquery("reports")
        found += [select(kept.ticket_id).where(*then(kept.repeat_reported_at)),
                  select(kept.ticket_id).select_from(s.ticket_states.join(reports, and_(
                      reports.c.grid_cell_code == kept.grid_cell_code,
                      reports.c.category == kept.category)))
                  .where(kept.last_event_at >= until)]
    between = union(*found).cte("between")
    return select(between.c.ticket_id)


PERIOD_MARK = "__period_"  # _ticket_values: a column's code and period, as code__period_0
KNOWN = "known__"  # _ticket_values: how many of a group's moved tickets are known at as_of


def _summed(codes, sums: dict[str, list[int]], keys: set | None) -> pd.DataFrame:
    """One period's sums of one grouping (_ticket_values: key text → each code's sum) as
    its frame: one row (`keys` None), or one per key of `keys` in the order of their text
    (the groups a grouped figure lists: _group_keys), a NULL key as None."""
    if keys is None:
        return pd.DataFrame([sums.get(NO_KEY, [0] * len(codes))], columns=list(codes),
                            dtype="int64")
    texts = sorted({_key_text(key) for key in keys})
    rows = [sums.get(text, [0] * len(codes)) for text in texts]
    out = pd.DataFrame(rows, columns=list(codes), dtype="int64")
    out.insert(0, "key", pd.Series([None if t == NO_KEY else t for t in texts], dtype="str"))
    return out


def _group_keys(conn: Connection, f: Filters, bys: list[str]) -> dict[str, set]:
    """{by: the values of the grouping with a ticket reported before f.as_of in f's choices}:
    the groups a grouped figure lists, as over the tickets (_ticket_values adds those of the
    moved tickets known at as_of). ticket_rollup's groupings read together, each of
    ROLLUP_UNITS apart."""
    r, kept = s.ticket_rollup.c, s.ticket_states
    today = f.as_of.date()
    month = _month(today)
    out = {}
    every = every_report_known(conn, f.as_of)  # then the rollups alone know every group
    dims = [by for by in bys if by not in s.ROLLUP_UNITS]
    if dims:
        months = [(r.grain == "M",)] if every else [
            (r.grain == "M", r.day < month), (r.grain == "D", r.day >= month, r.day < today)]
        todays = [] if every else [select(*(kept.c[by] for by in dims)).where(
            kept.c.reported_at >= datetime.combine(today, time()),
            *f.known(kept.c.reported_at), *f.ticket_choices(kept))]
        rows = conn.execute(_distinct(
            *(select(*(r[by] for by in dims)).where(
                r.basis == "reported", *where, *f.ticket_choices(s.ticket_rollup))
              for where in months), *todays)).all()
        out = {by: {row[i] for row in rows} for i, by in enumerate(dims)}
    u = s.ticket_unit_rollup.c
    for by in (by for by in bys if by in s.ROLLUP_UNITS):
        unit_of = [u.unit_kind == by, u.basis == "reported", *f.town(u.town_code)]
        if every:  # each year's row: five a unit, not sixty months
            kept_rows, this_month = [and_(u.grain == "Y", *unit_of)], []
        else:
            kept_rows, _ = unit_rows(u, None, month, *unit_of)  # no days: a month's first
            this_month = [select(kept.c[by]).where(
                kept.c.reported_at >= datetime.combine(month, time()),
                *f.known(kept.c.reported_at), *f.ticket_choices(kept))]
        out[by] = {k for (k,) in conn.execute(_distinct(
            *(select(func.nullif(u.unit, "")).where(where) for where in kept_rows),
            *this_month)).all()}
    return out


def _distinct(*selects):
    """The distinct rows of `selects`: their UNION, or the one's SELECT DISTINCT (a UNION
    of one SELECT is that SELECT, each row as often as it is stored: a town's once a month
    and category and source, 17,051 rows at 2M for 17 towns)."""
    return union(*selects) if len(selects) > 1 else selects[0].distinct()


def every_report_known(conn: Connection, as_of: datetime) -> bool:
    """Whether no stored ticket state is reported at or after as_of: a rollup's rows of the
    report's day, month or year then hold only reports known at as_of, and its row of
    as_of's month just those before as_of (ticket_loop's stage medians)."""
    kept = s.ticket_states.c
    return conn.execute(select(kept.ticket_id).where(kept.reported_at >= as_of)
                        .limit(1)).first() is None


NO_KEY = "\x00"  # _ticket_values: stands for a NULL key (no 专班, no grid cell) while summing


def _key_text(key) -> str:
    return NO_KEY if key is None or key != key else str(key)


def daily(conn: Connection, f: Filters, codes) -> pd.DataFrame | None:
    """Counts of the period's figures `codes` (those counted on a day of the period: the
    cohort's, 期内办结, 评价数, 满意评价) per day of their basis (the report day for the
    cohort's, the day of the last 办结 for 期内办结, …) from ticket_rollup's days, corrected
    exactly as _ticket_values does, summed per day in SQL; None when the rollup cannot
    answer (see rollup_usable). Columns: day (datetime64, midnight), then one per code
    (int); days where no count is above 0 may be absent."""
    if not rollup_usable(conn, f, None):
        return None
    cal = load_calendar(conn)
    mark = ts.mark(conn)
    moved = _moved(f, cal, mark, codes)
    r, kept = s.ticket_rollup.c, s.ticket_states
    stored = stored_bases()
    at = ts.ticket_rows(f, ids=moved, mark=mark, covers_changed=True)
    at = select(at).cte("at").prefix_with("MATERIALIZED")  # judged once, read per basis
    at_counts = _ticket_counts(f, at, cal, at.c, codes)
    at_times = basis_times(at, at.c)
    groups = {}
    for code in codes:
        groups.setdefault(_BASIS_OF[code], []).append(code)
    # the district's days (grain W) or a town's (T), summed over the categories and sources,
    # unless those are chosen (the campaign at 2M: 1,794 district rows a basis, 30,500 towns')
    if f.category is not None or f.source is not None:
        grain = "D"
    else:
        grain = "T" if f.town(r.town_code) else "W"

    def per_day(day, counts: dict):  # a part's columns: its day, a count per code (0: not its)
        return [day.label("key"), *(counts.get(c, literal(0)).label(c) for c in codes)]

    parts = []  # per basis: the rollup's days, the moved tickets taken off, and added
    for basis, group in groups.items():
        parts.append(select(*per_day(r.day, {c: func.sum(r[c]) for c in group}))
                     .where(r.grain == grain, r.basis == basis, r.day >= f.start,
                            r.day <= f.end, *f.ticket_choices(s.ticket_rollup))
                     .group_by(r.day))
        column, conditions = stored[basis]
        day = summaries._day(column)
        parts.append(select(*per_day(day, {c: -count_if(conditions[c]) for c in group}))
                     .where(kept.c.ticket_id.in_(moved), *f.ticket_choices(kept),
                            column >= f.start_at, column < f.end_before).group_by(day))
        day = summaries._day(at_times[basis])
        parts.append(select(*per_day(day, {c: at_counts[c] for c in group}))
                     .where(day.is_not(None)).group_by(day))
    both = union_all(*parts).subquery()  # one statement: the moved tickets found once
    return fetch(conn, select(both.c.key, *(func.sum(both.c[c]) for c in codes))
                 .where(both.c.key.is_not(None)).group_by(both.c.key),
                 {"day": "date", **dict.fromkeys(codes, "int")})


def _column(code: str) -> str:
    """The rollup column a figure is summed from (overdue and 3个工作日内到期 from open)."""
    return "open" if code in ("overdue", "soon_due") else code


SHORT_PERIOD_DAYS = 92  # pair_visited: up to a quarter, not through pair_visits
# pair_visited: up to so many days, the period's visits read once and hashed, by backend (a
# week at 2M: PostgreSQL 8 -> 2 ms, SQLite 4.4 -> 1.1-2.2 ms; SQLite's list of pairs costs
# more than the probes from about a month, PostgreSQL's hash from about five months, but a
# hash it cannot keep in work_mem it searches row by row: a month's pairs stay small)
HASHED_PERIOD_DAYS = {"postgresql": 31, "sqlite": 14}


def pair_visited(conn: Connection, f: Filters):
    """SQL truth: the assignment's officer visited its target in the period.

    Over a period of up to HASHED_PERIOD_DAYS (for the backend), the pair is looked up among
    the period's visits, read once through their index of times (a week holds about 2,000
    at 2M). Otherwise a probe of the visits' index per assignment (2,133 at 2M, 4-21 µs each
    on PostgreSQL). Over a longer period than SHORT_PERIOD_DAYS, while pair_visits is
    current (summaries.visits_current), a pair whose first visit lies in the period is found
    among its rows instead, and only a pair visited before the period and since its start
    is probed: over the campaign, none. (In a short period most pairs are of that kind:
    their probes cost what they did, and reading pair_visits besides costs more.)"""
    a, v, kept = assignments.c, visits.c, pair_visits.c
    pair = tuple_(a.officer_id, a.target_id)

    def visited(officer_id, target_id):
        return exists().where(v.officer_id == officer_id, v.target_id == target_id,
                              *f.period(v.visited_at))

    if f.days <= HASHED_PERIOD_DAYS.get(conn.dialect.name, 0):
        return pair.in_(select(v.officer_id, v.target_id).where(*f.period(v.visited_at)))
    if f.days <= SHORT_PERIOD_DAYS or not summaries.visits_current(conn):
        return visited(a.officer_id, a.target_id)
    kept_pair = (kept.officer_id, kept.target_id)
    return or_(pair.in_(select(*kept_pair).where(*f.period(kept.first_at))),
               pair.in_(select(*kept_pair).where(kept.first_at < f.start_at,
                                                 kept.last_at >= f.start_at,
                                                 visited(*kept_pair))))


# What a figure may be grouped by, and the column that is the key in each family's rows.
# A family without a column for a dimension (visits by category) has no value there.
DIMENSIONS = {
    "town_code": {"tickets": tickets.c.town_code, "visits": targets.c.town_code,
                  "pairs": targets.c.town_code, "clinic": clinic_points.c.town_code,
                  "hotline": hotline_daily.c.town_code, "population": towns.c.code},
    "grid_cell_code": {"tickets": tickets.c.grid_cell_code, "visits": targets.c.grid_cell_code,
                       "pairs": targets.c.grid_cell_code,
                       "clinic": clinic_points.c.grid_cell_code,
                       "population": grid_cells.c.code},
    "category": {"tickets": tickets.c.category},
    "source": {"tickets": tickets.c.source},
    "department": {"tickets": tickets.c.department},
    "task_force": {"tickets": tickets.c.task_force},
    "service_type": {"hotline": hotline_daily.c.service_type},
}


def family_query(conn: Connection, f: Filters, family: str, group,
                 only=None, reported_in_period: bool = False) -> tuple[list, object]:
    """(codes, SELECT [group,] counts…) for one family of rows; for tickets, only the
    counts `only` when given (each count is a CASE over every ticket: skip the unused), and
    only the tickets reported in the period with `reported_in_period` (an index range instead
    of every ticket; the caller asks for cohort counts only). For tickets `group` may be a
    list of columns (grouped by all)."""
    groups = [] if group is None else group if isinstance(group, list) else [group]
    if family == "tickets":
        rows = summaries.every_ticket(conn, f, within=(lambda c: f.period(c.reported_at))
                                      if reported_in_period else None)
        cal = load_calendar(conn)
        counts = (_ticket_counts(f, rows.st, cal, rows.t, only)
                  or _ticket_counts(f, rows.st, cal, rows.t))
        query = (select(*(rows.t[column.name] for column in groups), *counts.values())
                 .select_from(rows.source).where(*rows.where))
        return list(counts), query
    if family == "visits":
        query = (select(*groups, func.count())
                 .select_from(visits.join(targets, targets.c.id == visits.c.target_id))
                 .where(*f.period(visits.c.visited_at), *f.town(targets.c.town_code)))
        return ["visits"], query
    if family == "pairs":
        query = (select(*groups, func.count(), count_if(pair_visited(conn, f)))
                 .select_from(assignments.join(targets, targets.c.id == assignments.c.target_id)
                              .join(officers, officers.c.id == assignments.c.officer_id))
                 .where(*f.town(targets.c.town_code)))
        return ["assigned", "visited"], query
    if family in PROGRAMME_FAMILIES:
        return programme_figures.query(f, family, groups)
    if family == "population":
        table = group.table if group is not None else towns
        query = select(*groups, func.coalesce(func.sum(table.c.population), 0))
        if table is towns:
            query = query.where(*f.town(towns.c.code))
        else:
            query = query.where(*f.town(table.c.town_code))
        return ["population"], query
    raise ValueError(f"未知的指标类别: {family!r}")


def _counts_needed(codes) -> list[str]:
    """The count figures (and population) that `codes` need, rates resolved to their parts."""
    out = []
    for code in codes:
        if code == "population":  # not a figure: the residents behind per-1,000 figures
            out += [code] if code not in out else []
            continue
        fig = FIGURES[code]
        parts = [fig.numerator, fig.denominator] if fig.family in ("rate", "per_1k") else [code]
        out += [p for p in parts if p not in out]
    return out


def _family_of(count: str) -> str:
    return "population" if count == "population" else FIGURES[count].family


def _derive(frame: pd.DataFrame, codes) -> pd.DataFrame:
    """Add the rates (and per-1,000 figures) of `codes` from their parts."""
    for code in codes:
        fig = FIGURES.get(code)
        if fig and fig.family in ("rate", "per_1k"):
            den = frame[fig.denominator].where(frame[fig.denominator] > 0)
            frame[code] = frame[fig.numerator] / den * (1000 if fig.family == "per_1k" else 1)
    return frame


def headline(conn: Connection, f: Filters, codes) -> dict:
    """The figures `codes` for the filters: counts as int, rates as 0–1 (NaN when undefined)."""
    return headlines(conn, [f], codes)[0]


def headlines(conn: Connection, periods: list[Filters], codes) -> list[dict]:
    """headline for each of `periods`. The ticket figures of periods judged alike (the same
    as_of and choices: same_judgement, as the weekly meeting's week and campaign) that the
    rollup answers share its correction: the tickets touched since as_of are judged once."""
    needed = _counts_needed(codes)
    values = [{} for _ in periods]
    rolled = set()  # the periods whose ticket figures of _BASIS_OF came from the rollup
    if "tickets" in {_family_of(c) for c in needed}:
        alike = {}
        for i, fp in enumerate(periods):
            alike.setdefault(same_judgement(fp), []).append(i)
        for members in alike.values():
            if rollup_usable(conn, periods[members[0]], None):
                summed = [c for c in needed if c in _BASIS_OF]
                frames = _ticket_values(conn, [periods[i] for i in members], [None], summed)
                for i, frame in zip(members, frames):
                    values[i].update(frame[None].iloc[0].astype(int).to_dict())
                rolled.update(members)
    for i, fp in enumerate(periods):
        for family in dict.fromkeys(_family_of(c) for c in needed):
            only = needed
            if family == "tickets" and i in rolled:
                only = [c for c in needed if _family_of(c) == "tickets" and c not in _BASIS_OF]
                if not only:
                    continue
            if family == "visits" and (rolled_visits := visit_counts(conn, fp, None)) is not None:
                values[i]["visits"] = int(rolled_visits["visits"].iloc[0])
                continue
            names, query = family_query(conn, fp, family, None, only)
            values[i].update({n: int(v or 0) for n, v in zip(names, conn.execute(query).one())})
    return [_rates(v, codes) for v in values]


def same_judgement(f: Filters) -> Filters:
    """`f` without its period: filters equal here judge the same tickets at the same as_of."""
    return replace(f, start=date.min, end=date.min)


def _rates(values: dict, codes) -> dict:
    """`values` (counts) with the rates of `codes` added: only `codes`, in their order."""
    for code in codes:
        fig = FIGURES[code]
        if fig.family in ("rate", "per_1k"):
            scale = 1000 if fig.family == "per_1k" else 1
            values[code] = ratio(values[fig.numerator], values[fig.denominator]) * scale
    return {code: values[code] for code in codes}


# grouped(reported_only) over at most this many days reads the period's reports (a week's:
# about 8,000 at district volume), not a rollup corrected for some 20,000 moved tickets
FEW_REPORT_DAYS = 14


def over_reports(codes) -> bool:
    """Whether every ticket count behind `codes` (rates: their parts) is counted over the
    period's reports (COHORT_COUNTS); the other families' figures (visits, pairs) may be
    among them."""
    return {c for c in _counts_needed(codes) if _family_of(c) == "tickets"} <= set(COHORT_COUNTS)


def grouped(conn: Connection, f: Filters, by: str, codes,
            reported_only: bool = False) -> pd.DataFrame:
    """The figures `codes` per value of a DIMENSIONS key, for every value any family has
    (`codes` may include "population" for towns and grid cells).

    Columns: key (str; None for rows without a value, e.g. no 专班), then one column per
    code (counts int, 0 where nothing happened; rates float, NaN when undefined).
    `reported_only` (the ticket figures among `codes` counted over the period's reports,
    COHORT_COUNTS, only; other families' figures may be among them): the values without a
    ticket reported in the period may be left out, so that a grouping reads the period's
    tickets, not every ticket: for a short period (FEW_REPORT_DAYS) even where a rollup
    could answer, whose correction reads the many tickets touched since.
    """
    return grouped_each(conn, f, {by: codes}, reported_only)[by]


def grouped_each(conn: Connection, f: Filters, codes_by: dict,
                 reported_only: bool = False) -> dict[str, pd.DataFrame]:
    """grouped for each dimension of `codes_by` (by → codes): {by: frame}. Over a short
    period's reports (reported_only, FEW_REPORT_DAYS) the ticket figures of every dimension
    come from one read of the period's reports, grouped by all the dimensions at once and
    summed per dimension (each ticket has one value of each)."""
    needed = {by: _counts_needed(codes) for by, codes in codes_by.items()}
    for by, codes in codes_by.items():
        if reported_only and not over_reports(codes):
            raise ValueError(f"只有按上报期统计的指标可以只看本期上报的问题: {codes}")
        for family in dict.fromkeys(_family_of(c) for c in needed[by]):
            if family not in DIMENSIONS[by]:
                raise ValueError(f"指标“{family}”不能按“{by}”分组")
    few = reported_only and f.days <= FEW_REPORT_DAYS
    ticket_counts = list(dict.fromkeys(c for counts in needed.values() for c in counts
                                       if _family_of(c) == "tickets"))
    reports = _reported_counts(conn, f, list(codes_by), ticket_counts) \
        if few and ticket_counts else None
    rolled = _rolled_each(conn, f, needed) if reports is None else {}
    paired = [by for by, counts in needed.items() if "pairs" in map(_family_of, counts)]
    pairs = _pairs_each(conn, f, paired) if len(paired) > 1 else {}
    return {by: _grouped(conn, f, by, codes_by[by], needed[by], reported_only,
                         None if reports is None else reports[by], rolled.get(by),
                         pairs.get(by))
            for by in codes_by}


def _rolled_each(conn: Connection, f: Filters, needed: dict) -> dict[str, pd.DataFrame]:
    """{by: frame} of the ticket counts that ticket_rollup answers (_BASIS_OF), for each
    grouping of `needed` (by → counts) with ticket counts that it can answer (rollup_usable);
    the groupings that need the same counts read together: the moved tickets found and
    judged once for all of them (_ticket_values)."""
    alike = {}
    for by, counts in needed.items():
        if "tickets" in {_family_of(c) for c in counts} and rollup_answers(f, by):
            alike.setdefault(tuple(c for c in counts if c in _BASIS_OF), []).append(by)
    if not alike or not rollup_current(conn, f):
        return {}
    return {by: frame for summed, bys in alike.items()
            for by, frame in _ticket_values(conn, [f], bys, list(summed))[0].items()}


def _reported_counts(conn: Connection, f: Filters, bys: list[str],
                     counts: list[str]) -> dict[str, pd.DataFrame]:
    """The ticket `counts` over the period's reports per value of each of `bys` (key, counts…),
    from one query grouped by all of them."""
    kept = _kept_reports(conn, f, bys, counts)
    if kept is not None:  # per town and department: each dimension is summed from them
        names = list(counts)
        frame = typed(kept, {"town_code": "str", "department": "str",
                             **dict.fromkeys(names, "int")})
    else:
        columns = [DIMENSIONS[by]["tickets"] for by in bys]
        names, query = family_query(conn, f, "tickets", columns, counts, reported_in_period=True)
        frame = _grouped_by_all(conn, query, bys, names)
    return _per_grouping(frame, bys, names)


def _pairs_each(conn: Connection, f: Filters, bys: list[str]) -> dict[str, pd.DataFrame]:
    """The pairs' counts (assigned, visited) per value of each of `bys` (key, counts…), from
    one query grouped by all of them: whether each pair was visited (an index probe of its
    visits) is asked once, not once per grouping (the map's towns and grid cells)."""
    names, query = family_query(conn, f, "pairs", [DIMENSIONS[by]["pairs"] for by in bys])
    return _per_grouping(_grouped_by_all(conn, query, bys, names), bys, names)


def _grouped_by_all(conn: Connection, query, bys: list[str], names: list[str]) -> pd.DataFrame:
    """The rows of `query` (its first len(bys) columns the groupings, then the counts
    `names`) grouped by all of `bys`: columns bys…, names…"""
    rows = conn.execute(query.group_by(*query.selected_columns[:len(bys)])).all()
    return typed(rows, {**dict.fromkeys(bys, "str"), **dict.fromkeys(names, "int")})


def _per_grouping(frame: pd.DataFrame, bys: list[str], names: list[str]) -> dict:
    """{by: frame of key, names…}: the counts of `frame` (grouped by all of `bys`) summed per
    value of each of them (each row has one value of each)."""
    out = {}
    for by in bys:
        part = frame.groupby(by, dropna=False, sort=False)[names].sum().reset_index()
        out[by] = part.rename(columns={by: "key"})[["key", *names]]  # typed's str key, kept
    return out


def _grouped(conn: Connection, f: Filters, by: str, codes, needed, reported_only: bool,
             reports: pd.DataFrame | None, rolled: pd.DataFrame | None,
             pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """grouped, with the ticket counts over the period's reports already read (`reports`:
    key, counts…) where the period is short, or those the rollup answers (`rolled`,
    _rolled_each) where it can, and the pairs' counts when read with other groupings'
    (`pairs`, _pairs_each)."""
    columns = DIMENSIONS[by]
    out = None
    for family in dict.fromkeys(_family_of(c) for c in needed):
        only = needed
        parts = []
        if family == "tickets" and reports is not None:
            parts.append(reports)
            only = []
        elif family == "tickets" and rolled is not None:
            parts.append(rolled)
            only = [c for c in needed if _family_of(c) == "tickets" and c not in _BASIS_OF]
        if family == "visits" and (rolled := visit_counts(conn, f, by)) is not None:
            parts.append(rolled[["key", "visits"]])
            only = []
        if family == "pairs" and pairs is not None:
            parts.append(pairs)
            only = []
        if only:
            names, query = family_query(conn, f, family, columns[family], only,
                                        reported_only and family == "tickets")
            key = query.selected_columns[0]  # the group, as the family's rows name it
            parts.append(typed(conn.execute(query.group_by(key)).all(),
                               {"key": "str", **dict.fromkeys(names, "int")}))
        for part in parts:
            out = part if out is None else out.merge(part, on="key", how="outer")
    out[needed] = out[needed].fillna(0).astype("int64")
    out = out.sort_values("key", na_position="last", kind="stable")  # the same order always
    return _derive(out, codes)[["key", *codes]].reset_index(drop=True)
