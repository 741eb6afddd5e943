"""Thin and empty data: 本期无数据 instead of axes of zeros, 0 (100.0%), or a coloured ↑ +0;
the running week marked as unfinished rather than drawn as a collapse."""

import json
from datetime import date

import pandas as pd
import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from components import charts, kpis
from data_access import db
from tests.builders import TestDatabase
from tests.conftest import fresh_database_url


def rows(chart) -> list[dict]:
    spec = chart.to_dict()
    return [row for data in spec.get("datasets", {}).values() for row in data]


def spec_text(chart) -> str:
    return json.dumps(chart.to_dict(), ensure_ascii=False)


def weekly(counts: list[tuple[int, int]], first_monday: str = "2026-11-09") -> pd.DataFrame:
    weeks = pd.date_range(first_monday, periods=len(counts), freq="7D")
    return pd.DataFrame({"week": weeks, "collected": [c for c, _ in counts],
                         "resolved": [r for _, r in counts],
                         "resolved_in_period": [r for _, r in counts],
                         "resolution_rate": [r / c if c else float("nan") for c, r in counts]})


@pytest.mark.parametrize("build", [
    lambda: charts.weekly_flow(weekly([(0, 0), (0, 0)])),
    lambda: charts.weekly_trend(weekly([(0, 0)])),
    lambda: charts.town_resolution(pd.DataFrame({"town": ["甲"], "collected": [0],
                                                 "resolved": [0], "overdue": [0],
                                                 "resolution_rate": [float("nan")]})),
    lambda: charts.funnel(pd.DataFrame({"stage": ["reported", "dispatched"], "tickets": [0, 0],
                                        "conversion_rate": [float("nan")] * 2})),
    lambda: charts.breakdown(pd.DataFrame(columns=["key", "collected", "resolved", "overdue",
                                                   "resolution_rate"]), {}),
    lambda: charts.bars(pd.DataFrame({"k": ["a"], "v": [0]}), "k", "v", "数量"),
    lambda: charts.monthly(pd.DataFrame(columns=["month", "v", "s"]), "v", "s", "数量", {}),
], ids=["weekly_flow", "weekly_trend", "town_resolution", "funnel", "breakdown", "bars",
        "monthly"])
def test_a_chart_without_data_says_so_and_draws_no_axes(build):
    chart = build()
    assert [r.get("note") for r in rows(chart)] == [charts.NO_DATA]
    assert '"x"' not in json.dumps(chart.to_dict().get("encoding", {}))


def test_the_running_week_is_labelled_unfinished_and_faded():
    chart = charts.weekly_flow(weekly([(30, 25), (28, 20), (3, 0)]), today=date(2026, 11, 25))
    labels = {r["label"]: r["partial"] for r in rows(chart)}
    assert labels == {"11-09": False, "11-16": False, charts.PARTIAL_WEEK: True}
    assert "0.45" in spec_text(chart)  # the faded opacity of the partial week


def test_a_finished_period_has_no_unfinished_week():
    chart = charts.weekly_flow(weekly([(30, 25), (28, 20)]), today=date(2026, 12, 20))
    assert charts.PARTIAL_WEEK not in {r["label"] for r in rows(chart)}


def test_count_axes_never_tick_below_one():
    chart = charts.weekly_flow(weekly([(1, 0), (2, 1)]), today=date(2026, 12, 20))
    axis = chart.to_dict()["encoding"]["y"]["axis"]
    assert axis["tickMinStep"] == 1 and axis["format"] == ",d"


def test_a_funnel_stage_nobody_reached_shows_zero_without_a_percentage():
    chart = charts.funnel(pd.DataFrame({"stage": ["reported", "dispatched"], "tickets": [5, 0],
                                        "conversion_rate": [float("nan"), 0.0]}))
    texts = [r["text"] for r in rows(chart)]
    assert "0" in texts and not any("0 (" in t or "100.0%" in t for t in texts)


def test_no_change_reads_level_and_no_data_reads_so():
    assert kpis._delta("collected", 7, 7) == kpis.LEVEL
    assert kpis._delta("collected", 0, 0) == kpis.BOTH_EMPTY
    assert kpis._delta("collected", 8, 7) == "+1"
    assert kpis._delta("resolution_rate", 0.5, 0.5) == kpis.LEVEL
    assert kpis._shown("resolution_rate", float("nan")) == kpis.NO_DATA


def test_the_overview_on_an_empty_database_shows_no_coloured_plus_zero(tmp_path, monkeypatch):
    url, drop = fresh_database_url("sqlite", tmp_path)
    database = TestDatabase(url)
    monkeypatch.setenv(db.ENV_VAR, url)
    monkeypatch.setattr(db, "SAMPLE_DB", tmp_path / "cockpit.db")  # as the sample: no login
    try:
        at = AppTest.from_file("../app.py", default_timeout=60).run()
        assert not at.exception, [e.value for e in at.exception]
        for tile in at.metric:
            assert tile.proto.delta not in ("+0", "0")
            if tile.proto.delta in (kpis.LEVEL, kpis.BOTH_EMPTY):  # grey, no arrow
                assert MetricProto.MetricColor.Name(tile.proto.color) == "GRAY"
                assert MetricProto.MetricDirection.Name(tile.proto.direction) == "NONE"
        assert {m.label: m.value for m in at.metric}["化解率"] == kpis.NO_DATA
        charts_shown = at.get("vega_lite_chart")
        assert charts_shown and all('"type": "text"' in c.proto.spec for c in charts_shown)
    finally:
        database.close()
        drop()
