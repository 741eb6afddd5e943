"""总览: the headline of the campaign, its weekly trend and the towns side by side."""

import streamlit as st

from components import cached, charts, frame, kpis, tables
from components import format as fmt
from data_access import overview, places, ticket_flow
from data_access.filters import Filters

f = frame.filters("app.py", "总览")

this_week = Filters.for_period("this_week", frame.data_moment(), town_code=f.town_code)
last_week = this_week.shifted_weeks(-1)
period, now, before = (cached.call(overview.fetch_kpis, x) for x in (f, this_week, last_week))
kpis.tiles(overview.LOOP_TILES, period, now, before)
kpis.tiles(overview.WORK_TILES, period, now, before)

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("问题收集与办结 · 按周")
    st.altair_chart(charts.weekly_flow(cached.call(ticket_flow.fetch_weekly_flow, f)))
with right:
    st.subheader("各镇(乡)街道问题化解")
    towns = cached.call(overview.fetch_town_comparison, f)
    st.altair_chart(charts.town_resolution(towns))

st.subheader("各镇(乡)街道对比")
cells = cached.call(places.count_grid_cells, town_code=f.town_code)
st.caption(f"网格 {fmt.count(cells)} 个")
columns = ["town", "population", *overview.TOWN_FIGURES]
st.dataframe(towns[columns], hide_index=True, width="stretch",
             column_config=tables.figure_columns(columns))

kpis.definitions([*overview.LOOP_TILES, *overview.WORK_TILES, "resolved_in_period"])
