"""The 地图 page: named places, points, the selected cell's outline; drilling district →
town → cell → ticket, each level in the URL; the breadcrumb; undrawable geometry."""

import json

import pytest
from streamlit.typing import PydeckState

from data_access import db
from tests.test_pages import run

PAGE = "pages/1_map.py"
ZHANGSHUI = "330203106000"
ZHANGSHUI_CELL = "330203106-008"


pytestmark = pytest.mark.usefixtures("app_db")


def deck(at) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def layers_of(at) -> dict:
    return {layer["id"]: layer for layer in deck(at)["layers"]}


def rows(layer: dict) -> int:
    data = layer["data"]
    return len(data["features"]) if isinstance(data, dict) else len(data)


def click(at, layer_id: str, record: dict):
    at.session_state["map"] = PydeckState({"selection": {
        "indices": {layer_id: [0]}, "objects": {layer_id: [record]}}})
    return at.run()


def query(at, key):
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def test_district_deck_names_all_17_towns_and_draws_points_as_points():
    at = run(PAGE)
    assert not at.exception
    layers = layers_of(at)
    assert rows(layers["cells"]) == 1409
    names = layers["town-names"]
    assert names["@@type"] == "TextLayer" and len(names["data"]) == 17
    from sample_data.reference import load_towns

    shown = {row["text"] for row in names["data"]}  # the crowded 街道 by their short names
    assert shown == {t["name"].removesuffix("街道") if t["name"].removesuffix("街道") in shown
                     else t["name"] for t in load_towns()}
    assert {"章水镇", "龙观乡", "鼓楼"} <= shown
    # CJK through an explicit character set, written as plain JSON (not a pydeck expression)
    assert isinstance(names["characterSet"], list) and "章" in names["characterSet"]
    assert isinstance(names["fontFamily"], str) and not names["fontFamily"].startswith("@@=")
    for layer_id, n in (("clinics", 18), ("compounds", 98)):
        points = layers[layer_id]
        assert points["@@type"] == "ScatterplotLayer" and rows(points) == n
        assert points["radiusUnits"] == "pixels" and points["stroked"] is True
        assert points["radiusMinPixels"] >= 4
    assert layers["town-borders"]["@@type"] == "PathLayer"
    assert deck(at).get("mapProvider") is None  # no basemap request on an intranet


def test_site_colours_are_not_on_any_metric_ramp():
    from components import map_colours as mc

    ramps = {tuple(c) for c in mc.BAD_RAMP + mc.GOOD_RAMP + mc.WAIT_STAGE_COLOURS}
    sites = [mc.CLINIC_COLOUR, mc.GAP_COLOUR, *mc.STAGE_COLOURS.values()]
    assert not ramps & {tuple(c) for c in sites}


def test_district_level_keeps_full_colours():
    at = run(PAGE)
    cells = layers_of(at)["cells"]["data"]
    assert all(len(c["fill"]) == 3 for c in cells)  # no alpha: nothing dimmed


def test_every_cell_has_a_preformatted_tooltip_and_a_colour():
    at = run(PAGE, metric="satisfaction_rate")
    cells = layers_of(at)["cells"]["data"]
    assert {"code", "name", "label", "fill", "polygon"} <= set(cells[0])
    assert cells[0]["label"].startswith("满意率：")


def test_worst_stage_colours_cells_by_stage_with_its_legend():
    from components import map_colours as mc
    from data_access import glossary as g

    at = run(PAGE, town="章水镇", metric="worst_stage")
    assert not at.exception
    cells = layers_of(at)["cells"]["data"]
    stage_colours = {tuple(c) for c in mc.WAIT_STAGE_COLOURS[:len(g.WAITING_STAGES)]}
    waiting = [c for c in cells if not c["label"].endswith("无在办问题")]
    assert waiting and all(tuple(c["fill"][:3]) in stage_colours for c in waiting)
    assert all(c["label"].startswith("最久等待环节：") for c in cells)
    legend = " ".join(m.value for m in at.markdown)
    assert all(label in legend for label in g.WAITING_STAGES.values())


def test_layers_and_metric_travel_as_codes_in_the_url():
    at = run(PAGE, layers=["towns", "gaps"], metric="coverage_rate", period="近30天")
    ids = set(layers_of(at))
    assert "cells" not in ids and "clinics" not in ids
    assert {"towns", "gaps", "town-borders"} <= ids
    assert at.query_params["layers"] == ["towns", "gaps"]
    assert query(at, "metric") == "coverage_rate"


def test_a_click_on_a_cell_at_district_level_chooses_its_town_not_the_cell():
    at = run(PAGE)
    district_zoom = deck(at)["initialViewState"]["zoom"]
    at = click(at, "cells", {"code": ZHANGSHUI_CELL, "name": "章水镇第008网格"})
    assert not at.exception
    assert at.selectbox(key="town").value == "章水镇"
    assert "cell" not in at.query_params
    assert deck(at)["initialViewState"]["zoom"] > district_zoom  # the view fits the town
    layers = layers_of(at)
    assert 0 < rows(layers["cells"]) < 1409 and "selected-cell" not in layers
    names = layers["cell-names"]["data"]  # the town's cells by number
    assert len(names) == rows(layers["cells"]) and names[0]["text"].isdigit()


def test_a_click_on_a_town_opens_the_town():
    at = run(PAGE, layers=["towns"])
    at = click(at, "towns", {"code": ZHANGSHUI, "name": "章水镇"})
    assert at.selectbox(key="town").value == "章水镇"
    assert any(b.label == "› 章水镇" for b in at.button)


def test_in_a_town_a_cell_click_opens_the_cell_outlined_and_dims_only_the_rest():
    at = run(PAGE, town="章水镇")
    at = click(at, "cells", {"code": ZHANGSHUI_CELL, "name": "章水镇第008网格"})
    assert not at.exception
    assert query(at, "cell") == ZHANGSHUI_CELL
    assert any(s.value == "章水镇第008网格" for s in at.subheader)
    layers = layers_of(at)
    outline = layers["selected-cell"]
    assert outline["@@type"] == "PathLayer" and outline["getWidth"] >= 4 and rows(outline) >= 1
    fills = {c["code"]: c["fill"] for c in layers["cells"]["data"]}
    assert fills[ZHANGSHUI_CELL][3] == 255
    assert all(f[3] < 255 for code, f in fills.items() if code != ZHANGSHUI_CELL)
    panel = " ".join(m.value for m in at.markdown)
    assert "在办问题" in panel and "近期走访" in panel and "网格内站点" in panel


def test_going_back_up_restores_full_colours():
    at = run(PAGE, town="章水镇", cell=ZHANGSHUI_CELL)
    next(b for b in at.button if b.label == "海曙区").click()
    at.run()
    assert at.selectbox(key="town").value == "海曙区（全区）"
    assert "cell" not in at.query_params
    assert all(len(c["fill"]) == 3 for c in layers_of(at)["cells"]["data"])


def busiest_cell(town: str, town_code9: str) -> str:
    """The town's cell with the most open tickets, read from the map's own side list."""
    from data_access import geo

    open_metric = next(code for code in geo.METRICS if code.startswith("open"))
    listed = run(PAGE, town=town, metric=open_metric).dataframe[-1].value
    return f"{town_code9}-{listed.iloc[0]['name'][-5:-2]}"


def test_every_drill_level_round_trips_through_the_url():
    cell = busiest_cell("章水镇", "330203106")
    at = run(PAGE, town="章水镇", cell=cell)
    assert query(at, "cell") == cell
    at.session_state[f"cell_tickets_{cell}"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    ticket = query(at, "ticket")
    assert ticket
    assert "流转记录" in " ".join(m.value for m in at.markdown)
    history = next(d.value for d in at.dataframe if "stage" in d.value.columns)
    assert len(history) >= 1  # at least its report
    # a shared link opens the same town, cell and ticket with its history
    again = run(PAGE, town="章水镇", cell=cell, ticket=ticket)
    assert query(again, "ticket") == ticket and query(again, "cell") == cell
    assert again.selectbox(key="town").value == "章水镇"
    assert "流转记录" in " ".join(m.value for m in again.markdown)
    assert any(ticket in t.value for t in again.text)


def test_a_cell_of_another_town_in_the_link_is_ignored():
    at = run(PAGE, town="鼓楼街道", cell=ZHANGSHUI_CELL, ticket="T0001")
    assert not at.exception
    assert not any(s.value == "章水镇第008网格" for s in at.subheader)
    assert "ticket" not in at.query_params


def test_heat_layer_is_drawn_above_the_cells_with_a_legend_entry():
    at = run(PAGE, layers=["cells", "heat"])
    ids = [layer["id"] for layer in deck(at)["layers"]]
    assert ids.index("heat") > ids.index("cells")
    assert "问题热力" in " ".join(m.value for m in at.markdown)


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
    monkeypatch.setattr(db, "SAMPLE_DB", broken)  # opened as the built-in sample is
    at = run(PAGE)
    assert not at.exception
    layers = layers_of(at)
    assert rows(layers["cells"]) == 1406
    assert rows(layers["compounds"]) == 97
    notes = " ".join(c.value for c in at.caption)
    assert "3 个网格边界无法绘制" in notes
    assert "1 个点位缺少坐标或超出区界" in notes


def test_a_town_without_the_cell_layer_still_lists_its_cells_beside_the_map():
    at = run(PAGE, town="章水镇", layers=["towns"])
    table = at.dataframe[-1].value
    assert len(table) > 0 and table["name"].str.startswith("章水镇").all()


def test_every_pickable_row_carries_the_tooltips_fields():
    at = run(PAGE, layers=["cells", "clinics", "compounds", "gaps"], period="近30天")
    for layer in deck(at)["layers"]:
        if layer.get("pickable"):
            assert all({"name", "label"} <= set(r) for r in layer["data"]), layer["id"]


def test_site_names_are_escaped_for_the_html_tooltip():
    import pandas as pd

    from components import map_deck

    rows = map_deck.site_rows(pd.DataFrame({"name": ["<img src=x onerror=alert(1)>"]}),
                              [["<b>bold</b>"]])
    assert rows.at[0, "name"].startswith("&lt;img") and rows.at[0, "label"] == "&lt;b&gt;bold&lt;/b&gt;"


def test_other_pages_link_to_the_map_with_layer_codes():
    from urllib.parse import parse_qs

    from components.map_settings import LAYERS

    found = []
    for page in ("pages/3_visits.py", "pages/4_programmes.py"):
        for link in run(page, period="近30天").get("page_link"):
            if link.proto.label.startswith("在地图上查看"):
                layers = parse_qs(link.proto.query_string)["layers"]
                assert set(layers) <= set(LAYERS) and "cells" in layers, layers
                found.append(layers)
    assert ["cells", "towns", "names", "clinics", "compounds", "gaps"] in found
    assert any("clinics" in layers and "compounds" not in layers for layers in found)


def test_map_links_refuse_unknown_layer_codes():
    from components import links

    with pytest.raises(ValueError):
        links.map_query(layers=["网格"])
    assert links.map_layers("gaps")[-1] == "gaps"


def test_the_cell_panels_link_opens_the_ticket_page_on_that_cells_open_tickets():
    from urllib.parse import parse_qs

    cell = busiest_cell("章水镇", "330203106")
    at = run(PAGE, town="章水镇", cell=cell)
    link = next(link for link in at.get("page_link")
                if link.proto.label == "在问题流转页查看本网格的问题")
    params = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(link.proto.query_string).items()}
    assert params["cell"] == cell and params["show"] == "open"
    tickets = run("pages/2_tickets.py", **params)
    assert not tickets.exception
    listed = next(d.value for d in tickets.dataframe if "问题" in d.value.columns)
    panel = next(d.value for d in at.dataframe if "问题" in d.value.columns)
    assert len(listed) == len(panel) > 0
    assert set(listed["网格"]) == {f"章水镇第{cell[-3:]}网格"}


def inside(view: dict, collection_rows: list[dict]) -> bool:
    """The view's centre lies within the bounds of the rows' polygons."""
    points = [pt for row in collection_rows for pt in row["polygon"][0]]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return (min(lons) <= view["longitude"] <= max(lons)
            and min(lats) <= view["latitude"] <= max(lats))


def test_choosing_a_cell_fits_the_view_to_it_and_clearing_it_returns_to_the_town():
    at = run(PAGE, town="章水镇")
    town_view = deck(at)["initialViewState"]
    at = click(at, "cells", {"code": ZHANGSHUI_CELL, "name": "章水镇第008网格"})
    cell_view = deck(at)["initialViewState"]
    assert cell_view["zoom"] > town_view["zoom"] + 1  # the cell, not the whole town
    cell_rows = [c for c in layers_of(at)["cells"]["data"] if c["code"] == ZHANGSHUI_CELL]
    assert inside(cell_view, cell_rows)
    assert "本网格没有在办问题。" in [c.value for c in at.caption]  # words, not an empty grid
    next(b for b in at.button if b.label == "› 章水镇").click()
    at.run()
    assert "cell" not in at.query_params
    assert deck(at)["initialViewState"] == town_view


def test_the_side_table_follows_the_screen_and_lists_every_area(monkeypatch):
    import streamlit as st

    heights, draw = [], st.dataframe

    def recorded(*args, **kw):  # AppTest keeps no element's height
        heights.append(kw.get("height"))
        return draw(*args, **kw)

    monkeypatch.setattr(st, "dataframe", recorded)
    at = run(PAGE)
    assert len(at.dataframe[-1].value) == 17  # every town, worst first, not a fixed dozen
    assert heights[-1] == "stretch"  # as tall as the map, which follows the screen


def test_area_colours_are_a_hashable_cache_key():
    """Streamlit pickles a frame it cannot hash (a fill column of lists did so on every run)."""
    import pandas as pd

    from components import map_deck

    shapes = pd.DataFrame({"code": ["a", "b"], "name": ["甲", "乙"]})
    metrics = pd.DataFrame({"code": ["a", "b"], "collected": [1, 5]})
    for dim in (None, "a"):
        props = map_deck.area_props(shapes, metrics, "collected", "收集问题", False, dim)
        assert len(pd.util.hash_pandas_object(props)) == 2
        assert all(isinstance(c, tuple) for c in props["fill"])


def test_the_cell_panels_ticket_times_are_to_the_minute_as_elsewhere():
    from components import format as fmt

    at = run(PAGE, town="章水镇", cell=busiest_cell("章水镇", "330203106"))
    table = next(d for d in at.dataframe if "上报时间" in d.value.columns)
    config = json.loads(table.proto.columns)["上报时间"]
    assert config["type_config"]["format"] == fmt.TABLE_MOMENT, config
