"""Configuration, read-only access and the clear messages for a database that cannot serve."""

import sqlite3

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from data_access import db
from data_access.schema import towns


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
