"""Database fixtures for both backends: the sample database and tiny hand-built ones.

PostgreSQL tests run against COCKPIT_TEST_POSTGRES_URL (default: the local server's
`test` database), each database in a fresh schema that is dropped afterwards. When the
server cannot be reached they are skipped, unless COCKPIT_REQUIRE_POSTGRES=1 (CI), which
turns the skip into a failure.
"""

import os
import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from data_access.db import read_only_engine, sample_url, writable_engine
from sample_data.generate import SampleBuilder
from tests.builders import TestDatabase

PG_URL = os.environ.get("COCKPIT_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("COCKPIT_REQUIRE_POSTGRES") == "1"
# The sample data ends at a fixed moment, so that tests know which week is "this week".
SAMPLE_NOW = datetime(2026, 11, 25, 16, 0)
BACKENDS = ["sqlite", "postgresql"]


def _postgres_or_skip() -> None:
    try:
        with create_engine(PG_URL).connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # any failure to reach the server
        message = f"PostgreSQL unreachable at {PG_URL}: {exc}"
        if REQUIRE_PG:
            pytest.fail(message + " (COCKPIT_REQUIRE_POSTGRES=1)")
        pytest.skip(message)


class _PgSchema:
    """A fresh schema in the PostgreSQL test database; its URL pins the search_path."""

    def __init__(self):
        _postgres_or_skip()
        self.name = f"cockpit_test_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(PG_URL)
        with self.admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        self.url = make_url(PG_URL).update_query_dict(
            {"options": f"-csearch_path={self.name}"}).render_as_string(hide_password=False)

    def drop(self):
        with self.admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self.admin.dispose()


def fresh_database_url(backend: str, tmp_path) -> tuple[str, callable]:
    """An empty database of `backend` and the function that removes it."""
    if backend == "sqlite":
        return sample_url(tmp_path / "cockpit.db"), lambda: None
    schema = _PgSchema()
    return schema.url, schema.drop


@pytest.fixture(scope="session")
def sample_rows():
    """The sample data as rows, built once per test session."""
    return SampleBuilder(SAMPLE_NOW).build()


@pytest.fixture(scope="session", params=BACKENDS)
def sample_db(request, sample_rows, tmp_path_factory):
    """Read-only engine on the sample database, once per backend."""
    url, drop = fresh_database_url(request.param, tmp_path_factory.mktemp("sample"))
    writer = writable_engine(url)
    sample_rows.write(writer)
    writer.dispose()
    engine = read_only_engine(url)
    engine.cockpit_url = url
    yield engine
    engine.dispose()
    drop()


@pytest.fixture
def conn(sample_db):
    with sample_db.connect() as c:
        yield c


@pytest.fixture(params=BACKENDS)
def tiny(request, tmp_path):
    """An empty cockpit database of each backend, to fill by hand with known answers."""
    url, drop = fresh_database_url(request.param, tmp_path)
    db = TestDatabase(url)
    yield db
    db.close()
    drop()


@pytest.fixture(scope="session")
def sample_file(sample_rows, tmp_path_factory) -> str:
    """A SQLite sample database file for the app (AppTest and the browser)."""
    url = sample_url(tmp_path_factory.mktemp("app") / "cockpit.db")
    engine = writable_engine(url)
    sample_rows.write(engine)
    engine.dispose()
    return url


@pytest.fixture
def app_db(sample_file, monkeypatch):
    """The app (AppTest) reads the SQLite sample database (as the built-in sample: no login)."""
    from data_access import db

    monkeypatch.setenv(db.ENV_VAR, sample_file)
    monkeypatch.setattr(db, "SAMPLE_DB", db.sqlite_path(sample_file))
    return sample_file


def day(s: str) -> date:
    return date.fromisoformat(s)
