"""The login's rules without a browser: lockouts per user and per client that end, sessions
that end after idle and absolute limits (the wall's own), settings that are checked."""

import pytest

from components import auth

SETTINGS = auth.Settings(max_failures=3, lockout_minutes=15, idle_minutes=30, session_hours=12,
                         wall_session_hours=720)


def test_a_user_is_locked_out_after_the_failures_and_let_in_after_the_lockout():
    attempts = auth.Attempts()
    keys = ["user:li", "client:10.0.0.1"]
    for second in range(3):
        assert attempts.locked_for(keys, SETTINGS, now=1000 + second) == 0
        attempts.failed(keys, now=1000 + second)
    assert attempts.locked_for(keys, SETTINGS, now=1010) == pytest.approx(15 * 60 - 10)
    assert attempts.locked_for(keys, SETTINGS, now=1000 + 15 * 60 + 3) == 0


def test_one_client_trying_many_names_is_locked_out_too():
    attempts = auth.Attempts()
    for n in range(3):
        attempts.failed([f"user:name{n}", "client:10.0.0.9"], now=1000)
    assert attempts.locked_for(["user:someone", "client:10.0.0.9"], SETTINGS, now=1001) > 0
    assert attempts.locked_for(["user:someone", "client:10.0.0.8"], SETTINGS, now=1001) == 0


@pytest.mark.parametrize("role, since, seen, over", [
    ("district", 0, 0, False),
    ("district", 0, -31 * 60, True),  # idle
    ("district", -13 * 3600, 0, True),  # absolute
    ("wall", -13 * 3600, -5 * 3600, False),  # a wall screen does not idle out
    ("wall", -721 * 3600, 0, True),
])
def test_sessions_end_after_the_idle_and_absolute_limits(role, since, seen, over):
    state = {"user": auth.User("x", role), "since": 10**6 + since, "seen": 10**6 + seen}
    assert auth.session_expired(state, SETTINGS, 10**6) is over


def test_unknown_roles_and_methods_are_refused(tmp_path):
    users = tmp_path / "users.toml"
    users.write_text('[users.li]\nrole = "boss"\npassword_hash = "x"\n', encoding="utf-8")
    with pytest.raises(auth.ConfigError, match="角色"):
        auth.load_settings({auth.ENV_USERS_FILE: str(users)})
    users.write_text('method = "magic"\n', encoding="utf-8")
    with pytest.raises(auth.ConfigError, match="登录方式"):
        auth.load_settings({auth.ENV_USERS_FILE: str(users)})


def test_the_sample_accounts_are_hashes_of_the_readme_passwords():
    for name, entry in auth.SAMPLE_USERS.items():
        assert entry["password_hash"].startswith("$argon2id$")
        assert auth.password_ok(entry["password_hash"], f"haishu-{name}" if name != "shiqi"
                                else "haishu-shiqi")
    assert not auth.password_ok(None, "")


def test_an_oidc_identity_is_matched_to_a_configured_user_by_email():
    settings = auth.Settings(method="oidc", users={
        "li": {"role": "district", "email": "Li@Haishu.gov.cn"},
        "wang": {"role": "viewer"}})
    assert auth.user_by_email(settings, "li@haishu.gov.cn ") == "li"
    assert auth.user_by_email(settings, "someone@else.cn") is None
    assert auth.user_by_email(settings, "") is None  # wang has no e-mail: never matched
