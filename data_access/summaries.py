"""Derived tables: each ticket's state kept per ticket, refreshed by the admin tool.

`ticket_states` holds every ticket's dimension columns and its state after ALL its events
(ticket_state.event_state, the one definition), with the times of its first and last event.
At any `as_of` later than a ticket's last event, the stored state is its state at as_of, so
ticket_state.state() reads it there and computes from the events only for the tickets
touched at or after as_of. cockpit_meta keeps the last ticket_events.id folded in
(SUMMARY_MARK): events beyond it are recomputed from the raw table until the next refresh, so
a missed refresh costs speed, never exactness. The raw tables stay the truth.

`ticket_rollup` counts the stored states per day and month × town × category × source (and
per day × town and per day, for the daily series of a town and of the district), and
`ticket_unit_rollup` per month and year × town × grid cell, department or 专班 (ROLLUP_UNITS);
figures.py reads them and corrects them for the tickets they cannot judge at an as_of.
`visit_rollup` counts the visits per day and month × town × diary type, and
`officer_rollup` per day, month and year × officer × the target's town and group the visits, the
problems they raised and the tickets raised in them (by `ticket_visits`, each stored ticket's
visit), with how many are resolved: rebuilt with visit_rollup and kept with ticket_rollup, it
holds while both do. The refresh also
brings 数据质量's kept findings up to date (data_quality.refresh_findings, recount_visits).

Written only by the admin tool (`refresh`, `load-sample`, and the importer after tickets or
ticket events): the cockpit reads.
"""

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from data_access import data_quality, db
from data_access import glossary as g
from data_access import ticket_state as ts
from data_access.filters import local_now
from data_access.programme_figures import counted
from data_access.schema import (
    OPEN_STATE,
    ROLLUP_COUNTS,
    ROLLUP_MARK,
    ROLLUP_UNITS,
    VISIT_ROLLUP_CURRENT,
    complete_record,
    cutoff_corrections,
    officer_rollup,
    pair_visits,
    span_bucket,
    span_rollup,
    target_group,
    targets,
    ticket_changes,
    ticket_events,
    ticket_rollup,
    ticket_states,
    ticket_unit_rollup,
    ticket_visits,
    tickets,
    visit_rollup,
    visits,
)

REFRESHED_AT = "summaries_refreshed_at"
# More stored states touched at or after an as_of than this: the figures read the tickets
# instead of correcting the rollups for them (figures.rollup_current)
ROLLUP_MOVED_MAX = 50_000
MOVED_ABOVE = "rollup_moved_above"  # cockpit_meta: see keep_moved_above
CHUNK = 5_000  # ticket ids per statement in an incremental refresh
FULL_ABOVE = 200_000  # more touched tickets than this: rebuild everything at once
REFRESH_WORK_MEM = "256MB"  # PostgreSQL memory per sort or hash during a refresh
DERIVED = ("ticket_states", "ticket_visits", "ticket_rollup", "ticket_unit_rollup",
           "span_rollup", "visit_rollup", "officer_rollup", "pair_visits", "quality_findings",
           "cutoff_corrections", "cutoff_reports")  # refreshed


def is_refreshed(conn: Connection) -> bool:
    return ts.mark(conn) is not None


def _rows(ticket_ids=None, at_once: bool = False):
    """SELECT of ticket_states rows from the raw tables (all tickets, or `ticket_ids`). The
    first repeats are looked up ticket by ticket, or with `at_once` (all tickets only) in one
    pass (_first_repeats): the same values, far faster for millions of tickets."""
    ev, t = ticket_events.c, tickets.c
    where = [ev.ticket_id == t.id]  # the report time, for the events dated before it
    if ticket_ids is not None:  # both sides: else PostgreSQL hashes every ticket for the join
        where += [ev.ticket_id.in_(ticket_ids), t.id.in_(ticket_ids)]
    st = ts.event_state(*where, extra=[
        func.min(ev.at).label("first_event_at"), func.max(ev.at).label("last_event_at"),
        *(count.label(name) for name, count in ts.event_findings(t.reported_at).items())])
    if at_once:
        st = st.cte("st")
        repeats = _first_repeats(st)
        joined = tickets.outerjoin(st, st.c.ticket_id == t.id).outerjoin(
            repeats, repeats.c.ticket_id == t.id)
        # resolved before its own report: its report could be the one found; look it up
        repeat = case((st.c.resolved_at < t.reported_at, ts.first_repeat(t, st.c.resolved_at)),
                      else_=repeats.c.next_report)
    else:
        st = st.subquery()
        joined = tickets.outerjoin(st, st.c.ticket_id == t.id)
        repeat = ts.first_repeat(t, st.c.resolved_at)
    query = (select(t.id, *(t[c] for c in ts.DIMENSIONS),
                    *(st.c[c] for c in ts.STATE_COLUMNS if c not in ("rejections", "supervisions")),
                    func.coalesce(st.c.rejections, 0), func.coalesce(st.c.supervisions, 0),
                    repeat.label("repeat_reported_at"), st.c.first_event_at, st.c.last_event_at,
                    *ts.loop_spans(st, t.reported_at).values(),
                    func.coalesce(st.c.early_events, 0), func.coalesce(st.c.unknown_events, 0))
             .select_from(joined))
    return query if ticket_ids is None else query.where(t.id.in_(ticket_ids))


def _first_repeats(st):
    """Subquery (ticket_id, next_report): ticket_state.first_repeat of every resolved ticket
    at once. Per grid cell and category, the resolutions and the reports sorted by time,
    latest first: a running minimum of the reports is the first report after each
    resolution (kept if within the window). Exact for tickets not resolved before their own
    report (_rows looks those up one by one)."""
    t = tickets.c
    in_cell = [t.grid_cell_code.is_not(None)]
    moments = union_all(
        select(t.id.label("ticket_id"), t.grid_cell_code, t.category,
               st.c.resolved_at.label("at"), literal(0).label("kind"), null().label("report"))
        .select_from(tickets.join(st, st.c.ticket_id == t.id))
        .where(st.c.resolved_at.is_not(None), *in_cell),
        # a report at the very time of a resolution is not after it: resolutions sort first
        select(null(), t.grid_cell_code, t.category, t.reported_at, literal(1),
               t.reported_at).where(*in_cell)).subquery()
    m = moments.c
    following = func.min(m.report).over(partition_by=[m.grid_cell_code, m.category],
                                         order_by=[m.at.desc(), m.kind], rows=(None, 0))
    ranked = select(m.ticket_id, m.at, m.kind, following.label("next_report")).subquery()
    r = ranked.c
    return (select(r.ticket_id, r.next_report).where(
        r.kind == 0, ts.seconds(r.next_report) - ts.seconds(r.at) <= ts.REPEAT_WINDOW)
        .subquery("repeats"))


def _visits_of(ticket_ids=None):
    """SELECT ticket_id, visit_id of the tickets (all, or `ticket_ids`) raised in a visit."""
    t = tickets.c
    return select(t.id, t.visit_id).where(t.visit_id.is_not(None), *(
        [] if ticket_ids is None else [t.id.in_(ticket_ids)]))


COLUMNS = ["ticket_id", *ts.DIMENSIONS,
           *(c for c in ts.STATE_COLUMNS if c not in ("rejections", "supervisions")),
           "rejections", "supervisions", "repeat_reported_at", "first_event_at", "last_event_at",
           *(f"seconds_to_{stage}" for stage in g.LOOP_STAGES[1:]), "early_events",
           "unknown_events"]


def touched(conn: Connection, since: int, ticket_ids=()) -> set[str]:
    """Tickets whose stored state may be out of date: events after event id `since`, the
    given ids (tickets an import wrote), and the tickets written since the last refresh,
    by any program (ticket_changes, which schema.ticket_triggers fill)."""
    ev = ticket_events.c
    out = set(ticket_ids)
    # no DISTINCT: SQLite would read its whole index of ticket ids rather than the id range
    out |= set(conn.execute(select(ev.ticket_id).where(ev.id > since)).scalars())
    out |= set(conn.execute(select(ticket_changes.c.ticket_id)).scalars())
    return out


def neighbours(conn: Connection, ticket_ids) -> set[str]:
    """Stored tickets whose first repeat (ticket_state.first_repeat) one of these tickets may
    be, by its stored (old) or its raw (new) grid cell, category and report time
    (ticket_state.neighbours_of)."""
    kept, t = ticket_states.c, tickets.c
    out = set()
    for chunk in _chunks(ticket_ids):
        reports = union_all(
            select(t.grid_cell_code, t.category, t.reported_at).where(t.id.in_(chunk)),
            select(kept.grid_cell_code, kept.category, kept.reported_at)
            .where(kept.ticket_id.in_(chunk))).subquery()
        out |= set(conn.execute(ts.neighbours_of(reports)).scalars())
    return out


def _chunks(ticket_ids) -> list[list[str]]:
    """The ids sorted, CHUNK per statement."""
    ordered = sorted(ticket_ids)
    return [ordered[k:k + CHUNK] for k in range(0, len(ordered), CHUNK)]


# The tickets an incremental refresh rewrites, numbered by chunk: a scratch table of its
# session, so that each statement names a chunk by a subquery, not by thousands of values
refresh_ids = Table("refresh_ids", MetaData(), Column("ticket_id", String, primary_key=True),
                    Column("chunk", Integer, nullable=False), prefixes=["TEMPORARY"])


def _keep_ids(conn: Connection, ticket_ids) -> list:
    """Write the ids into refresh_ids, CHUNK a chunk (_chunks); returns a SELECT of each
    chunk's ids."""
    refresh_ids.drop(conn, checkfirst=True)
    refresh_ids.create(conn)
    chunks = _chunks(ticket_ids)
    rows = [{"ticket_id": ticket_id, "chunk": k}
            for k, chunk in enumerate(chunks) for ticket_id in chunk]
    if rows:  # none: an empty list would insert one row of defaults
        conn.execute(insert(refresh_ids), rows)
    conn.exec_driver_sql("ANALYZE refresh_ids")  # the planner knows how few they are
    r = refresh_ids.c
    return [select(r.ticket_id).where(r.chunk == k) for k in range(len(chunks))]


def refresh(conn: Connection, ticket_ids=(), full: bool = False) -> int:
    """Bring ticket_states up to date with the raw tables, in the caller's transaction, and
    the tables derived from them, the rollups and the corrections kept at the last meetings'
    cut-offs and a week ago's moments (figures.keep_corrections) among them.
    Incremental unless `full` or never refreshed: only the touched tickets (see `touched`;
    pass the ids of tickets whose own columns an import changed). Returns how many
    tickets were rewritten."""
    db.sort_memory(conn, REFRESH_WORK_MEM)  # the full build sorts and hashes millions of rows
    top = conn.execute(select(func.max(ticket_events.c.id))).scalar() or 0
    since = ts.mark(conn)
    ids = None if full or since is None else touched(conn, since, ticket_ids)
    if ids:  # their reports may make (or unmake) other tickets' repeat reports
        ids |= neighbours(conn, ids)
    if ids is not None and len(ids) > FULL_ABOVE:
        ids = None
    rollup_current = since is not None and db.meta_value(conn, ROLLUP_MARK) == str(since)
    followed = _followable(conn, since) if ids is not None and rollup_current else []
    if ids is None:  # the indexes built after the rows: far faster than row by row
        for index in ticket_states.indexes:
            index.drop(conn, checkfirst=True)
        conn.execute(delete(ticket_states))
        # in the order of their reports: a range of report times is then a run of pages
        conn.execute(insert(ticket_states).from_select(
            COLUMNS, _rows(at_once=True).order_by(tickets.c.reported_at)))
        conn.execute(delete(ticket_visits))
        conn.execute(insert(ticket_visits).from_select(["ticket_id", "visit_id"], _visits_of()))
        for index in ticket_states.indexes:
            index.create(conn)
        count = conn.execute(select(func.count()).select_from(ticket_states)).scalar()
    else:
        chunks = _keep_ids(conn, ids)
        for change in CHANGES.values():  # the counts' changes, signed, kept in the database
            change.drop(conn, checkfirst=True)
            change.create(conn)
        for chunk in chunks:
            _count_changes(conn, chunk, -1)  # as the rollups count them
            conn.execute(delete(ticket_states).where(ticket_states.c.ticket_id.in_(chunk)))
            conn.execute(delete(ticket_visits).where(ticket_visits.c.ticket_id.in_(chunk)))
            # a ticket deleted from the raw table leaves no stored state behind
            conn.execute(insert(ticket_states).from_select(COLUMNS, _rows(chunk)))
            conn.execute(insert(ticket_visits).from_select(["ticket_id", "visit_id"],
                                                           _visits_of(chunk)))
            _count_changes(conn, chunk, +1)  # as they must count them now
        count = len(ids)
    rebuilt = ids is None or not rollup_current
    if rebuilt:
        refresh_rollup(conn)
    else:  # only the changes the touched tickets make
        for table, change in CHANGES.items():
            _apply(conn, table, change)
        _follow_corrections(conn, followed)
    db.set_meta(conn, ROLLUP_MARK, str(top))
    db.set_meta(conn, ts.SUMMARY_MARK, str(top))
    db.set_meta(conn, REFRESHED_AT, datetime.now().replace(microsecond=0).isoformat())
    keep_moved_above(conn)
    conn.execute(delete(ticket_changes))  # all rewritten (the full refresh: every ticket)
    # its statistics say empty again: with autovacuum off, PostgreSQL otherwise counts the
    # pages the deleted rows leave and plans for a few thousand changed tickets in every query
    conn.exec_driver_sql("ANALYZE ticket_changes")
    if not refresh_visits(conn, full) and rebuilt:  # else it was rebuilt with the visits
        refresh_officer_rollup(conn)
    data_quality.refresh_findings(conn, None if ids is None else chunks, since, top)
    from data_access import figures, meeting  # they read what is kept here

    now = local_now()
    meetings = meeting.kept_cutoffs(now)
    figures.keep_corrections(conn, meetings + figures.week_ago_cutoffs(now),
                             followed=[] if rebuilt else followed,  # last: plans as the pages
                             meetings=meetings)
    if ids is not None:
        for scratch in (*CHANGES.values(), refresh_ids):
            scratch.drop(conn)
    if rebuilt:  # the planner learns the new tables (and vacuum() after the commit)
        for table in DERIVED:
            conn.exec_driver_sql(f"ANALYZE {table}")
    return count


def _followable(conn: Connection, since: int) -> list[datetime]:
    """The cut-offs kept in cutoff_corrections that this incremental refresh brings up to
    date by ticket_rollup's changes alone (_follow_corrections): those before every change
    it finds (each new event's time; each ticket written since, new and reported at or after
    the cut-off), so that no ticket's state at them changed. None when a stored ticket was
    written (its columns, or its events changed or deleted)."""
    from data_access import figures

    kept = figures.cutoffs_kept(conn)
    written = select(ticket_changes.c.ticket_id)
    if not kept or conn.execute(select(ticket_states.c.ticket_id).where(
            ticket_states.c.ticket_id.in_(written)).limit(1)).first() is not None:
        return []
    ev = ticket_events.c
    firsts = [conn.execute(select(func.min(ev.at)).where(ev.id > since)).scalar(),
              conn.execute(select(func.min(tickets.c.reported_at))
                           .where(tickets.c.id.in_(written))).scalar()]
    first = min((x for x in firsts if x is not None), default=None)
    return [cutoff for cutoff in kept if first is None or first >= cutoff]


def _follow_corrections(conn: Connection, cutoffs) -> None:
    """Bring cutoff_corrections at `cutoffs` (_followable) up to date by this refresh's
    changes of ticket_rollup's day rows (CHANGES): no ticket's state at those cut-offs
    changed, so each touched ticket's correction changes by its stored counts' change, taken
    off (超期未办结: its 在办 due before the cut-off's day)."""
    change = CHANGES[ticket_rollup].c
    key = [change.basis, change.day, change.town_code, change.category, change.source]
    for cutoff in cutoffs:
        overdue = func.sum(case((and_(change.basis == "due", change.day < cutoff.date()),
                                 change.open), else_=0))
        counts = [-func.sum(change[c]) for c in ROLLUP_COUNTS] + [-overdue]
        _add(conn, cutoff_corrections, select(
            literal(cutoff, cutoff_corrections.c.as_of.type), *key, *counts)
            .where(change.grain == "D").group_by(*key)
            .having(or_(*(count != 0 for count in counts))))


def keep_moved_above(conn: Connection) -> None:
    """Keep in cockpit_meta the last event time of the stored state that is the
    (ROLLUP_MOVED_MAX + 1)-th latest: more than ROLLUP_MOVED_MAX stored states were touched
    at or after an as_of exactly when the as_of is at or before that time (kept with the
    limit, to know it from a value kept under another; no time: fewer states). One walk of
    the last event's index here instead of a count of up to as many entries on each page
    view."""
    last = ticket_states.c.last_event_at
    at = conn.execute(select(last).where(last.is_not(None)).order_by(last.desc())
                      .offset(ROLLUP_MOVED_MAX).limit(1)).scalar()
    db.set_meta(conn, MOVED_ABOVE, f"{ROLLUP_MOVED_MAX} {'' if at is None else at.isoformat()}")


def moved_above(conn: Connection) -> "datetime | None | bool":
    """The time keep_moved_above kept (None: fewer states than the limit), or False when none
    is kept for today's limit (a database refreshed before the refresh kept it)."""
    value = db.meta_value(conn, MOVED_ABOVE)
    limit, _, at = (value or "").partition(" ")
    if limit != str(ROLLUP_MOVED_MAX):
        return False
    return datetime.fromisoformat(at) if at else None


def rollups_kept(conn: Connection) -> bool:
    """Whether the rollups kept with the ticket states (ticket_rollup, ticket_unit_rollup,
    officer_rollup, span_rollup) count the states as the last refresh stored them."""
    rolled = db.meta_value(conn, ROLLUP_MARK)
    return rolled is not None and rolled == db.meta_value(conn, ts.SUMMARY_MARK)


def vacuum(engine: Engine, tables=DERIVED) -> None:
    """PostgreSQL: VACUUM ANALYZE `tables` after a transaction that rewrote them (outside any
    transaction), so that index-only scans need not visit the table; nothing on SQLite."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


class EveryTicket(NamedTuple):
    """Every ticket reported before a filters' as_of that matches its ticket choices, with
    its state at as_of: select from `source` where `where`; `st` the state columns, `t` the
    ticket's own columns, `id` its id; `stored`: read from ticket_states (there a range of
    report times is an index range, not a state computed for every ticket)."""

    source: object
    st: object
    t: object
    id: object
    where: list
    stored: bool = False


def state(conn: Connection, f, ids=None):
    """ticket_state.state(f, ids) with the last refresh's mark read first: a value the
    planner sees (as a subquery it expects millions of unseen events and spills its hashes)."""
    return ts.state(f, ids, ts.mark(conn))


def states_hold(conn: Connection, f) -> bool:
    """Whether every stored state is its ticket's state at f.as_of, so that ticket_states
    alone (and its indexes) answers: the refresh saw the last event, and no ticket has an
    event at or after as_of."""
    return _hold(conn, f, ts.mark(conn))


def _hold(conn: Connection, f, seen: ts.Mark | None) -> bool:
    """states_hold with the refresh mark already read."""
    if not ts.USE_SUMMARIES or seen is None or not seen.complete:
        return False
    kept = ticket_states.c
    return conn.execute(select(kept.ticket_id).where(kept.last_event_at >= f.as_of)
                        .limit(1)).first() is None


def every_ticket(conn: Connection, f, only=None, within=None) -> EveryTicket:
    """ticket_states itself when every stored state holds at as_of (states_hold: its indexes
    serve the period and the choices); else ticket_state.ticket_rows once the summaries are
    refreshed (no join, read mostly from ticket_states); else tickets LEFT JOIN
    ticket_state.state(f). `only` (st → SQL truth on the state, e.g. ticket_state.is_open;
    see ticket_rows) keeps the tickets it holds for, in `where` or in each of ticket_rows'
    branches: a few open tickets at a past cut-off are then found through the partial index
    of the open states, not picked from a union of every ticket. `within` (ticket columns →
    WHERE clauses on the ticket's own columns, e.g. the report time in f's period): only the
    tickets it keeps; ticket_rows then judges only those (see there)."""
    seen = ts.mark(conn)
    if _hold(conn, f, seen):
        kept = ticket_states
        return EveryTicket(kept, kept, kept.c, kept.c.ticket_id,
                           [*f.known(kept.c.reported_at), *f.ticket_choices(kept),
                            *_only(only, kept), *([] if within is None else within(kept.c))],
                           stored=True)
    if ts.USE_SUMMARIES and seen is not None:
        rows = ts.ticket_rows(f, mark=seen, only=only,  # the known and the choices
                              within=within)
        return EveryTicket(rows, rows, rows.c, rows.c.ticket_id, [], stored=True)
    st = ts.state(f)
    t = tickets.c
    return EveryTicket(ts.joined(st), st, t, t.id,
                       [*f.known(t.reported_at), *f.ticket_choices(tickets), *_only(only, st),
                        *([] if within is None else within(t))])


def open_due_bound(conn: Connection, f, n: int):
    """The due time of the n-th oldest due of the tickets stored as open (the partial index
    of the open states in due order), due before f.as_of and among f's ticket choices: at or
    before it at least n tickets are most likely overdue at as_of (the caller checks).
    None when fewer are stored so."""
    kept = ticket_states.c
    return conn.execute(select(kept.due_at).where(OPEN_STATE, kept.due_at < f.as_of,
                                                  *f.ticket_choices(ticket_states))
                        .order_by(kept.due_at).offset(n - 1).limit(1)).scalar()


def _only(only, st) -> list:
    return [] if only is None else [only(st)]


def status(conn: Connection) -> str | None:
    """None when the summaries are current; else, in Chinese, what needs a refresh."""
    since = ts.mark(conn)
    if since is None:
        return ("汇总表尚未生成：问题状态将从流转记录逐条计算（较慢）。"
                "请运行 `python -m data_access.admin refresh`。")
    newer = conn.execute(select(func.count()).select_from(ticket_events).where(
        ticket_events.c.id > since)).scalar()
    if newer:
        return (f"汇总表落后于流转记录（{newer:,} 条新记录未汇总，结果仍准确但较慢）。"
                "请运行 `python -m data_access.admin refresh`。")
    written = conn.execute(select(func.count()).select_from(ticket_changes)).scalar()
    if written:
        return (f"汇总表落后于问题表（{written:,} 个问题在上次刷新后被改写）。"
                "请运行 `python -m data_access.admin refresh`。")
    if not visits_current(conn):
        return ("走访汇总表已停用：上次刷新后走访记录或联系对象被改写（结果仍准确但较慢）。"
                "请运行 `python -m data_access.admin refresh`。")
    return None


# --- ticket_rollup: ticket_states counted per day and month ----------------------------------

class _day(FunctionElement):
    """SQL: the day of a timestamp column, as a date."""

    type = Date()
    inherit_cache = True


@compiles(_day)
def _day_default(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(_day, "sqlite")
def _day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


class _month_start(FunctionElement):
    """SQL: the first day of the month of a date column (_year_start: of the year)."""

    type = Date()
    inherit_cache = True
    unit = "month"


class _year_start(_month_start):
    inherit_cache = True
    unit = "year"


@compiles(_month_start)
def _start_default(element, compiler, **kw):
    return (f"CAST(date_trunc('{element.unit}', {compiler.process(element.clauses, **kw)})"
            " AS DATE)")


@compiles(_month_start, "sqlite")
def _start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of {element.unit}')"


class week_start(_month_start):
    """SQL: the Monday of the week of a date or timestamp column, as a date."""

    inherit_cache = True
    unit = "week"


@compiles(week_start, "sqlite")
def _week_sqlite(element, compiler, **kw):  # the Sunday on or after, less six days
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


def _rollup_selects(kept=ticket_states, unit: str | None = None, judged=None):
    """basis → SELECT of ticket_rollup's day rows (grain D) from the ticket states `kept`
    (ticket_states, or some of its rows), or with `unit` (one of ROLLUP_UNITS) of
    ticket_unit_rollup's month rows (grain M) by that column. `judged` (Filters): `kept`
    are states at its as_of (figures.rollup_bases)."""
    from data_access import figures

    k = kept.c
    out = {}
    for basis, (column, conditions) in figures.rollup_bases(kept, k, judged).items():
        counts = [func.coalesce(func.sum(_one(conditions[c])), 0) if c in conditions
                  else literal(0) for c in ROLLUP_COUNTS]
        needs = [column.is_not(None)]
        if basis != "reported":  # only the rows that count something
            needs.append(or_(*conditions.values()))
        if unit is None:
            head, dims = [literal("D"), literal(basis), _day(column)], [
                k.town_code, k.category, k.source]
        else:  # a key column cannot be NULL: '' stands for none
            head, dims = [literal(unit), literal(basis), literal("M"), _month_start(column)], [
                k.town_code, func.coalesce(k[unit], "")]
        out[basis] = select(*head, *dims, *counts).where(*needs).group_by(head[-1], *dims)
    return out


# The rollups an incremental refresh keeps by the counts of the tickets it rewrites
KEPT_ROLLUPS = (ticket_rollup, ticket_unit_rollup, officer_rollup, span_rollup)


def _counted_rows(kept=ticket_states) -> dict[Table, list]:
    """Each of KEPT_ROLLUPS → SELECTs of its rows as the ticket states `kept` (ticket_states,
    or some of its rows) count them, in its columns' order: ticket_rollup's and
    officer_rollup's day rows (their months are summed from these), ticket_unit_rollup's
    months (its years are summed from these), span_rollup's rows."""
    return {ticket_rollup: list(_rollup_selects(kept).values()),
            ticket_unit_rollup: [query for unit in ROLLUP_UNITS
                                 for query in _rollup_selects(kept, unit).values()],
            officer_rollup: [_officer_tickets(kept)],
            span_rollup: _span_selects(kept)}


def refresh_rollup(conn: Connection) -> None:
    """Rebuild ticket_rollup from ticket_states (the days, then the months and the towns'
    days summed from them, and the district's days from the towns'), ticket_unit_rollup
    (the months of each unit, then the years summed from them) and span_rollup."""
    for table, queries in _counted_rows().items():
        if table is not officer_rollup:  # rebuilt with the visits (refresh_officer_rollup)
            conn.execute(delete(table))
            _fill(conn, table, union_all(*queries))
            for summed in SUMMED.get(table, ()):
                summed(conn, table)


def _span_selects(kept=ticket_states) -> list:
    """SELECTs of span_rollup's rows from the ticket states `kept` (ticket_states, or some
    of its rows): the spans per month of report, town, step and bucket, read once, and the
    district's rows ('' for the town) summed from them."""
    k = kept.c
    month = _month_start(k.reported_at)
    per_town = []
    for stage in g.LOOP_STAGES[1:]:
        span = k[f"seconds_to_{stage}"]
        bucket = span_bucket(span)
        per_town.append(select(month.label("day"), k.town_code, literal(stage).label("stage"),
                               bucket.label("bucket"), func.count().label("tickets"))
                        .where(span.is_not(None)).group_by(month, k.town_code, bucket))
    towns = union_all(*per_town).cte("span_towns")
    t = towns.c
    return [select(towns),
            select(t.day, literal(""), t.stage, t.bucket, func.sum(t.tickets))
            .group_by(t.day, t.stage, t.bucket)]


def visits_current(conn: Connection) -> bool:
    """Whether visit_rollup counts the visits and targets as they are: no write to either
    since the refresh that built it (schema.rollup_triggers forget it on any)."""
    return ts.USE_SUMMARIES and db.meta_value(conn, VISIT_ROLLUP_CURRENT) is not None


def refresh_visits(conn: Connection, full: bool = False) -> bool:
    """Rebuild visit_rollup (the days, then the months summed from them), pair_visits and
    officer_rollup unless they are current, or always with `full`. Returns whether they were
    rebuilt."""
    if not full and visits_current(conn):
        return False
    day, town = _day(visits.c.visited_at), func.coalesce(targets.c.town_code, "")
    diary = func.coalesce(visits.c.diary_type, "")
    conn.execute(delete(visit_rollup))
    _fill(conn, visit_rollup, select(literal("D"), day, town, diary, func.count(),
                                     func.sum(_one(complete_record(visits.c))))
          .select_from(visits.join(targets, targets.c.id == visits.c.target_id))
          .where(visits.c.visited_at.is_not(None)).group_by(day, town, diary))
    _sum_months(conn, visit_rollup)
    conn.execute(delete(pair_visits))
    _fill(conn, pair_visits, select(visits.c.officer_id, visits.c.target_id,
                                    func.min(visits.c.visited_at), func.max(visits.c.visited_at))
          .where(visits.c.visited_at.is_not(None))
          .group_by(visits.c.officer_id, visits.c.target_id))
    refresh_officer_rollup(conn)  # it counts the tickets by their visits
    db.set_meta(conn, VISIT_ROLLUP_CURRENT, datetime.now().replace(microsecond=0).isoformat())
    data_quality.recount_visits(conn)  # the findings that read visits hold while it does
    return True


def _officer_keys(v):
    """officer_rollup's key columns after the grain, on visits' columns `v` (joined to their
    target): the visit's day, its officer, the target's town ('' for none) and group."""
    return [_day(v.visited_at), v.officer_id, func.coalesce(targets.c.town_code, ""),
            target_group(targets.c)]


def stored_visits(kept=ticket_states):
    """The ticket states `kept` (ticket_states, or some of its rows) of the tickets raised
    in a visit, joined to that visit as the last refresh saw it (ticket_visits) and its
    target: how officer_rollup counts them."""
    v = visits.c
    return (kept.join(ticket_visits, ticket_visits.c.ticket_id == kept.c.ticket_id)
            .join(visits, v.id == ticket_visits.c.visit_id)
            .join(targets, targets.c.id == v.target_id))


def _officer_tickets(kept=ticket_states):
    """SELECT of officer_rollup's day rows (grain D) as the ticket states `kept`
    (ticket_states, or some of its rows) count them: each ticket raised in a visit
    (ticket_visits) counted on the visit's day, and whether it is resolved; no visits."""
    v = visits.c
    keys = _officer_keys(v)
    return (select(literal("D"), *keys, literal(0), literal(0), func.count(),
                   func.sum(_one(ts.is_resolved(kept))))
            .select_from(stored_visits(kept))
            .where(v.visited_at.is_not(None)).group_by(*keys))


def refresh_officer_rollup(conn: Connection) -> None:
    """Rebuild officer_rollup from the visits and, by ticket_visits, the ticket states (the
    days, then the months)."""
    v = visits.c
    keys = _officer_keys(v)
    names = list(officer_rollup.c.keys())
    counts = [func.count(), func.coalesce(func.sum(counted(v.problems_raised)), 0),
              literal(0), literal(0)]  # visits, problems; the tickets come below
    made = (select(*(c.label(name) for c, name in zip([literal("D"), *keys, *counts], names)))
            .select_from(visits.join(targets, targets.c.id == v.target_id))
            .where(v.visited_at.is_not(None)).group_by(*keys))
    rows = union_all(made, _officer_tickets()).subquery()
    key = [rows.c[name] for name in names[:5]]
    conn.execute(delete(officer_rollup))
    _fill(conn, officer_rollup, select(*key, *(func.sum(rows.c[name]) for name in names[5:]))
          .group_by(*key))
    for summed in SUMMED[officer_rollup]:
        summed(conn, officer_rollup)


def _sum_months(conn: Connection, table: Table) -> None:
    """Add to a rollup kept by day and month (grain, day, its other keys, its counts), or to
    its table of changes (CHANGES), the month rows (grain M), summed from its day rows."""
    _sum_days(conn, table, "M", {"day": _month_start(table.c.day)})


def _sum_years(conn: Connection, table: Table) -> None:
    """Add to ticket_unit_rollup or officer_rollup, or to its table of changes, the year
    rows (grain Y), summed from its month rows."""
    _sum_days(conn, table, "Y", {"day": _year_start(table.c.day)}, of="M")


def _sum_towns(conn: Connection, table: Table) -> None:
    """Add to ticket_rollup, or to its table of changes, the town rows (grain T): its day
    rows summed over the categories and sources ('' for both)."""
    _sum_days(conn, table, "T", {}, blank=("category", "source"))


def _sum_district(conn: Connection, table: Table) -> None:
    """Add to ticket_rollup, or to its table of changes, the district rows (grain W): its
    town rows summed over the towns ('' for town, category and source)."""
    _sum_days(conn, table, "W", {}, blank=("town_code", "category", "source"), of="T")


def _sum_days(conn: Connection, table: Table, grain: str, made: dict, blank=(),
              of: str = "D") -> None:
    """Add to `table` rows of `grain` summed from its rows of grain `of` (by default its
    day rows): the key columns in `made` computed from theirs, those in `blank` '', the
    others kept."""
    r = table.c
    keys = [made.get(c.name, c) for c in _key(table) if c.name not in ("grain", *blank)]
    values = {"grain": literal(grain), **made, **{name: literal("") for name in blank},
              **{c.name: func.sum(c) for c in _counts(table)}}
    _fill(conn, table, select(*(values.get(c.name, c) for c in r)).where(r.grain == of)
          .group_by(*keys))


def _fill(conn: Connection, table: Table, query) -> None:
    """Insert the rows of `query` (in `table`'s columns' order) into `table` (a rollup, or
    its table of changes) in the order of its key: a range of the key that a reader asks
    for (a basis's days, a unit's months) is then a run of pages, not a page a row."""
    names = list(table.c.keys())
    order = [literal_column(str(names.index(c.name) + 1)) for c in _key(table)]
    conn.execute(insert(table).from_select(names, query.order_by(*order)))


# The rows a rollup sums from its finest rows (days; the units' months), each rebuild and
# each refresh
SUMMED = {ticket_rollup: (_sum_months, _sum_towns, _sum_district),  # T before W: W sums T
          officer_rollup: (_sum_months, _sum_years), ticket_unit_rollup: (_sum_years,)}


def _key(table: Table) -> list:
    """A rollup's key columns (of its table of changes: the rollup's)."""
    rollup = table.info.get("rollup", table)
    return [table.c[c.name] for c in rollup.primary_key.columns]


def _counts(table: Table) -> list:
    """A rollup's count columns (or its table of changes'): all but its key."""
    key = {c.name for c in _key(table)}
    return [c for c in table.c if c.name not in key]


def _changes_of(table: Table) -> Table:
    """A scratch table of one session for the changes an incremental refresh makes to the
    counts of a rollup: its columns, the counts signed, a key any number of times."""
    return Table(f"change_{table.name}", MetaData(),
                 *(Column(c.name, c.type) for c in table.c),
                 prefixes=["TEMPORARY"], info={"rollup": table})


CHANGES = {table: _changes_of(table) for table in KEPT_ROLLUPS}


def _count_changes(conn: Connection, ticket_ids, sign: int) -> None:
    """Add to CHANGES the rows of each of KEPT_ROLLUPS of these tickets alone, as their
    stored states count them, the counts times `sign`. Their states are read once, then
    counted by each basis and unit (one statement a rollup)."""
    chunk = select(ticket_states).where(ticket_states.c.ticket_id.in_(ticket_ids)).cte("chunk")
    for table, queries in _counted_rows(chunk).items():
        change = CHANGES[table]
        rows = union_all(*queries).subquery()
        width = len(_key(table))
        conn.execute(insert(change).from_select(list(change.c.keys()), select(
            *list(rows.c)[:width], *(column * sign for column in list(rows.c)[width:]))))


def _apply(conn: Connection, table: Table, change: Table) -> None:
    """Add the changes of the counts in `change` (its rows of CHANGES; the SUMMED rows
    summed here from its day rows) to `table` (_add)."""
    for summed in SUMMED.get(table, ()):
        summed(conn, change)
    c = change.c
    key = [column.name for column in _key(table)]
    counted = [column.name for column in _counts(table)]
    _add(conn, table, select(*(c[name] for name in key), *(func.sum(c[name]) for name in counted))
         .group_by(*(c[name] for name in key))
         .having(or_(*(func.sum(c[name]) != 0 for name in counted)))
         .order_by(*(c[name] for name in key)))  # the rows it adds: in key order (_fill)


def _add(conn: Connection, table: Table, net) -> None:
    """Add the counts of `net` (a SELECT of `table`'s key, then its counts, each key once) to
    `table`, inserting the rows it lacks; then drop the rows left counting nothing (the
    upsert returns them), as a rebuild would not have them."""
    r = table.c
    key = [column.name for column in table.primary_key.columns]
    counted = [column.name for column in table.c if column.name not in key]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    statement = upsert(table).from_select([*key, *counted], net)
    statement = statement.on_conflict_do_update(
        index_elements=key, set_={name: r[name] + statement.excluded[name] for name in counted})
    emptied = [row[:-1] for row in conn.execute(statement.returning(
        *(r[name] for name in key), and_(*(r[name] == 0 for name in counted))))
        if row[-1]]
    if emptied:
        conn.execute(delete(table).where(*(r[name] == bindparam(f"k_{name}") for name in key)),
                     [{f"k_{name}": value for name, value in zip(key, row)} for row in emptied])


def _one(condition):
    """SQL: 1 where the condition holds, else 0."""
    return case((condition, 1), else_=0)
