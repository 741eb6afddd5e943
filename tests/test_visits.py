"""Visit coverage on hand-built data with known answers."""

from datetime import date, datetime

import pytest

from data_access import coverage, figures
from data_access.filters import Filters

MARCH = Filters.between(date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 4, 10))


def headline(db, f=MARCH):
    with db.connect() as conn:
        return figures.headline(conn, f, ["visits", "assigned", "visited", "coverage_rate"])


def test_coverage_counts_assigned_pairs_visited_in_the_period(tiny):
    tiny.add_officer("O1").add_officer("O2").add_officer("idle")  # idle has no assignments
    for t in ("T1", "T2", "T3"):
        tiny.add_target(t)
    tiny.assign("O1", "T1").assign("O1", "T2").assign("O2", "T2").assign("O2", "T3")
    tiny.add_visit("V1", "O1", "T1", "2026-03-03 10:00")
    tiny.add_visit("V2", "O1", "T1", "2026-03-20 10:00")  # second visit, same pair
    tiny.add_visit("V3", "O2", "T2", "2026-03-04 10:00")  # T2 is assigned to two officers
    tiny.add_visit("V4", "O2", "T3", "2026-02-04 10:00")  # outside the period
    tiny.add_visit("V5", "O1", "T3", "2026-03-05 10:00")  # O1 is not assigned to T3
    got = headline(tiny)
    assert got["visits"] == 4
    assert got["assigned"] == 4
    assert got["visited"] == 2  # (O1,T1) and (O2,T2)
    assert got["coverage_rate"] == pytest.approx(0.5)


def test_no_assignments_means_coverage_undefined(tiny):
    tiny.add_officer("O1").add_target("T1").add_visit("V1", "O1", "T1", "2026-03-03 10:00")
    got = headline(tiny)
    assert got["visits"] == 1 and got["assigned"] == 0
    assert got["coverage_rate"] != got["coverage_rate"]


def test_town_filter_uses_the_targets_town(tiny):
    tiny.add_officer("O1").add_target("T1", town="章水镇").add_target("T2", town="鼓楼街道")
    tiny.assign("O1", "T1").assign("O1", "T2")
    tiny.add_visit("V1", "O1", "T2", "2026-03-03 10:00")
    got = headline(tiny, MARCH.with_town("330203005000"))
    assert (got["visits"], got["assigned"], got["visited"]) == (1, 1, 1)


def test_uncovered_targets_are_those_without_any_officer(tiny):
    tiny.add_officer("O1")
    tiny.add_target("F1", above_scale=True).add_target("F2", above_scale=True)
    tiny.add_target("F3").add_target("V1", kind="village")
    tiny.assign("O1", "F1")
    with tiny.connect() as conn:
        assert coverage.count_uncovered_targets(conn, kinds=("enterprise",),
                                              above_scale_only=True) == 1
        assert coverage.count_uncovered_targets(conn, kinds=("village", "community")) == 1
