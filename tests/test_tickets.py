"""Ticket figures of the registry on hand-built data: every rate with a known answer."""

from datetime import date, datetime

import pytest

from data_access import figures, ticket_flow
from data_access.filters import Filters

MARCH = Filters.between(date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 4, 10))


def headline(db, f=MARCH):
    with db.connect() as conn:
        return figures.headline(conn, f, ["collected", "resolved", "resolution_rate", "overdue",
                                          "evaluations", "satisfaction_rate"])


def test_an_empty_period_has_zero_counts_and_undefined_rates(tiny):
    got = headline(tiny)
    assert (got["collected"], got["resolved"], got["overdue"], got["evaluations"]) == (0, 0, 0, 0)
    assert got["resolution_rate"] != got["resolution_rate"]  # NaN, shown as —
    assert got["satisfaction_rate"] != got["satisfaction_rate"]


def test_resolution_rate_is_resolved_over_collected(tiny):
    tiny.add_ticket("A", events=[("dispatched", "2026-03-02 10:00"), ("resolved", "2026-03-05 10:00")])
    tiny.add_ticket("B", events=[("dispatched", "2026-03-02 10:00")], due_days=60)
    tiny.add_ticket("C", events=[("resolved", "2026-03-03 10:00")])  # no accepted event
    tiny.add_ticket("D", reported="2026-02-27 09:00", events=[("resolved", "2026-03-03 10:00")])
    got = headline(tiny)
    assert got["collected"] == 3  # D was reported in February
    assert got["resolved"] == 2
    assert got["resolution_rate"] == pytest.approx(2 / 3)


def test_a_reopened_ticket_is_resolved_only_after_it_is_resolved_again(tiny):
    tiny.add_ticket("A", events=[("resolved", "2026-03-05 10:00"), ("reopened", "2026-03-06 10:00")])
    tiny.add_ticket("B", events=[("resolved", "2026-03-05 10:00"), ("reopened", "2026-03-06 10:00"),
                                 ("resolved", "2026-03-09 10:00")])
    assert headline(tiny)["resolved"] == 1


def test_a_past_period_is_judged_at_its_end_not_today(tiny):
    tiny.add_ticket("A", events=[("resolved", "2026-04-20 10:00")])
    assert MARCH.as_of == datetime(2026, 4, 1)
    assert headline(tiny)["resolved"] == 0
    march_april = Filters.between(date(2026, 3, 1), date(2026, 4, 30), datetime(2026, 5, 3))
    assert headline(tiny, march_april)["resolved"] == 1


def test_overdue_counts_open_tickets_past_due_at_as_of_whenever_reported(tiny):
    tiny.add_ticket("late", reported="2026-01-05 09:00", due_days=10)  # open, long overdue
    tiny.add_ticket("soon", reported="2026-04-05 09:00", due_days=10)  # open, not yet due
    tiny.add_ticket("done", reported="2026-01-05 09:00", due_days=10,
                    events=[("resolved", "2026-02-01 10:00")])
    assert headline(tiny)["overdue"] == 1


def test_satisfaction_counts_evaluations_given_in_the_period(tiny):
    for tid, score in [("A", 5), ("B", 4), ("C", 2)]:
        tiny.add_ticket(tid, satisfaction=score, events=[("resolved", "2026-03-04 10:00"),
                                                         ("evaluated", "2026-03-06 10:00")])
    tiny.add_ticket("D", events=[("resolved", "2026-03-04 10:00")])  # never evaluated
    tiny.add_ticket("E", satisfaction=1, reported="2026-02-01 09:00",
                    events=[("resolved", "2026-02-04 10:00"), ("evaluated", "2026-02-06 10:00")])
    got = headline(tiny)
    assert got["evaluations"] == 3
    assert got["satisfaction_rate"] == pytest.approx(2 / 3)


def test_category_and_source_filters(tiny):
    tiny.add_ticket("A", category="enterprise_development", source="direct_line")
    tiny.add_ticket("B", category="livelihood", source="hotline_81890")
    f = Filters.between(MARCH.start, MARCH.end, MARCH.as_of, category="enterprise_development")
    assert headline(tiny, f)["collected"] == 1
    f = Filters.between(MARCH.start, MARCH.end, MARCH.as_of, source="hotline_81890")
    assert headline(tiny, f)["collected"] == 1


def test_daily_flow_counts_reports_and_final_resolutions_per_day(tiny):
    tiny.add_ticket("A", reported="2026-03-02 09:00", events=[("resolved", "2026-03-04 10:00")])
    tiny.add_ticket("B", reported="2026-03-02 15:00", events=[("resolved", "2026-03-04 11:00"),
                                                              ("reopened", "2026-03-05 09:00")])
    with tiny.connect() as conn:
        daily = ticket_flow.fetch_daily_flow(conn, MARCH).set_index("day")
    assert daily.loc["2026-03-02", "collected"] == 2
    assert daily.loc["2026-03-02", "resolved"] == 1  # of that day's reports, B was reopened
    assert daily.loc["2026-03-04", "resolved_in_period"] == 1
