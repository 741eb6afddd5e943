"""Files that once gave a traceback or a silent wrong result: each gets a
`file · row · column: reason` report and leaves the database as it was (both backends)."""

import json

import pytest
from sqlalchemy import select

from data_access import importer, schema
from tests.builders import SQUARE
from tests.test_importer import GOOD_TOWN, TOWN_HEADER, rejected, snapshot, write

CELL = "330203106-001"
EVENT_HEADER = "ticket_id,stage,at,actor"


def geojson_rejected(db, table, path) -> list[importer.Problem]:
    before = snapshot(db)
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_geojson(db.writer, table, path)
    assert snapshot(db) == before, "a rejected file must leave the database as it was"
    return caught.value.report.problems


def collection(*geometries, codes=None) -> str:
    codes = codes or [CELL] * len(geometries)
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": c}, "geometry": g}
        for c, g in zip(codes, geometries)]})


def where(problems) -> list[tuple]:
    return [(p.file, p.row, p.column) for p in problems]


def test_an_old_xls_file_is_refused_with_what_to_do(tiny, tmp_path):
    path = tmp_path / "towns.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)  # the OLE2 signature
    problems = rejected(tiny, "towns", path)
    assert where(problems) == [("towns.xls", None, None)]
    assert "不支持旧版 Excel 文件（.xls）" in problems[0].reason and ".xlsx" in problems[0].reason


def test_a_damaged_xlsx_file_is_refused(tiny, tmp_path):
    path = write(tmp_path, "towns.xlsx", "not a zip at all")
    assert "无法读取文件" in rejected(tiny, "towns", path)[0].reason


def test_a_number_beyond_postgresql_integer_is_refused(tiny, tmp_path):
    path = write(tmp_path, "towns.csv", f"{TOWN_HEADER}\n330203106000,章水镇,town,29.8,121.24,是,"
                 "3000000000\n")
    problems = rejected(tiny, "towns", path)
    assert where(problems) == [("towns.csv", 2, "population")]
    assert "“3000000000”超出整数列的范围" in problems[0].reason


def test_a_name_taken_by_another_town_is_refused(tiny, tmp_path):
    path = write(tmp_path, "towns.csv", f"{TOWN_HEADER}\n"
                 "330203999000,章水镇,town,29.8,121.24,否,10\n"  # the name of 330203106000
                 "330203998000,新镇,town,29.8,121.24,否,10\n"
                 "330203997000,新镇,town,29.8,121.24,否,10\n")  # twice in the file
    problems = rejected(tiny, "towns", path)
    assert where(problems) == [("towns.csv", 2, "name"), ("towns.csv", 4, "name")]
    assert problems[0].reason == "“章水镇”已被 330203106000 使用（须唯一）"
    assert problems[1].reason == "“新镇”已被 330203998000 使用（须唯一）"


def test_renaming_a_town_to_a_free_name_is_fine(tiny, tmp_path):
    path = write(tmp_path, "towns.csv", f"{TOWN_HEADER}\n330203106000,章水,town,29.8,121.24,是,1\n")
    assert importer.import_table(tiny.writer, "towns", path).updated == 1


def test_an_id_column_in_an_event_file_is_refused(tiny, tmp_path):
    tiny.add_ticket("A", reported="2026-03-02 09:00")
    path = write(tmp_path, "events.csv", f"id,{EVENT_HEADER}\n1,A,dispatched,2026-03-02 10:00,x\n")
    problems = rejected(tiny, "ticket_events", path)
    assert where(problems) == [("events.csv", 1, "id")]
    assert "此列由数据库生成" in problems[0].reason


def test_geojson_features_that_are_not_objects_are_named(tiny, tmp_path):
    text = json.dumps({"type": "FeatureCollection", "features": [
        1, "feature", [CELL], None,
        {"type": "Feature", "properties": ["code"], "geometry": json.loads(SQUARE)}]})
    problems = geojson_rejected(tiny, "grid_cells", write(tmp_path, "c.geojson", text))
    assert where(problems)[:4] == [("c.geojson", n, None) for n in (1, 2, 3, 4)]
    assert all("要素不是 JSON 对象" in p.reason for p in problems[:4])
    assert ("c.geojson", 5, "properties") in where(problems)


def test_a_big5_file_is_refused_not_read_as_gbk(tiny, tmp_path):
    text = (f"{TOWN_HEADER}\n330203106000,章水鎮,town,29.8,121.24,是,28001\n"
            "330203005000,鼓樓街道,subdistrict,29.87,121.55,否,70000\n")
    problems = rejected(tiny, "towns", write(tmp_path, "towns_big5.csv", text, encoding="big5"))
    assert where(problems) == [("towns_big5.csv", None, None)]
    assert "文件编码不是 UTF-8 或 GBK/GB18030" in problems[0].reason


def test_a_gbk_file_with_many_rows_is_still_read(tiny, tmp_path):
    text = f"{TOWN_HEADER}\n{GOOD_TOWN}\n330203005000,鼓楼街道,subdistrict,29.87,121.55,否,70000\n"
    report = importer.import_table(tiny.writer, "towns", write(tmp_path, "g.csv", text, "gbk"))
    assert report.encoding == "gb18030" and report.updated == 2


@pytest.mark.parametrize("table,header,row,column,expected", [
    ("hotline_daily", "day,town_code,service_type,services",
     "2026-03-01garbage,330203106000,help,3", "day", "“2026-03-01garbage”不是日期"),
    ("ticket_events", EVENT_HEADER, "A,dispatched,2026-03-02 10:00garbage,x", "at",
     "“2026-03-02 10:00garbage”不是日期时间"),
])
def test_trailing_garbage_after_a_date_is_refused(tiny, tmp_path, table, header, row, column,
                                                   expected):
    tiny.add_ticket("A", reported="2026-03-02 09:00")
    problems = rejected(tiny, table, write(tmp_path, "f.csv", f"{header}\n{row}\n"))
    assert where(problems) == [("f.csv", 2, column)]
    assert problems[0].reason.startswith(expected)


def test_zero_width_and_bidi_characters_in_keys_and_names_are_refused(tiny, tmp_path):
    path = write(tmp_path, "towns.csv", f"{TOWN_HEADER}\n"
                 "330203106000\u200b,章水镇,town,29.8,121.24,是,1\n"
                 "330203005000,鼓楼\u202e街道,subdistrict,29.87,121.55,否,1\n")
    problems = rejected(tiny, "towns", path)
    assert where(problems) == [("towns.csv", 2, "code"), ("towns.csv", 3, "name")]
    assert "U+200B" in problems[0].reason and "U+202E" in problems[1].reason
    assert all("不可见或控制字符" in p.reason for p in problems)
    hidden = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": CELL + "\u2066"},
         "geometry": json.loads(SQUARE)}]}
    problems = geojson_rejected(tiny, "grid_cells", write(tmp_path, "z.geojson", json.dumps(hidden)))
    assert where(problems) == [("z.geojson", 1, "properties.code")]
    assert "U+2066" in problems[0].reason


BOW_TIE = {"type": "Polygon", "coordinates": [[[121.2, 29.8], [121.21, 29.81], [121.21, 29.8],
                                               [121.2, 29.81], [121.2, 29.8]]]}
UNCLOSED = {"type": "Polygon", "coordinates": [[[121.2, 29.8], [121.21, 29.8], [121.21, 29.81],
                                                [121.2, 29.81]]]}


@pytest.mark.parametrize("geometry,expected", [
    (BOW_TIE, "面不合法（Self-intersection"),
    (UNCLOSED, "环未闭合（首尾坐标不同）"),
    ({"type": "Polygon", "coordinates": []}, "几何为空（没有坐标）"),
    ({"type": "MultiPolygon", "coordinates": [[]]}, "几何中有空的面"),
    ({"type": "Polygon", "coordinates": [[]]}, "环的坐标点少于 4 个"),
])
def test_broken_and_empty_polygons_are_refused(tiny, tmp_path, geometry, expected):
    problems = geojson_rejected(tiny, "grid_cells",
                                write(tmp_path, "c.geojson", collection(geometry)))
    assert where(problems) == [("c.geojson", 1, "geometry")]
    assert problems[0].reason.startswith(expected)
    header = "code,name,town_code,population,households,lat,lon,boundary"
    row = [CELL, "第1网格", "330203106000", "500", "166", "29.805", "121.205", json.dumps(geometry)]
    path = tmp_path / "cells.csv"
    import pandas as pd

    pd.DataFrame([row], columns=header.split(",")).to_csv(path, index=False)
    problems = rejected(tiny, "grid_cells", path)
    assert where(problems) == [("cells.csv", 2, "boundary")]
    assert problems[0].reason == "边界" + expected or problems[0].reason.startswith("边界" + expected)


def test_a_code_repeated_within_one_geojson_is_refused(tiny, tmp_path):
    square = json.loads(SQUARE)
    problems = geojson_rejected(tiny, "grid_cells",
                                write(tmp_path, "c.geojson", collection(square, square)))
    assert where(problems) == [("c.geojson", 2, "properties.code")]
    assert problems[0].reason == f"“{CELL}”与第 1 个要素重复"


def test_negative_counts_are_refused(tiny, tmp_path):
    path = write(tmp_path, "hotline.csv", "day,town_code,service_type,services\n"
                 "2026-03-01,330203106000,help,-3\n")
    problems = rejected(tiny, "hotline_daily", path)
    assert where(problems) == [("hotline.csv", 2, "services")]
    assert "“-3”是负数" in problems[0].reason


def test_evaluated_before_resolved_is_refused_in_the_file_and_against_stored_events(tiny, tmp_path):
    tiny.add_ticket("A", reported="2026-03-02 09:00")
    tiny.add_ticket("B", reported="2026-03-02 09:00", events=[("resolved", "2026-03-06 09:00")])
    path = write(tmp_path, "events.csv", f"{EVENT_HEADER}\n"
                 "A,evaluated,2026-03-05 09:00,x\nA,resolved,2026-03-06 09:00,x\n"
                 "B,evaluated,2026-03-05 09:00,x\n")
    problems = rejected(tiny, "ticket_events", path)
    assert where(problems) == [("events.csv", 2, "stage"), ("events.csv", 4, "stage")]
    assert problems[0].reason == ("问题 A 的环节顺序错误：评价（2026-03-05 09:00:00）"
                                  "早于办结（2026-03-06 09:00:00）")
    assert problems[1].reason.startswith("问题 B 的环节顺序错误：评价")


def test_the_stages_in_order_are_accepted(tiny, tmp_path):
    tiny.add_ticket("A", reported="2026-03-02 09:00")
    path = write(tmp_path, "events.csv", f"{EVENT_HEADER}\n"
                 "A,resolved,2026-03-04 09:00,x\nA,evaluated,2026-03-05 09:00,x\n")
    assert importer.import_table(tiny.writer, "ticket_events", path).inserted == 2


def test_3d_coordinates_lose_their_height_and_are_imported(tiny, tmp_path):
    ring = [[121.2, 29.8, 12.5], [121.21, 29.8, 12.5], [121.21, 29.81, 13], [121.2, 29.8, 12.5]]
    path = write(tmp_path, "c.geojson", collection({"type": "Polygon", "coordinates": [ring]}))
    assert importer.import_geojson(tiny.writer, "grid_cells", path).updated == 1
    with tiny.connect() as conn:
        stored = conn.execute(select(schema.grid_cells.c.boundary)
                              .where(schema.grid_cells.c.code == CELL)).scalar()
    assert json.loads(stored)["coordinates"] == [[p[:2] for p in ring]]
