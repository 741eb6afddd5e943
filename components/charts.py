"""Altair chart builders. Labels come from the glossary; sizes suit a wall screen.

A chart with nothing to show is one short 本期无数据 note (no axes of zeros); a week that
has not ended yet is labelled 本周（未完） and drawn faded, not read as a collapse.
"""

from datetime import date, timedelta

import altair as alt
import pandas as pd

from components import format as fmt
from data_access import figures
from data_access import glossary as g

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
AXES_HEIGHT = 70  # Streamlit fits the whole chart, axes included, into the height
BLUE, GREEN, RED, AMBER, GREY = "#4EA8F5", "#3DDC97", "#FF6B6B", "#F2C14E", "#8FA3BF"



LOOP_TIPS = ["collected", "resolved", "resolution_rate", "overdue"]


def _figure_tips(codes) -> list:
    """Tooltips of registry figures: their labels, rates as %, counts with separators."""
    return [alt.Tooltip(f"{code}:Q", title=figures.label(code),
                        format=fmt.CHART_PCT if figures.FIGURES[code].is_rate else fmt.CHART_COUNT)
            for code in codes]

def _style(chart: alt.Chart, height: int = 320) -> alt.Chart:
    return (chart.properties(height=height)
            .configure(font=FONT)
            .configure_axis(labelFontSize=15, titleFontSize=15, labelFont=FONT, titleFont=FONT)
            .configure_legend(labelFontSize=15, titleFontSize=15, orient="top", labelFont=FONT,
                              titleFont=FONT)
            .configure_view(strokeWidth=0))


WEEK_AXIS = alt.X("yearmonthdate(week):O", title=None,
                  axis=alt.Axis(format="%m-%d", labelAngle=0))
WEEK_TIP = alt.Tooltip("yearmonthdate(week):T", title="周起始", format="%Y-%m-%d")
NO_DATA = "本期无数据"
PARTIAL_WEEK = "本周（未完）"
COUNT_AXIS = alt.Axis(tickMinStep=1, format=",d")  # counts: never 0.5 or 0.000000 ticks
FLOW = ("collected", "resolved_in_period")


def no_data(height: int = 120) -> alt.Chart:
    """The whole chart is one grey 本期无数据: for a period, town or group without data."""
    note = alt.Chart(pd.DataFrame({"note": [NO_DATA]})).mark_text(
        fontSize=20, color=GREY).encode(text="note:N")
    return _style(note, height)


def _nothing(data: pd.DataFrame, *columns: str) -> bool:
    """No rows, or nothing but zeros and gaps in `columns`."""
    return data.empty or not data[list(columns)].fillna(0).to_numpy().any()


def _weeks(weekly: pd.DataFrame, today: date | None) -> pd.DataFrame:
    """Week rows with their axis label. A week is partial when the data says so (its
    `partial` column) or it has not ended by `today`; the running week reads 本周（未完）,
    another cut by the period's end reads 'MM-DD（部分）'."""
    today = today or fmt.now_local().date()
    mondays = pd.to_datetime(weekly["week"])
    running = [m.date() <= today < m.date() + timedelta(days=7) for m in mondays]
    partial = [bool(p) or r for p, r in zip(weekly.get("partial", running), running)]
    labels = [PARTIAL_WEEK if r else f"{m:%m-%d}（部分）" if p else f"{m:%m-%d}"
              for m, p, r in zip(mondays, partial, running)]
    return weekly.assign(partial=partial, label=labels)


WEEK_LABEL = alt.X("label:O", title=None, sort=alt.EncodingSortField("week", op="min"),
                   axis=alt.Axis(labelAngle=0))


def _weekly_bars(weekly: pd.DataFrame) -> alt.Chart:
    names = {code: figures.label(code) for code in FLOW}
    long = weekly.melt(["week", "label", "partial"], list(names), var_name="what",
                       value_name="n")
    long["what"] = long["what"].map(names.get)
    return alt.Chart(long).mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3).encode(
        x=WEEK_LABEL,
        xOffset=alt.XOffset("what:N", sort=list(names.values())),
        y=alt.Y("n:Q", title="问题数", axis=COUNT_AXIS),
        color=alt.Color("what:N", title=None, sort=list(names.values()),
                        scale=alt.Scale(range=[BLUE, GREEN])),
        opacity=alt.condition(alt.datum.partial, alt.value(0.45), alt.value(1.0)),
        tooltip=[WEEK_TIP, alt.Tooltip("label:N", title="周"),
                 alt.Tooltip("what:N", title="指标"), alt.Tooltip("n:Q", title="数量")],
    )


def weekly_flow(weekly: pd.DataFrame, height: int = 320, *, today: date | None = None
                ) -> alt.Chart:
    """Grouped bars per week of 收集问题 and 期内办结 (input: ticket_flow.fetch_weekly_flow);
    the week not over by `today` (default: today) is labelled 本周（未完） and faded."""
    if _nothing(weekly, *FLOW):
        return no_data(height)
    return _style(_weekly_bars(_weeks(weekly, today)), height)


def _chosen_opacity(data: pd.DataFrame, field: str, chosen) -> pd.DataFrame:
    """A column `shade`: 1 for the chosen row (or every row when none is chosen), else 0.35."""
    return data.assign(shade=[1.0 if chosen is None or k == chosen else 0.35
                              for k in data[field]])


def town_resolution(towns: pd.DataFrame, row_height: int = 34, *,
                    chosen: str | None = None) -> alt.Chart:
    """Per town: bars of the resolution rate, worst town on top, with the rate and the
    tickets collected as text (input: town_code, town, collected, resolved, overdue,
    resolution_rate). A click selects a town_code (PICK); `chosen` stays highlighted."""
    if _nothing(towns, "collected"):
        return no_data()
    data = _chosen_opacity(towns, "town_code", chosen).assign(rate_text=[
        f"{fmt.pct(r)}（{fmt.count(n)} 件）" for r, n in
        zip(towns["resolution_rate"], towns["collected"])])
    data = data.sort_values(["resolution_rate", "town"], na_position="last")
    order = list(data["town"])
    pick = alt.selection_point(name=PICK, fields=["town_code"])
    base = alt.Chart(data).encode(y=alt.Y("town:N", sort=order, title=None,
                                          axis=alt.Axis(labelFontSize=16, labelOverlap=False,
                                                        labelLimit=200, labelPadding=6)))
    bars = base.mark_bar(cornerRadiusEnd=3, height={"band": 0.7}).encode(
        x=alt.X("resolution_rate:Q", title=figures.column_label("resolution_rate"),
                scale=alt.Scale(domain=[0, 1.25]),
                axis=alt.Axis(format=fmt.CHART_AXIS_PCT, values=[0, 0.25, 0.5, 0.75, 1])),
        color=alt.Color("resolution_rate:Q", title=figures.column_label("resolution_rate"),
                        scale=alt.Scale(domain=[0.7, 1.0], range=[RED, AMBER, GREEN], clamp=True),
                        legend=None),
        opacity=alt.Opacity("shade:Q", legend=None, scale=None),
        tooltip=[alt.Tooltip("town:N", title=figures.column_label("town")),
                 *_figure_tips(LOOP_TIPS)],
    ).add_params(pick)
    text = base.mark_text(align="left", dx=6, fontSize=15, color="#E6EDF5").encode(
        x="resolution_rate:Q", text="rate_text:N")
    return _style(bars + text, AXES_HEIGHT + row_height * len(data))


def funnel(stages: pd.DataFrame) -> alt.Chart:
    """The closed loop as horizontal bars in loop order, with count and conversion
    (input: stage, tickets, conversion_rate). A stage nobody reached shows its 0 alone."""
    if _nothing(stages, "tickets"):
        return no_data(300)
    order = [g.STAGES[s] for s in stages["stage"]]
    data = stages.assign(
        label=[g.STAGES[s] for s in stages["stage"]],
        text=[f"{n:,}" if not n or pd.isna(r) else f"{n:,}  ({r * 100:.1f}%)"
              for n, r in zip(stages["tickets"], stages["conversion_rate"])])
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort=order, title=None,
                                          axis=alt.Axis(labelFontSize=18)))
    bars = base.mark_bar(cornerRadiusEnd=4, color=BLUE).encode(
        x=alt.X("tickets:Q", title="问题数", axis=COUNT_AXIS),
        tooltip=[alt.Tooltip("label:N", title=figures.column_label("stage")),
                 alt.Tooltip("tickets:Q", title="问题数", format=","),
                 alt.Tooltip("conversion_rate:Q", title="环节转化率", format=".1%")])
    text = base.mark_text(align="left", dx=6, fontSize=17, color="#E6EDF5").encode(
        x="tickets:Q", text="text:N")
    return _style(bars + text, 300)


PICK = "pick"  # the selection parameter of clickable breakdowns


def breakdown(data: pd.DataFrame, labels: dict, row_height: int = 30, *,
              chosen: str | None = None) -> alt.Chart:
    """Clickable bars of tickets collected per key, coloured by resolution rate
    (input: key, collected, resolved, overdue, resolution_rate). A click selects a key;
    the `chosen` key stays highlighted, the others faded."""
    if _nothing(data, "collected"):
        return no_data()
    data = _chosen_opacity(data, "key", chosen).assign(
        label=["（无）" if pd.isna(k) else labels.get(k, k) for k in data["key"]])
    pick = alt.selection_point(name=PICK, fields=["key"])
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelFontSize=15,
                                                                labelOverlap=False,
                                                                labelLimit=160)),
        x=alt.X("collected:Q", title=figures.column_label("collected"), axis=COUNT_AXIS),
        color=alt.Color("resolution_rate:Q", title=figures.column_label("resolution_rate"),
                        scale=alt.Scale(domain=[0.7, 1.0], range=[RED, AMBER, GREEN], clamp=True),
                        legend=None),
        opacity=alt.Opacity("shade:Q", legend=None, scale=None),
        tooltip=[alt.Tooltip("label:N", title="分组"), *_figure_tips(LOOP_TIPS)],
    ).add_params(pick)
    return _style(chart, AXES_HEIGHT + row_height * len(data))


def aging(buckets: pd.DataFrame) -> alt.Chart:
    """Open tickets by age, overdue ones in red (input: bucket, tickets, overdue)."""
    if _nothing(buckets, "tickets"):
        return no_data(280)
    long = pd.DataFrame({
        "bucket": list(buckets["bucket"]) * 2,
        "what": ["未超期"] * len(buckets) + ["已超期"] * len(buckets),
        "n": list(buckets["tickets"] - buckets["overdue"]) + list(buckets["overdue"]),
    })
    return _style(alt.Chart(long).mark_bar().encode(
        x=alt.X("bucket:N", sort=list(buckets["bucket"]), title="已上报时长",
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("n:Q", title="在办问题", stack=True, axis=COUNT_AXIS),
        color=alt.Color("what:N", title=None, sort=["未超期", "已超期"],
                        scale=alt.Scale(range=[BLUE, RED])),
        tooltip=[alt.Tooltip("bucket:N", title="时长"), alt.Tooltip("what:N", title="状态"),
                 alt.Tooltip("n:Q", title="问题数")]), 280)


def weekly_trend(weekly: pd.DataFrame, *, today: date | None = None) -> alt.Chart:
    """Weekly reported vs resolved bars with the week's resolution rate as a line
    (input: ticket_flow.fetch_weekly_flow); the unfinished week as in weekly_flow."""
    if _nothing(weekly, *FLOW):
        return no_data(320)
    weekly = _weeks(weekly, today)
    line = alt.Chart(weekly).mark_line(color=AMBER, point=True, strokeWidth=3).encode(
        x=WEEK_LABEL,
        y=alt.Y("resolution_rate:Q", title=f"当周上报问题{figures.label('resolution_rate')}",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", orient="right")),
        tooltip=[WEEK_TIP, alt.Tooltip("resolution_rate:Q", title=figures.label("resolution_rate"),
                                                 format=".1%")])
    return _style(alt.layer(_weekly_bars(weekly), line).resolve_scale(y="independent"), 320)


def coverage_bars(data: pd.DataFrame, labels: dict, threshold: float,
                  row_height: int = 30, *, chosen: str | None = None) -> alt.Chart:
    """Coverage per group, lowest first, with the warning line (input: key, assigned,
    visited, coverage_rate). A click selects a key (PICK); `chosen` stays highlighted."""
    if _nothing(data, "assigned"):
        return no_data()
    data = _chosen_opacity(data, "key", chosen).assign(
        label=[labels.get(k, k) for k in data["key"]],
        text=[fmt.pct(r) for r in data["coverage_rate"]])
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort="x", title=None,
                                          axis=alt.Axis(labelFontSize=15, labelOverlap=False,
                                                        labelLimit=220)))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("coverage_rate:Q", title=figures.column_label("coverage_rate"),
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.condition(alt.datum.coverage_rate < threshold, alt.value(RED), alt.value(GREEN)),
        opacity=alt.Opacity("shade:Q", legend=None, scale=None),
        tooltip=[alt.Tooltip("label:N", title="分组"),
                 alt.Tooltip("assigned:Q", title=figures.column_label("assigned"),
                             format=fmt.CHART_COUNT),
                 alt.Tooltip("visited:Q", title=figures.column_label("visited"),
                             format=fmt.CHART_COUNT),
                 alt.Tooltip("coverage_rate:Q", title=figures.column_label("coverage_rate"),
                             format=fmt.CHART_PCT)]).add_params(
        alt.selection_point(name=PICK, fields=["key"]))
    text = base.mark_text(align="left", dx=4, fontSize=14, color="#E6EDF5").encode(
        x="coverage_rate:Q", text="text:N")
    rule = alt.Chart(pd.DataFrame({"t": [threshold]})).mark_rule(
        color=AMBER, strokeDash=[6, 4], strokeWidth=2).encode(x="t:Q")
    return _style(bars + text + rule, AXES_HEIGHT + row_height * len(data))


def visit_heatmap(cells: pd.DataFrame, officer_order: list[str]) -> alt.Chart:
    """Officer × week heatmap of visits (input: officer label, week, visits)."""
    if _nothing(cells, "visits"):
        return no_data()
    return _style(alt.Chart(cells).mark_rect(stroke="#0B1726", strokeWidth=1).encode(
        x=WEEK_AXIS,
        y=alt.Y("officer:N", sort=officer_order, title=None,
                axis=alt.Axis(labelFontSize=13, labelOverlap=False, labelLimit=220)),
        color=alt.Color("visits:Q", title="走访次数",
                        scale=alt.Scale(scheme="blues", domainMin=0)),
        tooltip=[alt.Tooltip("officer:N", title="干部"), WEEK_TIP,
                 alt.Tooltip("visits:Q", title="走访次数")],
    ), AXES_HEIGHT + 22 * len(officer_order))


def diary_mix(mix: pd.DataFrame) -> alt.Chart:
    """Visits per diary type, split by complete 三带走三留下 record
    (input: diary_type, visits, complete)."""
    if _nothing(mix, "visits"):
        return no_data()
    long = pd.DataFrame({
        "diary": [g.DIARY_TYPES.get(d, d) for d in mix["diary_type"]] * 2,
        "what": ["记录完整"] * len(mix) + ["记录不全"] * len(mix),
        "n": list(mix["complete"]) + list(mix["visits"] - mix["complete"]),
    })
    return _style(alt.Chart(long).mark_bar().encode(
        y=alt.Y("diary:N", title=None, axis=alt.Axis(labelFontSize=15)),
        x=alt.X("n:Q", title="走访次数", stack=True, axis=COUNT_AXIS),
        color=alt.Color("what:N", title="三带走、三留下", sort=["记录完整", "记录不全"],
                        scale=alt.Scale(range=[GREEN, AMBER])),
        tooltip=[alt.Tooltip("diary:N", title="日记类型"), alt.Tooltip("what:N", title="记录"),
                 alt.Tooltip("n:Q", title="走访次数")]), AXES_HEIGHT + 40 * len(mix))


def bars(data: pd.DataFrame, category: str, value: str, title: str, labels: dict | None = None,
         colour: str = BLUE, row_height: int = 30) -> alt.Chart:
    """Horizontal bars of `value` per `category` (labels: code → Chinese), largest on top."""
    if _nothing(data, value):
        return no_data()
    data = data.assign(label=[(labels or {}).get(k, k) for k in data[category]])
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort="-x", title=None,
                                          axis=alt.Axis(labelFontSize=15, labelOverlap=False,
                                                        labelLimit=220)))
    chart = base.mark_bar(color=colour, cornerRadiusEnd=3).encode(
        x=alt.X(f"{value}:Q", title=title),
        tooltip=[alt.Tooltip("label:N", title="分组"), alt.Tooltip(f"{value}:Q", title=title,
                                                                 format=",")])
    text = base.mark_text(align="left", dx=4, fontSize=14, color="#E6EDF5").encode(
        x=f"{value}:Q", text=alt.Text(f"{value}:Q", format=","))
    return _style(chart + text, AXES_HEIGHT + row_height * len(data))


def monthly(data: pd.DataFrame, value: str, series: str, title: str, labels: dict,
            height: int = 300) -> alt.Chart:
    """Stacked bars per month of `value`, coloured by `series` (labels: code → Chinese)."""
    if _nothing(data, value):
        return no_data(height)
    data = data.assign(label=[labels.get(k, k) for k in data[series]])
    return _style(alt.Chart(data).mark_bar().encode(
        x=alt.X("yearmonth(month):O", title=None, axis=alt.Axis(format="%m月", labelAngle=0)),
        y=alt.Y(f"sum({value}):Q", title=title, axis=COUNT_AXIS),
        color=alt.Color("label:N", title=None, scale=alt.Scale(
            range=[BLUE, GREEN, AMBER, RED, GREY, "#B07CF2"])),
        tooltip=[alt.Tooltip("yearmonth(month):T", title="月份", format="%Y-%m"),
                 alt.Tooltip("label:N", title="分组"),
                 alt.Tooltip(f"sum({value}):Q", title=title, format=",")]), height)


def hotline_mix(mix: pd.DataFrame) -> alt.Chart:
    """81890 services per service type, largest on top, with count and share
    (input: channels.fetch_hotline_mix)."""
    if _nothing(mix, "hotline_services"):
        return no_data()
    label = figures.label("hotline_services")
    data = mix.assign(type=[g.HOTLINE_TYPES.get(k, k) for k in mix["service_type"]],
                      text=[f"{fmt.count(n)}（{fmt.pct(r)}）"
                            for n, r in zip(mix["hotline_services"], mix["share"])])
    base = alt.Chart(data).encode(y=alt.Y("type:N", sort="-x", title=None,
                                          axis=alt.Axis(labelFontSize=15, labelOverlap=False)))
    chart = base.mark_bar(color=BLUE, cornerRadiusEnd=3).encode(
        x=alt.X("hotline_services:Q", title=label, axis=COUNT_AXIS,
                scale=alt.Scale(domainMax=float(data["hotline_services"].max()) * 1.35)),
        tooltip=[alt.Tooltip("type:N", title="服务类型"),
                 alt.Tooltip("hotline_services:Q", title=label, format=fmt.CHART_COUNT),
                 alt.Tooltip("share:Q", title="占比", format=fmt.CHART_PCT)])
    text = base.mark_text(align="left", dx=4, fontSize=14, color="#E6EDF5").encode(
        x="hotline_services:Q", text="text:N")
    return _style(chart + text, AXES_HEIGHT + 34 * len(data))


def hotline_weekly(weekly: pd.DataFrame, height: int = 300) -> alt.Chart:
    """81890 services per week, stacked by service type (input: channels.fetch_hotline_weekly)."""
    if _nothing(weekly, "hotline_services"):
        return no_data(height)
    label = figures.label("hotline_services")
    data = weekly.assign(type=[g.HOTLINE_TYPES.get(k, k) for k in weekly["service_type"]])
    return _style(alt.Chart(data).mark_bar().encode(
        x=WEEK_AXIS,
        y=alt.Y("hotline_services:Q", title=label, stack=True, axis=COUNT_AXIS),
        color=alt.Color("type:N", title=None, sort=list(g.HOTLINE_TYPES.values()),
                        scale=alt.Scale(range=[BLUE, GREEN, AMBER, RED, GREY])),
        tooltip=[WEEK_TIP, alt.Tooltip("type:N", title="服务类型"),
                 alt.Tooltip("hotline_services:Q", title=label, format=fmt.CHART_COUNT)]),
        height)
