"""地图: cells coloured by a chosen figure, named places, clinic points and old compounds.
A click drills district → town → grid cell → its tickets; every level lives in the URL
(?town=…&cell=…&ticket=…; layers and metric as codes)."""

import json

import pandas as pd
import streamlit as st

from components import cached, frame, links, tables
from components import format as fmt
from components import map_colours as mc
from components import map_deck as md
from components import map_geometry as mg
from components import map_settings as ms
from data_access import coverage, geo, places, ticket_list
from data_access import glossary as g

f = frame.filters("pages/1_map.py", "地图")
towns = frame.town_names()
try:
    settings = ms.settings()
except ValueError as exc:
    st.error(f"地图设置有误：{fmt.md_text(exc)}", icon=":material/error:")
    st.stop()
# The map fills the screen's height below the controls (about 23rem), the legend above it
# always in view. On a 4K screen the frame zooms the whole page (--desk-zoom): the screen's
# height is divided by it, so the map still ends at the screen's bottom.
st.markdown("""<style>
.st-key-map_box [data-testid=stElementContainer]:has([data-testid=stDeckGlJsonChart]),
.st-key-map_box [data-testid=stDeckGlJsonChart],
.st-key-map_box [data-testid=stDeckGlJsonChart] > div
  { height: max(480px, calc(100vh / var(--desk-zoom, 1) - 23rem)) !important; }
.map-legend { font-size: 1rem; color: #C9D4E3; line-height: 1.9; }
</style>""", unsafe_allow_html=True)

WORST = "worst_stage"
STAGE_LABELS = getattr(g, "WAITING_STAGES", None)
metric_labels = dict(geo.METRICS)
if hasattr(geo, "fetch_worst_stage") and STAGE_LABELS:
    metric_labels[WORST] = "最久等待环节"


def url_list(key: str, allowed, default: list[str]) -> list[str]:
    got = [v for v in st.query_params.get_all(key) if v in allowed]
    return got or default


left, right, crumb_box = st.columns([1, 2.3, 1.3], vertical_alignment="bottom")
metric = left.selectbox("网格着色指标", list(metric_labels), format_func=metric_labels.get,
                        key="metric_pick", index=list(metric_labels).index(
                            url_list("metric", metric_labels, [next(iter(metric_labels))])[0]))
default = ms.DEFAULT_LAYERS + (["gaps"] if st.query_params.get("show") == "gaps" else [])
on = set(right.pills("图层", list(ms.LAYERS), format_func=ms.LAYERS.get, selection_mode="multi",
                     default=url_list("layers", ms.LAYERS, default), key="layers_pick") or [])
st.query_params["metric"] = metric
st.query_params["layers"] = [code for code in ms.LAYERS if code in on]

# --- where we are: district, town, cell, ticket ---------------------------------------------
cell = st.query_params.get("cell")
cell_info = cached.call(geo.get_cell, cell, scope_town=f.scope_town) if cell else None
if cell and (cell_info is None or cell_info["town_code"] != f.town_code):
    cell_info, cell = None, None
    st.query_params.pop("cell", None)
if not cell_info:
    st.query_params.pop("ticket", None)
level = "cell" if cell_info else "town" if f.town_code else "district"
detail = "district" if level == "district" else "town"


def area_metrics(area: str) -> pd.DataFrame:
    """The METRICS of the towns or the grid cells: both layers' from one call."""
    return cached.call(geo.fetch_area_metrics_each, f, ("town", "cell"))[area]


def area_figures(area: str) -> pd.DataFrame:
    if metric == WORST:
        return cached.call(geo.fetch_worst_stage, f, area).rename(columns={"key": "code"})
    return area_metrics(area)


def props(shapes, figures, dim_except=None):
    return md.area_props(shapes, figures, metric, metric_labels[metric],
                         metric in geo.HIGHER_IS_BETTER, dim_except,
                         STAGE_LABELS if metric == WORST else None)


deck_layers, dropped = [], {}
town_shapes = cached.call(geo.fetch_shapes, "town", scope_town=f.scope_town)
town_figures = area_figures("town")
# Shapes are cached as JSON text and later steps cache on that text: cheap to hash and copy
town_json, dropped["镇(乡)街道边界"] = cached.memo(
    mg.features_json, town_shapes, props(town_shapes, town_figures, f.town_code), settings,
    "district")
town_fc = json.loads(town_json)
cell_shapes = cached.call(geo.fetch_shapes, "cell", f.town_code, scope_town=f.scope_town)
cell_figures = area_figures("cell")
view_fc = town_fc
if f.town_code:  # other towns dimmed, the chosen one full
    view_fc = {"type": "FeatureCollection", "features": [
        ft for ft in town_fc["features"] if ft["properties"]["code"] == f.town_code]}
if "cells" in on:
    cell_json, dropped["网格边界"] = cached.memo(
        mg.features_json, cell_shapes, props(cell_shapes, cell_figures, cell), settings, detail)
    if f.town_code:
        deck_layers.append(md.polygon_layer("towns", mg.polygon_rows(town_fc)))
    deck_layers.append(md.polygon_layer("cells", cached.memo(mg.polygon_rows, cell_json)))
else:
    deck_layers.append(md.polygon_layer("towns", mg.polygon_rows(town_fc)))
if "heat" in on:
    heat, _ = mg.located(settings, cached.call(geo.fetch_ticket_points, f))
    deck_layers.append(md.heat_layer("heat", heat))
if "towns" in on:
    deck_layers.append(md.path_layer("town-borders", cached.memo(mg.border_paths, town_json),
                                     mc.BORDER, 2.5 if f.town_code else 1.8))
chosen_fc = None  # the chosen cell: outlined, and the view fits it
if cell_info and "cells" in on:
    chosen_fc = {"type": "FeatureCollection", "features": [
        ft for ft in json.loads(cell_json)["features"] if ft["properties"]["code"] == cell]}
    deck_layers.append(md.path_layer("selected-cell", mg.border_paths(chosen_fc), mc.SELECTED, 5))

points_dropped = 0


def in_scope(sites: pd.DataFrame) -> pd.DataFrame:
    return sites[sites["town_code"] == f.town_code] if f.town_code else sites


clinics = cached.call(geo.fetch_clinic_points, f)
if "clinics" in on:
    data, n = mg.located(settings, clinics)
    points_dropped += n
    data = md.site_rows(data.assign(radius_px=(4 + 4 * (data["person_visits"] / max(
        1, clinics["person_visits"].max())) ** 0.5).round(1)), [
        [towns.get(r.town_code, ""), f"服务村：{r.villages}", r.schedule,
         f"本期服务 {r.person_visits:,} 人次，{r.stops} 次"] for r in data.itertuples()])
    deck_layers.append(md.point_layer("clinics", data[[
        "code", "name", "label", "lat", "lon", "radius_px", "grid_cell_code",
        "town_code"]], mc.CLINIC_COLOUR))
compounds = cached.call(geo.fetch_compounds)
if "compounds" in on:
    data, n = mg.located(settings, in_scope(compounds))
    points_dropped += n
    data = md.site_rows(data.assign(colour=[mc.STAGE_COLOURS.get(s, mc.NO_DATA)
                                            for s in data["renovation_stage"]]), [
        [f"{r.built_year} 年建，{r.households:,} 户",
         f"改造：{g.label(g.RENOVATION_STAGES, r.renovation_stage)}",
         f"物业提价提质：{'已完成' if r.property_upgrade_done else '未完成'}",
         f"加装电梯 {r.lifts_installed} 部"] for r in data.itertuples()])
    deck_layers.append(md.point_layer("compounds", data[[
        "code", "name", "label", "lat", "lon", "colour", "grid_cell_code",
        "town_code"]], "colour", radius_px=5))
if "gaps" in on:
    gaps, n = mg.located(settings, cached.call(coverage.fetch_unvisited_targets, f))
    points_dropped += n
    gaps = md.site_rows(gaps.assign(name=gaps["target"]), [
        [coverage.TARGET_GROUPS.get(r.kind, r.kind), f"本期未走访 · 联系干部：{r.officers}"]
        for r in gaps.itertuples()])
    deck_layers.append(md.point_layer("gaps", gaps[["name", "label", "lat", "lon"]],
                                      mc.GAP_COLOUR, radius_px=5))
if "names" in on:  # names last: above everything
    if f.town_code and "cells" in on:  # the town's cells by number
        labels = cached.memo(mg.label_points, cell_json, "code", 3)
        deck_layers.append(md.text_layer("cell-names", labels, 13))
    shown_towns = json.dumps(view_fc) if f.town_code else town_json
    deck_layers.append(md.text_layer("town-names", cached.memo(
        mg.label_points, shown_towns, "name", None, (0.012, "街道", 13, 22 if f.town_code else 17)),
        "size"))

# --- breadcrumb, legend, map and panel -----------------------------------------------------
crumbs = crumb_box.columns([1, 1.2, 1.4], vertical_alignment="center")
if crumbs[0].button("海曙区", icon=":material/home:", disabled=level == "district"):
    st.query_params.pop("cell", None)
    frame.request_town(None)
    st.rerun()
if f.town_code and crumbs[1].button(f"› {towns[f.town_code]}", disabled=level == "town"):
    st.query_params.pop("cell", None)
    st.rerun()
if cell_info:
    crumbs[2].text(f"› {cell_info['name']}")

sites = {}
if "clinics" in on:
    sites["高山巡回医疗点（大小为本期服务人次）"] = mc.CLINIC_COLOUR
if "compounds" in on:
    sites |= {f"老小区·{label}": mc.STAGE_COLOURS[code] for code, label in g.RENOVATION_STAGES.items()}
if "gaps" in on:
    sites["本期未走访的联系对象"] = mc.GAP_COLOUR
scaled = cell_figures[cell_figures["code"].isin(cell_shapes["code"])] if "cells" in on \
    else town_figures  # the values the colours were scaled on
st.markdown(mc.legend_html(metric_labels[metric], scaled.get(metric), metric in geo.HIGHER_IS_BETTER,
                           sites, stages=STAGE_LABELS if metric == WORST else None,
                           heat="heat" in on), unsafe_allow_html=True)

notes = [f"{n} 个{what}无法绘制（缺失、格式错误或超出区界），已略去" for what, n in dropped.items()
         if n]
if points_dropped:
    notes.append(f"{points_dropped} 个点位缺少坐标或超出区界，已略去")
if cached.call(places.get_meta, "geometry") == "schematic":
    notes.append("示例数据的镇街与网格边界为示意，非法定界线")
if settings.basemap == "none":
    notes.append("无底图（内网模式）")
st.caption(" · ".join(notes))  # above the map: in view on every screen


def drill(layer_id: str, obj: dict) -> None:
    """A click goes one level down from where we are: the town first, then a cell."""
    code = obj.get("code")
    town = obj.get("town_code")
    cell_code = code if layer_id == "cells" else obj.get("grid_cell_code")
    if layer_id in ("cells",) or cell_code:
        target = (cached.call(geo.get_cell, cell_code, scope_town=f.scope_town)
                  if cell_code else None)
        town = target["town_code"] if target else town
    elif layer_id == "towns":
        town = code
    if not town:
        return
    if level == "district" or town != f.town_code:
        st.query_params.pop("cell", None)
        frame.request_town(town)  # the town first, not the cell under the pointer
    elif cell_code:
        st.query_params["cell"] = cell_code
        st.query_params.pop("ticket", None)
        st.rerun()


map_col, panel = st.columns([2.2, 1], gap="medium")
with map_col, st.container(key="map_box"):
    # a chosen cell is framed (its bounds fitted); cleared, the view goes back to the town
    # (a cell is fitted into a smaller box: its neighbours stay in view around it)
    map_view = mg.view_of(chosen_fc, 700, 380) if chosen_fc else mg.view_of(view_fc)
    deck = md.deck(deck_layers, map_view, md.TOOLTIP, settings)
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key="map",
                            height=720)
    picked = event.selection.objects if event else {}
    seen = json.dumps(picked, sort_keys=True, default=str)
    if picked and seen != st.session_state.get("_map_seen"):
        st.session_state["_map_seen"] = seen
        layer_id, objects = next(iter(picked.items()))
        drill(layer_id, objects[0].get("properties", objects[0]) if objects else {})

with panel:
    if cell_info:
        all_cells = area_metrics("cell").set_index("code")
        figures = all_cells.loc[cell]
        st.subheader(fmt.md_text(cell_info["name"]))
        st.caption(f"{fmt.md_text(cell_info['town'])} · 常住人口 {cell_info['population']:,} · "
                   f"{cell_info['households']:,} 户 · 网格员 {fmt.md_text(cell_info['officer'] or '—')}")
        shown = [c for c in geo.METRICS if c in figures.index][:6]
        for col, code in zip(st.columns(3) * 2, shown):
            value = figures[code]
            col.metric(geo.METRICS[code], fmt.pct(value) if code in geo.HIGHER_IS_BETTER else
                       fmt.NOTHING if pd.isna(value) else fmt.count(int(value)) if
                       all_cells[code].dtype.kind in "iu" else f"{value:,.1f}", border=True)
        open_here = cached.call(ticket_list.fetch_tickets, f, "open", in_period=False,
                                grid_cell_code=cell)
        st.markdown(f"**在办问题**（{len(open_here)} 件，选中一行查看流转记录）")
        view = tables.ticket_view(open_here)
        ticket = st.query_params.get("ticket")
        ids = list(open_here["id"])
        picked_row = tables.show(st, view[["问题", "当前环节", "超期", "上报时间"]],
                                 "本网格没有在办问题。", hide_index=True, width="stretch",
                                 column_config=tables.ticket_columns(),  # to the minute
                                 height=220, on_select="rerun", selection_mode="single-row",
                                 key=f"cell_tickets_{cell}")
        rows_picked = picked_row.selection.rows if picked_row else []
        if rows_picked and ids[rows_picked[0]] != ticket:
            ticket = ids[rows_picked[0]]
            st.query_params["ticket"] = ticket
        if ticket in ids:
            row = open_here.iloc[ids.index(ticket)]
            history = fmt.mask_history(cached.call(ticket_list.fetch_history, ticket,
                                                   scope_town=f.scope_town))
            with st.container(key="ticket_history"):  # the same history as the ticket page
                st.markdown("**流转记录**")
                st.text(f"{row['id']} · {fmt.mask_text(row['title'])}")
                st.dataframe(history.assign(
                    stage=history["stage"].map(lambda s: g.label(g.ALL_EVENTS, s)),
                    at=history["at"].map(fmt.moment)), hide_index=True, width="stretch",
                    column_config={"stage": "环节", "actor": "办理方", "at": "时间"})
        elif ticket:
            st.query_params.pop("ticket", None)
        st.page_link("pages/2_tickets.py", label="在问题流转页查看本网格的问题",
                     icon=":material/account_tree:",
                     query_params=links.kept() | {"cell": cell, "show": "open"})
        trips = cached.call(geo.fetch_cell_visits, f, cell)
        st.markdown(f"**近期走访**（本期 {len(trips)} 次）")
        tables.show(st, trips.assign(visited_at=trips["visited_at"].map(fmt.moment),
                                     diary_type=trips["diary_type"].map(g.DIARY_TYPES.get))
                    [["visited_at", "officer", "target", "diary_type"]], "本期没有走访记录。",
                    hide_index=True, width="stretch", height=180,
                     column_config={"visited_at": "时间", "officer": "干部", "target": "对象",
                                    "diary_type": "日记"})
        here = [f"医疗点 {r.name}" for r in clinics.itertuples() if r.grid_cell_code == cell]
        here += [f"老小区 {r.name}" for r in compounds.itertuples() if r.grid_cell_code == cell]
        st.markdown("**网格内站点**")
        st.text("、".join(here) if here else "无")
    else:
        area = "cell" if f.town_code else "town"
        figures = area_metrics(area)
        names = dict(zip(cell_shapes["code"], cell_shapes["name"])) if f.town_code else towns
        figures = figures[figures["code"].isin(names)]
        rank = metric if metric in figures else next(iter(geo.METRICS))
        worst = figures.sort_values(rank, ascending=rank in geo.HIGHER_IS_BETTER)
        st.subheader(f"{fmt.md_text(towns.get(f.town_code, '海曙区'))} · {metric_labels[metric]}")
        st.caption("点击地图上的" + ("网格查看详情与问题" if f.town_code else "镇(乡)街道下钻"))
        table = worst.assign(name=worst["code"].map(names))
        columns = {"name": "网格" if f.town_code else "镇(乡)街道"}
        for code, label in geo.METRICS.items():
            if code in table:
                columns[code] = label
                table[code] = table[code].map(fmt.pct if code in geo.HIGHER_IS_BETTER else (
                    lambda v: fmt.NOTHING if pd.isna(v) else f"{v:,.1f}" if isinstance(v, float)
                    else fmt.count(v)))
        # as tall as the map beside it (it follows the screen: desk, wall, 4K), worst first
        st.dataframe(table[list(columns)], hide_index=True, width="stretch", height="stretch",
                     column_config=columns)
