"""The database stops answering under a running cockpit: the last good figures stay under one
banner, a view never computed says so, nothing raises, and the next run after the database
is back is current again. On PostgreSQL (connections refused, sessions ended) and SQLite
(file moved away, file locked by a writer)."""

import shutil
import sqlite3
import time
import tomllib
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from components import auth, cached, frame
from data_access import db
from tests.conftest import PG_URL, SAMPLE_NOW, _postgres_or_skip

ROOT = Path(__file__).resolve().parent.parent
TOWN = "章水镇"


@pytest.fixture
def fresh_caches(monkeypatch):
    """Every test starts with empty caches and a fixed data moment, so the filters of two
    runs are equal whatever the clock does between them."""
    def clear():
        st.cache_resource.clear()
        cached.forget()
        cached._outage_since.clear()

    clear()
    monkeypatch.setattr(frame, "data_moment", lambda: SAMPLE_NOW)
    yield
    clear()


def banners(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "不是最新数据" in w.value]


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def not_computed(at: AppTest) -> list[str]:
    return [i.value for i in at.info if i.value == cached.NOT_COMPUTED]


def survives_an_outage(url: str, stop, restart, monkeypatch) -> None:
    """The story of one outage on the overview page, told against `url` (a deployment: a
    district user is logged in)."""
    monkeypatch.setenv(db.ENV_VAR, url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    now = time.time()
    at.session_state[auth.STATE] = {"user": auth.User(name="chief", role="district"),
                                    "since": now, "seen": now}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    before = tiles(at)
    assert before["收集问题"] not in ("", "—") and not banners(at)

    stop()
    cached.expire()  # the TTL has passed: only the kept last good results can serve
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert tiles(at) == before, "the last good figures are kept"
    assert len(banners(at)) == 1, at.warning
    assert "自 " in banners(at)[0] and not not_computed(at)

    at.selectbox(key="town").set_value(TOWN).run()  # a view never computed before
    assert not at.exception, [e.value for e in at.exception]
    assert not_computed(at) and len(banners(at)) == 1
    assert not tiles(at), "no figures of another view stand in for this town's"

    restart()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not banners(at) and not not_computed(at)
    assert tiles(at)["收集问题"] != before["收集问题"], "the town's own figures, current"
    assert cached.outage_since() is None


@pytest.fixture
def outage_database(sample_rows):
    """A dedicated PostgreSQL database holding the sample, dropped at the end."""
    _postgres_or_skip()
    name = f"cockpit_outage_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    writer = db.writable_engine(url)
    sample_rows.write(writer)
    writer.dispose()

    def allow(yes: bool):
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(yes).lower()}'))
            if not yes:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                  " WHERE datname = :name AND pid <> pg_backend_pid()"),
                             {"name": name})

    yield url, allow
    st.cache_resource.clear()  # let go of the cockpit's pooled connections
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgresql_refusing_connections_keeps_the_last_figures_then_recovers(
        outage_database, fresh_caches, monkeypatch):
    url, allow = outage_database
    survives_an_outage(url, lambda: allow(False), lambda: allow(True), monkeypatch)


def test_sqlite_file_moved_away_keeps_the_last_figures_then_recovers(
        sample_file, tmp_path, fresh_caches, monkeypatch):
    path = tmp_path / "cockpit.db"
    shutil.copy(db.sqlite_path(sample_file), path)
    away = tmp_path / "elsewhere.db"
    survives_an_outage(db.sample_url(path), lambda: path.rename(away),
                       lambda: away.rename(path), monkeypatch)


def test_sqlite_file_locked_by_a_writer_keeps_the_last_figures_then_recovers(
        sample_file, tmp_path, fresh_caches, monkeypatch):
    path = tmp_path / "cockpit.db"
    shutil.copy(db.sqlite_path(sample_file), path)
    writer = sqlite3.connect(path, isolation_level=None)

    def lock():
        writer.execute("BEGIN EXCLUSIVE")  # readers now get 'database is locked'

    survives_an_outage(db.sample_url(path), lock, lambda: writer.execute("ROLLBACK"), monkeypatch)
    writer.close()


def test_a_query_failing_mid_page_serves_its_last_result_under_the_banner(
        app_db, fresh_caches, monkeypatch):
    """The ping passed, then a query failed: same outcome as a refused connection."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    before = tiles(at)
    real = cached._compute

    def failing(url, fn, args, kwargs):
        if fn.__name__ == "fetch_weekly_flow":
            raise db.CockpitDatabaseError("查询超时")
        return real(url, fn, args, kwargs)

    cached.expire()
    monkeypatch.setattr(cached, "_compute", failing)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(banners(at)) == 1 and tiles(at) == before


def test_an_edited_query_never_serves_the_old_result():
    def one(conn):
        return 1

    def two(conn):
        return 2

    assert cached.code_hash(one) != cached.code_hash(two)
    assert cached.code_hash(one) == cached.code_hash(one)


def test_a_section_keeps_the_rest_of_the_page(app_db, fresh_caches, tmp_path):
    script = tmp_path / "page.py"
    script.write_text(
        "import streamlit as st\n"
        "from components import cached\n"
        "cached._run().down = True  # as if the ping had failed\n"
        "with cached.section():\n"
        "    cached.call(lambda conn: 1)\n"
        "    st.write('never drawn')\n"
        "st.write('after the section')\n")
    at = AppTest.from_file(str(script), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not_computed(at)
    assert [m.value for m in at.markdown] == ["after the section"]


def test_viewers_never_see_a_traceback():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    # nor "Ask Google" / "Ask ChatGPT" under an error (Streamlit's default shows them locally)
    assert config["client"]["showErrorLinks"] is False


def test_a_failing_page_shows_one_chinese_message(tmp_path):
    script = tmp_path / "page.py"
    script.write_text(
        "import streamlit as st\n"
        "from components import frame\n"
        "frame.catch_page_errors()\n"
        "st.write('before')\n"
        "raise RuntimeError('select * from secrets')\n")
    at = AppTest.from_file(str(script), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [frame.PAGE_FAILED]
    assert [m.value for m in at.markdown] == ["before"]


def test_a_database_missing_a_column_gets_one_message_and_no_queries(
        sample_file, tmp_path, fresh_caches, monkeypatch):
    path = tmp_path / "cockpit.db"
    shutil.copy(db.sqlite_path(sample_file), path)
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE tickets DROP COLUMN satisfaction")
    monkeypatch.setenv(db.ENV_VAR, db.sample_url(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and "数据表 tickets 缺少列 satisfaction" in at.error[0].value
    assert not tiles(at)


def test_a_cached_call_answers_each_set_of_arguments_with_its_own_result(app_db, fresh_caches):
    """The store keys its results by a digest of the arguments: equal arguments (other
    objects) are served from the store, and any argument that differs (a town, the as_of, a
    keyword) is computed anew."""
    from data_access.filters import Filters

    seen = []

    def counted(conn, f, codes=("collected",)):
        seen.append((f, codes))
        return (f.town_code, f.as_of, codes)

    week = Filters.for_period("this_week", datetime(2026, 11, 25, 10))
    same = Filters.for_period("this_week", datetime(2026, 11, 25, 10))
    assert same is not week
    assert cached.call(counted, week) == (None, week.as_of, ("collected",))
    assert cached.call(counted, same) == (None, week.as_of, ("collected",))
    assert len(seen) == 1
    town = week.with_town("330203001")
    assert cached.call(counted, town)[0] == "330203001"
    assert cached.call(counted, week.shifted_weeks(-1))[1] == week.as_of - timedelta(days=7)
    assert cached.call(counted, week, codes=("resolved",))[2] == ("resolved",)
    assert len(seen) == 4
