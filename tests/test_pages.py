"""Every page runs inside the shared frame in AppTest, on the sample database."""

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from components import format as fmt
from components.frame import PAGES
from data_access import db, schema

ROOT = "../"  # AppTest resolves paths relative to this file


def run(script: str, **query) -> AppTest:
    """Open `script` as a visitor would: the app, then (for other pages) that page."""
    at = AppTest.from_file(ROOT + "app.py", default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    if script != "app.py":
        at.switch_page(script)
    return at.run()


def chart_data(chart) -> pd.DataFrame:
    """The rows a Vega-Lite chart element was sent (its first dataset)."""
    return pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_pandas()


def chart_with(at: AppTest, column: str, value) -> pd.DataFrame:
    """The data of the first chart whose rows have `value` in `column`."""
    for chart in at.get("vega_lite_chart"):
        data = chart_data(chart)
        if column in data and (data[column] == value).any():
            return data
    raise AssertionError(f"no chart with {column} = {value!r}")


def tiles(at: AppTest) -> dict[str, str]:
    """KPI tiles by label (a later tile with the same label wins)."""
    return {m.label: m.value for m in at.metric}


def texts(at: AppTest) -> str:
    return " ".join(e.value for e in (*at.markdown, *at.caption, *at.subheader) if e.value)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.script)
def test_page_runs_for_the_district_and_for_a_town(app_db, page):
    for query in ({}, {"town": "章水镇", "period": "本月"}):
        at = run(page.script, **query)
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        assert "海曙区“三服务”领导驾驶舱" in texts(at)


def test_overview_shows_the_seed_headline(app_db):
    at = run("app.py")
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["收集问题"] == "1,337"
    assert tiles["已解决"] == "1,169"
    assert tiles["化解率"] == "87.4%"
    assert tiles["巡回医疗人次"].replace(",", "").isdigit()
    assert len(at.get("vega_lite_chart")) == 2


def test_overview_follows_the_town_in_the_url(app_db):
    at = run("app.py", town="章水镇")
    assert at.selectbox(key="town").value == "章水镇"
    assert "章水镇" in texts(at)
    assert int(at.metric[0].value.replace(",", "")) < 1337


def test_unknown_town_in_the_url_warns_and_shows_the_district(app_db):
    at = run("app.py", town="火星镇")
    assert any("不存在" in w.value for w in at.warning)
    assert at.metric[0].value == "1,337"


def test_unknown_period_in_the_url_warns_escaped_and_shows_the_campaign(app_db):
    at = run("app.py", period="[xyz](http://x)")
    warned = [w.value for w in at.warning if "时间范围" in w.value]
    assert len(warned) == 1 and "已显示活动以来" in warned[0], warned
    assert fmt.md_literal("[xyz](http://x)") in warned[0]  # escaped: text, never a link
    assert at.selectbox(key="period").value == "活动以来"


def test_unreachable_database_shows_one_clear_message(monkeypatch):
    monkeypatch.setenv(db.ENV_VAR, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    at = run("app.py")
    assert not at.exception
    assert len(at.error) == 1
    assert "无法连接数据库" in at.error[0].value
    assert not at.metric


def test_file_that_is_not_a_cockpit_database_shows_one_clear_message(monkeypatch, tmp_path):
    path = tmp_path / "x.db"
    path.write_bytes(b"")
    import sqlite3

    sqlite3.connect(path).execute("create table t (x)").connection.commit()
    monkeypatch.setenv(db.ENV_VAR, db.sample_url(path))
    at = run("app.py")
    assert not at.exception
    assert "不是驾驶舱数据库" in at.error[0].value


def test_fresh_machine_builds_the_sample_database_on_first_start(monkeypatch, tmp_path):
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    monkeypatch.setattr(db, "SECRETS", tmp_path / "no-secrets.toml")
    monkeypatch.setattr(db, "SAMPLE_DB", tmp_path / "sample" / "cockpit.db")
    at = run("app.py")
    assert not at.exception, [e.value for e in at.exception]
    assert db.SAMPLE_DB.exists()
    assert not at.status  # no box left over from the first start
    assert any("示例数据库已生成" in t.value for t in at.toast)
    assert {m.label: m.value for m in at.metric}["收集问题"] == "1,337"


def test_a_sample_built_by_an_older_version_is_rebuilt_not_refused(monkeypatch, tmp_path):
    import sqlite3

    monkeypatch.delenv(db.ENV_VAR, raising=False)
    monkeypatch.setattr(db, "SECRETS", tmp_path / "no-secrets.toml")
    monkeypatch.setattr(db, "SAMPLE_DB", tmp_path / "sample" / "cockpit.db")
    monkeypatch.setattr(db, "DEFAULT_SAMPLE_DB", db.SAMPLE_DB)  # the checkout's own sample file
    db.SAMPLE_DB.parent.mkdir()
    with sqlite3.connect(db.SAMPLE_DB) as old:  # what a checkout of schema version 1 built
        old.execute("CREATE TABLE cockpit_meta (key TEXT PRIMARY KEY, value TEXT)")
        old.execute("INSERT INTO cockpit_meta VALUES ('schema_version', '1')")
    at = run("app.py")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert db.sample_version(db.SAMPLE_DB) == str(schema.SCHEMA_VERSION)
    assert {m.label: m.value for m in at.metric}["收集问题"] == "1,337"


def test_a_real_database_named_as_the_sample_is_never_rebuilt_nor_opened_without_login(
        monkeypatch, tmp_path):
    import sqlite3

    monkeypatch.delenv(db.ENV_VAR, raising=False)
    monkeypatch.setattr(db, "SECRETS", tmp_path / "no-secrets.toml")
    monkeypatch.setattr(db, "SAMPLE_DB", tmp_path / "real.db")  # COCKPIT_SAMPLE_DB by mistake
    with sqlite3.connect(db.SAMPLE_DB) as real:  # a district's own data, an older version
        real.execute("CREATE TABLE cockpit_meta (key TEXT PRIMARY KEY, value TEXT)")
        real.execute("INSERT INTO cockpit_meta VALUES ('schema_version', '1')")
        real.execute("CREATE TABLE citizens (name TEXT)")
    before = db.SAMPLE_DB.read_bytes()
    at = run("app.py")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.metric
    assert db.SAMPLE_DB.read_bytes() == before


def test_no_page_draws_by_magic_so_turning_it_off_changes_nothing():
    """.streamlit/config.toml turns magic off. Magic would st.write a statement that is a bare
    expression other than a call, a docstring, a yield or an await: no page has one."""
    import ast
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["magicEnabled"] is False
    bare = []
    for script in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
        tree = ast.parse(script.read_text(encoding="utf-8"))
        for parent, field in ((p, f) for p in ast.walk(tree)
                              for f in ("body", "orelse", "finalbody")):
            statements = getattr(parent, field, None)
            for i, node in enumerate(statements if isinstance(statements, list) else []):
                if not isinstance(node, ast.Expr) or isinstance(
                        node.value, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)):
                    continue
                docstring = i == 0 and field == "body" and isinstance(parent, (
                    ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and (
                    isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))
                if not docstring:
                    bare.append(f"{script.name}:{node.lineno}")
    assert bare == []
