"""KPI tiles: the headline figures with their week-over-week change."""

import math

import streamlit as st

from components import format as fmt
from data_access.figures import FIGURES, glossary


def value(key: str, value) -> str:
    """A figure's value as the screen shows it: rates in %, counts with separators."""
    return fmt.pct(value) if FIGURES[key].is_rate else fmt.count(value)


NO_DATA = "本期无数据"
LEVEL, BOTH_EMPTY = "持平", "两周均无数据"  # said in grey, without an arrow


def _delta(key: str, this_week, last_week) -> str | None:
    if any(isinstance(x, float) and math.isnan(x) for x in (this_week, last_week)):
        return None
    if not FIGURES[key].is_rate and this_week == 0 and last_week == 0:
        return BOTH_EMPTY
    if this_week == last_week:
        return LEVEL
    if FIGURES[key].is_rate:
        return fmt.points(this_week - last_week)
    return fmt.signed(this_week - last_week)


def _shown(key: str, x) -> str:
    """The tile's value: an undefined rate (nothing to divide) is 本期无数据, not a dash."""
    return NO_DATA if isinstance(x, float) and math.isnan(x) else value(key, x)


def tiles(keys: list[str], period: dict, this_week: dict, last_week: dict) -> None:
    """One row of bordered tiles of registry figures: the period's value, the change of this
    week against the same days of last week; label and help from the registry. No change
    reads 持平 in grey, never a coloured "↑ +0"."""
    for col, key in zip(st.columns(len(keys)), keys):
        delta = _delta(key, this_week[key], last_week[key])
        flat = delta in (LEVEL, BOTH_EMPTY)
        colour = "inverse" if FIGURES[key].higher_is_better is False else "normal"
        col.metric(
            FIGURES[key].label, _shown(key, period[key]), delta=delta,
            delta_color="off" if flat else colour, delta_arrow="off" if flat else "auto",
            delta_description="本周较上周同期", help=FIGURES[key].definition, border=True,
        )


def figure(key: str, values: dict) -> tuple[str, str, str]:
    """(label, formatted value, definition) of a registry figure, for `row`."""
    return FIGURES[key].label, value(key, values[key]), FIGURES[key].definition


def row(*figures, where=st) -> None:
    """A row of bordered tiles, each (label, formatted value, help text)."""
    for col, (label, value, help_) in zip(where.columns(len(figures)), figures):
        col.metric(label, value, help=help_, border=True)


def definitions(keys, where=st) -> None:
    """The 指标口径 box: each figure's label and definition, from the registry."""
    with where.expander("指标口径"):
        st.markdown(glossary(dict.fromkeys(keys)))
