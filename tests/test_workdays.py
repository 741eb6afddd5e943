"""Working days on the official calendar, with known answers across 2025–2026 holidays and
their 调休 make-up days (each date checked against chinese_calendar when these were written):

- 2025 春节: holiday Tue 28 Jan – Tue 4 Feb; make-up working days Sun 26 Jan and Sat 8 Feb
- 2025 国庆: holiday Wed 1 – Wed 8 Oct; make-up Sun 28 Sep and Sat 11 Oct
- 2026 春节: holiday Sun 15 – Mon 23 Feb; make-up Sat 14 Feb and Sat 28 Feb
- 2026 国庆: holiday Thu 1 – Wed 7 Oct; make-up Sun 20 Sep and Sat 10 Oct
  (and 中秋 Fri 25 – Sun 27 Sep 2026)
"""

from datetime import date, datetime

import pytest
from sqlalchemy import insert

from data_access import figures, workdays
from data_access import glossary as g
from data_access import schema as s
from data_access.filters import Filters
from data_access.workdays import WorkCalendar
from tests.builders import TOWNS

D = date.fromisoformat


def T(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize("day, workday", [
    # 2025 春节
    ("2025-01-24", True), ("2025-01-25", False), ("2025-01-26", True), ("2025-01-27", True),
    ("2025-01-28", False), ("2025-01-31", False), ("2025-02-04", False), ("2025-02-05", True),
    ("2025-02-08", True), ("2025-02-09", False),
    # 2025 国庆
    ("2025-09-27", False), ("2025-09-28", True), ("2025-10-01", False), ("2025-10-06", False),
    ("2025-10-08", False), ("2025-10-09", True), ("2025-10-11", True), ("2025-10-12", False),
    # 2026 春节
    ("2026-02-13", True), ("2026-02-14", True), ("2026-02-15", False), ("2026-02-16", False),
    ("2026-02-23", False), ("2026-02-24", True), ("2026-02-28", True), ("2026-03-01", False),
    # 2026 中秋 and 国庆
    ("2026-09-19", False), ("2026-09-20", True), ("2026-09-25", False), ("2026-09-28", True),
    ("2026-10-01", False), ("2026-10-07", False), ("2026-10-08", True), ("2026-10-10", True),
    ("2026-10-11", False),
    # an ordinary week
    ("2026-03-06", True), ("2026-03-07", False), ("2026-03-08", False),
])
def test_is_workday_follows_the_official_calendar(day, workday):
    assert WorkCalendar().is_workday(D(day)) is workday


def test_after_and_before_step_over_holidays_onto_make_up_days():
    cal = WorkCalendar()
    assert cal.after(D("2025-01-24"), 1) == D("2025-01-26")  # Friday → make-up Sunday
    assert cal.after(D("2025-01-27"), 1) == D("2025-02-05")  # across the whole 春节
    assert cal.after(D("2025-02-05"), 3) == D("2025-02-08")  # onto the make-up Saturday
    assert cal.before(D("2025-02-05"), 1) == D("2025-01-27")
    assert cal.before(D("2025-01-27"), 1) == D("2025-01-26")
    assert cal.after(D("2025-09-30"), 1) == D("2025-10-09")
    assert cal.after(D("2026-02-13"), 2) == D("2026-02-24")  # Sat 14 Feb, then Tue 24 Feb
    assert cal.before(D("2026-02-24"), 2) == D("2026-02-13")
    assert cal.after(D("2026-09-24"), 1) == D("2026-09-28")  # over 中秋
    assert cal.after(D("2026-09-30"), 3) == D("2026-10-10")
    assert cal.after(D("2026-03-05"), 0) == D("2026-03-05")
    assert cal.before(D("2026-03-05"), 0) == D("2026-03-05")


@pytest.mark.parametrize("reported, limit, due", [
    # reported on the Friday before 春节 with 3 working days: the make-up day counts
    ("2025-01-24 16:30", 3, "2025-02-06 00:00"),  # Sun 26, Mon 27 Jan, Wed 5 Feb
    ("2026-02-13 10:00", 3, "2026-02-26 00:00"),  # Sat 14, Tue 24, Wed 25 Feb
    ("2026-02-13 10:00", 1, "2026-02-15 00:00"),  # the make-up Saturday itself
    # reported on a holiday: counting starts on the next working day
    ("2026-02-17 09:00", 1, "2026-02-25 00:00"),
    ("2025-09-26 11:00", 3, "2025-10-01 00:00"),  # Sun 28, Mon 29, Tue 30 Sep
    ("2025-09-26 11:00", 6, "2025-10-12 00:00"),  # … Thu 9, Fri 10, Sat 11 Oct
    ("2026-09-24 09:00", 10, "2026-10-16 00:00"),  # over 中秋, 国庆 and Sat 10 Oct
    # an ordinary fortnight: 10 working days from a Monday
    ("2026-03-02 09:00", 10, "2026-03-17 00:00"),
])
def test_due_at_is_the_end_of_the_nth_working_day_after_the_report(reported, limit, due):
    assert WorkCalendar().due_at(T(reported), limit) == T(due)


def test_between_counts_working_days_after_the_first_up_to_the_last():
    cal = WorkCalendar()
    assert cal.between(D("2026-02-13"), D("2026-02-28")) == 6  # 14, 24, 25, 26, 27, 28
    assert cal.between(D("2025-09-30"), D("2025-10-12")) == 3  # 9, 10, 11 Oct
    assert cal.between(D("2025-01-24"), D("2025-02-09")) == 6  # 26, 27 Jan; 5, 6, 7, 8 Feb
    assert cal.between(D("2026-03-05"), D("2026-03-05")) == 0


def test_a_year_the_library_does_not_know_falls_back_to_monday_to_friday():
    cal = WorkCalendar()
    assert cal.is_workday(D("2027-01-01"))  # a Friday (元旦, but nobody told the library)
    assert not cal.is_workday(D("2027-01-02"))
    assert cal.after(D("2026-12-31"), 2) == D("2027-01-04")
    assert cal.due_at(T("2027-02-05 10:00"), 5) == T("2027-02-13 00:00")


def _calendar_rows(db, rows):
    with db.writer.begin() as conn:
        conn.execute(insert(s.official_calendar), rows)


def test_the_official_calendar_table_wins_over_the_library(tiny):
    _calendar_rows(tiny, [
        {"day": D("2027-01-01"), "is_workday": False, "note": "元旦"},
        {"day": D("2027-02-20"), "is_workday": True, "note": "春节调休上班"},
        {"day": D("2026-03-06"), "is_workday": False, "note": "测试：覆盖已知年份"},
    ])
    with tiny.connect() as conn:
        cal = workdays.load_calendar(conn)
    assert not cal.is_workday(D("2027-01-01"))
    assert cal.is_workday(D("2027-02-20"))  # a Saturday
    assert not cal.is_workday(D("2026-03-06"))  # a Friday the library calls a working day
    assert cal.is_workday(D("2026-02-14"))  # the rest still from the library
    assert cal.after(D("2026-12-31"), 1) == D("2027-01-04")
    assert cal.due_at(T("2027-02-19 09:00"), 1) == T("2027-02-21 00:00")


def test_an_empty_official_calendar_table_leaves_the_library(tiny):
    with tiny.connect() as conn:
        cal = workdays.load_calendar(conn)
    assert cal.overrides == {}
    assert cal.is_workday(D("2026-02-14")) and not cal.is_workday(D("2026-02-16"))


def test_time_limits_come_from_the_table_over_the_glossary_default(tiny):
    with tiny.connect() as conn:
        assert workdays.load_time_limits(conn) == g.TIME_LIMIT_WORKDAYS
    with tiny.writer.begin() as conn:
        conn.execute(insert(s.ticket_time_limits), [{"category": "livelihood", "work_days": 5}])
    with tiny.connect() as conn:
        limits = workdays.load_time_limits(conn)
    assert limits == {**g.TIME_LIMIT_WORKDAYS, "livelihood": 5}
    assert limits["livelihood"] != g.TIME_LIMIT_WORKDAYS["livelihood"]


# --- the ticket figures judge time limits in working days ----------------------------------

def add_ticket(db, ticket_id: str, reported: str, work_days: int, events=()):
    """A ticket due at the end of the `work_days`-th working day after its report."""
    reported_at = T(reported)
    with db.writer.begin() as conn:
        conn.execute(insert(s.tickets), [dict(
            id=ticket_id, title=f"问题{ticket_id}", source="grid", category="livelihood",
            town_code=TOWNS["章水镇"], grid_cell_code=f"{TOWNS['章水镇'][:9]}-001",
            department="区住建局", reported_at=reported_at,
            due_at=WorkCalendar().due_at(reported_at, work_days))])
        conn.execute(insert(s.ticket_events), [
            dict(ticket_id=ticket_id, stage=stage, at=T(at), actor="测试")
            for stage, at in (("reported", reported), *events)])


AFTER_SPRING_FESTIVAL = T("2026-02-24 10:00")  # Tuesday, the first working day after 春节
CODES = ["open", "overdue", "soon_due", "resolved", "on_time", "on_time_rate"]


def spring_tickets(db):
    # due end of Wed 25 Feb: ten calendar days after the report, yet neither overdue nor late
    add_ticket(db, "OPEN_IN_TIME", "2026-02-13 09:00", 3)
    # due end of Fri 13 Feb: overdue
    add_ticket(db, "OPEN_LATE", "2026-02-10 09:00", 3)
    # due end of Fri 27 Feb: the 3rd working day after as_of's day
    add_ticket(db, "OPEN_LATER", "2026-02-24 08:00", 3)
    # due end of Wed 25 Feb, resolved on the 24th: on time
    add_ticket(db, "DONE_IN_TIME", "2026-02-13 11:00", 3,
               [("dispatched", "2026-02-13 12:00"), ("accepted", "2026-02-13 14:00"),
                ("resolved", "2026-02-24 09:00")])
    # due end of Sat 14 Feb (make-up day), resolved on the 24th: late
    add_ticket(db, "DONE_LATE", "2026-02-12 09:00", 2,
               [("dispatched", "2026-02-12 10:00"), ("accepted", "2026-02-12 11:00"),
                ("resolved", "2026-02-24 09:30")])


def headline(db, as_of=AFTER_SPRING_FESTIVAL):
    f = Filters.between(D("2026-02-01"), as_of.date(), as_of)
    with db.connect() as conn:
        return figures.headline(conn, f, CODES)


def test_overdue_on_time_and_soon_due_follow_working_days_across_spring_festival(tiny):
    spring_tickets(tiny)
    got = headline(tiny)
    assert got["open"] == 3
    assert got["overdue"] == 1  # OPEN_LATE only; OPEN_IN_TIME is due end of the 25th
    # the window ends with the 3rd working day after 24 Feb (end of Fri 27 Feb, included)
    assert got["soon_due"] == 2  # OPEN_IN_TIME and OPEN_LATER
    assert (got["resolved"], got["on_time"]) == (2, 1)
    assert got["on_time_rate"] == pytest.approx(0.5)
    # two days later (Thu 26 Feb): OPEN_IN_TIME has become overdue
    later = headline(tiny, T("2026-02-26 10:00"))
    assert (later["overdue"], later["soon_due"]) == (2, 1)  # OPEN_LATER is now within reach


def test_a_holiday_recorded_in_the_table_moves_the_soon_due_window(tiny):
    spring_tickets(tiny)
    _calendar_rows(tiny, [{"day": D("2026-02-25"), "is_workday": False, "note": "测试"}])
    # the 3 working days after 24 Feb are now 26, 27 and Sat 28 Feb: OPEN_LATER falls inside
    assert headline(tiny)["soon_due"] == 2
    # the stored due times do not move: overdue still reads them
    assert headline(tiny)["overdue"] == 1


def test_the_sample_stores_due_times_in_working_days(sample_rows):
    cal = WorkCalendar()
    for t in sample_rows.rows["tickets"]:
        assert t["due_at"] == cal.due_at(t["reported_at"], g.TIME_LIMIT_WORKDAYS[t["category"]])
    spring = [t for t in sample_rows.rows["tickets"]
              if D("2026-02-06") <= t["reported_at"].date() <= D("2026-02-13")]
    assert spring and all((t["due_at"] - t["reported_at"]).days > 10 for t in spring
                          if t["category"] == "livelihood")
