"""专项工作: the campaign's programmes and service channels, one view each (chosen by a
control whose choice is in the URL, ?programme=open_space), with their seed figures."""

import streamlit as st

from components import cached, charts, frame, kpis, links, tables, urlstate
from components import format as fmt
from data_access import channels, figures, geo, ticket_loop
from data_access import glossary as g
from data_access import programmes as p

f = frame.filters("pages/4_programmes.py", "专项工作")
towns = frame.town_names()
keep = {k: v for k, v in st.query_params.to_dict().items() if k in ("period", "town")}
SHOWN = ["clinic_points", "clinic_visits", "clinic_stops", "agent_cases", "old_compounds",
         "upgraded_compounds", "lifts_installed", "open_space_sessions", "open_space_participants",
         "open_space_raised", "open_space_solved", "red_helpers", "red_helper_solved",
         "site_projects", "site_issues", "site_issues_resolved", "site_issues_open",
         "supervision_items", "supervision_completed", "supervision_in_progress",
         "supervision_overdue"]
values = cached.call(figures.headline, f, SHOWN)


def tiles(codes: list[str], *more) -> None:
    """A row of registry figures (and other tiles: label, value, help)."""
    shown.extend(codes)
    kpis.row(*(kpis.figure(code, values) for code in codes), *more)


def related(layers: list[str] | None = None, source: str | None = None):
    """Links to the map (these places) and to the ticket page (these tickets)."""
    cols = st.columns(4)
    if layers:
        links.map_link(cols[0], layers=layers)
    if source:
        cols[1].page_link("pages/2_tickets.py", label=f"查看来自“{g.SOURCES[source]}”的问题",
                          icon=":material/account_tree:", query_params=keep | {"source": source})


PROGRAMMES = {"mountain": "高山服务", "compounds": "老小区", "open_space": "开放空间",
              "red_helper": "红色帮办员", "site_secretary": "工地书记", "supervision": "监督问效",
              "hotline": "81890服务", "direct_line": "政企直通车"}
chosen = urlstate.choice(st.segmented_control, "programme", list(PROGRAMMES), "mountain",
                         label="专项工作", options=list(PROGRAMMES), format_func=PROGRAMMES.get,
                         required=True, label_visibility="collapsed")
shown: list[str] = []  # the figures of the chosen view, for the 指标口径 box

if chosen == "mountain":
    points = cached.call(geo.fetch_clinic_points, f)
    agents = cached.call(p.fetch_agent_services, f)
    tiles(["clinic_points", "clinic_visits", "clinic_stops", "agent_cases"])
    left, right = st.columns(2, gap="large")
    left.markdown("**巡回医疗人次 · 按月**")
    left.altair_chart(charts.monthly(cached.call(p.fetch_clinic_monthly, f), "person_visits",
                                     "town_code", "服务人次", towns))
    right.markdown("**代办事项 · 按月**")
    right.altair_chart(charts.monthly(agents, "cases", "item", "代办件数", g.AGENT_ITEMS))
    tables.show(st, points.assign(town=points["town_code"].map(towns))[
        ["name", "town", "villages", "schedule", "stops", "person_visits"]],
        "这里没有巡回医疗服务点。", hide_index=True, width="stretch",
        column_config={"name": "服务点", "town": "镇(乡)", "villages": "服务村", "schedule": "巡回安排",
                       "stops": "本期巡回次数", "person_visits": "本期服务人次"})
    related(layers=["cells", "towns", "names", "clinics"])

if chosen == "compounds":
    stages = cached.call(p.fetch_compound_stages, f)
    items = cached.call(p.fetch_enforcement_items)
    tiles(["old_compounds", "upgraded_compounds", "lifts_installed"],
          ("执法进小区清单", f"{items['category'].nunique()} 大类 {len(items)} 项",
           "住建、综合执法、公安、市场监管联合执法事项"))
    left, right = st.columns(2, gap="large")
    left.markdown("**改造阶段**")
    left.altair_chart(charts.bars(stages, "renovation_stage", "compounds", "小区数",
                                  g.RENOVATION_STAGES, colour=charts.GREEN))
    right.markdown("**执法进小区清单 · 按类别**")
    right.altair_chart(charts.bars(items.groupby("category", as_index=False).size(),
                                   "category", "size", "事项数"))
    listed = cached.call(p.fetch_compound_list, f)
    tables.show(st, listed.assign(town=listed["town_code"].map(towns),
                               renovation_stage=listed["renovation_stage"].map(
                                   g.RENOVATION_STAGES.get),
                               property_upgrade_done=listed["property_upgrade_done"].map(
                                   {True: "已完成", False: "否"}))[
        ["name", "town", "built_year", "households", "renovation_stage",
         "property_upgrade_done", "lifts_installed"]],
        "这里没有2000年前建成的老小区。", hide_index=True, width="stretch", height=300,
        column_config={"name": "小区", "town": "街道", "built_year": "建成年份",
                       "households": st.column_config.NumberColumn(
                           "户数", format=fmt.TABLE_COUNT),
                       "renovation_stage": "改造阶段",
                       "property_upgrade_done": "物业提价提质", "lifts_installed": "加装电梯"})
    with st.expander(f"执法进小区清单（{len(items)} 项）与责任部门"):
        tables.show(st, items[["category", "name", "department"]], "执法进小区清单暂无事项。",
                    hide_index=True, width="stretch",
                     column_config={"category": "类别", "name": "事项", "department": "责任部门"})
    related(layers=["cells", "towns", "names", "compounds"])

if chosen == "open_space":
    themes = cached.call(p.fetch_open_space_themes, f)
    people = themes[["residents", "committee_members", "firms", "party_members"]].sum()
    tiles(["open_space_sessions", "open_space_participants", "open_space_raised",
           "open_space_solved"])
    left, right = st.columns(2, gap="large")
    left.markdown("**解决问题 · 按议题**")
    left.altair_chart(charts.bars(themes, "theme", "problems_solved", "解决问题",
                                  g.OPEN_SPACE_THEMES, colour=charts.GREEN))
    right.markdown("**参与者构成**")
    right.altair_chart(charts.bars(
        people.rename_axis("kind").reset_index(name="n"), "kind", "n", "参与人次",
        {"residents": "居民群众", "committee_members": "业委会", "firms": "辖区企业与物业",
         "party_members": "党员"}))
    related(source="open_space")

if chosen == "red_helper":
    kinds = cached.call(p.fetch_red_helper_work, f, "service_kind")
    tiles(["red_helpers", "red_helper_solved"],
          ("服务类别", fmt.count(len(kinds)), "党建帮强、政策帮享、市场帮需、人才帮育、管理帮优"))
    left, right = st.columns(2, gap="large")
    left.markdown("**解决问题 · 按服务类别**")
    left.altair_chart(charts.bars(kinds, "key", "problems_solved", "解决问题",
                                  g.RED_HELPER_KINDS, colour=charts.RED))
    right.markdown("**解决问题 · 按镇(乡)街道**")
    right.altair_chart(charts.bars(cached.call(p.fetch_red_helper_work, f, "town"), "key",
                                   "problems_solved", "解决问题", towns, row_height=24))
    firms = cached.call(p.fetch_red_helper_work, f, "firm")
    tables.show(st, firms.head(50), "本期没有红色帮办员帮办的企业。",
                hide_index=True, width="stretch", height=260,
                 column_config={"key": "企业", "helpers": "帮办员", "problems_solved": "解决问题"})
    related(source="red_helper")

if chosen == "site_secretary":
    projects = cached.call(p.fetch_site_projects, f)
    kinds = cached.call(p.fetch_site_issue_kinds, f)
    tiles(["site_projects", "site_issues", "site_issues_resolved", "site_issues_open"])
    left, right = st.columns(2, gap="large")
    left.markdown("**协调问题 · 按类型**")
    left.altair_chart(charts.bars(kinds, "kind", "issues", "问题数", g.SITE_ISSUE_KINDS,
                                  colour=charts.AMBER))
    right.markdown("**项目 · 有在办问题的优先**")
    tables.show(right, projects.assign(kind=projects["kind"].map(g.SITE_PROJECT_KINDS.get),
                                       town=projects["town_code"].map(towns))[
        ["name", "kind", "town", "secretary", "issues", "resolved", "open"]],
        "这里没有工地书记联系的项目。", hide_index=True, width="stretch", height=320,
        column_config={"name": "项目", "kind": "类型", "town": "镇(乡)街道", "secretary": "工地书记",
                       "issues": "本期问题", "resolved": "已解决", "open": "在办"})
    related(source="site_secretary")

if chosen == "supervision":
    items = cached.call(p.fetch_supervision_items, f)
    tiles(["supervision_items", "supervision_completed", "supervision_in_progress",
           "supervision_overdue"])
    st.caption("监督问效项目不分镇(乡)街道，镇街筛选对本页签不起作用。" if f.town_code else "")
    tables.show(st, items.assign(focus=items["focus"].map(g.SUPERVISION_FOCUS.get),
                              status=items["status"].map(g.SUPERVISION_STATUS.get),
                              deadline=items["deadline"].map(fmt.day),
                              completed_on=items["completed_on"].map(fmt.day),
                              overdue=items["overdue"].map({True: "逾期", False: ""}))[
        ["title", "focus", "owner", "deadline", "status", "completed_on", "overdue"]]
        .style.apply(lambda row: ["color: #FF6B6B" if row["overdue"] else ""] * len(row), axis=1),
        "本期没有监督问效项目。", hide_index=True, width="stretch", height=420,
        column_config={"title": "监督项目", "focus": "重点", "owner": "责任单位", "deadline": "时限",
                       "status": "状态", "completed_on": "完成日期", "overdue": "逾期"})

if chosen == "hotline":
    with st.spinner("正在计算…"):
        hotline = cached.call(figures.headline, f, ["hotline_services"])
        mix = cached.call(channels.fetch_hotline_mix, f)
    top = mix.sort_values("hotline_services", ascending=False).iloc[0]
    shown.append("hotline_services")
    kpis.row(kpis.figure("hotline_services", hotline),
             ("服务类型", fmt.count(len(mix)), "求助、家政、维修、咨询、养老五类服务"),
             ("最多的服务类型", g.HOTLINE_TYPES[top["service_type"]] if top["hotline_services"]
              else fmt.NOTHING, "本期服务量最多的服务类型"),
             ("其占比", fmt.pct(top["share"]), "该类服务量 ÷ 81890服务量"))
    left, right = st.columns([2, 3], gap="large")
    left.markdown("**服务量 · 按服务类型**")
    left.altair_chart(charts.hotline_mix(mix))
    right.markdown("**服务量 · 按周、按服务类型**")
    right.altair_chart(charts.hotline_weekly(cached.call(channels.fetch_hotline_weekly, f)))
    related(source="hotline_81890")

if chosen == "direct_line":
    with st.spinner("正在计算…"):
        direct = cached.call(channels.fetch_direct_line_figures, f)
    shown.extend(channels.DIRECT_LINE_FIGURES)
    st.caption("政企直通车：企业通过直通车提交的问题（来源渠道为“政企直通车”的问题），口径与问题流转页相同。")
    kpis.row(*(kpis.figure(code, direct) for code in channels.DIRECT_LINE_FIGURES[:5]),
             ("办结用时（中位数）", fmt.days(direct["median_days_to_resolve"]),
              "本期上报且已解决的直通车问题，自上报至最后一次办结的天数的中位数。"))
    left, right = st.columns(2, gap="large")
    by_kind = cached.call(channels.fetch_direct_line_by, f, "category")
    by_department = cached.call(channels.fetch_direct_line_by, f, "department")
    left.markdown("**企业反映的问题 · 按类别**（颜色为化解率）")
    left.altair_chart(charts.breakdown(by_kind, g.CATEGORIES))
    right.markdown("**企业反映的问题 · 按责任部门**（颜色为化解率）")
    right.altair_chart(charts.breakdown(by_department.head(15), {}))
    columns = ["key", *ticket_loop.BREAKDOWN_FIGURES]
    tables.show(st, tables.figure_frame(by_department[columns]).rename(columns={"key": "department"}),
                "本期没有来自政企直通车的问题。", hide_index=True, width="stretch", height=300,
                column_config=tables.figure_columns(["department", *columns[1:]]))
    related(source="direct_line")

kpis.definitions(dict.fromkeys(shown))
