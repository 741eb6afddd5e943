"""The tickets behind a number, and one ticket's stage history."""

import pandas as pd
from sqlalchemy import Connection, and_, case, select

from data_access.filters import Filters
from data_access.result import fetch
from data_access.schema import grid_cells, ticket_events, tickets, towns, visits
from data_access.tickets import is_open, is_resolved, scope, state

# Which tickets a list shows: the user's choice is looked up here.
SHOWS = {
    "all": "全部",
    "open": "在办",
    "overdue": "超期未办结",
    "resolved": "已解决",
    "reopened": "曾重办",
    "supervised": "曾督办",
}
LIST_LIMIT = 2000


def _status(st):
    """The ticket's current status at as_of, as a stage code."""
    return case(
        (and_(st.c.reopened_at.is_not(None), ~is_resolved(st)), "reopened"),
        (and_(is_resolved(st), st.c.evaluated_at > st.c.resolved_at), "evaluated"),
        (is_resolved(st), "resolved"),
        (st.c.assigned_at.is_not(None), "assigned"),
        (st.c.accepted_at.is_not(None), "accepted"),
        else_="reported",
    )


def fetch_tickets(conn: Connection, f: Filters, show: str = "all", *,
                  in_period: bool = True, grid_cell_code: str | None = None,
                  officer_id: str | None = None, limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Tickets matching the filters and `show` (a SHOWS key), newest first.

    `in_period=False` lists tickets reported at any time before as_of (for open and
    overdue stocks); `grid_cell_code` keeps one cell's tickets, `officer_id` those raised in
    that officer's visits. Columns: id, title, category, source, town, grid_cell, department,
    task_force, status (str; task_force may be None), reported_at, due_at (datetime),
    overdue (bool), satisfaction (float, NaN without evaluation), reporter_name,
    reporter_phone (str, unmasked: mask before showing), lat, lon (float).
    """
    st = state(f)
    open_now = is_open(st)
    conditions = {
        "all": [],
        "open": [open_now],
        "overdue": [open_now, tickets.c.due_at < f.as_of],
        "resolved": [is_resolved(st)],
        "reopened": [st.c.reopened_at.is_not(None)],
        "supervised": [st.c.supervisions > 0],
    }[show]
    if grid_cell_code:
        conditions.append(tickets.c.grid_cell_code == grid_cell_code)
    if officer_id:
        conditions.append(tickets.c.visit_id.in_(
            select(visits.c.id).where(visits.c.officer_id == officer_id)))
    query = (
        select(tickets.c.id, tickets.c.title, tickets.c.category, tickets.c.source, towns.c.name,
               grid_cells.c.name, tickets.c.department, tickets.c.task_force, _status(st),
               tickets.c.reported_at, tickets.c.due_at,
               and_(open_now, tickets.c.due_at < f.as_of), tickets.c.satisfaction,
               tickets.c.reporter_name, tickets.c.reporter_phone, tickets.c.lat, tickets.c.lon)
        .select_from(tickets.outerjoin(st, st.c.ticket_id == tickets.c.id)
                     .join(towns, towns.c.code == tickets.c.town_code)
                     .outerjoin(grid_cells, grid_cells.c.code == tickets.c.grid_cell_code))
        .where(*scope(f, reported_in_period=in_period), *conditions)
        .order_by(tickets.c.reported_at.desc(), tickets.c.id)
        .limit(limit)
    )
    return fetch(conn, query, {
        "id": "str", "title": "str", "category": "str", "source": "str", "town": "str",
        "grid_cell": "str", "department": "str", "task_force": "str", "status": "str",
        "reported_at": "datetime", "due_at": "datetime", "overdue": "bool",
        "satisfaction": "float", "reporter_name": "str", "reporter_phone": "str",
        "lat": "float", "lon": "float"})


def fetch_history(conn: Connection, ticket_id: str) -> pd.DataFrame:
    """Every event of one ticket in time order. Columns: stage, actor (str), at (datetime)."""
    ev = ticket_events.c
    return fetch(conn, select(ev.stage, ev.actor, ev.at).where(ev.ticket_id == ticket_id)
                 .order_by(ev.at, ev.id), {"stage": "str", "actor": "str", "at": "datetime"})
