"""The meeting's charts, one spec for two grounds: the page's dark ground (Theme DARK, drawn by
Streamlit with its own theme off) and the briefing's white slides (Theme LIGHT, rendered to
PNG offline by vl-convert in the CJK font: an unknown font name renders no text at all, and
without it Chinese falls back to a serif).

Every value is written beside its bar in the ground's text colour; a unit at 0 keeps a short
stub of its board's colour, so that it is seen; axis labels are never cut.
"""

from dataclasses import dataclass

import altair as alt
import pandas as pd
import vl_convert as vlc

from components import format as fmt
from data_access import figures, meeting


@dataclass(frozen=True)
class Theme:
    """The colours and type of one ground."""

    font: str
    background: str
    text: str  # values and axis labels
    muted: str  # axis titles, legend
    grid: str
    this_week: str
    last_week: str
    red: str  # 红榜
    black: str  # 黑榜: dark on white, a clear grey on the dark page
    size: int  # label font size (px)


LIGHT = Theme(font="Noto Sans CJK SC", background="white", text="#1B2A3A", muted="#4A5A6E",
              grid="#E3E8EF", this_week="#1F6FB2", last_week="#A7B4C4", red="#C0392B",
              black="#2B2B2B", size=13)
DARK = Theme(font="Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif",
             background="transparent", text="#E6EDF5", muted="#A9B8CC", grid="#23384F",
             this_week="#4EA8F5", last_week="#8FA3BF", red="#FF6B6B", black="#9AA7B8", size=15)
STUB = 0.012  # a bar at 0 is drawn this long (share of the axis), in its board's colour


def _configured(chart: alt.Chart, theme: Theme) -> alt.Chart:
    return (chart.configure(font=theme.font, background=theme.background)
            .configure_axis(labelFontSize=theme.size, titleFontSize=theme.size,
                            labelColor=theme.text, titleColor=theme.muted,
                            gridColor=theme.grid, domainColor=theme.grid,
                            tickColor=theme.grid, labelLimit=0, titleFontWeight="normal")
            .configure_legend(labelFontSize=theme.size, titleFontSize=theme.size,
                              labelColor=theme.text, titleColor=theme.muted, orient="top",
                              labelLimit=0)
            .configure_view(stroke=None))


def png(chart: alt.Chart, scale: float = 2) -> bytes:
    """A chart made for LIGHT as PNG bytes."""
    return vlc.vegalite_to_png(chart.to_dict(), scale=scale)


def comparison(comparison: pd.DataFrame, theme: Theme = LIGHT) -> alt.Chart:
    """This week against last week for the closed loop's counts, as paired bars with their
    values above them."""
    counts = [c for c in meeting.LOOP if not figures.FIGURES[c].is_rate]
    rows = comparison.set_index("code").loc[counts]
    data = pd.DataFrame(
        [{"指标": r["label"], "周": week, "数量": r[col],
          "标注": fmt.count(r[col])}
         for _, r in rows.iterrows() for week, col in (("本周", "this_week"), ("上周", "last_week"))])
    top = max(1.0, float(data["数量"].fillna(0).max())) * 1.15  # room for the top labels
    base = alt.Chart(data).encode(
        x=alt.X("指标:N", sort=list(rows["label"]), title=None,
                axis=alt.Axis(labelAngle=0, labelLimit=0, labelPadding=8)),
        xOffset=alt.XOffset("周:N", sort=["本周", "上周"]),
        y=alt.Y("数量:Q", title=None, scale=alt.Scale(domain=[0, top], nice=False),
                axis=alt.Axis(format=fmt.CHART_COUNT, tickMinStep=1, tickCount=5)))
    bars = base.mark_bar().encode(color=alt.Color(
        "周:N", sort=["本周", "上周"], scale=alt.Scale(range=[theme.this_week, theme.last_week]),
        title=None))
    labels = base.mark_text(baseline="bottom", dy=-4, fontSize=theme.size,
                            color=theme.text).encode(text="标注:N")
    return _configured((bars + labels).properties(width=460, height=300), theme)


def board(frame: pd.DataFrame, code: str, theme: Theme = LIGHT) -> alt.Chart:
    """One 红黑榜 as horizontal bars: the red board's units then the black board's, each
    value written after its bar; a unit at 0 keeps a short stub."""
    rate = figures.FIGURES[code].is_rate
    top = 1.0 if rate else max(1.0, float(frame["value"].max()))
    data = frame.assign(
        榜单=frame["board"].map({"red": "红榜", "black": "黑榜"}),
        单位=frame["name"],
        值=frame["value"],
        长=frame["value"].clip(lower=STUB * top),
        标注=frame["value"].map(fmt.pct if rate else fmt.count))
    order = list(data["单位"])
    ticks = [i / 5 for i in range(6)] if rate else alt.Undefined
    x = alt.X("长:Q", title=figures.label(code),
              axis=alt.Axis(format=fmt.CHART_AXIS_PCT if rate else fmt.CHART_COUNT,
                            values=ticks),
              scale=alt.Scale(domain=[0, top * 1.2], nice=False))  # room for the labels
    base = alt.Chart(data).encode(
        y=alt.Y("单位:N", sort=order, title=None, axis=alt.Axis(labelLimit=0)), x=x)
    bars = base.mark_bar().encode(color=alt.Color(
        "榜单:N", scale=alt.Scale(domain=["红榜", "黑榜"], range=[theme.red, theme.black]),
        title=None), tooltip=[alt.Tooltip("单位:N"), alt.Tooltip("标注:N", title="数值")])
    labels = base.mark_text(align="left", dx=6, fontSize=theme.size,
                            color=theme.text).encode(text="标注:N")
    return _configured((bars + labels).properties(width=420, height=max(80, 40 * len(data))),
                       theme)
