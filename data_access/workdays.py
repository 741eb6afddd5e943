"""Working days on the Chinese official calendar, with 调休 make-up days.

The State Council's arrangement comes from the `chinese_calendar` library (which knows the
years it was released for) and from the `official_calendar` table, where the district records
an arrangement the library does not know yet (next year's, announced each November); the
table wins. A year neither knows falls back to Monday–Friday.

Time limits (办理时限) are counted in working days from the day of reporting: a ticket
reported on any day with a limit of N is due at the end of the N-th working day after that
day. Everything here works on scalars (one as-of moment, one category), so queries compare
stored times with a few computed bounds: no per-row Python work.
"""

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

import chinese_calendar
from sqlalchemy import Connection, select

from data_access import db
from data_access import glossary as g
from data_access.schema import official_calendar, ticket_time_limits


class WorkCalendar:
    """Which days are working days; `overrides` (day → is_workday) win over the library."""

    def __init__(self, overrides: Mapping[date, bool] | None = None):
        self.overrides = dict(overrides or {})

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the library was not released for
            return day.weekday() < 5

    def after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n ≥ 1), or `day` itself for n = 0."""
        while n > 0:
            day += timedelta(days=1)
            n -= self.is_workday(day)
        return day

    def before(self, day: date, n: int) -> date:
        """The n-th working day before `day` (n ≥ 1), or `day` itself for n = 0."""
        while n > 0:
            day -= timedelta(days=1)
            n -= self.is_workday(day)
        return day

    def due_at(self, reported_at: datetime, work_days: int) -> datetime:
        """The end (midnight after) of the `work_days`-th working day after the report's day."""
        return datetime.combine(self.after(reported_at.date(), work_days) + timedelta(days=1),
                                time())

    def between(self, first: date, last: date) -> int:
        """Working days in (first, last]: how many working days have passed since `first`."""
        days = (last - first).days
        return sum(self.is_workday(first + timedelta(days=k)) for k in range(1, days + 1))


def load_calendar(conn: Connection) -> WorkCalendar:
    """The calendar with the district's recorded arrangement from the database (read once
    per connection of the cockpit's: db.once)."""
    return db.once(conn, "calendar", _read_calendar)


def _read_calendar(conn: Connection) -> WorkCalendar:
    rows = conn.execute(select(official_calendar.c.day, official_calendar.c.is_workday)).all()
    return WorkCalendar({_day(d): bool(w) for d, w in rows})


def load_time_limits(conn: Connection) -> dict[str, int]:
    """Working days allowed per category: the database's, else the glossary's default."""
    rows = conn.execute(select(ticket_time_limits.c.category, ticket_time_limits.c.work_days))
    return {**g.TIME_LIMIT_WORKDAYS, **{c: int(n) for c, n in rows.all()}}


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
