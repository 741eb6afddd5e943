"""The states of a ticket, defined once: reached a stage, resolved, open, overdue, signed off.

A ticket's state at `as_of` comes from its events before `as_of` (the `state` subquery: the
last time of each stage, and how often it was bounced or supervised). Every figure, list and
map layer judges tickets with the SQL truths below, so "resolved" means one thing everywhere:
- resolved (已解决/办结): it has a 办结 event, and no 重办 (reopen) event after its last one;
- open (在办): not resolved (also a ticket without any event yet);
- overdue (超期未办结): open, and its due time (working days, see workdays.py) has passed;
- signed off (对账销号): resolved, and the dispatcher signed it off after the last 办结;
- waiting stage: the step an open ticket has yet to take (派单, 接单 or 办结);
- repeat-reported (办结后重复反映): resolved, and another ticket of the same grid cell and
  category was reported within g.REPEAT_REPORT_DAYS after its last 办结 (first_repeat).
"""

import calendar
from datetime import datetime
from functools import cache

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from data_access import db
from data_access import glossary as g
from data_access.filters import Filters
from data_access.result import count_if
from data_access.schema import (
    SUMMARY_MARK,
    meta,
    ticket_changes,
    ticket_events,
    ticket_states,
    tickets,
)

EVENT_STAGES = [*g.STAGES, *g.SIDE_EVENTS]
STATE_STAGES = [s for s in EVENT_STAGES if s != "reported"]  # what event_state reads


class seconds(FunctionElement):
    """SQL: a naive timestamp as seconds since 1970 (the same reading on both backends)."""

    type = Integer()
    inherit_cache = True


@compiles(seconds)
def _seconds_default(element, compiler, **kw):
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS BIGINT)"


@compiles(seconds, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


class plus_seconds(FunctionElement):
    """SQL: a timestamp plus a whole number of seconds, negative too (a bound for index range
    scans; on SQLite the result drops fractions of a second)."""

    type = DateTime()
    inherit_cache = True


@compiles(plus_seconds)
def _plus_seconds_default(element, compiler, **kw):
    moment, amount = list(element.clauses)
    return (f"({compiler.process(moment, **kw)} + "
            f"make_interval(secs => {compiler.process(amount, **kw)}))")


@compiles(plus_seconds, "sqlite")
def _plus_seconds_sqlite(element, compiler, **kw):
    moment, amount = list(element.clauses)
    return (f"datetime({compiler.process(moment, **kw)}, "
            f"{compiler.process(amount, **kw)} || ' seconds')")


def epoch(moment: datetime) -> int:
    """seconds() of a Python moment, to compare with columns."""
    return calendar.timegm(moment.timetuple())


# The state columns every state subquery carries, after ticket_id.
STATE_COLUMNS = [*(f"{s}_at" for s in EVENT_STAGES if s != "reported"), "handling_since",
                 "rejections", "supervisions"]
DIMENSIONS = ["town_code", "grid_cell_code", "category", "source", "department", "task_force",
              "reported_at", "due_at", "satisfaction"]
USE_SUMMARIES = True  # False: always compute from the events (tests compare the two ways)


def event_state(*where, extra=()):
    """SELECT ticket_id, STATE_COLUMNS (and `extra`) computed from the events that satisfy
    `where`, one row per ticket that has such events: the definition of a ticket's state."""
    ev = ticket_events.c
    return select(ev.ticket_id, *_state_columns(), *extra).where(*where).group_by(ev.ticket_id)


@cache
def _state_columns() -> tuple:
    """event_state's STATE_COLUMNS over the events, built once (expressions are immutable;
    building them took about a millisecond a statement)."""
    ev = ticket_events.c

    def last(*stages):
        return func.max(case((ev.stage.in_(stages), ev.at)))

    return (*(last(s).label(f"{s}_at") for s in STATE_STAGES),
            last("accepted", "coordinated", "reopened").label("handling_since"),
            # distinct times: a duplicated event (a shared database may hold one) counts once
            func.count(func.distinct(case((ev.stage == "rejected", ev.at)))).label("rejections"),
            func.count(func.distinct(case((ev.stage == "supervised", ev.at))))
            .label("supervisions"))


def loop_spans(st, reported_at) -> dict:
    """SQL per step of the closed loop after the report (g.LOOP_STAGES[1:]): the seconds
    from the step before to it (the last event of each; the report for 派单), NULL when
    either is missing or it came first (a data-quality finding, not a duration). `st` has
    the state columns (STATE_COLUMNS), `reported_at` is the ticket's report time."""
    times = [reported_at, *(st.c[f"{stage}_at"] for stage in g.LOOP_STAGES[1:])]
    return {stage: case((nxt >= here, seconds(nxt) - seconds(here)))
            for stage, here, nxt in zip(g.LOOP_STAGES[1:], times, times[1:])}


def event_findings(reported_at) -> dict:
    """SQL counts over a ticket's events (ticket_events rows, grouped by ticket) of its
    data-quality findings: events dated before its report (`reported_at`), and events whose
    stage is not in the glossary. Kept per ticket in ticket_states under these names."""
    ev = ticket_events.c
    return {"early_events": count_if(ev.at < reported_at),
            "unknown_events": count_if(~ev.stage.in_(list(g.ALL_EVENTS)))}


REPEAT_WINDOW = g.REPEAT_REPORT_DAYS * 86400  # seconds after the last 办结


def first_repeat(ticket, resolved_at, f: Filters | None = None):
    """SQL: when the first other ticket of the same grid cell and category was reported after
    `resolved_at` and within g.REPEAT_REPORT_DAYS of it (known at f.as_of when given); NULL
    when none was. `ticket`: the columns of a ticket (id or ticket_id, grid_cell_code,
    category); uses the index (grid_cell_code, category, reported_at) of tickets."""
    later = aliased(tickets).c
    own = ticket.id if "id" in ticket else ticket.ticket_id
    return (select(func.min(later.reported_at)).where(
        later.grid_cell_code == ticket.grid_cell_code, later.category == ticket.category,
        later.id != own, later.reported_at > resolved_at,
        *([] if f is None else f.known(later.reported_at)),
        seconds(later.reported_at) - seconds(resolved_at) <= REPEAT_WINDOW,
        # the same window as a range on the index: a bound that keeps every row the line
        # above keeps
        later.reported_at < plus_seconds(resolved_at, REPEAT_WINDOW + 1))
        .scalar_subquery())


def is_repeat_reported(st, ticket, f: Filters | None = None):
    """SQL truth: resolved at f.as_of and reported again (first_repeat) before it; without
    `f`, after all events and tickets (how ticket_rollup counts). Reads the first repeat from
    `ticket` when it carries it (ticket_states, ticket_rows: repeat_reported_at)."""
    first = ticket.repeat_reported_at if "repeat_reported_at" in ticket \
        else first_repeat(ticket, st.c.resolved_at, f)
    return and_(is_resolved(st), first.is_not(None),
                *([] if f is None else [first < f.as_of]))


def neighbours_of(reports, where=()):
    """SELECT ticket_id of the stored tickets whose first repeat one of `reports` (rows with
    grid_cell_code, category, reported_at; those that satisfy `where`) may be, or may have
    been: same grid cell and category, resolved within the window before that report (a
    superset: the bound is one second wide), and no stored first repeat earlier than it (a
    report later than a ticket's first repeat can neither become it nor, gone, have been
    it)."""
    kept, r = ticket_states.c, reports.c
    return (select(kept.ticket_id)
            .select_from(ticket_states.join(reports, and_(
                r.grid_cell_code == kept.grid_cell_code, r.category == kept.category)))
            .where(*where, kept.resolved_at < r.reported_at,
                   kept.resolved_at >= plus_seconds(r.reported_at, -(REPEAT_WINDOW + 1)),
                   or_(kept.repeat_reported_at.is_(None),
                       kept.repeat_reported_at >= r.reported_at)))


def unseen(mark: int | None = None):
    """SELECT ticket_id of the tickets the last refresh has not seen as they are: with events
    after its mark, or written since by any program (ticket_changes; deleted ones too)."""
    ev = ticket_events.c
    return union(select(ev.ticket_id).where(ev.id > _summary_mark(mark)),
                 select(ticket_changes.c.ticket_id))


def unseen_neighbours(mark: int | None = None):
    """SELECT ticket_id of the stored tickets whose stored first repeat may miss (or wrongly
    be) a ticket the last refresh has not seen as it is (unseen): near its report as it is,
    or as stored (a ticket written since may have moved, or be gone)."""
    stored = ticket_states.alias("stored_report")
    return union(neighbours_of(tickets, [tickets.c.id.in_(unseen(mark))]),
                 neighbours_of(stored, [stored.c.ticket_id.in_(unseen(mark))]))


def _pure_state(f: Filters):
    return event_state(*f.known(ticket_events.c.at)).subquery("state")


class Mark(int):
    """The last ticket_events.id the stored states have seen, as the caller read it
    (mark). `complete`: no later event and no ticket written since existed then,
    so no stored ticket is unseen and _seen leaves its check out (on SQLite a probe of the
    events per ticket)."""

    def __new__(cls, value: int, complete: bool = False):
        made = super().__new__(cls, value)
        made.complete = complete
        return made


def mark(conn: Connection) -> "Mark | None":
    """The last event id folded into ticket_states (complete when it is the last event id
    there is and no ticket was written since), or None if never refreshed."""
    return db.once(conn, "mark", _read_mark)


def _read_mark(conn: Connection) -> "Mark | None":
    value = db.meta_value(conn, SUMMARY_MARK)
    if value is None:
        return None
    latest = conn.execute(select(func.max(ticket_events.c.id))).scalar()
    written = conn.execute(select(ticket_changes.c.ticket_id).limit(1)).first()
    return Mark(int(value), complete=(latest is None or latest <= int(value))
                and written is None)


def _summary_mark(mark: int | None = None):
    """SQL: the last event id the stored states have seen (-1 before any refresh); `mark`,
    when the caller has read it (mark), as a value the planner can see."""
    if mark is not None:
        return literal(int(mark))
    return func.coalesce(select(cast(meta.c.value, BigInteger)).where(
        meta.c.key == SUMMARY_MARK).scalar_subquery(), -1)


def _seen(ticket_id, mark: int | None = None):
    """SQL truth: the last refresh saw the ticket as it is (not unseen: NOT EXISTS, an
    anti-join; NOT IN over a subquery cannot be hashed by PostgreSQL beyond work_mem)."""
    if getattr(mark, "complete", False):
        return true()
    ev = ticket_events.c
    return and_(~exists().where(ev.ticket_id == ticket_id, ev.id > _summary_mark(mark)),
                ~exists().where(ticket_changes.c.ticket_id == ticket_id))


def changed_since_stored(f: Filters, mark: int | None = None, within=()):
    """SELECT ticket_id of the tickets whose stored state may differ from their state at
    `as_of`: events at or after as_of (but some before), or unseen by the last refresh (all
    tickets with events, before the first refresh). `within`: WHERE clauses on
    ticket_states that keep only some of the stored ones (the unseen are all kept)."""
    kept = ticket_states.c
    moved = select(kept.ticket_id).where(kept.last_event_at >= f.as_of,
                                         kept.first_event_at < f.as_of, *within)
    return union(moved, *unseen(mark).selects)


def state(f: Filters, ids=None, mark: int | None = None):
    """Subquery: one row per ticket with the last time of each stage known at `as_of`, the
    number of 退单 and 督办 events, and since when it waits in its current step.

    Read from ticket_states (each ticket's state after all its events) for the tickets whose
    events all lie before as_of and were all seen by the last refresh; computed from the
    events before as_of for the rest (the few touched since as_of, or all of them on a
    database never refreshed). Both ways give the same rows. `ids` (a SELECT of ticket ids)
    keeps only those tickets' rows; `mark`: see _summary_mark (summaries.state passes it)."""
    kept, ev = ticket_states.c, ticket_events.c
    if not USE_SUMMARIES:
        if ids is None:
            return _pure_state(f)
        return event_state(*f.known(ev.at), ev.ticket_id.in_(ids)).subquery("state")
    only = [] if ids is None else [kept.ticket_id.in_(ids)]
    stored = select(kept.ticket_id, *(kept[c] for c in STATE_COLUMNS)).where(
        *stored_state_holds(f, mark), *only)
    return union_all(stored, recomputed_state(f, ids, mark)).subquery("state")


def stored_state_holds(f: Filters, mark: int | None = None) -> list:
    """WHERE clauses keeping the ticket_states rows that are their ticket's state at as_of
    (state's first branch; recomputed_state gives the others)."""
    kept = ticket_states.c
    return [kept.last_event_at < f.as_of, _seen(kept.ticket_id, mark)]


def recomputed_state(f: Filters, ids=None, mark: int | None = None):
    """SELECT of the states at as_of of the tickets changed_since_stored, from their events
    (state's second branch); `ids` (a SELECT of ticket ids) keeps only those tickets."""
    ev = ticket_events.c
    return event_state(*f.known(ev.at), ev.ticket_id.in_(changed_since_stored(f, mark)),
                       *([] if ids is None else [ev.ticket_id.in_(ids)]))


def ticket_rows(f: Filters, ids=None, mark: int | None = None, only=None,
                covers_changed: bool = False, within=None):
    """Subquery: every ticket reported before `as_of` that matches the filters' ticket
    choices, with its DIMENSIONS, its state at as_of (STATE_COLUMNS, NULL without events
    before as_of) and its first repeat (repeat_reported_at, see first_repeat): what tickets
    LEFT JOIN state(f) gives, read mostly from ticket_states.
    Only for a database whose summaries have been refreshed (summaries.is_refreshed).
    `ids` (a SELECT of ticket ids) keeps only those tickets; `mark`: see _summary_mark.
    `only` (st → SQL truth on ticket_id, DIMENSIONS and STATE_COLUMNS, e.g. is_open) keeps
    the tickets it holds for, judged in each branch: on ticket_states' own columns for the
    stored states, so that a partial index of that condition (schema.OPEN_STATE) finds them
    without reading the others. `covers_changed`: `ids` holds every ticket
    changed_since_stored (figures' moved tickets do), so the recomputed ones are those alone
    (a second test against `ids` per event cost a fifth of the statement at 2M).
    `within` (ticket columns → WHERE clauses on the ticket's own columns, e.g. its report
    time in f's period): only the tickets it keeps, each branch kept to them (a week's
    reports at a past cut-off: the events of those touched since, not of every ticket
    touched since)."""
    kept, t, ev = ticket_states.c, tickets.c, ticket_events.c
    only_kept = [] if ids is None else [kept.ticket_id.in_(ids)]
    only_raw = [] if ids is None or covers_changed else [t.id.in_(ids)]
    kept_within = [] if within is None else within(kept)
    only_kept += kept_within
    seen = _seen(kept.ticket_id, mark)
    # a stored first repeat is exact unless an unseen ticket may be one (unseen_neighbours)
    repeat = case((kept.ticket_id.in_(unseen_neighbours(mark)),
                   first_repeat(kept, kept.resolved_at, f)),
                  else_=kept.repeat_reported_at).label("repeat_reported_at")
    stored = select(kept.ticket_id, *(kept[c] for c in DIMENSIONS),
                    *(kept[c] for c in STATE_COLUMNS), repeat).where(
        *f.known(kept.reported_at), *f.ticket_choices(ticket_states),
        or_(kept.last_event_at.is_(None), kept.last_event_at < f.as_of),
        seen, *only_kept)
    no_state = [cast(null(), kept[c].type).label(c)  # typed: `only` may wrap it
                for c in [*STATE_COLUMNS, "repeat_reported_at"]]
    quiet = select(kept.ticket_id, *(kept[c] for c in DIMENSIONS), *no_state).where(
        *f.known(kept.reported_at), *f.ticket_choices(ticket_states),
        kept.first_event_at >= f.as_of, seen,  # nothing yet at as_of
        kept.last_event_at >= f.as_of,  # implied: a range of the index below
        *only_kept)
    if ids is None:  # the few tickets first touched after as_of, by that index: SQLite would
        # otherwise read them through `only`'s due times, nearly every ticket
        quiet = db.through_index(quiet, ticket_states, "ix_ticket_states_last_event")
    # `ids` not covering the changed: those among them only, found from them (not the range
    # of every ticket touched since as_of: 11,836 at a week ago, at 2M)
    changed = changed_since_stored(f, mark, only_kept if only_raw else kept_within)
    fresh = event_state(*f.known(ev.at), ev.ticket_id.in_(changed),
                        *([] if not only_raw else [ev.ticket_id.in_(ids)])).subquery("fresh")
    in_raw = [*f.known(t.reported_at), *f.ticket_choices(tickets),
              *([] if within is None else within(t))]
    columns = [t.id.label("ticket_id"), *(t[c] for c in DIMENSIONS),
               *(fresh.c[c] for c in STATE_COLUMNS),
               first_repeat(t, fresh.c.resolved_at, f).label("repeat_reported_at")]
    branches = [stored, quiet]
    if within is None and not only_raw:
        branches.append(select(*columns)
                        .select_from(tickets.outerjoin(fresh, fresh.c.ticket_id == t.id))
                        .where(*in_raw, t.id.in_(changed)))
    else:  # the few states computed drive the join: PostgreSQL expects few of the period's
        # reports (or of `ids`) touched since, and would otherwise aggregate the events again
        # per ticket; the unseen tickets without events before as_of then come on their own
        branches.append(select(*columns)
                        .select_from(fresh.join(tickets, t.id == fresh.c.ticket_id))
                        .where(*in_raw))
        if not getattr(mark, "complete", False):
            branches.append(select(t.id.label("ticket_id"), *(t[c] for c in DIMENSIONS),
                                   *no_state)
                            .where(*in_raw, t.id.in_(unseen(mark)), *only_raw,
                                   ~exists().where(ev.ticket_id == t.id, *f.known(ev.at))))
    if only is not None:
        branches = [stored.where(only(ticket_states)),
                    *(select(sub).where(only(sub)) for sub in
                      (branch.subquery() for branch in branches[1:]))]
    return union_all(*branches).subquery("ticket_rows")


def _ticket(st, column: str):
    """A ticket column: from `st` when it carries it (ticket_rows), else from tickets."""
    return st.c[column] if column in st.c else tickets.c[column]


def joined(st):
    """tickets LEFT JOIN their state (a ticket without events has a NULL state)."""
    return tickets.outerjoin(st, st.c.ticket_id == tickets.c.id)


def is_resolved(st):
    """SQL truth: resolved at as_of (a 办结 event, not reopened after the last one)."""
    return and_(st.c.resolved_at.is_not(None),
                or_(st.c.reopened_at.is_(None), st.c.reopened_at < st.c.resolved_at))


def is_open(st):
    """SQL truth: not resolved at as_of (also for tickets without any event yet)."""
    return or_(st.c.ticket_id.is_(None), ~is_resolved(st))


def is_overdue(st, f: Filters):
    """SQL truth: open at as_of and past its due time."""
    return and_(is_open(st), _ticket(st, "due_at") < f.as_of)


def is_signed_off(st):
    """SQL truth: resolved and signed off (对账销号) after the last 办结."""
    return and_(is_resolved(st), st.c.signed_off_at.is_not(None),
                st.c.signed_off_at >= st.c.resolved_at)


def is_evaluated(st):
    """SQL truth: resolved and evaluated (评价) after the last 办结, with a score of 1–5 (a score
    outside the scale is a data-quality finding, not an evaluation)."""
    return and_(is_resolved(st), st.c.evaluated_at.is_not(None),
                st.c.evaluated_at >= st.c.resolved_at, _ticket(st, "satisfaction").between(1, 5))


def _after_last_rejection(column, st):
    return and_(column.is_not(None), or_(st.c.rejected_at.is_(None), column > st.c.rejected_at))


def reached(st, stage: str):
    """SQL truth: the ticket reached a step of the loop (g.LOOP_STAGES) at as_of. A ticket
    that is past a step without its event (a skipped 派单) counts as having reached it; a
    退单 sends it back to 派单, so 接单 counts only after the last 退单."""
    if stage == "reported":
        return literal(True)
    if stage == "resolved":
        return is_resolved(st)
    if stage == "signed_off":
        return is_signed_off(st)
    if stage == "evaluated":
        return is_evaluated(st)
    handling = or_(_after_last_rejection(st.c.accepted_at, st),
                   st.c.coordinated_at.is_not(None), st.c.resolved_at.is_not(None))
    if stage == "accepted":
        return handling
    if stage == "dispatched":
        return or_(handling, _after_last_rejection(st.c.dispatched_at, st))
    raise ValueError(f"未知的环节: {stage!r}")


def waiting_stage(st):
    """SQL: for an open ticket, the step it waits for: dispatched (待派单), accepted
    (待接单) or resolved (办理中, 待办结)."""
    return case((or_(reached(st, "accepted"), st.c.reopened_at.is_not(None)), "resolved"),
                (reached(st, "dispatched"), "accepted"), else_="dispatched")


def waiting_since(st):
    """SQL: when an open ticket entered the step it waits in."""
    back_to_dispatch = func.coalesce(st.c.rejected_at, _ticket(st, "reported_at"))
    return type_coerce(case((or_(reached(st, "accepted"), st.c.reopened_at.is_not(None)),
                             func.coalesce(st.c.handling_since, st.c.resolved_at,
                                           _ticket(st, "reported_at"))),
                            (reached(st, "dispatched"), st.c.dispatched_at),
                            else_=back_to_dispatch), DateTime)
