"""地图: grid cells coloured by a chosen figure, clinic points, old compounds; click to drill
from the district into a town and into one grid cell."""

import json

import pandas as pd
import streamlit as st

from components import cached, frame, layers, tables
from components import format as fmt
from data_access import coverage, geo, places, ticket_list
from data_access import glossary as g

f = frame.filters("pages/1_map.py", "地图")
towns = frame.town_names()
try:
    settings = layers.settings()
except ValueError as exc:
    st.error(f"地图设置有误：{exc}", icon=":material/error:")
    st.stop()
LAYERS = {"cells": "网格", "towns": "镇(乡)街道界", "clinics": "高山巡回医疗点",
          "compounds": "老小区", "heat": "问题热力", "gaps": "未走访对象"}
DEFAULT_LAYERS = ["网格", "镇(乡)街道界", "高山巡回医疗点", "老小区"]
metric_names = {label: code for code, label in geo.METRICS.items()}  # URL: ?metric=满意率

left, right = st.columns([1, 3], vertical_alignment="bottom")
metric = metric_names[left.selectbox("网格着色指标", list(metric_names), key="metric",
                                     bind="query-params")]
default = DEFAULT_LAYERS + (["未走访对象"] if st.query_params.get("show") == "gaps" else [])
chosen = right.pills("图层", list(LAYERS.values()), selection_mode="multi", default=default,
                     key="layers", bind="query-params")
on = {code for code, label in LAYERS.items() if label in (chosen or [])}


# --- what to draw ---------------------------------------------------------------------------
cell = st.query_params.get("cell")
cell_info = cached.call(geo.get_cell, cell) if cell else None
if cell and (cell_info is None or (f.town_code and cell_info["town_code"] != f.town_code)):
    cell_info = None
    del st.query_params["cell"]

deck_layers, dropped, view_of = [], {}, None
town_shapes = cached.call(geo.fetch_shapes, "town")
town_metrics = cached.call(geo.fetch_area_metrics, f, "town")
town_fc, dropped["镇(乡)街道边界"] = cached.memo(layers.area_features, town_shapes, town_metrics,
                                          metric, settings)
if "cells" in on:
    cell_shapes = cached.call(geo.fetch_shapes, "cell", f.town_code)
    cell_metrics = cached.call(geo.fetch_area_metrics, f, "cell")
    cell_fc, dropped["网格边界"] = cached.memo(layers.area_features, cell_shapes, cell_metrics,
                                           metric, settings)
    deck_layers.append(layers.area_layer("cells", cell_fc))
    view_of = cell_fc
if "towns" in on or "cells" not in on:
    in_town = {"type": "FeatureCollection", "features": [
        ft for ft in town_fc["features"]
        if not f.town_code or ft["properties"]["code"] == f.town_code]}
    if "cells" not in on:
        deck_layers.append(layers.area_layer("towns", in_town))
    if "towns" in on:
        deck_layers.append(layers.area_layer("town-borders", cached.memo(
            layers.outline_bands, in_town, 50 if f.town_code else 140), opacity=1.0,
            pickable=False))
    view_of = view_of or in_town

points_dropped = 0
if "heat" in on:
    heat, n = layers.located(settings, cached.call(geo.fetch_ticket_points, f))
    points_dropped += n
    deck_layers.insert(0, layers.heat_layer("heat", heat))
if cell_info and "cells" in on:  # the open cell, outlined
    chosen_fc = {"type": "FeatureCollection",
                 "features": [ft for ft in cell_fc["features"] if ft["properties"]["code"] == cell]}
    deck_layers.append(layers.area_layer("selected-cell", cached.memo(
        layers.outline_bands, chosen_fc, 40, layers.AMBER_BORDER), opacity=1.0, pickable=False))


def in_scope(sites: pd.DataFrame) -> pd.DataFrame:
    """The sites of the filtered town (all, for the district)."""
    return sites[sites["town_code"] == f.town_code] if f.town_code else sites


clinics = cached.call(geo.fetch_clinic_points, f)
if "clinics" in on:
    data, n = layers.located(settings, clinics)
    points_dropped += n
    data = layers.site_rows(data.assign(radius_m=180 + 420 * (
        data["person_visits"] / max(1, clinics["person_visits"].max())) ** 0.5), [
        [towns.get(r.town_code, ""), f"服务村：{r.villages}", r.schedule,
         f"本期服务 {r.person_visits:,} 人次，{r.stops} 次"] for r in data.itertuples()])
    deck_layers.append(layers.site_layer(
        "clinics", data[["code", "name", "label", "tip", "lat", "lon", "radius_m",
                         "grid_cell_code"]], colour=layers.CLINIC_COLOUR))
compounds = cached.call(geo.fetch_compounds)
if "compounds" in on:
    data, n = layers.located(settings, in_scope(compounds))
    points_dropped += n
    data = layers.site_rows(data.assign(colour=[layers.STAGE_COLOURS.get(s, layers.NO_DATA)
                                                for s in data["renovation_stage"]]), [
        [f"{r.built_year} 年建，{r.households:,} 户",
         f"改造：{g.label(g.RENOVATION_STAGES, r.renovation_stage)}",
         f"物业提价提质：{'已完成' if r.property_upgrade_done else '未完成'}",
         f"加装电梯 {r.lifts_installed} 部"] for r in data.itertuples()])
    deck_layers.append(layers.site_layer(
        "compounds", data[["code", "name", "label", "tip", "lat", "lon", "colour",
                           "grid_cell_code"]], colour="colour", radius_m=180))
if "gaps" in on:
    gaps, n = layers.located(settings, cached.call(coverage.fetch_unvisited_targets, f))
    points_dropped += n
    gaps = layers.site_rows(gaps.assign(name=gaps["target"]), [
        [coverage.TARGET_GROUPS.get(r.kind, r.kind), f"本期未走访 · 联系干部：{r.officers}"]
        for r in gaps.itertuples()])
    deck_layers.append(layers.site_layer("gaps", gaps[["name", "label", "tip", "lat", "lon"]],
                                         colour=layers.GAP_COLOUR, radius_m=120))

deck = layers.deck(deck_layers, layers.view_of(view_of), layers.TOOLTIP, settings)

# --- breadcrumb, map and panel --------------------------------------------------------------
crumbs = st.columns([1, 1, 2, 4], vertical_alignment="center")
if crumbs[0].button("海曙区", icon=":material/home:", disabled=not f.town_code and not cell_info):
    st.query_params.pop("cell", None)
    frame.request_town(None)
    st.rerun()
if f.town_code and crumbs[1].button(f"› {towns[f.town_code]}", disabled=not cell_info):
    st.query_params.pop("cell", None)
    st.rerun()
if cell_info:
    crumbs[2].markdown(f"› **{cell_info['name']}**")

map_col, panel = st.columns([2.2, 1], gap="medium")
with map_col:
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key="map",
                            height=720)
    picked = event.selection.objects if event else {}
    seen = json.dumps(picked, sort_keys=True, default=str)
    if picked and seen != st.session_state.get("_map_seen"):
        st.session_state["_map_seen"] = seen
        layer_id, objects = next(iter(picked.items()))
        obj = objects[0].get("properties", objects[0]) if objects else {}
        if layer_id == "cells" or obj.get("grid_cell_code"):
            code = obj.get("code") if layer_id == "cells" else obj["grid_cell_code"]
            st.query_params["cell"] = code
            target = cached.call(geo.get_cell, code)
            frame.request_town(target["town_code"] if target else None)
            st.rerun()
        elif layer_id == "towns":
            st.query_params.pop("cell", None)
            frame.request_town(obj.get("code"))
    sites = {}
    if "clinics" in on:
        sites["高山巡回医疗点（大小为本期服务人次）"] = layers.CLINIC_COLOUR
    if "compounds" in on:
        sites |= {f"老小区·{label}": layers.STAGE_COLOURS[code]
                  for code, label in g.RENOVATION_STAGES.items()}
    if "gaps" in on:
        sites["本期未走访的联系对象"] = layers.GAP_COLOUR
    shown = (cell_metrics[cell_metrics["code"].isin(cell_shapes["code"])] if "cells" in on
             else town_metrics)  # the values the colours were scaled on
    st.markdown(layers.legend_html(metric, shown[metric], sites), unsafe_allow_html=True)
    notes = [f"{n} 个{what}无法绘制（缺失、格式错误或超出区界），已略去" for what, n in dropped.items()
             if n]
    if points_dropped:
        notes.append(f"{points_dropped} 个点位缺少坐标或超出区界，已略去")
    if cached.call(places.get_meta, "geometry") == "schematic":
        notes.append("示例数据的镇街与网格边界为示意，非法定界线")
    if settings.basemap == "none":
        notes.append("无底图（内网模式）")
    st.caption(" · ".join(notes))

with panel:
    if cell_info:
        figures = cached.call(geo.fetch_area_metrics, f, "cell").set_index("code").loc[cell]
        st.subheader(cell_info["name"])
        st.caption(f"{cell_info['town']} · 常住人口 {cell_info['population']:,} · "
                   f"{cell_info['households']:,} 户 · 网格员 {cell_info['officer'] or '—'}")
        a, b, c = st.columns(3)
        a.metric("在办问题", fmt.count(figures["open_tickets"]), border=True)
        b.metric("超期", fmt.count(figures["overdue_tickets"]), border=True)
        c.metric("本期问题", fmt.count(figures["tickets"]), border=True)
        a.metric("每千人", "—" if pd.isna(figures["tickets_per_1k"])
                 else f"{figures['tickets_per_1k']:.1f}", border=True)
        b.metric("走访覆盖", fmt.pct(figures["coverage_rate"]), border=True)
        c.metric("满意率", fmt.pct(figures["satisfaction_rate"]), border=True)
        open_here = cached.call(ticket_list.fetch_tickets, f, "open", in_period=False,
                                grid_cell_code=cell)
        st.markdown(f"**在办问题**（{len(open_here)} 件）")
        st.dataframe(tables.ticket_view(open_here)[["问题", "当前环节", "超期", "上报时间",
                                                    "反映人"]],
                     hide_index=True, width="stretch", height=180)
        trips = cached.call(geo.fetch_cell_visits, f, cell)
        st.markdown(f"**近期走访**（本期 {len(trips)} 次）")
        st.dataframe(trips.assign(visited_at=trips["visited_at"].map(fmt.moment),
                                  diary_type=trips["diary_type"].map(g.DIARY_TYPES.get))
                     [["visited_at", "officer", "target", "diary_type"]],
                     hide_index=True, width="stretch", height=180,
                     column_config={"visited_at": "时间", "officer": "干部", "target": "对象",
                                    "diary_type": "日记"})
        sites = [f"医疗点 {r.name}" for r in clinics.itertuples() if r.grid_cell_code == cell]
        sites += [f"老小区 {r.name}" for r in compounds.itertuples() if r.grid_cell_code == cell]
        st.markdown("**网格内站点**：" + ("、".join(sites) if sites else "无"))
    else:
        area = "cell" if f.town_code else "town"
        figures = cached.call(geo.fetch_area_metrics, f, area)
        if f.town_code:
            shapes = cached.call(geo.fetch_shapes, "cell", f.town_code)
            names = dict(zip(shapes["code"], shapes["name"]))
        else:
            names = towns
        figures = figures[figures["code"].isin(names)]
        worst = figures.sort_values(metric, ascending=metric in geo.HIGHER_IS_BETTER).head(12)
        st.subheader(f"{towns.get(f.town_code, '海曙区')} · {geo.METRICS[metric]}")
        st.caption("点击地图上的" + ("网格查看详情" if f.town_code else "镇(乡)街道或网格下钻"))
        st.dataframe(worst.assign(name=worst["code"].map(names),
                                  tickets_per_1k=worst["tickets_per_1k"].map(
                                      lambda v: fmt.NOTHING if pd.isna(v) else f"{v:.1f}"),
                                  coverage_rate=worst["coverage_rate"].map(fmt.pct),
                                  satisfaction_rate=worst["satisfaction_rate"].map(fmt.pct))[
                         ["name", "open_tickets", "overdue_tickets", "tickets_per_1k",
                          "coverage_rate", "satisfaction_rate"]],
                     hide_index=True, width="stretch", height=460,
                     column_config={"name": "网格" if f.town_code else "镇(乡)街道",
                                    "open_tickets": "在办", "overdue_tickets": "超期",
                                    "tickets_per_1k": "每千人", "coverage_rate": "覆盖",
                                    "satisfaction_rate": "满意"})
