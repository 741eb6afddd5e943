"""The shared frame: the one call every page makes first.

It sets the page configuration and the wall-screen styling, opens the database (building
the sample on a fresh machine, or saying clearly why the configured one cannot serve),
draws the navigation and the filter bar whose state lives in the URL, and returns the
page's Filters. `?wall=1` on any page opens the wall screen (pages/5_wall.py): no
navigation or widgets; it rotates and refreshes itself inside the session.
"""

import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from components import auth, cached, wall
from components import format as fmt
from data_access import db, freshness, places
from data_access.filters import CAMPAIGN, PERIODS, Filters

APP_TITLE = "海曙区“三服务”领导驾驶舱"
PERIOD_OPTIONS = PERIODS  # 活动以来 first: the campaign is the default view
ALL_TOWNS = "海曙区（全区）"
PENDING = "_frame_pending"  # filter changes a page asked for, applied on the next run
FAVICON = str(Path(__file__).with_name("favicon.png"))


@dataclass(frozen=True)
class Page:
    script: str
    label: str
    icon: str
    url_path: str  # what Streamlit serves it under: "" for the home page


# The navigation, in screen order. A page is listed here once it works.
PAGES = [
    Page("app.py", "总览", ":material/dashboard:", ""),
    Page("pages/1_map.py", "地图", ":material/map:", "map"),
    Page("pages/2_tickets.py", "问题流转", ":material/account_tree:", "tickets"),
    Page("pages/3_visits.py", "走访覆盖", ":material/directions_walk:", "visits"),
    Page("pages/4_programmes.py", "专项工作", ":material/volunteer_activism:", "programmes"),
    Page("pages/6_meeting.py", "周例会", ":material/groups:", "meeting"),
    Page("pages/7_data_quality.py", "数据质量", ":material/fact_check:", "data_quality"),
]

CSS = """
<style>
.block-container { padding-top: 1.2rem; padding-bottom: 1rem; max-width: 100%; }
header[data-testid="stHeader"] { height: 0; }
[data-testid="stMetricValue"] { font-size: 2.4rem; font-weight: 700; }
[data-testid="stMetricLabel"] p { font-size: 1.05rem; }
h1 { font-size: 2.1rem !important; }
.cockpit-note { color: #8FA3BF; font-size: 0.95rem; }
button[data-baseweb="tab"] p { font-size: 1.2rem; }
[data-testid="stTable"] td, [data-testid="stTable"] th { font-size: 1.05rem; }
/* the map has no basemap by default: draw it on the cockpit's own dark ground */
[data-testid="stDeckGlJsonChart"] { background: #0E1D30; border-radius: 0.5rem; }
</style>
"""
# The desk is laid out for 1920 px. A wider screen at device scale 1 (a 4K screen: 3840 px)
# zooms the page, as the wall's map does: the same layout, everything twice as large, charts
# and the map drawn at full resolution, clicks landing where they are drawn. Heights that
# follow the screen (the map's) divide 100vh by --desk-zoom. The wall scales on its own.
DESK_CSS = """
<style>
:root { --desk-zoom: 1; }
@media (min-width: 2880px) {
  :root { --desk-zoom: 1.5; }  /* steps where the browser lacks typed arithmetic */
  @media (min-width: 3600px) { :root { --desk-zoom: 2; } }
  @supports (zoom: calc(100vw / 1920px)) { :root { --desk-zoom: calc(100vw / 1920px); } }
  [data-testid="stMain"], [data-baseweb="popover"], [data-testid="stToastContainer"]
    { zoom: var(--desk-zoom); }
  /* the scrolling main block ends at the screen's bottom, not at twice the screen */
  [data-testid="stMain"] { height: calc(100vh / var(--desk-zoom)) !important; }
  /* Streamlit sizes a chart by its box as seen on the screen (zoomed): the box is narrowed
     by the zoom, so the chart is laid out for the 1920 layout and drawn across the column */
  [data-testid="stVegaLiteChart"],
  [data-testid="stFullScreenFrame"]:has(> [data-testid="stDataFrame"])
    { width: calc(100% / var(--desk-zoom)) !important; overflow: visible !important; }
}
</style>
"""


def data_moment() -> datetime:
    """Now, floored to the cache's lifetime: every view within those minutes asks the same
    questions, so the cached answers serve them (a new second each run would miss always)."""
    now = fmt.now_local()
    step = cached.TTL_SECONDS // 60
    return now.replace(minute=now.minute - now.minute % step, second=0)


def _filters_from_state(period: str, campaign_start: date | None,
                        town_code: str | None, scope_town: str | None = None) -> Filters:
    return Filters.for_period(period, data_moment(), campaign_start, town_code=town_code,
                              scope_town=scope_town)


def _open_database() -> None:
    """Make sure the configured database can serve; otherwise one clear message, then stop."""
    try:
        url = cached.database_url()
        if cached.sample_needs_building(url):
            slot = st.empty()  # the progress note goes once the sample is built
            with slot.status("正在生成示例数据库（约数秒）…", expanded=True):
                cached.ensure_sample_database(url)
            slot.empty()
            # brief: the toast sits over the account menu while it shows
            st.toast("示例数据库已生成", icon=":material/check_circle:", duration=2)
        cached.engine()
    except db.CockpitDatabaseError as exc:
        st.error(f"**驾驶舱无法打开数据库。**\n\n{exc}\n\n"
                 f"数据库地址由环境变量 `{db.ENV_VAR}` 或 `.streamlit/secrets.toml` 的 "
                 "`[connections.cockpit] url` 配置，详见 README。", icon=":material/error:")
        st.stop()
    cached.begin_run()  # pings; while the database is down: last good results under a banner


def _navigation(current: str) -> None:
    keep = {k: v for k, v in st.query_params.to_dict().items()
            if k in ("period", "town", "share")}
    cols = st.columns([2.4] + [1] * len(PAGES) + [0.9], gap="small",
                      vertical_alignment="center")
    cols[0].markdown(f"### {APP_TITLE}")
    _account(cols[-1])
    pages = [p for p in PAGES if user().role == "district" or p.script not in auth.DISTRICT_ONLY]
    for col, page in zip(cols[1:-1], pages):
        col.page_link(page.script, label=page.label, icon=page.icon, query_params=keep,
                      disabled=page.script == current)


def _to_the_wall(names: dict[str, str]) -> None:
    """`?wall=1` on a desk page: switch to the wall page, carrying only validated values."""
    query = wall.WallSettings.from_query(st.query_params.to_dict()).to_query()
    if st.query_params.get("period") in PERIOD_OPTIONS.values():
        query["period"] = st.query_params["period"]
    if st.query_params.get("town") in names.values():
        query["town"] = st.query_params["town"]
    st.switch_page(wall.SCRIPT, query_params=query)


def data_time_note() -> str:
    """'数据截至 …': when the headline's sources were last loaded (not the clock's now)."""
    loaded = freshness.data_time(cached.call(freshness.fetch_load_times),
                                 freshness.HEADLINE_SOURCES)
    return f"数据截至 {fmt.moment(loaded)}" if loaded else "数据时间未知"


# --- who is looking: login, town scope, masked modes (logic in components/auth.py) ----------
USER = "_frame_user"  # this run's (user, scope town code)
SAMPLE_CSS = """<style>.cockpit-sample-mark { position: fixed; top: 0.35rem; right: 0.8rem;
z-index: 999990; background: #B45309; color: #fff; padding: 0.1rem 0.6rem; border-radius: 0.3rem;
font-weight: 700; font-size: 0.95rem; pointer-events: none; }</style>"""


def _who(script: str) -> None:
    """The login (the page stops there until the user is known), then the user's scope."""
    user = auth.current_user(script)
    scope = None
    if user.role == "town":
        towns = cached.call(places.list_towns)
        by_either = dict(zip(towns["town"], towns["town_code"])) | dict(
            zip(towns["town_code"], towns["town_code"]))
        scope = by_either.get(user.town)
        if scope is None:
            st.error("本账号配置的镇(乡)街道在数据库中不存在，请联系管理员。")
            st.stop()
    st.session_state[USER] = (user, scope)
    if user.sample:
        st.markdown(SAMPLE_CSS + f"<div class='cockpit-sample-mark'>{auth.SAMPLE_MARK}</div>",
                    unsafe_allow_html=True)
    if auth.sharing():
        st.info("投屏模式：居民姓名、电话等信息已全部隐去。", icon=":material/screen_share:")


def user() -> auth.User:
    """This run's user (after `filters`)."""
    return st.session_state[USER][0]


def scope_town() -> str | None:
    """This run's town scope: a town official's town code, else None (the district)."""
    return st.session_state.get(USER, (None, None))[1]


def masked() -> bool:
    """Whether this run is in a masked mode (viewer role or screen sharing)."""
    return auth.masked(user())


def reveal_toggle() -> bool:
    """A switch to show citizens' full names and numbers in the ticket list, for those who
    may (district and town staff, outside masked modes); each reveal is logged."""
    u = user()
    if not auth.may_reveal(u):
        return False
    shown = st.toggle("显示反映人完整信息（将记录查看日志）", value=False, key="_reveal_citizens")
    if shown:
        auth.log.info("citizens revealed: user=%r page=%s", u.name, st.context.url)
    return shown


def _account(where) -> None:
    """The account menu: who is logged in, the screen-share switch, log out."""
    u = user()
    with where.popover(u.name if not u.sample else "访客", icon=":material/person:"):
        st.text(f"{u.name} · {auth.ROLES[u.role]}" + (f" · {u.town}" if u.town else ""))
        share = st.toggle("投屏模式（隐去居民信息）", value=auth.sharing(), key="_share_switch")
        if share != auth.sharing():
            if share:
                st.query_params["share"] = "1"
            else:
                st.query_params.pop("share", None)
            st.rerun()
        if u.sample and auth.current() is None:
            st.page_link("app.py", label="试用登录（示例账号）", icon=":material/login:",
                         query_params={"login": "1"})
        elif st.button("退出登录", icon=":material/logout:"):
            auth.logout()
            st.rerun()


PAGE_FAILED = ("本页出现意外错误，未能完整显示。请稍后刷新重试；如仍出错，请联系管理员"
               "（服务器日志已记录详情）。")


def _one_chinese_message(exc: Exception) -> bool:
    """Streamlit's handler of an uncaught page exception (after it has logged it): one
    Chinese message instead of its English box. True: the box is not drawn."""
    st.error(PAGE_FAILED, icon=":material/error:")
    return True


def catch_page_errors() -> None:
    """Have this run's uncaught exception shown as PAGE_FAILED. Streamlit 1.67 offers the
    hook only to apps it starts itself (st.App(on_script_error=…)); under `streamlit run` it
    sits on the run's context, where the frame sets it. Without that attribute nothing
    changes (the config still hides the error's details and its links)."""
    ctx = get_script_run_ctx()
    if ctx is not None and hasattr(ctx, "on_script_error"):
        ctx.on_script_error = _one_chinese_message


def filters(script: str, title: str, period: bool = True, screen_sized: bool = False) -> Filters:
    """Draw the frame for the page in file `script` (relative to the app root); return its
    Filters. `period=False`: a page that chooses its own period (the meeting's week) shows
    no 时间范围 control and no period in the note. `screen_sized`: the page sizes itself to
    the screen (presenter mode), so the desk's 4K zoom is left out, as on the wall."""
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon=FAVICON,
                       layout="wide", initial_sidebar_state="collapsed")
    if "streamlit.testing.v1" not in sys.modules:  # under AppTest an error stays an exception
        catch_page_errors()
    # one element for all the styling: each element takes a row of the page's layout
    own_sizes = script == wall.SCRIPT or screen_sized
    st.markdown(CSS if own_sizes else CSS + DESK_CSS, unsafe_allow_html=True)
    _open_database()
    _who(script)  # only a login until the user is known; then the user's town scope
    scope = scope_town()
    on_wall = script == wall.SCRIPT  # the wall draws its own title and data time
    names = town_names()
    if st.query_params.get("wall") == "1" and not on_wall:
        _to_the_wall(names)
    if not on_wall:
        _navigation(script)
    campaign_start = cached.call(places.get_campaign_start)
    for key, value in st.session_state.pop(PENDING, {}).items():
        st.session_state[key] = value  # a page asked for it (e.g. a map click); before widgets
    by_name = {name: code for code, name in names.items()}
    town_options = [*by_name] if scope else [ALL_TOWNS, *by_name]
    if st.query_params.get("town") not in (None, *town_options):
        shown = names.get(scope, "全区")
        st.warning(f"链接中的镇(乡)街道{fmt.md_literal(st.query_params['town'])}不存在或不在本账号"
                   f"范围内，已显示{shown}。")
    # The URL carries the labels the user sees: ?period=本周&town=章水镇
    periods = {label: code for code, label in PERIOD_OPTIONS.items()}
    show_period = period
    if show_period and st.query_params.get("period") not in (None, *periods):
        st.warning(f"链接中的时间范围{fmt.md_literal(st.query_params['period'])}不存在，"
                   f"已显示{PERIOD_OPTIONS[CAMPAIGN]}。")
    if on_wall:  # no widgets on the wall: the URL alone says what to show
        period = st.query_params.get("period", PERIOD_OPTIONS[CAMPAIGN])
        town = st.query_params.get("town", ALL_TOWNS)
        info = st
    else:
        left, right, info = st.columns([1, 1, 3], vertical_alignment="bottom")
        right = right if show_period else left  # the town takes the period's place
        period = (left.selectbox("时间范围", list(periods), key="period", bind="query-params")
                  if show_period else PERIOD_OPTIONS[CAMPAIGN])
        town = right.selectbox("镇(乡)街道", town_options, key="town", bind="query-params")
    f = _filters_from_state(periods.get(period, CAMPAIGN), campaign_start, by_name.get(town),
                            scope)
    if not on_wall:
        where = fmt.html_text(names.get(f.town_code, "全区"))
        dates = f" · {fmt.day(f.start)} 至 {fmt.day(f.end)}" if show_period else ""
        info.markdown(f"<span class='cockpit-note'>{where}{dates} · {data_time_note()}</span>",
                      unsafe_allow_html=True)
    return f


def request_town(town_code: str | None) -> None:
    """Switch the whole cockpit to a town (None: the district) and rerun, so that the filter
    bar and the URL follow. For pages whose own widgets choose a town, e.g. the map."""
    name = town_names().get(town_code, ALL_TOWNS)
    if st.session_state.get("town", ALL_TOWNS) != name:
        st.session_state[PENDING] = {"town": name}
        st.rerun()


def request_period(period: str) -> None:
    """Switch the whole cockpit to a named period (a key of PERIOD_OPTIONS) and rerun."""
    st.session_state[PENDING] = {"period": PERIOD_OPTIONS[period]}
    st.rerun()


def has_page(script: str) -> bool:
    """Whether `script` is a page of the navigation (links only to pages that exist)."""
    return any(p.script == script for p in PAGES)


def town_names() -> dict[str, str]:
    """Town code → name, for pages that label towns."""
    towns = cached.call(places.list_towns, scope_town=scope_town())
    return dict(zip(towns["town_code"], towns["town"]))
