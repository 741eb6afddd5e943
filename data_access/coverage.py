"""Visit coverage in detail: per officer, by level, town and target kind, the gaps, diaries.

Coverage is the registry's 走访覆盖率 (figures.py): an assigned (officer, target) pair is
covered when that officer visited that target in the period. A town filter keeps the
targets of that town (and so the officers assigned to them).
"""

from datetime import datetime, time

import pandas as pd
from sqlalchemy import Connection, and_, case, func, literal, select, union, union_all

from data_access import db, summaries
from data_access import glossary as g
from data_access import ticket_state as ts
from data_access.figures import (
    family_query,
    grain_rows,
    headline,
    pair_visited,
    ratio,
    rollup_current,
    rollup_split,
    visit_counts,
)
from data_access.filters import Filters, in_scope
from data_access.places import placed
from data_access.programme_figures import counted
from data_access.result import count_if, fetch, weeks_between
from data_access.schema import (
    assignments,
    complete_record,
    grid_cells,
    officer_rollup,
    officers,
    target_group,
    targets,
    ticket_states,
    tickets,
    towns,
    visits,
)

# How targets are grouped for coverage by kind: 规上企业 apart from other firms.
TARGET_GROUPS = {
    "above_scale": "规上企业",
    "enterprise": "其他企业",
    "village": "行政村",
    "community": "社区",
    "key_group": "重点人群",
}
target_group_of = target_group(targets.c)

# Dimensions coverage may be grouped by; the user's choice is looked up here.
COVERAGE_BY = {"level": officers.c.level, "town_code": targets.c.town_code,
               "target_group": target_group_of}


def slice_clauses(officer_id, *, level: str | None = None,
                  target_group: str | None = None) -> list:
    """WHERE clauses keeping the officers of `level` (on the column `officer_id`) and the
    targets of `target_group` (on `targets`, which the query must join); None keeps all.
    Raises ValueError for a level or group outside its vocabulary."""
    if level is not None and level not in g.LEVELS:
        raise ValueError(f"未知的联系层级: {level!r}")
    if target_group is not None and target_group not in TARGET_GROUPS:
        raise ValueError(f"未知的对象类型: {target_group!r}")
    clauses = []
    if level is not None:
        clauses.append(officer_id.in_(  # never correlated with an outer `officers`
            select(officers.c.id).where(officers.c.level == level).correlate(None)))
    if target_group is not None:
        clauses.append(target_group_of == target_group)
    return clauses


def fetch_headline(conn: Connection, f: Filters, *, level: str | None = None,
                   target_group: str | None = None) -> dict:
    """The registry's visits, assigned, visited and coverage_rate (figures.headline), for
    the slice: the same family queries, narrowed by `slice_clauses`."""
    codes = ["visits", "assigned", "visited", "coverage_rate"]
    if level is None and target_group is None:
        return headline(conn, f, codes)
    chosen = {"level": level, "target_group": target_group}
    _, made = family_query(conn, f, "visits", None)
    _, pairs = family_query(conn, f, "pairs", None)
    out = {"visits": int(conn.execute(made.where(
        *slice_clauses(visits.c.officer_id, **chosen))).scalar() or 0)}
    assigned, visited = conn.execute(pairs.where(
        *slice_clauses(assignments.c.officer_id, **chosen))).one()
    out |= {"assigned": int(assigned or 0), "visited": int(visited or 0)}
    out["coverage_rate"] = ratio(out["visited"], out["assigned"])
    return out


def fetch_coverage_by(conn: Connection, f: Filters, by: str, *, level: str | None = None,
                      target_group: str | None = None) -> pd.DataFrame:
    """Assigned pairs and covered pairs grouped by a COVERAGE_BY dimension, in the slice.

    Columns: key (str), assigned (int), visited (int), coverage_rate (0–1).
    """
    names, query = family_query(conn, f, "pairs", COVERAGE_BY[by])
    query = query.where(*slice_clauses(assignments.c.officer_id, level=level,
                                       target_group=target_group))
    out = fetch(conn, query.group_by(COVERAGE_BY[by]), {"key": "str", **dict.fromkeys(names, "int")})
    out["coverage_rate"] = out["visited"] / out["assigned"]
    return out.sort_values("key", ignore_index=True)


def fetch_officer_pairs(conn: Connection, f: Filters, *, level: str | None = None,
                        target_group: str | None = None) -> pd.DataFrame:
    """fetch_officer_coverage's officers with their pairs only (no visits or tickets
    counted): for a warning list, which needs nothing more.

    Columns: officer_id, officer, level, department, town (str); assigned, visited (int);
    coverage_rate (0–1).
    """
    return _officers(conn, f, {"level": level, "target_group": target_group}, activity=False)


def fetch_officer_coverage(conn: Connection, f: Filters, *, level: str | None = None,
                           target_group: str | None = None) -> pd.DataFrame:
    """One row per officer with assignments (in the filtered town and the slice), lowest
    coverage first; the counts are of the slice's pairs, visits and targets.

    Columns: officer_id, officer, level, department, town (str; town may be None for
    district-level officers); assigned, visited, visits, problems_raised, tickets,
    tickets_resolved (int); coverage_rate (0–1); last_visit_at (datetime, NaT if never).
    """
    return _officers(conn, f, {"level": level, "target_group": target_group}, activity=True)


def _officers(conn: Connection, f: Filters, chosen: dict, activity: bool) -> pd.DataFrame:
    """The officers with assignments and their pairs; with `activity`, also their visits,
    problems and tickets raised, and last visit (see fetch_officer_coverage)."""
    pairs = (select(assignments.c.officer_id, func.count().label("assigned"),
                    count_if(pair_visited(conn, f)).label("visited"))
             .select_from(assignments.join(targets, targets.c.id == assignments.c.target_id))
             .where(*f.town(targets.c.town_code),
                    *slice_clauses(assignments.c.officer_id, **chosen))
             .group_by(assignments.c.officer_id).subquery())
    columns = {"officer_id": "str", "officer": "str", "level": "str", "department": "str",
               "town": "str", "assigned": "int", "visited": "int"}
    query = (select(officers.c.id, officers.c.name, officers.c.level, officers.c.department,
                    towns.c.name, pairs.c.assigned, pairs.c.visited)
             .select_from(officers.join(pairs, pairs.c.officer_id == officers.c.id)
                          .outerjoin(towns, towns.c.code == officers.c.town_code)))
    if activity:
        counts = _activity(conn, f, chosen)
        # each officer's latest visit: one probe of ix_visits_officer_time, backwards
        last = (select(visits.c.visited_at)
                .select_from(visits.join(targets, targets.c.id == visits.c.target_id))
                .where(visits.c.officer_id == officers.c.id, visits.c.visited_at < f.as_of,
                       *f.town(targets.c.town_code),
                       *slice_clauses(visits.c.officer_id, **chosen))
                .order_by(visits.c.visited_at.desc()).limit(1).scalar_subquery())
        query = (query.add_columns(*(counts.c[c] for c in ACTIVITY), last)
                 .outerjoin(counts, counts.c.officer_id == officers.c.id))
        columns |= {"visits": "int", "problems_raised": "int", "tickets": "int",
                    "tickets_resolved": "int", "last_visit_at": "datetime"}
    out = fetch(conn, query, columns)
    out["coverage_rate"] = out["visited"] / out["assigned"]
    return out.sort_values(["coverage_rate", "officer_id"], ignore_index=True)


ACTIVITY = ["visits", "problems", "tickets", "resolved"]  # _activity's counts per officer
# the tickets raised in visits, with their visit and its target, as they are now
RAISED_IN = (tickets.join(visits, visits.c.id == tickets.c.visit_id)
             .join(targets, targets.c.id == visits.c.target_id))


def _activity(conn: Connection, f: Filters, chosen: dict):
    """Subquery (officer_id, *ACTIVITY): per officer, the period's visits (in the filtered
    town and the slice `chosen`), the problems they raised, the tickets raised in them and
    how many of those are resolved at as_of. From officer_rollup while it counts the tickets
    and visits as they are (_activity_rolled); else from the visits and tickets. Once
    refreshed, the stored and the recomputed states are counted apart and summed: a join to
    their union (ticket_state.state) makes SQLite build every ticket's state first."""
    if summaries.visits_current(conn) and rollup_current(conn, f):
        return _activity_rolled(conn, f, chosen)
    v = visits.c
    in_slice = [*f.period(v.visited_at), *f.town(targets.c.town_code),
                *slice_clauses(v.officer_id, **chosen)]
    made = _visits_made(in_slice)
    mark = ts.mark(conn) if ts.USE_SUMMARIES else None
    if mark is None:  # never refreshed: every state from the events
        st = ts.state(f)
        return _summed(made, select(v.officer_id, literal(0), literal(0),
                                    func.count(tickets.c.id), count_if(ts.is_resolved(st)))
                       .select_from(RAISED_IN.outerjoin(st, st.c.ticket_id == tickets.c.id))
                       .where(*in_slice).group_by(v.officer_id))
    recomputed, kept = ts.recomputed_state(f, mark=mark).subquery("recomputed"), ticket_states
    # every ticket raised, with its stored state where that is its state at as_of
    counted_stored = (select(v.officer_id, literal(0), literal(0), func.count(),
                             count_if(ts.is_resolved(kept)))
                      .select_from(RAISED_IN.outerjoin(kept, and_(
                          kept.c.ticket_id == tickets.c.id, *ts.stored_state_holds(f, mark))))
                      .where(*in_slice).group_by(v.officer_id))
    counted_recomputed = (select(v.officer_id, literal(0), literal(0), literal(0), func.count())
                          .select_from(RAISED_IN.join(recomputed,
                                                      recomputed.c.ticket_id == tickets.c.id))
                          .where(*in_slice, ts.is_resolved(recomputed)).group_by(v.officer_id))
    return _summed(made, counted_stored, counted_recomputed)


def _visits_made(where: list):
    """SELECT officer_id, visits, problems, 0, 0 (an _activity part): the visits (joined to
    their target) that `where` keeps, per officer."""
    v = visits.c
    return (select(v.officer_id, func.count(), func.sum(counted(v.problems_raised)),
                   literal(0), literal(0))
            .select_from(visits.join(targets, targets.c.id == v.target_id))
            .where(*where).group_by(v.officer_id))


def _activity_rolled(conn: Connection, f: Filters, chosen: dict):
    """_activity from officer_rollup: the period's whole days before as_of's day; the visits
    of as_of's day and the tickets raised in them counted from the tables; and the tickets
    the rollup cannot judge at as_of (touched at or after it, or unseen by the last refresh)
    corrected exactly: their stored counts taken off, their counts at as_of added."""
    o, v, t, kept = officer_rollup.c, visits.c, tickets.c, ticket_states
    stop, since, until = rollup_split(f)
    late = [v.visited_at >= since, v.visited_at < until]  # as_of's day, in the period
    group = [] if chosen["target_group"] is None else [o.target_group == chosen["target_group"]]
    rolled = [select(o.officer_id, *(o[c] for c in ACTIVITY))
              .where(part, *f.town(o.town_code),
                     *slice_clauses(o.officer_id, level=chosen["level"]), *group)
              for part in grain_rows(o, f.start, stop, years=True)]
    in_slice = [*f.town(targets.c.town_code), *slice_clauses(v.officer_id, **chosen)]
    mark = ts.mark(conn)
    moved = union(select(kept.c.ticket_id).where(kept.c.last_event_at >= f.as_of),
                  *ts.unseen(mark).selects).cte("moved")
    taken_off = (select(v.officer_id, literal(0), literal(0), -func.count(),
                        -count_if(ts.is_resolved(kept)))
                 .select_from(summaries.stored_visits())
                 .where(kept.c.ticket_id.in_(select(moved.c.ticket_id)),
                        v.visited_at >= f.start_at,
                        v.visited_at < datetime.combine(stop, time()), *in_slice)
                 .group_by(v.officer_id))
    live = union(select(moved.c.ticket_id), select(t.id).select_from(
        tickets.join(visits, v.id == t.visit_id)).where(*late))
    st = ts.state(f, live, mark)
    added = (select(v.officer_id, literal(0), literal(0), func.count(t.id),
                    count_if(ts.is_resolved(st)))
             .select_from(RAISED_IN.outerjoin(st, st.c.ticket_id == t.id))
             .where(t.id.in_(live), *f.period(v.visited_at), *in_slice)
             .group_by(v.officer_id))
    return _summed(*rolled, _visits_made([*late, *in_slice]), taken_off, added)


def _summed(*parts):
    """Subquery (officer_id, *ACTIVITY): the parts' counts (in that order) summed per
    officer."""
    rows = union_all(*parts).subquery("parts")
    officer, *counts = rows.c
    return (select(officer.label("officer_id"),
                   *(func.sum(c).label(name) for c, name in zip(counts, ACTIVITY)))
            .group_by(officer).subquery())


def fetch_unvisited_targets(conn: Connection, f: Filters, *, level: str | None = None,
                            target_group: str | None = None) -> pd.DataFrame:
    """Assigned targets that none of their officers visited in the period (with a level:
    targets of that level's officers that none of them visited; `officers` names them).

    Columns: target_id, target, kind (target group code, see TARGET_GROUPS), town,
    grid_cell, officers (names joined by 、) (str); lat, lon (float). By town, then name.
    """
    chosen = slice_clauses(assignments.c.officer_id, level=level, target_group=target_group)
    covered = (select(assignments.c.target_id).select_from(
        assignments.join(targets, targets.c.id == assignments.c.target_id))
        .where(pair_visited(conn, f), *chosen))
    query = (select(targets.c.id, targets.c.name, target_group_of, towns.c.name, grid_cells.c.name,
                    func.aggregate_strings(officers.c.name, "、"), targets.c.lat, targets.c.lon)
             .select_from(placed(targets.join(assignments, assignments.c.target_id == targets.c.id)
                                 .join(officers, officers.c.id == assignments.c.officer_id),
                                 targets.c))
             .where(*f.town(targets.c.town_code), ~targets.c.id.in_(covered), *chosen)
             .group_by(targets.c.id, targets.c.name, target_group_of, towns.c.name,
                       grid_cells.c.name, targets.c.lat, targets.c.lon, targets.c.town_code)
             .order_by(targets.c.town_code, targets.c.name))
    return fetch(conn, query, {"target_id": "str", "target": "str", "kind": "str", "town": "str",
                               "grid_cell": "str", "officers": "str", "lat": "float",
                               "lon": "float"})


def fetch_weekly_visits(conn: Connection, f: Filters, officer_ids: list[str], *,
                        target_group: str | None = None) -> pd.DataFrame:
    """Visits per officer and week of the period, for the given officers (to the targets of
    `target_group`, when given).

    Columns: officer_id (str), week (datetime64, the Monday), visits (int); every
    officer × week of the period is present, empty ones with 0.
    """
    week = summaries.week_start(visits.c.visited_at).label("week")
    query = (select(visits.c.officer_id, week, func.count())
             .select_from(visits.join(targets, targets.c.id == visits.c.target_id))
             .where(*f.period(visits.c.visited_at), *f.town(targets.c.town_code),
                    visits.c.officer_id.in_(officer_ids),
                    *slice_clauses(visits.c.officer_id, target_group=target_group))
             .group_by(visits.c.officer_id, week))
    # the chosen officers' visits (SQLite would read every target's visits of the period)
    weekly = fetch(conn, db.through_index(query, visits, "ix_visits_pair_time", conn),
                   {"officer_id": "str", "week": "date", "visits": "int"})
    grid = pd.MultiIndex.from_product([officer_ids, weeks_between(f.start, f.end)],
                                      names=["officer_id", "week"])
    return (weekly.set_index(["officer_id", "week"])["visits"]
            .reindex(grid, fill_value=0).reset_index().astype({"visits": "int64"}))


def fetch_diary_mix(conn: Connection, f: Filters, *, level: str | None = None,
                    target_group: str | None = None) -> pd.DataFrame:
    """Visits of the period (in the slice) by diary type, with how many had a complete
    三带走三留下 record.

    Columns: diary_type (str), visits (int), complete (int), complete_rate (0–1).
    """
    columns = {"diary_type": "str", "visits": "int", "complete": "int"}
    rolled = None if level or target_group else visit_counts(conn, f, "diary_type")
    if rolled is not None:  # all officers: the visits rollup answers
        out = rolled.rename(columns={"key": "diary_type"})
    else:
        out = fetch(conn, select(visits.c.diary_type, func.count(),
                                 count_if(complete_record(visits.c)))
                    .select_from(visits.join(targets, targets.c.id == visits.c.target_id))
                    .where(*f.period(visits.c.visited_at), *f.town(targets.c.town_code),
                           *slice_clauses(visits.c.officer_id, level=level,
                                          target_group=target_group))
                    .group_by(visits.c.diary_type)
                    .order_by(visits.c.diary_type), columns)
    out["complete_rate"] = out["complete"] / out["visits"]
    return out


def list_officers(conn: Connection, f: Filters, *, level: str | None = None,
                  target_group: str | None = None) -> pd.DataFrame:
    """Officers with assignments (in the filtered town and the slice) for a picker.

    Columns: officer_id, officer, level, department (str).
    """
    assigned = (select(assignments.c.officer_id)
                .select_from(assignments.join(targets, targets.c.id == assignments.c.target_id))
                .where(*f.town(targets.c.town_code),
                       *slice_clauses(assignments.c.officer_id, level=level,
                                      target_group=target_group)))
    return fetch(conn, select(officers.c.id, officers.c.name, officers.c.level,
                              officers.c.department)
                 .where(officers.c.id.in_(assigned)).order_by(officers.c.id),
                 {"officer_id": "str", "officer": "str", "level": "str", "department": "str"})


def fetch_officer_targets(conn: Connection, f: Filters, officer_id: str) -> pd.DataFrame:
    """One officer's assigned targets with their visits in the period.

    Columns: target_id, target, kind (target group), town, role (str); visits (int);
    last_visit_at (datetime, the officer's last visit before as_of, NaT if never).
    """
    mine = and_(visits.c.officer_id == officer_id, visits.c.target_id == targets.c.id)
    in_p = (select(func.count()).where(mine, *f.period(visits.c.visited_at)).scalar_subquery())
    last = (select(func.max(visits.c.visited_at)).where(mine, visits.c.visited_at < f.as_of)
            .scalar_subquery())
    return fetch(conn, select(targets.c.id, targets.c.name, target_group_of, towns.c.name,
                              assignments.c.role, in_p, last)
                 .select_from(assignments.join(targets, targets.c.id == assignments.c.target_id)
                              .join(towns, towns.c.code == targets.c.town_code))
                 .where(assignments.c.officer_id == officer_id, *f.town(targets.c.town_code))
                 .order_by(targets.c.id),
                 {"target_id": "str", "target": "str", "kind": "str", "town": "str",
                  "role": "str", "visits": "int", "last_visit_at": "datetime"})


def fetch_officer_visits(conn: Connection, f: Filters, officer_id: str) -> pd.DataFrame:
    """One officer's visits in the period, newest first, with the tickets they raised.

    Columns: visit_id, target, diary_type (str); visited_at (datetime); problems_raised,
    tickets (int); record_complete (bool).
    """
    complete = complete_record(visits.c)
    raised = (select(func.count()).where(tickets.c.visit_id == visits.c.id).scalar_subquery())
    return fetch(conn, select(visits.c.id, targets.c.name, visits.c.diary_type,
                              visits.c.visited_at, visits.c.problems_raised, raised,
                              case((complete, True), else_=False))
                 .select_from(visits.join(targets, targets.c.id == visits.c.target_id))
                 .where(visits.c.officer_id == officer_id, *f.period(visits.c.visited_at),
                        *f.town(targets.c.town_code))
                 .order_by(visits.c.visited_at.desc()),
                 {"visit_id": "str", "target": "str", "diary_type": "str",
                  "visited_at": "datetime", "problems_raised": "int", "tickets": "int",
                  "record_complete": "bool"})
def count_uncovered_targets(conn: Connection, *, kinds: tuple[str, ...],
                            above_scale_only: bool = False, scope_town: str | None = None) -> int:
    """Targets of `kinds` (in `scope_town`) that no officer is assigned to (full coverage
    means 0)."""
    clauses = [targets.c.kind.in_(kinds), *in_scope(targets.c.town_code, scope_town)]
    if above_scale_only:
        clauses.append(targets.c.above_scale.is_(True))
    assigned = select(assignments.c.target_id).distinct().scalar_subquery()
    return conn.execute(
        select(func.count()).where(*clauses, ~targets.c.id.in_(assigned))
    ).scalar()


def count_targets(conn: Connection, *, kinds: tuple[str, ...], above_scale_only=False,
                  scope_town: str | None = None) -> int:
    clauses = [targets.c.kind.in_(kinds), *in_scope(targets.c.town_code, scope_town)]
    if above_scale_only:
        clauses.append(targets.c.above_scale.is_(True))
    return conn.execute(select(func.count()).select_from(targets).where(and_(*clauses))).scalar()


def fetch_gaps_by_officer(conn: Connection, f: Filters, *, level: str | None = None,
                          target_group: str | None = None) -> pd.DataFrame:
    """Per officer (by id: officers who share a name stay apart), their assigned targets
    that none of the target's officers (in the slice) visited in the period; most first.

    Columns: officer_id, officer, department (str), unvisited (int).
    """
    chosen = slice_clauses(assignments.c.officer_id, level=level, target_group=target_group)
    covered = (select(assignments.c.target_id).select_from(
        assignments.join(targets, targets.c.id == assignments.c.target_id))
        .where(pair_visited(conn, f), *chosen))
    query = (select(officers.c.id, officers.c.name, officers.c.department, func.count())
             .select_from(assignments.join(officers, officers.c.id == assignments.c.officer_id)
                          .join(targets, targets.c.id == assignments.c.target_id))
             .where(*f.town(targets.c.town_code), ~targets.c.id.in_(covered), *chosen)
             .group_by(officers.c.id, officers.c.name, officers.c.department))
    out = fetch(conn, query, {"officer_id": "str", "officer": "str", "department": "str",
                              "unvisited": "int"})
    return out.sort_values(["unvisited", "officer_id"], ascending=[False, True],
                           ignore_index=True)


def fetch_gaps_by_town(conn: Connection, f: Filters, *, level: str | None = None,
                       target_group: str | None = None) -> pd.DataFrame:
    """Per town, assigned targets that none of their officers (in the slice) visited in the
    period; most first. Columns: town_code, town (str), unvisited (int)."""
    chosen = slice_clauses(assignments.c.officer_id, level=level, target_group=target_group)
    pairs = assignments.join(targets, targets.c.id == assignments.c.target_id)
    covered = (select(assignments.c.target_id).select_from(pairs)
               .where(pair_visited(conn, f), *chosen))
    assigned = select(assignments.c.target_id).select_from(pairs).where(*chosen).distinct()
    query = (select(towns.c.code, towns.c.name, func.count())
             .select_from(targets.join(towns, towns.c.code == targets.c.town_code))
             .where(*f.town(targets.c.town_code), targets.c.id.in_(assigned),
                    ~targets.c.id.in_(covered))
             .group_by(towns.c.code, towns.c.name))
    out = fetch(conn, query, {"town_code": "str", "town": "str", "unvisited": "int"})
    return out.sort_values(["unvisited", "town_code"], ascending=[False, True],
                           ignore_index=True)
