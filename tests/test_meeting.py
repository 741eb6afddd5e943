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
        # the ranking itself, on a handful of tickets (the minimum base is tested below)
        two = meeting.fetch_board(conn, WEEK, "department", "resolution_rate", n=2, min_base=1)
        one = meeting.fetch_board(conn, WEEK, "department", "resolution_rate", n=1, min_base=1)
        towns = meeting.fetch_board(conn, WEEK, "town_code", "resolution_rate", min_base=1)
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
        board = meeting.fetch_board(conn, WEEK, "department", "resolution_rate", n=2,
                                    min_base=1)
    assert board[["board", "name"]].values.tolist() == [
        ["red", "中局"], ["red", "大局"], ["black", "乙差"], ["black", "丙差"]]


def test_the_lists_of_the_week(tiny):
    m = assemble(build_week(tiny))
    assert m.longest_overdue["id"].tolist() == ["B"]
    assert m.longest_overdue["overdue_days"].iloc[0] == pytest.approx(3.0)
    assert m.new_supervised["id"].tolist() == ["B"]
    assert m.reopened["id"].tolist() == ["D"]
    assert m.officers_below.empty  # O1 visited both targets within the last four weeks


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
        board = meeting.fetch_board(conn, WEEK, "department", "resolution_rate", n=2,
                                    min_base=1)
    assert board["board"].tolist() == ["red", "red"]


def test_the_meetings_boards_are_the_single_boards(tiny):
    m = assemble(build_week(tiny))
    with tiny.connect() as conn:
        for by, code in meeting.BOARDS:
            single = meeting.fetch_board(conn, WEEK, by, code)
            assert m.boards[meeting.board_key(by, code)].equals(single), (by, code)


def add_department(db, department, n, resolved, town="章水镇"):
    """`n` tickets of this week for `department`, the first `resolved` of them resolved."""
    for i in range(n):
        events = [("resolved", "2026-03-11 12:00")] if i < resolved else []
        db.add_ticket(f"{department}{i}", town=town, department=department,
                      reported="2026-03-10 09:00", events=events)


def test_a_unit_below_the_minimum_base_is_on_neither_board(tiny):
    assert meeting.board_min_base("resolution_rate") == meeting.BOARD_MIN_TICKETS == 10
    assert meeting.board_min_base("coverage_rate") == meeting.BOARD_MIN_PAIRS == 20
    add_department(tiny, "大局", 12, 12)  # 100% on 12: ranked best
    add_department(tiny, "中局", 10, 5)  # 50% on 10: exactly the base, ranked
    add_department(tiny, "低局", 10, 1)  # 10% on 10: ranked worst
    add_department(tiny, "小局", 2, 2)  # 100% on 2: too few to praise
    add_department(tiny, "差局", 3, 0)  # 0% on 3: too few to blame
    with tiny.connect() as conn:
        board = meeting.fetch_board(conn, WEEK, "department", "resolution_rate", n=1)
        everyone = meeting.fetch_board(conn, WEEK, "department", "resolution_rate", n=1,
                                       min_base=1)
        m = meeting.assemble(conn, WEEK)
    assert board[["board", "name", "base"]].values.tolist() == [
        ["red", "大局", 12], ["black", "低局", 10]]
    # without the base the noise would lead both boards (the test can fail)
    assert everyone[["board", "name"]].values.tolist() == [["red", "大局"], ["black", "差局"]]
    ranked = set(m.boards[meeting.board_key("department", "resolution_rate")]["name"])
    assert ranked == {"大局", "中局", "低局"}  # n=3: 大局, 中局, 低局 red; none behind them
    assert "不参与排名" in meeting.board_rule("resolution_rate")
    assert "10" in meeting.board_rule("resolution_rate")


def test_coverage_is_ranked_only_for_towns_with_twenty_pairs(tiny):
    tiny.add_officer("O1").add_officer("O2", town="鼓楼街道")
    for i in range(20):  # 章水镇: 20 pairs, 5 visited this week
        tiny.add_target(f"Z{i}").assign("O1", f"Z{i}")
        if i < 5:
            tiny.add_visit(f"VZ{i}", "O1", f"Z{i}", "2026-03-11 09:00")
    for i in range(19):  # 鼓楼街道: 19 pairs, all visited: too few to rank
        tiny.add_target(f"G{i}", town="鼓楼街道").assign("O2", f"G{i}")
        tiny.add_visit(f"VG{i}", "O2", f"G{i}", "2026-03-11 09:00")
    with tiny.connect() as conn:
        board = meeting.fetch_board(conn, WEEK, "town_code", "coverage_rate")
        everyone = meeting.fetch_board(conn, WEEK, "town_code", "coverage_rate", min_base=1)
    assert board[["board", "name", "value"]].values.tolist() == [["red", "章水镇", 0.25]]
    assert everyone["name"].tolist() == ["鼓楼街道", "章水镇"]


def test_officers_are_warned_on_the_last_four_weeks_lowest_first(tiny):
    """The window is 02-16 (Mon) to 03-15 (Sun), at the cut-off 03-16 09:00."""
    for officer in ("OK", "NONE", "QUARTER", "EARLY", "HALF"):
        tiny.add_officer(officer)
    pairs = {"OK": 2, "NONE": 2, "QUARTER": 4, "EARLY": 3, "HALF": 2}
    for officer, n in pairs.items():
        for i in range(n):
            tiny.add_target(f"{officer}{i}").assign(officer, f"{officer}{i}")
    tiny.add_visit("V1", "OK", "OK0", "2026-02-17 09:00")  # three weeks before: counts
    tiny.add_visit("V2", "OK", "OK1", "2026-03-03 09:00")  # OK: 2 of 2, none this week
    tiny.add_visit("V3", "QUARTER", "QUARTER0", "2026-03-11 09:00")  # 1 of 4
    tiny.add_visit("V4", "EARLY", "EARLY0", "2026-02-15 09:00")  # before the window: 0 of 3
    tiny.add_visit("V5", "HALF", "HALF0", "2026-03-04 09:00")  # 1 of 2
    tiny.add_visit("V6", "NONE", "NONE0", "2026-03-16 10:00")  # after the cut-off: 0 of 2
    m = assemble(tiny)
    below = m.officers_below
    assert below["officer_id"].tolist() == ["EARLY", "NONE", "QUARTER", "HALF"]
    assert below["coverage_rate"].tolist() == [0.0, 0.0, 0.25, 0.5]
    window = meeting.warning_filters(WEEK)
    assert (window.start, window.end, window.as_of) == (date(2026, 2, 16), date(2026, 3, 15),
                                                        CUTOFF)
    # judged on this week alone, OK (no visit this week) would be listed too
    with tiny.connect() as conn:
        week_only = meeting.fetch_officers_below(conn, WEEK, weeks=1)
    assert "OK" in set(week_only["officer_id"])


@pytest.mark.parametrize("by", ["department", "task_force", "grid_cell_code", "town_code"])
def test_figures_over_the_weeks_reports_read_only_those_and_agree(conn, by, monkeypatch):
    """The boards ask figures.grouped for figures over the period's reports only
    (reported_only): the same values for every unit with a report in the period."""
    from data_access import figures
    from data_access.filters import Filters

    codes = ["resolution_rate", "collected", "on_time_rate", "resolved", "repeat_reported"]
    if by == "town_code":  # the town boards rank 覆盖率 beside the week's tickets
        codes += ["coverage_rate", "assigned"]
    assert figures.over_reports(codes) and not figures.over_reports(["overdue", "visits"])
    for f in (Filters.for_period("last_week", datetime(2026, 11, 25, 18)),
              Filters.for_period("campaign", datetime(2026, 11, 25, 18))):
        every = figures.grouped(conn, f, by, codes)
        active = every[every["collected"] > 0].reset_index(drop=True)
        with monkeypatch.context() as m:  # a week: its reports, not the corrected rollup
            if f.days <= figures.FEW_REPORT_DAYS:
                m.setattr(figures, "_ticket_values", None)
            fast = figures.grouped(conn, f, by, codes, reported_only=True)
        fast = fast[fast["collected"] > 0].reset_index(drop=True)
        assert len(active) > 0
        assert fast.equals(active), (by, f)
    with pytest.raises(ValueError):
        figures.grouped(conn, f, by, ["overdue"], reported_only=True)


def test_the_boards_read_each_weeks_reports_once_for_towns_and_departments(conn, monkeypatch):
    """grouped_each over a week's reports: one query of the tickets, grouped by towns,
    departments and 专班 at once, gives each dimension the frame grouped gives it alone
    (units without a value, as tickets of no 专班, included)."""
    from data_access import figures
    from data_access.filters import Filters

    codes = {"town_code": ["resolution_rate", "coverage_rate", "assigned", "collected"],
             "department": ["resolution_rate", "on_time_rate", "collected"],
             "task_force": ["resolution_rate", "repeat_reported", "collected"]}
    f = Filters.for_period("last_week", datetime(2026, 11, 25, 18))
    alone = {by: figures.grouped(conn, f, by, c, reported_only=True) for by, c in codes.items()}
    reads = []
    real = figures.family_query
    monkeypatch.setattr(figures, "family_query", lambda c, f, family, *a, **k: (
        reads.append(family), real(c, f, family, *a, **k))[1])
    together = figures.grouped_each(conn, f, codes, reported_only=True)
    assert reads.count("tickets") == 1
    assert alone["task_force"]["key"].isna().any()
    for by in codes:
        assert together[by].equals(alone[by]), by
        assert together[by]["collected"].sum() == alone["town_code"]["collected"].sum()
