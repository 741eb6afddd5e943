"""Who sees what, page by page (AppTest): the login on a deployment database, roles and the
town scope, expiry and lockout, the sample's open door, masked modes, and values from the
URL rendered as text."""

import logging
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

from components import auth

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]
TOWN, TOWN_NAME, OTHER_NAME = "330203009000", "石碶街道", "南门街道"
PASSWORDS = {"chief": "chief-pass-1", "shiqi": "shiqi-pass-1", "looker": "looker-pass-1",
             "screen": "screen-pass-1"}
WALL_KEY = "a-long-random-wall-key"
ROLES = {"chief": ("district", None), "shiqi": ("town", TOWN_NAME), "looker": ("viewer", None),
         "screen": ("wall", None)}


def users_toml(**settings) -> str:
    lines = [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"'
             for k, v in settings.items()]
    for name, (role, town) in ROLES.items():
        lines += [f"[users.{name}]", f'role = "{role}"',
                  f'password_hash = "{auth.hash_password(PASSWORDS[name])}"']
        if town:
            lines.append(f'town = "{town}"')
        if role == "wall":
            lines.append(f'key_hash = "{auth.hash_password(WALL_KEY)}"')
    return "\n".join(lines) + "\n"


@pytest.fixture
def deployment(sample_file, monkeypatch, tmp_path):
    """A configured database (not the built-in sample) and a users file."""
    from data_access import db

    users = tmp_path / "users.toml"
    users.write_text(users_toml(max_failures=3, lockout_minutes=15), encoding="utf-8")
    monkeypatch.setenv(db.ENV_VAR, sample_file)
    monkeypatch.setenv(auth.ENV_USERS_FILE, str(users))
    auth.ATTEMPTS.__init__()  # every test starts without failed attempts
    return users


def page(script: str, **query) -> AppTest:
    """`script` opened as a visitor would: the app, then (for other pages) that page."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    if script != "app.py":
        at.switch_page(script)
    return at


def log_in(at: AppTest, name: str, password: str | None = None) -> AppTest:
    at.run()
    at.text_input[0].input(name)
    at.text_input[1].input(password if password is not None else PASSWORDS[name])
    at.button[0].click()
    return at.run()


def figures_shown(at: AppTest) -> int:
    return (len(at.metric) + len(at.dataframe) + len(at.get("vega_lite_chart"))
            + len(at.get("deck_gl_json_chart")) + len(at.table))


@pytest.mark.parametrize("script", PAGES)
def test_every_page_shows_only_a_login_on_a_deployment_database(deployment, script):
    at = page(script, town=OTHER_NAME, wall="1").run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert at.text_input[1].proto.type == at.text_input[1].proto.PASSWORD
    assert figures_shown(at) == 0


def test_a_town_official_sees_only_the_town_and_cannot_widen_it_through_the_url(deployment):
    at = log_in(page("pages/2_tickets.py", town=OTHER_NAME), "shiqi")
    assert not at.exception
    assert at.selectbox(key="town").options == [TOWN_NAME]
    assert any("不在本账号范围内" in w.value for w in at.warning)
    towns = set(at.dataframe[-1].value["镇(乡)街道"]) if at.dataframe else set()
    assert towns == {TOWN_NAME}
    at.switch_page("app.py").run()  # the session holds across pages
    assert not at.text_input or at.text_input[0].label != "用户名"
    assert at.selectbox(key="town").options == [TOWN_NAME]


def test_the_wall_account_sees_the_wall_and_other_pages_refuse(deployment):
    at = log_in(page("app.py"), "screen")
    assert any("仅可查看大屏" in e.value for e in at.error)
    assert figures_shown(at) == 0
    at.switch_page("pages/5_wall.py").run()
    assert not at.exception and not at.error
    at = log_in(page("pages/2_tickets.py", wall="1"), "screen")  # ?wall=1 leads to the wall
    assert not at.exception and not at.error


def test_a_wall_pc_opens_its_key_url_after_a_reboot_without_a_password(deployment):
    at = page("pages/5_wall.py", key=WALL_KEY).run()  # a new session: no login typed
    assert not at.exception and not at.error
    assert not at.text_input  # no password field
    assert "key" not in at.query_params  # the key leaves the address bar
    at = page("app.py", key=WALL_KEY).run()  # the key opens the wall only
    assert at.text_input and figures_shown(at) == 0
    at = page("pages/5_wall.py", key="guessed").run()
    assert at.text_input  # a wrong key: the login


def test_the_data_quality_page_is_for_district_accounts_only(deployment):
    at = log_in(page("pages/7_data_quality.py"), "shiqi")
    assert any("仅限区级账号" in e.value for e in at.error)


def test_wrong_passwords_are_refused_logged_and_lock_the_user_out(deployment, caplog):
    caplog.set_level(logging.INFO, logger="cockpit.auth")
    at = page("app.py")
    for attempt in range(3):
        log_in(at, "chief", f"wrong-{attempt}")
        assert any("不正确" in e.value for e in at.error)
    log_in(at, "chief")  # the right password, but locked out now
    assert any("尝试次数过多" in e.value for e in at.error)
    assert figures_shown(at) == 0
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert messages.count("login failed") == 3 and "locked out" in messages
    assert "wrong-" not in messages and PASSWORDS["chief"] not in messages


def test_a_session_ends_after_the_idle_time(deployment):
    at = log_in(page("app.py"), "chief")
    assert figures_shown(at) > 0
    state = at.session_state[auth.STATE]
    at.session_state[auth.STATE] = state | {"seen": time.time() - 31 * 60}
    at.run()
    assert any("登录已过期" in w.value for w in at.warning)
    assert figures_shown(at) == 0 and at.text_input[1].label == "密码"


def test_sample_accounts_do_not_open_a_deployment(deployment):
    at = log_in(page("app.py"), "district", "haishu-district")
    assert any("不正确" in e.value for e in at.error)


def test_the_sample_opens_without_login_marked_and_the_login_can_be_tried(app_db):
    at = page("app.py").run()
    assert not at.exception and figures_shown(at) > 0
    assert any(auth.SAMPLE_MARK in m.value for m in at.markdown)
    at = log_in(page("app.py", login="1"), "shiqi", "haishu-shiqi")
    assert at.selectbox(key="town").options == [TOWN_NAME]


def test_markdown_and_html_in_the_url_render_as_text(app_db):
    link = "[点此登录](http://evil.example/login)"
    for value in (link, "![x](http://evil.example/x.png)", "<img src=x onerror=alert(1)>"):
        at = page("app.py", town=value).run()
        shown = " ".join(w.value for w in at.warning)
        # no Markdown or HTML can form: every bracket, angle, bang and colon is escaped
        assert not re.search(r"(?<!\\)[\[\]<>!:]", shown), shown
        plain = re.sub(r"\\(.)", r"\1", shown).replace("\u200b", "")  # what the reader sees
        assert "://" not in shown.replace("\\", "")  # a bare URL is broken: no autolink
        assert value in plain


def citizens(sample_file) -> tuple[set, set]:
    engine = create_engine(sample_file)
    with engine.connect() as conn:
        names = {n for (n,) in conn.execute(text("select reporter_name from tickets")) if n}
        officers = {n for (n,) in conn.execute(text("select name from officers"))}
        phones = {p for (p,) in conn.execute(text("select reporter_phone from tickets")) if p}
    engine.dispose()
    return names - officers, phones


def everything_shown(at: AppTest) -> tuple[set, str]:
    cells = set()
    for frame in at.dataframe:
        cells |= {str(v) for v in frame.value.to_numpy().ravel()}
    words = " ".join(e.value for kind in ("markdown", "caption", "text", "info", "warning")
                     for e in at.get(kind) if isinstance(getattr(e, "value", None), str))
    return cells, words


@pytest.mark.parametrize("query", [{"share": "1"}, {}], ids=["share", "default"])
@pytest.mark.parametrize("script", ["pages/2_tickets.py", "pages/1_map.py", "pages/3_visits.py",
                                    "pages/6_meeting.py", "app.py"])
def test_no_full_citizen_name_or_phone_on_any_page(app_db, script, query):
    names, phones = citizens(app_db)
    at = page(script, **query).run()
    assert not at.exception
    cells, words = everything_shown(at)
    assert not cells & names
    assert not [p for p in phones if p in words or p in cells]
    assert not re.search(r"\d{7,}", words)


@pytest.fixture
def citizens_as_actors(sample_file, tmp_path, monkeypatch):
    """A sample copy where, as in a real database, the citizen is the actor of 评价 and 重办;
    and one open ticket of it with a 重办 event: (town name, cell code, ticket id, name)."""
    import shutil

    from data_access import db

    copy = tmp_path / "citizens.db"
    shutil.copy(db.sqlite_path(sample_file), copy)
    engine = create_engine(db.sample_url(copy))
    with engine.begin() as conn:
        conn.execute(text(
            "update ticket_events set actor = (select reporter_name from tickets t"
            " where t.id = ticket_events.ticket_id) where stage in ('evaluated', 'reopened')"))
        town, cell, ticket, name = conn.execute(text(
            "select w.name, t.grid_cell_code, t.id, t.reporter_name from tickets t"
            " join towns w on w.code = t.town_code where t.reporter_name is not null"
            " and t.grid_cell_code is not null and exists (select 1 from ticket_events e"
            " where e.ticket_id = t.id and e.stage = 'reopened') and not exists (select 1"
            " from ticket_events e where e.ticket_id = t.id and e.stage = 'resolved' and"
            " e.at > (select max(r.at) from ticket_events r where r.ticket_id = t.id"
            " and r.stage = 'reopened')) order by t.id")).first()
    engine.dispose()
    monkeypatch.setenv(db.ENV_VAR, db.sample_url(copy))
    monkeypatch.setattr(db, "SAMPLE_DB", copy)
    return town, cell, ticket, name


@pytest.mark.parametrize("query", [{"share": "1"}, {}], ids=["share", "default"])
def test_a_ticket_history_never_shows_the_citizen_who_evaluated_or_reopened(citizens_as_actors,
                                                                          query):
    town, cell, ticket, name = citizens_as_actors
    at = page("pages/1_map.py", town=town, cell=cell, ticket=ticket, **query).run()
    assert not at.exception
    histories = [d.value for d in at.dataframe if "actor" in d.value.columns]
    assert histories, "the ticket's history is on the page"
    actors = set(histories[0]["actor"])
    assert name not in actors and name[0] + "*" * (len(name) - 1) in actors
