"""Configuration, read-only access and the clear messages for a database that cannot serve."""

import sqlite3

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from data_access import db
from data_access.schema import towns
from tests.conftest import PG_URL, _postgres_or_skip


def test_url_comes_from_env_then_secrets_then_sample(tmp_path):
    secrets = tmp_path / "secrets.toml"
    assert db.configured_url({}, secrets) == db.sample_url()
    secrets.write_text('[connections.cockpit]\nurl = "postgresql+psycopg://r@h/x"\n')
    assert db.configured_url({}, secrets) == "postgresql+psycopg://r@h/x"
    env = {db.ENV_VAR: "sqlite:////data/cockpit.db"}
    assert db.configured_url(env, secrets) == "sqlite:////data/cockpit.db"


def test_broken_secrets_file_is_named_in_the_message(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[connections.cockpit\nurl=")
    with pytest.raises(db.CockpitDatabaseError, match="secrets.toml 无法解析"):
        db.configured_url({}, secrets)


def test_writes_through_the_cockpit_engine_fail(sample_db):
    row = {"code": "X", "name": "X", "kind": "town", "lat": 0, "lon": 0, "mountain": False,
           "population": 1}
    with pytest.raises(DBAPIError, match="read.only|readonly"):
        with sample_db.begin() as conn:
            conn.execute(insert(towns), [row])
    with pytest.raises(DBAPIError):
        with sample_db.begin() as conn:
            conn.execute(text("DELETE FROM grid_cells"))


def test_missing_sqlite_file_is_named(tmp_path):
    with pytest.raises(db.CockpitDatabaseError, match="找不到数据库文件"):
        db.read_only_engine(db.sample_url(tmp_path / "nope.db"))


def test_a_file_that_is_not_a_cockpit_database_says_which_tables_are_missing(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("create table towns (x int)").connection.commit()
    engine = db.read_only_engine(db.sample_url(path))
    with pytest.raises(db.CockpitDatabaseError, match="不是驾驶舱数据库: 缺少数据表"):
        db.check_database(engine)


def test_a_file_that_is_not_sqlite_at_all_gets_a_message(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is not a database " * 100)
    with pytest.raises(db.CockpitDatabaseError, match="无法连接数据库"):
        db.check_database(db.read_only_engine(db.sample_url(path)))


def test_unreachable_postgresql_gets_a_message():
    engine = db.read_only_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(db.CockpitDatabaseError, match="无法连接数据库"):
        db.check_database(engine)


def test_unsupported_backend_is_refused():
    with pytest.raises(db.CockpitDatabaseError, match="不支持的数据库类型"):
        db.read_only_engine("mysql://u@h/x")


def test_sample_database_passes_the_check(sample_db):
    db.check_database(sample_db)


# --- configuration errors: one clear message, the password masked -----------------------

@pytest.mark.parametrize("url", [
    "postgres ql://reader:s3cret@host/cockpit",  # a space in the scheme
    "postgresql+psycopg://reader:s3cret@host:port/cockpit",  # a port that is not a number
    "://reader:s3cret@host/cockpit",
])
def test_a_malformed_url_gets_one_message_with_the_password_masked(url):
    with pytest.raises(db.CockpitDatabaseError, match="数据库地址格式不正确") as caught:
        db.read_only_engine(url)
    assert "s3cret" not in str(caught.value) and "***" in str(caught.value)


def test_an_unknown_driver_is_named_with_the_password_masked():
    with pytest.raises(db.CockpitDatabaseError, match="未知的数据库驱动: postgresql\\+nodriver") as e:
        db.read_only_engine("postgresql+nodriver://reader:s3cret@host/cockpit")
    assert "s3cret" not in str(e.value)
    with pytest.raises(db.CockpitDatabaseError, match="未知的数据库驱动"):
        db.writable_engine("sqlite+nodriver:////tmp/x.db")


def test_a_password_in_the_query_string_is_refused_and_masked():
    url = "postgresql+psycopg://reader@host/cockpit?password=s3cret&sslmode=require"
    for make in (db.read_only_engine, db.writable_engine):
        with pytest.raises(db.CockpitDatabaseError, match="查询参数中含有密码") as caught:
            make(url)
        assert "s3cret" not in str(caught.value) and "password=***" in str(caught.value)


def test_the_admin_tool_reports_a_bad_url_without_a_traceback(capsys):
    from data_access.admin import main as admin

    assert admin(["--url", "postgresql://reader@host/x?password=s3cret", "check"]) == 1
    err = capsys.readouterr().err
    assert "查询参数中含有密码" in err and "s3cret" not in err


def _cockpit_file(path):
    from tests.builders import TestDatabase

    TestDatabase(db.sample_url(path)).close()
    return path


def test_a_sqlite_path_with_a_hash_opens_that_very_file_read_only(tmp_path):
    _cockpit_file(tmp_path / "a#b.db")
    (tmp_path / "a").write_text("a decoy: the part before # must not be opened")
    engine = db.read_only_engine(f"sqlite:///{tmp_path}/a#b.db")
    db.check_database(engine)
    with pytest.raises(DBAPIError, match="read.only|readonly"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM grid_cells"))
    engine.dispose()
    encoded = db.read_only_engine(f"sqlite:///{tmp_path}/a%23b.db")  # the URL-encoded spelling
    db.check_database(encoded)
    encoded.dispose()


def test_a_sqlite_path_with_a_question_mark_is_refused_or_opened_when_encoded(tmp_path):
    import shutil

    shutil.copy(_cockpit_file(tmp_path / "plain.db"), tmp_path / "a?b.db")
    with pytest.raises(db.CockpitDatabaseError, match="SQLite 地址不能带“\\?”"):
        db.read_only_engine(f"sqlite:///{tmp_path}/a?b.db")
    engine = db.read_only_engine(f"sqlite:///{tmp_path}/a%3Fb.db")
    db.check_database(engine)
    engine.dispose()


# --- schema drift: the start-up check names every difference ------------------------------

def test_a_missing_column_a_changed_type_and_a_missing_table_are_all_named(tiny):
    with tiny.writer.begin() as conn:
        conn.execute(text("ALTER TABLE tickets DROP COLUMN satisfaction"))
        conn.execute(text("ALTER TABLE towns DROP COLUMN population"))
        conn.execute(text("ALTER TABLE towns ADD COLUMN population TEXT"))
        conn.execute(text("DROP TABLE site_issues"))
    with pytest.raises(db.CockpitDatabaseError, match="数据结构与驾驶舱不一致（3 处）") as caught:
        db.check_database(tiny.engine)
    message = str(caught.value)
    assert "数据表 tickets 缺少列 satisfaction" in message
    assert "列 towns.population 的类型为文本，应为整数" in message
    assert "缺少数据表 site_issues" in message


def test_the_check_reads_schema_py_at_run_time(tiny, monkeypatch):
    from sqlalchemy import Column, Date

    from data_access import schema

    db.check_database(tiny.engine)
    monkeypatch.setattr(schema.towns, "_columns", schema.towns._columns)  # restored afterwards
    extra = Column("founded_on", Date)
    schema.towns.append_column(extra)
    try:
        with pytest.raises(db.CockpitDatabaseError, match="数据表 towns 缺少列 founded_on"):
            db.check_database(tiny.engine)
    finally:
        schema.towns._columns.remove(extra)
    db.check_database(tiny.engine)


def test_the_ping_fails_once_the_sqlite_file_is_gone(tmp_path):
    path = _cockpit_file(tmp_path / "c.db")
    engine = db.read_only_engine(db.sample_url(path))
    db.ping(engine)
    path.rename(tmp_path / "moved.db")
    with pytest.raises(db.CockpitDatabaseError, match="找不到数据库文件"):
        db.ping(engine)
    engine.dispose()


def test_postgresql_reading_sessions_are_read_only_and_planned_for_memory():
    _postgres_or_skip()
    engine = db.read_only_engine(PG_URL)
    with engine.connect() as conn:
        settings = {name: conn.exec_driver_sql(f"SHOW {name}").scalar()
                    for name in ("default_transaction_read_only", "jit", "random_page_cost")}
    engine.dispose()
    assert settings == {"default_transaction_read_only": "on", "jit": "off",
                        "random_page_cost": str(db.RANDOM_PAGE_COST)}


def test_the_partial_index_of_open_tickets_repeats_the_definition_of_open():
    """A database uses a partial index only for a query with its very condition: schema.py's
    copy of "open" compiles as ticket_state.is_open on ticket_states does, on both backends."""
    from sqlalchemy.dialects import postgresql, sqlite

    from data_access import schema
    from data_access import ticket_state as ts

    indexes = [i for i in schema.ticket_states.indexes
               if i.name in ("ix_ticket_states_open", "ix_ticket_states_open_due")]
    assert len(indexes) == 2
    for index in indexes:
        for dialect in (sqlite.dialect(), postgresql.dialect()):
            condition = index.dialect_options[dialect.name]["where"]
            assert str(condition.compile(dialect=dialect)) == \
                str(ts.is_open(schema.ticket_states).compile(dialect=dialect))


def test_what_the_database_keeps_about_itself_is_read_once_per_cockpit_connection(tiny):
    """cockpit_meta, the refresh's mark and the calendar: read once per connection of the
    cockpit's read-only engine (a figure call asked up to eleven times), so that the call's
    parts see one state of them; a new connection reads them anew; a writer's connection
    (the refresh, which changes them) reads anew each time."""
    from sqlalchemy import event

    from data_access import summaries
    from data_access import ticket_state as ts
    from data_access.workdays import load_calendar

    statements = []

    def count(conn, cursor, statement, *_):
        statements.append(statement)

    def read_all(conn):
        return (db.meta_value(conn, "campaign_start"), db.meta_value(conn, "schema_version"),
                ts.mark(conn), summaries.rollups_kept(conn), load_calendar(conn).overrides)

    for engine in (tiny.engine, tiny.writer):
        event.listen(engine, "before_cursor_execute", count)
    try:
        with tiny.connect() as conn:
            first = read_all(conn)
            once = len(statements)
            assert read_all(conn) == first
            assert len(statements) == once  # the second time: nothing read
        with tiny.writer.begin() as conn:
            db.set_meta(conn, "campaign_start", "2026-02-01")
            written = len(statements)
            assert read_all(conn)[0] == "2026-02-01"
            assert len(statements) - written >= once  # a writer reads anew
        with tiny.connect() as conn:
            assert read_all(conn)[0] == "2026-02-01"  # a new connection, anew
    finally:
        for engine in (tiny.engine, tiny.writer):
            event.remove(engine, "before_cursor_execute", count)
    assert once == 2  # cockpit_meta once, the calendar once: no mark before a refresh
