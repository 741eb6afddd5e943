"""The data contract: every table and column of the cockpit database, with its meaning.

One place declares the shared database. Codes stored in columns (levels, stages,
categories, …) are English identifiers; `glossary.py` maps each one to the Chinese
word the UI shows. Geometry is GeoJSON text in WGS-84 so SQLite and PostgreSQL read it
alike. Times are naive local time (Asia/Shanghai).
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    event,
    literal,
    or_,
)

from data_access.glossary import LOOP_STAGES, VISIT_RECORD_FIELDS

metadata = MetaData()
SCHEMA_VERSION = 19


def _col(name, type_, comment, *args, **kw):
    return Column(name, type_, *args, comment=comment, **kw)


meta = Table(
    "cockpit_meta", metadata,
    _col("key", String(40), "setting name, e.g. schema_version, built_at", primary_key=True),
    _col("value", String(200), "its value as text", nullable=False),
    comment="facts about the database itself; the app checks schema_version",
)

towns = Table(
    "towns", metadata,
    _col("code", String(12), "official 12-digit NBS code (统计用区划代码)", primary_key=True),
    _col("name", String(32), "镇/乡/街道 name, e.g. 章水镇", nullable=False, unique=True),
    _col("kind", String(16), "subdistrict | town | township (街道/镇/乡)", nullable=False),
    _col("lat", Float, "centre latitude, WGS-84", nullable=False),
    _col("lon", Float, "centre longitude, WGS-84", nullable=False),
    _col("mountain", Boolean, "lies (partly) in the 四明山 mountain area", nullable=False),
    _col("population", Integer, "resident population", nullable=False),
    _col("boundary", Text, "GeoJSON Polygon/MultiPolygon geometry, WGS-84"),
    comment="the district's 17 township-level units",
)

grid_cells = Table(
    "grid_cells", metadata,
    _col("code", String(16), "grid cell code: town code9 + '-' + number", primary_key=True),
    _col("name", String(40), "display name, e.g. 章水镇第012网格", nullable=False),
    _col("town_code", String(12), "town the cell lies in", ForeignKey("towns.code"), nullable=False),
    _col("population", Integer, "residents in the cell", nullable=False),
    _col("households", Integer, "households in the cell (包片联户)", nullable=False),
    _col("officer_id", String(12), "responsible grid officer", ForeignKey("officers.id")),
    _col("lat", Float, "label point latitude, WGS-84", nullable=False),
    _col("lon", Float, "label point longitude, WGS-84", nullable=False),
    _col("boundary", Text, "GeoJSON Polygon/MultiPolygon geometry, WGS-84"),
    comment="网格: the finest unit of grassroots management (1,409 in the seed)",
)

officers = Table(
    "officers", metadata,
    _col("id", String(12), "officer id", primary_key=True),
    _col("name", String(32), "officer name", nullable=False),
    _col("level", String(32), "district_leader | district_cadre | dept_midlevel | town_cadre",
         nullable=False),
    _col("department", String(40), "department or 镇街 office the officer belongs to", nullable=False),
    _col("town_code", String(12), "town for town cadres; NULL for district-level officers",
         ForeignKey("towns.code")),
    comment="officers of the four-level contact mechanism (四级联系服务机制)",
)

targets = Table(
    "targets", metadata,
    _col("id", String(12), "target id", primary_key=True),
    _col("name", String(60), "enterprise, village/community or key group name", nullable=False),
    _col("kind", String(32), "enterprise | village | community | key_group", nullable=False),
    _col("above_scale", Boolean, "enterprise is 规上企业 (above designated size)", nullable=False),
    _col("town_code", String(12), "town of the target", ForeignKey("towns.code"), nullable=False),
    _col("grid_cell_code", String(16), "grid cell of the target", ForeignKey("grid_cells.code")),
    _col("lat", Float, "latitude, WGS-84"),
    _col("lon", Float, "longitude, WGS-84"),
    comment="service targets that officers are assigned to visit",
)

assignments = Table(
    "assignments", metadata,
    _col("officer_id", String(12), "officer", ForeignKey("officers.id"), primary_key=True),
    _col("target_id", String(12), "target", ForeignKey("targets.id"), primary_key=True),
    _col("role", String(32), "informer | coordinator | promoter (信息员/协调员/宣传员)", nullable=False),
    comment="which officer contacts which target",
)

visits = Table(
    "visits", metadata,
    _col("id", String(14), "visit id", primary_key=True),
    _col("officer_id", String(12), "visiting officer", ForeignKey("officers.id"), nullable=False),
    _col("target_id", String(12), "visited target", ForeignKey("targets.id"), nullable=False),
    _col("visited_at", DateTime, "time of the visit", nullable=False),
    _col("diary_type", String(32), "enterprise | resident | grassroots (企情/民情/基层日记)",
         nullable=False),
    _col("took_situation", Boolean, "三带走: took away the situation", nullable=False),
    _col("took_difficulties", Boolean, "三带走: took away the difficulties", nullable=False),
    _col("took_suggestions", Boolean, "三带走: took away the suggestions", nullable=False),
    _col("left_phone", Boolean, "三留下: left a contact phone", nullable=False),
    _col("left_help_intent", Boolean, "三留下: left an intent to help", nullable=False),
    _col("left_responsibility", Boolean, "三留下: left a named responsibility", nullable=False),
    _col("problems_raised", Integer, "problems the target raised in this visit", nullable=False),
    comment="走访: officers' visits, written up as diaries",
)

tickets = Table(
    "tickets", metadata,
    _col("id", String(14), "ticket id", primary_key=True),
    _col("title", String(120), "short description of the problem", nullable=False),
    _col("source", String(32),
         "visit | hotline_81890 | direct_line | open_space | red_helper | site_secretary | grid",
         nullable=False),
    _col("category", String(30), "enterprise_development | grassroots_governance | livelihood",
         nullable=False),
    _col("town_code", String(12), "town where the problem lies", ForeignKey("towns.code"),
         nullable=False),
    _col("grid_cell_code", String(16), "grid cell where the problem lies",
         ForeignKey("grid_cells.code")),
    _col("lat", Float, "location latitude, WGS-84"),
    _col("lon", Float, "location longitude, WGS-84"),
    _col("department", String(40), "responsible department", nullable=False),
    _col("task_force", String(32), "tech | finance | project | policy | talent (工作专班), or NULL"),
    _col("visit_id", String(14), "visit the ticket came from, for source = visit",
         ForeignKey("visits.id")),
    _col("reporter_name", String(32), "name of the person who reported (mask in the UI)"),
    _col("reporter_phone", String(32), "phone of the reporter (mask in the UI)"),
    _col("reported_at", DateTime, "when the problem was reported (可报)", nullable=False),
    _col("due_at", DateTime, "deadline for resolution: the category's time limit in working "
         "days (ticket_time_limits) on the official calendar", nullable=False),
    _col("satisfaction", Integer, "evaluation score 1-5 by the served party (可评), NULL if none"),
    comment="问题: problems collected in the closed loop 可报、可办、可查、可督、可评",
)

ticket_events = Table(
    "ticket_events", metadata,
    _col("id", Integer, "event id", primary_key=True, autoincrement=True),
    _col("ticket_id", String(14), "ticket", ForeignKey("tickets.id"), nullable=False),
    _col("stage", String(32),
         "reported | dispatched | accepted | rejected | coordinated | resolved | signed_off | "
         "evaluated | supervised | reopened (上报 派单 接单 退单 协调交办 办结 对账销号 评价 督办 重办)",
         nullable=False),
    _col("at", DateTime, "when the ticket reached the stage", nullable=False),
    _col("actor", String(40), "department or person acting"),
    UniqueConstraint("ticket_id", "stage", "at", name="uq_ticket_events_natural"),
    comment="问题流转: 上报 → 派单 → 接单 (退单) → 协调交办 → 办结 → 对账销号 → 评价, one row per "
            "stage reached",
)

official_calendar = Table(
    "official_calendar", metadata,
    _col("day", Date, "a day whose status the official calendar sets", primary_key=True),
    _col("is_workday", Boolean, "true: a working day (调休 make-up day); false: a holiday",
         nullable=False),
    _col("note", String(40), "e.g. 春节, 国庆节调休上班"),
    comment="the State Council's holiday arrangement, where the district records it (e.g. next "
            "year's, before the calendar library knows it); it overrides the library",
)

ticket_time_limits = Table(
    "ticket_time_limits", metadata,
    _col("category", String(30), "ticket category", primary_key=True),
    _col("work_days", Integer, "working days from the day of reporting to the deadline",
         nullable=False),
    comment="办理时限 per category in working days; due_at = end of the N-th working day "
            "after the day of reporting",
)

clinic_points = Table(
    "clinic_points", metadata,
    _col("code", String(12), "clinic point code", primary_key=True),
    _col("name", String(40), "point name, e.g. 里梅村服务点", nullable=False),
    _col("town_code", String(12), "mountain town", ForeignKey("towns.code"), nullable=False),
    _col("grid_cell_code", String(16), "grid cell of the point", ForeignKey("grid_cells.code")),
    _col("villages", String(120), "villages the point serves, separated by 、", nullable=False),
    _col("schedule", String(40), "when the mobile team stops, e.g. 每月第2周周三", nullable=False),
    _col("lat", Float, "latitude, WGS-84", nullable=False),
    _col("lon", Float, "longitude, WGS-84", nullable=False),
    comment="高山巡回卫生健康服务点 (18 in the seed)",
)

clinic_services = Table(
    "clinic_services", metadata,
    _col("id", Integer, "record id", primary_key=True, autoincrement=True),
    _col("point_code", String(12), "clinic point", ForeignKey("clinic_points.code"),
         nullable=False, index=True),
    _col("served_on", Date, "day of the team's stop", nullable=False),
    _col("person_visits", Integer, "person-visits served that day (人次)", nullable=False),
    UniqueConstraint("point_code", "served_on", name="uq_clinic_services_natural"),
    comment="one stop of the mobile medical team at a point",
)

agent_services = Table(
    "agent_services", metadata,
    _col("id", Integer, "record id", primary_key=True, autoincrement=True),
    _col("town_code", String(12), "mountain town", ForeignKey("towns.code"), nullable=False),
    _col("village", String(32), "village of the resident served", nullable=False),
    _col("item", String(32), "social_security | family_planning | civil_relief | petition",
         nullable=False),
    _col("served_on", Date, "day the agent handled it", nullable=False),
    _col("cases", Integer, "cases handled", nullable=False),
    UniqueConstraint("town_code", "village", "item", "served_on", name="uq_agent_services_natural"),
    comment="高山首席代办员 / 山区便民服务队: matters handled without coming down the mountain",
)

compounds = Table(
    "compounds", metadata,
    _col("code", String(12), "compound code", primary_key=True),
    _col("name", String(40), "compound name", nullable=False),
    _col("town_code", String(12), "town", ForeignKey("towns.code"), nullable=False),
    _col("grid_cell_code", String(16), "grid cell", ForeignKey("grid_cells.code")),
    _col("built_year", Integer, "year built (all before 2000)", nullable=False),
    _col("households", Integer, "households", nullable=False),
    _col("renovation_stage", String(32), "not_started | planned | in_progress | completed",
         nullable=False),
    _col("property_upgrade_done", Boolean, "物业提价提质 completed", nullable=False),
    _col("property_upgrade_on", Date, "day the property-service upgrade completed"),
    _col("lifts_installed", Integer, "lifts added (加装电梯)", nullable=False),
    _col("lat", Float, "latitude, WGS-84", nullable=False),
    _col("lon", Float, "longitude, WGS-84", nullable=False),
    comment="老小区: residential compounds built before 2000 (98 in the seed)",
)

enforcement_items = Table(
    "enforcement_items", metadata,
    _col("code", String(12), "item code", primary_key=True),
    _col("category", String(32), "one of the 5 categories of 执法进小区", nullable=False),
    _col("name", String(60), "the enforcement item", nullable=False),
    _col("department", String(32), "住建 | 综合执法 | 公安 | 市场监管", nullable=False),
    comment="执法进小区 list: 5 categories, 37 items",
)

hotline_daily = Table(
    "hotline_daily", metadata,
    _col("day", Date, "day", primary_key=True),
    _col("town_code", String(12), "town of the callers", ForeignKey("towns.code"), primary_key=True),
    _col("service_type", String(32), "help | household | repair | consult | elderly",
         primary_key=True),
    _col("services", Integer, "services delivered", nullable=False),
    comment="81890 service platform volume by day, town and type",
)

open_space_sessions = Table(
    "open_space_sessions", metadata,
    _col("id", String(12), "session id", primary_key=True),
    _col("held_on", Date, "day of the session", nullable=False),
    _col("town_code", String(12), "town", ForeignKey("towns.code"), nullable=False),
    _col("community", String(30), "community hosting it", nullable=False),
    _col("theme", String(32), "parking | waste_sorting | dogs | micro_landscape | other",
         nullable=False),
    _col("residents", Integer, "resident participants", nullable=False),
    _col("committee_members", Integer, "业委会 participants", nullable=False),
    _col("firms", Integer, "辖区企业 and 物业 participants", nullable=False),
    _col("party_members", Integer, "党员 participants", nullable=False),
    _col("problems_raised", Integer, "problems raised", nullable=False),
    _col("problems_solved", Integer, "problems solved", nullable=False),
    comment="开放空间 sessions (110 in the seed, 760+ problems solved)",
)

red_helpers = Table(
    "red_helpers", metadata,
    _col("id", String(12), "helper id", primary_key=True),
    _col("name", String(32), "helper name", nullable=False),
    _col("firm", String(60), "private firm the helper serves", nullable=False),
    _col("town_code", String(12), "town of the firm", ForeignKey("towns.code"), nullable=False),
    comment="红色帮办员: party-member helpers in private firms (335 in the seed)",
)

red_helper_cases = Table(
    "red_helper_cases", metadata,
    _col("id", Integer, "record id", primary_key=True, autoincrement=True),
    _col("helper_id", String(12), "helper", ForeignKey("red_helpers.id"), nullable=False,
         index=True),
    _col("service_kind", String(32), "party_building | policy | market | talent | management",
         nullable=False),
    _col("solved_on", Date, "day solved", nullable=False),
    _col("problems_solved", Integer, "problems solved", nullable=False),
    UniqueConstraint("helper_id", "service_kind", "solved_on", name="uq_red_helper_cases_natural"),
    comment="problems solved by red helpers (1,500+ in the seed)",
)

site_projects = Table(
    "site_projects", metadata,
    _col("code", String(12), "project code", primary_key=True),
    _col("name", String(60), "project name", nullable=False),
    _col("kind", String(32), "key_project | compound_renovation", nullable=False),
    _col("town_code", String(12), "town", ForeignKey("towns.code"), nullable=False),
    _col("secretary", String(32), "工地书记 posted to the project", nullable=False),
    _col("lat", Float, "latitude, WGS-84", nullable=False),
    _col("lon", Float, "longitude, WGS-84", nullable=False),
    comment="工地书记 projects (148 in the seed)",
)

site_issues = Table(
    "site_issues", metadata,
    _col("id", Integer, "record id", primary_key=True, autoincrement=True),
    _col("project_code", String(12), "project", ForeignKey("site_projects.code"), nullable=False),
    _col("kind", String(32), "approval | construction_dispute | lift | other", nullable=False),
    _col("raised_on", Date, "day raised", nullable=False),
    _col("resolved_on", Date, "day resolved, NULL while open"),
    UniqueConstraint("project_code", "kind", "raised_on", name="uq_site_issues_natural"),
    comment="problems coordinated by site secretaries (100+ in the seed)",
)

supervision_items = Table(
    "supervision_items", metadata,
    _col("code", String(12), "item code", primary_key=True),
    _col("title", String(80), "what is supervised", nullable=False),
    _col("focus", String(32), "business_environment | public_concern | grassroots_bottleneck",
         nullable=False),
    _col("owner", String(40), "responsible department", nullable=False),
    _col("deadline", Date, "deadline", nullable=False),
    _col("status", String(32), "not_started | in_progress | completed", nullable=False),
    _col("completed_on", Date, "day completed"),
    comment="监督问效 items (47 in the seed)",
)

ticket_states = Table(
    "ticket_states", metadata,
    _col("ticket_id", String(14), "ticket", primary_key=True),
    _col("town_code", String(12), "tickets.town_code, copied", nullable=False),
    _col("grid_cell_code", String(16), "tickets.grid_cell_code, copied"),
    _col("category", String(30), "tickets.category, copied", nullable=False),
    _col("source", String(32), "tickets.source, copied", nullable=False),
    _col("department", String(40), "tickets.department, copied", nullable=False),
    _col("task_force", String(32), "tickets.task_force, copied"),
    _col("reported_at", DateTime, "tickets.reported_at, copied", nullable=False),
    _col("due_at", DateTime, "tickets.due_at, copied", nullable=False),
    _col("satisfaction", Integer, "tickets.satisfaction, copied"),
    *(_col(f"{stage}_at", DateTime, f"time of the last {stage} event")
      for stage in ("dispatched", "accepted", "coordinated", "resolved", "signed_off",
                    "evaluated", "rejected", "supervised", "reopened")),
    _col("handling_since", DateTime, "last accepted, coordinated or reopened event"),
    _col("rejections", Integer, "number of rejected (退单) events", nullable=False),
    _col("supervisions", Integer, "number of supervised (督办) events", nullable=False),
    _col("repeat_reported_at", DateTime, "report time of the first other ticket of the same "
         "grid cell and category within 30 days after resolved_at (办结后重复反映); NULL: none"),
    _col("first_event_at", DateTime, "time of the ticket's earliest event; NULL without events"),
    _col("last_event_at", DateTime, "time of the ticket's latest event; NULL without events"),
    # the time from each step of the closed loop to the next (medians of 问题流转)
    *(_col(f"seconds_to_{stage}", BigInteger, f"seconds from the loop's step before to {stage} "
           "(the last event of each; the report for 派单); NULL when either is missing or "
           f"{stage} came first")
      for stage in LOOP_STAGES[1:]),
    _col("early_events", Integer, "events dated before the ticket's report (a data-quality "
         "finding)", nullable=False),
    _col("unknown_events", Integer, "events whose stage is not in the glossary (a data-quality "
         "finding)", nullable=False),
    comment="derived (summaries.py, written by the admin tool only): each ticket with its state "
            "after all its events; exact at any as_of later than last_event_at. The raw tables "
            "stay the truth",
)

meeting_snapshots = Table(
    "meeting_snapshots", metadata,
    _col("id", Integer, "snapshot id", primary_key=True, autoincrement=True),
    _col("week", Date, "the Monday of the meeting's week", nullable=False),
    _col("town_code", String(12), "the town the meeting looked at; NULL: the whole district"),
    _col("cutoff", DateTime, "the cut-off the figures were judged at (events at or after it "
         "ignored)", nullable=False),
    _col("stored_at", DateTime, "when the admin tool stored the snapshot", nullable=False),
    _col("figures", Text, "the meeting's figures as JSON (data_access/meeting.py figures_of)",
         nullable=False),
    comment="周例会 snapshots, written by the admin tool only: the figures a weekly meeting "
            "presented, so that its view reopens with them after late data arrives",
)
Index("ix_meeting_snapshots_view", meeting_snapshots.c.week, meeting_snapshots.c.cutoff)

# The ticket figures that a ticket's stored state and one of its days decide (figures.py
# ROLLUP_BASES): counted per day and per month, so that a page reads a few thousand rows.
ROLLUP_COUNTS = ["collected", "resolved", "dispatched", "accepted", "signed_off", "evaluated",
                 "on_time", "ever_resolved", "reopened", "supervised", "coordinated", "bounced",
                 "fast_closed", "signed_off_unscored", "repeat_reported", "resolved_in_period",
                 "evaluations", "satisfied", "open"]
ticket_rollup = Table(
    "ticket_rollup", metadata,
    _col("grain", String(1), "D: one day; M: the calendar month starting on `day`; T: one "
         "day, all categories and sources (the town's day: the D rows summed); W: one day, "
         "the whole district (its day: the T rows summed)",
         primary_key=True),
    _col("basis", String(10), "the day counted: reported | resolved | evaluated | due",
         primary_key=True),
    _col("day", Date, "the day (grain D, T, W) or the month's first day (grain M)",
         primary_key=True),
    _col("town_code", String(12), "tickets.town_code ('' in grain W)", primary_key=True),
    _col("category", String(30), "tickets.category ('' in grain T, W)", primary_key=True),
    _col("source", String(32), "tickets.source ('' in grain T, W)", primary_key=True),
    *(_col(code, Integer, f"tickets counted in the figure {code}", nullable=False)
      for code in ROLLUP_COUNTS),
    comment="derived (summaries.py, written by the admin tool only): ticket_states counted per "
            "day or month of a basis time, town, category and source, and per day and town, "
            "and per day; exact for as_of after "
            "the tickets' last events, corrected for the others by figures.py",
)

# What ticket_unit_rollup is kept by besides the town: the groupings of the map's grid cells
# and of the ticket page's breakdowns.
ROLLUP_UNITS = ["grid_cell_code", "department", "task_force"]
ticket_unit_rollup = Table(
    "ticket_unit_rollup", metadata,
    _col("unit_kind", String(16), "the ticket column counted by: " + " | ".join(ROLLUP_UNITS),
         primary_key=True),
    _col("basis", String(10), "the day counted: reported | resolved | evaluated | due",
         primary_key=True),
    _col("grain", String(1), "M: one calendar month | Y: one calendar year (its months "
         "summed)", primary_key=True),
    _col("day", Date, "the first day of the month (grain M) or of the year (grain Y)",
         primary_key=True),
    _col("town_code", String(12), "tickets.town_code", primary_key=True),
    _col("unit", String(40), "the value of that column; '' for tickets without one",
         primary_key=True),
    *(_col(code, Integer, f"tickets counted in the figure {code}", nullable=False)
      for code in ROLLUP_COUNTS),
    comment="derived (summaries.py, written by the admin tool only): ticket_states counted per "
            "month and per year of a basis time, town and grid cell, department or 专班, as "
            "ticket_rollup",
)

# The ticket figures whose correction cutoff_corrections keeps (3个工作日内到期 is not among
# them: its last day follows the workday calendar, which others may change)
KEPT_CORRECTIONS = [*ROLLUP_COUNTS, "overdue"]
cutoff_corrections = Table(
    "cutoff_corrections", metadata,
    _col("as_of", DateTime, "the cut-off the row corrects the rollup at (a weekly meeting's, "
         "or a week-ago comparison's moment: figures.WEEK_AGO_TIME 7 and 6 days before the "
         "refresh's day)", primary_key=True),
    _col("basis", String(10), "the day counted: reported | resolved | evaluated | due",
         primary_key=True),
    _col("day", Date, "the day of the basis time (of the stored state, or of the state at "
         "as_of)", primary_key=True),
    _col("town_code", String(12), "tickets.town_code", primary_key=True),
    _col("category", String(30), "tickets.category", primary_key=True),
    _col("source", String(32), "tickets.source", primary_key=True),
    *(_col(code, Integer, f"the change to the figure {code}: the tickets touched at or after "
           "as_of, as ticket_rollup counts them taken off, as they stood at as_of added"
           + (" (exact, on the due rows; summed over every day)" if code == "overdue" else ""),
           nullable=False)
      for code in KEPT_CORRECTIONS),
    comment="derived (summaries.py, written by the admin tool only): ticket_rollup's exact "
            "correction at the last weekly meetings' cut-offs and at 13:00 7 and 6 days before the "
            "refresh's day (cockpit_meta corrections_kept_at), rebuilt by each refresh; read "
            "while no ticket or event was written since",
)

# The ticket figures counted over a period's reports (figures.COHORT_COUNTS)
COHORT_COUNTS = ROLLUP_COUNTS[:ROLLUP_COUNTS.index("resolved_in_period")]
cutoff_reports = Table(
    "cutoff_reports", metadata,
    _col("as_of", DateTime, "a weekly meeting's cut-off (a Monday 09:00)", primary_key=True),
    _col("town_code", String(12), "tickets.town_code", primary_key=True),
    _col("department", String(40), "tickets.department", primary_key=True),
    *(_col(code, Integer, f"the week's reports (the seven days before the cut-off's day) in "
           f"the figure {code}, as they stood at the cut-off", nullable=False)
      for code in COHORT_COUNTS),
    comment="derived (summaries.py, written by the admin tool only): 周例会's boards, the "
            "week's reports per town and department at the last weekly meetings' cut-offs "
            "(cockpit_meta reports_kept_at), kept by each refresh with cutoff_corrections; "
            "read while no ticket or event was written since",
)

visit_rollup = Table(
    "visit_rollup", metadata,
    _col("grain", String(1), "D: one day | M: one calendar month", primary_key=True),
    _col("day", Date, "the day, or the first day of the month", primary_key=True),
    _col("town_code", String(12), "targets.town_code of the visited target ('' for none)",
         primary_key=True),
    _col("diary_type", String(32), "visits.diary_type ('' for none)", primary_key=True),
    _col("visits", Integer, "visits made (visits joined to their target)", nullable=False),
    _col("complete", Integer, "of them, with a complete 三带走三留下 record", nullable=False),
    comment="derived (summaries.py, written by the admin tool only): visits counted per day "
            "and month of visited_at, the target's town and the diary type; current while "
            "cockpit_meta holds visit_rollup_current",
)
pair_visits = Table(
    "pair_visits", metadata,
    _col("officer_id", String(12), "visits.officer_id", primary_key=True),
    _col("target_id", String(12), "visits.target_id", primary_key=True),
    _col("first_at", DateTime, "the pair's first visit (visits.visited_at)", nullable=False),
    _col("last_at", DateTime, "the pair's last visit", nullable=False),
    comment="derived (summaries.py, written by the admin tool only): each officer's first and "
            "last visit of each target they visited; current while cockpit_meta holds "
            "visit_rollup_current",
)
# The bounds (seconds) of the buckets a step's spans are counted in (span_rollup): bucket k
# holds the spans in [SPAN_BOUNDS[k - 1], SPAN_BOUNDS[k]); bucket 0 those below the first
# bound, the last those from the last bound on. A median is found in its bucket, then read
# from the step's index inside that bucket alone.
_HOUR = 3600
SPAN_BOUNDS = [60, 300, 900, 1800, *(h * _HOUR for h in (
    1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 30, 36, 42, 48, 60, 72, 84, 96, 120, 144, 168, 192,
    240, 288, 336, 408, 504, 600, 720, 960, 1200, 1440, 2160, 2880, 4320, 8760))]


def span_bucket(span, lo: int = 0, hi: int = len(SPAN_BOUNDS)):
    """SQL: the bucket (SPAN_BOUNDS) of a span in seconds, not NULL: how many bounds lie at
    or below it. A binary search of the bounds (six comparisons a span, not up to 42),
    here among the buckets lo..hi."""
    if lo == hi:
        return literal(lo)
    mid = (lo + hi) // 2
    return case((span < SPAN_BOUNDS[mid], span_bucket(span, lo, mid)),
                else_=span_bucket(span, mid + 1, hi))


span_rollup = Table(
    "span_rollup", metadata,
    _col("day", Date, "the first day of the month of the tickets' report", primary_key=True),
    _col("town_code", String(12), "tickets.town_code ('': the whole district, the towns "
         "summed)", primary_key=True),
    _col("stage", String(16), "the step reached: ticket_states.seconds_to_<stage>",
         primary_key=True),
    _col("bucket", Integer, "the bucket of the span (schema.SPAN_BOUNDS)", primary_key=True),
    _col("tickets", Integer, "tickets whose span to that step falls in the bucket",
         nullable=False),
    comment="derived (summaries.py, written by the admin tool only): the spans of "
            "ticket_states from each step of the closed loop to the next, counted per month "
            "of report, town (and the district), step and bucket of duration (问题流转's "
            "medians); kept with ticket_rollup",
)
ticket_visits = Table(
    "ticket_visits", metadata,
    _col("ticket_id", String(14), "a stored ticket raised in a visit", primary_key=True),
    _col("visit_id", String(14), "tickets.visit_id, as the last refresh saw it",
         nullable=False),
    comment="derived (summaries.py, written by the admin tool only): the visit of each stored "
            "ticket raised in one, as officer_rollup counts it",
)
officer_rollup = Table(
    "officer_rollup", metadata,
    _col("grain", String(1), "D: one day | M: one calendar month | Y: one calendar year (its "
         "months summed)", primary_key=True),
    _col("day", Date, "the day of the visits, or the first day of their month or year",
         primary_key=True),
    _col("officer_id", String(12), "visits.officer_id", primary_key=True),
    _col("town_code", String(12), "targets.town_code of the visited target ('' for none)",
         primary_key=True),
    _col("target_group", String(32), "the visited target's group (schema.target_group)",
         primary_key=True),
    _col("visits", Integer, "visits made", nullable=False),
    _col("problems", Integer, "problems those visits raised (negative counts left out)",
         nullable=False),
    _col("tickets", Integer, "tickets raised in those visits (ticket_visits)",
         nullable=False),
    _col("resolved", Integer, "of them, resolved in their stored state", nullable=False),
    comment="derived (summaries.py, written by the admin tool only): the visits, their "
            "problems and the tickets raised in them per day, month and year of the visit, "
            "officer, the target's town and group; current while visit_rollup is and "
            "ticket_rollup's mark is the states' mark",
)
# cockpit_meta: present while visit_rollup counts the visits and targets as they are. Written
# by the refresh that builds it; every write to visits or targets deletes it (the triggers
# below), whoever writes, so a rollup the data has left behind is never read.
VISIT_ROLLUP_CURRENT = "visit_rollup_current"
VISIT_ROLLUP_SOURCES = ("visits", "targets")
_FORGET = f"DELETE FROM cockpit_meta WHERE key = '{VISIT_ROLLUP_CURRENT}'"


def rollup_triggers(dialect: str) -> list[str]:
    """DDL of the triggers that forget visit_rollup on any write to VISIT_ROLLUP_SOURCES.
    PostgreSQL: once per statement (TRUNCATE included), as the function's owner, so that
    writers need no right on cockpit_meta; SQLite: per row (its only kind)."""
    if dialect == "postgresql":
        return [f"""CREATE OR REPLACE FUNCTION cockpit_forget_visit_rollup() RETURNS trigger
                    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
                    BEGIN {_FORGET}; RETURN NULL; END $$""",
                *(f"""CREATE OR REPLACE TRIGGER cockpit_forget_visit_rollup
                      AFTER INSERT OR UPDATE OR DELETE
                      OR TRUNCATE ON {table} FOR EACH STATEMENT
                      EXECUTE FUNCTION cockpit_forget_visit_rollup()"""
                  for table in VISIT_ROLLUP_SOURCES)]
    return [f"""CREATE TRIGGER IF NOT EXISTS cockpit_forget_visit_rollup_{table}_{op.lower()}
                AFTER {op} ON {table} BEGIN {_FORGET}; END"""
            for table in VISIT_ROLLUP_SOURCES for op in ("INSERT", "UPDATE", "DELETE")]


ticket_changes = Table(
    "ticket_changes", metadata,
    _col("ticket_id", String(14), "a ticket inserted, updated or deleted since the last refresh",
         primary_key=True),
    comment="bookkeeping (written by the triggers on tickets, emptied by the refresh): the "
            "tickets whose stored state the next refresh rewrites, whoever wrote them",
)
quality_findings = Table(
    "quality_findings", metadata,
    _col("table_name", String(40), "the checked table: tickets, ticket_events or visits",
         nullable=False),
    _col("problem", String(40), "the kind of problem (data_quality.Check.problem)",
         nullable=False),
    _col("column_name", String(80), "the column(s) concerned (data_quality.Check.column)",
         nullable=False),
    _col("ticket_id", String, "the ticket whose rows these are: tickets.id, "
         "ticket_events.ticket_id; NULL for visits (the whole table)"),
    _col("after", DateTime, "for 时间晚于当前: the rows' time, later than the start of the "
         "refresh's day (counted while it lies after now); else NULL"),
    _col("found", Integer, "rows of that ticket with the problem", nullable=False),
    comment="derived (data_quality.py, written by the admin tool only): the rows of tickets, "
            "ticket_events and visits with a data-quality problem, counted per ticket (visits: "
            "for the whole table); current while cockpit_meta's quality_findings_mark is the "
            "refresh mark and that is complete (visits: and visit_rollup_current is there)",
)
Index("ix_quality_findings_ticket", quality_findings.c.ticket_id)
# cockpit_meta: the mark (last event id) and the day the findings were last brought up to
# date at (data_quality.refresh_findings)
QUALITY_MARK, QUALITY_AFTER = "quality_findings_mark", "quality_findings_after"
# cockpit_meta: the last ticket_events.id folded into ticket_states, and the one
# ticket_rollup was built at (summaries.py). A TRUNCATE of tickets, which names no rows,
# forgets them: the next refresh is then full.
SUMMARY_MARK, ROLLUP_MARK = TICKET_MARKS = ("summaries_event_id", "rollup_event_id")
# The writes to tickets noted, with the rows each names: PostgreSQL's transition tables,
# SQLite's row references.
TICKET_WRITES = {"INSERT": ("NEW TABLE AS new_rows", ["NEW"]),
                 "UPDATE": ("OLD TABLE AS old_rows NEW TABLE AS new_rows", ["OLD", "NEW"]),
                 "DELETE": ("OLD TABLE AS old_rows", ["OLD"])}
TICKET_TRIGGERS = [f"cockpit_note_tickets_{op.lower()}" for op in TICKET_WRITES]
# New events need no note (the refresh's mark finds them); an event changed or deleted
# makes its ticket's stored state stale.
EVENT_WRITES = {op: TICKET_WRITES[op] for op in ("UPDATE", "DELETE")}


def ticket_triggers(dialect: str) -> list[str]:
    """DDL of the triggers that note in ticket_changes every ticket written (its old and new
    id) and the ticket of every event changed or deleted, so that the refresh finds the
    tickets other programs wrote without reading every ticket. PostgreSQL: once per
    statement, from its transition tables; SQLite: per row."""
    if dialect == "postgresql":
        marks = ", ".join(f"'{m}'" for m in TICKET_MARKS)
        note = ("INSERT INTO ticket_changes SELECT {0} FROM {1} WHERE {0} IS NOT NULL "
                "ON CONFLICT DO NOTHING")
        return [f"""CREATE OR REPLACE FUNCTION cockpit_note_tickets() RETURNS trigger
                    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
                    BEGIN
                      IF TG_OP = 'TRUNCATE' THEN
                        DELETE FROM cockpit_meta WHERE key IN ({marks});
                      ELSIF TG_TABLE_NAME = 'ticket_events' THEN
                        {note.format('ticket_id', 'old_rows')};
                        IF TG_OP = 'UPDATE' THEN {note.format('ticket_id', 'new_rows')}; END IF;
                      ELSE
                        IF TG_OP <> 'INSERT' THEN {note.format('id', 'old_rows')}; END IF;
                        IF TG_OP <> 'DELETE' THEN {note.format('id', 'new_rows')}; END IF;
                      END IF;
                      RETURN NULL;
                    END $$""",
                *(f"""CREATE OR REPLACE TRIGGER {name} AFTER {op} ON {table}
                      REFERENCING {rows} FOR EACH STATEMENT
                      EXECUTE FUNCTION cockpit_note_tickets()"""
                  for table, name, op, rows, _ in _noted_writes()),
                """CREATE OR REPLACE TRIGGER cockpit_note_tickets_truncate AFTER TRUNCATE
                   ON tickets FOR EACH STATEMENT EXECUTE FUNCTION cockpit_note_tickets()"""]
    # not OR IGNORE: an outer statement's conflict clause (an upsert) would override it
    note = ("INSERT INTO ticket_changes SELECT {0} WHERE {0} IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM ticket_changes WHERE ticket_id = {0});")
    return [f"""CREATE TRIGGER IF NOT EXISTS {name} AFTER {op} ON {table} BEGIN
                {' '.join(note.format(f"{row}.{column}") for row in rows)} END"""
            for table, name, op, _, rows in _noted_writes()
            for column in ["id" if table == "tickets" else "ticket_id"]]


def _noted_writes():
    """(table, trigger name, write, transition tables, row references) of each trigger that
    notes tickets."""
    return [*(("tickets", name, op, rows, refs)
              for name, (op, (rows, refs)) in zip(TICKET_TRIGGERS, TICKET_WRITES.items())),
            *(("ticket_events", f"cockpit_note_event_tickets_{op.lower()}", op, rows, refs)
              for op, (rows, refs) in EVENT_WRITES.items())]


@event.listens_for(metadata, "after_create")
def _create_triggers(target, connection, **kw):
    for statement in [*rollup_triggers(connection.dialect.name),
                      *ticket_triggers(connection.dialect.name)]:
        connection.exec_driver_sql(statement)


# Indexes for the cockpit's reads: period scans and the per-assignment visit look-up.
Index("ix_visits_pair_time", visits.c.officer_id, visits.c.target_id, visits.c.visited_at)
Index("ix_visits_time", visits.c.visited_at)
Index("ix_visits_officer_time", visits.c.officer_id, visits.c.visited_at)  # an officer's last
Index("ix_tickets_reported", tickets.c.reported_at)
Index("ix_tickets_town_reported", tickets.c.town_code, tickets.c.reported_at)
Index("ix_tickets_department", tickets.c.department)  # the departments' picker walks it
# the tickets raised in visits, found from the index alone (per officer: 走访覆盖, 周例会)
Index("ix_tickets_visit_ticket", tickets.c.visit_id, tickets.c.id)
Index("ix_tickets_cell_category_reported", tickets.c.grid_cell_code, tickets.c.category,
      tickets.c.reported_at)  # 办结后重复反映: later reports in the same cell and category
Index("ix_visits_target_time", visits.c.target_id, visits.c.visited_at)
Index("ix_ticket_states_reported", ticket_states.c.reported_at)
Index("ix_ticket_states_town_reported", ticket_states.c.town_code, ticket_states.c.reported_at)
Index("ix_ticket_states_last_event", ticket_states.c.last_event_at, ticket_states.c.first_event_at)
Index("ix_ticket_states_resolved", ticket_states.c.resolved_at)  # rollup days, incremental
Index("ix_ticket_states_evaluated", ticket_states.c.evaluated_at)
Index("ix_ticket_states_due", ticket_states.c.due_at)
# repeat reports' neighbours (ticket_state.neighbours_of), from the index alone
Index("ix_ticket_states_cell_category_resolved", ticket_states.c.grid_cell_code,
      ticket_states.c.category, ticket_states.c.resolved_at, ticket_states.c.repeat_reported_at,
      ticket_states.c.ticket_id)
Index("ix_ticket_states_repeat", ticket_states.c.repeat_reported_at)


def target_group(t):
    """SQL: a target's group on targets' columns `t`: 规上企业 (above_scale) apart from the
    other firms, else its kind (coverage.TARGET_GROUPS names them)."""
    return case((and_(t.kind == "enterprise", t.above_scale.is_(True)), literal("above_scale")),
                else_=t.kind)


def complete_record(v):
    """SQL truth on visits' columns `v`: the 三带走三留下 record is complete (all six)."""
    return and_(*(v[name].is_(True) for name in VISIT_RECORD_FIELDS))


def skipped_step(st):
    """SQL truth on a ticket's state (`st`: ticket_states or a state subquery): resolved with
    no 派单 or no 接单 event (a data-quality finding of 问题流转)."""
    return and_(st.c.resolved_at.is_not(None),
                or_(st.c.dispatched_at.is_(None), st.c.accepted_at.is_(None)))


def has_event_findings(st):
    """SQL truth on ticket_states: an event dated before the report or of an unknown stage."""
    return or_(st.c.early_events > 0, st.c.unknown_events > 0)


# The open tickets (a few percent): the open stock, its ages and the overdue lists read them
# without the others. The condition repeats ticket_state.is_open word for word, as a database
# uses a partial index only for its very condition (tests/test_db.py holds the two together).
_kept = ticket_states.c
OPEN_STATE = or_(_kept.ticket_id.is_(None), ~and_(
    _kept.resolved_at.is_not(None),
    or_(_kept.reopened_at.is_(None), _kept.reopened_at < _kept.resolved_at)))
# with their due time and town: the ages of the open stock read the index alone on PostgreSQL
Index("ix_ticket_states_open", _kept.reported_at, _kept.due_at, _kept.town_code,
      sqlite_where=OPEN_STATE, postgresql_where=OPEN_STATE)
# and in order of their due times: the longest overdue at a cut-off (its bound, then the few)
Index("ix_ticket_states_open_due", _kept.due_at, sqlite_where=OPEN_STATE,
      postgresql_where=OPEN_STATE)
# the few tickets with data-quality findings, found without reading the others
for _name, _finding in (("skipped_step", skipped_step), ("event_findings", has_event_findings)):
    Index(f"ix_ticket_states_{_name}", ticket_states.c.reported_at,
          sqlite_where=_finding(ticket_states), postgresql_where=_finding(ticket_states))
for _stage in LOOP_STAGES[1:]:  # a step's median: the middle of an index range, read in order
    Index(f"ix_ticket_states_to_{_stage}", ticket_states.c[f"seconds_to_{_stage}"],
          ticket_states.c.reported_at, ticket_states.c.town_code)
Index("ix_events_stage_time", ticket_events.c.stage, ticket_events.c.at)
Index("ix_targets_town", targets.c.town_code)
Index("ix_hotline_town_day", hotline_daily.c.town_code, hotline_daily.c.day)
Index("ix_cells_town", grid_cells.c.town_code)

ALL_TABLES = list(metadata.sorted_tables)


def natural_key(table: Table) -> list[str]:
    """The columns that identify a row from outside: the primary key, or for tables with a
    surrogate id, their unique constraint."""
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and str(constraint.name).endswith("_natural"):
            return [c.name for c in constraint.columns]
    return [c.name for c in table.primary_key.columns]
