"""The closed loop in detail: funnel, loop rates, breakdowns, time limits, closure quality.

Every count and rate is a figure of the registry (figures.py); this module arranges them
for the ticket page: the funnel of the district's flow (g.LOOP_STAGES), the median time of
each step, breakdowns by a dimension, the open stock's service level in working days, and
the data-quality findings among the period's tickets.
"""

from datetime import datetime, time

import pandas as pd
from sqlalchemy import (
    Connection,
    case,
    func,
    literal,
    select,
    union_all,
)

from data_access import data_quality, db, figures, summaries
from data_access import glossary as g
from data_access import ticket_state as ts
from data_access.filters import Filters
from data_access.result import count_if, fetch, ratio
from data_access.schema import (
    SPAN_BOUNDS,
    has_event_findings,
    skipped_step,
    span_bucket,
    span_rollup,
    ticket_events,
    ticket_states,
    tickets,
)
from data_access.workdays import load_calendar

# The funnel's steps and the registry figure that counts each.
FUNNEL = {"reported": "collected", "dispatched": "dispatched", "accepted": "accepted",
          "resolved": "resolved", "signed_off": "signed_off", "evaluated": "evaluated"}
LOOP_RATES = ["collected", "resolved", "resolution_rate", "completion_rate", "on_time_rate",
              "satisfaction_rate", "reopen_rate"]
SLA = ["open", "overdue", "soon_due", "supervised", "reopened"]
CLOSURE_QUALITY = ["bounced", "reopened", "repeat_reported", "fast_closed",
                   "signed_off_unscored"]
LOOP_FIGURES = list(dict.fromkeys([*LOOP_RATES, *FUNNEL.values(), *SLA, *CLOSURE_QUALITY]))
BREAKDOWN_FIGURES = ["collected", "resolved", "resolution_rate", "open", "overdue"]
BREAKDOWNS = ["category", "source", "town_code", "department", "task_force"]
# Open tickets' age in working days since the day of reporting.
AGING_BUCKETS = [(5, "0–5个工作日"), (10, "6–10个工作日"), (20, "11–20个工作日"),
                 (40, "21–40个工作日"), (None, "40个工作日以上")]
SORT_WORK_MEM = "256MB"  # PostgreSQL: the stage medians sort millions of spans in memory


def fetch_loop_figures(conn: Connection, f: Filters) -> dict:
    """The registry figures of 问题流转's tiles and funnel (LOOP_FIGURES: LOOP_RATES, FUNNEL's,
    SLA, CLOSURE_QUALITY; counts as int, rates 0–1, NaN when undefined), computed together:
    the rollup's correction for all of them judges the tickets touched since as_of once."""
    return figures.headline(conn, f, LOOP_FIGURES)


def funnel(values: dict) -> pd.DataFrame:
    """The funnel of the loop from fetch_loop_figures' `values`: tickets of the period that
    reached each step, in loop order.

    Columns: stage (str, g.LOOP_STAGES), tickets (int), conversion_rate (float, share of
    the previous step's tickets; 1.0 for 上报, NaN after an empty step).
    """
    counts = [values[code] for code in FUNNEL.values()]
    rates = [1.0] + [ratio(b, a) for a, b in zip(counts, counts[1:])]
    return pd.DataFrame({"stage": list(FUNNEL), "tickets": counts, "conversion_rate": rates})


def fetch_stage_hours(conn: Connection, f: Filters) -> pd.DataFrame:
    """Median hours from each step of the loop to the next, for the period's tickets.

    Columns: stage (str: the step left, g.LOOP_STAGES but the last), median_hours (float),
    tickets (int, how many tickets took that step). Times are each step's last event; a
    negative span is a data-quality finding, not a duration (ticket_state.loop_spans). The
    medians are computed in the database: when every stored state holds at as_of, as the
    middle of each step's index of spans, found through span_rollup (_bucketed_medians) or
    counted (_indexed_medians); else on PostgreSQL by percentile_cont over one pass of the
    period's tickets, on SQLite as the middle rows of each step by a window."""
    if summaries.states_hold(conn, f):
        bucketed = not (f.category or f.source or f.department or f.task_force) and \
            summaries.rollups_kept(conn)  # span_rollup is kept by town only
        got = (_bucketed_medians if bucketed else _indexed_medians)(conn, f)
    else:
        got = _computed_medians(conn, f)
    return pd.DataFrame([{"stage": here, "median_hours": got.get(k, (float("nan"), 0))[0],
                          "tickets": got.get(k, (float("nan"), 0))[1]}
                         for k, here in enumerate(g.LOOP_STAGES[:-1])])


def _indexed_medians(conn: Connection, f: Filters) -> dict[int, tuple[float, int]]:
    """Step number → (median hours, tickets) from ticket_states' spans: the count of the
    period's spans of each step, then the middle one or two read in the order of its index."""
    kept = ticket_states
    spans = {stage: kept.c[f"seconds_to_{stage}"] for stage in g.LOOP_STAGES[1:]}
    where = [*f.period(kept.c.reported_at), *f.ticket_choices(kept)]

    def through(query, stage):
        return db.through_index(query, kept, f"ix_ticket_states_to_{stage}")

    if conn.dialect.name == "postgresql":  # one pass over the period counts every step
        counts = conn.execute(select(*(func.count(span) for span in spans.values()))
                              .where(*where)).one()
    else:  # SQLite reads every row of such a pass: a count over each step's index instead
        counts = [conn.execute(through(select(func.count()).select_from(kept)
                                       .where(span.is_not(None), *where), stage)).scalar()
                  for stage, span in spans.items()]
    got = {}
    for k, ((stage, span), n) in enumerate(zip(spans.items(), counts)):
        if n:
            middle = conn.execute(through(
                select(span).where(span.is_not(None), *where).order_by(span)
                .limit(2 - n % 2).offset((n - 1) // 2), stage)).scalars().all()
            got[k] = (sum(middle) / len(middle) / 3600.0, n)
    return got


def _bucketed_medians(conn: Connection, f: Filters) -> dict[int, tuple[float, int]]:
    """_indexed_medians without counting each step's index: the period's spans per bucket
    of duration (_span_histogram) tell in which bucket the middle ranks fall and where in it,
    then those are read in the order of the step's index inside that bucket alone, from
    whichever end of it is nearer (both middle ranks at once when they share a bucket)."""
    kept = ticket_states
    where = [*f.period(kept.c.reported_at), *f.town(kept.c.town_code)]
    got = {}
    for k, (stage, buckets) in enumerate(_span_histogram(conn, f).items()):
        n = sum(buckets.values())
        if not n:
            continue
        span = kept.c[f"seconds_to_{stage}"]
        at = {}  # bucket → the middle ranks' places in it (0-based, in order)
        for rank in sorted({(n - 1) // 2, n // 2}):
            bucket, before = _bucket_of(buckets, rank)
            at.setdefault(bucket, []).append(rank - before)
        middle = []
        for bucket, places in at.items():
            inside = [span >= bound for bound in SPAN_BOUNDS[bucket - 1:bucket] if bucket] + [
                span < bound for bound in SPAN_BOUNDS[bucket:bucket + 1]]
            # OFFSET steps over every span before it: from the nearer end of the bucket
            after = buckets[bucket] - 1 - places[-1]
            order, skip = (span, places[0]) if places[0] <= after else (span.desc(), after)
            middle += conn.execute(db.through_index(
                select(span).where(span.is_not(None), *inside, *where).order_by(order)
                .limit(len(places)).offset(skip), kept, f"ix_ticket_states_to_{stage}")).scalars()
        got[k] = (sum(middle) / len(middle) / 3600.0, n)
    return got


def _bucket_of(buckets: dict[int, int], rank: int) -> tuple[int, int]:
    """(bucket, spans in the buckets below it) of the span of 0-based `rank` in order."""
    before = 0
    for bucket in sorted(buckets):
        if rank < before + buckets[bucket]:
            return bucket, before
        before += buckets[bucket]
    raise ValueError(f"rank {rank} beyond {before} spans")


def _span_histogram(conn: Connection, f: Filters) -> dict[str, dict[int, int]]:
    """Step → {bucket: spans} of the period's tickets (in the filtered town), as stored:
    span_rollup's whole months before as_of's day (the town's rows, or the district's:
    93,405 rows at 2M over the campaign for the towns, 5,563 for the district), and as_of's
    month so far where its row holds just those days (_month_is_whole_so_far); the other
    days from ticket_states."""
    r, kept = span_rollup.c, ticket_states.c
    stop, since, until = figures.rollup_split(f)
    month = f.as_of.date().replace(day=1)
    whole = _month_is_whole_so_far(conn, f, month)  # its row holds it: no states to read
    months, days = figures.cover(f.start, month if whole else stop)
    if whole:
        months = (months[0] if months else month, figures.next_month(month))
    ranges = [(datetime.combine(a, time()), datetime.combine(b, time())) for a, b in days]
    if not whole:
        ranges.append((since, until))  # as_of's day, up to as_of
    town = f.town(r.town_code) or [r.town_code == ""]  # the district's rows: the towns summed
    parts = [] if months is None else [
        select(r.stage, r.bucket, r.tickets).where(r.day >= months[0], r.day < months[1],
                                                  *town)]
    steps = {stage: kept[f"seconds_to_{stage}"] for stage in g.LOOP_STAGES[1:]}
    other_days = [db.through_index(  # a range of reports: SQLite would read a step's index
        select(*steps.values()).where(kept.reported_at >= a, kept.reported_at < b,
                                      *f.town(kept.town_code)),
        ticket_states, "ix_ticket_states_reported", conn) for a, b in ranges if a < b]
    if other_days:  # their rows read once, then counted for each step
        spans = union_all(*other_days).cte("spans")
        for stage, span in steps.items():
            bucket = span_bucket(spans.c[span.name])
            parts.append(select(literal(stage), bucket, func.count())
                         .where(spans.c[span.name].is_not(None)).group_by(bucket))
    out = {stage: {} for stage in g.LOOP_STAGES[1:]}
    if not parts:  # the period starts after as_of
        return out
    rows = union_all(*parts).subquery()
    for stage, bucket, n in conn.execute(select(rows.c[0], rows.c[1], func.sum(rows.c[2]))
                                         .group_by(rows.c[0], rows.c[1])):
        out[stage][int(bucket)] = int(n)
    return out


def _month_is_whole_so_far(conn: Connection, f: Filters, month) -> bool:
    """Whether span_rollup's row of as_of's `month` (its first day) counts exactly the stored states of the
    period reported that month before as_of (so that it answers those days, the most of a
    month that a long period ending today leaves to ticket_states): the period holds the
    month from its first day up to as_of, and no stored ticket is reported at or after
    as_of. Span_rollup counts the states as stored; the caller reads it while they hold."""
    return (f.start_at <= datetime.combine(month, time()) and f.end_before >= f.as_of
            and figures.every_report_known(conn, f.as_of))


def _computed_medians(conn: Connection, f: Filters) -> dict[int, tuple[float, int]]:
    """Step number → (median hours, tickets) from every ticket's state at as_of."""
    rows = summaries.every_ticket(conn, f)
    spans = [(span / literal(3600.0), span.is_not(None))
             for span in ts.loop_spans(rows.st, rows.t.reported_at).values()]
    cohort = [*f.period(rows.t.reported_at), *rows.where]
    if conn.dialect.name == "postgresql":  # one pass over the period's tickets
        db.sort_memory(conn, SORT_WORK_MEM)
        medians = conn.execute(select(*(
            agg for hours, took in spans
            for agg in (func.percentile_cont(0.5).within_group(hours).filter(took),
                        func.count().filter(took))))
            .select_from(rows.source).where(*cohort)).one()
        got = {k: (medians[2 * k], medians[2 * k + 1]) for k in range(len(spans))
               if medians[2 * k + 1]}
    else:  # the middle rows of each step's spans, by a window
        union = union_all(*(select(literal(k).label("step"), hours.label("hours"))
                            .select_from(rows.source).where(*cohort, took)
                            for k, (hours, took) in enumerate(spans))).subquery()
        ranked = select(union.c.step, union.c.hours,
                        func.row_number().over(partition_by=union.c.step,
                                               order_by=union.c.hours).label("rn"),
                        func.count().over(partition_by=union.c.step).label("n")).subquery()
        got = dict((step, (median, n)) for step, median, n in conn.execute(
            select(ranked.c.step, func.avg(ranked.c.hours), func.max(ranked.c.n))
            .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
            .group_by(ranked.c.step)).all())
    return {int(step): (float(median), int(n)) for step, (median, n) in got.items()}


def fetch_breakdown(conn: Connection, f: Filters, by: str) -> pd.DataFrame:
    """BREAKDOWN_FIGURES per value of one of BREAKDOWNS, for values with tickets reported
    in the period; largest first. Columns: key (str; None for tickets without a value, e.g.
    no 专班), collected, resolved, open, overdue (int), resolution_rate (0–1)."""
    return fetch_breakdowns(conn, ((by, f),))[by]


def fetch_breakdowns(conn: Connection, asked: tuple[tuple[str, Filters], ...]) -> dict:
    """fetch_breakdown for each (by, filters) of `asked` (问题流转's five charts, each with
    the other charts' choices): {by: frame}. The groupings asked with the same filters are
    computed together (figures.grouped_each: the tickets touched since as_of judged once).
    In the order asked."""
    unknown = [by for by, _ in asked if by not in BREAKDOWNS]
    if unknown:
        raise ValueError(f"未知的分组: {unknown[0]!r}")
    alike = {}
    for by, f in asked:
        alike.setdefault(f, []).append(by)
    out = {}
    for f, bys in alike.items():
        for by, got in figures.grouped_each(conn, f, dict.fromkeys(bys, BREAKDOWN_FIGURES)
                                            ).items():
            got = got[got["collected"] > 0]
            out[by] = got.sort_values(["collected", "key"], ascending=[False, True],
                                      ignore_index=True)
    return {by: out[by] for by, _ in asked}


def fetch_open_aging(conn: Connection, f: Filters) -> pd.DataFrame:
    """Open tickets at as_of by working days since the day they were reported.

    Columns: bucket (str, the AGING_BUCKETS labels in order), tickets (int), overdue (int).
    """
    rows = summaries.every_ticket(conn, f, only=ts.is_open)
    cal = load_calendar(conn)
    today = f.as_of.date()
    whens = [(rows.t.reported_at >= datetime.combine(cal.before(today, d), time()), label)
             for d, label in AGING_BUCKETS if d is not None]
    bucket = case(*whens, else_=AGING_BUCKETS[-1][1]).label("bucket")
    overdue = rows.t.due_at < f.as_of  # among the open: ts.is_overdue, on the index's columns
    got = fetch(conn, select(bucket, func.count(), count_if(overdue))
                .select_from(rows.source).where(*rows.where).group_by(bucket),
                {"bucket": "str", "tickets": "int", "overdue": "int"})
    labels = pd.DataFrame({"bucket": [label for _, label in AGING_BUCKETS]})
    out = labels.merge(got, on="bucket", how="left").fillna(0)
    return out.astype({"tickets": "int64", "overdue": "int64"})


def fetch_data_quality(conn: Connection, f: Filters) -> dict:
    """Inconsistent events among the period's tickets (counted, never fatal).

    Keys: before_report (events dated before the ticket's report), skipped_stage (resolved
    with no 派单 or no 接单 event), unknown_stage (events whose stage is not in the
    glossary), orphan_events (events of tickets that do not exist, whole database, as
    数据质量 counts them). The event findings of the tickets the last refresh saw in full
    are summed from ticket_states; the others' are counted from their events.
    """
    before, unknown = _event_findings(conn, f)
    rows = summaries.every_ticket(conn, f)
    skipped = conn.execute(select(func.count()).select_from(rows.source).where(
        *f.period(rows.t.reported_at), *rows.where, skipped_step(rows.st))).scalar()
    orphans = data_quality.count_found(conn, ticket_events, data_quality.MISSING_REFERENCE,
                                       f.as_of)
    return {"before_report": int(before or 0), "skipped_stage": int(skipped or 0),
            "unknown_stage": int(unknown or 0), "orphan_events": int(orphans or 0)}


def _event_findings(conn: Connection, f: Filters) -> tuple[int, int]:
    """(events before the report, events of an unknown stage) of the period's tickets, all
    their events counted (not only those before as_of)."""
    ev = ticket_events.c
    counted = (select(*ts.event_findings(tickets.c.reported_at).values()).select_from(
        ticket_events.join(tickets, tickets.c.id == ev.ticket_id))
        .where(*f.period(tickets.c.reported_at), *f.ticket_choices(tickets)))
    mark = ts.mark(conn)
    if not ts.USE_SUMMARIES or mark is None:
        return tuple(conn.execute(counted).one())
    kept = ticket_states.c
    stored = conn.execute(select(func.sum(kept.early_events), func.sum(kept.unknown_events))
                          .where(*f.period(kept.reported_at), *f.ticket_choices(ticket_states),
                                 has_event_findings(ticket_states),  # a partial index
                                 ts._seen(kept.ticket_id, mark))).one()
    # the tickets the refresh has not seen as they are (absent from ticket_states if new)
    unseen = conn.execute(counted.where(tickets.c.id.in_(ts.unseen(mark)))).one()
    return tuple((a or 0) + (b or 0) for a, b in zip(stored, unseen))
