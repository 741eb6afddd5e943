"""The cockpit's administration tool: schema, sample data and validated imports.

    python -m data_access.admin --url URL create-schema
    python -m data_access.admin --url URL upgrade
    python -m data_access.admin --url URL load-sample [--today YYYY-MM-DD] [--tickets N]
    python -m data_access.admin --url URL refresh [--full]
    python -m data_access.admin --url URL import TABLE FILE.csv|FILE.xlsx
    python -m data_access.admin --url URL import-geojson towns|grid_cells FILE.geojson
    python -m data_access.admin add-user NAME --role ROLE [--town 镇名] [--password-stdin]
    python -m data_access.admin --url URL check
    python -m data_access.admin --url URL snapshot --week MONDAY [--cutoff ISO] [--town NAME]

This is the only writer: the cockpit itself opens the database read-only. Without --url
the configured database is used (COCKPIT_DATABASE_URL, .streamlit/secrets.toml, or the
SQLite sample). Exit status: 0 done, 1 rejected or failed (the reasons are printed), 2 usage.
add-user touches no database: it prints the user's entry (an argon2 hash, never the
password) to paste into the users file or .streamlit/secrets.toml (README, 访问控制).
"""

import argparse
import getpass
import json
import re
import secrets
import sys
from datetime import date
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from data_access import db, importer, meeting, summaries
from data_access.schema import meta, towns

MIGRATIONS = Path(__file__).with_name("migrations")
FIRST_REVISION = "0001"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def alembic_config(engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # configparser reads % as interpolation: URL-encoded options and passwords need %%
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(engine) -> str:
    """Bring the schema to the newest version, keeping the data. Returns the revision."""
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        current = MigrationContext.configure(conn).get_current_revision()
        if current is None and "towns" in inspect(conn).get_table_names():
            # built by the sample generator (create_all): adopt it at the version it records
            version = conn.execute(select(meta.c.value).where(
                meta.c.key == "schema_version")).scalar() or FIRST_REVISION
            command.stamp(config, f"{int(version):04d}")
        command.upgrade(config, "head")
        return MigrationContext.configure(conn).get_current_revision()


def create_schema(engine) -> None:
    revision = upgrade(engine)
    with engine.begin() as conn:
        if conn.execute(select(meta.c.value).where(meta.c.key == "campaign_start")).first() is None:
            conn.execute(meta.insert().values(key="campaign_start",
                                              value=date.today().replace(month=1, day=1).isoformat()))
    say(f"数据结构已就绪（版本 {revision}）")


def load_sample(engine, today: date | None, tickets: int | None = None) -> None:
    from sample_data.generate import SampleBuilder, data_moment

    upgrade(engine)
    with engine.connect() as conn:
        if conn.execute(select(towns.c.code).limit(1)).first() is not None:
            raise SystemExit("数据库中已有数据：示例数据只能装入空库（请换一个空库或 schema）")
    if tickets is not None:
        from sample_data.scale import load_scaled

        load_scaled(engine, data_moment(today), tickets, say)
        return
    say("正在生成示例数据…")
    builder = SampleBuilder(data_moment(today)).build()
    with engine.begin() as conn:
        conn.execute(meta.delete())  # the sample writes its own meta rows
    say("正在写入…")
    builder.write(engine)
    say(f"示例数据已写入（{sum(len(r) for r in builder.rows.values()):,} 行，汇总表已生成）")


def refresh(engine, full: bool) -> None:
    with engine.begin() as conn:
        count = summaries.refresh(conn, full=full)
    summaries.vacuum(engine)
    say(f"汇总表已刷新（{count:,} 个问题的状态重算）")


USER_ROLES = ("district", "town", "viewer", "wall")  # components/auth.py ROLES
USER_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def user_entry(name: str, role: str, town: str | None, password: str,
               table: str = "cockpit_auth.users") -> str:
    """The TOML entry of one cockpit user, with an argon2 hash of `password`."""
    from argon2 import PasswordHasher

    if not USER_NAME.fullmatch(name):
        raise ValueError("用户名只能包含字母、数字、下划线、点和连字符（不超过 64 个）")
    if role not in USER_ROLES:
        raise ValueError(f"角色无效: {role}（可选: {', '.join(USER_ROLES)}）")
    if (role == "town") != bool(town):
        raise ValueError("镇街账号（--role town）必须用 --town 指定镇(乡)街道，其他角色不指定")
    if len(password) < 10:
        raise ValueError("密码至少 10 个字符")
    lines = [f"[{table}.{json.dumps(name)}]", f'role = "{role}"']
    if town:
        lines.append("town = " + json.dumps(town, ensure_ascii=False))
    lines.append(f'password_hash = "{PasswordHasher().hash(password)}"')
    return "\n".join(lines)


def add_user(args) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("密码：")
        if getpass.getpass("再输入一次：") != password:
            say("两次输入的密码不一致")
            return 2
    table = "users" if args.users_file else "cockpit_auth.users"
    try:
        entry = user_entry(args.name, args.role, args.town, password, table)
    except ValueError as exc:
        say(str(exc))
        return 2
    key = None
    if args.wall_key:
        if args.role != "wall":
            say("--wall-key 只用于大屏账号（--role wall）")
            return 2
        from argon2 import PasswordHasher

        key = secrets.token_urlsafe(24)
        entry += f'\nkey_hash = "{PasswordHasher().hash(key)}"'
    where = "用户文件（COCKPIT_USERS_FILE）" if args.users_file else ".streamlit/secrets.toml"
    say(f"# 把以下内容粘贴到 {where}；数据库未做任何改动")
    print(entry)
    if key:
        say(f"# 大屏电脑开机后打开：http://<驾驶舱地址>/wall?key={key}（密钥只显示这一次）")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.admin",
                                     description="驾驶舱数据库管理：建表、升级、示例数据、校验导入")
    parser.add_argument("--url", help="数据库地址（默认：驾驶舱配置的数据库）")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("create-schema", help="在空库中建表（或升级到最新版本）")
    sub.add_parser("upgrade", help="把数据结构升级到最新版本，保留数据")
    sample = sub.add_parser("load-sample", help="把示例数据装入一个空库")
    sample.add_argument("--today", type=date.fromisoformat, help="数据截止日，默认今天")
    sample.add_argument("--tickets", type=int, help="按规模生成：问题总数（五年），如 2000000")
    fresh = sub.add_parser("refresh", help="刷新汇总表（默认只重算有变动的问题）")
    fresh.add_argument("--full", action="store_true", help="全部重算")
    one = sub.add_parser("import", help="校验并导入一个 CSV/Excel 文件（一行有错则整份拒绝）")
    one.add_argument("table", choices=sorted(importer.TABLES))
    one.add_argument("file", type=Path)
    geo = sub.add_parser("import-geojson", help="校验并导入镇街或网格边界（GeoJSON）")
    geo.add_argument("table", choices=["towns", "grid_cells"])
    geo.add_argument("file", type=Path)
    user = sub.add_parser("add-user", help="生成一个驾驶舱账号的配置（打印，不写数据库）")
    user.add_argument("name", help="用户名（字母、数字、_ . -）")
    user.add_argument("--role", required=True, choices=USER_ROLES)
    user.add_argument("--town", help="镇街账号的镇(乡)街道名称或代码")
    user.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码")
    user.add_argument("--wall-key", action="store_true",
                      help="大屏账号：另生成一个开机免登录的大屏密钥（链接中的 key）")
    user.add_argument("--users-file", action="store_true",
                      help="按用户文件格式输出（[users.NAME]），默认按 secrets.toml 格式")
    sub.add_parser("check", help="检查数据库能否供驾驶舱使用")
    snap = sub.add_parser("snapshot", help="存档周例会的数字（周次、截止时点、镇街）")
    snap.add_argument("--week", required=True, help="该周星期一的日期，如 2026-11-16")
    snap.add_argument("--cutoff", help="截止时点，默认下周一 09:00，如 2026-11-23T09:00")
    snap.add_argument("--town", help="镇(乡)街道名称或代码，默认全区")
    args = parser.parse_args(argv)
    if args.command == "add-user":
        return add_user(args)

    try:
        url = args.url or db.configured_url()
        engine = db.writable_engine(url)
    except db.CockpitDatabaseError as exc:  # a bad URL: the message masks its password
        say(str(exc))
        return 1
    say(f"数据库：{engine.url.render_as_string(hide_password=True)}")
    try:
        if args.command == "create-schema":
            create_schema(engine)
        elif args.command == "upgrade":
            say(f"已升级到版本 {upgrade(engine)}")
        elif args.command == "load-sample":
            load_sample(engine, args.today, args.tickets)
        elif args.command == "refresh":
            refresh(engine, args.full)
        elif args.command in ("import", "import-geojson"):
            say(f"正在校验 {args.file} → {args.table} …")
            run = importer.import_table if args.command == "import" else importer.import_geojson
            report = run(engine, args.table, args.file)
            say(f"已导入 {report.rows:,} 行：新增 {report.inserted:,}，更新 {report.updated:,}，"
                f"未变 {report.unchanged:,}"
                + (f"（编码 {report.encoding}）" if report.encoding else ""))
        elif args.command == "snapshot":
            try:
                say(meeting.snapshot_command(engine, args.week, args.cutoff, args.town))
            except ValueError as exc:
                say(str(exc))
                return 2
        elif args.command == "check":
            reader = db.read_only_engine(url)
            db.check_database(reader)
            with reader.connect() as conn:
                behind = summaries.status(conn)
            reader.dispose()
            say("数据库可供驾驶舱使用" + (f"；{behind}" if behind else ""))
    except importer.ImportRejected as rejected:
        problems = rejected.report.problems
        say(f"文件被拒绝，数据库未做任何改动。共 {len(problems)} 处问题：")
        for problem in problems:
            say(f"  {problem}")
        return 1
    except db.CockpitDatabaseError as exc:
        say(str(exc))
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
