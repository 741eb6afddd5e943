"""Altair chart builders. Labels come from the glossary; sizes suit a wall screen."""

import altair as alt
import pandas as pd

from data_access import figures
from data_access import glossary as g

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
AXES_HEIGHT = 70  # Streamlit fits the whole chart, axes included, into the height
BLUE, GREEN, RED, AMBER, GREY = "#4EA8F5", "#3DDC97", "#FF6B6B", "#F2C14E", "#8FA3BF"


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


def _weekly_bars(weekly: pd.DataFrame) -> alt.Chart:
    names = {code: figures.label(code) for code in ("collected", "resolved_in_period")}
    long = weekly.melt("week", list(names), var_name="what", value_name="n")
    long["what"] = long["what"].map(names.get)
    return alt.Chart(long).mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3).encode(
        x=WEEK_AXIS,
        xOffset=alt.XOffset("what:N", sort=list(names.values())),
        y=alt.Y("n:Q", title="问题数"),
        color=alt.Color("what:N", title=None, sort=list(names.values()),
                        scale=alt.Scale(range=[BLUE, GREEN])),
        tooltip=[WEEK_TIP, alt.Tooltip("what:N", title="指标"), alt.Tooltip("n:Q", title="数量")],
    )


def weekly_flow(weekly: pd.DataFrame, height: int = 320) -> alt.Chart:
    """Grouped bars per week of 收集问题 and 期内办结 (input: ticket_flow.fetch_weekly_flow)."""
    return _style(_weekly_bars(weekly), height)


def town_resolution(towns: pd.DataFrame, row_height: int = 28) -> alt.Chart:
    """Per town: bars of tickets collected, coloured by resolution rate, with the rate as text."""
    data = towns.assign(rate_text=towns["resolution_rate"].map(
        lambda r: "—" if pd.isna(r) else f"{r * 100:.1f}%"))
    base = alt.Chart(data).encode(y=alt.Y("town:N", sort="-x", title=None,
                                          axis=alt.Axis(labelFontSize=16, labelOverlap=False)))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("collected:Q", title=figures.column_label("collected")),
        color=alt.Color("resolution_rate:Q", title=figures.column_label("resolution_rate"),
                        scale=alt.Scale(domain=[0.7, 1.0], range=[RED, AMBER, GREEN], clamp=True),
                        legend=alt.Legend(format=".0%")),
        tooltip=[alt.Tooltip("town:N", title=figures.column_label("town")),
                 alt.Tooltip("collected:Q", title=figures.column_label("collected")),
                 alt.Tooltip("resolved:Q", title=figures.column_label("resolved")),
                 alt.Tooltip("rate_text:N", title=figures.column_label("resolution_rate")),
                 alt.Tooltip("overdue:Q", title=figures.column_label("overdue"))],
    )
    text = base.mark_text(align="left", dx=6, fontSize=15, color="#E6EDF5").encode(
        x="collected:Q", text="rate_text:N")
    return _style(bars + text, AXES_HEIGHT + row_height * len(data))


def funnel(stages: pd.DataFrame) -> alt.Chart:
    """The closed loop as horizontal bars in loop order, with count and conversion
    (input: stage, tickets, conversion_rate)."""
    order = [g.STAGES[s] for s in stages["stage"]]
    data = stages.assign(
        label=[g.STAGES[s] for s in stages["stage"]],
        text=[f"{n:,}  ({'—' if pd.isna(r) else f'{r * 100:.1f}%'})"
              for n, r in zip(stages["tickets"], stages["conversion_rate"])])
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort=order, title=None,
                                          axis=alt.Axis(labelFontSize=18)))
    bars = base.mark_bar(cornerRadiusEnd=4, color=BLUE).encode(
        x=alt.X("tickets:Q", title="问题数"),
        tooltip=[alt.Tooltip("label:N", title=figures.column_label("stage")),
                 alt.Tooltip("tickets:Q", title="问题数", format=","),
                 alt.Tooltip("conversion_rate:Q", title="环节转化率", format=".1%")])
    text = base.mark_text(align="left", dx=6, fontSize=17, color="#E6EDF5").encode(
        x="tickets:Q", text="text:N")
    return _style(bars + text, 300)


PICK = "pick"  # the selection parameter of clickable breakdowns


def breakdown(data: pd.DataFrame, labels: dict, row_height: int = 30) -> alt.Chart:
    """Clickable bars of tickets collected per key, coloured by resolution rate
    (input: key, collected, resolved, overdue, resolution_rate). A click selects a key."""
    data = data.assign(label=["（无）" if pd.isna(k) else labels.get(k, k) for k in data["key"]])
    pick = alt.selection_point(name=PICK, fields=["key"])
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelFontSize=15,
                                                                labelOverlap=False,
                                                                labelLimit=160)),
        x=alt.X("collected:Q", title=figures.column_label("collected")),
        color=alt.Color("resolution_rate:Q", title=figures.column_label("resolution_rate"),
                        scale=alt.Scale(domain=[0.7, 1.0], range=[RED, AMBER, GREEN], clamp=True),
                        legend=None),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        tooltip=[alt.Tooltip("label:N", title="分组"),
                 alt.Tooltip("collected:Q", title=figures.column_label("collected")),
                 alt.Tooltip("resolved:Q", title=figures.column_label("resolved")),
                 alt.Tooltip("resolution_rate:Q", title=figures.column_label("resolution_rate"),
                             format=".1%"),
                 alt.Tooltip("overdue:Q", title=figures.column_label("overdue"))],
    ).add_params(pick)
    return _style(chart, AXES_HEIGHT + row_height * len(data))


def aging(buckets: pd.DataFrame) -> alt.Chart:
    """Open tickets by age, overdue ones in red (input: bucket, tickets, overdue)."""
    long = pd.DataFrame({
        "bucket": list(buckets["bucket"]) * 2,
        "what": ["未超期"] * len(buckets) + ["已超期"] * len(buckets),
        "n": list(buckets["tickets"] - buckets["overdue"]) + list(buckets["overdue"]),
    })
    return _style(alt.Chart(long).mark_bar().encode(
        x=alt.X("bucket:N", sort=list(buckets["bucket"]), title="已上报时长",
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("n:Q", title="在办问题", stack=True),
        color=alt.Color("what:N", title=None, sort=["未超期", "已超期"],
                        scale=alt.Scale(range=[BLUE, RED])),
        tooltip=[alt.Tooltip("bucket:N", title="时长"), alt.Tooltip("what:N", title="状态"),
                 alt.Tooltip("n:Q", title="问题数")]), 280)


def weekly_trend(weekly: pd.DataFrame) -> alt.Chart:
    """Weekly reported vs resolved bars with the week's resolution rate as a line
    (input: ticket_flow.fetch_weekly_flow)."""
    line = alt.Chart(weekly).mark_line(color=AMBER, point=True, strokeWidth=3).encode(
        x=WEEK_AXIS,
        y=alt.Y("resolution_rate:Q", title=f"当周上报问题{figures.label('resolution_rate')}",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", orient="right")),
        tooltip=[WEEK_TIP, alt.Tooltip("resolution_rate:Q", title=figures.label("resolution_rate"),
                                                 format=".1%")])
    return _style(alt.layer(_weekly_bars(weekly), line).resolve_scale(y="independent"), 320)


def coverage_bars(data: pd.DataFrame, labels: dict, threshold: float,
                  row_height: int = 30) -> alt.Chart:
    """Coverage per group with the warning line (input: key, assigned, visited, coverage_rate)."""
    data = data.assign(label=[labels.get(k, k) for k in data["key"]],
                       text=[f"{r * 100:.1f}%" for r in data["coverage_rate"]])
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort="x", title=None,
                                          axis=alt.Axis(labelFontSize=15, labelOverlap=False,
                                                        labelLimit=220)))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("coverage_rate:Q", title=figures.column_label("coverage_rate"),
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.condition(alt.datum.coverage_rate < threshold, alt.value(RED), alt.value(GREEN)),
        tooltip=[alt.Tooltip("label:N", title="分组"),
                 alt.Tooltip("assigned:Q", title=figures.column_label("assigned")),
                 alt.Tooltip("visited:Q", title=figures.column_label("visited")),
                 alt.Tooltip("coverage_rate:Q", title=figures.column_label("coverage_rate"), format=".1%")])
    text = base.mark_text(align="left", dx=4, fontSize=14, color="#E6EDF5").encode(
        x="coverage_rate:Q", text="text:N")
    rule = alt.Chart(pd.DataFrame({"t": [threshold]})).mark_rule(
        color=AMBER, strokeDash=[6, 4], strokeWidth=2).encode(x="t:Q")
    return _style(bars + text + rule, AXES_HEIGHT + row_height * len(data))


def visit_heatmap(cells: pd.DataFrame, officer_order: list[str]) -> alt.Chart:
    """Officer × week heatmap of visits (input: officer label, week, visits)."""
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
    long = pd.DataFrame({
        "diary": [g.DIARY_TYPES.get(d, d) for d in mix["diary_type"]] * 2,
        "what": ["记录完整"] * len(mix) + ["记录不全"] * len(mix),
        "n": list(mix["complete"]) + list(mix["visits"] - mix["complete"]),
    })
    return _style(alt.Chart(long).mark_bar().encode(
        y=alt.Y("diary:N", title=None, axis=alt.Axis(labelFontSize=15)),
        x=alt.X("n:Q", title="走访次数", stack=True),
        color=alt.Color("what:N", title="三带走、三留下", sort=["记录完整", "记录不全"],
                        scale=alt.Scale(range=[GREEN, AMBER])),
        tooltip=[alt.Tooltip("diary:N", title="日记类型"), alt.Tooltip("what:N", title="记录"),
                 alt.Tooltip("n:Q", title="走访次数")]), AXES_HEIGHT + 40 * len(mix))


def bars(data: pd.DataFrame, category: str, value: str, title: str, labels: dict | None = None,
         colour: str = BLUE, row_height: int = 30) -> alt.Chart:
    """Horizontal bars of `value` per `category` (labels: code → Chinese), largest on top."""
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
    data = data.assign(label=[labels.get(k, k) for k in data[series]])
    return _style(alt.Chart(data).mark_bar().encode(
        x=alt.X("yearmonth(month):O", title=None, axis=alt.Axis(format="%m月", labelAngle=0)),
        y=alt.Y(f"sum({value}):Q", title=title),
        color=alt.Color("label:N", title=None, scale=alt.Scale(
            range=[BLUE, GREEN, AMBER, RED, GREY, "#B07CF2"])),
        tooltip=[alt.Tooltip("yearmonth(month):T", title="月份", format="%Y-%m"),
                 alt.Tooltip("label:N", title="分组"),
                 alt.Tooltip(f"sum({value}):Q", title=title, format=",")]), height)
