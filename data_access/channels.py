"""The service channels as their own views: the 81890 platform's services by type and week,
and 政企直通车 (tickets with source = direct_line) as the enterprise channel.

Every number is a registry figure (figures.py): 81890服务量 grouped by service type, and
the ticket figures on the filters narrowed to the direct line.
"""

import pandas as pd
from sqlalchemy import Connection, select

from data_access import figures, summaries, ticket_loop
from data_access import glossary as g
from data_access import ticket_state as ts
from data_access.filters import Filters
from data_access.result import fetch, monday_of, weeks_between
from data_access.schema import hotline_daily, tickets

DIRECT_LINE = "direct_line"
DIRECT_LINE_FIGURES = ["collected", "resolved", "resolution_rate", "on_time_rate",
                       "satisfaction_rate", "open", "overdue"]


def fetch_hotline_mix(conn: Connection, f: Filters) -> pd.DataFrame:
    """81890 services of the period per service type, every type of g.HOTLINE_TYPES in its
    order. Columns: service_type (str), hotline_services (int), share (0–1, NaN if none)."""
    got = figures.grouped(conn, f, "service_type", ["hotline_services"])
    types = pd.DataFrame({"service_type": list(g.HOTLINE_TYPES)})
    out = types.merge(got.rename(columns={"key": "service_type"}), on="service_type",
                      how="left").fillna({"hotline_services": 0})
    out["hotline_services"] = out["hotline_services"].astype("int64")
    total = out["hotline_services"].sum()
    out["share"] = out["hotline_services"] / total if total else float("nan")
    return out


def fetch_hotline_weekly(conn: Connection, f: Filters) -> pd.DataFrame:
    """81890 services per week (Monday) and service type, every week of the period.
    Columns: week (datetime64), service_type (str), hotline_services (int)."""
    h = hotline_daily.c
    _, query = figures.family_query(conn, f, "hotline", h.service_type)
    daily = fetch(conn, query.add_columns(h.day).group_by(h.service_type, h.day),
                  {"service_type": "str", "hotline_services": "int", "day": "date"})
    daily["week"] = monday_of(daily["day"])
    weekly = daily.groupby(["week", "service_type"], as_index=False)["hotline_services"].sum()
    grid = pd.MultiIndex.from_product([weeks_between(f.start, f.end), list(g.HOTLINE_TYPES)],
                                      names=["week", "service_type"]).to_frame(index=False)
    out = grid.merge(weekly, on=["week", "service_type"], how="left").fillna(0)
    return out.astype({"hotline_services": "int64"})


def direct_line(f: Filters) -> Filters:
    """The filters narrowed to 政企直通车's tickets."""
    return f.narrowed(source=DIRECT_LINE)


def fetch_direct_line_figures(conn: Connection, f: Filters) -> dict:
    """DIRECT_LINE_FIGURES (registry) for 政企直通车's tickets, plus median_days_to_resolve
    (float, days from report to the last 办结 of the period's resolved tickets; NaN if none)."""
    values = figures.headline(conn, direct_line(f), DIRECT_LINE_FIGURES)
    st = summaries.state(conn, direct_line(f))
    times = fetch(conn, select(tickets.c.reported_at, st.c.resolved_at)
                  .select_from(ts.joined(st))
                  .where(*f.period(tickets.c.reported_at),
                         *direct_line(f).ticket_choices(tickets), ts.is_resolved(st)),
                  {"reported_at": "datetime", "resolved_at": "datetime"})
    spans = (times["resolved_at"] - times["reported_at"]).dt.total_seconds() / 86400
    spans = spans[spans >= 0]
    values["median_days_to_resolve"] = float(spans.median()) if len(spans) else float("nan")
    return values


def fetch_direct_line_by(conn: Connection, f: Filters, by: str) -> pd.DataFrame:
    """政企直通车's tickets per category or department (ticket_loop.fetch_breakdown on the
    direct line). Columns: key, collected, resolved, open, overdue (int), resolution_rate."""
    if by not in ("category", "department"):
        raise ValueError(f"未知的分组: {by!r}")
    return ticket_loop.fetch_breakdown(conn, direct_line(f), by)
