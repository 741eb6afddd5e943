"""Filters narrow every figure: a town filter keeps only that town, a period only that period."""

from datetime import date, datetime, timedelta

import pytest

from data_access import overview, places, ticket_flow
from data_access.filters import Filters, period_range
from tests.conftest import SAMPLE_NOW

ZHANGSHUI = "330203106000"


def test_period_ranges_seen_from_a_wednesday():
    wednesday = date(2026, 11, 25)
    assert period_range("this_week", wednesday) == (date(2026, 11, 23), wednesday)
    assert period_range("last_week", wednesday) == (date(2026, 11, 16), date(2026, 11, 22))
    assert period_range("this_month", wednesday) == (date(2026, 11, 1), wednesday)
    assert period_range("last_30_days", wednesday)[0] == date(2026, 10, 27)


def test_unknown_period_category_or_reversed_range_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="未知的时间范围"):
        period_range("fortnight", date(2026, 1, 1))
    with pytest.raises(ValueError, match="未知的问题类别"):
        Filters.between(date(2026, 1, 1), date(2026, 1, 2), SAMPLE_NOW, category="sports")
    with pytest.raises(ValueError, match="早于开始日"):
        Filters.between(date(2026, 2, 1), date(2026, 1, 2), SAMPLE_NOW)


def test_as_of_is_now_for_a_running_period_and_period_end_for_a_past_one():
    now = datetime(2026, 11, 25, 16, 0)
    assert Filters.for_period("this_week", now).as_of == now
    assert Filters.for_period("last_week", now).as_of == datetime(2026, 11, 23)


def test_town_filter_returns_only_that_towns_rows(conn):
    f = Filters.between(date(2026, 1, 1), SAMPLE_NOW.date(), SAMPLE_NOW)
    district = overview.fetch_kpis(conn, f)
    town = overview.fetch_kpis(conn, f.with_town(ZHANGSHUI))
    assert 0 < town["collected"] < district["collected"]
    by_town = overview.fetch_town_comparison(conn, f.with_town(ZHANGSHUI))
    assert by_town["town_code"].tolist() == [ZHANGSHUI]
    assert by_town.at[0, "collected"] == town["collected"]
    assert places.count_grid_cells(conn, town_code=ZHANGSHUI) < places.count_grid_cells(conn)


def test_period_filter_keeps_only_that_periods_tickets(conn):
    march = Filters.between(date(2026, 3, 1), date(2026, 3, 31), SAMPLE_NOW)
    daily = ticket_flow.fetch_daily_flow(conn, march)
    assert daily["day"].min() >= datetime(2026, 3, 1)
    assert daily["day"].max() <= datetime(2026, 3, 31)
    assert daily["collected"].sum() == overview.fetch_kpis(conn, march)["collected"]
    whole = Filters.between(date(2026, 1, 1), SAMPLE_NOW.date(), SAMPLE_NOW)
    months = [Filters.between(date(2026, m, 1), month_end(m), SAMPLE_NOW) for m in range(1, 12)]
    assert sum(overview.fetch_kpis(conn, m)["collected"] for m in months) == \
        overview.fetch_kpis(conn, whole)["collected"]


def month_end(month: int) -> date:
    """The last day of a 2026 month, or the sample's last day for November."""
    return SAMPLE_NOW.date() if month == 11 else date(2026, month + 1, 1) - timedelta(days=1)


def test_weekly_flow_lists_every_week_of_the_period(conn):
    f = Filters.between(date(2026, 10, 1), date(2026, 10, 31), SAMPLE_NOW)
    weekly = ticket_flow.fetch_weekly_flow(conn, f)
    assert weekly["week"].dt.day_of_week.eq(0).all()
    assert len(weekly) == 5  # weeks starting 09-28, 10-05, 10-12, 10-19, 10-26
    assert weekly["collected"].sum() == overview.fetch_kpis(conn, f)["collected"]
