"""总览: the headline of the campaign, its weekly trend and the towns side by side."""

import streamlit as st

from components import cached, charts, frame, kpis
from components import format as fmt
from data_access import glossary as g
from data_access import overview, places, tickets
from data_access.filters import Filters

f = frame.filters("app.py", "总览")

this_week = Filters.for_period("this_week", frame.data_moment(), town_code=f.town_code)
last_week = this_week.shifted_weeks(-1)
period, now, before = (cached.call(overview.fetch_kpis, x) for x in (f, this_week, last_week))
kpis.tiles(["collected", "resolved", "resolution_rate", "overdue", "satisfaction_rate"],
           period, now, before, g.KPI_DEFINITIONS)
kpis.tiles(["visits", "coverage_rate", "clinic_visits", "hotline_services"],
           period, now, before, g.KPI_DEFINITIONS)

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("问题收集与办结 · 按周")
    st.altair_chart(charts.weekly_flow(cached.call(tickets.fetch_weekly_flow, f)))
with right:
    st.subheader("各镇(乡)街道问题化解")
    towns = cached.call(overview.fetch_town_comparison, f)
    st.altair_chart(charts.town_resolution(towns))

st.subheader("各镇(乡)街道对比")
cells = cached.call(places.count_grid_cells, town_code=f.town_code)
st.caption(f"网格 {fmt.count(cells)} 个 · 化解率、覆盖率定义见指标说明（鼠标悬停指标卡上的 ?）")
table = towns[["town", "population", "collected", "resolved", "resolution_rate", "overdue",
               "visits", "coverage_rate", "clinic_visits", "hotline_services"]]
st.dataframe(
    table, hide_index=True, width="stretch",
    column_config={
        "town": g.COLUMNS["town"],
        "population": st.column_config.NumberColumn(g.COLUMNS["population"], format="localized"),
        "collected": g.COLUMNS["collected"], "resolved": g.COLUMNS["resolved"],
        "resolution_rate": st.column_config.ProgressColumn(
            g.COLUMNS["resolution_rate"], min_value=0, max_value=1, format="percent"),
        "overdue": g.COLUMNS["overdue"], "visits": g.COLUMNS["visits"],
        "coverage_rate": st.column_config.ProgressColumn(
            g.COLUMNS["coverage_rate"], min_value=0, max_value=1, format="percent"),
        "clinic_visits": g.COLUMNS["clinic_visits"],
        "hotline_services": st.column_config.NumberColumn(g.COLUMNS["hotline_services"],
                                                          format="localized"),
    },
)
