"""visit_rollup: the visits counted per day and month and town, read by the figure visits
while no write has touched visits or targets since the refresh that built it; any write, by
any program, makes the figure count the visits themselves again (both backends)."""

import os
from collections import Counter
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import delete, insert, select, update

from data_access import coverage, figures, summaries
from data_access import schema as s
from data_access import ticket_state as ts
from data_access.filters import Filters
from tests.builders import TOWNS, TestDatabase
from tests.conftest import fresh_database_url

NOW = datetime(2026, 3, 10, 15)  # as_of lies inside March
GULOU = TOWNS["鼓楼街道"]
VISITS = {  # visit id → (target, time)
    "V1": ("T1", "2026-01-05 10:00"), "V2": ("T2", "2026-01-25 10:00"),
    "V3": ("T1", "2026-02-03 10:00"), "V4": ("T2", "2026-02-28 23:59"),
    "V5": ("T1", "2026-03-09 23:59"), "V6": ("T1", "2026-03-10 08:00"),
    "V7": ("T1", "2026-03-10 16:00"), "V8": ("T2", "2026-03-12 09:00"),  # after as_of
}
DIARIES = {  # visit id → (diary type, complete record); the others: enterprise, complete
    "V2": ("resident", False), "V3": ("resident", True), "V4": ("no_such_diary", True),
    "V5": ("grassroots", False), "V6": ("grassroots", False), "V7": ("no_such_diary", False),
}


def several() -> list[Filters]:
    return [Filters.between(date(2026, 1, 1), date(2026, 3, 31), NOW),  # months and as_of's day
            Filters.between(date(2026, 1, 20), date(2026, 2, 10), NOW),  # two months cut
            Filters.between(date(2026, 3, 10), date(2026, 3, 10), NOW),  # as_of's day alone
            Filters.between(date(2026, 1, 1), date(2026, 3, 31), NOW, town_code=GULOU),
            Filters.between(date(2026, 3, 11), date(2026, 3, 20), NOW),  # after as_of
            Filters.between(date(2025, 12, 1), date(2026, 2, 28), NOW)]  # all before as_of


@pytest.fixture
def visited(tiny):
    return fill(tiny)


def fill(tiny):
    tiny.add_officer("O1").add_target("T1").add_target("T2", town="鼓楼街道")
    for visit_id, (target, when) in VISITS.items():
        diary, complete = DIARIES.get(visit_id, ("enterprise", True))
        tiny.add_visit(visit_id, "O1", target, when, complete=complete, diary=diary)
    with tiny.writer.begin() as conn:
        summaries.refresh(conn)  # the tickets (none) and the visits
        assert summaries.visits_current(conn) and summaries.status(conn) is None
    return tiny


def visit_figures(tiny, rollup: bool) -> list:
    """(headline, grouped by town, the diary mix) of visits for several filters, through the
    rollup or not."""
    out = []
    with tiny.connect() as conn:
        ts.USE_SUMMARIES = rollup
        try:
            assert summaries.visits_current(conn) == rollup
            for f in several():
                assert (figures.visit_counts(conn, f, None) is not None) == rollup
                out.append((figures.headline(conn, f, ["visits"]),
                            figures.grouped(conn, f, "town_code", ["visits"]),
                            coverage.fetch_diary_mix(conn, f)))
        finally:
            ts.USE_SUMMARIES = True
    return out


def assert_figures_agree(tiny) -> None:
    got, want = visit_figures(tiny, True), visit_figures(tiny, False)
    for (head, by_town, mix), (want_head, want_by_town, want_mix) in zip(got, want):
        assert head == want_head
        assert by_town.equals(want_by_town)
        pd.testing.assert_frame_equal(mix, want_mix)


def test_the_rollup_counts_every_visit_by_day_month_and_town(visited):
    with visited.connect() as conn:
        rows = {(g, d if isinstance(d, date) else date.fromisoformat(d), t, diary): (n, full)
                for g, d, t, diary, n, full in conn.execute(select(s.visit_rollup)).all()}
    towns = {"T1": TOWNS["章水镇"], "T2": GULOU}
    made, complete = Counter(), Counter()  # per grain, day, town and diary type
    for visit_id, (target, when) in VISITS.items():
        diary, full = DIARIES.get(visit_id, ("enterprise", True))
        day = datetime.fromisoformat(when).date()
        for key in (("D", day), ("M", day.replace(day=1))):
            made[(*key, towns[target], diary)] += 1
            complete[(*key, towns[target], diary)] += full
    assert rows == {key: (n, complete[key]) for key, n in made.items()}


def test_figures_through_the_rollup_equal_the_visits_counted(visited):
    assert_figures_agree(visited)
    (whole, by_town, _), (cut, _, _), (today, _, _), (gulou, _, _), (later, _, _), \
        (before, _, _) = visit_figures(visited, True)
    assert whole == {"visits": 6} and cut == {"visits": 2} and today == {"visits": 1}
    assert gulou == {"visits": 2} and later == {"visits": 0} and before == {"visits": 4}
    assert dict(zip(by_town["key"], by_town["visits"])) == {TOWNS["章水镇"]: 4, GULOU: 2}
    mix = visit_figures(visited, True)[0][2].set_index("diary_type")
    assert mix["visits"].to_dict() == {"enterprise": 1, "resident": 2, "grassroots": 2,
                                       "no_such_diary": 1}
    assert mix["complete"].to_dict() == {"enterprise": 1, "resident": 1, "grassroots": 0,
                                         "no_such_diary": 1}


WRITES = {  # another program's write → what the visits of several() become
    "a new visit": insert(s.visits).values(
        id="V9", officer_id="O1", target_id="T2", visited_at=datetime(2026, 2, 2, 9),
        diary_type="enterprise", took_situation=True, took_difficulties=True,
        took_suggestions=True, left_phone=True, left_help_intent=True,
        left_responsibility=True, problems_raised=0),
    "a visit moved": update(s.visits).where(s.visits.c.id == "V1")
    .values(visited_at=datetime(2026, 3, 1, 9)),
    "a visit deleted": delete(s.visits).where(s.visits.c.id == "V3"),
    "a target moved to another town": update(s.targets).where(s.targets.c.id == "T1")
    .values(town_code=GULOU),
}


@pytest.mark.parametrize("write", WRITES)
def test_any_write_to_visits_or_targets_forgets_the_rollup_until_the_next_refresh(visited,
                                                                                   write):
    before = visit_figures(visited, True)
    with visited.writer.begin() as conn:  # another program, not the admin tool
        conn.execute(WRITES[write])
    with visited.connect() as conn:
        assert not summaries.visits_current(conn)
        assert "走访汇总表已停用" in summaries.status(conn)
    after = visit_figures(visited, False)  # what the cockpit now counts: the visits
    assert [(h, g.to_dict()) for h, g, _ in after] != [(h, g.to_dict()) for h, g, _ in before]
    with visited.writer.begin() as conn:
        assert summaries.refresh_visits(conn)
        assert not summaries.refresh_visits(conn)  # current: nothing to do
    assert_figures_agree(visited)
    assert [(h, g.to_dict(), m.to_dict()) for h, g, m in visit_figures(visited, True)] == \
        [(h, g.to_dict(), m.to_dict()) for h, g, m in after]


def test_an_import_of_visits_through_the_importer_counts_them_in_the_rollup(visited, tmp_path):
    from data_access import importer

    path = tmp_path / "visits.csv"
    path.write_text(
        "id,officer_id,target_id,visited_at,diary_type,took_situation,took_difficulties,"
        "took_suggestions,left_phone,left_help_intent,left_responsibility,problems_raised\n"
        "V9,O1,T2,2026-02-02 09:00,enterprise,1,1,1,1,1,1,0\n", encoding="utf-8")
    report = importer.import_table(visited.writer, "visits", path)
    assert report.inserted == 1, report
    with visited.connect() as conn:
        assert summaries.visits_current(conn)
        assert figures.headline(conn, several()[0], ["visits"]) == {"visits": 7}
    assert_figures_agree(visited)


@pytest.fixture
def visited_pg(tmp_path):
    url, drop = fresh_database_url("postgresql", tmp_path)
    database = TestDatabase(url)
    yield fill(database)
    database.close()
    drop()


def test_a_writer_without_rights_on_the_cockpits_tables_fires_the_triggers(visited_pg):
    """Another system's role may write tickets, visits and targets and nothing else: the
    trigger functions run as their owner (SECURITY DEFINER). PostgreSQL only: SQLite has no
    roles."""
    visited = visited_pg
    visited.add_ticket("A")
    with visited.writer.begin() as conn:
        summaries.refresh(conn)
    role = f"cockpit_test_writer_{os.getpid()}"
    with visited.writer.begin() as conn:
        schema_name = conn.exec_driver_sql("SELECT current_schema()").scalar()
        conn.exec_driver_sql(f"CREATE ROLE {role} NOLOGIN")
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema_name} TO {role}")
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON visits, targets, tickets "
                             f"TO {role}")
    try:
        with visited.writer.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL ROLE {role}")
            conn.execute(WRITES["a visit deleted"])
            conn.execute(update(s.tickets).where(s.tickets.c.id == "A")
                         .values(department="区新部门"))
            with pytest.raises(Exception, match="permission denied"):
                with conn.begin_nested():
                    conn.execute(select(s.meta)).all()
        with visited.connect() as conn:
            assert not summaries.visits_current(conn)
            assert conn.execute(select(s.ticket_changes.c.ticket_id)).scalars().all() == ["A"]
    finally:
        with visited.writer.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")


def test_a_truncate_forgets_the_visits_rollup_and_the_ticket_marks(visited_pg):
    """TRUNCATE names no rows: on PostgreSQL it forgets the visits rollup and the refresh's
    marks (the next refresh is full). PostgreSQL only: SQLite has no TRUNCATE."""
    visited = visited_pg
    visited.add_ticket("A")
    with visited.writer.begin() as conn:
        summaries.refresh(conn)
        assert ts.mark(conn) is not None and summaries.visits_current(conn)
        conn.exec_driver_sql("TRUNCATE ticket_events, tickets, visits")
    with visited.connect() as conn:
        assert ts.mark(conn) is None
        assert not summaries.visits_current(conn)
        assert figures.headline(conn, several()[0], ["visits", "collected"]) == {
            "visits": 0, "collected": 0}
