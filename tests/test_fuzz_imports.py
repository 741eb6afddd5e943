"""Arbitrary values at the importer's parsers and at the frame's URL parameters: the only
outcome is the importer's own report (or a page with a message), never another exception,
never an SQL error."""

import json
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime, Float, Integer

from data_access import importer, schema
from tests.builders import TestDatabase
from tests.conftest import BACKENDS, fresh_database_url

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

# text that looks like what the parsers expect, with edits: digits, signs, separators, noise
near_values = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Lo", "Nd"]), max_size=8),
    st.text(alphabet=string.digits + "+-.eE_:/ T", max_size=30),
    st.from_regex(r"20\d\d[-/]\d{1,2}[-/]\d{1,2}([ T]\d\d:\d\d(:\d\d)?)?.{0,5}", fullmatch=True),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", " ", "是", "否", "nan", "inf", "1e400", "3000000000", "-1", "\u200b1",
                     "1\x00", "\u202e", "2026-02-30", "2026-03-01garbage", "9999-12-31 23:59"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=5),
    max_leaves=40)
positions = st.lists(st.floats(121.1, 121.6) | st.floats() | st.integers(), min_size=0, max_size=4)
geometries = st.one_of(
    json_values,
    st.fixed_dictionaries({
        "type": st.sampled_from(["Polygon", "MultiPolygon", "Point", ""]),
        "coordinates": st.lists(st.lists(st.lists(positions, max_size=6), max_size=3),
                                max_size=3)}),
)

TYPED_COLUMNS = [schema.towns.c.population, schema.towns.c.lat, schema.towns.c.mountain,
                 schema.towns.c.name, schema.ticket_events.c.at,
                 schema.clinic_services.c.served_on, schema.tickets.c.satisfaction]


@FUZZ
@given(text=near_values, column=st.sampled_from(TYPED_COLUMNS))
def test_a_cell_is_converted_or_reported_never_raises(text, column):
    report = importer.Report(file="f.csv", table=column.table.name)
    value = importer._convert(text, column, report, 2)
    if report.problems:
        assert value is None or isinstance(column.type, type(schema.towns.c.name.type))
        assert all(p.row == 2 and p.column == column.name for p in report.problems)
    elif value is not None:
        if isinstance(column.type, Integer):
            assert isinstance(value, int) and 0 <= value < 2**31
        if isinstance(column.type, Float):
            assert isinstance(value, float) and value == value  # finite, not NaN
        if isinstance(column.type, DateTime):
            assert value.tzinfo is None


@FUZZ
@given(geometry=geometries)
def test_a_geometry_is_accepted_whole_or_refused_with_a_reason(geometry):
    text, reason = importer.check_geometry(geometry)
    assert (text is None) != (reason is None)
    if text is not None:
        stored = json.loads(text)
        assert stored["type"] in ("Polygon", "MultiPolygon")
        assert importer.check_geometry(stored) == (text, None)  # stable: a second look agrees


@FUZZ
@given(raw=st.binary(max_size=300) | st.text(max_size=100).map(lambda t: t.encode("utf-8")))
def test_any_bytes_are_decoded_or_refused(raw):
    report = importer.Report(file="f.csv", table="towns")
    text = importer.decode(raw, report)
    assert (text is None) == bool(report.problems)


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_db(request, tmp_path_factory):
    url, drop = fresh_database_url(request.param, tmp_path_factory.mktemp("fuzz"))
    database = TestDatabase(url)
    database.add_ticket("A", reported="2026-03-02 09:00")
    yield database
    database.close()
    drop()


GOOD_ROWS = {  # one valid row per table: the fuzz replaces one cell, so the write is reached
    "towns": ("code,name,kind,lat,lon,mountain,population",
              "330203106000,章水镇,town,29.8,121.24,是,28001"),
    "hotline_daily": ("day,town_code,service_type,services", "2026-03-01,330203106000,help,3"),
    "ticket_events": ("ticket_id,stage,at,actor", "A,dispatched,2026-03-02 10:00,区住建局"),
}


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(sorted(GOOD_ROWS)), value=near_values, column=st.integers(0, 6))
@example(table="towns", value="章\x00水", column=1)  # PostgreSQL refuses NUL in text
@example(table="hotline_daily", value="3000000000", column=3)  # beyond PostgreSQL's integer
def test_an_import_with_any_value_in_any_cell_ends_in_a_report(fuzz_db, tmp_path_factory, table,
                                                               value, column):
    import pandas as pd

    header, good = GOOD_ROWS[table]
    columns, row = header.split(","), good.split(",")
    row[column % len(columns)] = value
    path = tmp_path_factory.mktemp("f") / f"{table}.csv"
    pd.DataFrame([row], columns=columns).to_csv(path, index=False)
    try:
        report = importer.import_table(fuzz_db.writer, table, path)
    except importer.ImportRejected as rejected:
        assert rejected.report.problems
        assert not any("数据库拒绝写入" in p.reason for p in rejected.report.problems), \
            "a value reached the database that the checks should have caught"
    else:
        assert report.ok


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=json_values | st.fixed_dictionaries({
    "type": st.just("FeatureCollection"),
    "features": st.lists(json_values | st.fixed_dictionaries({
        "type": st.just("Feature"),
        "properties": st.fixed_dictionaries({"code": st.sampled_from(
            ["330203106-001", "330203106-001\u200b", 1, None, ""]) | json_values}),
        "geometry": geometries}), max_size=4)}))
def test_a_geojson_of_anything_ends_in_a_report(fuzz_db, tmp_path_factory, document):
    path = tmp_path_factory.mktemp("g") / "cells.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    try:
        importer.import_geojson(fuzz_db.writer, "grid_cells", path)
    except importer.ImportRejected as rejected:
        assert rejected.report.problems


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(period=near_values | st.sampled_from(["本周", "活动以来", "本月"]),
       town=near_values | st.sampled_from(["章水镇", "<b>x</b>", "[a](javascript:x)"]))
def test_any_period_and_town_in_the_url_give_a_page_not_an_exception(app_db, period, town):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=60)
    at.query_params["period"] = period
    at.query_params["town"] = town
    at.run()
    assert not at.exception, [e.value for e in at.exception]
