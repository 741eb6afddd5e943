"""The overview's figures: headline KPIs and the per-town comparison, from the domain modules."""

import pandas as pd
from sqlalchemy import Connection

from data_access import places, programmes, tickets, visits
from data_access.filters import Filters


def fetch_kpis(conn: Connection, f: Filters) -> dict:
    """The headline figures for the filters; keys are those of glossary.KPIS.

    collected, resolved, overdue, visits, clinic_visits, hotline_services: int;
    resolution_rate, satisfaction_rate, coverage_rate: 0–1 (NaN when undefined).
    """
    t = tickets.fetch_headline(conn, f)
    v = visits.fetch_headline(conn, f)
    return {
        "collected": t["collected"],
        "resolved": t["resolved"],
        "resolution_rate": t["resolution_rate"],
        "overdue": t["overdue"],
        "satisfaction_rate": t["satisfaction_rate"],
        "visits": v["visits"],
        "coverage_rate": v["coverage_rate"],
        "clinic_visits": programmes.sum_clinic_visits(conn, f),
        "hotline_services": programmes.sum_hotline_services(conn, f),
    }


def fetch_town_comparison(conn: Connection, f: Filters) -> pd.DataFrame:
    """One row per town (all 17, or the filtered one), in code order.

    Columns: town_code, town (str); population, collected, resolved, overdue, visits,
    assigned, visited, clinic_visits, hotline_services (int); resolution_rate,
    coverage_rate (0–1 float), hotline_per_10k (float, services per 10,000 residents).
    """
    towns = places.list_towns(conn)[["town_code", "town", "population"]]
    if f.town_code:
        towns = towns[towns["town_code"] == f.town_code]
    out = towns
    for part in (tickets.fetch_by_town(conn, f), visits.fetch_by_town(conn, f),
                 programmes.fetch_clinic_visits_by_town(conn, f),
                 programmes.fetch_hotline_by_town(conn, f)):
        out = out.merge(part, on="town_code", how="left")
    counts = ["collected", "resolved", "overdue", "visits", "assigned", "visited",
              "clinic_visits", "hotline_services"]
    out[counts] = out[counts].fillna(0).astype("int64")
    out["resolution_rate"] = out["resolved"] / out["collected"].where(out["collected"] > 0)
    out["coverage_rate"] = out["visited"] / out["assigned"].where(out["assigned"] > 0)
    out["hotline_per_10k"] = out["hotline_services"] / out["population"] * 10_000
    return out.reset_index(drop=True)
