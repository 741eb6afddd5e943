"""`python -m data_access.admin add-user`: prints a user's entry with an argon2 hash, which
the login accepts; touches no database; refuses bad names, roles and short passwords."""

import io
import tomllib

import pytest

from components import auth
from data_access import admin


def add_user(monkeypatch, capsys, *args, password="a-long-password"):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    monkeypatch.setenv("COCKPIT_DATABASE_URL", "nonsense://not a database")  # never opened
    code = admin.main(["add-user", *args, "--password-stdin"])
    return code, capsys.readouterr()


def test_the_printed_entry_is_a_hash_the_login_accepts(monkeypatch, capsys, tmp_path):
    code, out = add_user(monkeypatch, capsys, "zhang.san", "--role", "town", "--town", "石碶街道")
    assert code == 0 and "a-long-password" not in out.out + out.err
    users = tmp_path / "users.toml"
    users.write_text(out.out.replace("[cockpit_auth.users.", "[users."), encoding="utf-8")
    settings = auth.load_settings({auth.ENV_USERS_FILE: str(users)})
    entry = settings.users["zhang.san"]
    assert entry["role"] == "town" and entry["town"] == "石碶街道"
    assert entry["password_hash"].startswith("$argon2id$")
    assert auth.password_ok(entry["password_hash"], "a-long-password")
    assert not auth.password_ok(entry["password_hash"], "a-long-passwore")


def test_the_entry_pastes_into_secrets_toml(monkeypatch, capsys):
    code, out = add_user(monkeypatch, capsys, "li", "--role", "viewer")
    assert code == 0
    assert tomllib.loads(out.out)["cockpit_auth"]["users"]["li"]["role"] == "viewer"


@pytest.mark.parametrize("args, password", [
    (["bad name", "--role", "viewer"], "a-long-password"),
    (["li", "--role", "town"], "a-long-password"),  # a town account needs its town
    (["li", "--role", "viewer", "--town", "石碶街道"], "a-long-password"),
    (["li", "--role", "viewer"], "short"),
])
def test_bad_entries_are_refused(monkeypatch, capsys, args, password):
    code, out = add_user(monkeypatch, capsys, *args, password=password)
    assert code == 2 and "password_hash" not in out.out


def test_the_command_knows_the_roles_of_the_login():
    assert set(admin.USER_ROLES) == set(auth.ROLES)


def test_plain_text_passwords_in_the_configuration_are_refused(tmp_path):
    users = tmp_path / "users.toml"
    users.write_text('[users.li]\nrole = "viewer"\npassword = "secret"\n', encoding="utf-8")
    with pytest.raises(auth.ConfigError, match="明文密码"):
        auth.load_settings({auth.ENV_USERS_FILE: str(users)})


def test_a_wall_account_gets_a_key_shown_once_and_only_walls_may(monkeypatch, capsys):
    code, out = add_user(monkeypatch, capsys, "wall1", "--role", "wall", "--wall-key")
    assert code == 0
    key = out.err.split("/wall?key=")[1].split("（")[0]
    entry = tomllib.loads(out.out)["cockpit_auth"]["users"]["wall1"]
    assert key not in out.out and auth.password_ok(entry["key_hash"], key)
    code, out = add_user(monkeypatch, capsys, "li", "--role", "viewer", "--wall-key")
    assert code == 2 and "大屏账号" in out.err
