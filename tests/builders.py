"""TestDatabase: a tiny cockpit database built by hand, with a known answer for every figure.

Each add_* method inserts one row with sensible defaults and returns the database, so
tests read like the situation they set up:

    db.add_ticket("A", town="章水镇", events=[("reported", "2026-03-02 09:00"), ...])
"""

from datetime import date, datetime, timedelta

from sqlalchemy import insert

from data_access import schema as s
from data_access.db import SAMPLE_MARK, read_only_engine, writable_engine

TOWNS = {"章水镇": "330203106000", "鼓楼街道": "330203005000"}
SQUARE = '{"type":"Polygon","coordinates":[[[121.2,29.8],[121.21,29.8],[121.21,29.81],[121.2,29.8]]]}'


def at(s_: str) -> datetime:
    return datetime.fromisoformat(s_)


class TestDatabase:
    __test__ = False  # not a test class, despite its name

    def __init__(self, url: str):
        self.url = url
        self.writer = writable_engine(url)
        s.metadata.create_all(self.writer)
        self._insert(s.meta, key="schema_version", value=str(s.SCHEMA_VERSION))
        self._insert(s.meta, key="campaign_start", value="2026-01-01")
        origin, mark = SAMPLE_MARK  # fictional: opened as the built-in sample where named so
        self._insert(s.meta, key=origin, value=mark)
        for name, code in TOWNS.items():
            self._insert(s.towns, code=code, name=name, kind="town", lat=29.8, lon=121.2,
                         mountain=name == "章水镇", population=10000, boundary=SQUARE)
            self.add_cell(f"{code[:9]}-001", town=name)
        self._engine = None

    @staticmethod
    def fill_minimal(conn):
        """One town, one cell and one ticket T1 (no events), inserted on `conn` (for databases
        at older schema versions, which have these tables already)."""
        conn.execute(insert(s.towns), [dict(code=TOWNS["章水镇"], name="章水镇", kind="town",
                                             lat=29.8, lon=121.2, mountain=True,
                                             population=10000, boundary=SQUARE)])
        conn.execute(insert(s.tickets), [dict(
            id="T1", title="问题", source="grid", category="livelihood",
            town_code=TOWNS["章水镇"], department="区住建局", reported_at=at("2026-03-02 09:00"),
            due_at=at("2026-03-12 09:00"))])

    @property
    def engine(self):
        """The read-only engine the cockpit would use."""
        if self._engine is None:
            self._engine = read_only_engine(self.url)
        return self._engine

    def connect(self):
        return self.engine.connect()

    def close(self):
        for e in (self._engine, self.writer):
            if e is not None:
                e.dispose()

    def _insert(self, table, **row):
        with self.writer.begin() as conn:
            conn.execute(insert(table), [row])
        return self

    def add_cell(self, code, town="章水镇", population=500):
        return self._insert(s.grid_cells, code=code, name=f"{town}{code}", town_code=TOWNS[town],
                            population=population, households=population // 3, officer_id=None,
                            lat=29.805, lon=121.205, boundary=SQUARE)

    def add_officer(self, officer_id, level="town_cadre", town="章水镇"):
        return self._insert(s.officers, id=officer_id, name=f"干部{officer_id}", level=level,
                            department="测试部门", town_code=TOWNS.get(town))

    def add_target(self, target_id, kind="enterprise", town="章水镇", above_scale=False):
        return self._insert(s.targets, id=target_id, name=f"对象{target_id}", kind=kind,
                            above_scale=above_scale, town_code=TOWNS[town],
                            grid_cell_code=f"{TOWNS[town][:9]}-001", lat=29.805, lon=121.205)

    def assign(self, officer_id, target_id, role="informer"):
        return self._insert(s.assignments, officer_id=officer_id, target_id=target_id, role=role)

    def add_visit(self, visit_id, officer_id, target_id, when: str, complete=True,
                  problems=0, diary="enterprise"):
        record = {f: complete for f in
                  ("took_situation", "took_difficulties", "took_suggestions", "left_phone",
                   "left_help_intent", "left_responsibility")}
        return self._insert(s.visits, id=visit_id, officer_id=officer_id, target_id=target_id,
                            visited_at=at(when), diary_type=diary, problems_raised=problems,
                            **record)

    def add_ticket(self, ticket_id, town="章水镇", category="livelihood", source="grid",
                   reported="2026-03-02 09:00", due_days=10, events=(), satisfaction=None,
                   department="区住建局", task_force=None, visit_id=None):
        """A ticket with its 'reported' event plus the given (stage, time) events."""
        reported_at = at(reported)
        self._insert(s.tickets, id=ticket_id, title=f"问题{ticket_id}", source=source,
                     category=category, town_code=TOWNS[town],
                     grid_cell_code=f"{TOWNS[town][:9]}-001", lat=29.805, lon=121.205,
                     department=department, task_force=task_force, visit_id=visit_id,
                     reporter_name="张三丰", reporter_phone="13812345678",
                     reported_at=reported_at, due_at=reported_at + timedelta(days=due_days),
                     satisfaction=satisfaction)
        for stage, when in (("reported", reported), *events):
            self._insert(s.ticket_events, ticket_id=ticket_id, stage=stage, at=at(when),
                         actor="测试")
        return self

    def add_clinic_point(self, code, town="章水镇", services=()):
        self._insert(s.clinic_points, code=code, name=f"{code}服务点", town_code=TOWNS[town],
                     grid_cell_code=f"{TOWNS[town][:9]}-001", villages="甲村、乙村",
                     schedule="每月第1周周一", lat=29.805, lon=121.205)
        for served_on, person_visits in services:
            self._insert(s.clinic_services, point_code=code,
                         served_on=date.fromisoformat(served_on), person_visits=person_visits)
        return self

    def add_hotline(self, day: str, services: int, town="章水镇", kind="help"):
        return self._insert(s.hotline_daily, day=date.fromisoformat(day), town_code=TOWNS[town],
                            service_type=kind, services=services)

    def add_agent_service(self, day: str, item="social_security", cases=1, town="章水镇"):
        return self._insert(s.agent_services, town_code=TOWNS[town], village="里梅村", item=item,
                            served_on=date.fromisoformat(day), cases=cases)

    def add_compound(self, code, town="鼓楼街道", stage="completed", upgraded=False, lifts=0,
                     households=300):
        return self._insert(s.compounds, code=code, name=f"{code}小区", town_code=TOWNS[town],
                            grid_cell_code=f"{TOWNS[town][:9]}-001", built_year=1990,
                            households=households, renovation_stage=stage,
                            property_upgrade_done=upgraded,
                            property_upgrade_on=date(2026, 3, 1) if upgraded else None,
                            lifts_installed=lifts, lat=29.805, lon=121.205)

    def add_enforcement_item(self, code, category, department="住建"):
        return self._insert(s.enforcement_items, code=code, category=category, name=f"事项{code}",
                            department=department)

    def add_open_space(self, sid, day: str, theme="parking", raised=5, solved=4, town="鼓楼街道"):
        return self._insert(s.open_space_sessions, id=sid, held_on=date.fromisoformat(day),
                            town_code=TOWNS[town], community="甲社区", theme=theme, residents=20,
                            committee_members=3, firms=2, party_members=5,
                            problems_raised=raised, problems_solved=solved)

    def add_red_helper(self, hid, firm="甲公司", town="鼓楼街道", cases=()):
        self._insert(s.red_helpers, id=hid, name=f"帮办{hid}", firm=firm, town_code=TOWNS[town])
        for day, kind, solved in cases:
            self._insert(s.red_helper_cases, helper_id=hid, service_kind=kind,
                         solved_on=date.fromisoformat(day), problems_solved=solved)
        return self

    def add_site_project(self, code, town="鼓楼街道", issues=()):
        self._insert(s.site_projects, code=code, name=f"{code}项目", kind="key_project",
                     town_code=TOWNS[town], secretary="李书记", lat=29.805, lon=121.205)
        for kind, raised, resolved in issues:
            self._insert(s.site_issues, project_code=code, kind=kind,
                         raised_on=date.fromisoformat(raised),
                         resolved_on=date.fromisoformat(resolved) if resolved else None)
        return self

    def add_supervision(self, code, deadline: str, status="in_progress", completed=None):
        return self._insert(s.supervision_items, code=code, title=f"监督{code}",
                            focus="public_concern", owner="区住建局",
                            deadline=date.fromisoformat(deadline), status=status,
                            completed_on=date.fromisoformat(completed) if completed else None)
