"""The map's colours and its legend.

Metric ramps run blue→amber→red (bad high) or red→amber→teal (good high); the sites use an
Okabe–Ito palette (colour-blind safe) in hues no ramp uses, with dark outlines, so a point
never vanishes on a cell of its own colour. The worst-stage metric is categorical.
"""

import math

import pandas as pd

from components import format as fmt

NO_DATA = [90, 100, 112]
BORDER = [230, 237, 245, 230]
SELECTED = [255, 255, 255, 255]
OUTLINE = [11, 23, 38, 255]
NAME_COLOUR = [255, 255, 255, 240]
DIM_ALPHA = 70  # cells outside the chosen area
BAD_RAMP = [(35, 62, 92), (62, 128, 190), (242, 193, 78), (255, 107, 107)]
GOOD_RAMP = [(255, 107, 107), (242, 193, 78), (64, 170, 160)]
# Okabe–Ito: reddish purple, sky blue, yellow, vermilion-free set for the sites
CLINIC_COLOUR = [204, 121, 167]  # reddish purple
GAP_COLOUR = [240, 228, 66]  # yellow, black outline
STAGE_COLOURS = {"not_started": [255, 255, 255], "planned": [86, 180, 233],
                 "in_progress": [230, 159, 0], "completed": [0, 114, 178]}
HEAT_RANGE = [[255, 255, 204], [255, 237, 160], [254, 217, 118], [254, 178, 76],
              [253, 141, 60], [227, 26, 28]]
# The worst-stage metric: one colour per waiting stage of the loop (categorical), in loop
# order from calm to urgent; none of them a site's colour
WAIT_STAGE_COLOURS = [[0, 158, 115], [242, 193, 78], [213, 94, 0], [255, 107, 107],
                      [150, 110, 230], [153, 153, 153]]


def ramp_range(values: pd.Series) -> tuple[float, float]:
    """The values that get the ramp's first and last colour: the 2nd and 98th percentiles,
    or the whole range for sparse counts (else one cell with a ticket paints all red)."""
    known = values.dropna()
    if not len(known):
        return 0.0, 1.0
    if known.nunique() <= 8:
        return float(known.min()), float(known.max())
    return float(known.quantile(0.02)), float(known.quantile(0.98))


def ramp(values: pd.Series, higher_is_better: bool) -> list[list[int]]:
    """RGB colours for values along the metric's ramp (see ramp_range)."""
    stops = GOOD_RAMP if higher_is_better else BAD_RAMP
    lo, hi = ramp_range(values)
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(NO_DATA)
            continue
        t = 0.0 if hi <= lo else min(1.0, max(0.0, (v - lo) / (hi - lo)))
        k = min(int(t * (len(stops) - 1)), len(stops) - 2)
        u = t * (len(stops) - 1) - k
        out.append([round(a + (b - a) * u) for a, b in zip(stops[k], stops[k + 1])])
    return out


def categories(values: pd.Series, stages: list[str]) -> list[list[int]]:
    """One colour per stage code (NO_DATA for an area without open tickets)."""
    colours = dict(zip(stages, WAIT_STAGE_COLOURS))
    return [colours.get(v, NO_DATA) for v in values]


def _css(rgb) -> str:
    return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})"


def _swatch(rgb, round_=False, outline=False) -> str:
    border = ";border:2px solid #0B1726" if outline else ""
    return (f"<span style='display:inline-block;width:14px;height:14px;vertical-align:middle;"
            f"border-radius:{'50%' if round_ else '3px'};background:{_css(rgb)}{border}'></span>")


def legend_html(title: str, values: pd.Series | None, higher_is_better: bool,
                sites: dict[str, list], *, stages: dict[str, str] | None = None,
                heat: bool = False) -> str:
    """The legend: the metric's ramp with its end values (or, with `stages`, one swatch per
    stage: code → label), the heat ramp when shown, and a swatch per kind of site."""
    if stages is not None:
        parts = [f"<b>{title}</b> " + " ".join(
            f"{_swatch(c)} {label}" for c, label in zip(WAIT_STAGE_COLOURS, stages.values()))
            + f" {_swatch(NO_DATA)} 无在办问题"]
    else:
        lo, hi = ramp_range(values)
        show = fmt.pct if higher_is_better else (lambda v: f"{v:,.1f}")
        gradient = ", ".join(_css(c) for c in (GOOD_RAMP if higher_is_better else BAD_RAMP))
        parts = [f"<b>{title}</b> {show(lo)} <span style='display:inline-block;width:160px;"
                 f"height:14px;border-radius:3px;vertical-align:middle;"
                 f"background:linear-gradient(90deg,{gradient})'></span> {show(hi)}（及以上） "
                 f"{_swatch(NO_DATA)} 无数据"]
    if heat:
        gradient = ", ".join(_css(c) for c in HEAT_RANGE)
        parts.append(f"问题热力 少 <span style='display:inline-block;width:90px;height:14px;"
                     f"border-radius:3px;vertical-align:middle;background:linear-gradient(90deg,"
                     f"{gradient})'></span> 多")
    parts += [f"{_swatch(rgb, round_=True, outline=True)} {label}" for label, rgb in sites.items()]
    return ("<div class='map-legend'>" + " &nbsp;·&nbsp; ".join(parts) + "</div>")
