"""The weekly meeting on hand-built data: week against last week, the 红黑榜, the cut-off,
and stored snapshots against late data (both backends through `tiny`).

The meeting week is 2026-03-09 (Mon) to 03-15 (Sun), cut-off Monday 03-16 09:00; last week
is 03-02 to 03-08 at 03-09 09:00.
"""

import math
from datetime import date, datetime

import pytest

from data_access import admin, meeting
from data_access.meeting import week_filters

MONDAY = date(2026, 3, 9)
CUTOFF = datetime(2026, 3, 16, 9, 0)
WEEK = week_filters(MONDAY, CUTOFF)


def build_week(db):
    """Last week: A (甲局, resolved), B (甲局, open; overdue 03-13), G (鼓楼, resolved).
    This week: C, D (甲局, resolved; D reopened once), E, F (乙局; F resolved), H (丙局,
    open), officer O1 with two targets visited both last week, one this week."""
    db.add_ticket("A", department="甲局", reported="2026-03-02 09:00",
                  events=[("resolved", "2026-03-04 09:00")])
    db.add_ticket("B", department="甲局", reported="2026-03-03 09:00",
                  events=[("supervised", "2026-03-10 09:00")])
    db.add_ticket("G", town="鼓楼街道", department="乙局", reported="2026-03-03 10:00",
                  events=[("resolved", "2026-03-05 09:00")])
    db.add_ticket("C", department="甲局", reported="2026-03-10 09:00", satisfaction=5,
                  events=[("resolved", "2026-03-11 09:00"), ("evaluated", "2026-03-12 09:00")])
    db.add_ticket("D", department="甲局", reported="2026-03-10 10:00",
                  events=[("resolved", "2026-03-11 10:00"), ("reopened", "2026-03-11 15:00"),
                          ("resolved", "2026-03-12 09:00")])
    db.add_ticket("E", department="乙局", reported="2026-03-11 09:00")
    db.add_ticket("F", town="鼓楼街道", department="乙局", reported="2026-03-10 09:00",
                  events=[("resolved", "2026-03-11 09:00")])
    db.add_ticket("H", department="丙局", reported="2026-03-12 09:00")
    db.add_officer("O1")
    db.add_target("X1").add_target("X2")
    db.assign("O1", "X1").assign("O1", "X2")
    db.add_visit("V1", "O1", "X1", "2026-03-03 09:00").add_visit("V2", "O1", "X2", "2026-03-04 09:00")
    db.add_visit("V3", "O1", "X1", "2026-03-10 09:00")
    return db


def assemble(db, f=WEEK):
    with db.connect() as conn:
        return meeting.assemble(conn, f)


def row(m, code):
    return m.comparison.set_index("code").loc[code]


def test_the_default_week_is_the_last_full_week_and_the_cutoff_its_monday_morning():
    wednesday = datetime(2026, 11, 25, 16, 0)
    assert meeting.last_full_week(wednesday) == date(2026, 11, 16)
    assert meeting.last_full_week(datetime(2026, 11, 23, 8, 0)) == date(2026, 11, 16)
    assert meeting.default_cutoff(date(2026, 11, 16)) == datetime(2026, 11, 23, 9, 0)
    f = week_filters(date(2026, 11, 16), datetime(2026, 11, 23, 9, 0))
    assert (f.start, f.end, f.as_of) == (date(2026, 11, 16), date(2026, 11, 22),
                                         datetime(2026, 11, 23, 9, 0))


@pytest.mark.parametrize("text", ["2026-11-17", "tomorrow", "", None, "2026-13-01"])
def test_a_week_that_is_not_a_monday_is_refused(text):
    with pytest.raises(ValueError):
        meeting.parse_week(text)


@pytest.mark.parametrize("text", ["2026-11-15T09:00", "soon", "2026-11-23T09:00+08:00"])
def test_a_cutoff_before_the_week_or_with_a_zone_is_refused(text):
    with pytest.raises(ValueError):
        meeting.parse_cutoff(text, date(2026, 11, 16))


def test_week_against_last_week_and_the_campaign(tiny):
    m = assemble(build_week(tiny))
    collected, resolved, rate = (row(m, c) for c in ("collected", "resolved", "resolution_rate"))
    assert (collected.this_week, collected.last_week, collected.campaign) == (5, 3, 8)
    assert collected.change == 2
    assert (resolved.this_week, resolved.last_week, resolved.change) == (3, 2, 1)
    assert rate.this_week == pytest.approx(3 / 5)
    assert rate.change == pytest.approx(3 / 5 - 2 / 3)
    overdue = row(m, "overdue")  # B's deadline (03-13) passed before this cut-off, not last's
    assert (overdue.this_week, overdue.last_week) == (1, 0)
    assert row(m, "satisfaction_rate").this_week == 1.0
    assert math.isnan(row(m, "satisfaction_rate").last_week)
    visits, cover = row(m, "visits"), row(m, "coverage_rate")
    assert (visits.this_week, visits.last_week, visits.change) == (1, 2, -1)
    assert (cover.this_week, cover.last_week) == (0.5, 1.0)


def test_the_boards_rank_best_and_worst_with_the_change_against_last_week(tiny):
    build_week(tiny)
    with tiny.connect() as conn:
        two = meeting.fetch_board(conn, WEEK, "department", "resolution_rate", n=2)
        one = meeting.fetch_board(conn, WEEK, "department", "resolution_rate", n=1)
        towns = meeting.fetch_board(conn, WEEK, "town_code", "resolution_rate")
    # this week: 甲局 C, D resolved (2/2); 乙局 F of E, F (1/2); 丙局 H open (0/1)
    assert two[["board", "rank", "name"]].values.tolist() == [
        ["red", 1, "甲局"], ["red", 2, "乙局"], ["black", 1, "丙局"]]
    assert two["value"].tolist() == [1.0, 0.5, 0.0]
    assert two["change"].iloc[0] == pytest.approx(1.0 - 0.5)  # 甲局 last week: A of A, B
    assert math.isnan(two["change"].iloc[2])  # 丙局 had nothing last week
    assert one[["board", "name"]].values.tolist() == [["red", "甲局"], ["black", "丙局"]]
    assert towns[["board", "name"]].values.tolist() == [["red", "鼓楼街道"], ["red", "章水镇"]]
    assert towns["value"].tolist() == [1.0, pytest.approx(2 / 4)]


def test_ties_go_to_the_unit_with_more_behind_the_figure_on_both_boards(tiny):
    def add(department, n, resolved):
        for i in range(n):
            events = [("resolved", "2026-03-10 12:00")] if resolved else []
            tiny.add_ticket(f"{department}{i}", department=department,
                            reported="2026-03-10 09:00", events=events)

    for department, n, resolved in [("大局", 2, True), ("小局", 1, True), ("中局", 3, True),
                                    ("甲差", 1, False), ("乙差", 3, False), ("丙差", 2, False)]:
        add(department, n, resolved)
    with tiny.connect() as conn:
        board = meeting.fetch_board(conn, WEEK, "department", "resolution_rate", n=2)
    assert board[["board", "name"]].values.tolist() == [
        ["red", "中局"], ["red", "大局"], ["black", "乙差"], ["black", "丙差"]]


def test_the_lists_of_the_week(tiny):
    m = assemble(build_week(tiny))
    assert m.longest_overdue["id"].tolist() == ["B"]
    assert m.longest_overdue["overdue_days"].iloc[0] == pytest.approx(3.0)
    assert m.new_supervised["id"].tolist() == ["B"]
    assert m.reopened["id"].tolist() == ["D"]
    assert m.officers_below["officer_id"].tolist() == ["O1"]


def test_the_supervision_items_due_are_open_ones_due_by_next_sunday(tiny):
    tiny.add_supervision("S1", "2026-03-12")  # late
    tiny.add_supervision("S2", "2026-03-20")  # due next week
    tiny.add_supervision("S3", "2026-04-30")  # later
    tiny.add_supervision("S4", "2026-03-13", status="completed", completed="2026-03-12")
    m = assemble(tiny)
    assert m.supervision_due["code"].tolist() == ["S1", "S2"]
    assert m.supervision_due["days_left"].tolist() == [-4, 4]


def add_late_events(db):
    """Everything here happens at or after the cut-off."""
    db.add_ticket("LATE", reported="2026-03-16 09:00")
    db.add_ticket("LATER", department="丙局", reported="2026-03-16 11:00")
    for ticket_id, stage in [("H", "resolved"), ("E", "supervised"), ("C", "reopened")]:
        db._insert(meeting.ticket_events, ticket_id=ticket_id, stage=stage,
                   at=datetime(2026, 3, 16, 9, 0), actor="测试")
    db.add_visit("V9", "O1", "X2", "2026-03-16 10:00")


def test_an_event_after_the_cutoff_changes_nothing(tiny):
    build_week(tiny)
    before = assemble(tiny)
    add_late_events(tiny)
    after = assemble(tiny)
    assert after.figures() == before.figures()
    for name in ("longest_overdue", "new_supervised", "reopened", "officers_below"):
        assert getattr(after, name).equals(getattr(before, name)), name
    # and the same events before the cut-off do change it (the test can fail)
    moved = assemble(tiny, week_filters(MONDAY, datetime(2026, 3, 16, 12, 0)))
    assert moved.figures() != before.figures()


def test_a_snapshot_keeps_what_was_presented_while_the_live_view_shows_late_data(tiny, capsys):
    build_week(tiny)
    assert admin.main(["--url", tiny.url, "snapshot", "--week", "2026-03-09"]) == 0
    assert "已存档" in capsys.readouterr().err
    with tiny.connect() as conn:
        stored = meeting.get_snapshot(conn, MONDAY, CUTOFF, None)
    presented = assemble(tiny).figures()
    assert stored["figures"] == presented
    # late data: a ticket of the week, resolved before the cut-off, imported afterwards
    tiny.add_ticket("LATE", department="丙局", reported="2026-03-13 09:00",
                    events=[("resolved", "2026-03-14 09:00")])
    with tiny.connect() as conn:
        again = meeting.get_snapshot(conn, MONDAY, CUTOFF, None)
        live = meeting.assemble(conn, WEEK).figures()
    assert again["figures"] == presented  # the snapshot view is unchanged
    diff = meeting.differences(again["figures"], live).set_index(["code", "period"])
    assert diff.loc[("collected", "本周"), ["stored", "live", "difference"]].tolist() == [5, 6, 1]
    assert diff.loc[("resolved", "活动以来"), "difference"] == 1
    assert ("collected", "上周") not in diff.index
    assert meeting.differences(again["figures"], again["figures"]).empty


def test_snapshots_are_kept_per_town_and_cutoff(tiny, capsys):
    build_week(tiny)
    assert admin.main(["--url", tiny.url, "snapshot", "--week", "2026-03-09", "--town", "章水镇",
                       "--cutoff", "2026-03-16T08:00"]) == 0
    with tiny.connect() as conn:
        assert meeting.get_snapshot(conn, MONDAY, CUTOFF, None) is None
        town = meeting.get_snapshot(conn, MONDAY, datetime(2026, 3, 16, 8), "330203106000")
    assert town["figures"]["comparison"]["collected"]["this_week"] == 4  # 章水镇: C D E H
    assert admin.main(["--url", tiny.url, "snapshot", "--week", "2026-03-10"]) == 2
    assert admin.main(["--url", tiny.url, "snapshot", "--week", "2026-03-09",
                       "--town", "无此镇"]) == 2


def test_when_every_unit_is_level_there_is_no_black_board(tiny):
    for department in ("甲局", "乙局", "丙局", "丁局"):
        tiny.add_ticket(f"{department}1", department=department, reported="2026-03-10 09:00",
                        events=[("resolved", "2026-03-10 12:00")])
    with tiny.connect() as conn:
        board = meeting.fetch_board(conn, WEEK, "department", "resolution_rate", n=2)
    assert board["board"].tolist() == ["red", "red"]


def test_the_meetings_boards_are_the_single_boards(tiny):
    m = assemble(build_week(tiny))
    with tiny.connect() as conn:
        for by, code in meeting.BOARDS:
            single = meeting.fetch_board(conn, WEEK, by, code)
            assert m.boards[meeting.board_key(by, code)].equals(single), (by, code)
