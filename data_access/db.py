"""The engine the cockpit reads through: URL from configuration, read-only, checked.

Order of configuration: the environment variable COCKPIT_DATABASE_URL, then
`.streamlit/secrets.toml` ([connections.cockpit] url = "..."), else the SQLite sample
database in sample_data/. The cockpit never writes to the database it reads: SQLite is
opened with mode=ro, PostgreSQL sessions are read-only.
"""

import os
import re
import sqlite3
import tomllib
from contextlib import closing
from pathlib import Path
from urllib.parse import quote
from weakref import WeakKeyDictionary

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    Numeric,
    String,
    create_engine,
    delete,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from data_access import schema

ROOT = Path(__file__).resolve().parent.parent
# The built-in sample (fictional: the cockpit opens on it without a login). Tests and the
# browser fixtures name their own copy in COCKPIT_SAMPLE_DB.
DEFAULT_SAMPLE_DB = ROOT / "sample_data" / "cockpit.db"
SAMPLE_DB = Path(os.environ.get("COCKPIT_SAMPLE_DB") or DEFAULT_SAMPLE_DB)
# What the sample generator records in cockpit_meta: a file that carries it holds fictional data.
SAMPLE_MARK = ("origin", "sample")
SECRETS = ROOT / ".streamlit" / "secrets.toml"
ENV_VAR = "COCKPIT_DATABASE_URL"
CONNECT_TIMEOUT_SECONDS = 3  # an unreachable server is reported quickly, not after minutes
BUSY_TIMEOUT_SECONDS = 2  # SQLite: how long a reader waits for a writer's lock
STATEMENT_TIMEOUT_MS = 20_000  # PostgreSQL: no cockpit query may hold a page longer
RANDOM_PAGE_COST = 1.1  # PostgreSQL planner: see read_only_engine
SECRET_QUERY_KEYS = {"password", "passwd", "pwd", "sslpassword"}


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


def masked(url: str) -> str:
    """`url` with any password replaced by ***, also in a string that is not a valid URL."""
    url = re.sub(r"(://[^/@:?#]*:)[^/@?#]*@", r"\1***@", str(url))
    return re.sub(r"(?i)([?&](?:" + "|".join(SECRET_QUERY_KEYS) + r")=)[^&#]*", r"\1***", url)


def parse_url(url: str) -> URL:
    """The configured URL parsed and checked, or CockpitDatabaseError saying what is wrong
    (with the password masked): malformed, an unknown backend or driver, a password in the
    query string, a SQLite path with '?' that the URL cannot carry."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise CockpitDatabaseError(
            f"数据库地址格式不正确: {masked(url)}（应如 postgresql+psycopg://用户:密码@主机:5432/库名"
            " 或 sqlite:////绝对路径/cockpit.db）") from exc
    secret = SECRET_QUERY_KEYS & {k.lower() for k in parsed.query}
    if secret:
        raise CockpitDatabaseError(
            f"数据库地址的查询参数中含有密码（{masked(url)}）：地址会出现在日志与提示中，"
            "请把密码写在“用户:密码@”处，并把整个地址放在 .streamlit/secrets.toml 中。")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise CockpitDatabaseError(f"不支持的数据库类型: {backend}（支持 sqlite 与 postgresql）")
    if backend == "sqlite" and "?" in str(url):
        raise CockpitDatabaseError(
            f"SQLite 地址不能带“?”参数: {masked(url)}（驾驶舱总以只读方式打开；"
            "文件名中的 ? 请写作 %3F，# 请写作 %23）")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        parsed.get_dialect()
    except NoSuchModuleError as exc:
        raise CockpitDatabaseError(
            f"未知的数据库驱动: {parsed.drivername}（{masked(url)}；"
            "可用 postgresql+psycopg 或 sqlite）") from exc
    return parsed


def sample_url(path: Path | None = None) -> str:
    """The SQLite URL of `path`, by default the sample database."""
    return f"sqlite:///{path or SAMPLE_DB}"


def _meta_value(path: Path, key: str) -> str | None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT value FROM cockpit_meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def sample_version(path: Path) -> str | None:
    """The schema version recorded in a SQLite sample file, or None if it has none."""
    return _meta_value(path, "schema_version")


def is_default_sample(url: str) -> bool:
    """The cockpit's own sample database: the URL of SAMPLE_DB, and the file is missing (it
    will be built), is the default file, or was made by the sample generator. A real database
    named in COCKPIT_SAMPLE_DB by mistake stays a deployment: a login, and never rebuilt."""
    if url != sample_url():
        return False
    path = Path(SAMPLE_DB)
    return (not path.exists() or path.resolve() == DEFAULT_SAMPLE_DB.resolve()
            or _meta_value(path, SAMPLE_MARK[0]) == SAMPLE_MARK[1])


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def read_only_engine(url: str) -> Engine:
    """An engine that can only read: the cockpit's only way into the shared database.
    Connections give up after CONNECT_TIMEOUT_SECONDS; statements after their timeout."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is None or not path.exists():
            raise CockpitDatabaseError(f"找不到数据库文件: {path}")
        # the path goes into a file: URI quoted, so '#' and '%' in a name open that very file
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"

        def connect():
            return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS,
                                   check_same_thread=False)

        return create_engine(URL.create("sqlite", database=str(path)),
                             creator=connect).execution_options(**{READS_ONCE: True})
    # keep options the URL brings (e.g. a search_path), add read-only sessions and a timeout
    options = (f"{parsed.query.get('options', '')} -c default_transaction_read_only=on"
               f" -c statement_timeout={STATEMENT_TIMEOUT_MS}"
               " -c jit=off"  # JIT compiling the figures' CASE sums costs more than it saves
               # the tables sit in memory or on SSD: a row looked up by key costs about what a
               # row scanned does (the default 4 assumes disks, and then 20,000 tickets moved
               # since a past cut-off are found by scanning all 2,000,000 ticket states)
               f" -c random_page_cost={RANDOM_PAGE_COST}")
    return create_engine(
        parsed.difference_update_query(["options"]),
        pool_pre_ping=True,
        connect_args={"options": options.strip(), "connect_timeout": CONNECT_TIMEOUT_SECONDS},
    ).execution_options(**{READS_ONCE: True})


def writable_engine(url: str) -> Engine:
    """An engine that may write: for the admin tool and the sample builder only."""
    return create_engine(parse_url(url))


def sort_memory(conn, size: str) -> None:
    """PostgreSQL: let this transaction's sorts and hashes use `size` (e.g. "256MB") each, so
    that one that spans millions of rows stays in memory; SQLite: nothing to set."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{size}'")


def plan_as_readers(conn) -> None:
    """PostgreSQL: plan the rest of this transaction as the cockpit's read-only sessions do
    (JIT off, random_page_cost as theirs), for a writer that runs their queries (the kept
    corrections of the refresh); SQLite: nothing to set."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql(f"SET LOCAL random_page_cost = {RANDOM_PAGE_COST}")


# An execution option of read_only_engine's connections: what the database keeps about
# itself (cockpit_meta, the refresh's mark, the calendar) is read once per connection (once()).
READS_ONCE = "cockpit_reads_once"
_read_once: WeakKeyDictionary = WeakKeyDictionary()  # Connection → {name: value}


def once(conn: Connection, name: str, read):
    """`read(conn)`, read once per connection of read_only_engine (a page's call of
    data_access opens one): each part of a figure call asked cockpit_meta, the last event
    id, the table of changed tickets and the calendar again (总览's calls: 34 statements, 14
    now; about 0.5 ms each on PostgreSQL with SQLAlchemy's work), and the parts now see one
    state of them. A writer's connection, which changes them, reads anew each time."""
    if not conn.get_execution_options().get(READS_ONCE):
        return read(conn)
    known = _read_once.setdefault(conn, {})
    if name not in known:
        known[name] = read(conn)
    return known[name]


def meta_value(conn: Connection, key: str) -> str | None:
    """The value cockpit_meta holds under `key`, or None."""
    return once(conn, "cockpit_meta", _meta_values).get(key)


def _meta_values(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Hold `value` under `key` in cockpit_meta (the admin tool's writes only)."""
    conn.execute(delete(schema.meta).where(schema.meta.c.key == key))
    conn.execute(insert(schema.meta).values(key=key, value=value))


def leads_index(column: Column, conn: Connection | None = None) -> bool:
    """Whether an index of the column's table begins with it: one declared in schema.py, or
    (with `conn`) one the database has (a shared table may lack the cockpit's indexes)."""
    if conn is None:
        return any(list(index.columns)[0] is column for index in column.table.indexes)
    return any(index["column_names"][:1] == [column.name]
               for index in inspect(conn).get_indexes(column.table.name))


def distinct_values(column: Column):
    """CTE (value) of the column's distinct non-null values, each found by one probe of an
    index that begins with the column (a recursive "loose index scan"): its cost is the
    number of values, not of rows. Only where such an index exists (leads_index): without
    one each probe is a scan."""
    walk = select(func.min(column).label("value")).cte("walk", recursive=True)
    walk = walk.union_all(select(select(func.min(column)).where(column > walk.c.value)
                                 .scalar_subquery()).where(walk.c.value.is_not(None)))
    return select(walk.c.value).where(walk.c.value.is_not(None)).subquery("distinct_values")


def through_index(query, table, index: str, conn: Connection | None = None):
    """`query` reading `table` through `index` on SQLite (INDEXED BY): its planner, which
    cannot tell that a range of report times holds every row, would take that index and
    sort; PostgreSQL chooses by cost. With `conn`, only if the index is there: a shared
    table another system created may lack the cockpit's indexes (INDEXED BY a missing index
    is an error, not a slower plan)."""
    if conn is not None and (conn.dialect.name != "sqlite" or conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
            (index,)).first() is None):
        return query
    return query.with_hint(table, f"INDEXED BY {index}", "sqlite")


# SQLAlchemy renders a table hint where the dialect's compiler says how; SQLite's says
# nothing, so through_index's INDEXED BY follows the table's name as written.
SQLiteCompiler.get_from_hint_text = lambda self, table, text: text


def ping(engine: Engine) -> None:
    """A cheap check that the database answers now: raises CockpitDatabaseError or
    SQLAlchemyError. A SQLite file removed under a running cockpit counts as gone even
    though open connections could still read it."""
    if engine.dialect.name == "sqlite" and not Path(engine.url.database or "").exists():
        raise CockpitDatabaseError(f"找不到数据库文件: {engine.url.database}")
    with engine.connect() as conn:
        conn.execute(select(schema.meta.c.key).limit(1)).all()


# Broad families of column types: a live column may differ in detail (VARCHAR vs TEXT,
# REAL vs DOUBLE PRECISION) but not in what the queries and pandas make of it.
TYPE_FAMILIES = [(Boolean, "布尔"), (DateTime, "日期时间"), (Date, "日期"), (Integer, "整数"),
                 (Numeric, "数值"), (Float, "数值"), (String, "文本")]


def type_family(kind) -> str:
    return next((name for cls, name in TYPE_FAMILIES if isinstance(kind, cls)),
                f"其他（{kind!r}）")


def schema_differences(conn) -> list[str]:
    """What the live database lacks of schema.py: tables, columns, column type families.
    Read from schema.py at call time; columns the live database has beyond it are fine."""
    declared = [t for t in schema.metadata.sorted_tables]
    inspector = inspect(conn)
    present = set(inspector.get_table_names())
    found = []
    missing = sorted(t.name for t in declared if t.name not in present)
    if missing:
        found.append(f"缺少数据表 {', '.join(missing)}")
    tables = [t.name for t in declared if t.name in present]
    live = {name: {c["name"]: c["type"] for c in columns}
            for (_, name), columns in inspector.get_multi_columns(filter_names=tables).items()}
    for table in (t for t in declared if t.name in present):
        have = live.get(table.name, {})
        gone = [c.name for c in table.columns if c.name not in have]
        if gone:
            found.append(f"数据表 {table.name} 缺少列 {', '.join(gone)}")
        for column in table.columns:
            if column.name in have:
                want, got = type_family(column.type), type_family(have[column.name])
                if want != got:
                    found.append(f"列 {table.name}.{column.name} 的类型为{got}，应为{want}")
    return found


def check_database(engine: Engine) -> None:
    """Raise CockpitDatabaseError unless `engine` reaches a cockpit database of our version
    whose tables and columns are those of schema.py; the message names every difference."""
    where = masked(engine.url.render_as_string(hide_password=True))
    try:
        with engine.connect() as conn:
            differences = schema_differences(conn)
            if any(d.startswith("缺少数据表") for d in differences) and \
                    schema.meta.name not in inspect(conn).get_table_names():
                raise CockpitDatabaseError(
                    f"{where} 不是驾驶舱数据库: {'；'.join(differences)}。"
                    "请用 `python -m data_access.admin create-schema` 建表或检查数据库地址。")
            version = meta_value(conn, "schema_version")
    except CockpitDatabaseError:
        raise
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise CockpitDatabaseError(f"无法连接数据库 {where}: {masked(reason)}") from exc
    if version != str(schema.SCHEMA_VERSION):
        differences.insert(0, f"数据结构版本为 {version}，驾驶舱需要版本 {schema.SCHEMA_VERSION}")
    if differences:
        raise CockpitDatabaseError(
            f"{where} 的数据结构与驾驶舱不一致（{len(differences)} 处）：{'；'.join(differences)}。"
            "驾驶舱不会在它上面查询。请运行 `python -m data_access.admin upgrade`，"
            "或请数据库管理员补齐上述表与列。")
