"""周例会: one week against the last and the campaign, judged at the meeting's cut-off; the
红黑榜, the lists to follow up, stored snapshots against the live figures, presenter mode
(?present=1&step=N) and the briefing (PowerPoint, Excel) to hand out.

URL: ?week=<a Monday>&cutoff=<ISO date-time>&town=<town name>[&view=live][&present=1&step=N]
"""

import html
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

import streamlit as st

from components import cached, frame, kpis, meeting_screens
from components import format as fmt
from data_access import freshness, meeting
from reports import briefing, charts, views

f = frame.filters("pages/6_meeting.py", "周例会", period=False,  # the week and cut-off are the page's own
                  screen_sized=st.query_params.get("present") == "1")  # presenter screens
names = frame.town_names()
query = st.query_params


def _chosen_week() -> tuple[date, datetime, list[str]]:
    """The week and cut-off from the URL (validated), else the last full week."""
    problems = []
    monday = meeting.last_full_week(frame.data_moment())
    if "week" in query:
        try:
            monday = meeting.parse_week(query["week"])
        except ValueError:
            problems.append("链接中的周次无效（应为某个星期一的日期），已显示上一完整周。")
    cutoff = meeting.default_cutoff(monday)
    if "cutoff" in query:
        try:
            cutoff = meeting.parse_cutoff(query["cutoff"], monday)
        except ValueError:
            problems.append("链接中的截止时点无效，已按该周后的星期一 09:00 计算。")
    return monday, cutoff, problems


def _set_week() -> None:
    day = st.session_state["meeting_week"]
    query["week"] = (day - timedelta(days=day.weekday())).isoformat()
    query.pop("cutoff", None)


def _set_cutoff() -> None:
    moment = datetime.combine(st.session_state["meeting_cutoff_day"],
                              st.session_state["meeting_cutoff_time"])
    query["cutoff"] = moment.isoformat(timespec="minutes")


monday, cutoff, problems = _chosen_week()
mf = meeting.week_filters(monday, cutoff, f.town_code, base=f)
present = query.get("present") == "1"
live = cached.call(meeting.assemble, mf)
stored = cached.call(meeting.get_snapshot, monday, cutoff, f.town_code)
use_stored = stored is not None and query.get("view") != "live"
if use_stored:
    comparison = meeting.comparison_from(stored["figures"])
    boards = meeting.boards_from(stored["figures"])
    source = f"存档（{fmt.moment(stored['stored_at'])} 存档）"
else:
    comparison, boards = live.comparison, live.boards
    source = "实时计算"
steps = views.agenda(live, comparison, boards)
scope = f"{views.scope_text(live, names)} · {views.period_text(live)} · 截止 {fmt.moment(cutoff)}"
link = {"week": monday.isoformat(), "cutoff": cutoff.isoformat(timespec="minutes"),
        **({"town": names[f.town_code]} if f.town_code else {})}


def _briefing_info() -> briefing.About:
    loaded = freshness.data_time(cached.call(freshness.fetch_load_times))
    return briefing.about(live, names, loaded, source)


# --- presenter mode ---------------------------------------------------------------------------

def _step() -> int:
    try:
        return min(max(int(query.get("step", 1)), 1), len(steps))
    except ValueError:
        return 1


def _go(delta: int) -> None:
    query["step"] = str(min(max(_step() + delta, 1), len(steps)))


def _leave() -> None:
    for key in ("present", "step"):
        query.pop(key, None)


if present:
    st.html(meeting_screens.CSS)
    number = _step()
    step = steps[number - 1]
    with st.container(key="meeting_present"):
        # The keys' buttons come first (CSS puts them at the bottom right): a screen with
        # more tables would move them, and a key pressed while they are re-drawn was lost.
        with st.container(key="present_controls", horizontal=True):
            st.button("上一页", key="present_prev", on_click=_go, args=(-1,),
                      shortcut="Left", disabled=number == 1)
            st.button("下一页", key="present_next", on_click=_go, args=(1,),
                      shortcut="Right", disabled=number == len(steps))
            st.button("退出演示", key="present_exit", on_click=_leave)
            st.button("下一页", key="present_pgdn", on_click=_go, args=(1,), shortcut="PageDown")
            st.button("下一页", key="present_space", on_click=_go, args=(1,), shortcut="Space")
            st.button("上一页", key="present_pgup", on_click=_go, args=(-1,), shortcut="PageUp")
        st.html(meeting_screens.header(step.title, f"{scope} · {source}", number, len(steps)))
        if step.key in ("loop", "visits"):
            st.html(meeting_screens.tiles(comparison, step.codes[:len(step.tables[0].frame)]))
        rows = meeting_screens.ROWS // max(1, len(step.tables))
        for table in step.tables:
            st.html(meeting_screens.table(table, rows))
        st.html(meeting_screens.keys_hint())
    st.stop()


# --- the desk view ----------------------------------------------------------------------------

for problem in problems:
    st.warning(problem, icon=":material/link_off:")
st.session_state.setdefault("meeting_week", monday)
st.session_state.setdefault("meeting_cutoff_day", cutoff.date())
st.session_state.setdefault("meeting_cutoff_time", cutoff.time())
pick_week, pick_day, pick_time, actions = st.columns([1.2, 1, 0.8, 2.5],
                                                     vertical_alignment="bottom")
pick_week.date_input("周次（选该周任一天）", key="meeting_week", on_change=_set_week,
                     format="YYYY-MM-DD")
pick_day.date_input("截止日期", key="meeting_cutoff_day", on_change=_set_cutoff,
                    format="YYYY-MM-DD")
pick_time.time_input("截止时间", key="meeting_cutoff_time", on_change=_set_cutoff,
                     step=timedelta(minutes=30))
actions.link_button("演示模式", f"?{urlencode({**link, 'present': '1', 'step': '1'})}",
                    icon=":material/slideshow:")

st.html(f"<div class='cockpit-note'>{html.escape(scope)}。截止时点以后发生的事项一律不计入。"
        "</div>")
stem = briefing.file_stem(live, names)
about = _briefing_info()  # here, in the script run: the files are made in another thread
left, right, share = st.columns([1, 1, 3], vertical_alignment="center")
left.download_button(
    "下载简报 PPT", lambda: briefing.deck_bytes(live, about, comparison, boards),
    file_name=f"{stem}.pptx", on_click="ignore", key="briefing_pptx", icon=":material/slideshow:",
    mime="application/vnd.openxmlformats-officedocument.presentationml.presentation")
right.download_button(
    "下载简报 Excel", lambda: briefing.workbook_bytes(live, about, comparison, boards),
    file_name=f"{stem}.xlsx", on_click="ignore", key="briefing_xlsx", icon=":material/table:",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
here = (st.context.url or "").split("?")[0]  # None in AppTest: the link is then relative
share.code(f"{here}?{urlencode(link)}", language=None)

if stored is None:
    st.info(f"显示：实时计算（截止 {fmt.moment(cutoff)}）。本周次尚无存档：会后可请系统管理员"
            "将本周数字存档，日后再打开本周时显示会上的数字，不受补录数据影响。",
            icon=":material/bolt:")
else:
    diff = meeting.differences(stored["figures"], live.figures())
    shown_as = "存档" if use_stored else "实时计算"
    st.info(f"显示：{shown_as}。本周次于 {fmt.moment(stored['stored_at'])} 存档；"
            + ("存档与实时计算一致。" if diff.empty else
               f"存档后数据有变动，{len(diff)} 项数字与实时计算不同（见下表）。"),
            icon=":material/inventory_2:")
    st.segmented_control("显示", ["存档", "实时计算"], default=shown_as, key="meeting_view",
                         on_change=lambda: query.__setitem__(
                             "view", "live" if st.session_state["meeting_view"] == "实时计算"
                             else "stored"))
    if not diff.empty:
        kinds = ["rate" if c.endswith("_rate") else "count" for c in diff["code"]]
        st.dataframe(
            {"指标": diff["label"], "期间": diff["period"],
             "存档": [views._value(k, v) for k, v in zip(kinds, diff["stored"])],
             "实时计算": [views._value(k, v) for k, v in zip(kinds, diff["live"])],
             "差异": [views._value("points" if k == "rate" else "signed", v)
                    for k, v in zip(kinds, diff["difference"])]},
            hide_index=True, key="meeting_diff")

for step in steps:
    st.subheader(step.title)
    if step.key in ("loop", "visits"):
        rows = comparison.set_index("code")
        codes = step.codes[:len(step.tables[0].frame)]
        kpis.row(*(kpis.figure(c, {c: rows.at[c, "this_week"]}) for c in codes))
    body, chart = (st.columns([3, 2]) if step.chart else (st.container(), None))
    for table in step.tables:
        if len(step.tables) > 1:
            body.markdown(f"**{table.title}**")
        shown = views.shown(table)
        if shown.empty:
            body.caption(table.nothing())
        else:
            body.dataframe(shown, hide_index=True, key=f"meeting_{table.name}")
        if table.note:
            body.caption(table.note)
    if chart is not None and step.chart == "comparison":
        chart.altair_chart(charts.comparison(comparison, charts.DARK), theme=None)
    elif chart is not None:
        key = step.chart.removeprefix("board:")
        chart.altair_chart(charts.board(boards[key], key.split(":")[1], charts.DARK),
                           theme=None)
kpis.definitions(views.agenda_codes(steps))
