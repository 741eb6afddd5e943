"""Programme queries: mountain clinics, 81890, old compounds, open space, red helpers,
site secretaries, supervision.

Flows (services, sessions, problems solved) count within the period's days; stocks
(compounds, helpers, projects, supervision items) are what exists, judged at the period's
end. A town filter applies where the programme has a town.
"""

import pandas as pd
from sqlalchemy import Connection, and_, case, distinct, func, or_, select

from data_access.filters import Filters
from data_access.programme_figures import OLD_COMPOUND_BEFORE, counted
from data_access.result import count_if, fetch
from data_access.schema import (
    agent_services,
    clinic_points,
    clinic_services,
    compounds,
    enforcement_items,
    open_space_sessions,
    red_helper_cases,
    red_helpers,
    site_issues,
    site_projects,
    supervision_items,
)


def fetch_clinic_monthly(conn: Connection, f: Filters) -> pd.DataFrame:
    """Person-visits at the clinic points per month of the period.

    Columns: month (datetime64, first day), town_code (str), person_visits (int). SQL sums
    per day and town; the days are summed into months here.
    """
    day = clinic_services.c.served_on
    daily = fetch(conn, select(day, clinic_points.c.town_code,
                               func.sum(counted(clinic_services.c.person_visits)))
                  .select_from(clinic_services.join(
                      clinic_points, clinic_points.c.code == clinic_services.c.point_code))
                  .where(*f.period_days(day), *f.town(clinic_points.c.town_code))
                  .group_by(day, clinic_points.c.town_code),
                  {"day": "date", "town_code": "str", "person_visits": "int"})
    return _monthly(daily, ["town_code"], "person_visits")


def fetch_agent_services(conn: Connection, f: Filters) -> pd.DataFrame:
    """Matters handled by the mountain agents, per month, town and item.

    Columns: month (datetime64), town_code, item (str), cases (int).
    """
    day = agent_services.c.served_on
    daily = fetch(conn, select(day, agent_services.c.town_code, agent_services.c.item,
                               func.sum(counted(agent_services.c.cases)))
                  .where(*f.period_days(day), *f.town(agent_services.c.town_code))
                  .group_by(day, agent_services.c.town_code, agent_services.c.item),
                  {"day": "date", "town_code": "str", "item": "str", "cases": "int"})
    return _monthly(daily, ["town_code", "item"], "cases")


def _monthly(daily: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    daily["month"] = daily["day"].dt.to_period("M").dt.to_timestamp().astype("datetime64[s]")
    out = daily.groupby(["month", *keys], as_index=False)[value].sum()
    return out.astype({value: "int64"})


# --- 老小区 ---------------------------------------------------------------------------------

def fetch_compound_stages(conn: Connection, f: Filters) -> pd.DataFrame:
    """Old compounds per renovation stage (town filter only: a stock, not a flow).

    Columns: renovation_stage (str), compounds, households, upgraded, lifts (int).
    """
    c = compounds.c
    return fetch(conn, select(c.renovation_stage, func.count(), func.sum(counted(c.households)),
                              count_if(c.property_upgrade_done.is_(True)),
                              func.sum(counted(c.lifts_installed)))
                 .where(c.built_year < OLD_COMPOUND_BEFORE, *f.town(c.town_code))
                 .group_by(c.renovation_stage),
                 {"renovation_stage": "str", "compounds": "int", "households": "int",
                  "upgraded": "int", "lifts": "int"})


def fetch_compound_list(conn: Connection, f: Filters) -> pd.DataFrame:
    """The old compounds of the filtered town. Columns: code, name, town_code,
    renovation_stage (str); built_year, households, lifts_installed (int);
    property_upgrade_done (bool); property_upgrade_on (datetime, NaT if not done)."""
    c = compounds.c
    return fetch(conn, select(c.code, c.name, c.town_code, c.renovation_stage, c.built_year,
                              c.households, c.lifts_installed, c.property_upgrade_done,
                              c.property_upgrade_on)
                 .where(c.built_year < OLD_COMPOUND_BEFORE, *f.town(c.town_code))
                 .order_by(c.town_code, c.code),
                 {"code": "str", "name": "str", "town_code": "str", "renovation_stage": "str",
                  "built_year": "int", "households": "int", "lifts_installed": "int",
                  "property_upgrade_done": "bool", "property_upgrade_on": "date"})


def fetch_enforcement_items(conn: Connection) -> pd.DataFrame:
    """The 执法进小区 list. Columns: code, category, name, department (str)."""
    e = enforcement_items.c
    return fetch(conn, select(e.code, e.category, e.name, e.department).order_by(e.code),
                 {"code": "str", "category": "str", "name": "str", "department": "str"})


# --- 开放空间 -------------------------------------------------------------------------------

def fetch_open_space_themes(conn: Connection, f: Filters) -> pd.DataFrame:
    """Open-space sessions of the period by theme.

    Columns: theme (str); sessions, residents, committee_members, firms, party_members,
    problems_raised, problems_solved (int).
    """
    o = open_space_sessions.c
    return fetch(conn, select(o.theme, func.count(), func.sum(counted(o.residents)),
                              func.sum(counted(o.committee_members)), func.sum(counted(o.firms)),
                              func.sum(counted(o.party_members)), func.sum(counted(o.problems_raised)),
                              func.sum(counted(o.problems_solved)))
                 .where(*f.period_days(o.held_on), *f.town(o.town_code)).group_by(o.theme)
                 .order_by(func.sum(counted(o.problems_solved)).desc()),
                 {"theme": "str", "sessions": "int", "residents": "int",
                  "committee_members": "int", "firms": "int", "party_members": "int",
                  "problems_raised": "int", "problems_solved": "int"})


# --- 红色帮办员 -----------------------------------------------------------------------------

def fetch_red_helper_work(conn: Connection, f: Filters, by: str) -> pd.DataFrame:
    """Problems solved by red helpers in the period, grouped `by` 'service_kind', 'town' or
    'firm'. Columns: key (str), helpers (int, distinct helpers), problems_solved (int).
    Largest first."""
    key = {"service_kind": red_helper_cases.c.service_kind, "town": red_helpers.c.town_code,
           "firm": red_helpers.c.firm}[by]
    r = red_helper_cases.c
    return fetch(conn, select(key, func.count(distinct(r.helper_id)), func.sum(counted(r.problems_solved)))
                 .select_from(red_helper_cases.join(red_helpers, red_helpers.c.id == r.helper_id))
                 .where(*f.period_days(r.solved_on), *f.town(red_helpers.c.town_code))
                 .group_by(key).order_by(func.sum(counted(r.problems_solved)).desc()),
                 {"key": "str", "helpers": "int", "problems_solved": "int"})


# --- 工地书记 -------------------------------------------------------------------------------

def fetch_site_projects(conn: Connection, f: Filters) -> pd.DataFrame:
    """Key projects with their site secretary and the problems raised in the period.

    Columns: code, name, kind, town_code, secretary (str); issues, resolved, open (int;
    open counts every unresolved issue raised by the period's end). Most open first.
    """
    s = site_issues.c
    raised = and_(s.raised_on >= f.start, s.raised_on <= f.end)
    still_open = and_(s.raised_on <= f.end, or_(s.resolved_on.is_(None), s.resolved_on > f.end))
    p = site_projects.c
    return fetch(conn, select(p.code, p.name, p.kind, p.town_code, p.secretary,
                              count_if(raised),
                              count_if(and_(raised, s.resolved_on <= f.end)),
                              count_if(still_open))
                 .select_from(site_projects.outerjoin(site_issues, s.project_code == p.code))
                 .where(*f.town(p.town_code))
                 .group_by(p.code, p.name, p.kind, p.town_code, p.secretary)
                 .order_by(count_if(still_open).desc(), p.code),
                 {"code": "str", "name": "str", "kind": "str", "town_code": "str",
                  "secretary": "str", "issues": "int", "resolved": "int", "open": "int"})


def fetch_site_issue_kinds(conn: Connection, f: Filters) -> pd.DataFrame:
    """Problems raised in the period by kind. Columns: kind (str), issues, resolved (int)."""
    s = site_issues.c
    return fetch(conn, select(s.kind, func.count(),
                              count_if(s.resolved_on <= f.end))
                 .select_from(site_issues.join(site_projects,
                                               site_projects.c.code == s.project_code))
                 .where(*f.period_days(s.raised_on), *f.town(site_projects.c.town_code))
                 .group_by(s.kind), {"kind": "str", "issues": "int", "resolved": "int"})


# --- 监督问效 -------------------------------------------------------------------------------

def fetch_supervision_items(conn: Connection, f: Filters) -> pd.DataFrame:
    """All supervision items, judged at the period's end (they belong to no town).

    Columns: code, title, focus, owner, status (str); deadline, completed_on (datetime);
    overdue (bool: not completed by the deadline, and the deadline has passed).
    """
    s = supervision_items.c
    today = f.as_of.date()
    late = or_(and_(s.status != "completed", s.deadline < today),
               and_(s.status == "completed", s.completed_on > s.deadline))
    return fetch(conn, select(s.code, s.title, s.focus, s.owner, s.status, s.deadline,
                              s.completed_on, case((late, True), else_=False))
                 .order_by(s.deadline, s.code),
                 {"code": "str", "title": "str", "focus": "str", "owner": "str", "status": "str",
                  "deadline": "date", "completed_on": "date", "overdue": "bool"})
