"""数据质量: rows of the shared database that the cockpit leaves out or labels 未知, listed for
the data owners, per table and per kind of problem, with how many and which (their keys).

Other systems write to the same database without passing the importer, so any of these can
arrive: a required value missing, a code outside the glossary, a reference to a row that does
not exist, a negative count or a score outside 1–5, a time after now or before the time it
follows, a record entered twice, a name longer than its column or carrying markup, a point
or a boundary that cannot be drawn in the district. Each check is one SQL query (NOT EXISTS
for references; a window count so that the first LIST_LIMIT keys and the full count come
back together); boundaries are read once per table and judged in Python, as the map does.
"""

import json
import math
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from data_access import glossary as g
from data_access import schema as s
from data_access.geo import DISTRICT_BBOX, inside_district
from data_access.result import typed

LIST_LIMIT = 50  # keys listed per problem; the count is always complete
KEY_SHOWN = 40  # characters of one key that are shown
MAX_VERTICES = 50_000  # a boundary with more points than this is too heavy for the map

TABLE_LABELS = {
    "cockpit_meta": "数据库信息", "towns": "镇(乡)街道", "grid_cells": "网格", "officers": "干部",
    "targets": "联系对象", "assignments": "联系关系", "visits": "走访记录", "tickets": "问题",
    "ticket_events": "问题流转记录", "official_calendar": "工作日历", "ticket_time_limits": "办理时限",
    "clinic_points": "巡回医疗服务点", "clinic_services": "巡回医疗服务记录",
    "agent_services": "代办记录", "compounds": "老小区", "enforcement_items": "执法进小区事项",
    "hotline_daily": "81890服务量", "open_space_sessions": "开放空间", "red_helpers": "红色帮办员",
    "red_helper_cases": "红色帮办记录", "site_projects": "工地书记项目", "site_issues": "工地问题",
    "supervision_items": "监督问效项目",
}
# The tables the data owners write (derived tables and the cockpit's own are not theirs).
CHECKED_TABLES = [t for t in s.metadata.tables.values() if t.name in TABLE_LABELS]

# Columns holding a glossary code, and the glossary that knows them.
CODE_COLUMNS = {
    (s.towns, "kind"): g.TOWN_KINDS, (s.officers, "level"): g.LEVELS,
    (s.assignments, "role"): g.ROLES, (s.targets, "kind"): g.TARGET_KINDS,
    (s.visits, "diary_type"): g.DIARY_TYPES, (s.tickets, "source"): g.SOURCES,
    (s.tickets, "category"): g.CATEGORIES, (s.tickets, "task_force"): g.TASK_FORCES,
    (s.ticket_events, "stage"): g.ALL_EVENTS, (s.agent_services, "item"): g.AGENT_ITEMS,
    (s.compounds, "renovation_stage"): g.RENOVATION_STAGES,
    (s.hotline_daily, "service_type"): g.HOTLINE_TYPES,
    (s.open_space_sessions, "theme"): g.OPEN_SPACE_THEMES,
    (s.red_helper_cases, "service_kind"): g.RED_HELPER_KINDS,
    (s.site_projects, "kind"): g.SITE_PROJECT_KINDS, (s.site_issues, "kind"): g.SITE_ISSUE_KINDS,
    (s.supervision_items, "focus"): g.SUPERVISION_FOCUS,
    (s.supervision_items, "status"): g.SUPERVISION_STATUS,
}
# Times that record something done, so cannot lie after now (deadlines may).
DONE_AT = {s.visits: ["visited_at"], s.tickets: ["reported_at"], s.ticket_events: ["at"],
           s.clinic_services: ["served_on"], s.agent_services: ["served_on"],
           s.hotline_daily: ["day"], s.open_space_sessions: ["held_on"],
           s.red_helper_cases: ["solved_on"], s.site_issues: ["raised_on", "resolved_on"],
           s.supervision_items: ["completed_on"], s.compounds: ["property_upgrade_on"]}
NOT_COUNTS = {"id", "satisfaction", "built_year", "work_days"}  # integers that count nothing
MARKUP_COLUMNS = {"name", "title", "firm", "department", "owner"}


@dataclass(frozen=True)
class Check:
    """One kind of problem in one table: rows of `table` where `where` holds."""

    table: Table
    problem: str  # Chinese, e.g. 必填项为空
    column: str  # the column(s) concerned, as the data owners know them
    where: object  # SQL condition on the table's rows


def _in_district(lat, lon):
    west, south, east, north = DISTRICT_BBOX
    return and_(lon >= west, lon <= east, lat >= south, lat <= north)


def checks(now: datetime) -> list[Check]:
    """Every SQL check, table by table in the schema's order."""
    out = []
    for table in CHECKED_TABLES:
        c = table.c
        for col in table.columns:
            if not col.nullable and not col.primary_key:
                out.append(Check(table, "必填项为空", col.name, col.is_(None)))
        for (t, name), vocab in CODE_COLUMNS.items():
            if t is table:
                out.append(Check(table, "代码不在词表中", name,
                                 and_(c[name].is_not(None), c[name].not_in(list(vocab)))))
        for fk in sorted(table.foreign_keys, key=lambda k: k.parent.name):
            parent = fk.column
            out.append(Check(table, "引用的记录不存在",
                             f"{fk.parent.name} → {parent.table.name}.{parent.name}",
                             and_(fk.parent.is_not(None),
                                  ~exists().where(parent == fk.parent))))
        for col in table.columns:
            if isinstance(col.type, Integer) and not col.primary_key \
                    and col.name not in NOT_COUNTS:
                out.append(Check(table, "数量为负", col.name, col < 0))
            if isinstance(col.type, String) and col.type.length:
                out.append(Check(table, "超出列宽", f"{col.name}（≤{col.type.length}字）",
                                 func.length(col) > col.type.length))
            if col.name in MARKUP_COLUMNS:
                out.append(Check(table, "含标记字符（< >）", col.name,
                                 or_(col.contains("<", autoescape=True),
                                     col.contains(">", autoescape=True))))
        for name in DONE_AT.get(table, []):
            when = literal(now, DateTime) if isinstance(c[name].type, DateTime) \
                else literal(now.date(), Date)
            out.append(Check(table, "时间晚于当前", name, c[name] > when))
        if "lat" in c and "lon" in c:
            out.append(Check(table, "坐标不在区内", "lat, lon",
                             and_(c.lat.is_not(None), c.lon.is_not(None),
                                  ~_in_district(c.lat, c.lon))))
        out += _special(table, now)
    return out


def _special(table: Table, now: datetime) -> list[Check]:
    """Checks that belong to one table: scores, time order, duplicates, year built."""
    c = table.c
    if table is s.tickets:
        return [Check(table, "评分不在1–5分", "satisfaction",
                      and_(c.satisfaction.is_not(None),
                           or_(c.satisfaction < 1, c.satisfaction > 5))),
                Check(table, "时间顺序颠倒", "due_at 早于 reported_at", c.due_at < c.reported_at)]
    if table is s.ticket_events:
        twin = aliased(s.ticket_events)
        return [Check(table, "时间顺序颠倒", "at 早于问题的 reported_at",
                      exists().where(s.tickets.c.id == c.ticket_id,
                                     c.at < s.tickets.c.reported_at)),
                Check(table, "重复记录", "ticket_id, stage, at",
                      exists().where(twin.c.ticket_id == c.ticket_id, twin.c.stage == c.stage,
                                     twin.c.at == c.at, twin.c.id < c.id))]
    if table is s.site_issues:
        return [Check(table, "时间顺序颠倒", "resolved_on 早于 raised_on",
                      c.resolved_on < c.raised_on)]
    if table is s.compounds:
        return [Check(table, "年份不合理", "built_year",
                      or_(c.built_year < 1800, c.built_year > now.year))]
    return []


def _keys(table: Table) -> list:
    return [table.c[name] for name in s.natural_key(table)]


def _key_text(row) -> str:
    parts = ["空" if v is None else str(v) for v in row]
    text = " · ".join(p if len(p) <= KEY_SHOWN else p[:KEY_SHOWN] + "…" for p in parts)
    return text


def _run(conn: Connection, check: Check) -> tuple[int, list[str]]:
    """(rows with the problem, the keys of the first LIST_LIMIT of them), in one query."""
    keys = _keys(check.table)
    rows = conn.execute(select(*keys, func.count().over())
                        .where(check.where).order_by(*keys).limit(LIST_LIMIT)).all()
    return (rows[0][-1] if rows else 0), [_key_text(r[:-1]) for r in rows]


def boundary_problem(text: str | None) -> str | None:
    """Why a boundary cannot be drawn on the map (None: it can, or there is none)."""
    if text is None:
        return None
    try:
        geometry = json.loads(text)
    except ValueError:
        return "边界格式错误"
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return "边界不是多边形"
    coords = geometry.get("coordinates")
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons or not all(
            isinstance(p, list) and p for p in polygons):
        return "边界为空"
    points = []
    try:
        for polygon in polygons:
            for ring in polygon:
                if len(ring) < 4:
                    return "边界环少于4个点"
                points += [(float(p[0]), float(p[1])) for p in ring]
    except (TypeError, ValueError, IndexError):
        return "边界格式错误"
    if len(points) > MAX_VERTICES:
        return f"边界顶点过多（>{MAX_VERTICES:,}）"
    if not all(math.isfinite(x) and math.isfinite(y) and inside_district(x, y)
               for x, y in points):
        return "边界不在区内"
    return None


def _boundary_rows(conn: Connection, table: Table) -> list[tuple]:
    found: dict[str, list[str]] = {}
    keys = _keys(table)
    for *key, text in conn.execute(select(*keys, table.c.boundary)
                                   .where(table.c.boundary.is_not(None)).order_by(*keys)):
        problem = boundary_problem(text)
        if problem:
            found.setdefault(problem, []).append(_key_text(key))
    return [(table.name, TABLE_LABELS[table.name], problem, "boundary", len(listed),
             listed[:LIST_LIMIT]) for problem, listed in found.items()]


def fetch_problems(conn: Connection, now: datetime) -> pd.DataFrame:
    """Every problem found, per table and kind, with its count and first keys; tables in the
    schema's order, empty when the data is clean.

    Columns: table (str, the table's name), table_label (str, Chinese), problem (str,
    Chinese), column (str), rows (int), keys (object: tuple of str, the first LIST_LIMIT
    keys, each "a · b" for a key of several columns).
    """
    found = []
    for check in checks(now):
        count, keys = _run(conn, check)
        if count:
            found.append((check.table.name, TABLE_LABELS[check.table.name], check.problem,
                          check.column, count, keys))
    for table in (s.towns, s.grid_cells):
        found += _boundary_rows(conn, table)
    out = typed([row[:5] for row in found], {"table": "str", "table_label": "str",
                                             "problem": "str", "column": "str", "rows": "int"})
    out["keys"] = pd.Series([tuple(row[5]) for row in found], dtype="object")
    order = {t.name: i for i, t in enumerate(CHECKED_TABLES)}
    return out.sort_values("table", key=lambda col: col.map(order), kind="stable",
                           ignore_index=True)


def count_problem_rows(conn: Connection, now: datetime) -> int:
    """How many problems (table × kind × column) the data has: 0 when clean."""
    return len(fetch_problems(conn, now))

