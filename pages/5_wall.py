"""大屏: the wall screen. One 16:9 composition (a short playlist of them), refreshed and
rotated in place by a fragment; interval and playlist from the URL (?every=60&views=main,towns).
"""

import streamlit as st

from components import cached, frame, layers, wall, wall_map
from components import format as fmt
from data_access import figures, freshness, geo, overview
from data_access.figures import headline as figures_of
from data_access.filters import Filters

f = frame.filters(wall.SCRIPT, "大屏")
settings = wall.WallSettings.from_query(st.query_params.to_dict())
st.markdown(wall.CSS + wall_map.CSS, unsafe_allow_html=True)
st.html(wall.clock(fmt.now_local()), unsafe_allow_javascript=True)

FIGURES = overview.fetch_kpis  # the headline figures, keyed by the registry's codes
LABELS = {code: figure.label for code, figure in figures.FIGURES.items()}
PROGRAMME_FIGURES = ["clinic_points", "old_compounds", "upgraded_compounds"]
try:
    STALE_AFTER = freshness.stale_limit()
except ValueError as exc:
    st.error(f"大屏设置有误：{exc}")
    st.stop()


def map_panel(f: Filters, mark: str) -> None:
    shapes = cached.call(geo.fetch_shapes, "town", f.town_code, scope_town=f.scope_town)
    metrics = cached.call(geo.fetch_area_metrics, f, "town")
    town_fc, _ = cached.memo(layers.area_features, shapes, metrics, wall_map.METRIC,
                             layers.settings())
    st.html(f"<div class='wall wall-maphead'>{wall_map.legend(metrics)}{mark}</div>")
    with st.container(key="wall_map"):
        st.pydeck_chart(wall_map.deck(town_fc, cached.memo(layers.outline_bands, town_fc, 120)),
                        height=wall_map.DECK_HEIGHT)


@st.fragment(run_every=settings.every)
def screen() -> None:
    """One screen of the playlist; the next run shows the next one, with fresh figures."""
    tick = st.session_state.get("wall_tick", -1) + 1
    st.session_state["wall_tick"] = tick
    view = settings.views[tick % len(settings.views)]
    now = fmt.now_local()
    times = cached.call(freshness.fetch_load_times)

    def mark(panel: str) -> str:
        return wall.stale_note(wall.SOURCES[panel], times, now, STALE_AFTER)

    data_time = freshness.data_time(times, freshness.HEADLINE_SOURCES)
    scope = (f"{frame.town_names().get(f.town_code, '全区')} · {fmt.day(f.start)} 至 "
             f"{fmt.day(f.end)} · {wall.VIEWS[view]}")
    st.html(wall.header(frame.APP_TITLE, scope, data_time,
                        freshness.is_stale(data_time, now, STALE_AFTER), tick))
    figures = cached.call(FIGURES, f)
    st.html(wall.headline(figures, LABELS, mark("headline")))
    towns = cached.call(overview.fetch_town_comparison, f)
    left, middle, right = st.columns([1, 1.75, 1.05])
    if view == "towns":
        with left:
            st.html(wall.overdue_ranking(towns, LABELS["overdue"], mark("towns")))
        with middle:
            st.html(wall.town_table(towns, LABELS, mark("towns")))
    else:
        with left:
            st.html(wall.ranking(towns, f"镇(乡)街道{LABELS['resolution_rate']}", mark("towns")))
        with middle:
            map_panel(f, mark("map"))
    # this week up to the data time against the same span of last week: days the data
    # does not reach yet are not a collapse
    cutoff = min(frame.data_moment(), data_time) if data_time else frame.data_moment()
    this_week = Filters.for_period("this_week", cutoff, town_code=f.town_code)
    last_week = this_week.shifted_weeks(-1)
    now_figures, before = cached.call(FIGURES, this_week), cached.call(FIGURES, last_week)
    with right:
        st.html(wall.week_against_last(
            now_figures, before, LABELS, ["collected", "resolved", "visits", "hotline_services"],
            f"本周（未完）{fmt.moment(this_week.start_at)[5:]} 至 {fmt.moment(this_week.as_of)[5:]}"
            " 对比上周同期",
            mark("week")))
        st.html(wall.coverage(figures, LABELS, mark("coverage")))
        programme_figures = cached.call(figures_of, f, PROGRAMME_FIGURES)
        st.html(wall.programmes([
            ("高山巡回医疗", f"{programme_figures['clinic_points']} 个点",
             f"服务 {fmt.count(figures['clinic_visits'])} 人次"),
            ("老小区提质", f"{programme_figures['upgraded_compounds']}"
             f" / {programme_figures['old_compounds']}", "已完成 / 2000年前小区"),
            (LABELS["hotline_services"], fmt.count(figures["hotline_services"]), "本期服务量"),
        ], mark("programmes")))


screen()
