"""Ticket figures of the registry on hand-built data: every rate with a known answer; the
ticket lists behind them, the same before and after a refresh of the stored states."""

from datetime import date, datetime

import pytest
from sqlalchemy import event, insert

from data_access import figures, summaries, ticket_flow, ticket_list
from data_access import schema as s
from data_access import ticket_state as ts
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


# --- the ticket lists (ticket_list.fetch_tickets) ---------------------------------------------
# MARCH's as_of is 1 April: LATE lies before the lists' first two windows of days
# (ticket_list.WINDOWS_DAYS), AGAIN in the second; BOUNCED in another town and grid cell.
LISTS = {  # show → its tickets reported at any time (stock), newest first; * also in March
    "all": ["OPEN*", "SIGNED*", "BOUNCED*", "PUSHED*", "DONE*", "AGAIN", "LATE"],
    "open": ["OPEN*", "BOUNCED*", "AGAIN", "LATE"],
    "overdue": ["BOUNCED*", "AGAIN", "LATE"],
    "resolved": ["SIGNED*", "PUSHED*", "DONE*"],
    "reopened": ["AGAIN"],
    "supervised": ["PUSHED*"],
    "bounced": ["BOUNCED*"],
    "signed_off_unscored": ["SIGNED*"],
}


def a_loop_of_tickets(db):
    """One or more tickets for every list, reported over ten months; DONE's evaluation comes
    after as_of (not yet known), LATE was raised in officer O1's visit."""
    db.add_officer("O1").add_target("E1").add_visit("V1", "O1", "E1", "2025-06-01 10:00")
    db.add_ticket("LATE", reported="2025-06-02 09:00", visit_id="V1")
    db.add_ticket("AGAIN", reported="2025-12-01 09:00", events=[
        ("resolved", "2025-12-03 09:00"), ("reopened", "2026-03-04 09:00")])
    db.add_ticket("DONE", reported="2026-03-03 09:00", satisfaction=5, events=[
        ("resolved", "2026-03-05 09:00"), ("evaluated", "2026-04-05 09:00")])
    db.add_ticket("PUSHED", reported="2026-03-05 09:00", events=[
        ("supervised", "2026-03-06 09:00"), ("resolved", "2026-03-07 09:00")])
    db.add_ticket("BOUNCED", town="鼓楼街道", reported="2026-03-06 09:00", events=[
        ("dispatched", "2026-03-06 10:00"), ("rejected", "2026-03-06 11:00"),
        ("dispatched", "2026-03-07 10:00"), ("rejected", "2026-03-07 11:00")])
    db.add_ticket("SIGNED", reported="2026-03-07 09:00", events=[
        ("resolved", "2026-03-08 09:00"), ("signed_off", "2026-03-09 09:00")])
    db.add_ticket("OPEN", reported="2026-03-20 09:00", due_days=60, events=[
        ("dispatched", "2026-03-20 12:00")])
    return db


def every_list(db, **choices) -> dict:
    """(show, in_period) → fetch_tickets' frame."""
    with db.connect() as conn:
        return {(show, in_period): ticket_list.fetch_tickets(
                    conn, MARCH, show, in_period=in_period, **choices)
                for show in ticket_list.SHOWS for in_period in (False, True)}


def from_the_events(db, **choices) -> dict:
    """every_list computed from the events alone, never from the stored states."""
    ts.USE_SUMMARIES = False
    try:
        return every_list(db, **choices)
    finally:
        ts.USE_SUMMARIES = True


def refresh(db) -> None:
    with db.writer.begin() as conn:
        summaries.refresh(conn)


def assert_same_lists(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for key in want:
        assert got[key].equals(want[key]), key


def ids(lists: dict) -> dict:
    return {key: frame["id"].tolist() for key, frame in lists.items()}


def test_each_list_holds_its_tickets_newest_first_before_and_after_a_refresh(tiny):
    a_loop_of_tickets(tiny)
    want = {(show, in_period): [t.rstrip("*") for t in tickets if not in_period or "*" in t]
            for show, tickets in LISTS.items() for in_period in (False, True)}
    never = every_list(tiny)
    assert ids(never) == want
    assert never["all", False].set_index("id")["status"].to_dict() == {
        "OPEN": "dispatched", "SIGNED": "signed_off", "BOUNCED": "rejected",
        "PUSHED": "resolved", "DONE": "resolved", "AGAIN": "reopened", "LATE": "reported"}
    assert never["all", False].set_index("id")["overdue"].to_dict() == {
        t: t in ("BOUNCED", "AGAIN", "LATE") for t in ids(never)["all", False]}
    refresh(tiny)
    assert_same_lists(every_list(tiny), never)
    assert_same_lists(from_the_events(tiny), never)


def test_a_list_own_choices_agree_before_and_after_a_refresh(tiny):
    a_loop_of_tickets(tiny)
    choices = [{"grid_cell_code": "330203005-001"}, {"officer_id": "O1"}, {"search": "问题LATE"},
               {"search": "鼓楼"}, {"search": "%"}]
    never = [every_list(tiny, **c) for c in choices]
    assert ids(never[0])["open", False] == ["BOUNCED"]
    assert ids(never[1])["overdue", False] == ["LATE"] and ids(never[1])["open", True] == []
    assert ids(never[2])["open", False] == ["LATE"]
    assert ids(never[3])["bounced", True] == ["BOUNCED"]
    assert all(frame.empty for frame in never[4].values())  # a % is taken literally
    refresh(tiny)
    for c, before in zip(choices, never):
        assert_same_lists(every_list(tiny, **c), before)


def test_an_event_the_refresh_has_not_seen_moves_its_ticket_between_lists(tiny):
    a_loop_of_tickets(tiny)
    refresh(tiny)
    with tiny.writer.begin() as conn:
        conn.execute(insert(s.ticket_events).values(ticket_id="OPEN", stage="resolved",
                                                    at=datetime(2026, 3, 25, 9), actor="测试"))
    got = every_list(tiny)
    assert ids(got)["resolved", True] == ["OPEN", "SIGNED", "PUSHED", "DONE"]
    assert ids(got)["open", False] == ["BOUNCED", "AGAIN", "LATE"]
    assert_same_lists(got, from_the_events(tiny))


def test_a_list_looks_back_past_its_first_windows_until_it_has_its_limit(tiny):
    a_loop_of_tickets(tiny)
    tiny.add_ticket("TIE-B", reported="2025-05-01 09:00")  # ties: by id
    tiny.add_ticket("TIE-A", reported="2025-05-01 09:00")
    refresh(tiny)
    with tiny.connect() as conn:
        def listed(show, limit):
            return ticket_list.fetch_tickets(conn, MARCH, show, in_period=False,
                                             limit=limit)["id"].tolist()
        assert listed("open", 2) == ["OPEN", "BOUNCED"]
        assert listed("open", 3) == ["OPEN", "BOUNCED", "AGAIN"]
        assert listed("open", 5) == ["OPEN", "BOUNCED", "AGAIN", "LATE", "TIE-A"]
        assert listed("overdue", 10) == ["BOUNCED", "AGAIN", "LATE", "TIE-A", "TIE-B"]
        assert listed("reopened", 1) == ["AGAIN"]


def test_the_departments_are_walked_through_their_index_and_equal_a_distinct(tiny):
    for k, department in enumerate(["区住建局", "区城管局", "区住建局", "", "区民政局"]):
        tiny.add_ticket(f"D{k}", department=department)
    statements = []
    with tiny.connect() as conn:
        event.listen(conn, "before_cursor_execute", lambda *args: statements.append(args[2]))
        walked = ticket_list.list_departments(conn)
    with tiny.writer.begin() as conn:  # a table without the index
        conn.exec_driver_sql("DROP INDEX ix_tickets_department")
    with tiny.connect() as conn:
        plain = ticket_list.list_departments(conn)
    assert walked == plain == sorted(["区住建局", "区城管局", "区民政局"])
    assert any("WITH RECURSIVE" in sql for sql in statements)
