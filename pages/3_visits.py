"""走访覆盖: which officers and levels fall behind, which targets nobody visited, the diaries.

A click on a level's bar filters the page to that level's officers (?level=district_leader),
a click on a target group's bar to that group's targets (?target_group=above_scale): every
figure, chart and table is then asked of data_access for that slice (coverage functions take
`level=` and `target_group=`); a click on a town's bar switches the cockpit to that town. All
are named at the top with a clear button. On a period longer than 30 days the gaps of the
last 30 days stand beside the period's (a long period hides them: every pair was visited at some point).
"""

from datetime import timedelta

import streamlit as st

from components import cached, charts, crossfilter, frame, kpis, links, tables, urlstate
from components import format as fmt
from data_access import coverage, ticket_list
from data_access import glossary as g
from data_access.filters import Filters

f = frame.filters("pages/3_visits.py", "走访覆盖")
MIN_HEATMAP_WEEKS = 8
HEATMAP_ROWS = 30
towns = frame.town_names()
DIMS = {"level": ("联系层级", g.LEVELS), "target_group": ("对象类型", coverage.TARGET_GROUPS),
        crossfilter.TOWN: ("镇(乡)街道", towns)}
vocabularies = {d: vocab for d, (_, vocab) in DIMS.items()}
crossfilter.follow_clicks(vocabularies)
picked = crossfilter.chosen(vocabularies, f)
crossfilter.banner(picked, DIMS)
level, group = picked.get("level"), picked.get("target_group")
chosen = {"level": level, "target_group": group}  # the slice every query below is asked for

tiles = st.container()  # filled below, once the warning line is known
note, setting = st.columns([5, 1], vertical_alignment="center")
threshold = setting.popover("预警线设置", icon=":material/tune:").slider(
    "覆盖率预警线", 0, 100, 60, step=5, format="%d%%", key="threshold", bind="query-params") / 100
note.caption(f"覆盖率预警线 {fmt.pct(threshold)} · 红色为低于预警线")
with tiles, st.spinner("正在计算…"):
    head = cached.call(coverage.fetch_headline, f, **chosen)
    officers = cached.call(coverage.fetch_officer_coverage, f, **chosen)
    gaps = cached.call(coverage.fetch_unvisited_targets, f, **chosen)
    mix = cached.call(coverage.fetch_diary_mix, f, **chosen)
lagging = officers[officers["coverage_rate"] < threshold]
complete_rate = mix["complete"].sum() / mix["visits"].sum() if mix["visits"].sum() else None
kpis.row(
    kpis.figure("visits", head), kpis.figure("coverage_rate", head), kpis.figure("assigned", head),
    ("未走访对象", fmt.count(len(gaps)), "本期无任何联系干部走访的对象"),
    ("低于预警线的干部", fmt.count(len(lagging)), f"本期覆盖率低于 {fmt.pct(threshold)} 的干部"),
    ("“三带走三留下”完整率", fmt.pct(complete_rate), "六项记录齐全的走访 ÷ 全部走访"),
    where=tiles)

if f.days > 30:  # a long period hides gaps: the last 30 days' stand beside it
    recent = Filters.for_period("last_30_days", frame.data_moment(), town_code=f.town_code)
    with st.spinner("正在计算近30天的缺口…"):
        recent_gaps = len(cached.call(coverage.fetch_unvisited_targets, recent, **chosen))
        recent_officers = cached.call(coverage.fetch_officer_pairs, recent, **chosen)
    recent_lagging = int((recent_officers["coverage_rate"] < threshold).sum())
    hint, switch = st.columns([5, 1], vertical_alignment="center")
    hint.info(f"本期长达 {f.days} 天，缺口容易被掩盖。近30天：未走访对象 {fmt.count(recent_gaps)} 个，"
              f"覆盖率低于预警线的干部 {fmt.count(recent_lagging)} 名。",
              icon=":material/lightbulb:")
    if switch.button("看近30天", icon=":material/event:"):
        frame.request_period("last_30_days")

by_level, by_kind, by_town = st.columns([1, 1, 1.3], gap="large")
by_level.subheader("按联系层级")
levels = cached.call(coverage.fetch_coverage_by, f, "level", target_group=group)
by_level.altair_chart(charts.coverage_bars(levels, g.LEVELS, threshold, chosen=level),
                      **({"on_select": "rerun", "key": crossfilter.key("level")}
                         if len(levels) else {}))
by_level.caption("点击条形只看该层级的干部")
by_kind.subheader("按对象类型")
kinds = cached.call(coverage.fetch_coverage_by, f, "target_group", level=level)
by_kind.altair_chart(charts.coverage_bars(kinds, coverage.TARGET_GROUPS, threshold, chosen=group),
                     **({"on_select": "rerun", "key": crossfilter.key("target_group")}
                        if len(kinds) else {}))
by_kind.caption("点击条形只看该类型的联系对象")
by_town.subheader("按镇(乡)街道")
by_towns = cached.call(coverage.fetch_coverage_by, f.with_town(None), "town_code", **chosen)
by_town.altair_chart(charts.coverage_bars(by_towns, towns, threshold, row_height=24,
                                          chosen=f.town_code),
                     **({"on_select": "rerun", "key": crossfilter.key(crossfilter.TOWN)}
                        if len(by_towns) else {}))

st.subheader("干部走访情况")
with st.columns([1, 2])[1]:
    search = urlstate.choice(st.text_input, "who", None, "", label="搜索干部或部门",
                             placeholder="输入姓名或部门").strip()
shown = officers
if search:
    shown = shown[shown["officer"].str.contains(search, regex=False)
                  | shown["department"].str.contains(search, regex=False)]
view = shown.assign(level=shown["level"].map(g.LEVELS.get), town=shown["town"].fillna("区级"),
                    last_visit_at=shown["last_visit_at"].map(fmt.moment))
columns = {"officer": "干部", "level": "层级", "department": "部门", "town": "镇(乡)街道",
           "assigned": "联系对象", "visited": "已走访对象", "coverage_rate": "覆盖率",
           "visits": "走访次数", "last_visit_at": "最近走访", "problems_raised": "收集问题",
           "tickets": "转为工单", "tickets_resolved": "已解决"}
view = view[list(columns)]
counts = ["assigned", "visited", "visits", "problems_raised", "tickets", "tickets_resolved"]
lagging_ids = set(lagging["officer_id"])
if view.empty:
    st.caption("没有符合条件的干部。")
else:
    flagged = dict(zip(view.index, shown["officer_id"].isin(lagging_ids)))
    st.dataframe(
        view.assign(coverage_rate=view["coverage_rate"] * 100).style.apply(
            lambda row: ["color: #FF6B6B" if flagged[row.name] else ""] * len(row), axis=1),
        hide_index=True, width="stretch", height=360,
        column_config={k: v for k, v in columns.items() if k not in ("coverage_rate", *counts)}
        | {c: st.column_config.NumberColumn(columns[c], format=fmt.TABLE_COUNT) for c in counts}
        | {"coverage_rate": st.column_config.ProgressColumn(
            "覆盖率", min_value=0, max_value=100, format=fmt.TABLE_PCT)})
st.caption(f"{fmt.count(len(shown))} 名干部，覆盖率从低到高；红字为低于预警线。点击表头可排序。")
scope = [towns.get(f.town_code, "全区"), g.LEVELS.get(level, ""),
         coverage.TARGET_GROUPS.get(group, ""), search]
tables.downloads(
    view.rename(columns=columns),
    tables.export_name("干部走访", *scope, f"{fmt.day(f.start)}至{fmt.day(f.end)}"),
    key="officers",
    notes=["导出内容：干部走访情况", f"时间范围：{fmt.day(f.start)} 至 {fmt.day(f.end)}",
           f"镇(乡)街道：{scope[0]}", f"联系层级：{scope[1] or '全部'}",
           f"对象类型：{scope[2] or '全部'}",
           f"搜索：{search or '无'}", f"覆盖率预警线：{fmt.pct(threshold)}",
           frame.data_time_note()],
    codes=["coverage_rate", "assigned", "visited", "visits"])

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader(f"走访热力图 · 覆盖率最低的 {HEATMAP_ROWS} 名干部")
    span = f if f.days >= 7 * MIN_HEATMAP_WEEKS else Filters.between(
        f.end - timedelta(weeks=MIN_HEATMAP_WEEKS) + timedelta(days=1), f.end, f.as_of,
        town_code=f.town_code)
    rows = shown.head(HEATMAP_ROWS)
    labels = {r.officer_id: f"{r.officer}（{g.label(g.LEVELS, r.level)}）" for r in rows.itertuples()}
    weekly = cached.call(coverage.fetch_weekly_visits, span, list(labels), target_group=group)
    if labels:
        st.altair_chart(charts.visit_heatmap(weekly.assign(officer=weekly["officer_id"].map(labels)),
                                             list(labels.values())))
with right:
    st.subheader("走访日记类型与记录完整性")
    st.altair_chart(charts.diary_mix(mix))

st.subheader("未走访的联系对象")
left, right = st.columns([1, 3], gap="large")
by_town_gap = cached.call(coverage.fetch_gaps_by_town, f, **chosen)[["town", "unvisited"]]
tables.show(left, by_town_gap.sort_values("unvisited", ascending=False).rename(
    columns={"town": "镇(乡)街道", "unvisited": "未走访对象"}), "本期没有未走访的联系对象。",
    hide_index=True, width="stretch", height=200)
by_officer_gap = cached.call(coverage.fetch_gaps_by_officer, f, **chosen)
tables.show(left, by_officer_gap[["officer", "department", "unvisited"]].rename(
    columns={"officer": "联系干部", "department": "部门", "unvisited": "未走访对象"}),
    "本期没有未走访的联系对象。", hide_index=True, width="stretch", height=200)
gap_view = gaps.assign(kind=gaps["kind"].map(coverage.TARGET_GROUPS.get))
gap_columns = {"target": "联系对象", "kind": "类型", "town": "镇(乡)街道", "grid_cell": "网格",
               "officers": "联系干部"}
tables.show(right, gap_view[list(gap_columns)].fillna(fmt.NOTHING).rename(columns=gap_columns),
            "本期没有未走访的联系对象。", hide_index=True, width="stretch", height=320)
if frame.has_page("pages/1_map.py"):
    links.map_link(right, "在地图上查看这些对象", layers=links.map_layers("gaps"))

st.subheader("干部个人视图")
choices = cached.call(coverage.list_officers, f, **chosen)
names = {r.officer_id: f"{r.officer} · {g.label(g.LEVELS, r.level)} · {r.department}"
         for r in choices.itertuples()}
officer_id = urlstate.choice(st.selectbox, "officer", list(names), None, label="选择干部",
                            options=list(names), format_func=names.get,
                            placeholder="输入姓名搜索")
if officer_id:
    mine = cached.call(coverage.fetch_officer_targets, f, officer_id)
    trips = cached.call(coverage.fetch_officer_visits, f, officer_id)
    raised = cached.call(ticket_list.fetch_tickets, f, "all", in_period=False,
                         officer_id=officer_id)
    a, b, c = st.columns(3, gap="large")
    a.markdown(f"**联系对象**（{len(mine)} 个，本期已走访 {int((mine['visits'] > 0).sum())} 个）")
    tables.show(a, mine.assign(kind=mine["kind"].map(coverage.TARGET_GROUPS.get),
                            role=mine["role"].map(g.ROLES.get),
                            last_visit_at=mine["last_visit_at"].map(fmt.moment))
                [["target", "kind", "role", "visits", "last_visit_at"]], "没有联系对象。",
                hide_index=True, width="stretch",
                column_config={"target": "对象", "kind": "类型", "role": "角色",
                               "visits": "本期走访", "last_visit_at": "最近走访"})
    b.markdown(f"**本期走访**（{len(trips)} 次）")
    tables.show(b, trips.assign(diary_type=trips["diary_type"].map(g.DIARY_TYPES.get),
                             visited_at=trips["visited_at"].map(fmt.moment),
                             record_complete=trips["record_complete"].map({True: "完整",
                                                                           False: "不全"}))
                [["visited_at", "target", "diary_type", "problems_raised", "tickets",
                  "record_complete"]], "本期没有走访记录。",
                hide_index=True, width="stretch",
                column_config={"visited_at": "时间", "target": "对象", "diary_type": "日记",
                               "problems_raised": "问题", "tickets": "工单",
                               "record_complete": "三带走三留下"})
    c.markdown(f"**走访中收集的问题**（{len(raised)} 件，累计）")
    tables.show(c, tables.ticket_view(raised)[["编号", "问题", "当前环节", "上报时间"]],
                "没有走访中收集的问题。", hide_index=True, width="stretch",
                column_config=tables.ticket_columns())

kpis.definitions(["visits", "coverage_rate", "assigned", "visited"])
