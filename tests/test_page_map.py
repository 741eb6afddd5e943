"""The 地图 page: layers and their rows, a town click, a cell click, the breadcrumb."""

import json

import pytest
from streamlit.typing import PydeckState

from data_access import db
from tests.test_pages import run

PAGE = "pages/1_map.py"
ZHANGSHUI_CELL = "330203106-008"


pytestmark = pytest.mark.usefixtures("app_db")


def deck(at) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def rows(layer: dict) -> int:
    data = layer["data"]
    return len(data["features"]) if isinstance(data, dict) else len(data)


def click(at, layer_id: str, properties: dict):
    at.session_state["map"] = PydeckState({"selection": {
        "indices": {layer_id: [0]}, "objects": {layer_id: [{"properties": properties}]}}})
    return at.run()


def test_default_layers_draw_every_cell_clinic_point_and_compound():
    at = run(PAGE)
    assert not at.exception
    layers = {layer["id"]: layer for layer in deck(at)["layers"]}
    assert rows(layers["cells"]) == 1409
    assert rows(layers["clinics"]) == 18
    assert rows(layers["compounds"]) == 98
    assert rows(layers["town-borders"]) == 17
    assert deck(at).get("mapProvider") is None  # no basemap request on an intranet


def test_every_cell_has_a_preformatted_tooltip_and_a_colour():
    at = run(PAGE, metric="满意率")
    cells = next(la for la in deck(at)["layers"] if la["id"] == "cells")["data"]["features"]
    props = cells[0]["properties"]
    assert set(props) == {"code", "name", "label", "tip", "fill"}
    assert props["label"].startswith("满意率：")
    assert all(len(c["properties"]["fill"]) == 3 for c in cells)


def test_layers_can_be_switched_off_and_on_through_the_url():
    at = run(PAGE, layers=["镇(乡)街道界", "未走访对象"], period="近30天")
    ids = [layer["id"] for layer in deck(at)["layers"]]
    assert "cells" not in ids and "clinics" not in ids
    assert "towns" in ids and "gaps" in ids


def test_clicking_a_town_filters_the_whole_cockpit_and_zooms_in():
    at = run(PAGE, layers=["镇(乡)街道界"])
    district_zoom = deck(at)["initialViewState"]["zoom"]
    at = click(at, "towns", {"code": "330203106000", "name": "章水镇"})
    assert not at.exception
    assert at.selectbox(key="town").value == "章水镇"
    assert deck(at)["initialViewState"]["zoom"] > district_zoom
    assert any(b.label == "› 章水镇" for b in at.button)


def test_clicking_a_cell_opens_its_panel_and_drills_into_its_town():
    at = run(PAGE)
    at = click(at, "cells", {"code": ZHANGSHUI_CELL, "name": "章水镇第008网格"})
    assert not at.exception
    assert at.selectbox(key="town").value == "章水镇"
    assert at.query_params["cell"] == [ZHANGSHUI_CELL] or at.query_params["cell"] == ZHANGSHUI_CELL
    assert any(s.value == "章水镇第008网格" for s in at.subheader)
    cells = next(la for la in deck(at)["layers"] if la["id"] == "cells")
    assert 0 < rows(cells) < 1409  # only the town's cells now
    panel = " ".join(m.value for m in at.markdown)
    assert "在办问题" in panel and "近期走访" in panel and "网格内站点" in panel


def test_a_shared_link_opens_the_same_town_cell_and_layers():
    at = run(PAGE, town="章水镇", cell=ZHANGSHUI_CELL, layers=["网格", "高山巡回医疗点"])
    assert any(s.value == "章水镇第008网格" for s in at.subheader)
    ids = [layer["id"] for layer in deck(at)["layers"]]
    assert "clinics" in ids and "compounds" not in ids


def test_breadcrumb_leads_back_to_the_district():
    at = run(PAGE, town="章水镇", cell=ZHANGSHUI_CELL)
    next(b for b in at.button if b.label == "海曙区").click()
    at.run()
    assert at.selectbox(key="town").value == "海曙区（全区）"
    assert "cell" not in at.query_params


def test_a_cell_of_another_town_in_the_link_is_ignored():
    at = run(PAGE, town="鼓楼街道", cell=ZHANGSHUI_CELL)
    assert not at.exception
    assert not any(s.value == "章水镇第008网格" for s in at.subheader)


def test_geometry_that_cannot_be_drawn_is_left_off_and_counted(sample_file, tmp_path,
                                                               monkeypatch):
    import shutil
    import sqlite3

    broken = tmp_path / "broken.db"
    shutil.copy(db.sqlite_path(sample_file), broken)
    with sqlite3.connect(broken) as conn:
        codes = [r[0] for r in conn.execute("select code from grid_cells limit 3")]
        conn.execute("update grid_cells set boundary = null where code = ?", (codes[0],))
        conn.execute("update grid_cells set boundary = '{not json' where code = ?", (codes[1],))
        conn.execute("update grid_cells set boundary = ? where code = ?", (
            '{"type":"Polygon","coordinates":[[[120,30],[120.1,30],[120.1,30.1],[120,30]]]}',
            codes[2]))
        conn.execute("update compounds set lat = 31.5 where code = 'X001'")
    monkeypatch.setenv(db.ENV_VAR, db.sample_url(broken))
    at = run(PAGE)
    assert not at.exception
    layers = {layer["id"]: layer for layer in deck(at)["layers"]}
    assert rows(layers["cells"]) == 1406
    assert rows(layers["compounds"]) == 97
    notes = " ".join(c.value for c in at.caption)
    assert "3 个网格边界无法绘制" in notes
    assert "1 个点位缺少坐标或超出区界" in notes


def test_a_town_without_the_cell_layer_still_lists_its_cells_beside_the_map():
    at = run(PAGE, town="章水镇", layers=["镇(乡)街道界"])
    table = at.dataframe[-1].value
    assert len(table) > 0 and table["name"].str.startswith("章水镇").all()


def test_every_pickable_row_carries_the_tooltips_fields():
    at = run(PAGE, layers=["网格", "高山巡回医疗点", "老小区", "未走访对象"], period="近30天")
    for layer in deck(at)["layers"]:
        if not layer.get("pickable"):
            continue
        data = layer["data"]
        records = [f["properties"] for f in data["features"]] if isinstance(data, dict) else data
        assert all({"name", "label", "tip"} <= set(r) for r in records), layer["id"]


def test_site_names_are_escaped_for_the_html_tooltip():
    import pandas as pd

    from components import layers

    rows = layers.site_rows(pd.DataFrame({"name": ["<img src=x onerror=alert(1)>"]}),
                            [["<b>bold</b>"]])
    assert rows.at[0, "name"].startswith("&lt;img") and rows.at[0, "tip"] == "&lt;b&gt;bold&lt;/b&gt;"
