"""The closed loop in detail: funnel, loop rates, breakdowns, SLA and data quality.

Definitions, on the tickets reported in the period (the cohort), judged at `as_of`:
- reached a stage: the ticket has that stage's event or one of a later loop stage (a
  ticket resolved without an 受理 event was accepted, in fact; the skip is a data-quality
  finding). 办结 means resolved now (tickets.is_resolved); 评价 means evaluated.
- 办结率 (completion_rate) = resolved / accepted.
- 按时办结率 (on_time_rate) = resolved no later than due / resolved.
- 满意率 (satisfaction_rate) = evaluated tickets scoring 4–5 / evaluated tickets.
- 重办率 (reopen_rate) = tickets reopened at least once / tickets resolved at least once.
"""

from datetime import timedelta

import pandas as pd
from sqlalchemy import Connection, and_, case, func, literal, or_, select

from data_access import glossary as g
from data_access.filters import Filters
from data_access.result import count_if, fetch, ratio
from data_access.schema import ticket_events, tickets
from data_access.tickets import (
    SATISFIED_MIN_SCORE,
    fetch_grouped,
    is_open,
    is_resolved,
    scope,
    state,
)

LOOP = list(g.STAGES)  # reported, accepted, assigned, resolved, evaluated
SOON_DUE_DAYS = 3
AGING_BUCKETS = [(7, "0–7天"), (15, "8–15天"), (30, "16–30天"), (60, "31–60天"), (None, "60天以上")]

# Dimensions a breakdown may group by: the user's choice is looked up here, never pasted.
BREAKDOWNS = {
    "category": tickets.c.category,
    "source": tickets.c.source,
    "town_code": tickets.c.town_code,
    "department": tickets.c.department,
    "task_force": tickets.c.task_force,
}


def _reached(st, stage: str):
    """SQL truth: the ticket reached `stage` (see the module docstring)."""
    if stage == "reported":
        return literal(True)
    if stage == "resolved":
        return is_resolved(st)
    if stage == "evaluated":
        return st.c.evaluated_at.is_not(None)
    later = LOOP[LOOP.index(stage):]
    return or_(*(getattr(st.c, f"{s}_at").is_not(None) for s in later))


def _cohort(f: Filters):
    st = state(f)
    return st, tickets.outerjoin(st, st.c.ticket_id == tickets.c.id)


def fetch_funnel(conn: Connection, f: Filters) -> pd.DataFrame:
    """Tickets that reached each loop stage, in loop order.

    Columns: stage (str, one of glossary.STAGES), tickets (int), conversion_rate (float,
    share of the previous stage's tickets; 1.0 for 上报, NaN after an empty stage).
    """
    st, joined = _cohort(f)
    row = conn.execute(select(*(count_if(_reached(st, s)) for s in LOOP))
                       .select_from(joined).where(*scope(f))).one()
    counts = [int(x or 0) for x in row]
    rates = [1.0] + [ratio(b, a) for a, b in zip(counts, counts[1:])]
    return pd.DataFrame({"stage": LOOP, "tickets": counts, "conversion_rate": rates})


def fetch_loop_rates(conn: Connection, f: Filters) -> dict:
    """The loop's rates with their parts.

    Keys: collected, accepted, resolved, on_time, evaluated, satisfied, ever_resolved,
    reopened (int); resolution_rate, completion_rate, on_time_rate, satisfaction_rate,
    reopen_rate (0–1).
    """
    st, joined = _cohort(f)
    resolved = is_resolved(st)
    evaluated = st.c.evaluated_at.is_not(None)
    row = conn.execute(select(
        func.count(), count_if(_reached(st, "accepted")), count_if(resolved),
        count_if(and_(resolved, st.c.resolved_at <= tickets.c.due_at)),
        count_if(evaluated), count_if(and_(evaluated, tickets.c.satisfaction >= SATISFIED_MIN_SCORE)),
        count_if(st.c.resolved_at.is_not(None)), count_if(st.c.reopened_at.is_not(None)),
    ).select_from(joined).where(*scope(f))).one()
    keys = ["collected", "accepted", "resolved", "on_time", "evaluated", "satisfied",
            "ever_resolved", "reopened"]
    out = {k: int(v or 0) for k, v in zip(keys, row)}
    out["resolution_rate"] = ratio(out["resolved"], out["collected"])  # as tickets.py defines it
    out["completion_rate"] = ratio(out["resolved"], out["accepted"])
    out["on_time_rate"] = ratio(out["on_time"], out["resolved"])
    out["satisfaction_rate"] = ratio(out["satisfied"], out["evaluated"])
    out["reopen_rate"] = ratio(out["reopened"], out["ever_resolved"])
    return out


def fetch_stage_hours(conn: Connection, f: Filters) -> pd.DataFrame:
    """Median hours a ticket spends in each stage before reaching the next.

    Columns: stage (str: reported, accepted, assigned, resolved), median_hours (float),
    tickets (int, how many tickets moved on from it). SQL returns the cohort's stage times
    (one row per ticket); the medians are taken here, as SQLite has no median.
    """
    st, joined = _cohort(f)
    times = fetch(conn, select(tickets.c.reported_at, st.c.accepted_at, st.c.assigned_at,
                               st.c.resolved_at, st.c.evaluated_at)
                  .select_from(joined).where(*scope(f)),
                  {f"{s}_at": "datetime" for s in LOOP})
    rows = []
    for here, nxt in zip(LOOP, LOOP[1:]):
        hours = (times[f"{nxt}_at"] - times[f"{here}_at"]).dt.total_seconds() / 3600
        hours = hours[hours >= 0]  # negative spans are data-quality findings, not durations
        rows.append({"stage": here, "median_hours": float(hours.median()) if len(hours) else
                     float("nan"), "tickets": int(hours.count())})
    return pd.DataFrame(rows)


def fetch_breakdown(conn: Connection, f: Filters, by: str) -> pd.DataFrame:
    """Figures per value of one dimension of BREAKDOWNS (tickets.fetch_grouped), for the
    values with tickets reported in the period.

    Columns: key (str; None for tickets without a value, e.g. no 专班), collected,
    resolved, open, overdue (int; open and overdue are the stock at as_of, as on the
    overview), resolution_rate (0–1). Largest first.
    """
    out = fetch_grouped(conn, f, BREAKDOWNS[by])
    out = out[out["collected"] > 0].copy()
    out["resolution_rate"] = out["resolved"] / out["collected"]
    return out.sort_values("collected", ascending=False, ignore_index=True)


def fetch_sla(conn: Connection, f: Filters) -> dict:
    """Open tickets' service level at `as_of` (open: not resolved; any report date).

    Keys: open, overdue (past due), soon_due (due within SOON_DUE_DAYS), supervised
    (cohort tickets with a 督办 event), reopened (cohort tickets reopened at least once).
    """
    st, joined = _cohort(f)
    still_open = is_open(st)
    soon = f.as_of + timedelta(days=SOON_DUE_DAYS)
    stock = conn.execute(select(
        count_if(still_open), count_if(and_(still_open, tickets.c.due_at < f.as_of)),
        count_if(and_(still_open, tickets.c.due_at >= f.as_of, tickets.c.due_at < soon)),
    ).select_from(joined).where(*scope(f, reported_in_period=False))).one()
    flow = conn.execute(select(count_if(st.c.supervisions > 0),
                               count_if(st.c.reopened_at.is_not(None)))
                        .select_from(joined).where(*scope(f))).one()
    keys = ["open", "overdue", "soon_due", "supervised", "reopened"]
    return {k: int(v or 0) for k, v in zip(keys, (*stock, *flow))}


def fetch_open_aging(conn: Connection, f: Filters) -> pd.DataFrame:
    """Open tickets at `as_of` by days since reported.

    Columns: bucket (str, the AGING_BUCKETS labels in order), tickets (int), overdue (int).
    """
    st, joined = _cohort(f)
    whens = [(tickets.c.reported_at >= f.as_of - timedelta(days=d), label)
             for d, label in AGING_BUCKETS if d is not None]
    bucket = case(*whens, else_=AGING_BUCKETS[-1][1]).label("bucket")
    got = fetch(conn, select(bucket, func.count(), count_if(tickets.c.due_at < f.as_of))
                .select_from(joined).where(*scope(f, reported_in_period=False), is_open(st))
                .group_by(bucket), {"bucket": "str", "tickets": "int", "overdue": "int"})
    labels = pd.DataFrame({"bucket": [label for _, label in AGING_BUCKETS]})
    out = labels.merge(got, on="bucket", how="left").fillna(0)
    return out.astype({"tickets": "int64", "overdue": "int64"})


def fetch_data_quality(conn: Connection, f: Filters) -> dict:
    """Inconsistent events among the cohort's tickets (counted, never fatal).

    Keys: before_report (events dated before the ticket's report), skipped_stage (resolved
    with no 受理 or no 交办 event), unknown_stage (events whose stage is not in the
    glossary), orphan_events (events of tickets that do not exist, whole database).
    """
    ev = ticket_events.c
    cohort = select(tickets.c.id).where(*scope(f)).scalar_subquery()
    in_cohort = ev.ticket_id.in_(cohort)
    before, unknown = conn.execute(select(
        count_if(ev.at < tickets.c.reported_at), count_if(~ev.stage.in_(list(g.ALL_EVENTS))))
        .select_from(ticket_events.join(tickets, tickets.c.id == ev.ticket_id))
        .where(in_cohort)).one()
    per_ticket = (select(ev.ticket_id,
                         count_if(ev.stage == "accepted").label("accepted"),
                         count_if(ev.stage == "assigned").label("assigned"),
                         count_if(ev.stage == "resolved").label("resolved"))
                  .where(in_cohort, ev.at < f.as_of).group_by(ev.ticket_id).subquery())
    skipped = conn.execute(select(func.count()).select_from(per_ticket).where(
        per_ticket.c.resolved > 0, or_(per_ticket.c.accepted == 0, per_ticket.c.assigned == 0))
    ).scalar()
    orphans = conn.execute(select(func.count()).select_from(ticket_events).where(
        ~ev.ticket_id.in_(select(tickets.c.id).scalar_subquery()))).scalar()
    return {"before_report": int(before or 0), "skipped_stage": int(skipped or 0),
            "unknown_stage": int(unknown or 0), "orphan_events": int(orphans or 0)}
