"""Programme queries: mountain clinics, 81890, old compounds, open space, red helpers,
site secretaries, supervision."""

from sqlalchemy import Connection, func, select

from data_access.filters import Filters
from data_access.result import fetch
from data_access.schema import (
    clinic_points,
    clinic_services,
    compounds,
    hotline_daily,
)


def _days(column, f: Filters) -> list:
    return [column >= f.start, column <= f.end]


def _town(column, f: Filters) -> list:
    return [column == f.town_code] if f.town_code else []


def sum_clinic_visits(conn: Connection, f: Filters) -> int:
    """Person-visits (人次) served at the mountain clinic points in the period."""
    return int(conn.execute(
        select(func.coalesce(func.sum(clinic_services.c.person_visits), 0))
        .select_from(clinic_services.join(clinic_points,
                                          clinic_points.c.code == clinic_services.c.point_code))
        .where(*_days(clinic_services.c.served_on, f), *_town(clinic_points.c.town_code, f))
    ).scalar())


def sum_hotline_services(conn: Connection, f: Filters) -> int:
    """Services delivered by the 81890 platform in the period."""
    return int(conn.execute(
        select(func.coalesce(func.sum(hotline_daily.c.services), 0))
        .where(*_days(hotline_daily.c.day, f), *_town(hotline_daily.c.town_code, f))
    ).scalar())


def fetch_clinic_visits_by_town(conn: Connection, f: Filters):
    """Columns: town_code (str), clinic_visits (int). Towns without clinic points are absent."""
    return fetch(conn, select(clinic_points.c.town_code, func.sum(clinic_services.c.person_visits))
                 .select_from(clinic_services.join(
                     clinic_points, clinic_points.c.code == clinic_services.c.point_code))
                 .where(*_days(clinic_services.c.served_on, f),
                        *_town(clinic_points.c.town_code, f))
                 .group_by(clinic_points.c.town_code),
                 {"town_code": "str", "clinic_visits": "int"})


def fetch_hotline_by_town(conn: Connection, f: Filters):
    """Columns: town_code (str), hotline_services (int)."""
    return fetch(conn, select(hotline_daily.c.town_code, func.sum(hotline_daily.c.services))
                 .where(*_days(hotline_daily.c.day, f), *_town(hotline_daily.c.town_code, f))
                 .group_by(hotline_daily.c.town_code),
                 {"town_code": "str", "hotline_services": "int"})


def count_clinic_points(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(clinic_points)).scalar()


def count_compounds(conn: Connection, *, upgraded_only: bool = False) -> int:
    query = select(func.count()).select_from(compounds)
    if upgraded_only:
        query = query.where(compounds.c.property_upgrade_done.is_(True))
    return conn.execute(query).scalar()
