"""A shared database as other systems leave it: tables without NOT NULL, foreign keys or
unique constraints, holding one row of each kind the importer would have refused.

`HostileDatabase(url)` creates such tables (from a relaxed copy of schema.metadata, so the
start-up check still finds every table and column), adds a small clean base through
TestDatabase, then `add_hostile_rows()` adds the hostile ones. HOSTILE names the keys of
those rows, so tests can say which figure must leave which row out.
"""

from datetime import date, datetime

from sqlalchemy import Column, MetaData, String, Table, Text, insert

from data_access import schema as s
from tests.builders import SQUARE, TOWNS, TestDatabase, at

AS_OF = datetime(2026, 11, 25, 16, 0)  # the tests' now; FUTURE lies after it
FUTURE = "2027-06-01 09:00"
LONG_HTML = "<img src=x onerror=alert(1)><b>长</b>" + "长" * 10_000
EMPTY_POLYGON = '{"type":"Polygon","coordinates":[]}'
MALFORMED = '{"type":"Polygon","coordinates":[[[121.2,29.8],[121.21'
FAR_AWAY = '{"type":"Polygon","coordinates":[[[2.3,48.8],[2.4,48.8],[2.4,48.9],[2.3,48.8]]]}'


def huge_polygon(vertices: int = 300_000) -> str:
    """A closed ring of `vertices` points inside the district (a thin zig-zag square)."""
    n = vertices // 4
    xs = [121.2 + 0.01 * i / n for i in range(n)]
    ring = ([(x, 29.8) for x in xs] + [(121.21, 29.8 + 0.01 * i / n) for i in range(n)]
            + [(121.21 - 0.01 * i / n, 29.81) for i in range(n)]
            + [(121.2, 29.81 - 0.01 * i / n) for i in range(n)] + [(121.2, 29.8)])
    return ('{"type":"Polygon","coordinates":[['
            + ",".join(f"[{x:.6f},{y:.6f}]" for x, y in ring) + "]]}")


def relaxed_metadata() -> MetaData:
    """schema.metadata's tables with every column nullable, text without a length, and no
    foreign key, unique constraint or index; primary keys stay (a table needs one)."""
    md = MetaData()
    for table in s.metadata.sorted_tables:
        Table(table.name, md, *(
            Column(c.name, Text if isinstance(c.type, String) else c.type,
                   primary_key=c.primary_key, nullable=not c.primary_key,
                   autoincrement=c.autoincrement)
            for c in table.columns))
    return md


# The hostile rows' keys, for assertions.
HOSTILE = {
    "town_null_name": "330203999000",
    "town_html_name": "330203998000",
    "cell_null_name": "330203106-901",
    "cell_null_town": "330203106-902",
    "cell_empty_polygon": "330203106-903",
    "cell_malformed": "330203106-904",
    "cell_far_away": "330203106-905",
    "cell_huge": "330203106-906",
    "officer_unknown_level": "O-MARS",
    "officer_null_level": "O-NULL",
    "ticket_future": "T-FUTURE",
    "ticket_dup_resolved": "T-DUP",
    "ticket_wrong_order": "T-ORDER",
    "ticket_unknown_codes": "T-CODES",
    "ticket_nulls": "T-NULLS",
    "ticket_html": "T-HTML",
    "orphan_event_ticket": "T-GHOST",
    "visit_future": "V-FUTURE",
    "visit_negative": "V-NEG",
    "visit_unknown_diary": "V-DIARY",
    "clinic_negative": "CP-NEG",
    "compound_unknown_stage": "CMP-ODD",
}


class HostileDatabase(TestDatabase):
    """A TestDatabase on relaxed tables; `add_hostile_rows` adds one row of each kind."""

    def __init__(self, url: str):
        from data_access.db import writable_engine

        engine = writable_engine(url)
        relaxed_metadata().create_all(engine)
        engine.dispose()
        super().__init__(url)  # create_all skips the tables that exist

    def rows(self, table, *rows):
        with self.writer.begin() as conn:
            conn.execute(insert(table), list(rows))
        return self

    def add_clean_base(self):
        """What a well-kept database would hold: officers, targets, visits, tickets."""
        self.add_officer("O1").add_target("E1").assign("O1", "E1")
        self.add_visit("V1", "O1", "E1", "2026-11-10 10:00", problems=2)
        self.add_ticket("T1", reported="2026-11-02 09:00",
                        events=[("dispatched", "2026-11-02 10:00"),
                                ("accepted", "2026-11-02 11:00"),
                                ("resolved", "2026-11-04 09:00")], satisfaction=5)
        self.add_clinic_point("CP1", services=[("2026-11-03", 30)])
        self.add_compound("CMP1")
        return self

    def add_hostile_rows(self):
        t, z = TOWNS["章水镇"], TOWNS["章水镇"][:9]
        h = HOSTILE
        town = dict(kind="town", lat=29.8, lon=121.2, mountain=False, population=100)
        self.rows(s.towns, dict(code=h["town_null_name"], name=None, boundary=EMPTY_POLYGON,
                                **town),
                  dict(code=h["town_html_name"], name=LONG_HTML, boundary=MALFORMED, **town))
        cell = dict(population=10, households=3, officer_id=None, lat=29.805, lon=121.205)
        self.rows(s.grid_cells,
                  dict(code=h["cell_null_name"], name=None, town_code=t, boundary=SQUARE, **cell),
                  dict(code=h["cell_null_town"], name="无镇网格", town_code=None, boundary=SQUARE,
                       **cell),
                  dict(code=h["cell_empty_polygon"], name="空网格", town_code=t,
                       boundary=EMPTY_POLYGON, **cell),
                  dict(code=h["cell_malformed"], name="坏网格", town_code=t, boundary=MALFORMED,
                       **cell),
                  dict(code=h["cell_far_away"], name="远网格", town_code=t, boundary=FAR_AWAY,
                       **cell),
                  dict(code=h["cell_huge"], name="大网格", town_code=t,
                       boundary=huge_polygon(), **cell))
        self.rows(s.officers,
                  dict(id=h["officer_unknown_level"], name=LONG_HTML, level="martian",
                       department=None, town_code=t),
                  dict(id=h["officer_null_level"], name=None, level=None, department="某部门",
                       town_code=None))
        self.add_target("E2").assign(h["officer_unknown_level"], "E1")
        self.assign(h["officer_null_level"], "E2", role="alien")
        self.rows(s.assignments, dict(officer_id="O-NOBODY", target_id="E1", role="informer"))
        visit = dict(officer_id="O1", target_id="E1", took_situation=True,
                     took_difficulties=True, took_suggestions=True, left_phone=True,
                     left_help_intent=True, left_responsibility=True)
        self.rows(s.visits,
                  dict(id=h["visit_future"], visited_at=at(FUTURE), diary_type="enterprise",
                       problems_raised=1, **visit),
                  dict(id=h["visit_negative"], visited_at=at("2026-11-11 10:00"),
                       diary_type="enterprise", problems_raised=-5, **visit),
                  dict(id=h["visit_unknown_diary"], visited_at=at("2026-11-12 10:00"),
                       diary_type="poem", problems_raised=None, **visit))
        # a ticket reported in the future; one resolved twice at the same moment (a duplicate)
        self.add_ticket(h["ticket_future"], reported=FUTURE)
        self.add_ticket(h["ticket_dup_resolved"], reported="2026-11-03 09:00",
                        events=[("resolved", "2026-11-05 09:00"),
                                ("resolved", "2026-11-05 09:00")])
        # due before reported, an event before the report, an event after as_of
        self.rows(s.tickets, dict(
            id=h["ticket_wrong_order"], title="顺序错", source="grid", category="livelihood",
            town_code=t, grid_cell_code=f"{z}-001", department="区住建局",
            reported_at=at("2026-11-05 09:00"), due_at=at("2026-11-01 09:00"),
            satisfaction=None))
        self.rows(s.ticket_events,
                  dict(ticket_id=h["ticket_wrong_order"], stage="reported",
                       at=at("2026-11-05 09:00")),
                  dict(ticket_id=h["ticket_wrong_order"], stage="dispatched",
                       at=at("2026-10-01 09:00")),
                  dict(ticket_id=h["ticket_wrong_order"], stage="resolved", at=at(FUTURE)))
        self.rows(s.tickets, dict(
            id=h["ticket_unknown_codes"], title="怪代码", source="carrier_pigeon",
            category="astrology", town_code=t, grid_cell_code=f"{z}-999", department="区住建局",
            task_force="space", reported_at=at("2026-11-06 09:00"),
            due_at=at("2026-11-16 09:00"), satisfaction=42))
        self.rows(s.tickets, dict(
            id=h["ticket_nulls"], title=None, source=None, category=None, town_code=None,
            grid_cell_code=None, department=None, reported_at=at("2026-11-07 09:00"),
            due_at=None, satisfaction=-1, lat=None, lon=None))
        self.rows(s.tickets, dict(
            id=h["ticket_html"], title=LONG_HTML, source="grid", category="livelihood",
            town_code=h["town_html_name"], grid_cell_code=h["cell_null_name"],
            department=LONG_HTML, reporter_name=LONG_HTML, reported_at=at("2026-11-08 09:00"),
            due_at=at("2026-11-18 09:00"), lat=48.85, lon=2.35))
        self.rows(s.ticket_events,
                  dict(ticket_id=h["ticket_unknown_codes"], stage="teleported",
                       at=at("2026-11-06 10:00")),
                  dict(ticket_id=h["ticket_nulls"], stage=None, at=None),
                  dict(ticket_id=h["orphan_event_ticket"], stage="resolved",
                       at=at("2026-11-09 09:00")),
                  dict(ticket_id=None, stage="reported", at=at("2026-11-09 09:00")))
        self.rows(s.tickets, dict(  # reported_at NULL: never counted
            id="T-NOTIME", title="无时间", source="grid", category="livelihood", town_code=t,
            department="区住建局", reported_at=None, due_at=None))
        self.add_clinic_point(h["clinic_negative"], services=[("2026-11-04", -500)])
        self.rows(s.clinic_services, dict(point_code="CP-GHOST", served_on=date(2026, 11, 5),
                                          person_visits=7))
        self.add_compound(h["compound_unknown_stage"], stage="demolished", lifts=-3)
        self.rows(s.hotline_daily, dict(day=date(2026, 11, 4), town_code=t,
                                        service_type="telepathy", services=-20))
        self.add_agent_service("2026-11-04", item="magic", cases=-4)
        self.add_open_space("OS-NEG", "2026-11-04", theme="space", raised=-3, solved=-2)
        self.add_red_helper("RH-NEG", cases=[("2026-11-04", "alchemy", -6)])
        self.add_site_project("SP-ODD", issues=[("teleport", "2026-11-10", "2026-11-01")])
        self.add_supervision("SUP-ODD", "2026-12-01", status="lost")
        self.rows(s.supervision_items, dict(code="SUP-NULL", title=None, focus=None, owner=None,
                                            deadline=None, status=None))
        return self
