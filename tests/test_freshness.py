"""Freshness: the importer's load times, the sample's build time, the stale limit."""

from datetime import datetime, timedelta

import pandas as pd
import pytest

from data_access import freshness, importer
from tests.conftest import SAMPLE_NOW


def load_times(db):
    with db.connect() as conn:
        return freshness.fetch_load_times(conn).set_index("source")


def test_a_successful_import_records_its_table_and_time(tiny, tmp_path):
    path = tmp_path / "towns.csv"
    path.write_text("code,name,kind,lat,lon,mountain,population\n"
                    "330203106000,章水镇,town,29.8,121.24,是,28001\n", encoding="utf-8")
    before = datetime.now().replace(microsecond=0) - timedelta(days=1)
    importer.import_table(tiny.writer, "towns", path)
    got = load_times(tiny)
    assert got.at["towns", "how"] == "import"
    assert got.at["towns", "loaded_at"] > before
    assert got.at["tickets", "how"] == ""  # never imported, no sample build: unknown
    assert pd.isna(got.at["tickets", "loaded_at"])


def test_a_rejected_import_records_nothing(tiny, tmp_path):
    path = tmp_path / "towns.csv"
    path.write_text("code,name\n330203106000,章水镇\n", encoding="utf-8")
    with pytest.raises(importer.ImportRejected):
        importer.import_table(tiny.writer, "towns", path)
    assert load_times(tiny).at["towns", "how"] == ""


def test_recording_twice_keeps_the_later_time(tiny):
    with tiny.writer.begin() as conn:
        freshness.record_loaded(conn, "tickets", datetime(2026, 11, 1, 8))
        freshness.record_loaded(conn, "tickets", datetime(2026, 11, 2, 8))
    assert load_times(tiny).at["tickets", "loaded_at"] == datetime(2026, 11, 2, 8)


def test_the_sample_counts_from_its_build_time(conn):
    got = freshness.fetch_load_times(conn)
    assert set(got["how"]) == {"sample"}
    assert freshness.data_time(got, ["tickets", "visits"]) == SAMPLE_NOW


def test_data_time_is_the_oldest_of_the_sources(tiny):
    with tiny.writer.begin() as conn:
        freshness.record_loaded(conn, "tickets", datetime(2026, 11, 2, 8))
        freshness.record_loaded(conn, "ticket_events", datetime(2026, 11, 1, 8))
    got = load_times(tiny).reset_index()
    assert freshness.data_time(got, ["tickets", "ticket_events"]) == datetime(2026, 11, 1, 8)
    assert freshness.data_time(got, ["tickets", "visits"]) is None  # visits: unknown


def test_stale_limit_from_the_environment_with_a_default():
    assert freshness.stale_limit({}) == timedelta(hours=freshness.DEFAULT_STALE_HOURS)
    assert freshness.stale_limit({freshness.ENV_VAR: "2"}) == timedelta(hours=2)
    with pytest.raises(ValueError):
        freshness.stale_limit({freshness.ENV_VAR: "-1"})


def test_a_source_older_than_the_limit_is_stale():
    now, limit = datetime(2026, 11, 27, 9), timedelta(hours=26)
    assert not freshness.is_stale(now - timedelta(hours=25), now, limit)
    assert freshness.is_stale(now - timedelta(hours=27), now, limit)
    assert freshness.is_stale(None, now, limit)
