"""Filters: the frozen, validated choice of what the user is looking at.

Every query takes one. The period is a closed range of days [start, end]; `as_of` is the
moment at which "open" and "overdue" are judged (now for a period that reaches today,
else the end of the period's last day). Nothing at or after `as_of` is ever counted.

The filters own the filtering: queries call `f.town(column)`, `f.period(column)`,
`f.period_days(column)`, `f.known(column)` and `f.ticket_choices(table)` rather than spelling
the conditions themselves, so a new rule (a town scope, a cut-off) is added here once.

The town scope. `scope_town` is the one town a logged-in town official may see. Set, it
is the town of every query: `town_code` is always that town (a request for the district or
for another town, from the URL or through `with_town`/`narrowed`/`replace`, comes back
narrowed to the scope), and `f.town(column)` always keeps only its rows. Queries that take
no Filters take the scope as `scope_town=` and apply it with `in_scope(column, scope)`.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from data_access import glossary

TZ = ZoneInfo("Asia/Shanghai")


def local_now() -> datetime:
    """Now in Asia/Shanghai, as the naive local time the database stores."""
    return datetime.now(TZ).replace(tzinfo=None, microsecond=0)


CAMPAIGN = "campaign"
PERIODS = {
    CAMPAIGN: "活动以来",
    "this_week": "本周",
    "last_week": "上周",
    "last_30_days": "近30天",
    "this_month": "本月",
    "this_year": "今年以来",
}


def period_range(period: str, today: date,
                 campaign_start: date | None = None) -> tuple[date, date]:
    """The first and last day of a named period, seen from `today`. The campaign runs from
    `campaign_start` (default: 1 January) to today."""
    monday = today - timedelta(days=today.weekday())
    if period == CAMPAIGN:
        return min(campaign_start or today.replace(month=1, day=1), today), today
    if period == "this_week":
        return monday, today
    if period == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if period == "last_30_days":
        return today - timedelta(days=29), today
    if period == "this_month":
        return today.replace(day=1), today
    if period == "this_year":
        return today.replace(month=1, day=1), today
    raise ValueError(f"未知的时间范围: {period!r}（可选: {', '.join(PERIODS)}）")


def in_scope(column, scope_town: str | None) -> list:
    """WHERE clauses keeping the rows of the town `scope_town` (None: the whole district),
    for the queries that take a town scope but no Filters."""
    return [column == scope_town] if scope_town else []


@dataclass(frozen=True)
class Filters:
    """What the user chose. Optional fields left as None mean "all"."""

    start: date
    end: date
    as_of: datetime
    town_code: str | None = None
    category: str | None = None
    source: str | None = None
    department: str | None = None
    task_force: str | None = None
    scope_town: str | None = None  # a town official's town: nothing outside it, ever

    def __post_init__(self):
        if self.scope_town is not None and self.town_code != self.scope_town:
            object.__setattr__(self, "town_code", self.scope_town)  # never wider than the scope
        if self.end < self.start:
            raise ValueError(f"时间范围无效: 结束日 {self.end} 早于开始日 {self.start}")
        if self.category is not None and self.category not in glossary.CATEGORIES:
            raise ValueError(f"未知的问题类别: {self.category!r}")
        if self.source is not None and self.source not in glossary.SOURCES:
            raise ValueError(f"未知的来源渠道: {self.source!r}")
        if self.task_force is not None and self.task_force not in glossary.TASK_FORCES:
            raise ValueError(f"未知的工作专班: {self.task_force!r}")

    @classmethod
    def for_period(cls, period: str, now: datetime, campaign_start: date | None = None,
                   **kw) -> "Filters":
        start, end = period_range(period, now.date(), campaign_start)
        return cls.between(start, end, now, **kw)

    @classmethod
    def between(cls, start: date, end: date, now: datetime, **kw) -> "Filters":
        """Filters for [start, end], judging open items at `now` or at the end of `end`."""
        as_of = min(now, datetime.combine(end + timedelta(days=1), time()))
        return cls(start=start, end=end, as_of=as_of, **kw)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time())

    @property
    def end_before(self) -> datetime:
        """The first moment after the period (exclusive upper bound)."""
        return datetime.combine(self.end + timedelta(days=1), time())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    # --- the filtering, written once -------------------------------------------------------
    def town(self, column) -> list:
        """WHERE clauses keeping the chosen town (always the scope's, when scoped) on a
        town-code column."""
        return in_scope(column, self.town_code or self.scope_town)

    def known(self, column) -> list:
        """WHERE clauses keeping what had happened before `as_of` (a datetime column)."""
        return [column < self.as_of]

    def period(self, column) -> list:
        """WHERE clauses keeping a datetime column inside the period and before `as_of`."""
        return [column >= self.start_at, column < self.end_before, column < self.as_of]

    def period_days(self, column) -> list:
        """WHERE clauses keeping a date column on the period's days, up to `as_of`'s day."""
        return [column >= self.start, column <= min(self.end, self.as_of.date())]

    def ticket_choices(self, table) -> list:
        """WHERE clauses for the choices about tickets (town, category, source, department,
        专班) on `tickets` or a table with the same columns."""
        chosen = {"category": self.category, "source": self.source,
                  "department": self.department, "task_force": self.task_force}
        return self.town(table.c.town_code) + [
            table.c[name] == value for name, value in chosen.items() if value is not None]

    def with_town(self, town_code: str | None) -> "Filters":
        return replace(self, town_code=town_code)

    def narrowed(self, **choices) -> "Filters":
        """The same filters with more choices (category, source, town_code, …) set."""
        return replace(self, **{k: v for k, v in choices.items() if v is not None})

    def shifted_weeks(self, weeks: int) -> "Filters":
        """The same filters moved by whole weeks (negative: into the past)."""
        step = timedelta(days=7 * weeks)
        return replace(self, start=self.start + step, end=self.end + step,
                       as_of=self.as_of + step)
