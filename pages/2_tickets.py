"""问题流转: where tickets stop in the closed loop, who lets them age, and the tickets behind.

A click on a breakdown bar filters the whole page (tiles included); the choice is a code in
the URL (?category=livelihood), named at the top with a clear button (components.crossfilter).
"""

import streamlit as st

from components import cached, charts, crossfilter, frame, kpis, tables, urlstate
from components import format as fmt
from data_access import figures, geo, ticket_flow, ticket_list, ticket_loop
from data_access import glossary as g

f = frame.filters("pages/2_tickets.py", "问题流转")

# The stage table counts every ticket that took a step at least once, reopened ones too; the
# funnel's 办结 counts those still resolved: the two differ by the reopened tickets.
STAGE_COUNT = "走过这一步的问题数（含后来重办的）"
STAGE_NOTE = ("问题数按至少走过一次该环节计：“接单 → 办结”一行即"
              f"{figures.FIGURES['ever_resolved'].label}的问题，含办结后又被"
              f"{g.SIDE_EVENTS['reopened']}的，故可多于闭环流转图中的办结数。")
towns = frame.town_names()
departments = cached.call(ticket_list.list_departments)
DIMS = {"category": ("问题类别", g.CATEGORIES), "source": ("来源渠道", g.SOURCES),
        crossfilter.TOWN: ("镇(乡)街道", towns),
        "department": ("责任部门", {d: d for d in departments}),
        "task_force": ("工作专班", g.TASK_FORCES)}
vocabularies = {d: vocab for d, (_, vocab) in DIMS.items()}
crossfilter.follow_clicks(vocabularies)
picked = crossfilter.chosen(vocabularies, f)
crossfilter.banner(picked, DIMS)
narrow = f.narrowed(**picked)

# Headline: the seed's figures and the loop's rates, for the page's filters.
with st.spinner("正在计算…"):
    loop = cached.call(ticket_loop.fetch_loop_figures, narrow)  # tiles and funnel at once
    kpis.row(*(kpis.figure(code, loop) for code in ticket_loop.LOOP_RATES))

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("闭环流转：" + " → ".join(g.STAGES[s] for s in ticket_loop.FUNNEL))
        st.altair_chart(charts.funnel(ticket_loop.funnel(loop)))
    with right:
        st.subheader("各环节停留时间（中位数）")
        hours = cached.call(ticket_loop.fetch_stage_hours, narrow)
        st.table(hours.assign(
            stage=[f"{g.STAGES[a]} → {g.STAGES[b]}" for a, b in
                   zip(ticket_loop.FUNNEL, list(ticket_loop.FUNNEL)[1:])],
            median_hours=hours["median_hours"].map(fmt.hours_as_days),
            tickets=hours["tickets"].map(fmt.count))
            .rename(columns={"stage": "环节", "median_hours": "中位时长",
                             "tickets": STAGE_COUNT}).set_index("环节"))
        st.caption(STAGE_NOTE)

# Breakdowns: a click filters the whole page; each chart shows the other choices' tickets.
st.subheader("分类分析（点击条形筛选整页，再次点击取消）")
asked = tuple((dim, (f.with_town(None) if dim == crossfilter.TOWN else f).narrowed(
    **{d: c for d, c in picked.items() if d != dim})) for dim in DIMS)
with st.spinner("正在计算…"):
    breakdowns = cached.call(ticket_loop.fetch_breakdowns, asked)  # alike filters: together
for col, (dim, (title, labels)) in zip(st.columns(len(DIMS)), DIMS.items()):
    col.markdown(f"**{title}**")
    data = breakdowns[dim]
    if dim == "task_force":
        unassigned = int(data.loc[data["key"].isna(), "collected"].sum())
        data = data[data["key"].notna()]
    chart = charts.breakdown(data, labels, chosen=picked.get(dim))
    if data.empty:
        col.altair_chart(chart)  # 本期无数据: nothing to click
    else:
        col.altair_chart(chart, on_select="rerun", key=crossfilter.key(dim))
    if dim == "task_force":
        col.caption(f"未列入工作专班的问题 {fmt.count(unassigned)} 件不在图中。")

# Service level: the stock of open tickets and how old they are.
st.subheader("时限与督办")
with st.spinner("正在计算…"):
    kpis.row(*(kpis.figure(code, loop) for code in ticket_loop.SLA))
    left, right = st.columns([2, 3], gap="large")
    left.altair_chart(charts.aging(cached.call(ticket_loop.fetch_open_aging, narrow)))
    right.altair_chart(charts.weekly_trend(cached.call(ticket_flow.fetch_weekly_flow, narrow)))

# Closure quality: tickets closed in ways that deserve a second look.
st.subheader("办结质量")
with st.spinner("正在计算…"):
    kpis.row(*(kpis.figure(code, loop) for code in ticket_loop.CLOSURE_QUALITY))

# The tickets behind the numbers.
st.subheader("问题清单（可查）")
# A link from the map names one grid cell (?cell=code&show=open): that cell's tickets.
cell = st.query_params.get("cell")
cell_name = (cached.call(geo.get_cell, cell, scope_town=f.scope_town) or {}).get("name") \
    if cell else None
if cell_name:
    note, clear = st.columns([5, 1], vertical_alignment="center")
    note.text(f"仅显示网格“{cell_name}”的问题")
    if clear.button("显示全部网格", icon=":material/close:"):
        del st.query_params["cell"]
        st.rerun()
mode, find = st.columns([3, 2], vertical_alignment="bottom")
with mode:
    show = urlstate.choice(st.segmented_control, "show", list(ticket_list.SHOWS), "overdue",
                           label="显示", options=list(ticket_list.SHOWS),
                           format_func=ticket_list.SHOWS.get, required=True)
with find:
    search = urlstate.choice(st.text_input, "q", None, "",
                             label="搜索问题（编号、标题、地点或责任部门）",
                             placeholder="例如：停车、区住建局、章水镇",
                             max_chars=ticket_list.SEARCH_MAX).strip()
stock = show in ("open", "overdue")
with st.spinner("正在查询问题清单…"):
    rows = cached.call(ticket_list.fetch_tickets, narrow, show, in_period=not stock,
                       grid_cell_code=cell if cell_name else None, search=search or None)
revealed = frame.reveal_toggle()
view = tables.ticket_view(rows, reveal=revealed)
st.caption(f"共 {fmt.count(len(rows))} 件" + ("（在办与超期不限上报时间）" if stock else "（本期上报）")
           + (f"，含{fmt.md_literal(search)}" if search else "")
           + (" · 正在显示反映人完整信息" if revealed else " · 反映人姓名与电话已脱敏")
           + " · 选中一行查看流转记录")
picked_row = tables.show(st, view, "没有符合条件的问题。", hide_index=True, width="stretch",
                         height=380, on_select="rerun", selection_mode="single-row",
                         key="ticket_table", column_config=tables.ticket_columns())
choices = [f"{DIMS[d][0]}：{DIMS[d][1].get(c, c)}" for d, c in picked.items()]
if cell_name:
    choices.append(f"网格：{cell_name}")
if search:
    choices.append(f"搜索：{search}")
where = towns.get(f.town_code, "全区")
tables.downloads(
    tables.ticket_view(rows),  # exports are always masked
    tables.export_name("问题清单", ticket_list.SHOWS[show], where,
                       *(c.split("：", 1)[1] for c in choices),
                       f"{fmt.day(f.start)}至{fmt.day(f.end)}"),
    key="tickets",
    notes=[f"导出内容：问题清单（{ticket_list.SHOWS[show]}）",
           f"时间范围：{fmt.day(f.start)} 至 {fmt.day(f.end)}"
           + ("（在办与超期不限上报时间）" if stock else "（本期上报）"),
           f"镇(乡)街道：{where}", "筛选条件：" + ("，".join(choices) if choices else "无"),
           frame.data_time_note(), f"共 {len(rows)} 件；反映人姓名与电话已脱敏"],
    codes=[show] if show in ticket_loop.SLA + ticket_loop.CLOSURE_QUALITY else [])
selected = picked_row.selection.rows if picked_row else []
if selected:
    ticket = rows.iloc[selected[0]]
    history = fmt.mask_history(cached.call(ticket_list.fetch_history, ticket["id"],
                                           scope_town=f.scope_town))
    st.text(f"{ticket['id']} · {fmt.mask_text(ticket['title'])} · {ticket['town']} "
            f"{ticket['grid_cell'] if isinstance(ticket['grid_cell'], str) else ''}")
    st.dataframe(history.assign(stage=history["stage"].map(lambda s: g.label(g.ALL_EVENTS, s)),
                                at=history["at"].map(fmt.moment)),
                 hide_index=True, column_config={"stage": "环节", "actor": "办理方", "at": "时间"})

quality = cached.call(ticket_loop.fetch_data_quality, narrow)
if any(quality.values()):
    st.warning(
        "数据质量提示：" + "，".join(f"{label} {fmt.count(quality[k])} 条" for k, label in [
            ("before_report", "早于上报时间的流转记录"), ("skipped_stage", "跳过派单或接单即办结的问题"),
            ("unknown_stage", "未知环节名称的记录"), ("orphan_events", "找不到对应问题的流转记录")]
            if quality[k]) + "。这些记录已按规则计入或剔除，不影响页面其余部分。",
        icon=":material/report:")
else:
    st.caption("数据质量：流转记录时间顺序、环节完整性与环节名称均无异常。")
if frame.has_page("pages/7_data_quality.py"):
    st.page_link("pages/7_data_quality.py", label="数据质量明细：各数据表的问题记录及其主键",
                 icon=":material/fact_check:")

kpis.definitions([*ticket_loop.LOOP_RATES, *ticket_loop.FUNNEL.values(), *ticket_loop.SLA,
                  *ticket_loop.CLOSURE_QUALITY, "resolved_in_period"])
