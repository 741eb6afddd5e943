"""The weekly meeting (周例会): one week's story, judged at the meeting's cut-off.

A meeting looks at one week, Monday to Sunday, as of a cut-off (by default the following
Monday at 09:00): the week's Filters are Filters(start=Monday, end=Sunday, as_of=cut-off),
so nothing that happened at or after the cut-off is counted, and the figures can be
reproduced later. Last week is the same view one week earlier (its own meeting's cut-off);
the campaign runs from its first day to this Sunday at the same cut-off.

`assemble` returns everything the page, the presenter screens, the briefing and the stored
snapshot need, as DataFrames and dicts: pure data, no formatting. Figures and their words come
from the registry (figures.py); lists from ticket_list, coverage and programmes.
"""

import json
import math
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Connection, func, insert, select

from data_access import coverage, figures, places, programmes, summaries
from data_access import ticket_state as ts
from data_access.filters import Filters, local_now
from data_access.result import fetch
from data_access.schema import grid_cells, meeting_snapshots, ticket_events, tickets, towns

LOOP = ["collected", "resolved", "resolution_rate", "on_time_rate", "satisfaction_rate",
        "overdue"]
VISITS = ["visits", "coverage_rate"]
CODES = LOOP + VISITS
MEETING_HOUR = time(9, 0)  # the Monday meeting's morning: the default cut-off
COVERAGE_WARNING = 0.6  # 覆盖率预警线, as on the visits page
# Officers are judged on the coverage of the last WARNING_WEEKS weeks up to the cut-off (one
# week is too short: most pairs are visited once a month or so, so a week's 22% says nothing).
WARNING_WEEKS = 4
BOARD_SIZE = 3
# 红黑榜 minimum bases: a unit with fewer tickets (or pairs) behind a rate this week is not
# ranked, so that one ticket more or less does not put a unit on a board.
BOARD_MIN_TICKETS = 10
BOARD_MIN_PAIRS = 20
LONGEST_OVERDUE = 10
SUPERVISION_AHEAD_DAYS = 7  # 监督问效 items due by the next Sunday (and those already late)
# 红黑榜: (dimension, figure) pairs, each ranked best and worst by the registry's figure.
BOARDS = [("town_code", "resolution_rate"), ("town_code", "coverage_rate"),
          ("department", "resolution_rate"), ("department", "on_time_rate")]
DIMENSION_LABELS = {"town_code": "镇(乡)街道", "department": "责任部门"}
PERIOD_LABELS = {"this_week": "本周", "last_week": "上周", "campaign": "活动以来"}


# --- the week and its cut-off -----------------------------------------------------------------

def last_full_week(now: datetime) -> date:
    """The Monday of the last full week (Monday–Sunday) before `now`."""
    today = now.date()
    return today - timedelta(days=today.weekday() + 7)


def default_cutoff(monday: date) -> datetime:
    """The meeting's morning after the week: the next Monday at 09:00."""
    return datetime.combine(monday + timedelta(days=7), MEETING_HOUR)


def kept_cutoffs(now: datetime, meetings: int = 2) -> list[datetime]:
    """The default cut-offs of the last `meetings` weekly meetings held by `now` (the latest
    meeting's week and last week): where the refresh keeps the rollup's correction
    (figures.keep_corrections)."""
    latest = default_cutoff(last_full_week(now))
    if latest > now:  # Monday before the meeting: the latest was a week ago
        latest -= timedelta(weeks=1)
    return [latest - timedelta(weeks=k) for k in range(meetings)]


def parse_week(text: str | None) -> date:
    """A Monday from ISO text; ValueError (in Chinese) otherwise."""
    try:
        day = date.fromisoformat(str(text).strip())
    except (TypeError, ValueError):
        raise ValueError(f"周次应为某个星期一的日期（如 2026-11-16）：{text!r}") from None
    if day.weekday() != 0:
        raise ValueError(f"{day} 不是星期一：周次以星期一的日期表示")
    return day


def parse_cutoff(text: str | None, monday: date) -> datetime:
    """An ISO date-time (minutes; seconds dropped) after the week's start; ValueError else."""
    try:
        moment = datetime.fromisoformat(str(text).strip().replace(" ", "T"))
    except (TypeError, ValueError):
        raise ValueError(f"截止时点应为日期时间（如 2026-11-23T09:00）：{text!r}") from None
    if moment.tzinfo is not None:
        raise ValueError("截止时点按北京时间填写，不带时区")
    moment = moment.replace(second=0, microsecond=0)
    if moment <= datetime.combine(monday, time()):
        raise ValueError(f"截止时点 {moment:%Y-%m-%d %H:%M} 早于该周开始")
    return moment


def week_filters(monday: date, cutoff: datetime, town_code: str | None = None,
                 base: Filters | None = None) -> Filters:
    """The meeting week's Filters: Monday to Sunday, judged at `cutoff`. `base` (e.g. the
    page's own filters) passes on anything else it carries, such as a login's town scope."""
    sunday = monday + timedelta(days=6)
    if base is None:
        return Filters(start=monday, end=sunday, as_of=cutoff, town_code=town_code)
    return replace(base, start=monday, end=sunday, as_of=cutoff, town_code=town_code,
                   category=None, source=None, department=None, task_force=None)


def periods(f: Filters, campaign_start: date | None) -> dict[str, Filters]:
    """This week, last week (at last week's cut-off) and the campaign to this week's end."""
    start = min(campaign_start or f.start.replace(month=1, day=1), f.start)
    return {"this_week": f, "last_week": f.shifted_weeks(-1),
            "campaign": replace(f, start=start)}


def resolve_town(conn: Connection, text: str | None) -> str | None:
    """A town code from its name or code (None or empty: the district); ValueError else."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    code = conn.execute(select(towns.c.code).where(
        (towns.c.code == text) | (towns.c.name == text))).scalar()
    if code is None:
        raise ValueError(f"没有这个镇(乡)街道：{text!r}")
    return code


def resolve_view(conn: Connection, week: str, cutoff: str | None,
                 town: str | None) -> Filters:
    """The meeting's Filters from text (a command line's or a URL's); ValueError if invalid."""
    monday = parse_week(week)
    moment = parse_cutoff(cutoff, monday) if cutoff else default_cutoff(monday)
    return week_filters(monday, moment, resolve_town(conn, town))


# --- figures ----------------------------------------------------------------------------------

def fetch_comparison(conn: Connection, f: Filters) -> pd.DataFrame:
    """This week against last week and the campaign, for the meeting's figures.

    Columns: code, label (str); this_week, last_week, campaign (float: counts as whole
    numbers, rates 0–1, NaN when undefined); change (float: this week − last week, rates in
    0–1 points); higher_is_better (object: True, False or None).
    """
    shown = periods(f, places.get_campaign_start(conn))
    # this week and the campaign share their cut-off, and so the rollup's correction
    values = dict(zip(shown, figures.headlines(conn, list(shown.values()), CODES)))
    rows = []
    for code in CODES:
        fig = figures.FIGURES[code]
        now, before = values["this_week"][code], values["last_week"][code]
        rows.append({"code": code, "label": fig.label, "this_week": float(now),
                     "last_week": float(before), "campaign": float(values["campaign"][code]),
                     "change": float(now) - float(before),
                     "higher_is_better": fig.higher_is_better})
    return pd.DataFrame(rows)


def _base_code(code: str) -> str:
    fig = figures.FIGURES[code]
    return fig.denominator if fig.is_rate else code


def board_min_base(code: str) -> int:
    """The fewest items behind `code` (its denominator this week) for a unit to be ranked:
    BOARD_MIN_PAIRS for visit coverage (pairs), BOARD_MIN_TICKETS for ticket figures."""
    pairs = figures.FIGURES[_base_code(code)].family == "pairs"
    return BOARD_MIN_PAIRS if pairs else BOARD_MIN_TICKETS


def board_rule(code: str) -> str:
    """The minimum base in words, e.g. 本周收集问题少于 10 件的单位不参与排名。"""
    base = _base_code(code)
    unit = "个" if figures.FIGURES[base].family == "pairs" else "件"
    return f"本周{figures.label(base)}少于 {board_min_base(code)} {unit}的单位不参与排名。"


def _unit_names(conn: Connection, by: str) -> dict:
    if by == "town_code":
        return dict(conn.execute(select(towns.c.code, towns.c.name)).all())
    return {}


def _board_codes(by: str, codes) -> list[str]:
    """The figures ranked over `by` (among `codes`), and the counts behind each."""
    out = []
    for code in codes:
        fig = figures.FIGURES[code]
        out += [code, fig.denominator if fig.is_rate else code]
    return list(dict.fromkeys(out))


def fetch_board(conn: Connection, f: Filters, by: str, code: str,
                n: int = BOARD_SIZE, min_base: int | None = None) -> pd.DataFrame:
    """红黑榜 of one figure over towns or departments: the best `n` (red) and the worst `n`
    (black; worst first), among units where the figure is defined this week and rests on at
    least `min_base` items (its denominator; default board_min_base(code)). Between equal
    values the unit with more behind the figure (its denominator) comes first on either
    board (the better on the red, the worse on the black), then by name. A unit level with
    the best is never on the black board (when all are equal, there is none).

    Columns: board ("red" | "black"), rank (int, 1 = best or worst), key, name (str),
    value, last_week, change (float; NaN where last week had none), base (int: the
    figure's denominator this week).
    """
    codes = _board_codes(by, [code])
    return rank_board(figures.grouped(conn, f, by, codes),
                      figures.grouped(conn, f.shifted_weeks(-1), by, codes),
                      _unit_names(conn, by), code, n, min_base)


def rank_board(now: pd.DataFrame, before: pd.DataFrame, names: dict, code: str,
               n: int = BOARD_SIZE, min_base: int | None = None) -> pd.DataFrame:
    """fetch_board's ranking, from figures.grouped frames of this week and last week. In
    plain Python: a board has a few dozen units at most, and pandas' steps on frames this
    small (a merge, two sorts, a concat) cost more than the queries behind them."""
    min_base = board_min_base(code) if min_base is None else min_base
    last = dict(zip(before["key"], before[code]))
    units = [{"key": key, "name": names.get(key, key), "value": float(value),
              "last_week": float(last.get(key, math.nan)), "base": int(base)}
             for key, value, base in zip(now["key"], now[code], now[_base_code(code)])
             if not pd.isna(key) and not pd.isna(value) and base >= min_base]
    sign = -1 if figures.FIGURES[code].higher_is_better is not False else 1  # best first
    units.sort(key=lambda u: (sign * u["value"], -u["base"], u["name"]))
    red, rest = units[:n], units[n:]
    rest = [u for u in rest if u["value"] != units[0]["value"]]  # only units behind the best
    black = sorted(rest, key=lambda u: (-sign * u["value"], -u["base"], u["name"]))[:n]
    rows = [{"board": board, "rank": rank, **unit, "change": unit["value"] - unit["last_week"]}
            for board, ranked in (("red", red), ("black", black))
            for rank, unit in enumerate(ranked, 1)]
    columns = ["board", "rank", "key", "name", "value", "last_week", "change", "base"]
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


def fetch_boards(conn: Connection, f: Filters) -> dict[str, pd.DataFrame]:
    """Every board of BOARDS (board_key → fetch_board frame), with one grouped query of the
    tickets per week."""
    ranked = {by: [c for b, c in BOARDS if b == by] for by, _ in BOARDS}
    codes = {by: _board_codes(by, ranked[by]) for by in ranked}
    # over the week's reports only: each week's are read once, for towns and departments alike
    cohort = all(figures.over_reports(c) for c in codes.values())
    now = figures.grouped_each(conn, f, codes, reported_only=cohort)
    before = figures.grouped_each(conn, f.shifted_weeks(-1), codes, reported_only=cohort)
    return {board_key(by, c): rank_board(now[by], before[by], _unit_names(conn, by), c)
            for by, c in BOARDS}


def board_key(by: str, code: str) -> str:
    return f"{by}:{code}"


def board_title(by: str, code: str) -> str:
    return f"{DIMENSION_LABELS[by]} · {figures.label(code)}"


# --- lists ------------------------------------------------------------------------------------

def warning_filters(f: Filters, weeks: int = WARNING_WEEKS) -> Filters:
    """The period officers are judged on: the `weeks` weeks ending with the meeting's week
    (Monday to Sunday), at the same cut-off."""
    return replace(f, start=f.start - timedelta(weeks=weeks - 1))


def fetch_officers_below(conn: Connection, f: Filters, warning: float = COVERAGE_WARNING,
                         weeks: int = WARNING_WEEKS) -> pd.DataFrame:
    """Officers whose coverage over the last `weeks` weeks up to the cut-off (warning_filters)
    is below the warning line: lowest coverage first, then the most pairs, then by name.

    Columns: officer_id, officer, level, department, town (str); assigned, visited (int);
    coverage_rate (0–1).
    """
    officers = coverage.fetch_officer_pairs(conn, warning_filters(f, weeks))
    below = officers[officers["coverage_rate"] < warning]
    below = below.sort_values(["coverage_rate", "assigned", "officer", "officer_id"],
                              ascending=[True, False, True, True])
    return below[["officer_id", "officer", "level", "department", "town", "assigned",
                  "visited", "coverage_rate"]].reset_index(drop=True)


def fetch_longest_overdue(conn: Connection, f: Filters,
                          n: int = LONGEST_OVERDUE) -> pd.DataFrame:
    """The `n` tickets overdue at the cut-off (reported at any time) whose deadline passed
    longest ago, longest first.

    Columns: id, title, category, town, grid_cell, department (str); reported_at, due_at
    (datetime); overdue_days (float: days past the deadline at the cut-off);
    reporter_name, reporter_phone (str, unmasked: mask before showing).
    """
    # the tickets due at or before a bound first (the oldest open ones): when n of them are
    # overdue at the cut-off, no other can be among the n; else all of them
    bound = summaries.open_due_bound(conn, f, 2 * n) if ts.USE_SUMMARIES else None
    for within in ([lambda c: [c.due_at <= bound]] if bound is not None else []) + [None]:
        rows = summaries.every_ticket(conn, f, only=lambda st: ts.is_overdue(st, f),
                                      within=within)
        late = (select(rows.id.label("id"), rows.t.due_at).select_from(rows.source)
                .where(*rows.where)
                .order_by(rows.t.due_at, rows.id).limit(n).subquery())  # the n, then names
        query = (select(tickets.c.id, tickets.c.title, tickets.c.category, towns.c.name,
                        grid_cells.c.name, tickets.c.department, tickets.c.reported_at,
                        tickets.c.due_at, tickets.c.reporter_name, tickets.c.reporter_phone)
                 .select_from(places.placed(late.join(tickets, tickets.c.id == late.c.id),
                                            tickets.c))
                 .order_by(late.c.due_at, late.c.id))
        out = fetch(conn, query, {
            "id": "str", "title": "str", "category": "str", "town": "str",
            "grid_cell": "str", "department": "str", "reported_at": "datetime",
            "due_at": "datetime", "reporter_name": "str", "reporter_phone": "str"})
        if within is None or len(out) >= n:
            break
    return out.assign(overdue_days=(f.as_of - out["due_at"]).dt.total_seconds() / 86400)


def fetch_week_events(conn: Connection, f: Filters, stage: str) -> pd.DataFrame:
    """Tickets (reported at any time) that had a `stage` event (e.g. supervised, reopened)
    in the week before the cut-off, first event of the week first.

    Columns: id, title, category, town, grid_cell, department (str); event_at, reported_at,
    due_at (datetime); events (int: such events in the week); reporter_name, reporter_phone
    (str, unmasked: mask before showing).
    """
    ev = ticket_events.c
    week = (select(ev.ticket_id, func.min(ev.at).label("first_at"), func.count().label("n"))
            .where(ev.stage == stage, *f.period(ev.at)).group_by(ev.ticket_id).subquery())
    query = (select(tickets.c.id, tickets.c.title, tickets.c.category, towns.c.name,
                    grid_cells.c.name, tickets.c.department, week.c.first_at,
                    tickets.c.reported_at, tickets.c.due_at, week.c.n,
                    tickets.c.reporter_name, tickets.c.reporter_phone)
             .select_from(places.placed(tickets.join(week, week.c.ticket_id == tickets.c.id),
                                        tickets.c))
             .where(*f.known(tickets.c.reported_at), *f.ticket_choices(tickets))
             .order_by(week.c.first_at, tickets.c.id))
    return fetch(conn, query, {
        "id": "str", "title": "str", "category": "str", "town": "str", "grid_cell": "str",
        "department": "str", "event_at": "datetime", "reported_at": "datetime",
        "due_at": "datetime", "events": "int", "reporter_name": "str",
        "reporter_phone": "str"})


def fetch_supervision_due(conn: Connection, f: Filters,
                          ahead_days: int = SUPERVISION_AHEAD_DAYS) -> pd.DataFrame:
    """监督问效 items not completed whose deadline falls before the end of the week after
    the meeting (late ones included), earliest deadline first. (Their status is the one
    recorded now: the items keep no history.)

    Columns: code, title, focus, owner, status (str); deadline (datetime); days_left (int,
    negative when late, counted from the cut-off's day); overdue (bool).
    """
    items = programmes.fetch_supervision_items(conn, f)
    horizon = pd.Timestamp(f.end + timedelta(days=ahead_days))
    due = items[(items["status"] != "completed") & (items["deadline"] <= horizon)]
    days_left = (due["deadline"] - pd.Timestamp(f.as_of.date())).dt.days.astype("int64")
    return due.assign(days_left=days_left)[
        ["code", "title", "focus", "owner", "status", "deadline", "days_left", "overdue"]
    ].reset_index(drop=True)


# --- the whole meeting ------------------------------------------------------------------------

@dataclass(frozen=True)
class Meeting:
    """Everything the meeting shows, at its cut-off."""

    f: Filters
    campaign_start: date
    comparison: pd.DataFrame
    boards: dict[str, pd.DataFrame]  # board_key → fetch_board frame
    officers_below: pd.DataFrame
    longest_overdue: pd.DataFrame
    new_supervised: pd.DataFrame
    reopened: pd.DataFrame
    supervision_due: pd.DataFrame

    @property
    def monday(self) -> date:
        return self.f.start

    @property
    def cutoff(self) -> datetime:
        return self.f.as_of

    def figures(self) -> dict:
        """The meeting's figures as plain JSON-ready data (what a snapshot stores)."""
        return figures_of(self)


def assemble(conn: Connection, f: Filters) -> Meeting:
    """The meeting of the week `f` (see week_filters) at its cut-off `f.as_of`."""
    start = periods(f, places.get_campaign_start(conn))["campaign"].start
    return Meeting(
        f=f, campaign_start=start,
        comparison=fetch_comparison(conn, f),
        boards=fetch_boards(conn, f),
        officers_below=fetch_officers_below(conn, f),
        longest_overdue=fetch_longest_overdue(conn, f),
        new_supervised=fetch_week_events(conn, f, "supervised"),
        reopened=fetch_week_events(conn, f, "reopened"),
        supervision_due=fetch_supervision_due(conn, f),
    )


# --- snapshots --------------------------------------------------------------------------------

LIST_COUNTS = {"officers_below": "低于预警线的干部", "overdue_listed": "超期未办结（列出）",
               "new_supervised": "本周新增督办", "reopened": "本周重办",
               "supervision_due": "到期监督问效事项"}


def _number(x):
    """A JSON number: None for NaN, int for whole counts."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return int(x) if float(x).is_integer() and not isinstance(x, bool) else float(x)


def figures_of(m: Meeting) -> dict:
    """{"comparison": {code: {this_week, last_week, campaign}}, "boards": {key: [rows]},
    "counts": {LIST_COUNTS key: int}}: the numbers that were presented."""
    comparison = {r.code: {p: _number(getattr(r, p)) for p in PERIOD_LABELS}
                  for r in m.comparison.itertuples()}
    boards = {key: [{"board": r.board, "rank": int(r.rank), "key": r.key, "name": r.name,
                     "value": _number(r.value), "last_week": _number(r.last_week),
                     "base": int(r.base)} for r in frame.itertuples()]
              for key, frame in m.boards.items()}
    counts = {"officers_below": len(m.officers_below), "overdue_listed": len(m.longest_overdue),
              "new_supervised": len(m.new_supervised), "reopened": len(m.reopened),
              "supervision_due": len(m.supervision_due)}
    return {"comparison": comparison, "boards": boards, "counts": counts}


def store_snapshot(conn: Connection, m: Meeting, stored_at: datetime | None = None) -> dict:
    """Write the meeting's figures to meeting_snapshots (the admin tool's connection, in its
    transaction). Returns the row written."""
    row = {"week": m.monday, "town_code": m.f.town_code, "cutoff": m.cutoff,
           "stored_at": stored_at or local_now(),
           "figures": json.dumps(m.figures(), ensure_ascii=False, sort_keys=True)}
    conn.execute(insert(meeting_snapshots), [row])
    return row


def get_snapshot(conn: Connection, monday: date, cutoff: datetime,
                 town_code: str | None) -> dict | None:
    """The latest stored snapshot of this view, or None.
    Keys: stored_at (datetime), figures (dict, as figures_of)."""
    s = meeting_snapshots.c
    town = s.town_code.is_(None) if town_code is None else s.town_code == town_code
    row = conn.execute(select(s.stored_at, s.figures)
                       .where(s.week == monday, s.cutoff == cutoff, town)
                       .order_by(s.stored_at.desc(), s.id.desc()).limit(1)).first()
    if row is None:
        return None
    stored_at = row[0] if isinstance(row[0], datetime) else datetime.fromisoformat(str(row[0]))
    return {"stored_at": stored_at, "figures": json.loads(row[1])}


def list_snapshots(conn: Connection, monday: date, town_code: str | None) -> pd.DataFrame:
    """Snapshots stored for this week and town, newest first.
    Columns: cutoff, stored_at (datetime)."""
    s = meeting_snapshots.c
    town = s.town_code.is_(None) if town_code is None else s.town_code == town_code
    return fetch(conn, select(s.cutoff, s.stored_at).where(s.week == monday, town)
                 .order_by(s.stored_at.desc()), {"cutoff": "datetime", "stored_at": "datetime"})


def comparison_from(stored: dict) -> pd.DataFrame:
    """A stored snapshot's comparison as fetch_comparison's frame."""
    rows = []
    for code in CODES:
        values = stored["comparison"].get(code, {})
        get = {p: (math.nan if values.get(p) is None else float(values[p]))
               for p in PERIOD_LABELS}
        fig = figures.FIGURES[code]
        rows.append({"code": code, "label": fig.label, **get,
                     "change": get["this_week"] - get["last_week"],
                     "higher_is_better": fig.higher_is_better})
    return pd.DataFrame(rows)


def boards_from(stored: dict) -> dict[str, pd.DataFrame]:
    """A stored snapshot's 红黑榜 as fetch_board frames."""
    out = {}
    for key, rows in stored["boards"].items():
        frame = pd.DataFrame(rows, columns=["board", "rank", "key", "name", "value",
                                            "last_week", "base"])
        frame["value"] = frame["value"].astype(float)
        frame["last_week"] = frame["last_week"].astype(float)
        frame["change"] = frame["value"] - frame["last_week"]
        out[key] = frame[["board", "rank", "key", "name", "value", "last_week", "change", "base"]]
    return out


def differences(stored: dict, live: dict) -> pd.DataFrame:
    """Figure by figure, where the stored snapshot and the live computation differ.

    Columns: code, label, period (str: 本周 | 上周 | 活动以来 | 清单); stored, live (float, NaN
    when undefined); difference (float: live − stored). Empty when they agree.
    """
    rows = []
    for code in CODES:
        for period, period_label in PERIOD_LABELS.items():
            a = stored["comparison"].get(code, {}).get(period)
            b = live["comparison"].get(code, {}).get(period)
            if a != b and not (a is not None and b is not None and math.isclose(a, b)):
                rows.append({"code": code, "label": figures.label(code), "period": period_label,
                             "stored": math.nan if a is None else float(a),
                             "live": math.nan if b is None else float(b)})
    for key, label in LIST_COUNTS.items():
        a, b = stored["counts"].get(key), live["counts"].get(key)
        if a != b:
            rows.append({"code": key, "label": label, "period": "清单",
                         "stored": math.nan if a is None else float(a),
                         "live": math.nan if b is None else float(b)})
    out = pd.DataFrame(rows, columns=["code", "label", "period", "stored", "live"])
    return out.assign(difference=out["live"] - out["stored"])



def snapshot_command(engine, week: str, cutoff: str | None, town: str | None) -> str:
    """`admin snapshot`: compute the meeting at its cut-off and store its figures in one
    transaction. Returns what was done, in Chinese; ValueError for a bad week, cut-off or
    town."""
    with engine.begin() as conn:
        f = resolve_view(conn, week, cutoff, town)
        row = store_snapshot(conn, assemble(conn, f))
    where = f.town_code or "全区"
    return (f"已存档周例会数字：{f.start:%Y-%m-%d} 至 {f.end:%Y-%m-%d}，{where}，截止 "
            f"{f.as_of:%Y-%m-%d %H:%M}（存档时间 {row['stored_at']:%Y-%m-%d %H:%M:%S}）")
