"""Altair chart builders. Labels come from the glossary; sizes suit a wall screen."""

import altair as alt
import pandas as pd

from data_access import glossary as g

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
BLUE, GREEN, RED, AMBER, GREY = "#4EA8F5", "#3DDC97", "#FF6B6B", "#F2C14E", "#8FA3BF"


def _style(chart: alt.Chart, height: int = 320) -> alt.Chart:
    return (chart.properties(height=height)
            .configure(font=FONT)
            .configure_axis(labelFontSize=15, titleFontSize=15, labelFont=FONT, titleFont=FONT)
            .configure_legend(labelFontSize=15, titleFontSize=15, orient="top", labelFont=FONT,
                              titleFont=FONT)
            .configure_view(strokeWidth=0))


def weekly_flow(weekly: pd.DataFrame, height: int = 320) -> alt.Chart:
    """Grouped bars of tickets reported and resolved per week (input: week, reported, resolved)."""
    names = {"reported": g.COLUMNS["collected"], "resolved": "办结"}
    long = weekly.melt("week", ["reported", "resolved"], var_name="what", value_name="n")
    long["what"] = long["what"].map(names.get)
    return _style(alt.Chart(long).mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3).encode(
        x=alt.X("yearmonthdate(week):O", title=None, axis=alt.Axis(format="%m-%d", labelAngle=0)),
        xOffset=alt.XOffset("what:N", sort=list(names.values())),
        y=alt.Y("n:Q", title="问题数"),
        color=alt.Color("what:N", title=None, sort=list(names.values()),
                        scale=alt.Scale(range=[BLUE, GREEN])),
        tooltip=[alt.Tooltip("yearmonthdate(week):T", title="周起始", format="%Y-%m-%d"),
                 alt.Tooltip("what:N", title="指标"), alt.Tooltip("n:Q", title="数量")],
    ), height)


def town_resolution(towns: pd.DataFrame, row_height: int = 28) -> alt.Chart:
    """Per town: bars of tickets collected, coloured by resolution rate, with the rate as text."""
    data = towns.assign(rate_text=towns["resolution_rate"].map(
        lambda r: "—" if pd.isna(r) else f"{r * 100:.1f}%"))
    base = alt.Chart(data).encode(y=alt.Y("town:N", sort="-x", title=None,
                                          axis=alt.Axis(labelFontSize=16, labelOverlap=False)))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("collected:Q", title=g.COLUMNS["collected"]),
        color=alt.Color("resolution_rate:Q", title=g.COLUMNS["resolution_rate"],
                        scale=alt.Scale(domain=[0.7, 1.0], range=[RED, AMBER, GREEN]),
                        legend=alt.Legend(format=".0%")),
        tooltip=[alt.Tooltip("town:N", title=g.COLUMNS["town"]),
                 alt.Tooltip("collected:Q", title=g.COLUMNS["collected"]),
                 alt.Tooltip("resolved:Q", title=g.COLUMNS["resolved"]),
                 alt.Tooltip("rate_text:N", title=g.COLUMNS["resolution_rate"]),
                 alt.Tooltip("overdue:Q", title=g.COLUMNS["overdue"])],
    )
    text = base.mark_text(align="left", dx=6, fontSize=15, color="#E6EDF5").encode(
        x="collected:Q", text="rate_text:N")
    return _style(bars + text, max(160, row_height * len(data)))
