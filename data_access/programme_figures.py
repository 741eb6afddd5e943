"""The SQL behind the registry's programme figures (figures.py lists them with their words).

Each family is one SELECT of conditional counts and sums over one programme table, with
the filters' town and period; `figures.headline` and `figures.grouped` call `query`. Flows
(services, sessions, problems) count within the period's days; stocks (points, compounds,
helpers, projects, supervision items) are what exists, judged at the period's end.
"""

from sqlalchemy import and_, case, func, or_, select

from data_access.filters import Filters
from data_access.result import count_if
from data_access.schema import (
    agent_services,
    clinic_points,
    clinic_services,
    compounds,
    hotline_daily,
    open_space_sessions,
    red_helper_cases,
    red_helpers,
    site_issues,
    site_projects,
    supervision_items,
)

OLD_COMPOUND_BEFORE = 2000  # 老小区: compounds built before 2000


def counted(column):
    """SQL: a count column's value, NULL where it is negative (a row another system wrote,
    see 数据质量), so that SUM leaves it out rather than subtracting it."""
    return case((column >= 0, column))


def _sum(column):
    return func.coalesce(func.sum(counted(column)), 0)


def query(f: Filters, family: str, groups: list):
    """(names, SELECT [*groups,] counts…) of one programme family."""
    if family == "clinic":
        s = clinic_services.c
        return ["clinic_visits", "clinic_stops"], (
            select(*groups, _sum(s.person_visits), func.count())
            .select_from(clinic_services.join(clinic_points, clinic_points.c.code == s.point_code))
            .where(*f.period_days(s.served_on), *f.town(clinic_points.c.town_code)))
    if family == "clinic_points":
        return ["clinic_points"], (select(*groups, func.count()).select_from(clinic_points)
                                   .where(*f.town(clinic_points.c.town_code)))
    if family == "agent":
        a = agent_services.c
        return ["agent_cases"], (select(*groups, _sum(a.cases))
                                 .where(*f.period_days(a.served_on), *f.town(a.town_code)))
    if family == "hotline":
        h = hotline_daily.c
        return ["hotline_services"], (select(*groups, _sum(h.services))
                                      .where(*f.period_days(h.day), *f.town(h.town_code)))
    if family == "compounds":
        c = compounds.c
        return ["old_compounds", "upgraded_compounds", "lifts_installed"], (
            select(*groups, func.count(), count_if(c.property_upgrade_done.is_(True)),
                   _sum(c.lifts_installed))
            .where(c.built_year < OLD_COMPOUND_BEFORE, *f.town(c.town_code)))
    if family == "open_space":
        o = open_space_sessions.c
        return ["open_space_sessions", "open_space_participants", "open_space_raised",
                "open_space_solved"], (
            select(*groups, func.count(),
                   _sum(o.residents + o.committee_members + o.firms + o.party_members),
                   _sum(o.problems_raised), _sum(o.problems_solved))
            .where(*f.period_days(o.held_on), *f.town(o.town_code)))
    if family == "red_helpers":
        return ["red_helpers"], (select(*groups, func.count()).select_from(red_helpers)
                                 .where(*f.town(red_helpers.c.town_code)))
    if family == "red_helper_cases":
        r = red_helper_cases.c
        return ["red_helper_solved"], (
            select(*groups, _sum(r.problems_solved))
            .select_from(red_helper_cases.join(red_helpers, red_helpers.c.id == r.helper_id))
            .where(*f.period_days(r.solved_on), *f.town(red_helpers.c.town_code)))
    if family == "site_projects":
        return ["site_projects"], (select(*groups, func.count()).select_from(site_projects)
                                   .where(*f.town(site_projects.c.town_code)))
    if family == "site_issues":
        s = site_issues.c
        last_day = min(f.end, f.as_of.date())
        raised = and_(s.raised_on >= f.start, s.raised_on <= last_day)
        still_open = and_(s.raised_on <= last_day,
                          or_(s.resolved_on.is_(None), s.resolved_on > last_day))
        return ["site_issues", "site_issues_resolved", "site_issues_open"], (
            select(*groups, count_if(raised), count_if(and_(raised, s.resolved_on <= last_day)),
                   count_if(still_open))
            .select_from(site_issues.join(site_projects, site_projects.c.code == s.project_code))
            .where(*f.town(site_projects.c.town_code)))
    if family == "supervision":
        s = supervision_items.c
        today = f.as_of.date()
        late = or_(and_(s.status != "completed", s.deadline < today),
                   and_(s.status == "completed", s.completed_on > s.deadline))
        return ["supervision_items", "supervision_completed", "supervision_in_progress",
                "supervision_overdue"], (
            select(*groups, func.count(), count_if(s.status == "completed"),
                   count_if(s.status == "in_progress"), count_if(late)))
    raise ValueError(f"未知的指标类别: {family!r}")
