"""The tickets behind a number, and one ticket's stage history."""

from datetime import timedelta

import pandas as pd
from sqlalchemy import Connection, case, or_, select

from data_access import db, summaries
from data_access import ticket_state as ts
from data_access.filters import Filters, in_scope
from data_access.places import placed
from data_access.result import fetch
from data_access.schema import grid_cells, ticket_events, tickets, towns, visits

# Which tickets a list shows: the user's choice is looked up here.
SHOWS = {
    "all": "全部",
    "open": "在办",
    "overdue": "超期未办结",
    "resolved": "已解决",
    "reopened": "曾重办",
    "supervised": "曾督办",
    "bounced": "多次退单",
    "signed_off_unscored": "销号未评价",
}
LIST_LIMIT = 2000
SEARCH_MAX = 50  # characters of a search that are used


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its own % and _ taken literally (escape \\)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_clause(text: str):
    """Tickets whose id, title, place (town or grid cell) or department contain `text`."""
    pattern = like_pattern(text.strip()[:SEARCH_MAX])
    return or_(*(column.ilike(pattern, escape="\\") for column in (
        tickets.c.id, tickets.c.title, towns.c.name, grid_cells.c.name, tickets.c.department)))


def _status(st):
    """The ticket's status at as_of, as a code of g.ALL_EVENTS or g.WAITING_STAGES' stage:
    the last step it took (评价, 对账销号, 办结) or, when open, 重办 or the step it took last."""
    return case(
        (ts.is_evaluated(st), "evaluated"),
        (ts.is_signed_off(st), "signed_off"),
        (ts.is_resolved(st), "resolved"),
        (st.c.reopened_at.is_not(None), "reopened"),
        (ts.reached(st, "accepted"), "accepted"),
        (ts.reached(st, "dispatched"), "dispatched"),
        (st.c.rejected_at.is_not(None), "rejected"),
        else_="reported",
    )


def _choices(t, grid_cell_code, officer_id, search) -> list:
    """WHERE clauses of a list's own choices on the ticket columns `t`: a grid cell, an
    officer's visits, a search (these two read tickets, towns and grid_cells)."""
    out = []
    if grid_cell_code:
        out.append(t.grid_cell_code == grid_cell_code)
    if officer_id:
        out.append(tickets.c.visit_id.in_(
            select(visits.c.id).where(visits.c.officer_id == officer_id)))
    if search and search.strip():
        out.append(search_clause(search))
    return out


def _shown(show: str, st, t, f: Filters) -> list:
    """WHERE clauses of `show` (a SHOWS key) on the state `st` and the ticket columns `t`."""
    return {
        "all": [],
        "open": [ts.is_open(st)],
        "overdue": [ts.is_overdue(st, f)],
        "resolved": [ts.is_resolved(st)],
        "reopened": [st.c.reopened_at.is_not(None)],
        "supervised": [st.c.supervisions > 0],
        "bounced": [st.c.rejections >= 2],
        "signed_off_unscored": [ts.is_signed_off(st), t.satisfaction.is_(None)],
    }[show]


def _newest_first(conn: Connection, f: Filters, where: list,
                  limit: int) -> summaries.EveryTicket:
    """For a list whose tickets do not depend on their state: the `limit` newest tickets that
    satisfy `where` (on tickets, towns, grid_cells), found first, with their state."""
    listed = (select(tickets.c.id).select_from(placed(tickets, tickets.c))
        .where(*f.known(tickets.c.reported_at), *f.ticket_choices(tickets), *where)
        .order_by(tickets.c.reported_at.desc(), tickets.c.id).limit(limit))
    listed = select(listed.subquery().c.id)
    st = summaries.state(conn, f, ids=listed)
    return summaries.EveryTicket(ts.joined(st), st, tickets.c, tickets.c.id,
                                 [tickets.c.id.in_(listed)])


def _newest(rows: summaries.EveryTicket, f: Filters, where: list, limit: int,
            with_ticket: bool):
    """Subquery (id, reported_at, status, overdue): the `limit` newest of `rows` that satisfy
    `where`; `with_ticket`: `where` reads tickets (a search, an officer's visits)."""
    t, source = rows.t, rows.source
    if with_ticket and t is not tickets.c:
        source = source.join(tickets, tickets.c.id == rows.id)
    source = placed(source, t)
    return (select(rows.id.label("id"), t.reported_at.label("reported_at"),
                   _status(rows.st).label("status"), ts.is_overdue(rows.st, f).label("overdue"))
            .select_from(source).where(*rows.where, *where)
            .order_by(t.reported_at.desc(), rows.id).limit(limit).subquery("newest"))


def _named(newest):
    """SELECT of fetch_tickets' columns for the tickets of `newest` (see _newest), in order."""
    return (
        select(tickets.c.id, tickets.c.title, tickets.c.category, tickets.c.source, towns.c.name,
               grid_cells.c.name, tickets.c.department, tickets.c.task_force, newest.c.status,
               tickets.c.reported_at, tickets.c.due_at, newest.c.overdue,
               tickets.c.satisfaction, tickets.c.reporter_name, tickets.c.reporter_phone,
               tickets.c.lat, tickets.c.lon)
        .select_from(placed(newest.join(tickets, tickets.c.id == newest.c.id), tickets.c))
        .order_by(newest.c.reported_at.desc(), newest.c.id))


COLUMNS = {"id": "str", "title": "str", "category": "str", "source": "str", "town": "str",
           "grid_cell": "str", "department": "str", "task_force": "str", "status": "str",
           "reported_at": "datetime", "due_at": "datetime", "overdue": "bool",
           "satisfaction": "float", "reporter_name": "str", "reporter_phone": "str",
           "lat": "float", "lon": "float"}
# Days before as_of in which a list by state first looks for its newest tickets, read from
# ticket_states by report time; widened until `limit` are found (None: at any time). Exact:
# every ticket outside a window is older than every ticket in it.
WINDOWS_DAYS = (30, 240, None)


def fetch_tickets(conn: Connection, f: Filters, show: str = "all", *,
                  in_period: bool = True, grid_cell_code: str | None = None,
                  officer_id: str | None = None, search: str | None = None,
                  limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Tickets matching the filters and `show` (a SHOWS key), newest first.

    `in_period=False` lists tickets reported at any time before as_of (for open and
    overdue stocks); `grid_cell_code` keeps one cell's tickets, `officer_id` those raised in
    that officer's visits; `search` those whose id, title, town, grid cell or department
    contain it (a parameterised LIKE, its wildcards taken literally). Columns: id, title,
    category, source, town, grid_cell, department, task_force, status (str; task_force
    may be None), reported_at, due_at (datetime),
    overdue (bool), satisfaction (float, NaN without evaluation), reporter_name,
    reporter_phone (str, unmasked: mask before showing), lat, lon (float).
    """
    with_ticket = bool(officer_id or (search and search.strip()))
    if show == "all":  # the list's tickets do not depend on their state: find them first
        rows = _newest_first(conn, f,
                             [*(f.period(tickets.c.reported_at) if in_period else []),
                              *_choices(tickets.c, grid_cell_code, officer_id, search)],
                             limit)
    else:
        rows = summaries.every_ticket(conn, f)
    t = rows.t
    where = [*(f.period(t.reported_at) if in_period else []), *_shown(show, rows.st, t, f),
             *_choices(t, grid_cell_code, officer_id, search)]
    # windows pay only when read from ticket_states (else each computes every state)
    for days in WINDOWS_DAYS if rows.stored else [None]:
        since = None if days is None else f.as_of - timedelta(days=days)
        within = [] if since is None else [t.reported_at >= since]
        out = fetch(conn, _named(_newest(rows, f, [*where, *within], limit, with_ticket)),
                    COLUMNS)
        if len(out) >= limit or since is None or (in_period and since <= f.start_at):
            break
    return out


def list_departments(conn: Connection) -> list[str]:
    """Every responsible department that has tickets, in name order (validates URL choices):
    one probe of ix_tickets_department per department where the table has that index."""
    column = tickets.c.department
    if db.leads_index(column, conn):
        values = db.distinct_values(column)
        query = select(values.c.value).order_by(values.c.value)
    else:
        query = select(column).distinct().order_by(column)
    return [d for (d,) in conn.execute(query).all() if d]


def fetch_history(conn: Connection, ticket_id: str, *,
                  scope_town: str | None = None) -> pd.DataFrame:
    """Every event of one ticket in time order; nothing when the ticket lies outside the
    user's `scope_town`. Columns: stage, actor (str: for 评价 and 重办 in a real
    database a citizen's name; mask before showing), at (datetime)."""
    ev = ticket_events.c
    return fetch(conn, select(ev.stage, ev.actor, ev.at)
                 .select_from(ticket_events.join(tickets, tickets.c.id == ev.ticket_id))
                 .where(ev.ticket_id == ticket_id, *in_scope(tickets.c.town_code, scope_town))
                 .order_by(ev.at, ev.id), {"stage": "str", "actor": "str", "at": "datetime"})
