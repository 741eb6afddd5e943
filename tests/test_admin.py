"""The admin tool on both backends: versioned schema, upgrades that keep data, sample load."""

from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import inspect, literal_column, select

from data_access import admin, db, overview, schema
from data_access.filters import Filters
from tests.builders import TestDatabase
from tests.conftest import BACKENDS, fresh_database_url


@pytest.fixture(params=BACKENDS)
def empty_url(request, tmp_path):
    url, drop = fresh_database_url(request.param, tmp_path)
    yield url
    drop()


def test_create_schema_makes_a_cockpit_database_at_the_newest_version(empty_url, capsys):
    assert admin.main(["--url", empty_url, "create-schema"]) == 0
    assert f"数据结构已就绪（版本 {schema.SCHEMA_VERSION:04d}）" in capsys.readouterr().err
    engine = db.read_only_engine(empty_url)
    db.check_database(engine)
    with engine.connect() as conn:
        assert "alembic_version" in inspect(conn).get_table_names()
    engine.dispose()
    assert admin.main(["--url", empty_url, "check"]) == 0


def test_upgrade_adopts_a_database_built_without_migrations_and_keeps_its_data(empty_url):
    built = TestDatabase(empty_url)  # create_all, as the sample generator does
    built.add_officer("O1")
    built.close()
    assert admin.main(["--url", empty_url, "upgrade"]) == 0
    assert admin.main(["--url", empty_url, "upgrade"]) == 0  # idempotent
    engine = db.read_only_engine(empty_url)
    with engine.connect() as conn:
        assert conn.execute(select(schema.officers.c.id)).scalars().all() == ["O1"]
    engine.dispose()


def test_upgrade_renames_version_1_stages_to_the_district_flow_in_place(empty_url):
    from alembic import command
    from sqlalchemy import insert, update

    engine = db.writable_engine(empty_url)
    with engine.begin() as conn:
        config = admin.alembic_config(engine)
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(update(schema.meta).where(schema.meta.c.key == "schema_version")
                     .values(value="1"))
        TestDatabase.fill_minimal(conn)
        conn.execute(insert(schema.ticket_events), [
            {"ticket_id": "T1", "stage": stage, "at": datetime(2026, 3, 2, hour)}
            for stage, hour in [("reported", 9), ("accepted", 10), ("assigned", 11),
                                ("resolved", 12)]])
    engine.dispose()
    assert admin.main(["--url", empty_url, "upgrade"]) == 0
    engine = db.read_only_engine(empty_url)
    db.check_database(engine)
    with engine.connect() as conn:
        stages = conn.execute(select(schema.ticket_events.c.stage)
                              .order_by(schema.ticket_events.c.at)).scalars().all()
        assert stages == ["reported", "dispatched", "accepted", "resolved"]
        assert "official_calendar" in inspect(conn).get_table_names()
    engine.dispose()


def test_load_sample_fills_an_empty_database_with_the_seed_figures(empty_url):
    assert admin.main(["--url", empty_url, "load-sample", "--today", "2026-11-25"]) == 0
    engine = db.read_only_engine(empty_url)
    with engine.connect() as conn:
        f = Filters.between(datetime(2026, 1, 1).date(), datetime(2026, 11, 25).date(),
                            datetime(2026, 11, 25, 18))
        got = overview.fetch_kpis(conn, f)
    engine.dispose()
    assert (got["collected"], got["resolved"]) == (1337, 1169)
    with pytest.raises(SystemExit, match="已有数据"):
        admin.main(["--url", empty_url, "load-sample"])


def test_check_names_what_is_wrong(tmp_path, capsys):
    assert admin.main(["--url", db.sample_url(tmp_path / "none.db"), "check"]) == 1
    assert "找不到数据库文件" in capsys.readouterr().err


def test_the_migrations_build_exactly_the_declared_schema(empty_url):
    """A change to schema.py without a migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    assert admin.main(["--url", empty_url, "create-schema"]) == 0
    engine = db.writable_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                schema.metadata)
    engine.dispose()
    assert diff == []


def triggers(engine) -> set[str]:
    query = ("SELECT name FROM sqlite_master WHERE type = 'trigger'"
             if engine.dialect.name == "sqlite" else
             "SELECT c.relname || '.' || g.tgname FROM pg_trigger g "
             "JOIN pg_class c ON c.oid = g.tgrelid "
             "WHERE NOT g.tgisinternal AND c.relnamespace = current_schema()::regnamespace")
    with engine.connect() as conn:
        return {name for (name,) in conn.exec_driver_sql(query)}


def test_the_migrations_install_the_triggers_the_declared_schema_creates(empty_url, tmp_path):
    """The triggers that forget visit_rollup (schema.rollup_triggers): the same after the
    migrations as after create_all, one per table and kind of write."""
    assert admin.main(["--url", empty_url, "create-schema"]) == 0
    migrated = db.writable_engine(empty_url)
    (tmp_path / "declared").mkdir()
    other_url, drop = fresh_database_url(migrated.dialect.name, tmp_path / "declared")
    declared = db.writable_engine(other_url)
    schema.metadata.create_all(declared)
    try:
        assert triggers(migrated) == triggers(declared)
        assert len(triggers(migrated)) == (11 if migrated.dialect.name == "sqlite" else 8)
    finally:
        migrated.dispose()
        declared.dispose()
        drop()


def test_version_9_downgrades_and_upgrades_again_with_its_triggers(empty_url):
    from alembic import command

    engine = db.writable_engine(empty_url)
    try:
        admin.upgrade(engine)
        with engine.begin() as conn:
            config = admin.alembic_config(engine)
            config.attributes["connection"] = conn
            command.downgrade(config, "0008")
        assert triggers(engine) == set()
        assert {"visit_rollup", "ticket_changes"}.isdisjoint(inspect(engine).get_table_names())
        admin.upgrade(engine)
        assert len(triggers(engine)) == (11 if engine.dialect.name == "sqlite" else 8)
    finally:
        engine.dispose()


def test_the_upgrade_to_11_counts_the_stored_spans_and_visits_as_the_refresh_would(empty_url):
    """Version 11 fills span_rollup and ticket_visits from the stored states and tickets,
    keeping the rollups' mark: the same rows as the refresh builds."""
    from alembic import command

    from data_access import summaries
    from sample_data.scale import load_scaled

    engine = db.writable_engine(empty_url)
    derived = (schema.span_rollup, schema.ticket_visits)
    try:
        admin.upgrade(engine)
        load_scaled(engine, datetime(2026, 11, 25, 18), 1_000, say=lambda _: None)
        with engine.begin() as conn:
            want = [rows_of(conn, table) for table in derived]
            config = admin.alembic_config(engine)
            config.attributes["connection"] = conn
            command.downgrade(config, "0010")
        assert not {"span_rollup", "ticket_visits"} & set(inspect(engine).get_table_names())
        admin.upgrade(engine)
        with engine.connect() as conn:
            assert [rows_of(conn, table) for table in derived] == want
            assert all(want) and summaries.rollups_kept(conn)
    finally:
        engine.dispose()


def test_the_upgrade_to_12_sums_the_towns_days_as_the_refresh_would(empty_url):
    """Version 12 adds ticket_rollup's town rows (grain T) summed from its day rows: the
    same rows as the refresh builds; the downgrade takes them off."""
    from alembic import command

    from data_access import summaries
    from sample_data.scale import load_scaled

    engine = db.writable_engine(empty_url)
    town_rows = select(schema.ticket_rollup).where(schema.ticket_rollup.c.grain == "T")
    try:
        admin.upgrade(engine)
        load_scaled(engine, datetime(2026, 11, 25, 18), 1_000, say=lambda _: None)
        with engine.begin() as conn:
            want = rows_of(conn, schema.ticket_rollup)
            config = admin.alembic_config(engine)
            config.attributes["connection"] = conn
            command.downgrade(config, "0011")
            assert conn.execute(town_rows).first() is None
        admin.upgrade(engine)
        with engine.connect() as conn:
            assert rows_of(conn, schema.ticket_rollup) == want
            assert conn.execute(town_rows).first() is not None
            assert summaries.rollups_kept(conn)
    finally:
        engine.dispose()


def rows_of(conn, table) -> list[tuple]:
    return [tuple(row) for row in conn.execute(
        select(table).order_by(*table.primary_key.columns)).all()]


# The rollups, each with how many of its key's first columns a reader fixes where the
# rows are not in the order of the whole key (the units' years are summed after their months)
ROLLUPS = {schema.ticket_rollup: 0, schema.ticket_unit_rollup: 3, schema.span_rollup: 0,
           schema.visit_rollup: 0, schema.officer_rollup: 0}


def in_key_order(conn, table, fixed: int = 0) -> bool:
    """Whether `table`'s rows lie in the order of its primary key, within each value of its
    `fixed` first columns: SQLite, by rowid; PostgreSQL, page by page: read in that order,
    nine in ten moves to another page go forward (a narrow row written late may fill the
    room left on an earlier page; rows written in no order go back every other move)."""
    sqlite = conn.dialect.name == "sqlite"
    key = list(table.primary_key.columns)
    rows = conn.execute(select(*key[:fixed], literal_column("rowid" if sqlite else "ctid::text"))
                        .select_from(table).order_by(*key)).all()
    assert len(rows) > 100, table.name
    runs = {}
    for *run, at in rows:
        runs.setdefault(tuple(run), []).append(at if sqlite else int(at.strip("()").split(",")[0]))
    moves = [b > a for places in runs.values() for a, b in zip(places, places[1:]) if a != b]
    return moves.count(False) <= (0 if sqlite else len(moves) / 10)


def test_the_upgrade_to_15_writes_the_rollups_in_the_order_of_their_keys(empty_url):
    """A rollup whose rows were written in another order (the reverse of its key) lies in
    the order of its key after the upgrade to 15; the rows are the same."""
    from alembic import command

    from sample_data.scale import load_scaled

    engine = db.writable_engine(empty_url)
    try:
        admin.upgrade(engine)
        load_scaled(engine, datetime(2026, 11, 25, 18), 1_000, say=lambda _: None)
        with engine.begin() as conn:
            config = admin.alembic_config(engine)
            config.attributes["connection"] = conn
            command.downgrade(config, "0014")
            want = {table.name: rows_of(conn, table) for table in ROLLUPS}
            for table in ROLLUPS:  # written anew, the last key first
                conn.execute(table.delete())
                conn.execute(table.insert(), [dict(zip(table.c.keys(), row))
                                              for row in reversed(want[table.name])])
                assert not in_key_order(conn, table, ROLLUPS[table])
            command.upgrade(config, "0015")
        with engine.connect() as conn:
            for table in ROLLUPS:
                assert in_key_order(conn, table), table.name  # (the whole key)
                assert rows_of(conn, table) == want[table.name]
        admin.upgrade(engine)
    finally:
        engine.dispose()


def test_the_upgrade_to_13_sums_the_units_years_as_the_refresh_would(empty_url):
    """Version 13 adds to ticket_unit_rollup a grain: its months (M) as they were, and the
    years (Y) summed from them: the same rows as the refresh builds; the downgrade takes the
    years and the grain off."""
    from alembic import command

    from data_access import summaries
    from sample_data.scale import load_scaled

    engine = db.writable_engine(empty_url)
    units = schema.ticket_unit_rollup
    try:
        admin.upgrade(engine)
        load_scaled(engine, datetime(2026, 11, 25, 18), 1_000, say=lambda _: None)
        with engine.begin() as conn:
            want = rows_of(conn, units)
            config = admin.alembic_config(engine)
            config.attributes["connection"] = conn
            command.downgrade(config, "0012")
        columns = {c["name"] for c in inspect(engine).get_columns("ticket_unit_rollup")}
        assert "grain" not in columns and "unit" in columns
        with engine.connect() as conn:  # the months, as version 12 kept them
            months = conn.exec_driver_sql("SELECT COUNT(*) FROM ticket_unit_rollup").scalar()
        assert months == sum(row[2] == "M" for row in want)
        admin.upgrade(engine)
        with engine.connect() as conn:
            assert rows_of(conn, units) == want
            assert summaries.rollups_kept(conn)
        assert {row[2] for row in want} == {"M", "Y"}
    finally:
        engine.dispose()


@contextmanager
def loaded(empty_url):
    """A writable engine on `empty_url`, upgraded and loaded with 1,000 tickets (the refresh
    ran), and a function that downgrades it to a revision in a transaction and returns that
    connection's result of a function of it, before and after."""
    from alembic import command

    from sample_data.scale import load_scaled

    engine = db.writable_engine(empty_url)

    def downgrade(revision: str, read):
        with engine.begin() as conn:
            before = read(conn)
            config = admin.alembic_config(engine)
            config.attributes["connection"] = conn
            command.downgrade(config, revision)
            return before, read(conn)

    try:
        admin.upgrade(engine)
        load_scaled(engine, datetime(2026, 11, 25, 18), 1_000, say=lambda _: None)
        yield engine, downgrade
    finally:
        engine.dispose()


def test_the_upgrade_to_16_sums_the_officers_years_as_the_refresh_would(empty_url):
    """Version 16 adds officer_rollup's years (grain Y) summed from its months: the same
    rows, in the key's order, as the refresh builds; the downgrade takes them off."""
    from data_access import summaries

    rollup = schema.officer_rollup
    with loaded(empty_url) as (engine, downgrade):
        want, months = downgrade("0015", lambda conn: rows_of(conn, rollup))
        assert months == [row for row in want if row[0] != "Y"]
        admin.upgrade(engine)
        with engine.connect() as conn:
            assert rows_of(conn, rollup) == want
            assert in_key_order(conn, rollup)
            assert summaries.rollups_kept(conn) and summaries.visits_current(conn)
    assert {row[0] for row in want} == {"D", "M", "Y"}
    assert len({row[1].year for row in want if row[0] == "Y"}) >= 2  # the campaign's years


def test_the_upgrade_to_17_keeps_each_pairs_visits_as_the_refresh_would(empty_url):
    """Version 17 adds pair_visits (each officer's first and last visit of each target),
    filled from the visits: the same rows as the refresh builds, visit_rollup still
    current; the downgrade drops it."""
    from data_access import summaries

    with loaded(empty_url) as (engine, downgrade):
        with engine.connect() as conn:
            want = rows_of(conn, schema.pair_visits)
        tables = downgrade("0016", lambda conn: inspect(conn).get_table_names())
        assert "pair_visits" in tables[0] and "pair_visits" not in tables[1]
        admin.upgrade(engine)
        with engine.connect() as conn:
            assert rows_of(conn, schema.pair_visits) == want
            assert summaries.visits_current(conn)
    assert len(want) > 100 and any(first < last for *_, first, last in want)


def test_the_upgrade_to_18_sums_the_districts_days_as_the_refresh_would(empty_url):
    """Version 18 adds ticket_rollup's district rows (grain W) summed from its town rows,
    and span_rollup's ('' for the town) summed from its: the same rows, in the key's order,
    as the refresh builds; and the open states' index carries their due time and town. The
    downgrade takes them back."""
    from data_access import summaries

    rollup, spans = schema.ticket_rollup, schema.span_rollup

    def read(conn):
        index = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("ticket_states")}
        return rows_of(conn, rollup), rows_of(conn, spans), index["ix_ticket_states_open"]

    with loaded(empty_url) as (engine, downgrade):
        with engine.connect() as conn:
            assert in_key_order(conn, spans)  # as the refresh writes it
        (want, want_spans, covered), (before, before_spans, alone) = downgrade("0017", read)
        assert before == [row for row in want if row[0] != "W"]
        assert before_spans == [row for row in want_spans if row[1] != ""]
        assert (covered, alone) == (["reported_at", "due_at", "town_code"], ["reported_at"])
        admin.upgrade(engine)
        with engine.connect() as conn:
            assert read(conn) == (want, want_spans, covered)
            assert in_key_order(conn, rollup) and in_key_order(conn, spans)
            assert summaries.rollups_kept(conn)
    district = [row for row in want if row[0] == "W"]
    assert len(district) > 100 and all(row[3:6] == ("", "", "") for row in district)
    assert len(want_spans) - len(before_spans) > 100  # the district's spans
