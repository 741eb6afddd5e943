"""The wall screen (大屏): its settings from the URL, its style and its panels as HTML.

One 16:9 composition, every size in vw/vh/rem (the wall's root font follows the viewport),
so the same screen fills 1920×1080 and 3840×2160 with text twice as large on the latter.
Values from the database are escaped here; no panel is Markdown.
"""

import html
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from components import format as fmt
from components import kpis
from data_access import freshness

SCRIPT = "pages/5_wall.py"
VIEWS = {"main": "总览", "towns": "镇街对比"}  # the playlist's screens, URL names → titles
DEFAULT_EVERY, MIN_EVERY, MAX_EVERY = 60, 5, 3600
NO_DATA = "本期无数据"

# Where each panel's figures come from: its freshness is theirs.
SOURCES = {
    "headline": ["tickets", "ticket_events"],
    "towns": ["tickets", "ticket_events", "towns"],
    "week": ["tickets", "ticket_events", "visits", "hotline_daily"],
    "coverage": ["visits", "assignments", "targets"],
    "programmes": ["clinic_points", "clinic_services", "compounds", "hotline_daily"],
    "map": ["visits", "assignments", "targets", "towns"],
}


@dataclass(frozen=True)
class WallSettings:
    """What the URL asks of the wall: the rotation interval and the playlist."""

    every: int = DEFAULT_EVERY
    views: tuple[str, ...] = tuple(VIEWS)

    @classmethod
    def from_query(cls, query: dict) -> "WallSettings":
        """Validated: a bad `every` falls back to the default, unknown views are dropped."""
        try:
            every = min(max(int(query.get("every", DEFAULT_EVERY)), MIN_EVERY), MAX_EVERY)
        except (TypeError, ValueError):
            every = DEFAULT_EVERY
        asked = [v.strip() for v in str(query.get("views", "")).split(",")]
        views = tuple(v for v in dict.fromkeys(asked) if v in VIEWS) or tuple(VIEWS)
        return cls(every=every, views=views)

    def to_query(self) -> dict[str, str]:
        return {"wall": "1", "every": str(self.every), "views": ",".join(self.views)}


CSS = """
<style>
/* The wall's root font follows the screen: 17.3 px at 1920×1080, 34.6 px at 3840×2160. */
html { font-size: min(0.9vw, 1.6vh) !important; }
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stStatusWidget"],
[data-testid="stDecoration"], [data-testid="stSidebar"], [data-testid="stBottom"] {
  display: none !important; }
[data-testid="stMain"], [data-testid="stAppViewContainer"] { overflow: hidden !important; }
.block-container { padding: 1.2vh 1.2vw 0 1.2vw !important; max-width: 100% !important; }
[data-testid="stVerticalBlock"] { gap: 1vh !important; }
[data-testid="stHorizontalBlock"] { gap: 1vw !important; }
/* a refresh replaces figures in place: no dimming of the old ones while the new are made */
[data-stale="true"], .stale-element { opacity: 1 !important; transition: none !important; }
/* the frame's 示例数据 mark: on the wall, bottom left, clear of the clock */
.cockpit-sample-mark { top: auto !important; right: auto !important; bottom: 0.8vh !important;
                       left: 2vw !important; font-size: 1rem !important; }
.wall { color: #E6EDF5; font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
        line-height: 1.25; }
.wall-band { display: flex; align-items: center; gap: 1.5vw; height: 6.5vh; }
.wall-title { font-size: 2.3rem; font-weight: 700; letter-spacing: 0.1rem; }
.wall-sub { font-size: 1.15rem; color: #8FA3BF; }
.wall-time { margin-left: auto; margin-right: 15vw; font-size: 1.1rem; color: #C9D4E3;
             text-align: right; }
.wall-stale { color: #F2C14E; font-weight: 700; }
.wall-heads { display: grid; grid-template-columns: repeat(5, 1fr); gap: 1vw; height: 14vh; }
.wall-head { background: #13253B; border-radius: 0.6rem; padding: 1vh 1vw;
             display: flex; flex-direction: column; justify-content: center; }
.wall-head .k { font-size: 1.35rem; color: #A9B8CC; }
.wall-head .v { font-size: 3.6rem; font-weight: 800; color: #FFFFFF; line-height: 1.1; }
.wall-head .v.good { color: #3DDC97; } .wall-head .v.bad { color: #FF6B6B; }
.wall-panel { background: #13253B; border-radius: 0.6rem; padding: 1.2vh 1vw;
              box-sizing: border-box; overflow: hidden; }
.wall-panel h3 { font-size: 1.35rem; margin: 0 0 0.8vh 0; padding: 0; color: #E6EDF5;
                 font-weight: 700; display: flex; gap: 0.8vw; align-items: baseline;
                 white-space: nowrap; }
.wall-panel h3 .mark, .wall-head .mark { font-size: 1.05rem; margin-left: 0.6vw; }
.wall-empty { font-size: 1.3rem; color: #8FA3BF; padding: 2vh 0; }
.wall-maphead { height: 4vh; display: flex; align-items: center; gap: 1vw;
                font-size: 1.2rem; }
.wall-row { display: grid; grid-template-columns: 6.5rem 1fr 5.2rem; align-items: center;
            gap: 0.6vw; font-size: 1.25rem; height: 4.3vh; }
.wall-bar { height: 1.6vh; border-radius: 0.3rem; background: #4EA8F5; }
.wall-track { background: #0E1D30; border-radius: 0.3rem; }
.wall-num { text-align: right; font-variant-numeric: tabular-nums; }
.wall-split { font-size: 1.1rem; color: #8FA3BF; margin: 1vh 0 0.3vh 0; }
.wall-big { font-size: 2.8rem; font-weight: 800; }
.wall-table { width: 100%; border-collapse: collapse; font-size: 1.15rem; }
.wall-table th { color: #A9B8CC; font-weight: 600; text-align: right; padding: 0 0.5vw; }
.wall-table td { text-align: right; padding: 0 0.5vw; height: 3.35vh;
                 font-variant-numeric: tabular-nums; border-top: 1px solid #1E3550; }
.wall-table td:first-child, .wall-table th:first-child { text-align: left; }
.wall-legend { font-size: 1.1rem; color: #C9D4E3; }
/* the map's deck is drawn at the 1920 size and scaled with the screen (see wall_map) */
.st-key-wall_map [data-testid="stDeckGlJsonChart"] { background: #0E1D30;
  border-radius: 0.6rem; }
</style>
"""


def esc(value) -> str:
    return html.escape(str(value))


def stale_note(sources: list[str], load_times: pd.DataFrame, now: datetime,
               limit: timedelta) -> str:
    """A visible mark when the panel's data is older than the limit ('' when fresh)."""
    loaded = freshness.data_time(load_times, sources)
    if not freshness.is_stale(loaded, now, limit):
        return ""
    if loaded is None:
        return "<span class='mark wall-stale'>⚠ 数据时间未知</span>"
    age = now - loaded
    said = f"{age.days} 天" if age.days >= 1 else f"{int(age.total_seconds() // 3600)} 小时"
    return (f"<span class='mark wall-stale' title='数据截至 {fmt.moment(loaded)}'>"
            f"⚠ 已 {said}未更新</span>")


def panel(title: str, body: str, mark: str = "", height: str = "70vh") -> str:
    return (f"<div class='wall wall-panel' style='height:{height}'><h3>{esc(title)}{mark}</h3>"
            f"{body}</div>")


def empty() -> str:
    return f"<div class='wall-empty'>{NO_DATA}</div>"


def header(title: str, scope: str, data_time: datetime | None, stale: bool, tick: int = 0
           ) -> str:
    """Title, scope and data time; `tick` counts the fragment's runs (for tests and logs)."""
    when = f"数据截至 {fmt.moment(data_time)}" if data_time else "数据时间未知"
    mark = "<span class='wall-stale'> ⚠ 已超过更新时限</span>" if stale else ""
    return (f"<div class='wall wall-band' data-tick='{int(tick)}'>"
            f"<div class='wall-title'>{esc(title)}</div>"
            f"<div class='wall-sub'>{esc(scope)}</div>"
            f"<div class='wall-time' data-testid='wall-data-time'>{esc(when)}{mark}</div></div>")


HEADLINE = ["collected", "resolved", "resolution_rate", "overdue", "satisfaction_rate"]


def headline(figures: dict, labels: dict, mark: str = "") -> str:
    """The closed loop's five big numbers. Nothing collected: one 本期无数据 band."""
    if not figures.get("collected"):
        return (f"<div class='wall wall-heads'><div class='wall-head' style='grid-column:1/6'>"
                f"<div class='k'>{esc(labels['collected'])}{mark}</div>"
                f"<div class='v'>{NO_DATA}</div></div></div>")
    tiles = []
    for i, code in enumerate(HEADLINE):
        tone = "bad" if code == "overdue" and figures[code] else ""
        tiles.append(f"<div class='wall-head'><div class='k'>{esc(labels[code])}"
                     f"{mark if i == 0 else ''}</div>"
                     f"<div class='v {tone}'>{esc(kpis.value(code, figures[code]))}</div></div>")
    return f"<div class='wall wall-heads'>{''.join(tiles)}</div>"


def _rate_colour(rate: float) -> str:
    return "#3DDC97" if rate >= 0.9 else "#F2C14E" if rate >= 0.8 else "#FF6B6B"


def _rank_rows(rows: pd.DataFrame) -> str:
    out = []
    for town, rate in zip(rows["town"], rows["resolution_rate"]):
        out.append(f"<div class='wall-row'><span>{esc(town)}</span>"
                   f"<div class='wall-track'><div class='wall-bar' style='width:{rate * 100:.1f}%;"
                   f"background:{_rate_colour(rate)}'></div></div>"
                   f"<span class='wall-num'>{fmt.pct(rate)}</span></div>")
    return "".join(out)


def overdue_ranking(towns: pd.DataFrame, label: str, mark: str = "", n: int = 10) -> str:
    """The towns with the most tickets open past their time limit (none: said so)."""
    have = towns[towns["overdue"] > 0].sort_values(["overdue", "town"], ascending=[False, True])
    title = f"{label}最多"
    if have.empty:
        return panel(title, f"<div class='wall-empty'>无{esc(label)}</div>", mark)
    top = int(have["overdue"].max())
    body = "".join(
        f"<div class='wall-row'><span>{esc(town)}</span><div class='wall-track'>"
        f"<div class='wall-bar' style='width:{count / top * 100:.1f}%;background:#FF6B6B'>"
        f"</div></div><span class='wall-num'>{fmt.count(count)}</span></div>"
        for town, count in zip(have["town"].head(n), have["overdue"].head(n)))
    return panel(title, "<div class='wall-split'>截至统计时点</div>" + body, mark)


def ranking(towns: pd.DataFrame, label: str, mark: str = "", n: int = 5) -> str:
    """The towns ranked by resolution rate: the best n and the worst n (towns without
    tickets in the period are left out and counted)."""
    have = towns[towns["collected"] > 0].sort_values(
        ["resolution_rate", "collected"], ascending=[False, False])
    if have.empty:
        return panel(f"{label}排名", empty(), mark)
    best, worst = have.head(n), have.tail(min(n, max(len(have) - n, 0)))
    body = "<div class='wall-split'>前列</div>" + _rank_rows(best)
    if not worst.empty:
        body += "<div class='wall-split'>后列</div>" + _rank_rows(worst)
    missing = len(towns) - len(have)
    if missing:
        body += f"<div class='wall-split'>另有 {missing} 个镇(乡)街道{NO_DATA}</div>"
    return panel(f"{label}排名", body, mark)


def week_against_last(now: dict, before: dict, labels: dict, codes: list[str],
                      partial_note: str, mark: str = "") -> str:
    """This week so far against the same days of last week, as paired bars."""
    if not any(now[c] or before[c] for c in codes):
        return panel("本周与上周同期", empty(), mark, height="36vh")
    rows = [f"<div class='wall-split'>{esc(partial_note)}</div>"]
    for code in codes:
        a, b = int(now[code] or 0), int(before[code] or 0)
        top = max(a, b, 1)
        change = "持平" if a == b else f"{a - b:+,}"
        rows.append(
            f"<div class='wall-row' style='grid-template-columns:8.2rem 1fr 8.5rem;height:6vh'>"
            f"<span>{esc(labels[code])}</span><div>"
            f"<div class='wall-bar' style='width:{a / top * 100:.1f}%;margin-bottom:0.4vh'></div>"
            f"<div class='wall-bar' style='width:{b / top * 100:.1f}%;background:#5B6B80'></div>"
            f"</div><span class='wall-num'>{fmt.count(a)} <span class='wall-sub'>/ "
            f"{fmt.count(b)}<br>{esc(change)}</span></span></div>")
    legend = ("<div class='wall-legend'><span style='color:#4EA8F5'>■</span> 本周 "
              "<span style='color:#5B6B80'>■</span> 上周同期</div>")
    return panel("本周与上周同期", legend + "".join(rows), mark, height="36vh")


def coverage(figures: dict, labels: dict, mark: str = "") -> str:
    """Visits made and the share of officer–target pairs visited."""
    rate = figures.get("coverage_rate")
    if not figures.get("visits") and pd.isna(rate):
        return panel(labels["coverage_rate"], empty(), mark, height="13vh")
    width = 0 if pd.isna(rate) else rate * 100
    body = (f"<div style='display:flex;align-items:baseline;gap:1vw'>"
            f"<span class='wall-big'>{fmt.pct(rate)}</span>"
            f"<span class='wall-sub'>{esc(labels['visits'])} {fmt.count(figures['visits'])} 次"
            f"</span></div><div class='wall-track'><div class='wall-bar' "
            f"style='width:{width:.1f}%;background:{_rate_colour(rate or 0)}'></div></div>")
    return panel(labels["coverage_rate"], body, mark, height="13vh")


def programmes(items: list[tuple[str, str, str]], mark: str = "") -> str:
    """专项工作's seed figures: (label, big value, small note) each."""
    cells = "".join(
        f"<div><div class='wall-sub'>{esc(label)}</div><div style='font-size:1.9rem;"
        f"font-weight:800'>{esc(value)}</div><div class='wall-sub'>{esc(note)}</div></div>"
        for label, value, note in items)
    body = f"<div style='display:grid;grid-template-columns:1fr 1fr 1fr;gap:0.8vw'>{cells}</div>"
    return panel("专项工作", body, mark, height="19vh")


def town_table(towns: pd.DataFrame, labels: dict, mark: str = "") -> str:
    """Every town side by side (the second screen), best resolution rate first."""
    have = towns.sort_values(["resolution_rate", "collected"], ascending=[False, False],
                             na_position="last")
    if have.empty or not have["collected"].any():
        return panel("各镇(乡)街道对比", empty(), mark)
    head = ["镇(乡)街道", labels["collected"], labels["resolved"], labels["resolution_rate"],
            labels["overdue"], labels["visits"], labels["coverage_rate"]]
    rows = []
    for r in have.itertuples():
        if not r.collected and not r.visits:
            cells = [esc(r.town), f"<span class='wall-sub'>{NO_DATA}</span>"] + [""] * 5
        else:
            cells = [esc(r.town), fmt.count(r.collected), fmt.count(r.resolved),
                     fmt.pct(r.resolution_rate), fmt.count(r.overdue), fmt.count(r.visits),
                     fmt.pct(r.coverage_rate)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    table = ("<table class='wall-table'><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head)
             + "</tr>" + "".join(rows) + "</table>")
    return panel("各镇(乡)街道对比", table, mark)


CLOCK = """
<div class="wall" id="wall-clock" data-testid="wall-clock"
     style="position:fixed;top:1.2vh;right:1.2vw;z-index:1000;text-align:right;
            font-variant-numeric:tabular-nums;line-height:1.1">
  <div id="wall-clock-time" style="font-size:2.4rem;font-weight:700">{time}</div>
  <div id="wall-clock-date" style="font-size:1.05rem;color:#A9B8CC">{date}</div>
</div>
<script>
(function () {{
  const days = "日一二三四五六";
  const two = n => String(n).padStart(2, "0");
  function tick() {{
    // Asia/Shanghai whatever the display PC's zone: UTC+8, no daylight saving
    const t = new Date(Date.now() + 8 * 3600 * 1000);
    const time = document.getElementById("wall-clock-time");
    const date = document.getElementById("wall-clock-date");
    if (!time || !date) return;
    time.textContent = two(t.getUTCHours()) + ":" + two(t.getUTCMinutes()) + ":" +
      two(t.getUTCSeconds());
    date.textContent = t.getUTCFullYear() + "年" + (t.getUTCMonth() + 1) + "月" +
      t.getUTCDate() + "日 星期" + days[t.getUTCDay()];
  }}
  if (window.__wallClock) clearInterval(window.__wallClock);
  window.__wallClock = setInterval(tick, 1000);
  tick();
}})();
</script>
"""


def clock(now: datetime) -> str:
    """A clock in Asia/Shanghai that ticks in the browser (server time as its first face)."""
    weekday = "一二三四五六日"[now.weekday()]
    return CLOCK.format(time=f"{now:%H:%M:%S}",
                        date=f"{now.year}年{now.month}月{now.day}日 星期{weekday}")
