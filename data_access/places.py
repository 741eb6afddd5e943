"""Place queries: towns, grid cells and the district's meta facts; the district's extent."""

from datetime import date

import pandas as pd
from sqlalchemy import Connection, func, literal, select

from data_access import db
from data_access.filters import in_scope
from data_access.result import fetch
from data_access.schema import grid_cells, towns

# Haishu's extent in WGS-84 (haishu_facts.md §3), with a margin of about 2 km.
DISTRICT_BBOX = (121.115, 29.705, 121.577, 29.972)  # west, south, east, north


def inside_district(lon: float, lat: float) -> bool:
    west, south, east, north = DISTRICT_BBOX
    return west <= lon <= east and south <= lat <= north


def name_or_code(name, code):
    """SQL: a place's name, or 未知（code） where another system left it NULL or blank (the
    glossary's word for what it does not know), so pickers and labels always have text."""
    unnamed = literal("未知（") + code + literal("）")
    return func.coalesce(func.nullif(func.trim(name), ""), unnamed)


def placed(source, c):
    """`source` joined to the town and the grid cell its columns `c` name (`c.town_code`,
    `c.grid_cell_code`), so that towns.c.name and grid_cells.c.name can be selected: a row
    without a known town is left out, one without a grid cell kept."""
    return (source.join(towns, towns.c.code == c.town_code)
            .outerjoin(grid_cells, grid_cells.c.code == c.grid_cell_code))


def list_towns(conn: Connection, *, scope_town: str | None = None) -> pd.DataFrame:
    """Towns in official code order (only the user's `scope_town`, when scoped). Columns:
    town_code, town, kind, mountain, population, lat, lon."""
    return fetch(conn, select(towns.c.code, name_or_code(towns.c.name, towns.c.code),
                              towns.c.kind, towns.c.mountain,
                              towns.c.population, towns.c.lat, towns.c.lon)
                 .where(*in_scope(towns.c.code, scope_town)).order_by(towns.c.code),
                 {"town_code": "str", "town": "str", "kind": "str", "mountain": "bool",
                  "population": "int", "lat": "float", "lon": "float"})


def count_grid_cells(conn: Connection, *, town_code: str | None = None,
                     scope_town: str | None = None) -> int:
    query = select(func.count()).select_from(grid_cells).where(
        *in_scope(grid_cells.c.town_code, scope_town))
    if town_code:
        query = query.where(grid_cells.c.town_code == town_code)
    return conn.execute(query).scalar()


def get_campaign_start(conn: Connection) -> date | None:
    """The first day of the campaign period (cockpit_meta 'campaign_start'), if recorded."""
    value = db.meta_value(conn, "campaign_start")
    return date.fromisoformat(value) if value else None


def get_meta(conn: Connection, key: str) -> str | None:
    return db.meta_value(conn, key)
