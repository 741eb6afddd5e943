"""Map queries: shapes, per-cell and per-town figures, points, one cell's contents.

Shapes come as GeoJSON text; `parse_shape` turns one into polygons or None (missing,
malformed, not a polygon, or outside the district), so the map leaves it off and counts it.
Metrics per cell or town, at `as_of`:
- open_tickets: not resolved, any report date; overdue_tickets: open and past due.
- tickets_per_1k: tickets reported in the period per 1,000 residents.
- coverage_rate: assigned pairs of the area's targets visited in the period / all pairs.
- satisfaction_rate: evaluations in the period scoring 4–5 / evaluations in the period.
"""

import json
import math

import pandas as pd
from sqlalchemy import Connection, func, select

from data_access import figures, summaries
from data_access import ticket_state as ts
from data_access.filters import Filters, in_scope
from data_access.places import inside_district, name_or_code
from data_access.programme_figures import counted
from data_access.programmes import OLD_COMPOUND_BEFORE
from data_access.result import fetch
from data_access.schema import (
    clinic_points,
    clinic_services,
    compounds,
    grid_cells,
    officers,
    targets,
    tickets,
    towns,
    visits,
)

# The figures a map area may be coloured by (labels and definitions: the registry).
METRIC_FIGURES = ["tickets_per_1k", "open", "overdue", "coverage_rate", "satisfaction_rate"]
METRICS = {code: figures.label(code) for code in METRIC_FIGURES}
HIGHER_IS_BETTER = {c for c in METRIC_FIGURES if figures.FIGURES[c].higher_is_better}

# What groups the area metrics: cells or towns. Looked up, never pasted into SQL.
AREAS = {
    "cell": (grid_cells, grid_cells.c.code, tickets.c.grid_cell_code, targets.c.grid_cell_code),
    "town": (towns, towns.c.code, tickets.c.town_code, targets.c.town_code),
}


def parse_shape(text: str | None) -> list | None:
    """GeoJSON Polygon/MultiPolygon text → list of polygons (each a list of rings of
    [lon, lat]), or None when it cannot be drawn."""
    if not text:
        return None
    try:
        geometry = json.loads(text)
        kind, coords = geometry["type"], geometry["coordinates"]
        polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else None
        if not polygons:
            return None
        for polygon in polygons:
            if not isinstance(polygon, list) or not polygon:  # {"coordinates": []}, [[]]
                return None
            for ring in polygon:
                if len(ring) < 4:
                    return None
                for lon, lat in ring:
                    if not (math.isfinite(lon) and math.isfinite(lat) and inside_district(lon, lat)):
                        return None
        return polygons
    except (ValueError, KeyError, TypeError):
        return None


def fetch_shapes(conn: Connection, area: str, town_code: str | None = None, *,
                 scope_town: str | None = None) -> pd.DataFrame:
    """Codes, names and boundary text of the towns (area='town') or grid cells ('cell'),
    of `town_code` if given, and never outside the user's `scope_town`.

    Columns: code, name, town_code, boundary (str; boundary may be None), lat, lon (float).
    """
    table, code = AREAS[area][:2]
    town_col = table.c.town_code if area == "cell" else table.c.code
    query = select(code, name_or_code(table.c.name, code), town_col, table.c.boundary,
                   table.c.lat, table.c.lon)
    if town_code:
        query = query.where(town_col == town_code)
    query = query.where(*in_scope(town_col, scope_town))
    return fetch(conn, query.order_by(code), {"code": "str", "name": "str", "town_code": "str",
                                              "boundary": "str", "lat": "float", "lon": "float"})


def fetch_area_metrics(conn: Connection, f: Filters, area: str) -> pd.DataFrame:
    """The METRICS per grid cell or per town (all areas, zeros where nothing happened).

    Columns: code (str); population, collected (int); then METRIC_FIGURES (figures.grouped).
    """
    return fetch_area_metrics_each(conn, f, (area,))[area]


def fetch_area_metrics_each(conn: Connection, f: Filters, areas: tuple[str, ...]) -> dict:
    """fetch_area_metrics for each of `areas` ("cell", "town": 地图's two layers), {area:
    frame}, in one call: the ticket figures of both from one correction of the rollup
    (figures.grouped_each)."""
    by = {area: AREAS[area][2].name for area in areas}  # the tickets' column of each
    got = figures.grouped_each(conn, f, {by[area]: ["population", "collected", *METRIC_FIGURES]
                                         for area in areas})
    return {area: got[by[area]].rename(columns={"key": "code"}) for area in areas}


def fetch_worst_stage(conn: Connection, f: Filters, area: str) -> pd.DataFrame:
    """Per grid cell or town with open tickets at as_of: the step of the loop where its open
    tickets wait longest (the step of its longest-waiting ticket).

    Columns: code (str), worst_stage (str, a key of g.WAITING_STAGES), wait_hours (float,
    how long that ticket has waited in it), open (int, the area's open tickets).
    """
    column = AREAS[area][2]
    st = summaries.state(conn, f)
    stage = ts.waiting_stage(st).label("stage")
    waited = func.max(ts.epoch(f.as_of) - ts.seconds(ts.waiting_since(st)))
    rows = fetch(conn, select(column, stage, waited, func.count())
                 .select_from(ts.joined(st))
                 .where(*f.known(tickets.c.reported_at), *f.ticket_choices(tickets),
                        ts.is_open(st), column.is_not(None))
                 .group_by(column, stage),
                 {"code": "str", "worst_stage": "str", "wait_seconds": "float", "open": "int"})
    rows["open"] = rows.groupby("code")["open"].transform("sum")
    worst = rows.sort_values(["code", "wait_seconds"], ascending=[True, False])
    worst = worst.drop_duplicates("code", ignore_index=True)
    worst["wait_hours"] = worst.pop("wait_seconds") / 3600
    return worst[["code", "worst_stage", "wait_hours", "open"]]


def fetch_clinic_points(conn: Connection, f: Filters) -> pd.DataFrame:
    """The clinic points (of the filtered town) with person-visits served in the period.

    Columns: code, name, town_code, grid_cell_code, villages, schedule (str); lat, lon
    (float); person_visits, stops (int).
    """
    served = (select(clinic_services.c.point_code,
                     func.sum(counted(clinic_services.c.person_visits)).label("n"),
                     func.count().label("stops"))
              .where(clinic_services.c.served_on >= f.start, clinic_services.c.served_on <= f.end)
              .group_by(clinic_services.c.point_code).subquery())
    query = (select(clinic_points.c.code, clinic_points.c.name, clinic_points.c.town_code,
                    clinic_points.c.grid_cell_code, clinic_points.c.villages,
                    clinic_points.c.schedule, clinic_points.c.lat, clinic_points.c.lon,
                    served.c.n, served.c.stops)
             .select_from(clinic_points.outerjoin(served,
                                                  served.c.point_code == clinic_points.c.code))
             .order_by(clinic_points.c.code))
    query = query.where(*f.town(clinic_points.c.town_code))
    return fetch(conn, query, {"code": "str", "name": "str", "town_code": "str",
                               "grid_cell_code": "str", "villages": "str", "schedule": "str",
                               "lat": "float", "lon": "float", "person_visits": "int",
                               "stops": "int"})


def fetch_compounds(conn: Connection, f: Filters | None = None) -> pd.DataFrame:
    """The old compounds (built before 2000) of the filtered town. Columns: code, name,
    town_code, grid_cell_code, renovation_stage (str); built_year, households,
    lifts_installed (int); property_upgrade_done (bool); lat, lon (float)."""
    c = compounds.c
    return fetch(conn, select(c.code, c.name, c.town_code, c.grid_cell_code, c.renovation_stage,
                              c.built_year, c.households, c.lifts_installed,
                              c.property_upgrade_done, c.lat, c.lon)
                 .where(c.built_year < OLD_COMPOUND_BEFORE, *(f.town(c.town_code) if f else []))
                 .order_by(c.code),
                 {"code": "str", "name": "str", "town_code": "str", "grid_cell_code": "str",
                  "renovation_stage": "str", "built_year": "int", "households": "int",
                  "lifts_installed": "int", "property_upgrade_done": "bool", "lat": "float",
                  "lon": "float"})


def fetch_ticket_points(conn: Connection, f: Filters) -> pd.DataFrame:
    """Where the period's tickets lie. Columns: lat, lon (float); tickets with no location
    are absent."""
    return fetch(conn, select(tickets.c.lat, tickets.c.lon)
                 .where(*f.period(tickets.c.reported_at), *f.ticket_choices(tickets),
                        tickets.c.lat.is_not(None), tickets.c.lon.is_not(None)),
                 {"lat": "float", "lon": "float"})


def get_cell(conn: Connection, cell_code: str, *, scope_town: str | None = None) -> dict | None:
    """One grid cell: code, name, town_code, town, population, households, officer (name or
    None). None if there is no such cell in the user's `scope_town`."""
    row = conn.execute(
        select(grid_cells.c.code, grid_cells.c.name, grid_cells.c.town_code, towns.c.name,
               grid_cells.c.population, grid_cells.c.households, officers.c.name)
        .select_from(grid_cells.join(towns, towns.c.code == grid_cells.c.town_code)
                     .outerjoin(officers, officers.c.id == grid_cells.c.officer_id))
        .where(grid_cells.c.code == cell_code, *in_scope(grid_cells.c.town_code, scope_town))
    ).first()
    if row is None:
        return None
    keys = ["code", "name", "town_code", "town", "population", "households", "officer"]
    return dict(zip(keys, row))


def fetch_cell_visits(conn: Connection, f: Filters, cell_code: str, limit: int = 20):
    """The latest visits in the period to targets in one cell.

    Columns: visited_at (datetime), officer, target, diary_type (str), problems_raised (int).
    """
    return fetch(conn, select(visits.c.visited_at, officers.c.name, targets.c.name,
                              visits.c.diary_type, visits.c.problems_raised)
                 .select_from(visits.join(targets, targets.c.id == visits.c.target_id)
                              .join(officers, officers.c.id == visits.c.officer_id))
                 .where(targets.c.grid_cell_code == cell_code, *f.period(visits.c.visited_at),
                        *f.town(targets.c.town_code))
                 .order_by(visits.c.visited_at.desc()).limit(limit),
                 {"visited_at": "datetime", "officer": "str", "target": "str",
                  "diary_type": "str", "problems_raised": "int"})
