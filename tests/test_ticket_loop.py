"""The closed loop on hand-built tickets: funnel, rates, SLA, aging, breakdowns, quality."""

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import delete

from data_access import summaries, ticket_list, ticket_loop
from data_access.filters import Filters
from data_access.schema import ticket_events

MARCH = Filters.between(date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 4, 10))
FULL = [("dispatched", "2026-03-02 12:00"), ("accepted", "2026-03-03 09:00"),
        ("resolved", "2026-03-06 09:00")]


def call(db, fn, *args, **kw):
    with db.connect() as conn:
        return fn(conn, *args, **kw)


def funnel_of(db, f):
    return ticket_loop.funnel(call(db, ticket_loop.fetch_loop_figures, f))


def test_funnel_counts_each_stage_and_its_conversion(tiny):
    tiny.add_ticket("A", events=[*FULL, ("signed_off", "2026-03-06 18:00"),
                                 ("evaluated", "2026-03-07 09:00")], satisfaction=5)
    tiny.add_ticket("B", events=FULL)
    tiny.add_ticket("C", events=FULL[:2])
    tiny.add_ticket("D", events=FULL[:1])
    got = funnel_of(tiny, MARCH).set_index("stage")
    assert got.index.tolist() == ["reported", "dispatched", "accepted", "resolved", "signed_off",
                                  "evaluated"]
    assert got["tickets"].tolist() == [4, 4, 3, 2, 1, 1]
    assert got.at["accepted", "conversion_rate"] == pytest.approx(3 / 4)
    assert got.at["signed_off", "conversion_rate"] == pytest.approx(1 / 2)


def test_a_bounced_ticket_waits_for_dispatch_again_and_counts_as_bounced_twice(tiny):
    tiny.add_ticket("A", events=[("dispatched", "2026-03-02 10:00"), ("rejected", "2026-03-02 12:00"),
                                 ("dispatched", "2026-03-03 10:00"), ("rejected", "2026-03-03 12:00")])
    tiny.add_ticket("B", events=[("dispatched", "2026-03-02 10:00"), ("rejected", "2026-03-02 12:00"),
                                 ("dispatched", "2026-03-03 10:00"), ("accepted", "2026-03-03 12:00")])
    funnel = funnel_of(tiny, MARCH).set_index("stage")["tickets"]
    assert (funnel["dispatched"], funnel["accepted"]) == (1, 1)
    assert call(tiny, ticket_loop.fetch_loop_figures, MARCH)["bounced"] == 1
    assert call(tiny, ticket_list.fetch_tickets, MARCH, "bounced")["id"].tolist() == ["A"]


def test_a_ticket_resolved_without_dispatch_event_counts_as_dispatched_and_as_a_skip(tiny):
    tiny.add_ticket("A", events=[("resolved", "2026-03-04 10:00")])
    funnel = funnel_of(tiny, MARCH).set_index("stage")["tickets"]
    assert (funnel["dispatched"], funnel["accepted"], funnel["resolved"]) == (1, 1, 1)
    assert call(tiny, ticket_loop.fetch_data_quality, MARCH)["skipped_stage"] == 1


def test_an_empty_period_has_an_empty_funnel_and_undefined_rates(tiny):
    funnel = funnel_of(tiny, MARCH)
    assert funnel["tickets"].tolist() == [0, 0, 0, 0, 0, 0]
    rates = call(tiny, ticket_loop.fetch_loop_figures, MARCH)
    for key in ("completion_rate", "on_time_rate", "satisfaction_rate", "reopen_rate"):
        assert rates[key] != rates[key], key


def test_loop_rates_with_known_answers(tiny):
    # A: on time, satisfied. B: late (due in 2 days, resolved after 4), unsatisfied.
    # C: reopened, resolved again. D: dispatched, never accepted. E: no evaluation.
    tiny.add_ticket("A", events=[*FULL, ("evaluated", "2026-03-07 09:00")], satisfaction=5)
    tiny.add_ticket("B", due_days=2, events=[*FULL, ("evaluated", "2026-03-07 09:00")],
                    satisfaction=2)
    tiny.add_ticket("C", events=[*FULL, ("reopened", "2026-03-07 09:00"),
                                 ("resolved", "2026-03-09 09:00")])
    tiny.add_ticket("D", events=FULL[:1])
    tiny.add_ticket("E", events=FULL)
    got = call(tiny, ticket_loop.fetch_loop_figures, MARCH)
    assert (got["collected"], got["resolved"]) == (5, 4)
    assert got["resolution_rate"] == pytest.approx(4 / 5)
    assert got["completion_rate"] == pytest.approx(4 / 4)  # D was dispatched, never accepted
    assert got["on_time_rate"] == pytest.approx(3 / 4)
    assert got["satisfaction_rate"] == pytest.approx(1 / 2)
    assert got["reopen_rate"] == pytest.approx(1 / 4)


def stage_hours(tiny, refreshed: bool, monkeypatch):
    """fetch_stage_hours for MARCH, computed from the states, or after a refresh through
    span_rollup and the steps' indexes (seen to be taken)."""
    if refreshed:
        with tiny.writer.begin() as conn:
            summaries.refresh(conn)
        taken = []
        bucketed = ticket_loop._bucketed_medians
        monkeypatch.setattr(ticket_loop, "_bucketed_medians",
                            lambda *a: taken.append(1) or bucketed(*a))
    got = call(tiny, ticket_loop.fetch_stage_hours, MARCH).set_index("stage")
    assert not refreshed or taken
    return got


@pytest.mark.parametrize("refreshed", [False, True])
def test_median_hours_in_each_stage(tiny, refreshed, monkeypatch):
    tiny.add_ticket("A", reported="2026-03-02 09:00", events=FULL)  # 3 h, 21 h, 72 h
    tiny.add_ticket("B", reported="2026-03-02 11:00", events=FULL)  # 1 h, 21 h, 72 h
    got = stage_hours(tiny, refreshed, monkeypatch)  # 1 h and 3 h: two buckets
    assert got.at["reported", "median_hours"] == pytest.approx(2.0)
    assert got.at["dispatched", "median_hours"] == pytest.approx(21.0)
    assert got.at["accepted", "median_hours"] == pytest.approx(72.0)
    assert got.at["resolved", "tickets"] == 0


@pytest.mark.parametrize("refreshed", [False, True])
def test_median_of_an_odd_count_leaves_out_negative_spans_and_other_periods(tiny, refreshed,
                                                                             monkeypatch):
    tiny.add_ticket("A", reported="2026-03-02 09:00", events=FULL)  # 3 h to 派单
    tiny.add_ticket("B", reported="2026-03-02 11:00", events=FULL)  # 1 h
    tiny.add_ticket("C", reported="2026-03-02 02:00", events=FULL)  # 10 h
    tiny.add_ticket("D", reported="2026-03-02 13:00", events=FULL)  # 派单 before report: left out
    tiny.add_ticket("E", reported="2026-02-27 12:00", events=FULL)  # reported in February
    got = stage_hours(tiny, refreshed, monkeypatch)
    assert got.at["reported", "median_hours"] == pytest.approx(3.0)
    assert got.at["reported", "tickets"] == 3
    assert got.at["dispatched", "tickets"] == 4  # D's later steps still count


def test_breakdown_by_department_and_task_force(tiny):
    tiny.add_ticket("A", department="区住建局", task_force="policy", events=FULL)
    tiny.add_ticket("B", department="区住建局")
    tiny.add_ticket("C", department="区商务局", task_force="finance", events=FULL)
    dept = call(tiny, ticket_loop.fetch_breakdown, MARCH, "department").set_index("key")
    assert dept.at["区住建局", "collected"] == 2
    assert dept.at["区住建局", "resolution_rate"] == pytest.approx(0.5)
    forces = call(tiny, ticket_loop.fetch_breakdown, MARCH, "task_force")
    assert sorted(forces["key"].dropna()) == ["finance", "policy"]
    with pytest.raises(ValueError):
        call(tiny, ticket_loop.fetch_breakdown, MARCH, "reporter_phone")


@pytest.mark.parametrize("refreshed", [False, True])
def test_breakdowns_asked_together_equal_each_asked_alone(tiny, refreshed):
    # 问题流转 asks for its five charts in one call, each with the others' choices: the
    # charts with the same filters are computed together, the others apart
    tiny.add_ticket("A", department="区住建局", task_force="policy", events=FULL)
    tiny.add_ticket("B", department="区住建局", category="enterprise")
    tiny.add_ticket("C", department="区商务局", task_force="finance", events=FULL)
    if refreshed:  # the unfiltered chart through the rollup
        with tiny.writer.begin() as conn:
            summaries.refresh(conn)
    chosen = MARCH.narrowed(department="区住建局")
    asked = (("category", chosen), ("source", chosen), ("town_code", chosen),
             ("department", MARCH), ("task_force", chosen))
    together = call(tiny, ticket_loop.fetch_breakdowns, asked)
    assert list(together) == [by for by, _ in asked]
    for by, f in asked:
        pd.testing.assert_frame_equal(together[by], call(tiny, ticket_loop.fetch_breakdown, f, by))
    assert together["department"]["collected"].tolist() == [2, 1]
    assert together["category"]["collected"].sum() == 2  # 区住建局's two
    with pytest.raises(ValueError, match="reporter_phone"):
        call(tiny, ticket_loop.fetch_breakdowns, (("reporter_phone", MARCH),))


def test_sla_and_aging_of_open_tickets_at_as_of(tiny):
    tiny.add_ticket("old", reported="2026-01-10 09:00", due_days=10)  # 80 days, overdue
    tiny.add_ticket("late", reported="2026-03-20 09:00", due_days=5,
                    events=[("supervised", "2026-03-26 09:00")])
    tiny.add_ticket("soon", reported="2026-03-25 09:00", due_days=8)  # due 04-02
    tiny.add_ticket("fresh", reported="2026-03-30 09:00", due_days=20)
    tiny.add_ticket("done", reported="2026-03-02 09:00", events=FULL)
    sla = call(tiny, ticket_loop.fetch_loop_figures, MARCH)  # as_of = 2026-04-01 00:00
    assert (sla["open"], sla["overdue"], sla["soon_due"], sla["supervised"]) == (4, 2, 1, 1)
    aging = call(tiny, ticket_loop.fetch_open_aging, MARCH).set_index("bucket")
    assert aging["tickets"].tolist() == [2, 1, 0, 0, 1]
    assert aging["overdue"].tolist() == [0, 1, 0, 0, 1]  # late (due 03-27) and old


def test_inconsistent_events_are_counted_not_fatal(tiny):
    tiny.add_ticket("A", reported="2026-03-05 09:00", events=[("accepted", "2026-03-04 09:00")])
    tiny.add_ticket("B", events=[("teleported", "2026-03-03 09:00")])
    got = call(tiny, ticket_loop.fetch_data_quality, MARCH)
    assert got["before_report"] == 1
    assert got["unknown_stage"] == 1
    assert funnel_of(tiny, MARCH)["tickets"].iloc[0] == 2


def test_ticket_list_shows_status_and_history(tiny):
    tiny.add_ticket("A", events=[*FULL, ("reopened", "2026-03-07 09:00")])
    tiny.add_ticket("B", events=[*FULL, ("evaluated", "2026-03-07 09:00")], satisfaction=4)
    listed = call(tiny, ticket_list.fetch_tickets, MARCH).set_index("id")
    assert listed.at["A", "status"] == "reopened"
    assert listed.at["B", "status"] == "evaluated"
    assert call(tiny, ticket_list.fetch_tickets, MARCH, "reopened")["id"].tolist() == ["A"]
    history = call(tiny, ticket_list.fetch_history, "A")
    assert history["stage"].tolist() == ["reported", "dispatched", "accepted", "resolved",
                                         "reopened"]


def test_a_month_so_far_from_span_rollup_leaves_out_a_ticket_reported_after_as_of(tiny,
                                                                                   monkeypatch):
    """A period up to as_of reads as_of's month from span_rollup's month row (its days so far
    are most of a month of states to read otherwise), but not while that row holds a ticket
    reported at or after as_of: here one whose steps were recorded before its report (no
    上报 event, a data error), which the period's spans leave out."""
    tiny.add_ticket("A", reported="2026-03-02 09:00", events=FULL)  # 21 h from 派单 to 受理
    tiny.add_ticket("B", reported="2026-03-02 11:00", events=FULL)
    tiny.add_ticket("L", reported="2026-03-20 09:00",  # 120 h, reported after as_of
                    events=[("dispatched", "2026-03-04 09:00"), ("accepted", "2026-03-09 09:00")])
    with tiny.writer.begin() as conn:
        conn.execute(delete(ticket_events).where(ticket_events.c.ticket_id == "L",
                                                 ticket_events.c.stage == "reported"))
    so_far = Filters.between(date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 3, 15, 12))
    computed = call(tiny, ticket_loop.fetch_stage_hours, so_far).set_index("stage")
    with tiny.writer.begin() as conn:
        summaries.refresh(conn)
    taken, bucketed = [], ticket_loop._bucketed_medians
    monkeypatch.setattr(ticket_loop, "_bucketed_medians",
                        lambda *a: taken.append(1) or bucketed(*a))
    got = call(tiny, ticket_loop.fetch_stage_hours, so_far).set_index("stage")
    assert taken and got.at["dispatched", "tickets"] == 2
    pd.testing.assert_frame_equal(got, computed)
