"""Coverage per officer, by group, the gaps and the diaries, on hand-built data."""

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import insert

from data_access import coverage, figures, summaries
from data_access import ticket_state as ts
from data_access.filters import Filters
from data_access.schema import ticket_events

MARCH = Filters.between(date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 4, 10))


def call(db, fn, *args, **kw):
    with db.connect() as conn:
        return fn(conn, *args, **kw)


@pytest.fixture
def town(tiny):
    """Two officers at two levels; a firm assigned to both; a village; a stray visit."""
    tiny.add_officer("L1", level="district_leader", town=None).add_officer("C1")
    tiny.add_officer("idle")  # no assignments: not listed
    tiny.add_target("F1", above_scale=True).add_target("F2").add_target("V1", kind="village")
    tiny.assign("L1", "F1").assign("C1", "F1").assign("C1", "V1").assign("C1", "F2")
    tiny.add_visit("a", "L1", "F1", "2026-03-03 10:00", problems=2)
    tiny.add_visit("b", "C1", "V1", "2026-03-04 10:00", complete=False, diary="grassroots")
    tiny.add_visit("c", "C1", "V1", "2026-02-04 10:00", diary="grassroots")  # before March
    tiny.add_visit("d", "L1", "V1", "2026-03-05 10:00", diary="grassroots")  # not L1's target
    tiny.add_ticket("K1", visit_id="a", events=[("resolved", "2026-03-08 10:00")])
    tiny.add_ticket("K2", visit_id="a")
    return tiny


def test_officer_coverage_with_known_answers(town):
    got = call(town, coverage.fetch_officer_coverage, MARCH).set_index("officer_id")
    assert sorted(got.index) == ["C1", "L1"]
    assert got.loc["L1", ["assigned", "visited", "visits"]].tolist() == [1, 1, 2]
    assert got.at["L1", "coverage_rate"] == 1.0
    assert (got.at["L1", "tickets"], got.at["L1", "tickets_resolved"]) == (2, 1)
    assert got.at["L1", "problems_raised"] == 2
    assert got.loc["C1", ["assigned", "visited", "visits"]].tolist() == [3, 1, 1]
    assert got.at["C1", "coverage_rate"] == pytest.approx(1 / 3)
    assert got.at["C1", "last_visit_at"] == datetime(2026, 3, 4, 10)
    assert got.index[0] == "C1"  # lowest coverage first


@pytest.mark.parametrize("chosen", [{}, {"level": "district_leader"}, {"level": "town_cadre"},
                                    {"target_group": "above_scale"}, {"target_group": "village"}])
def test_officer_pairs_are_the_coverage_without_the_activity(town, chosen):
    full = call(town, coverage.fetch_officer_coverage, MARCH, **chosen)
    pairs = call(town, coverage.fetch_officer_pairs, MARCH, **chosen)
    assert not pairs.empty
    pd.testing.assert_frame_equal(pairs, full[list(pairs.columns)])
    assert list(pairs.columns) == ["officer_id", "officer", "level", "department", "town",
                                   "assigned", "visited", "coverage_rate"]


# (period, as_of) → pairs visited in it: L1-F1 visited 03-03 10:00; C1-V1 02-04 and 03-04
# 10:00. The weeks are within figures.HASHED_PERIOD_DAYS on both backends (the period's
# visits hashed), March on PostgreSQL only (probed on SQLite), the others longer than
# figures.SHORT_PERIOD_DAYS (read via pair_visits)
JUNE = date(2026, 6, 30)
PAIR_PERIODS = {
    (date(2026, 3, 2), date(2026, 3, 8), datetime(2026, 3, 9)): 2,  # a week: hashed
    (date(2026, 3, 2), date(2026, 3, 8), datetime(2026, 3, 3, 12)): 1,  # C1-V1 after as_of
    (date(2026, 3, 3), date(2026, 3, 3), datetime(2026, 3, 5)): 1,  # L1-F1's day alone
    (date(2026, 2, 23), date(2026, 3, 1), datetime(2026, 3, 9)): 0,  # the week before
    (date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 4, 10)): 2,  # a month
    (date(2026, 3, 1), JUNE, datetime(2026, 7, 10)): 2,  # first in it; one before, one in it
    (date(2026, 3, 4), JUNE, datetime(2026, 7, 10)): 1,  # C1-V1's last visit
    (date(2026, 3, 5), JUNE, datetime(2026, 7, 10)): 0,  # both visited last before it
    (date(2025, 11, 1), date(2026, 2, 28), datetime(2026, 4, 10)): 1,  # C1-V1's first
    (date(2026, 3, 1), JUNE, datetime(2026, 3, 4, 9)): 1,  # C1-V1's in it after as_of
    (date(2026, 3, 1), JUNE, datetime(2026, 3, 3, 9)): 0,  # both after as_of
}
PAIR_CALLS = [lambda c, f: coverage.fetch_officer_pairs(c, f),
              lambda c, f: coverage.fetch_coverage_by(c, f, "level"),
              lambda c, f: coverage.fetch_coverage_by(c, f, "target_group"),
              lambda c, f: coverage.fetch_headline(c, f),
              lambda c, f: coverage.fetch_unvisited_targets(c, f),
              lambda c, f: coverage.fetch_gaps_by_officer(c, f),
              lambda c, f: coverage.fetch_gaps_by_town(c, f)]


def test_pairs_visited_read_through_pair_visits_as_from_the_visits(town, monkeypatch):
    """Once refreshed, whether a pair was visited in a long period is read from its first
    and last visit (pair_visits), looking in the visits only for a pair visited before the
    period and since its start; in a short one, among the period's visits read once: every
    coverage view equals the visits probed per pair, for a first visit in the period, one
    before it with a later one in it or not, and one after as_of."""
    with town.writer.begin() as conn:
        summaries.refresh(conn)
    for (start, end, as_of), visited in PAIR_PERIODS.items():
        f = Filters.between(start, end, as_of)
        with town.connect() as conn:
            assert summaries.visits_current(conn)
            fast = [fn(conn, f) for fn in PAIR_CALLS]
            with monkeypatch.context() as m:
                m.setattr(ts, "USE_SUMMARIES", False)  # the visits probed per pair
                m.setattr(figures, "HASHED_PERIOD_DAYS", {})
                slow = [fn(conn, f) for fn in PAIR_CALLS]
        assert fast[0]["visited"].sum() == visited, f
        for a, b in zip(fast, slow):
            if isinstance(a, pd.DataFrame):
                pd.testing.assert_frame_equal(a, b, obj=str(f))
            else:
                assert a == b, f


def test_coverage_by_level_and_by_target_group(town):
    level = call(town, coverage.fetch_coverage_by, MARCH, "level").set_index("key")
    assert level.at["district_leader", "coverage_rate"] == 1.0
    assert level.at["town_cadre", "coverage_rate"] == pytest.approx(1 / 3)
    kinds = call(town, coverage.fetch_coverage_by, MARCH, "target_group").set_index("key")
    assert kinds.at["above_scale", "assigned"] == 2  # F1 has two officers
    assert kinds.at["above_scale", "visited"] == 1
    assert kinds.at["enterprise", "visited"] == 0
    with pytest.raises(KeyError):
        call(town, coverage.fetch_coverage_by, MARCH, "name")


def test_unvisited_targets_name_their_officers(town):
    gaps = call(town, coverage.fetch_unvisited_targets, MARCH)
    assert gaps["target_id"].tolist() == ["F2"]
    assert gaps.at[0, "officers"] == "干部C1"
    assert gaps.at[0, "kind"] == "enterprise"


def test_a_target_visited_by_one_of_two_officers_is_not_a_gap(town):
    gaps = call(town, coverage.fetch_unvisited_targets, MARCH)
    assert "F1" not in set(gaps["target_id"])


def test_diary_mix_counts_complete_records(town):
    mix = call(town, coverage.fetch_diary_mix, MARCH).set_index("diary_type")
    assert mix.at["grassroots", "visits"] == 2
    assert mix.at["grassroots", "complete"] == 1
    assert mix.at["enterprise", "complete_rate"] == 1.0


def test_weekly_visits_fill_every_officer_and_week(town):
    weekly = call(town, coverage.fetch_weekly_visits, MARCH, ["L1", "C1"])
    assert len(weekly) == 2 * 6  # March 2026 touches 6 weeks (from Mon 02-23)
    assert weekly.loc[weekly["officer_id"] == "L1", "visits"].sum() == 2


def test_one_officers_targets_and_visits(town):
    mine = call(town, coverage.fetch_officer_targets, MARCH, "C1").set_index("target_id")
    assert mine.at["V1", "visits"] == 1 and mine.at["F2", "visits"] == 0
    trips = call(town, coverage.fetch_officer_visits, MARCH, "L1").set_index("visit_id")
    assert trips.at["a", "tickets"] == 2
    assert bool(trips.at["a", "record_complete"]) is True


def test_officer_without_assignments_is_not_listed(tiny):
    tiny.add_officer("O1")
    assert call(tiny, coverage.fetch_officer_coverage, MARCH).empty
    assert call(tiny, coverage.list_officers, MARCH).empty


def test_a_level_slice_narrows_every_coverage_figure_to_its_officers(town):
    leaders = {"level": "district_leader"}
    head = call(town, coverage.fetch_headline, MARCH, **leaders)
    assert head == {"visits": 2, "assigned": 1, "visited": 1, "coverage_rate": 1.0}
    mix = call(town, coverage.fetch_diary_mix, MARCH, **leaders).set_index("diary_type")
    assert mix["visits"].sum() == 2 and mix.at["grassroots", "visits"] == 1  # L1's visit d
    officers = call(town, coverage.fetch_officer_coverage, MARCH, **leaders)
    assert officers["officer_id"].tolist() == ["L1"]
    assert call(town, coverage.list_officers, MARCH, **leaders)["officer_id"].tolist() == ["L1"]
    # F1 was visited by L1, not by any town cadre: a gap of the town cadres' slice
    cadres = {"level": "town_cadre"}
    assert call(town, coverage.fetch_unvisited_targets, MARCH, **cadres)["target_id"].tolist() \
        == ["F1", "F2"]
    assert call(town, coverage.fetch_gaps_by_officer, MARCH, **cadres).at[0, "unvisited"] == 2
    assert call(town, coverage.fetch_gaps_by_town, MARCH, **cadres)["unvisited"].sum() == 2
    kinds = call(town, coverage.fetch_coverage_by, MARCH, "target_group", **cadres)
    assert kinds.set_index("key").at["above_scale", "assigned"] == 1  # only C1's pair


def test_a_target_group_slice_keeps_only_that_groups_targets(town):
    firms = {"target_group": "above_scale"}
    head = call(town, coverage.fetch_headline, MARCH, **firms)
    assert head == {"visits": 1, "assigned": 2, "visited": 1, "coverage_rate": 0.5}
    villages = {"target_group": "village"}
    officers = call(town, coverage.fetch_officer_coverage, MARCH, **villages)
    assert officers["officer_id"].tolist() == ["C1"]  # L1's visit to V1 is no pair of his
    assert officers.loc[0, ["assigned", "visited", "visits"]].tolist() == [1, 1, 1]
    assert call(town, coverage.fetch_unvisited_targets, MARCH, **firms).empty
    levels = call(town, coverage.fetch_coverage_by, MARCH, "level", **villages)
    assert levels["key"].tolist() == ["town_cadre"]
    weekly = call(town, coverage.fetch_weekly_visits, MARCH, ["L1"], **villages)
    assert weekly["visits"].sum() == 1  # visit d, to a village
    weekly = call(town, coverage.fetch_weekly_visits, MARCH, ["L1"], target_group="enterprise")
    assert weekly["visits"].sum() == 0


def test_an_unknown_level_or_group_is_refused(town):
    with pytest.raises(ValueError):
        call(town, coverage.fetch_headline, MARCH, level="'; drop table officers")
    with pytest.raises(ValueError):
        call(town, coverage.fetch_diary_mix, MARCH, target_group="nobody")


def test_tickets_raised_and_resolved_are_the_same_before_and_after_a_refresh(town):
    """tickets and tickets_resolved count the state at as_of, computed from the events before
    a refresh and read from ticket_states after it; a ticket resolved after as_of is open."""
    town.add_ticket("K3", visit_id="b", reported="2026-03-04 11:00",
                    events=[("resolved", "2026-04-12 10:00")])  # after MARCH's as_of

    def raised():
        got = call(town, coverage.fetch_officer_coverage, MARCH).set_index("officer_id")
        return got[["tickets", "tickets_resolved"]].to_dict("index")

    want = {"L1": {"tickets": 2, "tickets_resolved": 1}, "C1": {"tickets": 1, "tickets_resolved": 0}}
    assert raised() == want
    with town.writer.begin() as conn:
        summaries.refresh(conn)
    with town.connect() as conn:
        assert summaries.is_refreshed(conn)
    assert raised() == want


def test_tickets_resolved_count_stored_and_recomputed_states_as_the_events_give_them(
        town, monkeypatch):
    """Once refreshed, tickets_resolved counts the stored states and the recomputed ones
    apart: a ticket touched after as_of, one with events the refresh has not seen, and one
    raised after the refresh each count as their events before as_of say, as without the
    summaries at all."""
    town.add_ticket("K3", visit_id="b", reported="2026-03-04 11:00",
                    events=[("resolved", "2026-04-12 10:00")])  # after as_of: open then
    town.add_ticket("K4", visit_id="b", reported="2026-03-05 09:00",
                    events=[("resolved", "2026-03-06 10:00"),
                            ("reopened", "2026-04-11 10:00")])  # resolved at as_of
    town.add_ticket("K5", visit_id="a", reported="2026-04-15 09:00")  # raised, reported later

    def raised():
        got = call(town, coverage.fetch_officer_coverage, MARCH).set_index("officer_id")
        fast = got[["tickets", "tickets_resolved"]].to_dict("index")
        with monkeypatch.context() as m:
            m.setattr(ts, "USE_SUMMARIES", False)  # every state from the events
            got = call(town, coverage.fetch_officer_coverage, MARCH).set_index("officer_id")
        assert got[["tickets", "tickets_resolved"]].to_dict("index") == fast
        return fast

    def refresh():
        with town.writer.begin() as conn:
            summaries.refresh(conn)

    want = {"L1": {"tickets": 3, "tickets_resolved": 1},  # K1 of K1, K2, K5
            "C1": {"tickets": 2, "tickets_resolved": 1}}  # K4 of K3, K4
    assert raised() == want  # never refreshed
    refresh()
    assert raised() == want  # K3 and K4 recomputed: their stored states are after as_of
    with town.writer.begin() as conn:  # unseen by the refresh: K1 reopened, K6 resolved
        conn.execute(insert(ticket_events), [dict(
            ticket_id="K1", stage="reopened", at=datetime(2026, 3, 20, 10), actor="测试")])
    town.add_ticket("K6", visit_id="a", events=[("resolved", "2026-03-10 10:00")])
    want["L1"] = {"tickets": 4, "tickets_resolved": 1}  # K6, not K1 any more
    assert raised() == want
    refresh()
    assert raised() == want


def test_the_maps_towns_and_grid_cells_ask_whether_each_pair_was_visited_once(conn, monkeypatch):
    """grouped_each with coverage by town and by grid cell (the map's two layers): one query
    of the pairs, grouped by both, gives each grouping the frame grouped gives it alone."""
    from data_access import figures

    codes = {"town_code": ["coverage_rate", "assigned", "visited", "collected"],
             "grid_cell_code": ["coverage_rate", "visited", "assigned"]}
    f = Filters.for_period("this_month", datetime(2026, 11, 25, 18))
    alone = {by: figures.grouped(conn, f, by, c) for by, c in codes.items()}
    reads = []
    real = figures.family_query
    monkeypatch.setattr(figures, "family_query", lambda c, f, family, *a, **k: (
        reads.append(family), real(c, f, family, *a, **k))[1])
    together = figures.grouped_each(conn, f, codes)
    assert reads.count("pairs") == 1
    for by in codes:
        pd.testing.assert_frame_equal(together[by], alone[by], obj=by)
    assert 0 < together["grid_cell_code"]["visited"].sum() \
        == together["town_code"]["visited"].sum() < together["town_code"]["assigned"].sum()
