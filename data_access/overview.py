"""The overview's figures: the headline tiles and the towns side by side, from the registry."""

import pandas as pd
from sqlalchemy import Connection

from data_access import figures, places
from data_access.filters import Filters

# The headline tiles, in screen order: the closed loop, then visits and services.
LOOP_TILES = ["collected", "resolved", "resolution_rate", "overdue", "satisfaction_rate"]
WORK_TILES = ["visits", "coverage_rate", "clinic_visits", "hotline_services"]
TOWN_FIGURES = ["collected", "resolved", "resolution_rate", "overdue", "visits",
                "coverage_rate", "clinic_visits", "hotline_services"]


def fetch_kpis(conn: Connection, f: Filters) -> dict:
    """The headline figures of LOOP_TILES and WORK_TILES (figures.headline)."""
    return figures.headline(conn, f, LOOP_TILES + WORK_TILES)


def fetch_kpis_each(conn: Connection, periods: tuple[Filters, ...]) -> list[dict]:
    """fetch_kpis for each of `periods` (总览's period, this week and last week), in one
    call: those judged alike (the same as_of and choices) share the rollup's correction,
    the tickets touched since as_of judged once (figures.headlines)."""
    return figures.headlines(conn, list(periods), LOOP_TILES + WORK_TILES)


def fetch_town_comparison(conn: Connection, f: Filters) -> pd.DataFrame:
    """One row per town (all 17, or the filtered one), in code order.

    Columns: town_code, town (str), population (int), then TOWN_FIGURES (figures.grouped).
    """
    towns = places.list_towns(conn)[["town_code", "town", "population"]]
    towns = towns[towns["town_code"] == f.town_code] if f.town_code else towns
    per_town = figures.grouped(conn, f, "town_code", TOWN_FIGURES)
    out = towns.merge(per_town.rename(columns={"key": "town_code"}), on="town_code", how="left")
    counts = [c for c in TOWN_FIGURES if not figures.FIGURES[c].is_rate]
    out[counts] = out[counts].fillna(0).astype("int64")
    return out.reset_index(drop=True)
