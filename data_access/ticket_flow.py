"""Tickets over time: the figures of the registry per day and per week of the period.

Per week, 收集问题 and 已解决 are the registry's figures for the tickets reported in that week
(judged at the page's `as_of`), 期内办结 the tickets resolved in that week; 化解率 =
已解决 ÷ 收集问题 of the week. A week that has not ended yet is marked `partial`.
"""

import pandas as pd
from sqlalchemy import Connection, func, select

from data_access import figures, summaries
from data_access import ticket_state as ts
from data_access.filters import Filters
from data_access.result import count_if, fetch, monday_of, weeks_between
from data_access.schema import tickets


def fetch_daily_flow(conn: Connection, f: Filters) -> pd.DataFrame:
    """Per day of the period: collected, resolved (of that day's reports) and
    resolved_in_period (resolved on that day, whenever reported) (int). Columns: day
    (datetime64), collected, resolved, resolved_in_period. Days without any are absent.
    From the day counts of ticket_rollup when it can answer (figures.daily), else from each
    ticket's state."""
    counts = ["collected", "resolved", "resolved_in_period"]
    rolled = figures.daily(conn, f, counts)
    if rolled is not None:
        rolled = rolled[(rolled["collected"] > 0) | (rolled["resolved_in_period"] > 0)]
        rolled["day"] = rolled["day"].astype("datetime64[s]")
        return rolled[["day", *counts]].sort_values("day", ignore_index=True)
    st = summaries.state(conn, f)
    base = [*f.known(tickets.c.reported_at), *f.ticket_choices(tickets)]
    report_day = func.date(tickets.c.reported_at).label("day")
    reported = fetch(conn, select(report_day, func.count(), count_if(ts.is_resolved(st)))
                     .select_from(ts.joined(st))
                     .where(*base, *f.period(tickets.c.reported_at)).group_by(report_day),
                     {"day": "date", "collected": "int", "resolved": "int"})
    resolved_day = func.date(st.c.resolved_at).label("day")
    resolved = fetch(conn, select(resolved_day, func.count())
                     .select_from(ts.joined(st))
                     .where(*base, ts.is_resolved(st), *f.period(st.c.resolved_at))
                     .group_by(resolved_day), {"day": "date", "resolved_in_period": "int"})
    out = reported.merge(resolved, on="day", how="outer").fillna(0)
    counts = ["collected", "resolved", "resolved_in_period"]
    return out.astype(dict.fromkeys(counts, "int64")).sort_values("day", ignore_index=True)


def fetch_weekly_flow(conn: Connection, f: Filters) -> pd.DataFrame:
    """fetch_daily_flow summed into weeks starting on Monday, every week of the period.

    Columns: week (datetime64, the Monday), collected, resolved, resolved_in_period (int),
    resolution_rate (0–1, NaN for a week without reports), partial (bool: the week runs past
    the period's end or as_of).
    """
    daily = fetch_daily_flow(conn, f)
    weeks = weeks_between(f.start, f.end)
    daily["week"] = monday_of(daily["day"])
    counts = ["collected", "resolved", "resolved_in_period"]
    sums = daily.groupby("week")[counts].sum()
    out = sums.reindex(weeks, fill_value=0).rename_axis("week").reset_index()
    out = out.astype(dict.fromkeys(counts, "int64"))
    out["resolution_rate"] = out["resolved"] / out["collected"].where(out["collected"] > 0)
    week_end = out["week"] + pd.Timedelta(days=7)
    out["partial"] = (week_end > pd.Timestamp(f.as_of)) | (week_end > pd.Timestamp(f.end_before))
    return out
