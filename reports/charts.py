"""The briefing's charts: Altair specs rendered to PNG offline by vl-convert, in the CJK font
(an unknown font name renders no text at all; without it Chinese falls back to a serif)."""

import altair as alt
import pandas as pd
import vl_convert as vlc

from components import format as fmt
from data_access import figures, meeting

FONT = "Noto Sans CJK SC"
THIS, LAST = "#1F6FB2", "#A7B4C4"
RED, BLACK = "#C0392B", "#2B2B2B"


def _configured(chart: alt.Chart) -> alt.Chart:
    return (chart.configure(font=FONT, background="white")
            .configure_axis(labelFontSize=13, titleFontSize=13, grid=False)
            .configure_legend(labelFontSize=13, titleFontSize=13, orient="top")
            .configure_view(stroke=None))


def png(chart: alt.Chart, scale: float = 2) -> bytes:
    """The chart as PNG bytes."""
    return vlc.vegalite_to_png(_configured(chart).to_dict(), scale=scale)


def comparison(comparison: pd.DataFrame) -> alt.Chart:
    """This week against last week for the closed loop's counts, as paired bars."""
    counts = [c for c in meeting.LOOP if not figures.FIGURES[c].is_rate]
    rows = comparison.set_index("code").loc[counts]
    data = pd.DataFrame(
        [{"指标": r["label"], "周": week, "数量": r[col],
          "标注": fmt.count(r[col])}
         for _, r in rows.iterrows() for week, col in (("本周", "this_week"), ("上周", "last_week"))])
    base = alt.Chart(data).encode(
        x=alt.X("指标:N", sort=list(rows["label"]), title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("周:N", sort=["本周", "上周"]),
        y=alt.Y("数量:Q", title=None, axis=alt.Axis(format=fmt.CHART_COUNT, tickMinStep=1)))
    bars = base.mark_bar().encode(color=alt.Color(
        "周:N", sort=["本周", "上周"], scale=alt.Scale(range=[THIS, LAST]), title=None))
    labels = base.mark_text(dy=-8, fontSize=13).encode(text="标注:N")
    return (bars + labels).properties(width=460, height=300)


def board(frame: pd.DataFrame, code: str) -> alt.Chart:
    """One 红黑榜 as horizontal bars: the red board's units then the black board's."""
    rate = figures.FIGURES[code].is_rate
    data = frame.assign(
        榜单=frame["board"].map({"red": "红榜", "black": "黑榜"}),
        单位=frame["name"],
        值=frame["value"],
        标注=frame["value"].map(fmt.pct if rate else fmt.count))
    order = list(data["单位"])
    base = alt.Chart(data).encode(
        y=alt.Y("单位:N", sort=order, title=None),
        x=alt.X("值:Q", title=figures.label(code),
                axis=alt.Axis(format=fmt.CHART_AXIS_PCT if rate else fmt.CHART_COUNT),
                scale=alt.Scale(domain=[0, 1]) if rate else alt.Undefined))
    bars = base.mark_bar().encode(color=alt.Color(
        "榜单:N", scale=alt.Scale(domain=["红榜", "黑榜"], range=[RED, BLACK]), title=None))
    labels = base.mark_text(align="left", dx=4, fontSize=13).encode(text="标注:N")
    return (bars + labels).properties(width=420, height=max(60, 40 * len(data)))
