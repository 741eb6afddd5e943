"""问题流转: where tickets stop in the closed loop, who lets them age, and the tickets behind."""

import streamlit as st

from components import cached, charts, frame, kpis, tables
from components import format as fmt
from data_access import geo, ticket_flow, ticket_list, ticket_loop
from data_access import glossary as g

f = frame.filters("pages/2_tickets.py", "问题流转")
towns = frame.town_names()

# Headline: the seed's figures and the loop's rates, for the filtered period.
rates = cached.call(ticket_loop.fetch_loop_rates, f)
kpis.row(*(kpis.figure(code, rates) for code in ticket_loop.LOOP_RATES))

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("闭环流转：" + " → ".join(g.STAGES[s] for s in ticket_loop.FUNNEL))
    st.altair_chart(charts.funnel(cached.call(ticket_loop.fetch_funnel, f)))
with right:
    st.subheader("各环节停留时间（中位数）")
    hours = cached.call(ticket_loop.fetch_stage_hours, f)
    st.table(hours.assign(
        stage=[f"{g.STAGES[a]} → {g.STAGES[b]}" for a, b in
               zip(ticket_loop.FUNNEL, list(ticket_loop.FUNNEL)[1:])],
        median_hours=hours["median_hours"].map(
            lambda h: "—" if h != h else f"{h / 24:.1f} 天（{h:.0f} 小时）"))
        .rename(columns={"stage": "环节", "median_hours": "中位时长",
                         "tickets": "走完这一步的问题数"}).set_index("环节"))

# Breakdowns: clicking a bar narrows everything below it.
st.subheader("分类分析（点击条形筛选下方内容）")
dims = [("category", "问题类别", g.CATEGORIES), ("source", "来源渠道", g.SOURCES),
        ("town_code", "镇(乡)街道", towns), ("department", "责任部门", {}),
        ("task_force", "工作专班", g.TASK_FORCES)]
picked = {}
for col, (dim, title, labels) in zip(st.columns(len(dims)), dims):
    col.markdown(f"**{title}**")
    data = cached.call(ticket_loop.fetch_breakdown, f, dim)
    state = col.altair_chart(charts.breakdown(data, labels), on_select="rerun", key=f"pick_{dim}")
    chosen = state.selection.get(charts.PICK) if state else None
    if chosen and chosen[0].get("key") is not None:
        picked[dim] = chosen[0]["key"]
# A link from another page may name a source or category: ?source=open_space
linked = {d: st.query_params[d] for d, vocab in (("source", g.SOURCES), ("category", g.CATEGORIES))
          if st.query_params.get(d) in vocab and d not in picked}
narrow = f.narrowed(**linked, **picked)
if picked or linked:
    chosen = linked | picked
    words = [f"{t}：{(lb or {}).get(chosen[d], chosen[d])}" for d, t, lb in dims if d in chosen]
    note, clear = st.columns([5, 1], vertical_alignment="center")
    note.info("已筛选 " + "，".join(words) + "（再次点击条形或双击空白处取消）",
              icon=":material/filter_alt:")
    if linked and clear.button("清除链接筛选", icon=":material/close:"):
        for d in linked:
            del st.query_params[d]
        st.rerun()

# Service level: the stock of open tickets and how old they are.
st.subheader("时限与督办")
sla = cached.call(ticket_loop.fetch_sla, narrow)
kpis.row(*(kpis.figure(code, sla) for code in ticket_loop.SLA))
left, right = st.columns([2, 3], gap="large")
left.altair_chart(charts.aging(cached.call(ticket_loop.fetch_open_aging, narrow)))
right.altair_chart(charts.weekly_trend(cached.call(ticket_flow.fetch_weekly_flow, narrow)))

# Closure quality: tickets closed in ways that deserve a second look.
st.subheader("办结质量")
quality_figures = cached.call(ticket_loop.fetch_closure_quality, narrow)
kpis.row(*(kpis.figure(code, quality_figures) for code in ticket_loop.CLOSURE_QUALITY))

# The tickets behind the numbers.
st.subheader("问题清单（可查）")
# A link from the map names one grid cell (?cell=code&show=open): that cell's tickets.
cell = st.query_params.get("cell")
cell_name = (cached.call(geo.get_cell, cell) or {}).get("name") if cell else None
if cell_name:
    note, clear = st.columns([5, 1], vertical_alignment="center")
    note.text(f"仅显示网格“{cell_name}”的问题")
    if clear.button("显示全部网格", icon=":material/close:"):
        del st.query_params["cell"]
        st.rerun()
linked_show = st.query_params.get("show")
show = st.segmented_control("显示", list(ticket_list.SHOWS), default=linked_show if linked_show
                            in ticket_list.SHOWS else "overdue",
                            format_func=ticket_list.SHOWS.get, key="show", required=True)
stock = show in ("open", "overdue")
rows = cached.call(ticket_list.fetch_tickets, narrow, show, in_period=not stock,
                   grid_cell_code=cell if cell_name else None)
view = tables.ticket_view(rows)
st.caption(f"共 {len(rows):,} 件" + ("（在办与超期不限上报时间）" if stock else "（本期上报）")
           + " · 反映人姓名与电话已脱敏 · 选中一行查看流转记录")
picked_row = st.dataframe(view, hide_index=True, width="stretch", height=380,
                          on_select="rerun", selection_mode="single-row", key="ticket_table")
tables.downloads(view, f"问题清单_{ticket_list.SHOWS[show]}_{fmt.day(f.start)}_{fmt.day(f.end)}",
                 key="tickets")
selected = picked_row.selection.rows if picked_row else []
if selected:
    ticket = rows.iloc[selected[0]]
    history = cached.call(ticket_list.fetch_history, ticket["id"])
    st.markdown(f"**{ticket['id']} · {ticket['title']}** · {ticket['town']} {ticket['grid_cell']}")
    st.dataframe(history.assign(stage=history["stage"].map(lambda s: g.label(g.ALL_EVENTS, s)),
                                at=history["at"].map(fmt.moment)),
                 hide_index=True, column_config={"stage": "环节", "actor": "办理方", "at": "时间"})

quality = cached.call(ticket_loop.fetch_data_quality, f)
if any(quality.values()):
    st.warning(
        "数据质量提示：" + "，".join(f"{label} {quality[k]} 条" for k, label in [
            ("before_report", "早于上报时间的流转记录"), ("skipped_stage", "跳过派单或接单即办结的问题"),
            ("unknown_stage", "未知环节名称的记录"), ("orphan_events", "找不到对应问题的流转记录")]
            if quality[k]) + "。这些记录已按规则计入或剔除，不影响页面其余部分。",
        icon=":material/report:")
else:
    st.caption("数据质量：流转记录时间顺序、环节完整性与环节名称均无异常。")

kpis.definitions([*ticket_loop.LOOP_RATES, *ticket_loop.FUNNEL.values(), *ticket_loop.SLA,
                  *ticket_loop.CLOSURE_QUALITY, "resolved_in_period"])
