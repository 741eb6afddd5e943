"""The sample database tells the seed's story: each figure read back through data_access."""

from datetime import date

import pandas as pd
import pytest

from data_access import coverage, figures, overview, places
from data_access.filters import Filters
from sample_data.generate import SEED_FIGURES
from tests.conftest import SAMPLE_NOW


@pytest.fixture
def campaign(conn):
    return Filters.between(places.get_campaign_start(conn), SAMPLE_NOW.date(), SAMPLE_NOW)


def test_seed_ticket_headline_1337_collected_1169_resolved_87_4_pct(conn, campaign):
    got = overview.fetch_kpis(conn, campaign)
    assert got["collected"] == 1337
    assert got["resolved"] == 1169
    assert round(got["resolution_rate"] * 100, 1) == 87.4


def test_headlines_of_several_periods_in_one_call_equal_each_asked_alone(conn, campaign):
    # 总览 asks for its period, this week and last week at once (fetch_kpis_each): the first
    # two are judged alike and share the rollup's correction; the figures must not change
    this_week = Filters.for_period("this_week", SAMPLE_NOW)
    periods = (campaign, this_week, this_week.shifted_weeks(-1))
    together = overview.fetch_kpis_each(conn, periods)
    pd.testing.assert_frame_equal(pd.DataFrame(together),
                                  pd.DataFrame([overview.fetch_kpis(conn, p) for p in periods]))
    assert together[0]["collected"] == 1337


def test_seed_has_1409_grid_cells_in_17_towns(conn):
    assert places.count_grid_cells(conn) == 1409
    assert len(places.list_towns(conn)) == 17


def test_seed_18_clinic_points_served_7500_plus(conn, campaign):
    assert figures.headline(conn, campaign, ["clinic_points"])["clinic_points"] == 18
    assert 7500 <= figures.headline(conn, campaign, ["clinic_visits"])["clinic_visits"] < 8000


def test_seed_98_old_compounds_22_upgraded(conn, campaign):
    got = figures.headline(conn, campaign, ["old_compounds", "upgraded_compounds"])
    assert (got["old_compounds"], got["upgraded_compounds"]) == (98, 22)


def test_seed_81890_served_over_400000_this_year(conn, campaign):
    assert figures.headline(conn, campaign, ["hotline_services"])["hotline_services"] > 400_000


def test_every_above_scale_firm_and_village_community_has_an_officer(conn):
    assert coverage.count_targets(conn, kinds=("enterprise",), above_scale_only=True) > 0
    assert coverage.count_uncovered_targets(conn, kinds=("enterprise",), above_scale_only=True) == 0
    assert coverage.count_uncovered_targets(conn, kinds=("village", "community")) == 0
    assert coverage.count_targets(conn, kinds=("village", "community")) == 103 + 168


def test_this_week_and_last_week_both_have_data(conn):
    this_week = Filters.for_period("this_week", SAMPLE_NOW)
    last_week = Filters.for_period("last_week", SAMPLE_NOW)
    for f in (this_week, last_week):
        got = overview.fetch_kpis(conn, f)
        assert got["collected"] > 0 and got["visits"] > 0 and got["hotline_services"] > 0


def test_town_comparison_adds_up_to_the_district(conn, campaign):
    towns = overview.fetch_town_comparison(conn, campaign)
    district = overview.fetch_kpis(conn, campaign)
    assert len(towns) == 17
    assert towns["collected"].sum() == district["collected"]
    assert towns["resolved"].sum() == district["resolved"]
    assert towns["clinic_visits"].sum() == district["clinic_visits"]
    assert towns["population"].sum() == 1_041_285


def test_clinic_work_lies_in_the_mountain_towns(conn, campaign):
    towns = overview.fetch_town_comparison(conn, campaign).set_index("town")
    served = towns[towns["clinic_visits"] > 0].index
    assert set(served) <= {"章水镇", "龙观乡", "鄞江镇", "横街镇"}
    assert towns["clinic_visits"].idxmax() == "章水镇"


def test_seed_figures_constant_matches_what_the_queries_return(conn):
    # guards against the generator and the tests drifting apart
    assert SEED_FIGURES["tickets_collected"] == 1337
    assert places.get_campaign_start(conn) == date(SAMPLE_NOW.year, 1, 1)


def test_a_sample_built_just_after_midnight_shows_the_seed_figures_at_once(tmp_path,
                                                                           monkeypatch):
    """The cockpit judges as of now floored to its cache's minutes; a sample built at 00:07
    ends early enough that the first view, as of 00:05, already counts every ticket."""
    from datetime import datetime

    from components import frame
    from data_access import db
    from sample_data import generate

    built = datetime(2026, 11, 28, 0, 7, 30)
    monkeypatch.setattr(generate, "local_now", lambda: built)
    path = generate.build_sqlite(tmp_path / "midnight.db")
    monkeypatch.setattr(frame.fmt, "now_local", lambda: built)
    engine = db.read_only_engine(db.sample_url(path))
    with engine.connect() as conn:
        start = places.get_campaign_start(conn)
        got = overview.fetch_kpis(conn, Filters.for_period("campaign", frame.data_moment(), start))
    engine.dispose()
    assert frame.data_moment() < built
    assert (got["collected"], got["resolved"]) == (1337, 1169)
