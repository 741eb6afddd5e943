"""Property-based: arbitrary values in every URL parameter of every page give a page, never an
exception, an SQL error or a traceback (on the SQLite sample database, as a visitor of the
built-in sample). The parameters are those the pages and components read from the URL
(`grep -rn query_params pages components`), plus a few unknown ones."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from components.frame import PAGES

ROOT = "../"
PARAMS = ["period", "town", "metric", "layers", "cell", "ticket", "show", "source", "category",
          "department", "task_force", "wall", "every", "views", "step", "week", "cutoff",
          "present", "share", "q", "officer", "tab", "level", "programme", "threshold",
          "login", "list", "x"]
NEAR_MISSES = ["", " ", "1", "0", "-1", "2147483648", "1e309", "nan", "本周", "活动以来",
               "章水镇", "海曙区（全区）", "open", "gaps", "all", "grid", "livelihood",
               "330203106-001", "T1", "'; DROP TABLE tickets; --", "%", "_", "\\",
               "<script>alert(1)</script>", "[x](javascript:alert(1))", "\x00", "\u202e",
               "ｔｏｗｎ", "长" * 300, "2026-13-45", "9999-12-31"]
VALUES = st.one_of(st.sampled_from(NEAR_MISSES), st.text(max_size=40))
QUERIES = st.dictionaries(st.sampled_from(PARAMS),
                          st.one_of(VALUES, st.lists(VALUES, min_size=2, max_size=3)),
                          max_size=5)
SCRIPTS = [p.script for p in PAGES] + ["pages/5_wall.py"]
SQL_WORDS = ("SELECT", "sqlalchemy", "psycopg", "sqlite3", "Traceback")


def page_text(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "warning", "info", "error", "text",
                                  "code", "exception")
             for e in getattr(at, kind) if isinstance(e.value, str)]
    return "\n".join(parts)


@pytest.mark.parametrize("script", SCRIPTS)
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=QUERIES)
def test_any_url_parameters_give_a_page(app_db, script, query):
    at = AppTest.from_file(ROOT + "app.py", default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    if script != "app.py":
        at.switch_page(script)
    at.run()
    assert not at.exception, (query, [e.value for e in at.exception])
    assert not at.error, (query, [e.value for e in at.error])
    text = page_text(at)
    assert not any(word in text for word in SQL_WORDS), (query, text[:500])
    assert "<script>" not in " ".join(m.value for m in at.markdown if m.allow_html), query
