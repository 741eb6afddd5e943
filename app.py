"""总览: the headline of the campaign, its weekly trend and the towns side by side.

A click on a town's bar switches the whole cockpit to that town (the frame's town filter,
in the URL); the town stays highlighted among the others, named at the top with a clear
button.
"""

import streamlit as st

from components import cached, charts, crossfilter, frame, kpis, tables
from components import format as fmt
from data_access import overview, places, ticket_flow
from data_access.filters import Filters

f = frame.filters("app.py", "总览")
names = frame.town_names()
crossfilter.follow_clicks({crossfilter.TOWN: names}, field="town_code")
crossfilter.banner(crossfilter.chosen({crossfilter.TOWN: names}, f),
                   {crossfilter.TOWN: ("镇(乡)街道", names)})

with st.spinner("正在计算…"):
    this_week = Filters.for_period("this_week", frame.data_moment(), town_code=f.town_code)
    last_week = this_week.shifted_weeks(-1)
    period, now, before = cached.call(overview.fetch_kpis_each, (f, this_week, last_week))
    kpis.tiles(overview.LOOP_TILES, period, now, before)
    kpis.tiles(overview.WORK_TILES, period, now, before)

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("问题收集与办结 · 按周")
    with st.spinner("正在计算…"):
        st.altair_chart(charts.weekly_flow(cached.call(ticket_flow.fetch_weekly_flow, f)))
with right:
    st.subheader("各镇(乡)街道问题化解")
    st.caption("按化解率从低到高排列；点击条形查看该镇(乡)街道，再次点击回到全区。")
    with st.spinner("正在计算…"):
        district = cached.call(overview.fetch_town_comparison, f.with_town(None))
    chart = charts.town_resolution(district, chosen=f.town_code)
    if district["collected"].sum():
        st.altair_chart(chart, on_select="rerun", key=crossfilter.key(crossfilter.TOWN))
    else:
        st.altair_chart(chart)

st.subheader("各镇(乡)街道对比")
towns = district[district["town_code"] == f.town_code] if f.town_code else district
cells = cached.call(places.count_grid_cells, town_code=f.town_code)
st.caption(f"网格 {fmt.count(cells)} 个 · 按化解率从低到高排列，点击表头可改变排序")
columns = ["town", "population", *overview.TOWN_FIGURES]
ranked = towns.sort_values(["resolution_rate", "town"], na_position="last")[columns]
tables.show(st, tables.figure_frame(ranked), hide_index=True, width="stretch",
            column_config=tables.figure_columns(columns))

kpis.definitions([*overview.LOOP_TILES, *overview.WORK_TILES, "resolved_in_period"])
