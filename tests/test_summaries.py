"""The derived ticket states agree exactly with the raw tables, and figures read through them
equal figures computed from the events alone, at any as_of (both backends)."""

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import delete, false, func, insert, or_, select, update

from data_access import coverage, db, figures, meeting, summaries, ticket_flow, ticket_loop
from data_access import data_quality as dq
from data_access import glossary as g
from data_access import schema as s
from data_access import ticket_state as ts
from data_access.db import read_only_engine, writable_engine
from data_access.filters import Filters, local_now
from sample_data.scale import ScaledSample, load_scaled
from tests.conftest import BACKENDS, fresh_database_url
from tests.test_admin import ROLLUPS, in_key_order
from tests.test_data_quality import oracle_problems, statements_run

NOW = datetime(2026, 11, 25, 18)
STEPS = g.LOOP_STAGES[1:]  # the steps whose spans span_rollup counts
TICKET_CODES = [code for code, fig in figures.FIGURES.items() if fig.family == "tickets"]


@pytest.fixture(params=BACKENDS)
def scaled(request, tmp_path):
    """A scaled sample of 3,000 tickets over five years, loaded as load-sample does."""
    from data_access import admin

    url, drop = fresh_database_url(request.param, tmp_path)
    writer = writable_engine(url)
    admin.upgrade(writer)
    load_scaled(writer, NOW, 3_000, say=lambda _: None)
    yield url, writer
    writer.dispose()
    drop()


def stored(conn) -> list[tuple]:
    return [tuple(r) for r in conn.execute(
        select(*(s.ticket_states.c[c] for c in summaries.COLUMNS))
        .order_by(s.ticket_states.c.ticket_id)).all()]


def recomputed(conn) -> list[tuple]:
    """ticket_states as they should be: computed afresh from the raw tables."""
    query = summaries._rows().order_by(s.tickets.c.id)
    return [tuple(r) for r in conn.execute(query).all()]


def assert_agree(writer) -> None:
    with writer.connect() as conn:
        have, want = stored(conn), recomputed(conn)
        total = conn.execute(select(s.tickets.c.id)).all()
    assert len(have) == len(total)
    assert have == want


def figures_both_ways(url: str, filters: list[Filters]):
    engine = read_only_engine(url)
    out = []
    try:
        with engine.connect() as conn:
            for use in (True, False):
                ts.USE_SUMMARIES = use
                out.append([(figures.headline(conn, f, TICKET_CODES),
                             figures.grouped(conn, f, "town_code", TICKET_CODES),
                             ticket_flow.fetch_weekly_flow(conn, f),
                             ticket_loop.fetch_open_aging(conn, f),
                             meeting.fetch_longest_overdue(conn, f, n=100_000),
                             coverage.fetch_officer_coverage(conn, f),
                             ticket_loop.fetch_stage_hours(conn, f),
                             ticket_loop.fetch_data_quality(conn, f)) for f in filters])
    finally:
        ts.USE_SUMMARIES = True
        engine.dispose()
    return out


def several(as_ofs=None) -> list[Filters]:
    return [Filters.between(date(2022, 1, 1), date(2026, 11, 25), NOW),
            Filters.for_period("last_week", NOW),  # as_of: last Monday 00:00, the meeting's
            Filters.between(date(2024, 3, 1), date(2024, 5, 31), NOW),
            Filters.for_period("this_year", NOW, town_code="330203106000"),
            Filters.between(date(2026, 11, 1), date(2026, 11, 20), NOW, category="livelihood")]


def assert_same_figures(url: str) -> None:
    summarised, pure = figures_both_ways(url, several())
    for got, want in zip(summarised, pure):
        assert got[0] == want[0]
        assert got[-1] == want[-1]  # the data-quality findings
        *frames, hours = zip(got[1:-1], want[1:-1])
        for a, b in frames:
            assert a.equals(b)
        pd.testing.assert_frame_equal(*hours, check_exact=False, rtol=1e-12)


def rows_of(conn, table) -> list[tuple]:
    """A derived table's rows in the order of its key."""
    return [tuple(row) for row in conn.execute(
        select(table).order_by(*table.primary_key.columns)).all()]


def assert_rollup_agrees(writer) -> None:
    """ticket_rollup and ticket_unit_rollup as kept == rebuilt from scratch; the days count
    the raw tickets, the months and the towns' days are the sums of the days, the district's
    days the sums of the towns'; the units' months count the raw tickets of each grid cell,
    department and 专班 ('' for none); no unit row counts nothing."""
    derived = (s.ticket_rollup, s.ticket_unit_rollup)
    with writer.connect() as conn:
        have, have_units = (rows_of(conn, table) for table in derived)
        raw = conn.execute(select(s.tickets)).all()
    with writer.connect() as conn:
        rebuild = conn.begin()
        summaries.refresh_rollup(conn)
        want, want_units = (rows_of(conn, table) for table in derived)
        rebuild.rollback()
    assert have == want
    assert have_units == want_units
    codes = s.ROLLUP_COUNTS
    collected = codes.index("collected") + 6
    days = {(row[2], *row[3:6]): row[collected] for row in have
            if row[0] == "D" and row[1] == "reported"}
    assert days == dict(Counter((t.reported_at.date(), t.town_code, t.category, t.source)
                                for t in raw))
    months = Counter()
    for row in have:
        if row[0] == "D":
            for k, code in enumerate(codes):
                months[(row[1], row[2].replace(day=1), *row[3:6], code)] += row[6 + k]
    kept = {(row[1], row[2], *row[3:6], code): row[6 + k] for row in have if row[0] == "M"
            for k, code in enumerate(codes)}
    kept_keys = {k[:5] for k in kept}  # once: inside the comprehension it is quadratic
    assert kept == {key: n for key, n in months.items() if key[:5] in kept_keys}
    assert len(kept_keys) == len({k[:5] for k in months})
    towns = Counter()  # grain T: the days summed over categories and sources
    for row in have:
        if row[0] == "D":
            for k, code in enumerate(codes):
                towns[(row[1], row[2], row[3], code)] += row[6 + k]
    town_rows = [row for row in have if row[0] == "T"]
    assert all(row[4:6] == ("", "") for row in town_rows)
    town_keys = {row[1:4] for row in town_rows}
    assert {(*row[1:4], code): row[6 + k] for row in town_rows
            for k, code in enumerate(codes)} == {
        key: n for key, n in towns.items() if key[:3] in town_keys}
    assert len(town_keys) == len({k[:3] for k in towns})
    district = Counter()  # grain W: the towns' days summed over the towns
    for row in town_rows:
        for k, code in enumerate(codes):
            district[(row[1], row[2], code)] += row[6 + k]
    district_rows = [row for row in have if row[0] == "W"]
    assert all(row[3:6] == ("", "", "") for row in district_rows)
    district_keys = {row[1:3] for row in district_rows}
    assert {(*row[1:3], code): row[6 + k] for row in district_rows
            for k, code in enumerate(codes)} == {
        key: n for key, n in district.items() if key[:2] in district_keys}
    assert district_keys == {row[1:3] for row in town_rows}
    for unit in s.ROLLUP_UNITS:
        unit_months = {(row[3], row[4], row[5]): row[collected] for row in have_units
                       if row[0] == unit and row[1] == "reported" and row[2] == "M"}
        assert unit_months == dict(Counter((t.reported_at.date().replace(day=1), t.town_code,
                                            t._mapping[unit] or "") for t in raw)), unit
    years = Counter()  # grain Y: the months summed
    for row in have_units:
        if row[2] == "M":
            for k, code in enumerate(codes):
                years[(*row[:2], row[3].replace(month=1), *row[4:6], code)] += row[6 + k]
    year_rows = [row for row in have_units if row[2] == "Y"]
    assert all(row[3].month == 1 and row[3].day == 1 for row in year_rows)
    assert {(*row[:2], *row[3:6], code): row[6 + k] for row in year_rows
            for k, code in enumerate(codes)} == {key: n for key, n in years.items() if any(
                years[(*key[:-1], code)] for code in codes)}
    assert len({row[3].year for row in year_rows}) >= 5
    assert all(any(row[6:]) for row in have_units)
    assert_officer_rollup_agrees(writer)
    assert_span_rollup_agrees(writer)


def assert_span_rollup_agrees(writer) -> None:
    """span_rollup as kept == rebuilt from scratch == the stored spans of each step counted
    per month of report, town and bucket, and per month and bucket for the district ('')."""
    with writer.connect() as conn:
        have = rows_of(conn, s.span_rollup)
        k = s.ticket_states.c
        stored = conn.execute(select(k.reported_at, k.town_code, *(
            k[f"seconds_to_{stage}"] for stage in STEPS))).all()
    with writer.connect() as conn:
        rebuild = conn.begin()
        summaries.refresh_rollup(conn)
        assert rows_of(conn, s.span_rollup) == have
        rebuild.rollback()
    want = Counter((at.date().replace(day=1), town, stage, bisect_right(s.SPAN_BOUNDS, span))
                   for at, town, *spans in stored
                   for stage, span in zip(STEPS, spans) if span is not None)
    district = Counter()  # '' for the town: the towns summed
    for (month, _, stage, bucket), n in want.items():
        district[(month, "", stage, bucket)] += n
    assert {row[:4]: row[4] for row in have} == {**want, **district}
    assert len(want) > 100 and len(district) < len(want)


def assert_officer_rollup_agrees(writer, refreshed: bool = True) -> None:
    """officer_rollup as kept == rebuilt from scratch; its days count the raw visits, their
    problems and the tickets raised in them (by the visit's day, officer, the target's town
    and group; the tickets as the last refresh saw them, unless `refreshed`); its months are
    the sums of its days; no row counts nothing."""
    with writer.connect() as conn:
        assert summaries.visits_current(conn)  # it answers _raised
        have = rows_of(conn, s.officer_rollup)
        t, v, g = s.tickets.c, s.visits.c, s.targets.c
        raw = conn.execute(select(v.visited_at, v.officer_id, g.town_code, g.kind, g.above_scale)
                           .select_from(s.tickets.join(s.visits, v.id == t.visit_id)
                                        .join(s.targets, g.id == v.target_id))).all()
        visited = conn.execute(select(v.visited_at, v.officer_id, g.town_code, g.kind,
                                      g.above_scale, v.problems_raised)
                               .select_from(s.visits.join(s.targets, g.id == v.target_id))
                               ).all()
    with writer.connect() as conn:
        rebuild = conn.begin()
        summaries.refresh_officer_rollup(conn)
        want = rows_of(conn, s.officer_rollup)
        rebuild.rollback()
    assert have == want
    assert raw and all(any(row[5:]) for row in have)
    group = {True: "above_scale"}

    def key(at, officer, town, kind, above):
        return (at.date(), officer, town or "", group.get(kind == "enterprise" and above, kind))

    days = {row[1:5]: row[5:] for row in have if row[0] == "D"}
    made = Counter(key(*row[:5]) for row in visited)
    problems = Counter()
    for row in visited:
        problems[key(*row[:5])] += max(row[5] or 0, 0)  # negative counts left out
    assert {k: counts[:2] for k, counts in days.items() if counts[0]} == {
        k: (n, problems[k]) for k, n in made.items()}
    if refreshed:  # no ticket written since the refresh
        assert {k: counts[2] for k, counts in days.items() if counts[2]} == dict(Counter(
            key(*row) for row in raw))
    months = {}
    for row in have:
        if row[0] == "D":
            month = (row[1].replace(day=1), *row[2:5])
            months[month] = tuple(a + b for a, b in zip(months.get(month, (0,) * 4), row[5:]))
    assert {row[1:5]: row[5:] for row in have if row[0] == "M"} == months


def findings_rows(conn) -> Counter:
    q = s.quality_findings.c
    return Counter(tuple(row) for row in conn.execute(select(
        q.table_name, q.problem, q.column_name, q.ticket_id, q.after, q.found)))


def assert_findings_agree(writer) -> None:
    """quality_findings as kept == rebuilt from scratch; 数据质量 read through them == each
    check run on its own, now (the future rows kept) and at the load's NOW (before the
    start of the refresh's day: counted from the tables), without scanning the large
    tables."""
    with writer.connect() as conn:
        have = findings_rows(conn)
    with writer.connect() as conn:
        rebuild = conn.begin()
        dq.refresh_findings(conn, None, None, 0)
        want = findings_rows(conn)
        rebuild.rollback()
    assert have == want
    with writer.connect() as conn:
        for now in (local_now(), NOW):
            assert dq.kept(conn, now) is not None
            pd.testing.assert_frame_equal(dq.fetch_problems(conn, now),
                                          oracle_problems(conn, now))
        run = statements_run(conn, lambda c: dq.fetch_problems(c, local_now()))
    assert not [sql for sql, _ in run if "FILTER" in sql
                and re.search(r"\bFROM (tickets|ticket_events|visits)\b", sql)]


FEW_CODES = [["collected", "resolved"], ["overdue"], ["soon_due", "open"],
             ["repeat_reported"], ["evaluations", "satisfied", "resolved_in_period"]]


OFFICER_SLICES = [{}, {"level": "town_cadre"}, {"target_group": "above_scale"},
                  {"level": "district_leader", "target_group": "village"}]


def rollup_filters() -> list[Filters]:
    """Filters whose ticket figures come from the rollup: now (mid-day), last week (as_of on
    Monday 00:00), a past as_of at noon, a town, a past period of days, months and a whole
    year (the units' year rows), a category, a source."""
    noon = datetime(2026, 11, 20, 12, 30)
    return [Filters.between(date(2022, 1, 1), date(2026, 11, 25), NOW),
            Filters.for_period("last_week", NOW),
            Filters.between(date(2026, 10, 3), date(2026, 11, 20), noon),
            Filters.between(date(2026, 1, 1), date(2026, 11, 25), NOW, town_code="330203106000"),
            Filters.between(date(2023, 7, 10), date(2025, 3, 5), NOW),  # days, months, a year
            Filters.between(date(2025, 2, 14), date(2026, 11, 25), NOW, category="livelihood"),
            Filters.between(date(2026, 11, 1), date(2026, 11, 20), noon, source="hotline_81890")]


def assert_rollup_figures_exact(url: str) -> None:
    """Through the rollup (which these filters must use) == from the events alone."""
    engine = read_only_engine(url)
    try:
        with engine.connect() as conn:
            for f in rollup_filters():
                assert figures.rollup_usable(conn, f, None), f
                assert figures.rollup_usable(conn, f, "town_code"), f
                units = [] if f.category or f.source else s.ROLLUP_UNITS  # kept by town only
                assert all(figures.rollup_usable(conn, f, by) for by in units), f
                groupings = ["town_code", "category", "source", *units]
                ts.USE_SUMMARIES = True
                fast = [figures.headline(conn, f, TICKET_CODES)] + [
                    figures.grouped(conn, f, by, TICKET_CODES) for by in groupings]
                # every grouping at once: one correction, grouped by all of them, summed
                together = figures.grouped_each(conn, f, dict.fromkeys(groupings, TICKET_CODES))
                ts.USE_SUMMARIES = False
                slow = [figures.headline(conn, f, TICKET_CODES)] + [
                    figures.grouped(conn, f, by, TICKET_CODES) for by in groupings]
                ts.USE_SUMMARIES = True
                assert fast[0] == slow[0], f
                for few in FEW_CODES:  # the rollup corrects only the tickets these may move
                    assert figures.headline(conn, f, few) == {c: slow[0][c] for c in few}, few
                for by, a, b in zip(groupings, fast[1:], slow[1:]):
                    assert a.equals(b), (f, a, b)
                    assert together[by].equals(b), (f, by, together[by], b)
                assert_daily_exact(conn, f)
    finally:
        ts.USE_SUMMARIES = True
        engine.dispose()
    assert_headlines_share_the_correction(url)
    assert_officers_exact(url)
    assert_reports_read_alone_exact(url)


def assert_daily_exact(conn, f: Filters) -> None:
    """The period's counts per day through ticket_rollup's days (figures.daily, the moved
    tickets corrected) == per day from the events alone."""
    assert figures.daily(conn, f, ["collected"]) is not None, f
    ts.USE_SUMMARIES = False
    try:
        slow = ticket_flow.fetch_daily_flow(conn, f)
    finally:
        ts.USE_SUMMARIES = True
    fast = ticket_flow.fetch_daily_flow(conn, f)
    assert len(slow) > 0
    pd.testing.assert_frame_equal(fast, slow, obj=str(f))


REPORT_CODES = ["collected", "resolved", "resolution_rate", "on_time_rate", "repeat_reported",
                "signed_off", "bounced", "reopened"]


def assert_reports_read_alone_exact(url: str) -> None:
    """A short period's figures over its reports alone (grouped reported_only: ticket_rows
    judges only the period's reports, those touched since as_of from their events) == the
    figures from the events alone, for every unit with a report in the period."""
    noon = datetime(2026, 11, 20, 12, 30)
    periods = [Filters.for_period("last_week", NOW),
               Filters.between(date(2026, 11, 14), date(2026, 11, 20), noon),
               Filters.between(date(2026, 11, 7), date(2026, 11, 20), noon,
                               town_code="330203106000")]
    engine = read_only_engine(url)
    try:
        with engine.connect() as conn:
            kept = s.ticket_states.c
            touched = conn.execute(select(func.count()).where(  # some judged from events
                *periods[1].period(kept.reported_at), kept.last_event_at >= noon)).scalar()
            assert touched > 0
            for f in periods:
                assert f.days <= figures.FEW_REPORT_DAYS
                for by in ("town_code", "department", "task_force", "grid_cell_code"):
                    ts.USE_SUMMARIES = True
                    fast = figures.grouped(conn, f, by, REPORT_CODES, reported_only=True)
                    ts.USE_SUMMARIES = False
                    slow = figures.grouped(conn, f, by, REPORT_CODES)
                    ts.USE_SUMMARIES = True
                    fast = fast[fast["collected"] > 0].reset_index(drop=True)
                    slow = slow[slow["collected"] > 0].reset_index(drop=True)
                    assert len(slow) > 0 and fast.equals(slow), (f, by, fast, slow)
    finally:
        ts.USE_SUMMARIES = True
        engine.dispose()


def assert_headlines_share_the_correction(url: str) -> None:
    """figures.headlines over the rollup filters and the last week of each: the periods judged
    alike (same as_of and choices) find their moved tickets once, and every period's figures
    equal its figures from the events alone."""
    periods = [p for f in rollup_filters()
               for p in (f, replace(f, start=max(f.start, f.end - timedelta(days=6))))]
    engine = read_only_engine(url)
    real, found = figures._moved, []
    try:
        with engine.connect() as conn:
            ts.USE_SUMMARIES = False
            slow = [figures.headline(conn, p, TICKET_CODES) for p in periods]
            ts.USE_SUMMARIES = True
            figures._moved = lambda f, *rest, **kw: found.append(f) or real(f, *rest, **kw)
            fast = figures.headlines(conn, periods, TICKET_CODES)
    finally:
        figures._moved = real
        ts.USE_SUMMARIES = True
        engine.dispose()
    alike = {figures.same_judgement(p) for p in periods}
    assert len(found) == len(alike) < len(periods)
    for p, a, b in zip(periods, fast, slow):
        assert pd.Series(a).equals(pd.Series(b)), (p, a, b)


def assert_officers_exact(url: str) -> None:
    """走访覆盖's officers (their tickets raised: officer_rollup, while visits_current) for
    the rollup's filters and several slices == from the events alone."""
    with read_only_engine(url).connect() as conn:
        for f in rollup_filters():
            for chosen in OFFICER_SLICES:
                fast, slow = (_officers(conn, f, chosen, use) for use in (True, False))
                assert chosen or fast["tickets"].sum() > 0, f
                pd.testing.assert_frame_equal(fast, slow, obj=f"{f} {chosen}")


def _officers(conn, f: Filters, chosen: dict, use_summaries: bool) -> pd.DataFrame:
    ts.USE_SUMMARIES = use_summaries
    try:
        return coverage.fetch_officer_coverage(conn, f, **chosen)
    finally:
        ts.USE_SUMMARIES = True


def test_the_load_writes_every_tickets_state_as_the_events_give_it(scaled):
    url, writer = scaled
    assert_agree(writer)
    assert_rollup_agrees(writer)
    assert_findings_agree(writer)
    with writer.connect() as conn:
        assert summaries.is_refreshed(conn) and summaries.status(conn) is None


def test_figures_read_through_the_states_equal_figures_from_the_events(scaled):
    url, _ = scaled
    with read_only_engine(url).connect() as conn:  # the stored spans answer the medians now
        assert summaries.states_hold(conn, several()[0])
        assert not summaries.states_hold(conn, several()[1])  # events after last Monday
    assert_same_figures(url)


def test_the_medians_through_span_rollup_equal_the_medians_from_the_events(scaled,
                                                                           monkeypatch):
    url, _ = scaled
    taken, bucketed = [], ticket_loop._bucketed_medians
    monkeypatch.setattr(ticket_loop, "_bucketed_medians",
                        lambda *a: taken.append(1) or bucketed(*a))
    # up to now (states hold): whole months, a month cut, a town, as_of's month, its day
    filters = [Filters.between(date(2022, 1, 1), date(2026, 11, 25), NOW),
               Filters.between(date(2025, 3, 17), date(2026, 11, 25), NOW),
               Filters.between(date(2024, 6, 1), date(2026, 11, 25), NOW,
                               town_code="330203106000"),
               Filters.between(date(2026, 11, 1), date(2026, 11, 25), NOW),
               Filters.between(date(2026, 11, 25), date(2026, 11, 30), NOW)]
    with read_only_engine(url).connect() as conn:
        for f in filters:
            assert summaries.states_hold(conn, f)
            fast = ticket_loop.fetch_stage_hours(conn, f)
            ts.USE_SUMMARIES = False
            try:
                slow = ticket_loop.fetch_stage_hours(conn, f)
            finally:
                ts.USE_SUMMARIES = True
            pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-12, obj=str(f))
            assert f.start == NOW.date() or slow["tickets"].sum() > 0
    assert len(taken) == len(filters)


def test_the_load_writes_the_rollups_in_the_order_of_their_keys(scaled):
    """The refresh fills each rollup in the order of its key, so a range of days is a run of
    pages (on PostgreSQL, a page a row: 20 ms instead of 1.5 ms for a month's days at 2M)."""
    url, writer = scaled
    with writer.connect() as conn:
        for table, fixed in ROLLUPS.items():
            assert in_key_order(conn, table, fixed), table.name


def test_figures_through_the_rollup_equal_figures_from_the_events(scaled):
    url, writer = scaled
    add_split_day_edges(writer)
    assert_rollup_figures_exact(url)
    add_cutoff_edges(writer)
    add_window_edges(writer)
    add_window_edges(writer, figures.week_ago_cutoffs(NOW)[1] + EARLIER, "V", ("E", "W"))
    assert_kept_corrections_exact(url, writer)
    assert_longest_overdue_exact(url)


def test_a_refresh_after_the_cut_offs_follows_their_kept_correction(scaled, monkeypatch):
    """A refresh whose changes all lie at or after the kept cut-offs (a day's new tickets and
    events, the 办结 of an older ticket) brings their correction up to date by the rollup's
    changes, without computing it anew: the rows equal a computation anew, and the figures
    at the cut-offs the events alone. An event dated before the latest cut-off (not before
    the earlier) makes the refresh compute the latest's anew, and follow the earlier's."""
    url, writer = scaled
    monkeypatch.setattr(summaries, "local_now", lambda: NOW)
    cutoffs = meeting.kept_cutoffs(NOW)
    with writer.begin() as conn:
        summaries.refresh(conn)  # nothing new: keeps NOW's cut-offs
        assert figures.cutoffs_kept(conn) == kept_cutoffs()
    computed, real = [], figures.correction_rows
    monkeypatch.setattr(figures, "correction_rows", lambda conn, as_of, mark: (
        computed.append(as_of) or real(conn, as_of, mark)))
    t = s.tickets.c
    with writer.begin() as conn:
        row = conn.execute(select(s.tickets).where(t.visit_id.is_(None)).order_by(t.id)
                           .limit(1)).one()._asdict()
        for k in range(5):  # a day's new tickets
            at = datetime(2026, 11, 25, 9 + k)
            conn.execute(insert(s.tickets).values({**row, "id": f"F000000{k}", "reported_at": at,
                                                   "due_at": at + timedelta(days=3)}))
            conn.execute(insert(s.ticket_events).values(
                [{"ticket_id": f"F000000{k}", "stage": "reported", "at": at},
                 {"ticket_id": f"F000000{k}", "stage": "dispatched",
                  "at": at + timedelta(minutes=30)}]))
        old = conn.execute(select(s.ticket_states.c.ticket_id).where(
            s.ticket_states.c.accepted_at.is_not(None), s.ticket_states.c.resolved_at.is_(None),
            s.ticket_states.c.reported_at < min(cutoffs)).limit(1)).scalar()
        conn.execute(insert(s.ticket_events).values(ticket_id=old, stage="resolved",
                                                    at=datetime(2026, 11, 25, 17)))
    with writer.begin() as conn:
        assert summaries.refresh(conn) >= 6
    assert computed == []
    assert_kept_rows_as_computed(writer)
    assert_kept_corrections_exact(url, writer, keep=False)
    computed.clear()  # (the comparison above computed both)
    with writer.begin() as conn:  # an event between the two cut-offs
        conn.execute(insert(s.ticket_events).values(ticket_id=old, stage="supervised",
                                                    at=cutoffs[0] - timedelta(days=2)))
    with writer.begin() as conn:
        summaries.refresh(conn)
    assert computed == [cutoffs[0]]
    assert_kept_rows_as_computed(writer)
    assert_kept_corrections_exact(url, writer, keep=False)


def assert_kept_rows_as_computed(writer) -> None:
    """cutoff_corrections and cutoff_reports as kept == computed anew for the same cut-offs."""
    with writer.connect() as conn:
        have = [rows_of(conn, table) for table in (s.cutoff_corrections, s.cutoff_reports)]
        cutoffs = figures.cutoffs_kept(conn)
        figures.keep_corrections(conn, cutoffs, meetings=figures.reports_kept(conn))
        assert [rows_of(conn, table) for table in (s.cutoff_corrections, s.cutoff_reports)
                ] == have
        conn.rollback()
    assert len({row[0] for row in have[0]}) == len(kept_cutoffs())
    assert {row[0] for row in have[1]} == set(meeting.kept_cutoffs(NOW))


def add_cutoff_edges(writer) -> None:
    """Tickets at the edges of the latest kept cut-off, then a refresh: E0000001 open and due
    half an hour before it (超期未办结 then, on the cut-off's own day); E0000002 reported and
    resolved in the week before it, first reported again (E0000003: same grid cell and
    category) the day after it (not yet a repeat report at the cut-off)."""
    cutoff = meeting.kept_cutoffs(NOW)[0]
    with writer.begin() as conn:
        row = conn.execute(select(s.tickets).where(s.tickets.c.visit_id.is_(None))
                           .order_by(s.tickets.c.id).limit(1)).one()._asdict()
        for key, reported, due in (("E0000001", -6, timedelta(minutes=-30)),
                                   ("E0000002", -5, timedelta(days=3)),
                                   ("E0000003", 1, timedelta(days=5))):
            at = cutoff + timedelta(days=reported)
            conn.execute(insert(s.tickets).values({**row, "id": key, "reported_at": at,
                                                   "due_at": cutoff + due, "satisfaction": None}))
            conn.execute(insert(s.ticket_events).values(ticket_id=key, stage="reported", at=at))
        conn.execute(insert(s.ticket_events).values(ticket_id="E0000002", stage="resolved",
                                                    at=cutoff - timedelta(days=4)))
    with writer.begin() as conn:
        summaries.refresh(conn)
        kept = s.ticket_states.c
        assert conn.execute(select(kept.repeat_reported_at).where(
            kept.ticket_id == "E0000002")).scalar() == cutoff + timedelta(days=1)


def add_split_day_edges(writer) -> None:
    """Open tickets due on the day of rollup_filters' noon, before it (figures._split_days),
    then a refresh: S1 untouched since (超期未办结 at noon by its stored state), S2 督办 the
    next day (one of the moved tickets, counted once)."""
    noon = datetime(2026, 11, 20, 12, 30)
    t = s.tickets.c
    with writer.begin() as conn:
        row = conn.execute(select(s.tickets).where(t.visit_id.is_(None)).order_by(t.id)
                           .limit(1)).one()._asdict()
        for key, due, later in (("S1", 9, []), ("S2", 10, [("supervised", noon + timedelta(1))])):
            at = datetime(2026, 11, 10, 9)
            conn.execute(insert(s.tickets).values({**row, "id": key, "reported_at": at,
                                                   "due_at": noon.replace(hour=due, minute=0)}))
            conn.execute(insert(s.ticket_events).values(
                [{"ticket_id": key, "stage": "reported", "at": at},
                 {"ticket_id": key, "stage": "dispatched", "at": at + timedelta(hours=1)}]
                + [{"ticket_id": key, "stage": stage, "at": when} for stage, when in later]))
    with writer.begin() as conn:
        summaries.refresh(conn)


def add_window_edges(writer, start: datetime | None = None, prefix: str = "W",
                     avoid: tuple[str, ...] = ()) -> None:
    """Tickets whose counts change in the hours after `start` (figures.changed_between), then
    a refresh. By default `start` is the latest meeting's cut-off K (the window up to LATER
    that day); the window before a week ago's kept moment (EARLIER) is another. W1 resolved then; W2
    reported then; W3 open and due then; W4 resolved before, reported again then (W2), its
    state final; W5 resolved before, reported again then (W6), reopened and resolved again
    the next day (its stored first repeat is none: only its state in the window knows W6);
    W7 open and due two hours before `start`. Their grid cells and categories are those of
    the two newest tickets with two different ones and none of the tickets whose ids
    begin with `avoid` (added by another edge)."""
    start = start or meeting.kept_cutoffs(NOW)[0]
    t = s.tickets.c
    with writer.begin() as conn:
        taken = set(conn.execute(select(t.grid_cell_code, t.category).where(
            or_(false(), *(t.id.startswith(key) for key in avoid)))).all())
        rows = []
        for row in conn.execute(select(s.tickets).where(t.visit_id.is_(None))
                                .order_by(t.id.desc())).mappings():
            if (row["grid_cell_code"], row["category"]) not in taken:
                taken.add((row["grid_cell_code"], row["category"]))
                rows.append(dict(row))
                if len(rows) == 2:
                    break
        first, other = rows
        hours = timedelta(hours=1)
        tickets = [("1", first, -10 * 24, 30 * 24, [("resolved", 2)]),
                   ("2", first, 1, 30 * 24, []),
                   ("3", first, -5 * 24, 3, []),
                   ("4", first, -20 * 24, 30 * 24, [("resolved", -5 * 24)]),
                   ("5", other, -20 * 24, 30 * 24, [("resolved", -3 * 24), ("reopened", 24),
                                                     ("resolved", 25)]),
                   ("6", other, 4, 30 * 24, []),
                   ("7", other, -6 * 24, -2, [])]
        for key, row, reported, due, events in tickets:
            at = start + reported * hours
            conn.execute(insert(s.tickets).values({**row, "id": prefix + key, "reported_at": at,
                                                   "due_at": start + due * hours}))
            conn.execute(insert(s.ticket_events).values(
                [{"ticket_id": prefix + key, "stage": "reported", "at": at}]
                + [{"ticket_id": prefix + key, "stage": stage, "at": start + h * hours}
                   for stage, h in events]))
    with writer.begin() as conn:
        summaries.refresh(conn)
        kept = s.ticket_states.c
        repeats = dict(conn.execute(select(kept.ticket_id, kept.repeat_reported_at)
                                    .where(kept.ticket_id.in_([prefix + "4", prefix + "5"]))).all())
    assert repeats == {prefix + "4": start + hours, prefix + "5": None}


def test_the_refresh_keeps_the_correction_at_the_last_two_meetings_cut_offs(scaled):
    url, writer = scaled
    with writer.connect() as conn:
        kept = db.meta_value(conn, figures.KEPT_AT)
    now = local_now()
    assert kept == ",".join(c.isoformat() for c in sorted(
        meeting.kept_cutoffs(now) + figures.week_ago_cutoffs(now)))
    assert figures.week_ago_cutoffs(datetime(2026, 11, 25, 0, 5)) == [
        datetime(2026, 11, 18, 13), datetime(2026, 11, 19, 13)]
    monday = datetime(2026, 11, 23)
    assert meeting.kept_cutoffs(monday.replace(hour=8)) == [datetime(2026, 11, 16, 9),
                                                           datetime(2026, 11, 9, 9)]
    assert meeting.kept_cutoffs(monday.replace(hour=10)) == [datetime(2026, 11, 23, 9),
                                                            datetime(2026, 11, 16, 9)]
    assert meeting.kept_cutoffs(datetime(2026, 11, 29, 23)) == meeting.kept_cutoffs(
        monday.replace(hour=9))


KEPT_CODES = [c for c in TICKET_CODES if c != "soon_due"]  # soon_due: not kept


def kept_cutoffs() -> list[datetime]:
    """The cut-offs a refresh at NOW keeps: the last two meetings' and a week ago's moments."""
    return sorted(meeting.kept_cutoffs(NOW) + figures.week_ago_cutoffs(NOW))


LATER = timedelta(hours=7, minutes=30)  # a moment later on a kept cut-off's day
# a moment before a kept cut-off on its day, nearer to it than to any other (a meeting's
# 04:30, a week ago's 08:30)
EARLIER = timedelta(hours=-4, minutes=-30)


def kept_periods(later: timedelta = timedelta(0)) -> list[Filters]:
    """Periods judged at the last two meetings' cut-offs before NOW and a week ago's moments
    (`later` than each): each one's week, its campaign, a town's week, a category's
    fortnight and a source's month."""
    out = []
    for cutoff in kept_cutoffs():
        week = meeting.week_filters(cutoff.date() - timedelta(days=7), cutoff + later)
        out += [week, replace(week, start=date(2022, 1, 1)), week.with_town("330203106000"),
                replace(week, start=week.start - timedelta(days=7), category="livelihood"),
                replace(week, start=week.end - timedelta(days=30), source="hotline_81890")]
    return out


def assert_kept_corrections_exact(url: str, writer, kept: bool = True,
                                  keep: bool = True) -> None:
    """At the cut-offs a refresh at NOW keeps (kept_cutoffs), kept by keep_corrections here
    (unless `keep` is False: kept before, by a refresh; or `kept` is False: then written
    before the outside writes that make them unusable), LATER and EARLIER on their days,
    and far from a week ago's (half past midnight on its day; 23:00 the day before, which
    starts from that day's, not the next day's), the ticket figures and the meeting's
    comparison equal the figures from the events alone; while kept, they are read from
    cutoff_corrections and their change to as_of, forward or back (no moved ticket is
    looked for)."""
    cutoffs = kept_cutoffs()
    periods = kept_periods() + kept_periods(LATER) + kept_periods(EARLIER)
    offsets = [timedelta(0), LATER, EARLIER]
    starts = [p.as_of - offsets[i // len(kept_periods())] for i, p in enumerate(periods)]
    week_ago = figures.week_ago_cutoffs(NOW)
    for moment, start in ((week_ago[1].replace(hour=0, minute=30), week_ago[1]),
                          (week_ago[1] - timedelta(hours=14), week_ago[0])):
        periods.append(replace(periods[0], start=moment.date() - timedelta(days=6),
                               end=moment.date(), as_of=moment))
        starts.append(start)
    if kept and keep:
        with writer.begin() as conn:
            assert figures.keep_corrections(conn, cutoffs,
                                            meetings=meeting.kept_cutoffs(NOW)) == cutoffs
    assert_kept_boards_exact(url, kept)
    engine = read_only_engine(url)
    real, found = figures._moved, []
    try:
        with engine.connect() as conn:
            mark = ts.mark(conn)
            assert [figures.correction_kept_from(conn, p, mark, KEPT_CODES) for p in periods
                    ] == [start if kept else None for start in starts]
            assert figures.correction_kept_from(conn, periods[0], mark, ["soon_due"]) is None
            ts.USE_SUMMARIES = False
            slow = [figures.headline(conn, p, TICKET_CODES) for p in periods]
            slow_meeting = meeting.fetch_comparison(conn, periods[0])  # its last week: the 2nd
            ts.USE_SUMMARIES = True
            figures._moved = lambda f, *rest, **kw: found.append(f) or real(f, *rest, **kw)
            fast = figures.headlines(conn, periods, KEPT_CODES)
            assert bool(found) != kept  # read from cutoff_corrections while kept
            fast_meeting = meeting.fetch_comparison(conn, periods[0])
            with_soon = figures.headlines(conn, periods, ["soon_due"])  # corrected as before
    finally:
        figures._moved = real
        ts.USE_SUMMARIES = True
        engine.dispose()
    for p, a, b, c in zip(periods, fast, slow, with_soon):
        assert a == {code: b[code] for code in KEPT_CODES}, p
        assert c == {"soon_due": b["soon_due"]}, p
    assert sum(b["overdue"] > 0 and b["collected"] > 0 for b in slow) >= 8
    pd.testing.assert_frame_equal(fast_meeting, slow_meeting)
    with read_only_engine(url).connect() as conn:  # the cut-offs' moved tickets are many
        moved = conn.execute(select(func.count()).where(
            s.ticket_states.c.last_event_at >= min(cutoffs))).scalar()
    assert moved >= 20


def assert_kept_boards_exact(url: str, kept: bool) -> None:
    """The weeks before the last two meetings' cut-offs (the district's and a town's): their
    reports' counts per town and department, and 周例会's boards, equal those from the events
    alone; while kept, no week's reports are read at those cut-offs (cutoff_reports answers;
    the latest's last week is the earlier's)."""
    meetings = meeting.kept_cutoffs(NOW)
    weeks = [meeting.week_filters(cutoff.date() - timedelta(days=7), cutoff, town)
             for cutoff in meetings for town in (None, "330203106000")]
    codes = {"town_code": figures.COHORT_COUNTS, "department": ["collected", "on_time"]}
    engine = read_only_engine(url)
    real, read = summaries.every_ticket, []

    def both(conn, week):
        return (figures.grouped_each(conn, week, codes, reported_only=True),
                meeting.fetch_boards(conn, week))

    try:
        with engine.connect() as conn:
            ts.USE_SUMMARIES = False
            slow = [both(conn, week) for week in weeks]
            ts.USE_SUMMARIES = True
            summaries.every_ticket = lambda c, f, **kw: read.append(f.as_of) or real(c, f, **kw)
            fast = [both(conn, week) for week in weeks]
    finally:
        summaries.every_ticket = real
        ts.USE_SUMMARIES = True
        engine.dispose()
    assert bool(set(read) & set(meetings)) != kept
    for week, a, b in zip(weeks, fast, slow):
        for got, want in zip(a, b):
            assert got.keys() == want.keys()
            for key in want:
                pd.testing.assert_frame_equal(got[key], want[key], obj=f"{week} {key}")
    for counts, _ in slow[::2]:  # the district's weeks: several towns and departments
        assert counts["town_code"]["collected"].sum() >= 5
        assert (counts["department"]["collected"] > 0).sum() >= 3


def new_day(first: int):
    sample = ScaledSample(NOW, 200)
    sample.visits()
    frame, events = sample.tickets(first, 200)
    frame["visit_id"] = None
    return frame, events


def test_an_incremental_import_and_changed_old_tickets_keep_states_exact(scaled):
    from sample_data.scale import EVENT_COLUMNS, _write

    url, writer = scaled
    frame, events = new_day(50_000)
    with writer.begin() as conn:
        recent = conn.execute(select(s.visits.c.id).where(
            s.visits.c.visited_at >= datetime(2026, 11, 10)).order_by(s.visits.c.id)).scalars()
        raised = frame.index[frame["source"] == "visit"]
        frame.loc[raised, "visit_id"] = (list(recent) * len(raised))[:len(raised)]
        assert len(raised) > 0
        _write(conn, "tickets", frame, list(frame.columns))
        _write(conn, "ticket_events", events, EVENT_COLUMNS)
        # an old ticket changes: reopened now
        old = conn.execute(select(s.tickets.c.id).order_by(s.tickets.c.id).limit(2)).scalars()
        first, second = list(old)
        conn.execute(insert(s.ticket_events).values(ticket_id=first, stage="reopened",
                                                    at=datetime(2026, 11, 25, 17)))
        # and two data-quality findings: an event dated before its report, an unknown stage
        conn.execute(insert(s.ticket_events).values(ticket_id=first, stage="coordinated",
                                                    at=datetime(2020, 1, 1, 8)))
        conn.execute(insert(s.ticket_events).values(ticket_id=second, stage="挂起",
                                                    at=datetime(2026, 11, 25, 16)))
    with writer.connect() as conn:
        assert "新记录未汇总" in summaries.status(conn)
        assert not ts.mark(conn).complete  # each stored ticket is checked for unseen events
    # before the refresh, figures stay exact: unseen events are recomputed from the raw table
    # (and so are the repeat reports the new tickets make of stored ones)
    summarised, pure = figures_both_ways(url, several()[:2])
    assert [x[0] for x in summarised] == [x[0] for x in pure]
    assert [x[-1] for x in summarised] == [x[-1] for x in pure]  # data-quality findings
    assert pure[0][-1]["before_report"] and pure[0][-1]["unknown_stage"]
    with read_only_engine(url).connect() as conn:
        for f, want in zip(several()[:2], pure):
            for few in FEW_CODES:
                assert figures.headline(conn, f, few) == {c: want[0][c] for c in few}, few
    with writer.begin() as conn:
        # another moves to another town and category, and to another visit: an import names
        # it to the refresh
        visit = conn.execute(select(s.visits.c.id).where(
            s.visits.c.visited_at >= datetime(2026, 11, 2)).limit(1)).scalar()
        conn.execute(update(s.tickets).where(s.tickets.c.id == second).values(
            town_code="330203106000", category="livelihood", satisfaction=None,
            visit_id=visit))
    with writer.begin() as conn:
        rewritten = summaries.refresh(conn, ticket_ids=[second])
    assert rewritten >= len(set(events["ticket_id"]) | {first, second})  # and neighbours
    with writer.connect() as conn:
        assert ts.mark(conn).complete  # no check per stored ticket
    assert_agree(writer)
    assert_same_figures(url)
    assert_rollup_agrees(writer)
    assert_rollup_figures_exact(url)
    assert_kept_corrections_exact(url, writer)
    assert_findings_agree(writer)
    with writer.connect() as conn:
        assert {"时间顺序颠倒", "代码不在词表中"} <= set(dq.fetch_problems(conn, NOW)["problem"])
    with writer.begin() as conn:  # a stored ticket with findings gets an event not yet seen
        conn.execute(insert(s.ticket_events).values(ticket_id=first, stage="supervised",
                                                    at=datetime(2026, 11, 25, 17, 30)))
    summarised, pure = figures_both_ways(url, several()[:1])
    assert summarised[0][-1] == pure[0][-1]


def test_tickets_other_programs_write_are_found_by_the_next_refresh(scaled):
    """Without naming them to the refresh: tickets inserted without events, an old ticket
    moved to another town and category, one deleted (with its events), one whose events'
    times are corrected, one that loses its events, then one whose id changes; the triggers
    note them in ticket_changes, and the refresh empties it."""
    url, writer = scaled
    with writer.begin() as conn:  # kept before the writes: they make it unusable
        figures.keep_corrections(conn, kept_cutoffs(), meetings=meeting.kept_cutoffs(NOW))
    with writer.begin() as conn:
        first, second, third, fourth = conn.execute(
            select(s.tickets.c.id).order_by(s.tickets.c.id).limit(4)).scalars()
        row = conn.execute(select(s.tickets).where(s.tickets.c.id == first)).one()._asdict()
        conn.execute(insert(s.tickets).values({**row, "id": "N0000001", "satisfaction": 9}))
        conn.execute(update(s.tickets).where(s.tickets.c.id == first).values(
            town_code="330203106000", category="livelihood"))
        conn.execute(delete(s.ticket_events).where(s.ticket_events.c.ticket_id == second))
        conn.execute(delete(s.tickets).where(s.tickets.c.id == second))
        conn.execute(insert(s.tickets).values({**row, "id": "N0000002"}))
        conn.execute(insert(s.tickets).values({  # last week's, no event yet
            **row, "id": "N0000009", "reported_at": datetime(2026, 11, 18, 10),
            "due_at": datetime(2026, 11, 24, 10)}))
        # an event's time corrected, and an event deleted
        ev = s.ticket_events.c
        conn.execute(update(s.ticket_events).where(ev.ticket_id == third, ev.stage != "reported")
                     .values(at=datetime(2026, 11, 25, 17, 50)))
        conn.execute(delete(s.ticket_events).where(ev.ticket_id == fourth,
                                                   ev.stage != "reported"))
        # a visit counting -1 problems (visits are kept for the whole table)
        visit = conn.execute(select(s.visits).limit(1)).one()._asdict()
        conn.execute(insert(s.visits).values({**visit, "id": "V-NEG", "problems_raised": -1}))
    with writer.connect() as conn:
        assert set(conn.execute(select(s.ticket_changes.c.ticket_id)).scalars()) == {
            "N0000001", "N0000002", "N0000009", first, second, third, fourth}
        assert "被改写" in summaries.status(conn)
        assert not ts.mark(conn).complete
        # 数据质量 scans the tables until the refresh
        assert dq.kept(conn, NOW) is None
        pd.testing.assert_frame_equal(dq.fetch_problems(conn, NOW), oracle_problems(conn, NOW))
    # before the refresh, figures stay exact: the tickets written are recomputed from the raw
    # tables, and their stored counts taken off the rollup
    assert_same_figures(url)
    assert_rollup_figures_exact(url)
    assert_kept_corrections_exact(url, writer, kept=False)
    with writer.begin() as conn:  # a refresh in between: the new ones are stored
        summaries.refresh(conn)
    assert_findings_agree(writer)
    with writer.connect() as conn:
        found = dq.fetch_problems(conn, NOW).set_index(["table", "problem"])["rows"]
    assert found[("tickets", "评分不在1–5分")] == 1 and found[("visits", "数量为负")] == 1
    with writer.begin() as conn:
        conn.execute(update(s.tickets).where(s.tickets.c.id == "N0000002")
                     .values(id="N0000003"))
        # a ticket with a finding kept is written again: its findings are rewritten, once
        conn.execute(update(s.tickets).where(s.tickets.c.id == "N0000001")
                     .values(title="标题改过"))
    with writer.connect() as conn:
        assert set(conn.execute(select(s.ticket_changes.c.ticket_id)).scalars()) == {
            "N0000001", "N0000002", "N0000003"}
    with writer.begin() as conn:
        summaries.refresh(conn)
    with writer.connect() as conn:
        assert conn.execute(select(s.ticket_changes)).all() == []
        assert summaries.status(conn) is None
    assert_agree(writer)
    assert_rollup_agrees(writer)
    assert_same_figures(url)
    assert_findings_agree(writer)


def test_visits_counted_again_count_their_findings_again(scaled):
    """An import of visits or targets rebuilds visit_rollup alone (summaries.refresh_visits,
    not a refresh of the tickets): the findings that read visits are counted with it."""
    url, writer = scaled
    with writer.begin() as conn:  # another program: the visits' findings no longer hold
        visit = conn.execute(select(s.visits).limit(1)).one()._asdict()
        conn.execute(insert(s.visits).values({**visit, "id": "V-NEG", "problems_raised": -1}))
    with writer.connect() as conn:
        assert dq.kept(conn, NOW) is not None and not dq.kept(conn, NOW).visits_current
        pd.testing.assert_frame_equal(dq.fetch_problems(conn, NOW), oracle_problems(conn, NOW))
    with writer.begin() as conn:  # as the importer does after visits
        assert summaries.refresh_visits(conn)
    assert_findings_agree(writer)
    with writer.connect() as conn:
        found = dq.fetch_problems(conn, NOW).set_index(["table", "problem"])["rows"]
    assert found[("visits", "数量为负")] == 1


def test_visits_another_program_rewrites_count_their_tickets_again(scaled):
    """A visit with tickets moves to another officer, day and target: 走访覆盖 counts the
    tickets from the raw tables until visit_rollup is rebuilt, and officer_rollup with it."""
    url, writer = scaled
    v, t = s.visits.c, s.tickets.c
    with writer.begin() as conn:
        busy = conn.execute(select(t.visit_id).where(t.visit_id.is_not(None))
                            .group_by(t.visit_id).order_by(func.count().desc(), t.visit_id)
                            .limit(1)).scalar()
        other = conn.execute(select(v.officer_id, v.target_id).where(
            v.officer_id != select(v.officer_id).where(v.id == busy).scalar_subquery())
            .limit(1)).one()
        conn.execute(update(s.visits).where(v.id == busy).values(
            officer_id=other.officer_id, target_id=other.target_id,
            visited_at=datetime(2026, 11, 18, 9)))
        # a visit on the day of as_of (counted from the table), and a ticket raised in it
        row = conn.execute(select(s.visits).where(v.id == busy)).one()._asdict()
        conn.execute(insert(s.visits).values({**row, "id": "V-TODAY", "problems_raised": 3,
                                              "visited_at": datetime(2026, 11, 25, 10)}))
        conn.execute(update(s.tickets).where(t.visit_id == busy, t.id == select(
            func.min(t.id)).where(t.visit_id == busy).scalar_subquery()).values(
            visit_id="V-TODAY"))
    with writer.connect() as conn:
        assert not summaries.visits_current(conn)
    assert_officers_exact(url)
    with writer.begin() as conn:  # as the importer does after visits
        assert summaries.refresh_visits(conn)
    assert_officer_rollup_agrees(writer, refreshed=False)  # the ticket written: unseen
    assert_officers_exact(url)
    with writer.begin() as conn:
        summaries.refresh(conn)
    assert_officer_rollup_agrees(writer)
    assert_officers_exact(url)


def test_an_import_through_the_importer_refreshes_the_tickets_it_wrote(scaled, tmp_path):
    from data_access import importer

    url, writer = scaled
    with writer.connect() as conn:
        ticket = conn.execute(select(s.tickets).order_by(s.tickets.c.id).limit(1)).one()._asdict()
    ticket["department"] = "区新部门"
    path = tmp_path / "tickets.csv"
    columns = [c for c in ticket if c in {col.name for col in s.tickets.columns}]
    values = ["" if ticket[c] is None else str(ticket[c]) for c in columns]
    path.write_text(",".join(columns) + "\n" + ",".join(values) + "\n", encoding="utf-8")
    report = importer.import_table(writer, "tickets", path)
    assert report.updated == 1
    with writer.connect() as conn:
        kept = conn.execute(select(s.ticket_states.c.department).where(
            s.ticket_states.c.ticket_id == ticket["id"])).scalar()
    assert kept == "区新部门"
    assert_agree(writer)
    assert_rollup_agrees(writer)
    assert_findings_agree(writer)


def test_a_database_never_refreshed_computes_from_the_events(tiny):
    tiny.add_ticket("A", events=[("dispatched", "2026-03-02 10:00"),
                                 ("resolved", "2026-03-03 10:00")])
    f = Filters.between(date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 4, 1))
    with tiny.connect() as conn:
        assert not summaries.is_refreshed(conn)
        assert "尚未生成" in summaries.status(conn)
        got = figures.headline(conn, f, ["collected", "resolved"])
    assert got == {"collected": 1, "resolved": 1}


def test_a_span_of_centuries_is_stored_whole(tiny):
    """A step's seconds can exceed 32 bits (an event dated 9999 in another system's data):
    the refresh keeps them, as the fuzzed imports found."""
    tiny.add_ticket("A", events=[("dispatched", "2026-03-02 10:00"),
                                 ("accepted", "9999-12-31 23:59")])
    with tiny.writer.begin() as conn:
        summaries.refresh(conn)
    with tiny.connect() as conn:
        kept = conn.execute(select(s.ticket_states.c.seconds_to_accepted)).scalar()
    assert kept == int((datetime(9999, 12, 31, 23, 59) - datetime(2026, 3, 2, 10)).total_seconds())


def test_a_refresh_with_nothing_new_rewrites_nothing(tiny):
    """A second refresh finds no ticket touched (it used to insert an empty list, which is one
    row of defaults, and failed)."""
    tiny.add_ticket("A", events=[("dispatched", "2026-03-02 10:00")])
    with tiny.writer.begin() as conn:
        assert summaries.refresh(conn) == 1
    with tiny.writer.begin() as conn:
        assert summaries.refresh(conn) == 0
    with tiny.connect() as conn:
        assert conn.execute(select(s.ticket_states.c.ticket_id)).scalars().all() == ["A"]
        assert summaries.status(conn) is None


def changes_counted(conn) -> int:
    """How many rows the planner's statistics give ticket_changes (SQLite: sqlite_stat1;
    PostgreSQL: pg_class.reltuples, -1 before any ANALYZE)."""
    if conn.dialect.name == "sqlite":
        stat = conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 "
                                    "WHERE tbl = 'ticket_changes'").scalar()
        return 0 if stat is None else int(stat.split()[0])
    return int(conn.exec_driver_sql("SELECT reltuples FROM pg_class "  # this schema's
                                    "WHERE oid = 'ticket_changes'::regclass").scalar())


def test_the_refresh_leaves_ticket_changes_counted_empty(tiny):
    """After emptying ticket_changes the refresh analyses it: statistics taken while it held
    rows (or PostgreSQL's count of the pages they left) would plan every query that looks
    for changed tickets as if they were still there."""
    tiny.add_ticket("A", events=[("dispatched", "2026-03-02 10:00")])
    with tiny.writer.begin() as conn:
        summaries.refresh(conn)
    tiny.add_ticket("B", events=[("dispatched", "2026-03-03 10:00")])
    tiny.add_ticket("C", events=[("dispatched", "2026-03-03 11:00")])
    with tiny.writer.begin() as conn:
        conn.exec_driver_sql("ANALYZE ticket_changes")
        assert changes_counted(conn) == 2
        summaries.refresh(conn)
        assert conn.execute(select(func.count()).select_from(s.ticket_changes)).scalar() == 0
    with tiny.connect() as conn:
        assert changes_counted(conn) == 0


def test_a_past_as_of_ignores_events_at_or_after_it_with_states_stored(tiny):
    tiny.add_ticket("A", events=[("dispatched", "2026-03-02 10:00"),
                                 ("resolved", "2026-03-09 00:00")])
    with tiny.writer.begin() as conn:
        summaries.refresh(conn)
    week = Filters.between(date(2026, 3, 2), date(2026, 3, 8), datetime(2026, 4, 1))
    assert week.as_of == datetime(2026, 3, 9)  # the resolution happens exactly at as_of
    with tiny.connect() as conn:
        assert summaries.is_refreshed(conn)
        got = figures.headline(conn, week, ["collected", "resolved", "open"])
        later = figures.headline(conn, Filters.between(date(2026, 3, 2), date(2026, 3, 9),
                                                       datetime(2026, 4, 1)), ["resolved"])
    assert got == {"collected": 1, "resolved": 0, "open": 1}
    assert later == {"resolved": 1}


def test_the_open_tickets_at_a_past_cut_off_are_found_in_every_kind_of_state(tiny):
    """The overdue list and the open stock at a past cut-off (ticket_rows with `only`) find a
    stored open ticket, one resolved after the cut-off (recomputed), one whose first event
    lies after it (nothing yet at the cut-off) and one without events; not a ticket resolved
    before it. The same with the states computed from the events alone."""
    for ticket_id, events in (("A", [("dispatched", "2026-03-02 10:00")]),
                              ("B", [("resolved", "2026-03-20 10:00")]),
                              ("C", [("dispatched", "2026-03-20 10:00")]),
                              ("D", [("resolved", "2026-03-03 10:00")]),
                              ("E", [])):
        tiny.add_ticket(ticket_id, reported="2026-03-02 09:00", due_days=3, events=events)
    with tiny.writer.begin() as conn:
        conn.execute(delete(s.ticket_events).where(s.ticket_events.c.ticket_id.in_(["C", "E"]),
                                                   s.ticket_events.c.stage == "reported"))
        summaries.refresh(conn)
    cut_off = meeting.week_filters(date(2026, 3, 9), datetime(2026, 3, 16, 9))
    got = {}
    with tiny.connect() as conn:
        for use in (True, False):
            ts.USE_SUMMARIES = use
            try:
                got[use] = (list(meeting.fetch_longest_overdue(conn, cut_off)["id"]),
                            int(ticket_loop.fetch_open_aging(conn, cut_off)["tickets"].sum()))
            finally:
                ts.USE_SUMMARIES = True
    assert got[True] == got[False] == (["A", "B", "C", "E"], 4)


def test_the_longest_overdue_beyond_the_oldest_open_are_found_too(tiny, monkeypatch):
    """The longest overdue at a cut-off are looked for first among the tickets due no later
    than the oldest open ones (summaries.open_due_bound); when fewer of those were overdue at
    the cut-off, among all. A and B, open now and due first, were resolved at the cut-off
    (reopened after it); C, due later, was overdue then: the one longest overdue is C."""
    for ticket_id, due_days in (("A", 1), ("B", 2)):
        tiny.add_ticket(ticket_id, reported="2026-03-02 09:00", due_days=due_days,
                        events=[("resolved", "2026-03-03 10:00"),
                                ("reopened", "2026-03-20 10:00")])
    tiny.add_ticket("C", reported="2026-03-02 09:00", due_days=4,
                    events=[("dispatched", "2026-03-02 10:00")])
    with tiny.writer.begin() as conn:
        summaries.refresh(conn)
    cut_off = meeting.week_filters(date(2026, 3, 9), datetime(2026, 3, 16, 9))
    calls, real = [], summaries.every_ticket
    monkeypatch.setattr(summaries, "every_ticket", lambda conn, f, **kw: (
        calls.append(kw.get("within")) or real(conn, f, **kw)))
    with tiny.connect() as conn:
        assert summaries.open_due_bound(conn, cut_off, 2) == datetime(2026, 3, 4, 9)
        assert list(meeting.fetch_longest_overdue(conn, cut_off, n=1)["id"]) == ["C"]
        assert [w is None for w in calls] == [False, True]  # bounded, then all
        ts.USE_SUMMARIES = False
        try:
            assert list(meeting.fetch_longest_overdue(conn, cut_off, n=1)["id"]) == ["C"]
        finally:
            ts.USE_SUMMARIES = True


def assert_longest_overdue_exact(url: str) -> None:
    """meeting.fetch_longest_overdue at the kept periods' cut-offs, for the district and a
    town and several lengths, equals the list from the events alone; the district's are
    found among the tickets due by the bound alone (one query each)."""
    engine = read_only_engine(url)
    real, bounded = summaries.every_ticket, []
    try:
        with engine.connect() as conn:
            for f in kept_periods()[::5] + kept_periods()[2::5]:  # each week, and a town's
                for n in (3, 10):
                    ts.USE_SUMMARIES = False
                    want = meeting.fetch_longest_overdue(conn, f, n=n)
                    ts.USE_SUMMARIES = True
                    calls = []
                    summaries.every_ticket = lambda c, g, calls=calls, **kw: (
                        calls.append(kw.get("within")) or real(c, g, **kw))
                    got = meeting.fetch_longest_overdue(conn, f, n=n)
                    summaries.every_ticket = real
                    pd.testing.assert_frame_equal(got, want, obj=f"{f} {n}")
                    if f.town_code is None:  # a town of this small sample may need all
                        bounded.append(len(calls) == 1 and calls[0] is not None)
    finally:
        summaries.every_ticket = real
        ts.USE_SUMMARIES = True
        engine.dispose()
    assert bounded == [True] * 2 * len(kept_cutoffs())  # n: 3 and 10


def kept_repeat(tiny, ticket_id):
    with tiny.connect() as conn:
        return conn.execute(select(s.ticket_states.c.repeat_reported_at).where(
            s.ticket_states.c.ticket_id == ticket_id)).scalar()


def test_a_later_report_makes_a_stored_ticket_a_repeat_report_before_and_after_refresh(tiny):
    """办结后重复反映 depends on other tickets: a new report in the same cell and category within
    30 days of a stored ticket's 办结 counts before the refresh (recomputed), is stored by the
    incremental refresh, and goes again when the report moves to another category."""
    tiny.add_ticket("A", reported="2026-03-02 09:00", events=[
        ("dispatched", "2026-03-02 10:00"), ("accepted", "2026-03-02 11:00"),
        ("resolved", "2026-03-03 10:00")])
    tiny.add_ticket("C", category="environment", reported="2026-03-02 09:00")
    with tiny.writer.begin() as conn:
        summaries.refresh(conn)
    assert kept_repeat(tiny, "A") is None
    march = Filters.between(date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 4, 10))
    codes = ["repeat_reported", "resolved"]

    def both_ways():
        with tiny.connect() as conn:
            fast = figures.headline(conn, march, codes)
            ts.USE_SUMMARIES = False
            try:
                slow = figures.headline(conn, march, codes)
            finally:
                ts.USE_SUMMARIES = True
        assert fast == slow
        return fast

    assert both_ways() == {"repeat_reported": 0, "resolved": 1}
    tiny.add_ticket("B", reported="2026-03-20 08:00")  # 17 days after A's 办结: a repeat
    assert both_ways() == {"repeat_reported": 1, "resolved": 1}  # not refreshed yet
    with tiny.writer.begin() as conn:
        assert summaries.refresh(conn) == 2  # B, and A as its neighbour
    assert kept_repeat(tiny, "A") == datetime(2026, 3, 20, 8)
    assert both_ways() == {"repeat_reported": 1, "resolved": 1}
    # before B was reported, A was no repeat report yet: a past as_of reads the stored time
    with tiny.connect() as conn:
        early = figures.headline(conn, Filters.between(
            date(2026, 3, 1), date(2026, 3, 19), datetime(2026, 3, 20)), codes)
    assert early == {"repeat_reported": 0, "resolved": 1}
    with tiny.writer.begin() as conn:  # an import moves B to another category
        conn.execute(update(s.tickets).where(s.tickets.c.id == "B").values(
            category="environment"))
        summaries.refresh(conn, ticket_ids=["B"])
    assert kept_repeat(tiny, "A") is None
    assert both_ways() == {"repeat_reported": 0, "resolved": 1}


def test_the_full_refresh_finds_the_same_first_repeats_as_the_look_up_one_by_one(tiny):
    """The full refresh's one-pass first repeats (summaries._first_repeats) equal the look-up
    ticket by ticket (ticket_state.first_repeat) at the edges: a report at the very moment of
    the 办结 (not after it), one exactly 30 days later (inside), one a second beyond, another
    category, a ticket resolved before its own report, a ticket without a grid cell."""
    resolved = [("dispatched", "2026-03-02 10:00"), ("accepted", "2026-03-02 11:00"),
                ("resolved", "2026-03-03 10:00")]
    tiny.add_ticket("A", reported="2026-03-02 09:00", events=resolved)
    tiny.add_ticket("B", reported="2026-03-03 10:00")  # at the very moment: not after
    tiny.add_ticket("C", reported="2026-04-02 10:00")  # 30 days later: a repeat
    tiny.add_ticket("D", reported="2026-03-04 09:00", category="environment",
                    events=[("resolved", "2026-03-05 09:00")])
    tiny.add_ticket("E", reported="2026-04-04 09:00:01", category="environment")  # beyond
    tiny.add_ticket("F", reported="2026-05-10 09:00", events=[("resolved", "2026-05-01 09:00")])
    tiny.add_ticket("G", reported="2026-05-20 09:00")
    tiny.add_ticket("H", reported="2026-05-02 09:00", events=resolved)
    with tiny.writer.begin() as conn:
        conn.execute(update(s.tickets).where(s.tickets.c.id == "H").values(grid_cell_code=None))
        summaries.refresh(conn, full=True)
    with tiny.connect() as conn:
        at_once = {r[0]: r[1] for r in conn.execute(select(
            s.ticket_states.c.ticket_id, s.ticket_states.c.repeat_reported_at)).all()}
        one_by_one = {r.id: r.repeat_reported_at for r in conn.execute(
            summaries._rows().order_by(s.tickets.c.id)).all()}
    assert at_once == one_by_one
    assert at_once["A"] == datetime(2026, 4, 2, 10)  # B is not after the 办结
    assert at_once["D"] is None and at_once["H"] is None
    assert at_once["F"] == datetime(2026, 5, 20, 9)  # its own report is not a repeat: G is


def test_week_start_is_the_monday_of_the_week_on_both_backends(conn):
    """summaries.week_start (the weekly charts' week, counted in SQL): every hour of three
    weeks, Sunday night and Monday midnight included, gets its week's Monday."""
    from sqlalchemy import literal

    moments = [datetime(2026, 11, 15, 23, 59, 59) + timedelta(hours=h) for h in range(0, 504, 7)]
    moments += [datetime(2026, 11, 23), datetime(2026, 11, 29, 23, 59, 59), datetime(2026, 3, 1)]
    got = conn.execute(select(*(summaries.week_start(literal(m)) for m in moments))).one()
    assert [date.fromisoformat(str(d)[:10]) for d in got] == [
        m.date() - timedelta(days=m.weekday()) for m in moments]


def test_the_refresh_keeps_from_when_on_too_many_tickets_were_touched(tiny, monkeypatch):
    """figures.rollup_current answers from the moment the refresh keeps (the last event of
    the (limit + 1)-th latest stored state) as the count of the states touched at or after
    as_of does, around each stored state's last event, after a full and an incremental
    refresh; a value kept under another limit is not used."""
    monkeypatch.setattr(summaries, "ROLLUP_MOVED_MAX", 2)
    for n, day in enumerate((2, 3, 4, 5)):
        tiny.add_ticket(f"K{n}", reported=f"2026-03-0{day} 08:00",
                        events=[("resolved", f"2026-03-0{day} 10:00")])
    tiny.add_ticket("quiet", reported="2026-03-01 08:00")  # no events: never touched

    def assert_agrees():
        with tiny.connect() as conn:
            kept = summaries.moved_above(conn)
            lasts = [t for (t,) in conn.execute(select(s.ticket_states.c.last_event_at))
                     if t is not None]
            assert kept == sorted(lasts, reverse=True)[2]
            for moment in lasts + [datetime(2026, 3, 1)]:
                for as_of in (moment - timedelta(seconds=1), moment,
                              moment + timedelta(seconds=1)):
                    f = Filters.between(date(2026, 3, 1), date(2026, 3, 31), as_of)
                    counted = sum(t >= as_of for t in lasts) <= 2
                    assert figures.rollup_current(conn, f) == counted, as_of

    with tiny.writer.begin() as conn:
        summaries.refresh(conn)
    assert_agrees()
    tiny.add_ticket("K9", reported="2026-03-06 08:00", events=[("resolved", "2026-03-07 10:00")])
    with tiny.writer.begin() as conn:
        assert summaries.refresh(conn) < 5  # incremental
    assert_agrees()
    monkeypatch.setattr(summaries, "ROLLUP_MOVED_MAX", 3)  # kept under 2: counted instead
    with tiny.connect() as conn:
        assert summaries.moved_above(conn) is False
        f = Filters.between(date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 3, 3, 11))
        assert figures.rollup_current(conn, f)  # 3 touched since (kept: 2 of 3 already)
        f = Filters.between(date(2026, 3, 1), date(2026, 3, 31), datetime(2026, 3, 3, 10))
        assert not figures.rollup_current(conn, f)  # 4
