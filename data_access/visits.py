"""Visit queries: the four-level contact mechanism and its coverage.

Definitions:
- visits (走访次数): visits made in the period (to any target, assigned or not).
- coverage_rate (走访覆盖率), for a set of assignments: assigned (officer, target) pairs in
  which that officer visited that target in the period / all such pairs. Visits to targets
  one is not assigned to count as visits but not as coverage.
- target coverage: a target counts as covered when any of its assigned officers visited it.
"""

import pandas as pd
from sqlalchemy import Connection, and_, exists, func, select

from data_access.filters import Filters
from data_access.result import count_if, fetch, ratio
from data_access.schema import assignments, officers, targets, visits


def in_period(f: Filters) -> list:
    return [visits.c.visited_at >= f.start_at, visits.c.visited_at < f.end_before,
            visits.c.visited_at < f.as_of]


def pair_visited(f: Filters):
    """SQL truth: the assignment's officer visited its target in the period."""
    return exists().where(visits.c.officer_id == assignments.c.officer_id,
                          visits.c.target_id == assignments.c.target_id, *in_period(f))


def town_scope(f: Filters) -> list:
    return [targets.c.town_code == f.town_code] if f.town_code else []


def pair_counts(f: Filters, *group):
    """SELECT (*group, assigned, visited): assigned (officer, target) pairs of the filtered
    town and how many were covered in the period. `group` may use targets and officers."""
    query = (select(*group, func.count(), count_if(pair_visited(f)))
             .select_from(assignments.join(targets, targets.c.id == assignments.c.target_id)
                          .join(officers, officers.c.id == assignments.c.officer_id))
             .where(*town_scope(f)))
    return query.group_by(*group) if group else query


def fetch_pairs_by(conn: Connection, f: Filters, column) -> pd.DataFrame:
    """pair_counts grouped by `column`. Columns: key (str), assigned, visited (int)."""
    return fetch(conn, pair_counts(f, column),
                 {"key": "str", "assigned": "int", "visited": "int"})


def fetch_headline(conn: Connection, f: Filters) -> dict:
    """Keys: visits (int), assigned (pairs), visited (pairs), coverage_rate (0–1)."""
    made = conn.execute(
        select(func.count()).select_from(visits.join(targets, targets.c.id == visits.c.target_id))
        .where(*in_period(f), *town_scope(f))
    ).scalar()
    assigned, visited = conn.execute(pair_counts(f)).one()
    visited = int(visited or 0)
    return {"visits": made, "assigned": assigned, "visited": visited,
            "coverage_rate": ratio(visited, assigned)}


def fetch_by_town(conn: Connection, f: Filters) -> pd.DataFrame:
    """Per town of the target. Columns: town_code, visits, assigned, visited (all int but code)."""
    made = fetch(conn, select(targets.c.town_code, func.count())
                 .select_from(visits.join(targets, targets.c.id == visits.c.target_id))
                 .where(*in_period(f), *town_scope(f)).group_by(targets.c.town_code),
                 {"town_code": "str", "visits": "int"})
    pairs = fetch_pairs_by(conn, f, targets.c.town_code).rename(columns={"key": "town_code"})
    out = pairs.merge(made, on="town_code", how="left").fillna({"visits": 0})
    return out.astype({"visits": "int64"})


def count_uncovered_targets(conn: Connection, *, kinds: tuple[str, ...],
                            above_scale_only: bool = False) -> int:
    """Targets of `kinds` that no officer is assigned to (full coverage means 0)."""
    clauses = [targets.c.kind.in_(kinds)]
    if above_scale_only:
        clauses.append(targets.c.above_scale.is_(True))
    assigned = select(assignments.c.target_id).distinct().scalar_subquery()
    return conn.execute(
        select(func.count()).where(*clauses, ~targets.c.id.in_(assigned))
    ).scalar()


def count_targets(conn: Connection, *, kinds: tuple[str, ...], above_scale_only=False) -> int:
    clauses = [targets.c.kind.in_(kinds)]
    if above_scale_only:
        clauses.append(targets.c.above_scale.is_(True))
    return conn.execute(select(func.count()).select_from(targets).where(and_(*clauses))).scalar()
