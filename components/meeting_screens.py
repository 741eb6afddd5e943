"""周例会 presenter mode: each agenda item as one full screen, sized like the wall.

The wall's CSS (components/wall.py: root font from the viewport, no header, no scrolling) is
reused as it is; the screens below add only their own layout. Every value is escaped; the
tables come from reports.views (citizen fields already masked there).
"""

import pandas as pd

from components import format as fmt
from components.wall import CSS as WALL_CSS
from components.wall import esc
from reports import views

ROWS = 12  # table rows one screen holds (two tables: half each)
NUMERIC = {"count", "rate", "points", "signed", "days"}  # right-aligned columns
KEYS_HINT = "→ / PageDown / 空格 下一页 · ← / PageUp 上一页"

CSS = WALL_CSS + """
<style>
/* the presenter covers the page (navigation and filter bar included) */
.st-key-meeting_present { position: fixed; inset: 0; z-index: 999990; background: #0B1A2C;
  padding: 2vh 2.5vw; box-sizing: border-box; overflow: hidden; }
.st-key-meeting_present [data-testid="stVerticalBlock"] { gap: 1.2vh !important; }
.present-tiles { display: grid; grid-template-columns: repeat(6, 1fr); gap: 1vw; }
.present-tiles.two { grid-template-columns: repeat(2, 1fr); width: 50%; }
.present-tile { background: #13253B; border-radius: 0.6rem; padding: 1.4vh 1vw; }
.present-tile .k { font-size: 1.35rem; color: #A9B8CC; }
.present-tile .v { font-size: 3.4rem; font-weight: 800; color: #FFFFFF; line-height: 1.15; }
.present-tile .d { font-size: 1.2rem; color: #C9D4E3; }
.present-tile .d.good { color: #3DDC97; } .present-tile .d.bad { color: #FF6B6B; }
.present-caption { font-size: 1.35rem; color: #7FB8F0; font-weight: 700; margin: 0.5vh 0; }
.present-more, .present-keys { font-size: 1.05rem; color: #8FA3BF; }
.present-keys { position: fixed; left: 2.5vw; bottom: 1.6vh; }
.present-table td, .present-table th { height: 4.6vh; font-size: 1.25rem;
  text-align: left !important; }
.present-table td.n, .present-table th.n { text-align: right !important; }
.present-table td { max-width: 22vw; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }
/* the step buttons sit at the bottom right; the extra keys' buttons are not shown */
.st-key-present_controls { position: fixed; right: 2.5vw; bottom: 1.2vh; width: auto; }
.st-key-present_pgdn, .st-key-present_space, .st-key-present_pgup {
  position: absolute !important; width: 1px !important; height: 1px !important;
  overflow: hidden !important; opacity: 0 !important; pointer-events: none; }
</style>
"""


def header(title: str, scope: str, step: int, steps: int) -> str:
    return (f"<div class='wall wall-band'><div class='wall-title'>{esc(title)}</div>"
            f"<div class='wall-sub'>{esc(scope)}</div>"
            f"<div class='wall-time' style='margin-right:0' data-testid='present-step'>"
            f"{step} / {steps}</div></div>")


def _tone(change, higher_is_better) -> str:
    if pd.isna(change) or change == 0 or higher_is_better is None:
        return ""
    return "good" if (change > 0) == bool(higher_is_better) else "bad"


def tiles(comparison: pd.DataFrame, codes: list[str]) -> str:
    """The figures' big numbers this week, each with its change against last week."""
    rows = comparison.set_index("code").loc[codes]
    cells = []
    for code, r in rows.iterrows():
        rate = code.endswith("_rate")
        value = fmt.pct(r["this_week"]) if rate else fmt.count(r["this_week"])
        change = (fmt.NOTHING if pd.isna(r["change"]) else "持平" if r["change"] == 0 else
                  fmt.points(r["change"]) if rate else fmt.signed(r["change"]))
        cells.append(f"<div class='present-tile'><div class='k'>{esc(r['label'])}</div>"
                     f"<div class='v'>{esc(value)}</div><div class='d "
                     f"{_tone(r['change'], r['higher_is_better'])}'>较上周 {esc(change)}</div>"
                     "</div>")
    grid = "present-tiles" + (" two" if len(cells) <= 2 else "")
    return f"<div class='wall {grid}'>{''.join(cells)}</div>"


def table(t: views.Table, rows: int = ROWS) -> str:
    """One agenda table as the wall's table: the first `rows` rows, then how many more."""
    shown = views.shown(t)
    caption = f"<div class='present-caption'>{esc(t.title)}</div>"
    note = f"<div class='present-more'>{esc(t.note)}</div>" if t.note else ""
    if shown.empty:
        return (f"<div class='wall'>{caption}<div class='wall-empty'>{esc(t.nothing())}</div>"
                f"{note}</div>")
    numeric = [" class='n'" if (t.row_kinds and c != "指标") or t.kinds.get(c) in NUMERIC
               else "" for c in shown.columns]
    head = "".join(f"<th{n}>{esc(c)}</th>" for c, n in zip(shown.columns, numeric))
    body = "".join("<tr>" + "".join(f"<td{n}>{esc(v)}</td>" for v, n in zip(r, numeric))
                   + "</tr>" for r in shown.head(rows).itertuples(index=False))
    more = (f"<div class='present-more'>另有 {len(shown) - rows} 条（见简报 Excel）</div>"
            if len(shown) > rows else "")
    return (f"<div class='wall'>{caption}<table class='wall-table present-table'><tr>{head}"
            f"</tr>{body}</table>{more}{note}</div>")


def keys_hint() -> str:
    return f"<div class='wall present-keys'>{esc(KEYS_HINT)}</div>"
