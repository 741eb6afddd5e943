"""Ticket queries: the closed loop 可报、可办、可查、可督、可评.

Definitions (one place; the pages print them):
- collected (收集问题): tickets reported in the period.
- resolved (已解决): of those, tickets resolved at `as_of`: their last 办结 event comes after
  their last 重办 (reopen) event. Only events before `as_of` count.
- resolution_rate (化解率) = resolved / collected. The seed's 87.4%.
- overdue (超期未办结): tickets reported before `as_of`, not resolved at `as_of`, past due.
  A stock at the end of the period, not a flow within it.
- satisfaction_rate (满意率) = evaluations in the period scoring 4 or 5 / evaluations in the
  period.
"""

import pandas as pd
from sqlalchemy import Connection, and_, case, func, or_, select

from data_access.filters import Filters
from data_access.result import count_if, fetch, monday_of, ratio, weeks_between
from data_access.schema import ticket_events, tickets

SATISFIED_MIN_SCORE = 4


def scope(f: Filters, *, reported_in_period: bool = True) -> list:
    """WHERE clauses on `tickets` for the filters' town, category, source (and period)."""
    clauses = [tickets.c.reported_at < f.as_of]
    if reported_in_period:
        clauses += [tickets.c.reported_at >= f.start_at, tickets.c.reported_at < f.end_before]
    if f.town_code:
        clauses.append(tickets.c.town_code == f.town_code)
    if f.category:
        clauses.append(tickets.c.category == f.category)
    if f.source:
        clauses.append(tickets.c.source == f.source)
    if f.department:
        clauses.append(tickets.c.department == f.department)
    if f.task_force:
        clauses.append(tickets.c.task_force == f.task_force)
    return clauses


def state(f: Filters):
    """Subquery: one row per ticket with the last time of each stage known at `as_of`."""
    ev = ticket_events.c

    def last(stage):
        return func.max(case((ev.stage == stage, ev.at))).label(f"{stage}_at")

    return (
        select(ev.ticket_id, last("accepted"), last("assigned"), last("resolved"),
               last("reopened"), last("evaluated"),
               count_if(ev.stage == "supervised").label("supervisions"))
        .where(ev.at < f.as_of)
        .group_by(ev.ticket_id)
        .subquery("state")
    )


def is_resolved(st):
    """SQL truth of 'resolved at as_of' on a `state` subquery."""
    return and_(st.c.resolved_at.is_not(None),
                or_(st.c.reopened_at.is_(None), st.c.reopened_at < st.c.resolved_at))


def is_open(st):
    """SQL truth of 'not resolved at as_of' (also for tickets without any event yet)."""
    return or_(st.c.ticket_id.is_(None), ~is_resolved(st))


def fetch_headline(conn: Connection, f: Filters) -> dict:
    """The ticket figures of the overview for the filters.

    Keys: collected, resolved, resolution_rate (0–1), overdue, evaluations,
    satisfaction_rate (0–1).
    """
    st = state(f)
    cohort = conn.execute(
        select(func.count(), count_if(is_resolved(st)))
        .select_from(tickets.outerjoin(st, st.c.ticket_id == tickets.c.id))
        .where(*scope(f))
    ).one()
    overdue = conn.execute(
        select(func.count())
        .select_from(tickets.outerjoin(st, st.c.ticket_id == tickets.c.id))
        .where(*scope(f, reported_in_period=False), tickets.c.due_at < f.as_of,
               is_open(st))
    ).scalar()
    evaluations = conn.execute(evaluation_counts(f)).one()
    collected, resolved = cohort[0], int(cohort[1] or 0)
    return {
        "collected": collected,
        "resolved": resolved,
        "resolution_rate": ratio(resolved, collected),
        "overdue": overdue,
        "evaluations": evaluations[0],
        "satisfaction_rate": ratio(evaluations[1] or 0, evaluations[0]),
    }


def fetch_daily_flow(conn: Connection, f: Filters) -> pd.DataFrame:
    """Tickets reported and tickets resolved per day of the period.

    Columns: day (datetime64), reported (int), resolved (int), reported_resolved (int: of
    that day's reports, how many are resolved at as_of). Days without either are absent.
    A ticket counts as resolved on the day of its last 办结 event, if it stayed resolved.
    """
    st = state(f)
    report_day = func.date(tickets.c.reported_at).label("day")
    reported = fetch(conn, select(report_day, func.count(), count_if(is_resolved(st)))
                     .select_from(tickets.outerjoin(st, st.c.ticket_id == tickets.c.id))
                     .where(*scope(f)).group_by(report_day),
                     {"day": "date", "reported": "int", "reported_resolved": "int"})
    resolved_day = func.date(st.c.resolved_at).label("day")
    resolved = fetch(conn, select(resolved_day, func.count())
                     .select_from(tickets.join(st, st.c.ticket_id == tickets.c.id))
                     .where(*scope(f, reported_in_period=False), is_resolved(st),
                            st.c.resolved_at >= f.start_at, st.c.resolved_at < f.end_before)
                     .group_by(resolved_day), {"day": "date", "resolved": "int"})
    out = reported.merge(resolved, on="day", how="outer").fillna(0)
    counts = {"reported": "int64", "resolved": "int64", "reported_resolved": "int64"}
    return out.astype(counts).sort_values("day", ignore_index=True)


def evaluation_counts(f: Filters, *group):
    """SELECT (*group, evaluations, satisfied): evaluations given in the period (before
    as_of) and how many scored SATISFIED_MIN_SCORE or more, for the filters' tickets."""
    ev = ticket_events.c
    query = (select(*group, func.count(), count_if(tickets.c.satisfaction >= SATISFIED_MIN_SCORE))
             .select_from(ticket_events.join(tickets, tickets.c.id == ev.ticket_id))
             .where(ev.stage == "evaluated", ev.at >= f.start_at, ev.at < f.end_before,
                    ev.at < f.as_of, *scope(f, reported_in_period=False)))
    return query.group_by(*group) if group else query


def fetch_grouped(conn: Connection, f: Filters, column) -> pd.DataFrame:
    """The ticket figures per value of a `tickets` column (town, grid cell, source, …).

    Columns: key (str; None for tickets without a value), collected, resolved (of the
    tickets reported in the period), open, overdue (the stock at as_of, whenever reported)
    (int). Values with no ticket reported before as_of are absent.
    """
    st = state(f)
    in_period = and_(tickets.c.reported_at >= f.start_at, tickets.c.reported_at < f.end_before)
    return fetch(conn, select(column, count_if(in_period),
                              count_if(and_(in_period, is_resolved(st))), count_if(is_open(st)),
                              count_if(and_(is_open(st), tickets.c.due_at < f.as_of)))
                 .select_from(tickets.outerjoin(st, st.c.ticket_id == tickets.c.id))
                 .where(*scope(f, reported_in_period=False)).group_by(column),
                 {"key": "str", "collected": "int", "resolved": "int", "open": "int",
                  "overdue": "int"})


def fetch_by_town(conn: Connection, f: Filters) -> pd.DataFrame:
    """Ticket figures per town for the period (see fetch_grouped), in code order.

    Columns: town_code (str), collected (int), resolved (int), overdue (int).
    """
    grouped = fetch_grouped(conn, f, tickets.c.town_code).rename(columns={"key": "town_code"})
    return grouped.sort_values("town_code", ignore_index=True)[
        ["town_code", "collected", "resolved", "overdue"]]


def fetch_weekly_flow(conn: Connection, f: Filters) -> pd.DataFrame:
    """fetch_daily_flow summed into weeks starting on Monday.

    Columns: week (datetime64, the Monday), reported, resolved, reported_resolved (int),
    resolution_rate (0–1: reported_resolved / reported, NaN for a week without reports);
    every week of the period is present, empty ones with 0.
    """
    daily = fetch_daily_flow(conn, f)
    weeks = weeks_between(f.start, f.end)
    daily["week"] = monday_of(daily["day"])
    counts = ["reported", "resolved", "reported_resolved"]
    sums = daily.groupby("week")[counts].sum()
    out = sums.reindex(weeks, fill_value=0).rename_axis("week").reset_index()
    out = out.astype(dict.fromkeys(counts, "int64"))
    out["resolution_rate"] = out["reported_resolved"] / out["reported"].where(out["reported"] > 0)
    return out
