"""The engine the cockpit reads through: URL from configuration, read-only, checked.

Order of configuration: the environment variable COCKPIT_DATABASE_URL, then
`.streamlit/secrets.toml` ([connections.cockpit] url = "..."), else the SQLite sample
database in sample_data/. The cockpit never writes to the database it reads: SQLite is
opened with mode=ro, PostgreSQL sessions are read-only.
"""

import os
import tomllib
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from data_access.schema import ALL_TABLES, SCHEMA_VERSION, meta

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DB = ROOT / "sample_data" / "cockpit.db"
SECRETS = ROOT / ".streamlit" / "secrets.toml"
ENV_VAR = "COCKPIT_DATABASE_URL"


class CockpitDatabaseError(RuntimeError):
    """The configured database cannot serve the cockpit; the message says why, in Chinese."""


def configured_url(environ=None, secrets_path: Path | None = None) -> str:
    """The database URL the configuration names (see the module docstring for the order)."""
    environ = os.environ if environ is None else environ
    secrets_path = secrets_path or SECRETS
    if environ.get(ENV_VAR):
        return environ[ENV_VAR]
    if secrets_path.exists():
        try:
            secrets = tomllib.loads(secrets_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CockpitDatabaseError(f"配置文件 {secrets_path} 无法解析: {exc}") from exc
        url = secrets.get("connections", {}).get("cockpit", {}).get("url")
        if url:
            return url
    return sample_url()


def sample_url(path: Path | None = None) -> str:
    """The SQLite URL of `path`, by default the sample database."""
    return f"sqlite:///{path or SAMPLE_DB}"


def is_default_sample(url: str) -> bool:
    return url == sample_url()


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def read_only_engine(url: str) -> Engine:
    """An engine that can only read: the cockpit's only way into the shared database."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is None or not path.exists():
            raise CockpitDatabaseError(f"找不到数据库文件: {path}")
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # keep options the URL brings (e.g. a search_path), add read-only sessions
        options = f"{parsed.query.get('options', '')} -c default_transaction_read_only=on"
        return create_engine(
            parsed.difference_update_query(["options"]),
            pool_pre_ping=True,
            connect_args={"options": options.strip(), "connect_timeout": 5},
        )
    raise CockpitDatabaseError(f"不支持的数据库类型: {backend}（支持 sqlite 与 postgresql）")


def writable_engine(url: str) -> Engine:
    """An engine that may write: for the admin tool and the sample builder only."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed)


def check_database(engine: Engine) -> None:
    """Raise CockpitDatabaseError unless `engine` reaches a cockpit database of our version."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            missing = sorted(t.name for t in ALL_TABLES if t.name not in present)
            if missing:
                raise CockpitDatabaseError(
                    f"{where} 不是驾驶舱数据库: 缺少数据表 {', '.join(missing)}。"
                    "请用 `python -m data_access.admin create-schema` 建表或检查数据库地址。"
                )
            version = conn.execute(
                select(meta.c.value).where(meta.c.key == "schema_version")
            ).scalar()
    except CockpitDatabaseError:
        raise
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise CockpitDatabaseError(f"无法连接数据库 {where}: {reason}") from exc
    if version != str(SCHEMA_VERSION):
        raise CockpitDatabaseError(
            f"{where} 的数据结构版本为 {version}，驾驶舱需要版本 {SCHEMA_VERSION}。"
            "请运行 `python -m data_access.admin upgrade`。"
        )
