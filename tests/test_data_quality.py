"""数据质量 at scale: fetch_problems counts the checks of a table together (one scan of its
rows, one of its rows joined to what they reference, no subquery per row) and lists keys only
for the problems found, and returns exactly what running each check as its own query returns
(the oracle below, the way it was first written), on SQLite and PostgreSQL: on a database
holding every kind of problem (more than LIST_LIMIT rows of some, records entered twice,
thrice and with NULL keys, events before their ticket and events of no ticket) and on one
with the schema's constraints."""

import re
from collections import Counter
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import event, func, select

from data_access import data_quality as dq
from data_access import schema as s
from data_access.result import typed
from tests.builders import TOWNS
from tests.conftest import BACKENDS, fresh_database_url
from tests.hostile import AS_OF, HostileDatabase


def oracle_problems(conn, now: datetime) -> pd.DataFrame:
    """fetch_problems as first written: each check's `where` as its own query, with a window
    count so that its count and first keys come back together."""
    found = []
    for check in dq.checks(now):
        keys = [check.table.c[name] for name in s.natural_key(check.table)]
        rows = conn.execute(select(*keys, func.count().over()).where(check.where)
                            .order_by(*keys).limit(dq.LIST_LIMIT)).all()
        if rows:
            found.append((check.table.name, dq.TABLE_LABELS[check.table.name], check.problem,
                          check.column, rows[0][-1], [dq._key_text(r[:-1]) for r in rows]))
    for table in (s.towns, s.grid_cells):
        found += dq._boundary_rows(conn, table)
    out = typed([row[:5] for row in found], {"table": "str", "table_label": "str",
                                             "problem": "str", "column": "str", "rows": "int"})
    out["keys"] = pd.Series([tuple(row[5]) for row in found], dtype="object")
    order = {t.name: i for i, t in enumerate(dq.CHECKED_TABLES)}
    return out.sort_values("table", key=lambda col: col.map(order), kind="stable",
                           ignore_index=True)


def add_many_problems(db: HostileDatabase) -> HostileDatabase:
    """Beyond one row of each kind: more than LIST_LIMIT rows for the joined and grouped
    checks, and the kinds the hostile rows lack."""
    t = TOWNS["章水镇"]
    start = datetime(2026, 10, 1, 9)
    # 30 keys entered three times (60 repeats: the list stops inside a group), on tickets
    # that do not exist (T-GHOST-*) and before T1's report (T1 is reported on 2026-11-02)
    keys = [("T1", start + timedelta(hours=i)) for i in range(10)] + [
        (f"T-GHOST-{i:02}", start) for i in range(20)]
    db.rows(s.ticket_events, *(dict(ticket_id=ticket, stage="dispatched", at=when)
                               for ticket, when in keys for _ in range(3)))
    db.rows(s.ticket_events, *(dict(ticket_id="T1", stage="accepted",
                                    at=start + timedelta(minutes=i)) for i in range(55)))
    # repeated keys with a NULL in them are not records entered twice (NULL equals nothing)
    twice = [dict(ticket_id=None, stage="reported", at=start),
             dict(ticket_id="T1", stage=None, at=start), dict(ticket_id="T1", stage="signed_off",
                                                              at=None)]
    db.rows(s.ticket_events, *twice, *twice)
    db.rows(s.clinic_services, *(dict(point_code=f"CP-GHOST-{i:02}", served_on=date(2026, 11, 5),
                                      person_visits=-i) for i in range(1, 61)))
    db.rows(s.compounds, dict(code="CMP-OLD", name="古小区", town_code=t, built_year=1700,
                              households=10, renovation_stage="completed",
                              property_upgrade_done=True, property_upgrade_on=date(2027, 1, 1),
                              lifts_installed=0, lat=29.805, lon=121.205))
    return db


def seeded_database(url: str) -> HostileDatabase:
    return add_many_problems(HostileDatabase(url).add_clean_base().add_hostile_rows())


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request, tmp_path_factory):
    url, drop = fresh_database_url(request.param, tmp_path_factory.mktemp("quality"))
    db = seeded_database(url)
    yield db
    db.close()
    drop()


def test_the_seeded_database_has_every_kind_of_problem(seeded):
    with seeded.connect() as conn:
        found = oracle_problems(conn, AS_OF)
    kinds = {check.problem for check in dq.checks(AS_OF)}
    assert kinds <= set(found["problem"]), kinds - set(found["problem"])
    joined = found[found["table"] == "ticket_events"].set_index("problem")["rows"]
    assert joined["重复记录"] > dq.LIST_LIMIT and joined["时间顺序颠倒"] > dq.LIST_LIMIT
    assert joined["引用的记录不存在"] > dq.LIST_LIMIT


def test_problems_are_those_of_each_check_run_on_its_own(seeded):
    with seeded.connect() as conn:
        got = dq.fetch_problems(conn, AS_OF)
        expected = oracle_problems(conn, AS_OF)
    pd.testing.assert_frame_equal(got, expected)


def test_a_database_with_the_schemas_constraints_gives_the_same_problems(tiny):
    # what the constraints let through: an unknown stage, an event before the report, a
    # score of 9, a report after now; the unique key rules out repeats without grouping
    tiny.add_ticket("T1", reported="2026-11-02 09:00", satisfaction=9,
                    events=[("teleported", "2026-11-01 09:00"), ("resolved", "2026-11-03 09:00")])
    tiny.add_ticket("T2", reported="2027-01-01 09:00")
    with tiny.connect() as conn:
        got = dq.fetch_problems(conn, AS_OF)
        expected = oracle_problems(conn, AS_OF)
    pd.testing.assert_frame_equal(got, expected)
    assert {"代码不在词表中", "时间顺序颠倒", "评分不在1–5分", "时间晚于当前"} <= set(got["problem"])


def test_records_entered_thrice_count_twice_and_list_the_key_twice(seeded):
    with seeded.connect() as conn:
        found = dq.fetch_problems(conn, AS_OF).set_index(["table", "problem", "column"])
    twice = found.loc[("ticket_events", "重复记录", "ticket_id, stage, at")]
    # T-DUP's 办结 twice (1), 30 keys thrice (60); the NULL-keyed pairs are not repeats
    assert twice["rows"] == 61 and len(twice["keys"]) == dq.LIST_LIMIT
    times = Counter(twice["keys"])
    assert set(times.values()) <= {1, 2} and 2 in times.values(), times
    assert not [k for k in times if "空" in k.split(" · ")], "no key with a NULL in it"


def statements_run(conn, query) -> list[tuple[str, object]]:
    """The SQL statements (with their parameters) that `query(conn)` runs."""
    seen = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", record)
    try:
        query(conn)
    finally:
        event.remove(conn, "before_cursor_execute", record)
    return seen


def test_clean_data_is_counted_in_one_scan_per_table_and_one_join_per_referencing_table(tiny):
    tiny.add_officer("O1").add_target("E1").assign("O1", "E1")
    tiny.add_ticket("T1", events=[("resolved", "2026-03-04 09:00")], satisfaction=5)
    with tiny.connect() as conn:
        run = statements_run(conn, lambda c: dq.fetch_problems(c, AS_OF))
    read = Counter(m.group(1) for sql, _ in run if (m := re.search(r"\bFROM (\w+)", sql)))
    # the events' key is kept unique by the database: no grouping; the boundaries of towns
    # and grid cells are read once more, to be judged in Python; PostgreSQL keeps the
    # references itself: only the events join their tickets (for the time order); on
    # SQLite a reference to places or people is one walk of its values, the others one
    # join; cockpit_meta is read once more, for the refresh mark (never refreshed here)
    kept = tiny.url.startswith("postgresql")
    all_checks = dq.checks(AS_OF)
    loose = Counter(c.table.name for c in all_checks if dq._loose(c))
    joined = {c.table.name for c in all_checks if c.joins and not dq._loose(c)}
    expected = Counter({t.name: 1 + (t is s.ticket_events if kept else
                                     (t.name in joined) + loose[t.name])
                        for t in dq.CHECKED_TABLES})
    expected.update(["towns", "grid_cells", "cockpit_meta"])
    assert {name: n for name, n in read.items() if name in expected} == expected


def test_no_query_runs_a_subquery_per_row(seeded):
    explain, per_row = (("EXPLAIN ", "SubPlan") if seeded.url.startswith("postgresql")
                        else ("EXPLAIN QUERY PLAN ", "CORRELATED"))
    with seeded.connect() as conn:
        run = statements_run(conn, lambda c: dq.fetch_problems(c, AS_OF))
        for sql, parameters in run:
            plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql(explain + sql, parameters))
            assert per_row not in plan, (sql, plan)


def test_a_foreign_key_the_database_does_not_enforce_is_checked(tiny):
    tiny.add_ticket("T1", events=[("resolved", "2026-03-04 09:00")])
    with tiny.connect() as conn:
        kept = dq.kept_referenced(conn, s.ticket_events.c.ticket_id)
    assert kept == tiny.url.startswith("postgresql")  # SQLite never vouches for old rows
    if not kept:
        return
    with tiny.writer.begin() as conn:  # as a bulk load with its triggers off leaves it
        conn.exec_driver_sql("ALTER TABLE ticket_events DISABLE TRIGGER ALL")
        conn.execute(s.ticket_events.insert().values(ticket_id="T-GHOST", stage="resolved",
                                                     at=datetime(2026, 3, 5, 9)))
    with tiny.connect() as conn:
        assert not dq.kept_referenced(conn, s.ticket_events.c.ticket_id)
        got = dq.fetch_problems(conn, AS_OF).set_index(["table", "problem"])
    assert got.loc[("ticket_events", dq.MISSING_REFERENCE), "rows"] == 1


def test_rows_dated_later_than_the_refreshs_day_are_kept_with_their_time(tiny):
    """The refresh keeps 时间晚于当前 with each row's time (after the start of its day), so
    that the kept findings answer it at any later now; before that day the tables answer."""
    from data_access import summaries
    from data_access.filters import local_now

    now = local_now()
    soon, today = now + timedelta(hours=2), now.replace(hour=0, minute=0, second=0)
    tiny.add_ticket("T-SOON", reported=soon.strftime("%Y-%m-%d %H:%M"),
                    events=[("dispatched", (soon + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"))])
    tiny.add_ticket("T-PAST", reported="2026-03-02 09:00")
    with tiny.writer.begin() as conn:
        summaries.refresh(conn)
    future = [check for check in dq.checks(now)
              if check.problem == dq.FUTURE and check.table in dq.KEPT]
    expected = {now: {"tickets": 1, "ticket_events": 2},  # reported, then dispatched, soon
                soon + timedelta(minutes=30): {"ticket_events": 1},
                soon + timedelta(hours=2): {},
                today - timedelta(days=1): {"tickets": 1, "ticket_events": 2}}
    with tiny.connect() as conn:
        for when, rows in expected.items():
            found = dq.kept(conn, when)
            assert found is not None
            assert all(found.answers(check, when) == (when >= today) for check in future)
            got = dq.fetch_problems(conn, when)
            pd.testing.assert_frame_equal(got, oracle_problems(conn, when))
            assert got[got["problem"] == dq.FUTURE].set_index("table")["rows"].to_dict() == rows


@pytest.fixture(scope="module", params=BACKENDS)
def indexed(request, tmp_path_factory):
    """The seeded problems in tables that have the cockpit's indexes (no foreign keys)."""
    url, drop = fresh_database_url(request.param, tmp_path_factory.mktemp("indexed"))
    db = seeded_database(url)
    db.rows(s.visits, dict(id="V-GHOST", officer_id="O-GHOST", target_id="E1",
                           visited_at=datetime(2026, 11, 10, 11), problems_raised=0))
    with db.writer.begin() as conn:
        for table in dq.CHECKED_TABLES:
            for index in table.indexes:
                index.create(conn)
    yield db
    db.close()
    drop()


def test_references_to_places_and_people_are_found_by_walking_their_values(indexed):
    """A reference to towns, grid cells, officers or targets from a table with an index
    that lists its values is counted and listed from those values (one probe each), and
    gives what the check run on its own gives."""
    with indexed.connect() as conn:
        run = statements_run(conn, lambda c: dq.fetch_problems(c, AS_OF))
        got = dq.fetch_problems(conn, AS_OF)
        expected = oracle_problems(conn, AS_OF)
    pd.testing.assert_frame_equal(got, expected)
    walked = {m.group(1) for sql, _ in run
              if (m := re.search(r"WITH RECURSIVE \w+\(\w+\) AS\s*\(SELECT min\((\w+\.\w+)\)", sql))}
    assert {"tickets.town_code", "tickets.grid_cell_code", "visits.officer_id",
            "visits.target_id"} <= walked
    missing = got[(got["problem"] == dq.MISSING_REFERENCE) & got["table"].isin(
        ["tickets", "visits"])].set_index("column")["rows"]
    assert missing.filter(like="grid_cell_code").sum() and missing.filter(like="officer_id").sum()
