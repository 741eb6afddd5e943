"""Validated imports: a file is checked whole before anything is written.

Every problem is reported as (file, row, column, reason), all of them, not only the first.
One bad row rejects the file and the database stays as it was; a good file is written in
one transaction as an upsert on the table's natural key, so importing it twice changes
nothing. Row numbers are the file's own: the header is row 1, the first record row 2
(for GeoJSON: the feature's index, from 1).
"""

import csv
import io
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import shapely
import shapely.geometry
from charset_normalizer import from_bytes
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    UniqueConstraint,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from data_access import freshness, summaries
from data_access import glossary as g
from data_access import schema as s
from data_access.geo import parse_shape
from data_access.places import inside_district

TABLES = {t.name: t for t in s.ALL_TABLES if t.name != "cockpit_meta"}
TRUE, FALSE = {"1", "true", "t", "yes", "y", "是"}, {"0", "false", "f", "no", "n", "否"}
GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "hz"}  # read as GB18030, a superset of all
INT_RANGE = (-2**31, 2**31 - 1)  # PostgreSQL's integer; SQLite would take more, silently
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
LOCAL = ZoneInfo("Asia/Shanghai")  # times are stored as naive local time

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

def decode(raw: bytes, report: Report) -> str | None:
    """The text of a CSV file in UTF-8 or GBK/GB18030, or None (reporting why). GB18030
    decodes almost any bytes, so a file that is not UTF-8 must also look like GBK: not the
    private-use characters Big5 turns into, and mostly common (GB2312) characters unless
    charset-normalizer itself says GB."""
    try:
        report.encoding = "utf-8"
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw[:200_000]).best()
    guess = best.encoding.replace("_", "").lower() if best else None
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        wide = [c for c in text if ord(c) > 127]
        private = any(0xE000 <= ord(c) <= 0xF8FF for c in wide)
        common = sum(_in_gb2312(c) for c in wide) / len(wide) if wide else 1.0
        if not private and (guess in GB_FAMILY or common >= 0.9):
            report.encoding = "gb18030"
            return text
    report.encoding = None
    named = f"（看起来是 {best.encoding}）" if best else ""
    report.add(None, None, f"文件编码不是 UTF-8 或 GBK/GB18030{named}：请另存为 UTF-8 后再导入")
    return None


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def read_table_file(path: Path, report: Report) -> pd.DataFrame | None:
    """The file's records as strings (CSV in UTF-8 or GBK, or .xlsx), or None if unreadable."""
    if not path.exists():
        report.add(None, None, "文件不存在")
        return None
    if path.stat().st_size == 0:
        report.add(None, None, "文件为空")
        return None
    suffix = path.suffix.lower()
    if suffix == ".xls":
        report.add(None, None, "不支持旧版 Excel 文件（.xls）：请在 Excel 中另存为 .xlsx 或 CSV（UTF-8）")
        return None
    try:
        if suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            text = decode(path.read_bytes(), report)
            if text is None:
                return None
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError, csv.Error) as exc:
        report.add(None, None, f"无法读取文件：{exc}")
        return None
    except Exception as exc:  # noqa: BLE001  a damaged .xlsx fails in many ways inside openpyxl
        report.add(None, None, f"无法读取文件（不是有效的 .xlsx 文件？）：{type(exc).__name__}")
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        report.add(None, None, "文件只有表头，没有数据行")
        return None
    return frame


# --- checking -------------------------------------------------------------------------------

def invisible(text: str) -> str | None:
    """The first character of `text` that a reader cannot see or that reorders the text
    (zero-width, bidi controls, other format and control characters), as U+XXXX; or None."""
    for char in text:
        if unicodedata.category(char) in ("Cf", "Cc", "Co", "Cs") and char not in "\t\n\r":
            return f"U+{ord(char):04X}"
    return None


def parse_number(value: str) -> float:
    """A plain decimal number (no '1_000', 'nan', 'inf'); ValueError otherwise."""
    if not NUMBER.fullmatch(value):
        raise ValueError(value)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def parse_datetime(value: str) -> datetime:
    """An ISO date-time ('2026-03-01 09:00', '2026/03/01 09:00'), whole: no trailing text.
    A time with an offset is turned into local time."""
    moment = datetime.fromisoformat(value.replace("/", "-"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL).replace(tzinfo=None)
    return moment


def parse_date(value: str) -> date:
    """An ISO date ('2026-03-01'), or a date-time at midnight as spreadsheets write dates."""
    value = value.replace("/", "-")
    try:
        return date.fromisoformat(value)
    except ValueError:
        moment = datetime.fromisoformat(value)
        if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
            raise
        return moment.date()


def _convert(text: str, column, report: Report, row: int):
    """The cell's value in the column's type, or None (reporting why) if it is not one."""
    value = text.strip()
    if value == "":
        if not column.nullable:
            report.add(row, column.name, "必填，不能为空")
        return None
    hidden = invisible(value)
    if hidden:
        report.add(row, column.name, f"含有不可见或控制字符 {hidden}（零宽、双向控制等），请删除")
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
            number = parse_number(value)
            if not number.is_integer():
                raise ValueError
            low, high = INT_RANGE if not isinstance(kind, BigInteger) else (-2**63, 2**63 - 1)
            if not low <= number <= high:
                report.add(row, column.name, f"“{value}”超出整数列的范围（{low:,} 至 {high:,}）")
                return None
            if number < 0:
                report.add(row, column.name, f"“{value}”是负数：数量、人数、年份等不能为负")
                return None
            return int(number)
        if isinstance(kind, Float):
            return parse_number(value)
        if isinstance(kind, DateTime):
            return parse_datetime(value)
        if isinstance(kind, Date):
            return parse_date(value)
    except (ValueError, OverflowError):
        expected = {Boolean: "是/否", Integer: "整数", Float: "数值",
                    DateTime: "日期时间（如 2026-03-01 09:00）",
                    Date: "日期（如 2026-03-01）"}
        wanted = next(v for t, v in expected.items() if isinstance(kind, t))
        report.add(row, column.name, f"“{value}”不是{wanted}")
        return None
    if isinstance(kind, String) and kind.length and len(value) > kind.length:
        report.add(row, column.name, f"长度 {len(value)} 超过上限 {kind.length}")
    return value


# --- geometry -------------------------------------------------------------------------------

def check_geometry(geometry) -> tuple[str | None, str | None]:
    """(GeoJSON text to store, None) for a drawable Polygon/MultiPolygon inside the district,
    else (None, the reason). A third coordinate (height) is dropped, not refused."""
    if not isinstance(geometry, dict):
        return None, "几何不是 JSON 对象"
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        return None, f"几何类型为 {str(kind)[:40]}，应为 Polygon 或 MultiPolygon"
    if not isinstance(coords, list) or not coords:
        return None, "几何为空（没有坐标）"
    polygons = [coords] if kind == "Polygon" else coords
    flat = []
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return None, "几何中有空的面"
        rings = []
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return None, "环的坐标点少于 4 个"
            points = []
            for point in ring:
                if (not isinstance(point, list) or len(point) not in (2, 3) or not all(
                        isinstance(x, (int, float)) and not isinstance(x, bool)
                        and math.isfinite(x) for x in point)):
                    return None, "坐标不是 [经度, 纬度] 数值对"
                points.append([point[0], point[1]])
            if points[0] != points[-1]:
                return None, "环未闭合（首尾坐标不同）"
            if not all(inside_district(lon, lat) for lon, lat in points):
                return None, "坐标不在海曙区范围内（应为 WGS-84 经纬度）"
            rings.append(points)
        flat.append(rings)
    clean = ({"type": "Polygon", "coordinates": flat[0]} if kind == "Polygon"
             else {"type": "MultiPolygon", "coordinates": flat})
    reason = shapely.is_valid_reason(shapely.geometry.shape(clean))
    if reason != "Valid Geometry":
        return None, f"面不合法（{reason}，如自相交）"
    text = json.dumps(clean, separators=(",", ":"))
    if parse_shape(text) is None:  # what the map will draw: the same rules, once more
        return None, "不是地图可绘制的面"
    return text, None


def _check_boundary(text: str):
    try:
        geometry = json.loads(text)
    except (ValueError, RecursionError):
        return None, "不是有效的 GeoJSON"
    return check_geometry(geometry)


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
    for name in generated & set(frame.columns):
        report.add(1, name, "此列由数据库生成（记录编号），导入文件不能含有，请删除这一列")
    hidden = [c for c in frame.columns if invisible(c)]
    for name in hidden:
        report.add(1, name, f"列名含有不可见或控制字符 {invisible(name)}")
    if missing or unknown or hidden or generated & set(frame.columns):
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
        if row.get("boundary") is not None:
            row["boundary"], reason = _check_boundary(row["boundary"])
            if reason:
                report.add(line, "boundary", f"边界{reason}")
        ident = tuple(row.get(k) for k in key)
        if ident in seen:
            report.add(line, ",".join(key), f"与第 {seen[ident]} 行重复（{ident}）")
        seen.setdefault(ident, line)
        rows.append(row)
    _check_references(conn, table, rows, report)
    _check_unique(conn, table, rows, report)
    _check_rules(conn, table, rows, report)
    return rows


def _unique_sets(table: Table) -> list[list[str]]:
    """Column sets that must be unique besides the natural key (e.g. a town's name)."""
    key = s.natural_key(table)
    sets = [[c.name] for c in table.columns if c.unique]
    sets += [[c.name for c in u.columns] for u in table.constraints
             if isinstance(u, UniqueConstraint)]
    sets.append([c.name for c in table.primary_key.columns])
    unique = []
    for cols in sets:
        if cols != key and cols not in unique and not any(
                c.autoincrement is True and c.primary_key for c in (table.c[n] for n in cols)):
            unique.append(cols)
    return unique


def _check_unique(conn: Connection, table: Table, rows: list[dict], report: Report) -> None:
    """A row may not take a unique value (a name) that another row holds, in the file or in
    the database after the import."""
    key = s.natural_key(table)
    for cols in _unique_sets(table):
        if not rows or not all(c in rows[0] for c in cols):
            continue
        holder = {tuple(r[len(key):]): tuple(r[:len(key)]) for r in conn.execute(
            select(*(table.c[k] for k in key), *(table.c[c] for c in cols)))}
        mine = {tuple(r.get(k) for k in key) for r in rows}
        holder = {v: k for v, k in holder.items() if k not in mine}  # rows the file rewrites
        where = ",".join(cols)
        for line, row in enumerate(rows, start=2):
            value, ident = tuple(row.get(c) for c in cols), tuple(row.get(k) for k in key)
            if None in value or None in ident:  # already reported as a bad cell
                continue
            if value in holder and holder[value] != ident:
                report.add(line, where, f"“{'、'.join(map(str, value))}”已被 "
                           f"{'、'.join(map(str, holder[value]))} 使用（须唯一）")
            holder.setdefault(value, ident)


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
        _check_stage_order(conn, rows, report)


def _check_stage_order(conn: Connection, rows: list[dict], report: Report) -> None:
    """Within one ticket, each loop stage first happens no earlier than the stages before it
    (办结 before 评价), counting the events stored and those of the file together."""
    # 上报 is checked against the ticket's reported_at above
    order = [stage for stage in getattr(g, "LOOP_STAGES", []) if stage != "reported"]
    if not order:
        return
    ids = {r["ticket_id"] for r in rows if r.get("ticket_id")}
    first: dict[str, dict[str, tuple]] = {}  # ticket → stage → (at, file line or None)
    ev = s.ticket_events
    stored = conn.execute(select(ev.c.ticket_id, ev.c.stage, ev.c.at)
                          .where(ev.c.ticket_id.in_(sorted(ids)))).all() if ids else []
    events = [(t, st, at, None) for t, st, at in stored]
    events += [(r.get("ticket_id"), r.get("stage"), r.get("at"), line)
               for line, r in enumerate(rows, start=2)]
    for ticket, stage, at, line in events:
        if ticket is None or stage not in order or at is None:
            continue
        seen = first.setdefault(ticket, {})
        if stage not in seen or at < seen[stage][0]:
            seen[stage] = (at, line)
    found = []
    for ticket, stages in first.items():
        for i, early in enumerate(order):
            for late in order[i + 1:]:
                if early in stages and late in stages and stages[late][0] < stages[early][0]:
                    line = stages[late][1] or stages[early][1]
                    if line is None:  # both stored already: not this file's doing
                        continue
                    found.append((line, (
                        f"问题 {ticket} 的环节顺序错误：{g.ALL_EVENTS.get(late, late)}"
                        f"（{stages[late][0]}）早于{g.ALL_EVENTS.get(early, early)}"
                        f"（{stages[early][0]}）")))
    for line, reason in sorted(found):
        report.add(line, "stage", reason)


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


SUMMARISED = {"tickets": "id", "ticket_events": "ticket_id"}  # table → its ticket id column


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
        try:
            report.inserted, report.updated, report.unchanged = upsert(conn, table, rows)
        except SQLAlchemyError as exc:  # a rule the checks above missed: still nothing written
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            report.add(None, None, f"数据库拒绝写入，未做任何改动：{reason}")
            raise ImportRejected(report) from None
        freshness.record_loaded(conn, table_name)  # in the same transaction as the rows
        if table_name in SUMMARISED:  # the tickets written get their stored state recomputed
            summaries.refresh(conn, ticket_ids={r[SUMMARISED[table_name]] for r in rows})
        elif table_name in s.VISIT_ROLLUP_SOURCES:  # the visits counted again
            summaries.refresh_visits(conn)
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
        if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection" \
                or not isinstance(collection.get("features"), list):
            raise ValueError("不是含 features 列表的 FeatureCollection")
        features = collection["features"]
    except FileNotFoundError:
        report.add(None, None, "文件不存在")
        raise ImportRejected(report) from None
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        report.add(None, None, f"不是有效的 GeoJSON：{str(exc)[:200]}")
        raise ImportRejected(report) from None
    report.rows = len(features)
    with engine.begin() as conn:
        known = _existing_keys(conn, table.c.code)
        updates, seen = [], {}
        for number, feature in enumerate(features, start=1):
            if not isinstance(feature, dict):
                report.add(number, None, "要素不是 JSON 对象（应为 {\"type\": \"Feature\", …}）")
                continue
            properties = feature.get("properties")
            if not isinstance(properties, dict):
                report.add(number, "properties", "缺少 properties 对象")
                properties = {}
            raw = properties.get("code")
            code = str(raw).strip() if isinstance(raw, (str, int)) \
                and not isinstance(raw, bool) else ""
            if not code:
                report.add(number, "properties.code", "缺少编码（文本或整数）")
            elif invisible(code):
                report.add(number, "properties.code",
                           f"编码含有不可见或控制字符 {invisible(code)}")
            elif code not in known:
                report.add(number, "properties.code", f"“{code}”在 {table_name} 中不存在")
            elif code in seen:
                report.add(number, "properties.code", f"“{code}”与第 {seen[code]} 个要素重复")
            seen.setdefault(code, number)
            text, reason = check_geometry(feature.get("geometry"))
            if reason:
                report.add(number, "geometry", reason)
            updates.append({"code": code, "boundary": text})
        if not report.ok:
            raise ImportRejected(report)
        for row in updates:
            conn.execute(table.update().where(table.c.code == row["code"])
                         .values(boundary=row["boundary"]))
        report.updated = len(updates)
        freshness.record_loaded(conn, table_name)
    return report
