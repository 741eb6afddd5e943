"""Validated imports on both backends: good files land once, bad files change nothing."""

import hashlib
import json

import pytest
from sqlalchemy import select

from data_access import importer, schema
from data_access.admin import main as admin
from tests.builders import SQUARE

TOWN_HEADER = "code,name,kind,lat,lon,mountain,population"
GOOD_TOWN = "330203106000,章水镇,town,29.8,121.24,是,28001"


def write(tmp_path, name: str, text: str, encoding="utf-8") -> object:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot(db, *, load_times=True) -> str:
    """Every row of every table, in key order: equal snapshots mean an unchanged database.
    `load_times=False` leaves out the import times that every successful import records
    (cockpit_meta loaded_at:*), and so also the file's bytes."""
    out = []
    with db.writer.connect() as conn:
        for table in schema.ALL_TABLES:
            keys = [table.c[k] for k in schema.natural_key(table)]
            rows = [tuple(map(str, r)) for r in conn.execute(select(table).order_by(*keys))]
            if not load_times and table is schema.meta:
                rows = [r for r in rows if not r[0].startswith("loaded_at:")]
            out.append(rows)
    sqlite_file = db.url.removeprefix("sqlite:///") if db.url.startswith("sqlite") else None
    digest = hashlib.sha256(open(sqlite_file, "rb").read()).hexdigest() if sqlite_file else ""
    return json.dumps(out, ensure_ascii=False) + (digest if load_times else "")


def rejected(db, table, path) -> list[importer.Problem]:
    before = snapshot(db)
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_table(db.writer, table, path)
    assert snapshot(db) == before, "a rejected file must leave the database as it was"
    return caught.value.report.problems


def test_a_good_file_is_upserted_and_a_second_import_changes_nothing(tiny, tmp_path):
    path = write(tmp_path, "towns.csv", f"{TOWN_HEADER}\n{GOOD_TOWN}\n")
    first = importer.import_table(tiny.writer, "towns", path)
    assert (first.rows, first.inserted, first.updated) == (1, 0, 1)
    with tiny.connect() as conn:
        assert conn.execute(select(schema.towns.c.population)
                            .where(schema.towns.c.name == "章水镇")).scalar() == 28001
    before = snapshot(tiny, load_times=False)
    importer.import_table(tiny.writer, "towns", path)
    assert snapshot(tiny, load_times=False) == before  # only its import time is recorded


def test_new_rows_are_inserted_with_their_references_checked(tiny, tmp_path):
    tiny.add_officer("O1")
    path = write(tmp_path, "targets.csv",
                 "id,name,kind,above_scale,town_code,grid_cell_code,lat,lon\n"
                 "T9,甲公司,enterprise,1,330203106000,330203106-001,29.81,121.25\n")
    report = importer.import_table(tiny.writer, "targets", path)
    assert report.inserted == 1
    assign = write(tmp_path, "assignments.csv", "officer_id,target_id,role\nO1,T9,informer\n")
    assert importer.import_table(tiny.writer, "assignments", assign).inserted == 1


def test_a_missing_column_rejects_the_file(tiny, tmp_path):
    path = write(tmp_path, "towns.csv", "code,name,kind,lat,lon\n330203106000,章水镇,town,29.8,121.2\n")
    problems = rejected(tiny, "towns", path)
    assert {(p.row, p.column) for p in problems} == {(1, "mountain"), (1, "population")}
    assert all("缺少必需的列" in p.reason for p in problems)


def test_every_bad_row_is_reported_with_file_row_column_and_reason(tiny, tmp_path):
    path = write(tmp_path, "towns.csv", f"{TOWN_HEADER}\n{GOOD_TOWN}\n"
                 "330203999000,新镇,city,35,121,maybe,abc\n"
                 "330203998000,,town,29.8,121.24,否,10\n")
    problems = rejected(tiny, "towns", path)
    got = {(p.file, p.row, p.column) for p in problems}
    assert ("towns.csv", 3, "kind") in got and ("towns.csv", 3, "mountain") in got
    assert ("towns.csv", 3, "population") in got and ("towns.csv", 3, "lat/lon") in got
    assert ("towns.csv", 4, "name") in got
    assert "不是整数" in next(p.reason for p in problems if p.column == "population")


def test_an_unknown_grid_cell_is_named(tiny, tmp_path):
    path = write(tmp_path, "tickets.csv",
                 "id,title,source,category,town_code,grid_cell_code,department,reported_at,due_at\n"
                 "K1,路灯不亮,grid,livelihood,330203106000,330203106-999,区住建局,"
                 "2026-03-02 09:00,2026-03-12 09:00\n")
    problems = rejected(tiny, "tickets", path)
    assert [(p.row, p.column) for p in problems] == [(2, "grid_cell_code")]
    assert "330203106-999" in problems[0].reason and "grid_cells.code" in problems[0].reason


def test_a_duplicate_key_in_the_file_is_rejected(tiny, tmp_path):
    path = write(tmp_path, "towns.csv", f"{TOWN_HEADER}\n{GOOD_TOWN}\n{GOOD_TOWN}\n")
    problems = rejected(tiny, "towns", path)
    assert [(p.row, p.column) for p in problems] == [(3, "code")]
    assert "与第 2 行重复" in problems[0].reason


def test_events_before_the_report_break_the_stage_order(tiny, tmp_path):
    tiny.add_ticket("A", reported="2026-03-02 09:00")
    path = write(tmp_path, "events.csv", "ticket_id,stage,at,actor\n"
                 "A,accepted,2026-03-01 09:00,区住建局\nA,teleported,2026-03-03 09:00,区住建局\n")
    problems = rejected(tiny, "ticket_events", path)
    assert {(p.row, p.column) for p in problems} == {(2, "at"), (3, "stage")}


def test_a_csv_in_gbk_is_read_as_chinese(tiny, tmp_path):
    path = write(tmp_path, "towns_gbk.csv", f"{TOWN_HEADER}\n{GOOD_TOWN}\n", encoding="gbk")
    report = importer.import_table(tiny.writer, "towns", path)
    assert report.encoding == "gb18030"
    with tiny.connect() as conn:
        names = {r[0] for r in conn.execute(select(schema.towns.c.name))}
    assert "章水镇" in names


def test_an_empty_file_and_a_header_only_file_are_rejected(tiny, tmp_path):
    assert "文件为空" in rejected(tiny, "towns", write(tmp_path, "e.csv", ""))[0].reason
    only = rejected(tiny, "towns", write(tmp_path, "h.csv", TOWN_HEADER + "\n"))
    assert "没有数据行" in only[0].reason


def test_excel_files_are_imported_too(tiny, tmp_path):
    import pandas as pd

    path = tmp_path / "towns.xlsx"
    pd.DataFrame([GOOD_TOWN.split(",")], columns=TOWN_HEADER.split(",")).to_excel(path, index=False)
    assert importer.import_table(tiny.writer, "towns", path).updated == 1


def test_geojson_boundaries_are_checked_then_written(tiny, tmp_path):
    good = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "330203106-001"},
         "geometry": json.loads(SQUARE)}]}
    path = write(tmp_path, "cells.geojson", json.dumps(good))
    assert importer.import_geojson(tiny.writer, "grid_cells", path).updated == 1
    bad = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "nope"}, "geometry": json.loads(SQUARE)},
        {"type": "Feature", "properties": {"code": "330203106-001"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}
    before = snapshot(tiny)
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_geojson(tiny.writer, "grid_cells", write(tmp_path, "b.geojson", json.dumps(bad)))
    assert [(p.row, p.column) for p in caught.value.report.problems] == [
        (1, "properties.code"), (2, "geometry")]
    assert snapshot(tiny) == before


def test_malformed_geojson_is_rejected_with_the_reason(tiny, tmp_path):
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_geojson(tiny.writer, "towns", write(tmp_path, "x.geojson", '{"type": "Feat'))
    assert "不是有效的 GeoJSON" in caught.value.report.problems[0].reason


def test_the_admin_tool_prints_every_problem_and_exits_1(tiny, tmp_path, capsys):
    path = write(tmp_path, "towns.csv", f"{TOWN_HEADER}\n330203999000,新镇,city,35,121,maybe,abc\n")
    assert admin(["--url", tiny.url, "import", "towns", str(path)]) == 1
    err = capsys.readouterr().err
    assert "数据库未做任何改动" in err and "towns.csv · 第 2 行 · 列 kind" in err
    good = write(tmp_path, "ok.csv", f"{TOWN_HEADER}\n{GOOD_TOWN}\n")
    assert admin(["--url", tiny.url, "import", "towns", str(good)]) == 0
    assert "已导入 1 行" in capsys.readouterr().err
