"""Validated imports: a file is checked whole before anything is written.

Every problem is reported as (file, row, column, reason), all of them, not only the first.
One bad row rejects the file and the database stays as it was; a good file is written in
one transaction as an upsert on the table's natural key, so importing it twice changes
nothing. Row numbers are the file's own: the header is row 1, the first record row 2
(for GeoJSON: the feature's index, from 1).
"""

import io
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Boolean, Connection, Date, DateTime, Float, Integer, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from data_access import freshness
from data_access import glossary as g
from data_access import schema as s
from data_access.geo import inside_district, parse_shape

TABLES = {t.name: t for t in s.ALL_TABLES if t.name != "cockpit_meta"}
ENCODINGS = ["utf-8-sig", "gb18030"]  # GB18030 reads GBK, the usual export of Chinese systems
TRUE, FALSE = {"1", "true", "t", "yes", "y", "是"}, {"0", "false", "f", "no", "n", "否"}

# Columns whose values must be codes of the glossary.
VOCABULARIES = {
    ("towns", "kind"): g.TOWN_KINDS, ("officers", "level"): g.LEVELS,
    ("targets", "kind"): g.TARGET_KINDS, ("assignments", "role"): g.ROLES,
    ("visits", "diary_type"): g.DIARY_TYPES, ("tickets", "source"): g.SOURCES,
    ("tickets", "category"): g.CATEGORIES, ("tickets", "task_force"): g.TASK_FORCES,
    ("ticket_events", "stage"): g.ALL_EVENTS, ("agent_services", "item"): g.AGENT_ITEMS,
    ("compounds", "renovation_stage"): g.RENOVATION_STAGES,
    ("hotline_daily", "service_type"): g.HOTLINE_TYPES,
    ("open_space_sessions", "theme"): g.OPEN_SPACE_THEMES,
    ("red_helper_cases", "service_kind"): g.RED_HELPER_KINDS,
    ("site_projects", "kind"): g.SITE_PROJECT_KINDS, ("site_issues", "kind"): g.SITE_ISSUE_KINDS,
    ("supervision_items", "focus"): g.SUPERVISION_FOCUS,
    ("supervision_items", "status"): g.SUPERVISION_STATUS,
}


@dataclass
class Problem:
    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self):
        where = [self.file] + ([f"第 {self.row} 行"] if self.row else []) + \
            ([f"列 {self.column}"] if self.column else [])
        return " · ".join(where) + f"：{self.reason}"


@dataclass
class Report:
    """What an import found and did. `ok` is False when anything was rejected."""

    file: str
    table: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    encoding: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, row, column, reason):
        self.problems.append(Problem(self.file, row, column, reason))


class ImportRejected(Exception):
    """The file was rejected; `report.problems` lists every reason."""

    def __init__(self, report: Report):
        super().__init__("\n".join(str(p) for p in report.problems))
        self.report = report


# --- reading --------------------------------------------------------------------------------

def read_table_file(path: Path, report: Report) -> pd.DataFrame | None:
    """The file's records as strings (CSV in UTF-8 or GBK, or Excel), or None if unreadable."""
    if not path.exists():
        report.add(None, None, "文件不存在")
        return None
    if path.stat().st_size == 0:
        report.add(None, None, "文件为空")
        return None
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            raw = path.read_bytes()
            for encoding in ENCODINGS:
                try:
                    text = raw.decode(encoding)
                    report.encoding = encoding
                    break
                except UnicodeDecodeError:
                    continue
            else:
                report.add(None, None, "无法识别文件编码（支持 UTF-8 与 GBK/GB18030）")
                return None
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        report.add(None, None, f"无法读取文件：{exc}")
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        report.add(None, None, "文件只有表头，没有数据行")
        return None
    return frame


# --- checking -------------------------------------------------------------------------------

def _convert(text: str, column, report: Report, row: int):
    """The cell's value in the column's type, or None (reporting why) if it is not one."""
    value = text.strip()
    if value == "":
        if not column.nullable:
            report.add(row, column.name, "必填，不能为空")
        return None
    kind = column.type
    try:
        if isinstance(kind, Boolean):
            if value.lower() in TRUE:
                return True
            if value.lower() in FALSE:
                return False
            raise ValueError
        if isinstance(kind, Integer):
            number = float(value)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if isinstance(kind, Float):
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
            return number
        if isinstance(kind, DateTime):
            return datetime.fromisoformat(value.replace("/", "-"))
        if isinstance(kind, Date):
            return date.fromisoformat(value.replace("/", "-")[:10])
    except ValueError:
        expected = {Boolean: "是/否", Integer: "整数", Float: "数值",
                    DateTime: "日期时间（如 2026-03-01 09:00）",
                    Date: "日期（如 2026-03-01）"}
        wanted = next(v for t, v in expected.items() if isinstance(kind, t))
        report.add(row, column.name, f"“{value}”不是{wanted}")
        return None
    if isinstance(kind, String) and kind.length and len(value) > kind.length:
        report.add(row, column.name, f"长度 {len(value)} 超过上限 {kind.length}")
    return value


def _existing_keys(conn: Connection, column) -> set:
    return {r[0] for r in conn.execute(select(column).distinct())}


def check_records(conn: Connection, table: Table, frame: pd.DataFrame, report: Report) -> list[dict]:
    """Typed rows of the frame, with every problem of the file added to the report."""
    columns = {c.name: c for c in table.columns}
    generated = {c.name for c in table.columns if c.autoincrement is True and c.primary_key}
    required = [c for c in columns if not columns[c].nullable and c not in generated]
    missing = [c for c in required if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in columns]
    for name in missing:
        report.add(1, name, "缺少必需的列")
    for name in unknown:
        report.add(1, name, "未知的列（数据表中没有这一列）")
    if missing or unknown:
        return []
    key = s.natural_key(table)
    rows, seen = [], {}
    for index, record in enumerate(frame.to_dict("records")):
        line = index + 2
        row = {name: _convert(str(text), columns[name], report, line)
               for name, text in record.items()}
        for (tname, cname), vocab in VOCABULARIES.items():
            if tname == table.name and row.get(cname) is not None and row[cname] not in vocab:
                report.add(line, cname, f"“{row[cname]}”不是允许的取值（{', '.join(vocab)}）")
        if "lat" in row and "lon" in row and row["lat"] is not None and row["lon"] is not None:
            if not inside_district(row["lon"], row["lat"]):
                report.add(line, "lat/lon", f"坐标 ({row['lat']}, {row['lon']}) 不在海曙区范围内")
        if "boundary" in row and row["boundary"] is not None and parse_shape(row["boundary"]) is None:
            report.add(line, "boundary", "边界不是区内有效的 GeoJSON 面（Polygon/MultiPolygon）")
        ident = tuple(row.get(k) for k in key)
        if ident in seen:
            report.add(line, ",".join(key), f"与第 {seen[ident]} 行重复（{ident}）")
        seen.setdefault(ident, line)
        rows.append(row)
    _check_references(conn, table, rows, report)
    _check_rules(conn, table, rows, report)
    return rows


def _check_references(conn: Connection, table: Table, rows: list[dict], report: Report) -> None:
    for fk in table.foreign_keys:
        name, target = fk.parent.name, fk.column
        known = _existing_keys(conn, target)
        if target.table is table:
            known |= {r.get(target.name) for r in rows}
        for line, row in enumerate(rows, start=2):
            if row.get(name) is not None and row[name] not in known:
                report.add(line, name, f"“{row[name]}”在 {target.table.name}.{target.name} 中不存在")


def _check_rules(conn: Connection, table: Table, rows: list[dict], report: Report) -> None:
    """Rules of the loop that a type cannot say."""
    if table.name == "tickets":
        for line, row in enumerate(rows, start=2):
            if row.get("due_at") and row.get("reported_at") and row["due_at"] < row["reported_at"]:
                report.add(line, "due_at", "办理时限早于上报时间")
            if row.get("satisfaction") is not None and not 1 <= row["satisfaction"] <= 5:
                report.add(line, "satisfaction", "评价分应为 1–5")
    if table.name == "ticket_events":
        reported = dict(conn.execute(select(s.tickets.c.id, s.tickets.c.reported_at)).all())
        for line, row in enumerate(rows, start=2):
            at, when = row.get("at"), reported.get(row.get("ticket_id"))
            if at is not None and when is not None and at < when:
                report.add(line, "at", f"流转时间 {at} 早于问题上报时间 {when}（环节顺序错误）")


# --- writing --------------------------------------------------------------------------------

def upsert(conn: Connection, table: Table, rows: list[dict]) -> tuple[int, int, int]:
    """Insert new rows and update changed ones, on the table's natural key; rows equal to
    what is stored are not written at all. Returns (inserted, updated, unchanged)."""
    key = s.natural_key(table)
    columns = list(rows[0])
    stored = {tuple(r[:len(key)]): tuple(r[len(key):]) for r in conn.execute(
        select(*(table.c[k] for k in key), *(table.c[c] for c in columns)))}
    fresh = [r for r in rows if tuple(r[k] for k in key) not in stored]
    changed = [r for r in rows if tuple(r[k] for k in key) in stored
               and stored[tuple(r[k] for k in key)] != tuple(r[c] for c in columns)]
    writes = fresh + changed
    if writes:
        dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
        statement = dialect.insert(table)
        updates = {c: statement.excluded[c] for c in columns if c not in key}
        statement = (statement.on_conflict_do_update(index_elements=key, set_=updates) if updates
                     else statement.on_conflict_do_nothing(index_elements=key))
        conn.execute(statement, writes)  # every row has the file's columns: one executemany
    return len(fresh), len(changed), len(rows) - len(writes)


def import_table(engine, table_name: str, path: Path) -> Report:
    """Check `path` for `table_name` and, if it is clean, upsert it in one transaction.
    Raises ImportRejected (with the full report) if anything is wrong."""
    report = Report(file=path.name, table=table_name)
    table = TABLES.get(table_name)
    if table is None:
        report.add(None, None, f"未知的数据表 {table_name}（可选：{', '.join(TABLES)}）")
        raise ImportRejected(report)
    frame = read_table_file(path, report)
    if frame is None:
        raise ImportRejected(report)
    report.rows = len(frame)
    with engine.begin() as conn:
        rows = check_records(conn, table, frame, report)
        if not report.ok:
            raise ImportRejected(report)  # leaves the transaction: nothing was written
        report.inserted, report.updated, report.unchanged = upsert(conn, table, rows)
        freshness.record_loaded(conn, table_name)  # in the same transaction as the rows
    return report


def import_geojson(engine, table_name: str, path: Path) -> Report:
    """Set the boundaries of towns or grid cells from a GeoJSON FeatureCollection whose
    features carry properties.code. All features are checked before any is written."""
    report = Report(file=path.name, table=table_name)
    if table_name not in ("towns", "grid_cells"):
        report.add(None, None, "GeoJSON 只能导入 towns 或 grid_cells 的边界")
        raise ImportRejected(report)
    table = TABLES[table_name]
    try:
        collection = json.loads(path.read_text(encoding="utf-8-sig"))
        features = collection["features"]
        if collection.get("type") != "FeatureCollection" or not isinstance(features, list):
            raise ValueError("不是 FeatureCollection")
    except FileNotFoundError:
        report.add(None, None, "文件不存在")
        raise ImportRejected(report) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        report.add(None, None, f"不是有效的 GeoJSON：{exc}")
        raise ImportRejected(report) from None
    report.rows = len(features)
    with engine.begin() as conn:
        known = _existing_keys(conn, table.c.code)
        updates = []
        for number, feature in enumerate(features, start=1):
            code = str((feature.get("properties") or {}).get("code", "")).strip()
            text = json.dumps(feature.get("geometry"))
            if not code:
                report.add(number, "properties.code", "缺少编码")
            elif code not in known:
                report.add(number, "properties.code", f"“{code}”在 {table_name} 中不存在")
            if parse_shape(text) is None:
                report.add(number, "geometry", "不是区内有效的面（Polygon/MultiPolygon）")
            updates.append({"code": code, "boundary": text})
        if not report.ok:
            raise ImportRejected(report)
        for row in updates:
            conn.execute(table.update().where(table.c.code == row["code"])
                         .values(boundary=row["boundary"]))
        report.updated = len(updates)
        freshness.record_loaded(conn, table_name)
    return report
