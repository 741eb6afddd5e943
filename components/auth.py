"""Who sees what: the login, the user's role and town scope, masked modes, screen sharing.

On a deployment database (any configured one) every page shows only a login until the user
is known; on the built-in sample database the cockpit opens without one (it is fictional)
and the login can be tried with the sample accounts below (`?login=1`).

Users come from configuration, never from the shared database: the TOML file named by
COCKPIT_USERS_FILE, else `.streamlit/secrets.toml`'s `[cockpit_auth]` table. Both read:

    method = "password"          # or "proxy" (a gateway that authenticates) or "oidc"
    idle_minutes = 30            # a session ends after this long without a page run
    session_hours = 12           # and this long after the login, whatever happens
    wall_session_hours = 720     # a wall screen's session (it has no one to log in again)
    max_failures = 5             # failed logins per user or per client before a lockout
    lockout_minutes = 15
    proxy_header = "X-Remote-User"      # method "proxy": the user name the gateway sets
    trusted_proxies = ["127.0.0.1"]     # method "proxy": the only peers believed
    [users.zhang_san]            # in secrets.toml: [cockpit_auth.users.zhang_san]
    role = "town"                # district | town | viewer | wall
    town = "石碶街道"             # role "town" only: the one town (name or code)
    password_hash = "$argon2id$..."     # `python -m data_access.admin add-user` prints it
    email = "zhangsan@example.gov.cn"   # method "oidc": the identity's e-mail

Roles: district (区领导 and district staff: the whole district), town (one town: every
query takes it as the Filters' scope), viewer (the whole district, masked), wall (the wall
screen only). Masked modes: the viewer role, and the screen-share switch (`?share=1` or
the 投屏 toggle) for everyone. Citizens' names and phone numbers are masked in every mode;
outside masked modes district and town staff may reveal them in the ticket list, and each
reveal is logged.
"""

import logging
import os
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from data_access import db

log = logging.getLogger("cockpit.auth")

ENV_USERS_FILE = "COCKPIT_USERS_FILE"
SECRETS_TABLE = "cockpit_auth"
ROLES = {"district": "区级（全区）", "town": "镇街（本镇街）", "viewer": "只读（脱敏）",
         "wall": "大屏"}
METHODS = ("password", "proxy", "oidc")
WALL_SCRIPT = "pages/5_wall.py"
DISTRICT_ONLY = {"pages/7_data_quality.py"}  # lists rows of every town by key
STATE = "_cockpit_user"
SAMPLE_MARK = "示例数据"

# The sample database's accounts (fictional data; never valid on a deployment database).
# Passwords, listed in the README: haishu-district, haishu-shiqi, haishu-viewer, haishu-wall.
SAMPLE_USERS = {
    "district": {"role": "district", "password_hash":
                 "$argon2id$v=19$m=65536,t=3,p=4$uPkisr4fOQkCpVZUn+tywQ$"
                 "mkxGifzHDicdZJZkXyfmO2iyX2mLX4hRBpqLlIJiwZE"},
    "shiqi": {"role": "town", "town": "石碶街道", "password_hash":
              "$argon2id$v=19$m=65536,t=3,p=4$zcsC8vLQI1HvU3g+UHfbVA$"
              "fpdd1beVxnM9RJgiOu1SrpjOnkEyfULIDulsWgGQQDY"},
    "viewer": {"role": "viewer", "password_hash":
               "$argon2id$v=19$m=65536,t=3,p=4$I0yIwlmMEEc9vcz3aPmhLg$"
               "mYlGLpyz4Jqb9kTpaICJ9/y0p4MUFaQO54wBGcu67Bo"},
    "wall": {"role": "wall", "password_hash":
             "$argon2id$v=19$m=65536,t=3,p=4$cSoMkGQO19nBNgd3DtPfzA$"
             "DlSjCRxahLXCZ0f70H8WoFb/MJOSDwkCwprSjQ15v88"},
}
_hasher = PasswordHasher()
# A hash of nothing anyone types, verified for unknown users so that their answer takes as
# long as a known user's (no user-name probing by timing).
_NOBODY = _hasher.hash(os.urandom(16).hex())


class ConfigError(ValueError):
    """The users configuration cannot be used; the message says why, in Chinese."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    town: str | None = None  # role "town": the town's name or code as configured
    sample: bool = False  # the sample database's visitor (no login)

    @property
    def masked(self) -> bool:
        return self.role == "viewer"


@dataclass(frozen=True)
class Settings:
    method: str = "password"
    idle_minutes: float = 30
    session_hours: float = 12
    wall_session_hours: float = 720
    max_failures: int = 5
    lockout_minutes: float = 15
    proxy_header: str = "X-Remote-User"
    trusted_proxies: tuple[str, ...] = ("127.0.0.1",)
    users: dict = field(default_factory=dict)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_ok(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _NOBODY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _check_user(name: str, entry: dict) -> dict:
    role = entry.get("role")
    if role not in ROLES:
        raise ConfigError(f"用户 {name} 的角色 {role!r} 无效（可选: {', '.join(ROLES)}）")
    if role == "town" and not entry.get("town"):
        raise ConfigError(f"用户 {name} 的角色为镇街，但未指定 town")
    if "password" in entry or "key" in entry:
        raise ConfigError(f"用户 {name} 的配置含明文密码或密钥：只允许 password_hash、key_hash")
    if "key_hash" in entry and role != "wall":
        raise ConfigError(f"用户 {name} 不是大屏账号：只有大屏账号可用 key_hash 免登录")
    return entry


def load_settings(environ=None, secrets_path: Path | None = None) -> Settings:
    """The login settings and users (see the module docstring for where they are read)."""
    environ = os.environ if environ is None else environ
    path = Path(environ[ENV_USERS_FILE]) if environ.get(ENV_USERS_FILE) else None
    table = {}
    try:
        if path is not None:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            secrets_path = secrets_path or db.SECRETS
            if secrets_path.exists():
                table = tomllib.loads(secrets_path.read_text(encoding="utf-8")).get(
                    SECRETS_TABLE, {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"用户配置无法读取: {exc}") from exc
    users = {name: _check_user(name, dict(entry))
             for name, entry in table.get("users", {}).items()}
    known = {k: table[k] for k in Settings.__dataclass_fields__ if k in table and k != "users"}
    if "trusted_proxies" in known:
        known["trusted_proxies"] = tuple(known["trusted_proxies"])
    settings = Settings(**known, users=users)
    if settings.method not in METHODS:
        raise ConfigError(f"登录方式 {settings.method!r} 无效（可选: {', '.join(METHODS)}）")
    return settings


def user_from(name: str, entry: dict, sample: bool = False) -> User:
    return User(name=name, role=entry["role"], town=entry.get("town"), sample=sample)


class Attempts:
    """Failed logins per user name and per client, process-wide: after `max_failures`
    within the lockout time, that user (or client) is locked out for the lockout time."""

    def __init__(self):
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}

    def _recent(self, key: str, now: float, window: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < window]
        self._failures[key] = kept
        return kept

    def locked_for(self, keys, settings: Settings, now: float | None = None) -> float:
        """Seconds until every key may try again (0: not locked)."""
        now = time.time() if now is None else now
        window = settings.lockout_minutes * 60
        with self._lock:
            waits = [window - (now - recent[-settings.max_failures])
                     for recent in (self._recent(k, now, window) for k in keys)
                     if len(recent) >= settings.max_failures]
        return max(waits, default=0.0)

    def failed(self, keys, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, []).append(now)

    def succeeded(self, keys) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


ATTEMPTS = Attempts()


def session_expired(state: dict, settings: Settings, now: float) -> bool:
    """Whether a session started at state['since'] and last seen at state['seen'] is over."""
    hours = settings.wall_session_hours if state["user"].role == "wall" else settings.session_hours
    if now - state["since"] > hours * 3600:
        return True
    return state["user"].role != "wall" and now - state["seen"] > settings.idle_minutes * 60


# --- in the page ---------------------------------------------------------------------------

def _peer() -> str:
    """The address the connection comes from (Streamlit says None for the loopback)."""
    return st.context.ip_address or "127.0.0.1"


def _client(settings: Settings) -> str:
    """The client's address; behind a trusted proxy, the first X-Forwarded-For address."""
    peer = _peer()
    forwarded = st.context.headers.get("X-Forwarded-For")
    if peer in settings.trusted_proxies and forwarded:
        return forwarded.split(",")[0].strip()
    return peer


def _start(user: User) -> User:
    now = time.time()
    st.session_state[STATE] = {"user": user, "since": now, "seen": now}
    return user


def _password_form(users: dict, settings: Settings, sample: bool) -> None:
    """The login form; a correct answer starts the session and reruns the page."""
    st.markdown("### 海曙区“三服务”领导驾驶舱 · 登录")
    if sample:
        st.info(f"{SAMPLE_MARK}：可用 README 所列的示例账号试用登录与角色。", icon=":material/info:")
    with st.form("login", enter_to_submit=True):
        name = st.text_input("用户名", max_chars=64).strip()
        password = st.text_input("密码", type="password", max_chars=256)
        submitted = st.form_submit_button("登录", type="primary")
    if not submitted:
        return
    client = _client(settings)
    keys = [f"user:{name}", f"client:{client}"]
    wait = ATTEMPTS.locked_for(keys, settings)
    if wait > 0:
        log.warning("login refused (locked out): user=%r client=%s", name, client)
        st.error(f"尝试次数过多，请 {int(wait // 60) + 1} 分钟后再试。")
        return
    entry = users.get(name)
    if password_ok(entry.get("password_hash") if entry else None, password):
        ATTEMPTS.succeeded([f"user:{name}"])
        log.info("login: user=%r role=%s client=%s", name, entry["role"], client)
        _start(user_from(name, entry, sample))
        st.rerun()
    ATTEMPTS.failed(keys)
    log.warning("login failed: user=%r client=%s", name, client)
    st.error("用户名或密码不正确。")


def _from_wall_key(settings: Settings, script: str) -> User | None:
    """A wall PC opens its configured URL with ?key=…: the wall account whose key_hash it
    matches, for the wall page only, so a reboot restores the wall without anyone typing a
    password. The key leaves the address bar once used; failures count like passwords."""
    key = st.query_params.get("key")
    if not key or (script != WALL_SCRIPT and st.query_params.get("wall") != "1"):
        return None
    client = _client(settings)
    keys = [f"client:{client}"]
    if ATTEMPTS.locked_for(keys, settings) > 0:
        log.warning("wall key refused (locked out): client=%s", client)
        return None
    for name, entry in settings.users.items():
        if entry["role"] == "wall" and password_ok(entry.get("key_hash"), key):
            del st.query_params["key"]
            log.info("wall key: user=%r client=%s", name, client)
            return _start(user_from(name, entry))
    ATTEMPTS.failed(keys)
    log.warning("wall key failed: client=%s", client)
    return None


def _from_proxy(settings: Settings) -> User | None:
    """The user the trusted gateway names in its header (and the users file knows)."""
    name = st.context.headers.get(settings.proxy_header)
    peer = _peer()
    if not name:
        return None
    if peer not in settings.trusted_proxies:
        log.warning("ignored %s header from untrusted peer %s", settings.proxy_header, peer)
        return None
    entry = settings.users.get(name)
    if entry is None:
        log.warning("gateway user %r is not in the users configuration", name)
        return None
    return _start(user_from(name, entry))


def user_by_email(settings: Settings, email: str) -> str | None:
    """The configured user whose `email` is the identity's (case-insensitive), or None."""
    email = email.strip().lower()
    return next((name for name, entry in settings.users.items()
                 if email and str(entry.get("email", "")).strip().lower() == email), None)


def _from_oidc(settings: Settings) -> User | None:
    """The user signed in through st.login, matched to the users configuration by e-mail."""
    if not st.user.is_logged_in:
        st.button("通过统一身份认证登录", on_click=st.login, type="primary")
        return None
    email = st.user.get("email") or ""
    match = user_by_email(settings, email)
    if match is None:
        log.warning("oidc identity %r is not in the users configuration", email)
        st.error("该身份未被授权使用驾驶舱，请联系管理员。")
        st.button("退出", on_click=st.logout)
        return None
    return _start(user_from(match, settings.users[match]))


def current_user(script: str) -> User:
    """The user of this session, or the login in place of the page (st.stop). Call once per
    page run, before anything of the page is drawn."""
    sample = db.is_default_sample(db.configured_url())
    try:
        settings = load_settings()
    except ConfigError as exc:
        st.error(f"登录配置有误，驾驶舱暂不可用：{exc}")
        st.stop()
    state = st.session_state.get(STATE)
    now = time.time()
    if state and session_expired(state, settings, now):
        log.info("session expired: user=%r", state["user"].name)
        del st.session_state[STATE]
        state = None
        st.warning("登录已过期，请重新登录。", icon=":material/timer_off:")
    if state and state["user"].sample != sample:  # the database changed under the session
        del st.session_state[STATE]
        state = None
    if state:
        state["seen"] = now
        return _admit(state["user"], script)
    if sample and st.query_params.get("login") != "1":
        return User(name="示例访客", role="district", sample=True)
    user = None if sample else _from_wall_key(settings, script)
    if user is not None:
        pass
    elif not sample and settings.method == "proxy":
        user = _from_proxy(settings)
        if user is None:
            st.error("请通过单位统一身份认证入口访问驾驶舱（未收到已认证的用户）。",
                     icon=":material/lock:")
    elif not sample and settings.method == "oidc":
        user = _from_oidc(settings)
    else:
        _password_form(SAMPLE_USERS if sample else settings.users, settings, sample)
    if user is None:
        st.stop()
    return _admit(user, script)


def _admit(user: User, script: str) -> User:
    """The user, if this page is theirs; otherwise a refusal in place of the page."""
    to_the_wall = st.query_params.get("wall") == "1"  # the frame switches to the wall page
    if user.role == "wall" and script != WALL_SCRIPT and not to_the_wall:
        st.error("此账号仅可查看大屏。", icon=":material/block:")
        st.page_link(WALL_SCRIPT, label="打开大屏", icon=":material/tv:")
        st.stop()
    if script in DISTRICT_ONLY and user.role != "district":
        st.error("此页面仅限区级账号查看。", icon=":material/block:")
        st.stop()
    return user


def logout() -> None:
    user = st.session_state.pop(STATE, {}).get("user")
    if user is not None:
        log.info("logout: user=%r", user.name)
    st.query_params.pop("login", None)


def sharing() -> bool:
    """Whether the screen-share switch is on (?share=1)."""
    return st.query_params.get("share") == "1"


def masked(user: User) -> bool:
    """Masked modes: the viewer role, or the screen being shared."""
    return user.masked or sharing()


def may_reveal(user: User) -> bool:
    """Whether this user may reveal citizens' names and numbers (never in masked modes)."""
    return user.role in ("district", "town") and not masked(user) and not user.sample


def current() -> User | None:
    """The logged-in user of this session (None: the sample visitor or not logged in)."""
    state = st.session_state.get(STATE)
    return state["user"] if state else None
