"""KPI tiles: the headline figures with their week-over-week change."""

import math

import streamlit as st

from components import format as fmt
from data_access import glossary as g

RATES = {"resolution_rate", "satisfaction_rate", "coverage_rate"}
# A rise is bad news for these; the delta turns red when they grow.
RISE_IS_BAD = {"overdue"}


def _value(key: str, value) -> str:
    return fmt.pct(value) if key in RATES else fmt.count(value)


def _delta(key: str, this_week, last_week) -> str | None:
    if any(isinstance(x, float) and math.isnan(x) for x in (this_week, last_week)):
        return None
    if key in RATES:
        return fmt.points(this_week - last_week)
    return fmt.signed(this_week - last_week)


def tiles(keys: list[str], period: dict, this_week: dict, last_week: dict, helps: dict) -> None:
    """One row of bordered tiles: the period's value, the change of this week against the
    same days of last week."""
    for col, key in zip(st.columns(len(keys)), keys):
        col.metric(
            g.KPIS[key], _value(key, period[key]),
            delta=_delta(key, this_week[key], last_week[key]),
            delta_color="inverse" if key in RISE_IS_BAD else "normal",
            delta_description="本周较上周同期", help=helps.get(key), border=True,
        )


def row(*figures, where=st) -> None:
    """A row of bordered tiles, each (label, formatted value, help text)."""
    for col, (label, value, help_) in zip(where.columns(len(figures)), figures):
        col.metric(label, value, help=help_, border=True)
