"""Each programme's figures on hand-built data with known answers."""

from datetime import date, datetime

from data_access import figures, geo, programmes
from data_access.filters import Filters

MARCH = Filters.between(date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 4, 10))


def call(db, fn, *args, **kw):
    with db.connect() as conn:
        return fn(conn, *args, **kw)


def test_clinic_visits_count_only_the_period_and_the_town(tiny):
    tiny.add_clinic_point("C1", services=[("2026-03-02", 20), ("2026-03-20", 15),
                                          ("2026-04-02", 99)])
    tiny.add_clinic_point("C2", town="鼓楼街道", services=[("2026-03-05", 7)])
    assert call(tiny, figures.headline, MARCH, ["clinic_visits"])["clinic_visits"] == 42
    assert call(tiny, figures.headline, MARCH.with_town("330203106000"),
                ["clinic_visits"])["clinic_visits"] == 35
    points = call(tiny, geo.fetch_clinic_points, MARCH).set_index("code")
    assert points.at["C1", "stops"] == 2 and points.at["C1", "person_visits"] == 35
    monthly = call(tiny, programmes.fetch_clinic_monthly, MARCH)
    assert monthly["person_visits"].sum() == 42 and monthly["month"].nunique() == 1


def test_agent_services_by_month_and_item(tiny):
    tiny.add_agent_service("2026-03-02", "petition", 2).add_agent_service("2026-03-09", "petition", 1)
    tiny.add_agent_service("2026-02-09", "civil_relief", 5)
    got = call(tiny, programmes.fetch_agent_services, MARCH)
    assert got[["item", "cases"]].values.tolist() == [["petition", 3]]


def test_compounds_by_stage_with_upgrades_and_lifts(tiny):
    tiny.add_compound("A", stage="completed", upgraded=True, lifts=2)
    tiny.add_compound("B", stage="completed", lifts=1).add_compound("C", stage="planned")
    got = call(tiny, programmes.fetch_compound_stages, MARCH).set_index("renovation_stage")
    assert got.at["completed", "compounds"] == 2 and got.at["completed", "upgraded"] == 1
    assert got["lifts"].sum() == 3
    assert call(tiny, figures.headline, MARCH, ["upgraded_compounds"])["upgraded_compounds"] == 1


def test_enforcement_items_keep_their_categories(tiny):
    for code, cat in [("E1", "违法建设"), ("E2", "违法建设"), ("E3", "公共秩序")]:
        tiny.add_enforcement_item(code, cat)
    got = call(tiny, programmes.fetch_enforcement_items)
    assert got.groupby("category").size().to_dict() == {"公共秩序": 1, "违法建设": 2}


def test_open_space_sessions_by_theme_in_the_period(tiny):
    tiny.add_open_space("S1", "2026-03-03", "parking", 5, 4).add_open_space("S2", "2026-03-10",
                                                                            "parking", 3, 3)
    tiny.add_open_space("S3", "2026-03-11", "dogs", 2, 1).add_open_space("S4", "2026-05-01")
    got = call(tiny, programmes.fetch_open_space_themes, MARCH).set_index("theme")
    assert got.at["parking", "sessions"] == 2 and got.at["parking", "problems_solved"] == 7
    assert got["problems_raised"].sum() == 10 and got["residents"].sum() == 60


def test_red_helpers_count_and_problems_by_kind_town_and_firm(tiny):
    tiny.add_red_helper("R1", cases=[("2026-03-02", "policy", 3), ("2026-03-09", "talent", 2)])
    tiny.add_red_helper("R2", firm="乙公司", town="章水镇",
                        cases=[("2026-03-04", "policy", 4), ("2026-02-01", "policy", 9)])
    assert call(tiny, figures.headline, MARCH, ["red_helpers"])["red_helpers"] == 2
    kinds = call(tiny, programmes.fetch_red_helper_work, MARCH, "service_kind").set_index("key")
    assert kinds.at["policy", "problems_solved"] == 7 and kinds.at["policy", "helpers"] == 2
    firms = call(tiny, programmes.fetch_red_helper_work, MARCH, "firm").set_index("key")
    assert firms.at["甲公司", "problems_solved"] == 5


def test_site_projects_count_issues_raised_resolved_and_open(tiny):
    tiny.add_site_project("P1", issues=[("approval", "2026-03-02", "2026-03-20"),
                                        ("lift", "2026-03-05", None),
                                        ("lift", "2026-02-01", "2026-04-05")])
    tiny.add_site_project("P2")
    got = call(tiny, programmes.fetch_site_projects, MARCH).set_index("code")
    assert got.loc["P1", ["issues", "resolved", "open"]].tolist() == [2, 1, 2]
    assert got.loc["P2", ["issues", "open"]].tolist() == [0, 0]
    assert got.index[0] == "P1"
    kinds = call(tiny, programmes.fetch_site_issue_kinds, MARCH).set_index("kind")
    assert kinds.at["lift", "issues"] == 1 and kinds.at["lift", "resolved"] == 0


def test_supervision_items_flag_what_is_late_at_the_periods_end(tiny):
    tiny.add_supervision("J1", "2026-03-15")  # open, deadline passed
    tiny.add_supervision("J2", "2026-05-15")  # open, not yet due
    tiny.add_supervision("J3", "2026-03-15", "completed", "2026-03-20")  # done late
    tiny.add_supervision("J4", "2026-03-15", "completed", "2026-03-10")
    got = call(tiny, programmes.fetch_supervision_items, MARCH).set_index("code")["overdue"]
    assert got.to_dict() == {"J1": True, "J2": False, "J3": True, "J4": False}
