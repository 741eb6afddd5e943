"""数据质量: rows of the shared database that the cockpit leaves out or labels 未知, listed for
the data owners, per table and per kind of problem, with how many and which (their keys).

Other systems write to the same database without passing the importer, so any of these can
arrive: a required value missing, a code outside the glossary, a reference to a row that does
not exist, a negative count or a score outside 1–5, a time after now or before the time it
follows, a record entered twice, a name longer than its column or carrying markup, a point
or a boundary that cannot be drawn in the district. The checks of a table are counted
together, in one scan of its rows and one of its rows outer-joined to the rows they
reference (a reference, or the ticket an event follows, is a join, not a subquery per row);
records entered twice are counted per natural key. Only the checks that found rows list
their first LIST_LIMIT keys. Boundaries are read once per table and judged in Python, as
the map does.

At scale the large tables are not scanned on every open: the refresh keeps the findings of
tickets and ticket events per ticket and of visits for the whole table (quality_findings,
see refresh_findings), read while no ticket, event or visit was written since (`kept`); a
reference to places or people is counted by walking its values through an index
(db.distinct_values), which stays exact whoever writes those tables.
"""

import functools
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import pandas as pd
from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import aliased

from data_access import db
from data_access import glossary as g
from data_access import schema as s
from data_access import ticket_state as ts
from data_access.filters import local_now
from data_access.places import DISTRICT_BBOX, inside_district
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
MISSING_REFERENCE = "引用的记录不存在"
FUTURE = "时间晚于当前"
# The large tables whose checks the refresh keeps (quality_findings, see refresh_findings),
# with the column that names each row's ticket: per ticket, or for visits the whole table.
KEPT = {s.tickets: s.tickets.c.id, s.ticket_events: s.ticket_events.c.ticket_id, s.visits: None}
# Referenced tables of places and people: thousands of rows, where the tables referencing
# them have millions.
FEW_VALUES = {s.towns, s.grid_cells, s.officers, s.targets}


@dataclass(frozen=True, eq=False)  # each check is itself: keyed by identity
class Check:
    """One kind of problem in one table: rows of `table` where `where` holds.

    `where` may look into other tables (EXISTS), which run once per row of a large table is
    too slow; such a check also says how a scan finds the same rows: `scan`, a condition on
    the table's rows outer-joined to the rows their `joins` columns reference (see
    _referenced), or `repeats_key`: the rows after the first of each natural key.
    """

    table: Table
    problem: str  # Chinese, e.g. 必填项为空
    column: str  # the column(s) concerned, as the data owners know them
    where: object  # SQL condition on the table's rows: the definition
    scan: object = None  # the same condition in the table's scan (None: `where` itself)
    joins: tuple = ()  # foreign-key columns whose referenced row `scan` reads
    repeats_key: bool = False  # counted by grouping the natural key, not in the scan
    after: Column | None = None  # the time column of a check that depends on now

    @property
    def in_scan(self):
        return self.where if self.scan is None else self.scan

    @property
    def is_reference(self) -> bool:
        return self.problem == MISSING_REFERENCE


def _parent(column: Column) -> Column:
    """The column a foreign-key column references."""
    (fk,) = column.foreign_keys
    return fk.column


@functools.cache
def _referenced(column: Column):
    """The row a foreign-key column references, under its own name (at most one row: the
    referenced column is its table's primary key)."""
    parent = _parent(column)
    assert list(parent.table.primary_key.columns) == [parent], parent
    return parent.table.alias(f"{column.name}_row")


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
            parent, row = fk.column, _referenced(fk.parent)
            out.append(Check(table, MISSING_REFERENCE,
                             f"{fk.parent.name} → {parent.table.name}.{parent.name}",
                             and_(fk.parent.is_not(None), ~exists().where(parent == fk.parent)),
                             and_(fk.parent.is_not(None), row.c[parent.name].is_(None)),
                             (fk.parent,)))
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
            out.append(Check(table, FUTURE, name, c[name] > when, after=c[name]))
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
                                     c.at < s.tickets.c.reported_at),
                      c.at < _referenced(c.ticket_id).c.reported_at, (c.ticket_id,)),
                Check(table, "重复记录", "ticket_id, stage, at",
                      exists().where(twin.c.ticket_id == c.ticket_id, twin.c.stage == c.stage,
                                     twin.c.at == c.at, twin.c.id < c.id),
                      repeats_key=True)]
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


def _scanned(table: Table, table_checks: list[Check]):
    """The table, outer-joined to every row its checks' `joins` reference."""
    joined = table
    for column in dict.fromkeys(col for check in table_checks for col in check.joins):
        row = _referenced(column)
        joined = joined.outerjoin(row, row.c[_parent(column).name] == column)
    return joined


def _repeats(table: Table):
    """The natural keys that more than one row has, with how many rows repeat them (NULL
    equals nothing, as in `where`)."""
    keys = _keys(table)
    return (select(*keys, (func.count() - 1).label("repeats"))
            .where(*(k.is_not(None) for k in keys)).group_by(*keys).having(func.count() > 1))


def _kept_unique(conn: Connection, table: Table) -> bool:
    """Whether the database's own constraints keep the natural key unique (a unique or primary
    key on some of its columns): then no row repeats it, and grouping millions of rows to
    find none is skipped. Tables created without constraints are grouped."""
    inspector = inspect(conn)
    keys = set(s.natural_key(table))
    unique = [inspector.get_pk_constraint(table.name)["constrained_columns"]] + [
        u["column_names"] for u in inspector.get_unique_constraints(table.name)]
    return any(columns and set(columns) <= keys for columns in unique)


KEPT_REFERENCE = text("""
    SELECT 1 FROM pg_constraint k
    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
    WHERE k.contype = 'f' AND k.convalidated AND cardinality(k.conkey) = 1
      AND k.conrelid = to_regclass(:table) AND a.attname = :column
      AND k.confrelid = to_regclass(:parent)
      AND NOT EXISTS (SELECT 1 FROM pg_trigger g
                      WHERE g.tgconstraint = k.oid AND g.tgenabled = 'D')""")


def kept_referenced(conn: Connection, column: Column) -> bool:
    """Whether the database's own foreign key keeps every value of `column` referencing an
    existing row: on PostgreSQL, a validated foreign key whose triggers are enabled. Then no
    row lacks its referenced row, and joining millions of rows to find none is skipped.
    SQLite enforces foreign keys only per connection and never for rows already there, and
    tables created without them (other systems' tables) are checked."""
    if conn.dialect.name != "postgresql":
        return False
    return conn.execute(KEPT_REFERENCE, {"table": column.table.name, "column": column.name,
                                         "parent": _parent(column).table.name}).first() is not None


def _count_repeats(conn: Connection, table: Table) -> int:
    """Rows that repeat a natural key another row has."""
    if _kept_unique(conn, table):
        return 0
    repeats = _repeats(table).subquery()
    return conn.execute(select(func.sum(repeats.c.repeats))).scalar() or 0


def _loose(check: Check) -> bool:
    """A reference to places or people (few values, e.g. a town code in millions of tickets)
    whose values an index lists: its missing rows are found by probing each value, not by a
    scan."""
    return check.is_reference and _parent(check.joins[0]).table in FEW_VALUES \
        and db.leads_index(check.joins[0])


def _walkable(conn: Connection, check: Check) -> bool:
    """A loose reference whose index the database has (a shared table may lack it)."""
    return _loose(check) and db.leads_index(check.joins[0], conn)


def _missing_values(column: Column):
    """SELECT of the values of `column` that no referenced row has, walking its distinct
    values through an index (db.distinct_values)."""
    walk = db.distinct_values(column)
    return select(walk.c.value).where(~exists().where(_parent(column) == walk.c.value))


class Kept(NamedTuple):
    """The findings the last refresh kept (quality_findings), as they answer at `now`."""

    counts: dict  # (table name, problem, column) → rows
    after: datetime  # the future rows kept are those later than this
    visits_current: bool  # no write to visits or targets since the refresh

    def answers(self, check: Check, now: datetime) -> bool:
        return _is_kept(check) and (check.after is None or now >= self.after) \
            and (self.visits_current or not _on_visits(check))


def _is_kept(check: Check) -> bool:
    """Whether the refresh keeps the check's findings (those of KEPT's
    tables, except repeats, which a unique key answers, and loose references)."""
    return check.table in KEPT and not check.repeats_key and not _loose(check)


def _on_visits(check: Check) -> bool:
    """Whether the check reads visits (its own table, or one its `joins` reference): then
    its kept findings hold while visit_rollup does (schema.rollup_triggers)."""
    return s.visits in {check.table, *(_parent(column).table for column in check.joins)}


def _key(check: Check) -> tuple[str, str, str]:
    return check.table.name, check.problem, check.column


KEY_COLUMNS = ("table_name", "problem", "column_name")  # quality_findings' names for _key


def _kept_rows(check: Check) -> list:
    """WHERE clauses on quality_findings keeping the check's rows."""
    return [s.quality_findings.c[name] == value for name, value in zip(KEY_COLUMNS, _key(check))]


def kept(conn: Connection, now: datetime) -> Kept | None:
    """The kept findings, or None where they do not hold: never built, or built before the
    last refresh, or a ticket or event written since (ticket_state.mark is not complete)."""
    mark = ts.mark(conn) if ts.USE_SUMMARIES else None
    if mark is None or not mark.complete \
            or db.meta_value(conn, s.QUALITY_MARK) != str(int(mark)):
        return None
    after = db.meta_value(conn, s.QUALITY_AFTER)
    q = s.quality_findings.c
    key = [q[name] for name in KEY_COLUMNS]
    counts = conn.execute(select(*key, func.sum(q.found))
                          .where(or_(q.after.is_(None), q.after > now)).group_by(*key)).all()
    return Kept({tuple(row[:3]): int(row[3]) for row in counts}, datetime.fromisoformat(after),
                db.meta_value(conn, s.VISIT_ROLLUP_CURRENT) is not None)


def _count(conn: Connection, table: Table, table_checks: list[Check],
           found: Kept | None = None, now: datetime | None = None) -> list[int]:
    """Rows with each problem: the `found` findings (see kept) where they answer at `now`,
    loose references by their values, repeats by grouping; the other checks of the
    table's own rows in one scan, those that read referenced rows in one scan joined to
    them (apart: carrying every column through the joins costs more than a second scan)."""
    counted = {}
    for check in table_checks:
        if check.repeats_key:
            counted[check] = _count_repeats(conn, table)
        elif check.is_reference and kept_referenced(conn, check.joins[0]):
            counted[check] = 0
        elif found is not None and found.answers(check, now):
            counted[check] = found.counts.get(_key(check), 0)
        elif _walkable(conn, check):
            column = check.joins[0]
            counted[check] = conn.execute(select(func.count()).select_from(table).where(
                column.in_(_missing_values(column)))).scalar()
    rest = [check for check in table_checks if check not in counted]
    for part in ([c for c in rest if not c.joins], [c for c in rest if c.joins]):
        if part:
            counted.update(zip(part, conn.execute(
                select(*(func.count().filter(check.in_scan) for check in part))
                .select_from(_scanned(table, part))).one()))
    return [counted[check] for check in table_checks]


def _first_keys(conn: Connection, check: Check, found: Kept | None = None) -> list[str]:
    """The keys of the first LIST_LIMIT rows with the problem, in the natural key's order:
    among the tickets the kept findings name, or the rows of the values a loose reference
    misses, where these answer."""
    keys = _keys(check.table)
    if check.repeats_key:
        listed = []
        for *key, repeats in conn.execute(_repeats(check.table).order_by(*keys)
                                          .limit(LIST_LIMIT)):
            listed += [_key_text(key)] * repeats
        return listed[:LIST_LIMIT]
    query = select(*keys).select_from(_scanned(check.table, [check])).where(check.in_scan)
    if found is not None and KEPT[check.table] is not None:
        query = query.where(KEPT[check.table].in_(
            select(s.quality_findings.c.ticket_id).where(*_kept_rows(check))))
    elif _walkable(conn, check):
        query = query.where(check.joins[0].in_(_missing_values(check.joins[0])))
    return [_key_text(row) for row in conn.execute(query.order_by(*keys).limit(LIST_LIMIT))]


def refresh_findings(conn: Connection, chunks: list | None, since: int | None,
                     top: int) -> None:
    """Bring quality_findings up to date, in the refresh's transaction, and mark them built
    at event id `top`: the rows of the tickets in `chunks` (each a list or a SELECT of
    ticket ids), or (None; also when they were
    not built at the last mark, `since`) of every ticket and all visits. Those that read
    visits are recounted with visit_rollup besides (recount_visits)."""
    q = s.quality_findings
    after = _start_of_today()
    kept_checks = [check for check in checks(after) if _is_kept(check)]
    if chunks is None or since is None or db.meta_value(conn, s.QUALITY_MARK) != str(since):
        conn.execute(delete(q))
        _insert_found(conn, kept_checks)
    else:
        for chunk in chunks:
            conn.execute(delete(q).where(q.c.ticket_id.in_(chunk)))
            _insert_found(conn, kept_checks, chunk)
    db.set_meta(conn, s.QUALITY_MARK, str(top))
    _keep_after(conn, after)


def recount_visits(conn: Connection) -> None:
    """Recount the findings that read visits (the visits' own, the tickets' references to
    them), whenever visit_rollup is rebuilt: they hold while it does (Kept.answers)."""
    q = s.quality_findings
    after = _start_of_today()
    reading = [check for check in checks(after) if _is_kept(check) and _on_visits(check)]
    for check in reading:
        conn.execute(delete(q).where(*_kept_rows(check)))
    _insert_found(conn, reading)
    _keep_after(conn, after)


def _start_of_today() -> datetime:
    """The rows dated after it are kept with their time, so that the findings answer
    时间晚于当前 at any later now."""
    return local_now().replace(hour=0, minute=0, second=0)


def _keep_after(conn: Connection, after: datetime) -> None:
    """Record that the future rows are kept from `after` on (the latest such time: the rows
    kept from an earlier one include those)."""
    kept_from = db.meta_value(conn, s.QUALITY_AFTER)
    if kept_from is None or datetime.fromisoformat(kept_from) < after:
        db.set_meta(conn, s.QUALITY_AFTER, after.isoformat())


def _insert_found(conn: Connection, kept_checks: list[Check], chunk=None) -> None:
    """Insert the findings of `kept_checks` per ticket (of the tickets in `chunk`, or all;
    visits for the whole table): the checks of each table in one grouped scan of its own
    rows and one joined to the rows they reference, as _count scans them; a future time
    per ticket and time."""
    rows = []
    for table, ticket in KEPT.items():
        table_checks = [check for check in kept_checks if check.table is table]
        if ticket is None and chunk is not None:  # kept for the whole table, as one
            continue
        by = [] if ticket is None else [ticket]
        within = [] if chunk is None else [ticket.in_(chunk)]
        timeless = [check for check in table_checks if check.after is None]
        for part in ([c for c in timeless if not c.joins], [c for c in timeless if c.joins]):
            if not part:
                continue
            query = (select(*by, *(func.count().filter(check.in_scan) for check in part))
                     .select_from(_scanned(table, part)).where(*within))
            if by:
                query = query.group_by(*by).having(
                    func.count().filter(or_(*(check.in_scan for check in part))) > 0)
            for row in conn.execute(query):
                ticket_id, counts = (row[0], row[1:]) if by else (None, row)
                rows += [_finding(check, ticket_id, n) for check, n in zip(part, counts) if n]
        for check in table_checks:
            if check.after is not None:
                rows += [_finding(check, row[0] if by else None, row[-1], row[-2])
                         for row in conn.execute(
                             select(*by, check.after, func.count())
                             .where(check.in_scan, *within).group_by(*by, check.after))]
    if rows:
        conn.execute(insert(s.quality_findings), rows)


def _finding(check: Check, ticket_id, found: int, after=None) -> dict:
    return dict(zip(KEY_COLUMNS, _key(check)), ticket_id=ticket_id, after=after, found=found)


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
    for *key, boundary in conn.execute(select(*keys, table.c.boundary)
                                       .where(table.c.boundary.is_not(None)).order_by(*keys)):
        problem = boundary_problem(boundary)
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
    all_checks, found_kept = checks(now), kept(conn, now)
    for table in CHECKED_TABLES:
        table_checks = [check for check in all_checks if check.table is table]
        for check, count in zip(table_checks, _count(conn, table, table_checks,
                                                     found_kept, now)):
            if count:
                answered = found_kept is not None and found_kept.answers(check, now)
                found.append((table.name, TABLE_LABELS[table.name], check.problem,
                              check.column, count,
                              _first_keys(conn, check, found_kept if answered else None)))
    for table in (s.towns, s.grid_cells):
        found += _boundary_rows(conn, table)
    out = typed([row[:5] for row in found], {"table": "str", "table_label": "str",
                                             "problem": "str", "column": "str", "rows": "int"})
    out["keys"] = pd.Series([tuple(row[5]) for row in found], dtype="object")
    order = {t.name: i for i, t in enumerate(CHECKED_TABLES)}
    return out.sort_values("table", key=lambda col: col.map(order), kind="stable",
                           ignore_index=True)


def count_found(conn: Connection, table: Table, problem: str, now: datetime) -> int:
    """Rows of `table` with `problem` (in any column), as fetch_problems counts them."""
    table_checks = [c for c in checks(now) if c.table is table and c.problem == problem]
    return sum(_count(conn, table, table_checks, kept(conn, now), now))


def count_problem_rows(conn: Connection, now: datetime) -> int:
    """How many problems (table × kind × column) the data has: 0 when clean."""
    return len(fetch_problems(conn, now))

