"""The town scope of a logged-in town official holds inside data_access: every public
fetch_/list_/get_/count_ function, called with a scope, returns no row of another town, even
when the caller asks for another town or for the district (on the sample database, both
backends)."""

import importlib
import inspect
import math
import pkgutil
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import text

import data_access
from data_access import coverage, geo, overview, places, programmes, ticket_flow, ticket_list, ticket_loop
from data_access.filters import Filters
from tests.conftest import SAMPLE_NOW

SCOPE = "330203009000"  # the town official's town (a town with tickets, visits and programmes)
OTHER = "330203001000"  # the town they try to reach
START = date(2026, 1, 1)
KINDS = ("enterprise", "village", "community", "key_group")


def scoped() -> Filters:
    """The official's filters, asking (as a crafted URL would) for another town."""
    return Filters.between(START, SAMPLE_NOW.date(), SAMPLE_NOW, town_code=OTHER,
                           scope_town=SCOPE)


def district() -> Filters:
    return Filters.between(START, SAMPLE_NOW.date(), SAMPLE_NOW)


class Places:
    """Which town each code, id and name of the sample belongs to."""

    def __init__(self, conn):
        def pairs(sql):
            return dict(conn.execute(text(sql)).all())

        self.town_names = pairs("select name, code from towns")
        self.of = {}
        for sql in ["select code, code from towns", "select code, town_code from grid_cells",
                    "select code, town_code from clinic_points",
                    "select code, town_code from compounds",
                    "select code, town_code from site_projects",
                    "select id, town_code from tickets", "select id, town_code from targets",
                    "select v.id, t.town_code from visits v join targets t on t.id = v.target_id"]:
            self.of |= pairs(sql)
        self.officer_towns = {}
        for officer, town in conn.execute(text(
                "select a.officer_id, t.town_code from assignments a"
                " join targets t on t.id = a.target_id")).all():
            self.officer_towns.setdefault(officer, set()).add(town)
        self.officer_reach = {o: set(ts) for o, ts in self.officer_towns.items()}
        for officer, town in conn.execute(text(
                "select distinct v.officer_id, t.town_code from visits v"
                " join targets t on t.id = v.target_id")).all():
            self.officer_reach.setdefault(officer, set()).add(town)
        self.ticket_in = {town: conn.execute(text(
            "select t.id from tickets t where t.town_code = :c and exists (select 1 from"
            " ticket_events e where e.ticket_id = t.id) order by t.id"), {"c": town}).scalar()
            for town in (SCOPE, OTHER)}
        self.cell_in = {town: conn.execute(text(
            "select g.code from grid_cells g where g.town_code = :c and exists (select 1 from"
            " targets t join visits v on v.target_id = t.id where t.grid_cell_code = g.code)"
            " order by g.code"), {"c": town}).scalar() for town in (SCOPE, OTHER)}
        # an officer with targets in both towns, so that the scope has something to cut
        self.both = next((o for o, ts in sorted(self.officer_towns.items())
                          if SCOPE in ts and len(ts) > 1), None)

    def towns(self, result) -> set:
        """The towns a result's rows belong to, read from every column that tells."""
        if isinstance(result, dict):
            result = pd.DataFrame([result])
        if not isinstance(result, pd.DataFrame) or result.empty:
            return set()
        found = set()
        for column in ("town_code", "code", "key", "id", "target_id", "visit_id"):
            if column in result:
                found |= {self.of[v] for v in result[column].dropna() if v in self.of}
        if "town" in result:
            found |= {self.town_names.get(v, v) for v in result["town"].dropna()}
        if "officer_id" in result:
            for officer in result["officer_id"].dropna():
                if SCOPE not in self.officer_reach.get(officer, set()):
                    found.add(f"officer {officer} without targets or visits in {SCOPE}")
        return found


@pytest.fixture(scope="module")
def where(sample_db):
    with sample_db.connect() as conn:
        yield Places(conn)


# Every public query with a town. Each takes (conn, filters, where) and calls the function
# as a page does; for queries without Filters the scope is passed as scope_town.
SCOPED = {
    "channels.fetch_direct_line_by": lambda c, f, w: query("channels.fetch_direct_line_by")(
        c, f, "category"),
    "channels.fetch_direct_line_figures": lambda c, f, w: query(
        "channels.fetch_direct_line_figures")(c, f),
    "channels.fetch_hotline_mix": lambda c, f, w: query("channels.fetch_hotline_mix")(c, f),
    "channels.fetch_hotline_weekly": lambda c, f, w: query("channels.fetch_hotline_weekly")(c, f),
    "coverage.count_targets": lambda c, f, w: coverage.count_targets(
        c, kinds=KINDS, scope_town=f.scope_town),
    "coverage.count_uncovered_targets": lambda c, f, w: coverage.count_uncovered_targets(
        c, kinds=KINDS, scope_town=f.scope_town),
    "coverage.fetch_coverage_by": lambda c, f, w: pd.concat(
        [coverage.fetch_coverage_by(c, f, by) for by in coverage.COVERAGE_BY]),
    "coverage.fetch_diary_mix": lambda c, f, w: coverage.fetch_diary_mix(c, f),
    "coverage.fetch_headline": lambda c, f, w: pd.DataFrame([coverage.fetch_headline(c, f)]),
    "coverage.fetch_gaps_by_officer": lambda c, f, w: coverage.fetch_gaps_by_officer(c, f),
    "coverage.fetch_gaps_by_town": lambda c, f, w: coverage.fetch_gaps_by_town(c, f),
    "coverage.fetch_officer_coverage": lambda c, f, w: coverage.fetch_officer_coverage(c, f),
    "coverage.fetch_officer_pairs": lambda c, f, w: coverage.fetch_officer_pairs(c, f),
    "coverage.fetch_officer_targets": lambda c, f, w: coverage.fetch_officer_targets(c, f, w.both),
    "coverage.fetch_officer_visits": lambda c, f, w: coverage.fetch_officer_visits(c, f, w.both),
    "coverage.fetch_unvisited_targets": lambda c, f, w: coverage.fetch_unvisited_targets(c, f),
    "coverage.fetch_weekly_visits": lambda c, f, w: coverage.fetch_weekly_visits(
        c, f, sorted(w.officer_towns)).query("visits > 0"),  # the zeros of every officer: no row
    "coverage.list_officers": lambda c, f, w: coverage.list_officers(c, f),
    "geo.fetch_area_metrics": lambda c, f, w: pd.concat(
        [geo.fetch_area_metrics(c, f, a) for a in ("cell", "town")]),
    "geo.fetch_area_metrics_each": lambda c, f, w: pd.concat(
        geo.fetch_area_metrics_each(c, f, ("cell", "town")).values()),
    "geo.fetch_cell_visits": lambda c, f, w: geo.fetch_cell_visits(c, f, w.cell_in[OTHER]),
    "geo.fetch_clinic_points": lambda c, f, w: geo.fetch_clinic_points(c, f),
    "geo.fetch_compounds": lambda c, f, w: geo.fetch_compounds(c, f),
    "geo.fetch_shapes": lambda c, f, w: pd.concat(
        [geo.fetch_shapes(c, a, scope_town=f.scope_town) for a in ("cell", "town")]
        + [geo.fetch_shapes(c, "cell", OTHER, scope_town=f.scope_town)]),
    "geo.fetch_ticket_points": lambda c, f, w: geo.fetch_ticket_points(c, f),
    "geo.fetch_worst_stage": lambda c, f, w: pd.concat(
        [geo.fetch_worst_stage(c, f, a) for a in ("cell", "town")]),
    "geo.get_cell": lambda c, f, w: pd.DataFrame([
        r for r in (geo.get_cell(c, w.cell_in[t], scope_town=f.scope_town)
                    for t in (SCOPE, OTHER)) if r]),
    "overview.fetch_kpis": lambda c, f, w: overview.fetch_kpis(c, f),
    "overview.fetch_kpis_each": lambda c, f, w: dict(enumerate(overview.fetch_kpis_each(
        c, (f, f.shifted_weeks(-1))))),
    "overview.fetch_town_comparison": lambda c, f, w: overview.fetch_town_comparison(c, f),
    "places.count_grid_cells": lambda c, f, w: places.count_grid_cells(c, scope_town=f.scope_town),
    "places.list_towns": lambda c, f, w: places.list_towns(c, scope_town=f.scope_town),
    "programmes.fetch_agent_services": lambda c, f, w: programmes.fetch_agent_services(c, f),
    "programmes.fetch_clinic_monthly": lambda c, f, w: programmes.fetch_clinic_monthly(c, f),
    "programmes.fetch_compound_list": lambda c, f, w: programmes.fetch_compound_list(c, f),
    "programmes.fetch_compound_stages": lambda c, f, w: programmes.fetch_compound_stages(c, f),
    "programmes.fetch_open_space_themes": lambda c, f, w: programmes.fetch_open_space_themes(c, f),
    "programmes.fetch_red_helper_work": lambda c, f, w: programmes.fetch_red_helper_work(
        c, f, "town"),
    "programmes.fetch_site_issue_kinds": lambda c, f, w: programmes.fetch_site_issue_kinds(c, f),
    "programmes.fetch_site_projects": lambda c, f, w: programmes.fetch_site_projects(c, f),
    "ticket_flow.fetch_daily_flow": lambda c, f, w: ticket_flow.fetch_daily_flow(c, f),
    "ticket_flow.fetch_weekly_flow": lambda c, f, w: ticket_flow.fetch_weekly_flow(c, f),
    "ticket_list.fetch_history": lambda c, f, w: pd.concat([
        ticket_list.fetch_history(c, w.ticket_in[t], scope_town=f.scope_town).assign(id=w.ticket_in[t])
        for t in (SCOPE, OTHER)]),
    "ticket_list.fetch_tickets": lambda c, f, w: pd.concat(
        [ticket_list.fetch_tickets(c, f, show, in_period=False) for show in ticket_list.SHOWS]),
    "ticket_loop.fetch_breakdown": lambda c, f, w: pd.concat(
        [ticket_loop.fetch_breakdown(c, f, by) for by in ticket_loop.BREAKDOWNS]),
    "ticket_loop.fetch_breakdowns": lambda c, f, w: pd.concat(ticket_loop.fetch_breakdowns(
        c, tuple((by, f) for by in ticket_loop.BREAKDOWNS)).values()),
    "ticket_loop.fetch_data_quality": lambda c, f, w: ticket_loop.fetch_data_quality(c, f),
    "ticket_loop.fetch_loop_figures": lambda c, f, w: ticket_loop.fetch_loop_figures(c, f),
    "ticket_loop.fetch_open_aging": lambda c, f, w: ticket_loop.fetch_open_aging(c, f),
    "ticket_loop.fetch_stage_hours": lambda c, f, w: ticket_loop.fetch_stage_hours(c, f),
}
def week(f: Filters) -> Filters:
    """The meeting's week from the page's filters, asking for another town."""
    return query("meeting.week_filters")(date(2026, 11, 16), SAMPLE_NOW, OTHER, base=f)


SCOPED |= {
    "meeting.fetch_comparison": lambda c, f, w: query("meeting.fetch_comparison")(c, week(f)),
    "meeting.fetch_board": lambda c, f, w: query("meeting.fetch_board")(
        c, week(f), "town_code", "resolution_rate", min_base=1),  # the sample's week is thin
    "meeting.fetch_boards": lambda c, f, w: pd.concat(
        query("meeting.fetch_boards")(c, week(f)).values()),
    "meeting.fetch_officers_below": lambda c, f, w: query("meeting.fetch_officers_below")(
        c, week(f), 1.01),
    "meeting.fetch_longest_overdue": lambda c, f, w: query("meeting.fetch_longest_overdue")(
        c, week(f), 50),
    "meeting.fetch_week_events": lambda c, f, w: pd.concat(
        [query("meeting.fetch_week_events")(c, week(f), stage)
         for stage in ("supervised", "reopened", "rejected")]),
}
# Queries whose rows belong to no town, and why.
UNSCOPED = {
    "freshness.fetch_load_times": "when each table was loaded: no rows of any town",
    "places.get_campaign_start": "one date for the whole district",
    "places.get_meta": "the database's meta facts (geometry kind, campaign start)",
    "programmes.fetch_enforcement_items": "the district's list of enforcement items",
    "programmes.fetch_supervision_items": "district supervision items belong to no town",
    "ticket_list.list_departments": "department names, to validate a choice in the URL",
    "data_quality.fetch_problems": "the 数据质量 page: district accounts only (auth.DISTRICT_ONLY)",
    "data_quality.count_problem_rows": "the same, counted",
    "data_quality.count_found": "rows with one kind of problem in the whole database (问题流转's "
                                "events of no ticket, which belong to no town)",
    "meeting.fetch_supervision_due": "district supervision items belong to no town",
    "meeting.get_snapshot": "a stored snapshot of the town the page names (f.town_code, which "
                            "the scope fixes); the sample stores none",
    "meeting.list_snapshots": "the same, listed",
}
# Rows returned by these name their town in a column, so the town check reads them (the
# others are figures: they are proven by being the town's own figures, see below).
ROWS_WITH_TOWNS = {name for name in SCOPED if name.split(".")[1].startswith(("fetch", "list",
                                                                             "get"))}


# Figures that happen to be the same for the town and the district in the sample.
SAME_FOR_ALL = {"coverage.count_uncovered_targets": "every target has an officer (0 and 0)",
                "ticket_loop.fetch_data_quality": "the sample has no data-quality problems"}


def query(path: str):
    module, name = path.split(".")
    return getattr(importlib.import_module(f"data_access.{module}"), name)


def public_queries() -> set[str]:
    found = set()
    for info in pkgutil.iter_modules(data_access.__path__):
        if info.name == "migrations":
            continue
        module = importlib.import_module(f"data_access.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and name.startswith(
                    ("fetch_", "list_", "get_", "count_")) and name != "fetch" \
                    and "conn" in inspect.signature(fn).parameters:
                found.add(f"{info.name}.{name}")
    return found


def test_every_public_query_is_checked_for_the_scope_or_said_to_have_no_town():
    unchecked = public_queries() - set(SCOPED) - set(UNSCOPED)
    assert not unchecked, f"add to SCOPED (or UNSCOPED with a reason): {sorted(unchecked)}"


def test_the_scope_cannot_be_widened_through_the_filters():
    f = scoped()
    assert f.town_code == SCOPE
    assert f.with_town(None).town_code == SCOPE
    assert f.with_town(OTHER).town_code == SCOPE
    assert f.narrowed(town_code=OTHER).town_code == SCOPE
    assert f.shifted_weeks(-1).town_code == SCOPE


def same(a, b) -> bool:
    if isinstance(a, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
            return True
        except AssertionError:
            return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_with_a_town_scope_no_row_of_another_town_comes_back(sample_db, where, name):
    if name not in public_queries():
        pytest.skip(f"{name} is not in this tree")
    call = SCOPED[name]
    with sample_db.connect() as conn:
        mine = call(conn, scoped(), where)
        everyone = call(conn, district(), where)
        towns_own = call(conn, Filters.between(START, SAMPLE_NOW.date(), SAMPLE_NOW,
                                               town_code=SCOPE, scope_town=SCOPE), where)
    outside = sorted(where.towns(mine) - {SCOPE})
    assert not outside, f"{name} returned rows of {len(outside)} others: {outside[:3]}"
    assert same(mine, towns_own)  # asking for another town gives the scope's own answer
    if name in ROWS_WITH_TOWNS and where.towns(everyone):
        # the check can fail: unscoped, the same call reaches other towns
        assert where.towns(everyone) - {SCOPE}, name
    elif name not in SAME_FOR_ALL:
        assert not same(mine, everyone), f"{name}: the scope changed nothing"
