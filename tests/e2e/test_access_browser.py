"""Who sees what, in a real browser on a PostgreSQL deployment database: before login every
page (deep links included) shows a password field and no figure; a town official, logged
in, receives nothing of another town on any page (tables, charts and the map all reach the
browser through the websocket, which the test reads) and downloads only the town's rows."""

import csv
import io
import re

import pytest

from components import auth
from data_access import db
from data_access.db import writable_engine
from tests.conftest import _PgSchema
from tests.e2e import gateway as gateway_proxy
from tests.e2e.conftest import Visit, _free_port, running_server

TOWN, TOWN_NAME = "330203009000", "石碶街道"
PASSWORD = "shiqi-browser-pass"
DEEP_LINKS = ["/", "/map", "/tickets", "/visits", "/programmes", "/wall", "/meeting",
              "/data_quality", "/tickets?town=南门街道&show=open", "/map?town=南门街道&cell=330203001-001",
              "/?wall=1", "/tickets?share=1"]
PAGES = ["/", "/map", "/tickets", "/visits", "/programmes", "/meeting", "/wall"]
# Text that names a town in the page's own words, not in its data: a placeholder, and the
# warning that quotes the URL's own (refused) town back.
STATIC_MENTIONS = ["例如：停车、区住建局、章水镇", "“南门街道”不存在或不在本账号范围内"]


@pytest.fixture(scope="module")
def deployment(sample_rows, tmp_path_factory):
    """A server on a fresh PostgreSQL schema holding the sample, with a users file."""
    schema = _PgSchema()
    writer = writable_engine(schema.url)
    sample_rows.write(writer)
    writer.dispose()
    folder = tmp_path_factory.mktemp("deployment")
    users = folder / "users.toml"
    users.write_text(
        "max_failures = 50\n"
        f'[users.shiqi]\nrole = "town"\ntown = "{TOWN_NAME}"\n'
        f'password_hash = "{auth.hash_password(PASSWORD)}"\n'
        f'[users.chief]\nrole = "district"\npassword_hash = "{auth.hash_password(PASSWORD)}"\n',
        encoding="utf-8")
    env = {"COCKPIT_SAMPLE_DB": None, db.ENV_VAR: schema.url, auth.ENV_USERS_FILE: str(users)}
    try:
        with running_server(folder / "streamlit.log", env) as base:
            with writable_engine(schema.url).connect() as conn:
                from sqlalchemy import text
                others = conn.execute(text("select code, name from towns where code <> :c"),
                                      {"c": TOWN}).all()
            yield base, others
    finally:
        schema.drop()


FIGURES = ("[data-testid=stMetric], [data-testid=stDataFrame], [data-testid=stVegaLiteChart],"
           " [data-testid=stDeckGlJsonChart], [data-testid=stTable], canvas")


@pytest.mark.parametrize("link", DEEP_LINKS)
def test_every_page_shows_a_password_field_and_no_figure_before_login(browser, deployment, link):
    base, _ = deployment
    visit = Visit(browser, base + link, 1600, 1000)
    try:
        visit.settle("input[type=password]")
        assert visit.page.locator("input[type=password]").count() == 1
        assert visit.page.locator(FIGURES).count() == 0
        assert not visit.errors_on_page() and not visit.problems
        if link == "/":
            visit.screenshot("access_login")
    finally:
        visit.close()


class Listening(Visit):
    """A visit that keeps every websocket frame the server sends."""

    def __init__(self, browser, url, width, height):
        self.frames: list[bytes] = []
        self._url = url
        super().__init__(browser, "about:blank", width, height)
        self.page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda payload: self.frames.append(
                payload if isinstance(payload, bytes) else payload.encode())))
        self.page.goto(url)

    def log_in(self, name: str, password: str) -> None:
        self.settle("input[type=password]")
        self.page.get_by_label("用户名").fill(name)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_selector("input[type=password]", state="detached", timeout=45_000)
        self.settle("[data-testid=stMain]")
        self.page.wait_for_timeout(3000)  # charts and the map arrive after the frame

    def received(self) -> str:
        text = b"".join(self.frames).decode("utf-8", errors="ignore")
        for mention in STATIC_MENTIONS:
            text = text.replace(mention, "")
        return text


@pytest.mark.parametrize("link", PAGES)
def test_a_town_official_receives_nothing_of_another_town_on_any_page(browser, deployment,
                                                                      link):
    base, others = deployment
    visit = Listening(browser, base + link + "?town=南门街道", 1600, 1000)
    try:
        visit.log_in("shiqi", PASSWORD)
        assert not visit.errors_on_page() and not visit.problems
        got = visit.received()
        assert TOWN_NAME in got  # the page did show its town
        seen = [name for code, name in others if name in got]
        codes = [code for code, _ in others if code[:9] in got]
        assert not seen and not codes, (seen, codes)
        visit.screenshot(f"access_town{link.replace('/', '_') or '_home'}")
    finally:
        visit.close()


def test_the_same_reading_sees_every_town_for_a_district_account(browser, deployment):
    base, others = deployment
    visit = Listening(browser, base + "/map", 1600, 1000)
    try:
        visit.log_in("chief", PASSWORD)
        got = visit.received()
        assert len([name for _, name in others if name in got]) == len(others)
    finally:
        visit.close()


def test_the_town_officials_downloads_hold_only_the_towns_rows(browser, deployment):
    base, others = deployment
    visit = Listening(browser, base + "/tickets?show=all", 1600, 1000)
    try:
        visit.log_in("shiqi", PASSWORD)
        for button in ("下载 CSV", "下载 Excel"):
            with visit.page.expect_download(timeout=45_000) as download:
                visit.page.get_by_role("button", name=button).first.click()
            data = open(download.value.path(), "rb").read()
            if button == "下载 CSV":
                text = data.decode("utf-8-sig")
                body = text.split("\n\n", 1)[-1] if text.startswith("#") else text
                rows = list(csv.DictReader(io.StringIO(body, newline="")))
                assert rows and {r["镇(乡)街道"] for r in rows} == {TOWN_NAME}
                assert not [n for _, n in others if n in text]
                assert not re.search(r"1[3-9]\d{9}", text)  # no whole mobile number
            else:
                import openpyxl
                book = openpyxl.load_workbook(io.BytesIO(data))
                values = {str(c.value) for ws in book.worksheets for row in ws.iter_rows()
                          for c in row if c.value is not None}
                assert TOWN_NAME in values
                assert not [n for _, n in others if any(n in v for v in values)]
    finally:
        visit.close()


@pytest.fixture(scope="module")
def gateway(sample_file, tmp_path_factory):
    """A server whose users come from a trusted gateway's header (method "proxy")."""
    folder = tmp_path_factory.mktemp("gateway")
    users = folder / "users.toml"
    users.write_text('method = "proxy"\nproxy_header = "X-Remote-User"\n'
                     'trusted_proxies = ["127.0.0.1"]\n'
                     f'[users.shiqi]\nrole = "town"\ntown = "{TOWN_NAME}"\n', encoding="utf-8")
    env = {"COCKPIT_SAMPLE_DB": None, db.ENV_VAR: sample_file, auth.ENV_USERS_FILE: str(users)}
    with running_server(folder / "streamlit.log", env) as base:
        proxy_port = _free_port()
        stop = gateway_proxy.start(base, proxy_port, "X-Remote-User", "shiqi")
        try:
            yield base, f"http://127.0.0.1:{proxy_port}"
        finally:
            stop()


def test_a_trusted_gateways_user_header_logs_in_and_without_it_nothing_shows(browser, gateway):
    direct, through_gateway = gateway
    visit = Visit(browser, through_gateway + "/tickets?town=南门街道", 1600, 1000)
    try:
        visit.settle("[data-testid=stAlertContentWarning]")  # the frame knows the user
        assert visit.page.locator("input[type=password]").count() == 0
        note = visit.page.locator("[data-testid=stAlertContentWarning]").first.inner_text()
        assert "不在本账号范围内" in note and f"已显示{TOWN_NAME}" in note  # the gateway's user
        visit.screenshot("access_gateway")
    finally:
        visit.close()
    visit = Visit(browser, direct + "/tickets", 1600, 1000)  # around the gateway
    try:
        visit.settle("[data-testid=stAlertContentError]")
        assert "统一身份认证" in visit.errors_on_page()[0]
        assert visit.page.locator(FIGURES).count() == 0
    finally:
        visit.close()


@pytest.mark.parametrize("value", ["[点此登录](http://evil.example/login)",
                                   "![x](http://evil.example/x.png)",
                                   "<img src=http://evil.example/y.png>"])
def test_markdown_and_html_in_the_url_are_shown_as_text(browser, server, value):
    visit = Visit(browser, f"{server}/?town={value}", 1600, 1000)
    try:
        visit.settle("[data-testid=stAlertContentWarning]")
        warning = visit.page.locator("[data-testid=stAlertContentWarning]").first
        assert value in warning.inner_text().replace("\u200b", "")  # shown as typed
        outward = visit.page.locator("a[href*='//evil.example'], img[src*='//evil.example']")
        assert [outward.nth(i).evaluate("e => e.href || e.src") for i in range(outward.count())
                if "//evil.example" in (outward.nth(i).evaluate("e => e.href || e.src")
                                        .split("?")[0])] == []  # links to our own pages
        # may carry the value in their query; none leads to, or loads from, the outside
        assert not visit.outside  # no image fetched from outside
        assert visit.page.locator(".cockpit-sample-mark").inner_text() == auth.SAMPLE_MARK
        if value.startswith("["):
            visit.screenshot("access_markdown_in_url")
    finally:
        visit.close()
