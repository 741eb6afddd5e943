"""The sample at scale: N tickets over five years, for benchmarks (load-sample --tickets N).

The places, officers, targets, assignments and programmes are the default sample's (the same
1,409 cells); visits (one for every four tickets), tickets, their stage events and evaluations
are drawn with numpy from a fixed seed, in proportion, over five years ending at `now`, with
the default sample's shares: sources, categories, 18 % hard problems taking months, bounces,
coordination, supervision when late, reopenings, sign-off and evaluation. Rows are written in
bulk (COPY on PostgreSQL, executemany in large transactions on SQLite), secondary indexes
built after the load, then the derived tables (summaries.refresh).
"""

import io
import time
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert

from data_access import glossary as g
from data_access import schema as s
from data_access import summaries
from sample_data import reference as ref
from sample_data.generate import TICKETS_BY_SOURCE, SampleBuilder

SEED = 20260101
YEARS = 5
CHUNK = 200_000  # tickets generated and written per step
BULK = ("visits", "tickets", "ticket_events")
EVENT_COLUMNS = ["ticket_id", "stage", "at", "actor"]


def _stamp(values: np.ndarray) -> np.ndarray:
    """datetime64[s] → the text SQLAlchemy stores for a DateTime on SQLite (and PostgreSQL
    reads): 'YYYY-MM-DD HH:MM:SS.000000'."""
    text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s")
    return np.char.add(np.char.replace(text, "T", " "), ".000000")


class ScaledSample:
    def __init__(self, now: datetime, tickets: int):
        self.now = now.replace(microsecond=0)
        self.n = tickets
        self.rng = np.random.default_rng(SEED)
        self.base = SampleBuilder(now).build()
        self.start = date(self.now.year - YEARS + 1, 1, 1)
        self.t0 = np.datetime64(datetime.combine(self.start, datetime.min.time()), "s")
        self.t_now = np.datetime64(self.now, "s")
        cells = self.base.rows["grid_cells"]
        self.cells = np.array([c["code"] for c in cells])
        self.cell_town = np.array([c["town_code"] for c in cells])
        pop = np.array([c["population"] for c in cells], dtype=float)
        self.cell_p = pop / pop.sum()
        self.categories = np.array(list(g.CATEGORIES))
        self.departments = np.array(ref.DEPARTMENTS)
        self.due_days = self._due_table()

    def _due_table(self) -> dict:
        """category → array over the days since start of the due moment (working days)."""
        cal = self.base.calendar
        days = (self.now.date() - self.start).days + 1
        out = {}
        for cat, n in g.TIME_LIMIT_WORKDAYS.items():
            out[cat] = np.array([np.datetime64(cal.due_at(
                datetime.combine(self.start + timedelta(days=k), datetime.min.time()), n), "s")
                for k in range(days)])
        return out

    # --- visits ---------------------------------------------------------------------------
    def visits(self) -> pd.DataFrame:
        rng, base = self.rng, self.base.rows
        n = max(1, self.n // 4)
        pairs = base["assignments"]
        kind = {t["id"]: t["kind"] for t in base["targets"]}
        diary = {"enterprise": "enterprise", "village": "grassroots", "community": "grassroots",
                 "key_group": "resident"}
        pick = rng.integers(0, len(pairs), n)
        officer = np.array([p["officer_id"] for p in pairs])[pick]
        target = np.array([p["target_id"] for p in pairs])[pick]
        span = int((self.t_now - self.t0) / np.timedelta64(1, "s"))
        at = np.sort(self.t0 + rng.integers(0, span - 60, n).astype("timedelta64[s]"))
        frame = pd.DataFrame({
            "id": [f"V{k:08d}" for k in range(1, n + 1)], "officer_id": officer,
            "target_id": target, "visited_at": at,
            "diary_type": [diary[kind[t]] for t in target]})
        for field in g.VISIT_RECORD_FIELDS:
            frame[field] = rng.random(n) < 0.85
        frame["problems_raised"] = rng.choice([0, 1, 2, 3], n, p=[0.8, 0.14, 0.05, 0.01])
        self.visit_frame = frame
        return frame

    # --- tickets and events ---------------------------------------------------------------
    def tickets(self, first: int, count: int,
                on_day: date | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Tickets first … first+count-1 and their events; with `on_day`, all reported in the
        working hours of that day (none raised in a visit), as a day's import brings them,
        with their events up to now."""
        rng = self.rng
        sources = np.array(list(TICKETS_BY_SOURCE))
        weights = np.array(list(TICKETS_BY_SOURCE.values()), dtype=float)
        source = rng.choice(sources, count, p=weights / weights.sum())
        span = (self.t_now - self.t0) / np.timedelta64(1, "s")
        # volume grows over the years; working hours
        day = np.floor(rng.random(count) ** 0.8 * (span / 86400 - 1)).astype(int)
        if on_day is not None:
            day = np.full(count, (on_day - self.start).days)
        reported = (self.t0 + (day * 86400 + 8 * 3600
                               + rng.integers(0, 600, count) * 60).astype("timedelta64[s]"))
        cell_i = rng.choice(len(self.cells), count, p=self.cell_p)
        cell, town = self.cells[cell_i], self.cell_town[cell_i]
        category = np.where(np.isin(source, ["direct_line", "red_helper"]),
                            "enterprise_development",
                            self.categories[rng.integers(0, len(self.categories), count)])
        visit_id = np.full(count, None, dtype=object)
        from_visit = (source == "visit") & (on_day is None)
        vf = self.visit_frame
        picks = rng.integers(0, len(vf), from_visit.sum())
        visit_id[from_visit] = vf["id"].to_numpy()[picks]
        reported[from_visit] = (vf["visited_at"].to_numpy()[picks].astype("datetime64[s]")
                                + rng.integers(7200, 108000, from_visit.sum())
                                .astype("timedelta64[s]"))
        reported = np.minimum(reported, self.t_now - np.timedelta64(120, "s"))
        day = ((reported - self.t0) / np.timedelta64(86400, "s")).astype(int)
        due = np.empty(count, dtype="datetime64[s]")
        for cat, table in self.due_days.items():
            mask = category == cat
            due[mask] = table[day[mask]]
        task_force = np.where((category == "enterprise_development") & (rng.random(count) < 0.25),
                              np.array(list(g.TASK_FORCES))[rng.integers(0, len(g.TASK_FORCES), count)], None)
        ids = np.array([f"S{k:08d}" for k in range(first + 1, first + count + 1)])
        department = self.departments[rng.integers(0, len(self.departments), count)]
        events, satisfaction = self._events(ids, reported, due, department, source)
        frame = pd.DataFrame({
            "id": ids, "title": "示例问题", "source": source, "category": category,
            "town_code": town, "grid_cell_code": cell,
            "lat": np.round(29.75 + rng.random(count) * 0.2, 6),
            "lon": np.round(121.25 + rng.random(count) * 0.3, 6),
            "department": department, "task_force": task_force, "visit_id": visit_id,
            "reporter_name": "张某", "reporter_phone": "13800000000",
            "reported_at": reported, "due_at": due, "satisfaction": satisfaction})
        return frame, events

    def _events(self, ids, reported, due, department, source):
        rng, n, now = self.rng, len(ids), self.t_now
        hours = np.timedelta64(3600, "s")
        parts = []

        def add(mask, stage, at, actor):
            keep = mask & (at < now)
            parts.append(pd.DataFrame({"ticket_id": ids[keep], "stage": stage, "at": at[keep],
                                       "actor": actor if isinstance(actor, str) else actor[keep]}))
            return keep

        def span(lo, hi):
            return (rng.uniform(lo, hi, n) * 3600).astype("timedelta64[s]")

        everyone = np.ones(n, dtype=bool)
        add(everyone, "reported", reported, np.array([g.SOURCES[x] for x in source]))
        at = reported + span(0.5, 8)
        bounces = rng.choice([0, 1, 2], n, p=[0.9, 0.07, 0.03])
        alive = everyone.copy()
        for b in (1, 2):
            bounce = alive & (bounces >= b)
            bounce = add(bounce, "dispatched", at, "区三服务办")
            at = np.where(bounce, at + span(2, 30), at)
            bounce = add(bounce, "rejected", at, department)
            at = np.where(bounce, at + span(1, 12), at)
            alive &= ~(bounces >= b) | bounce
        alive = add(alive, "dispatched", at, "区三服务办")
        at = at + span(1, 30)
        alive = add(alive, "accepted", at, department)
        coordinated = alive & (rng.random(n) < 0.15)
        at = np.where(coordinated, at + span(4, 30), at)
        add(coordinated, "coordinated", at, "区三服务办")
        # days to resolve: most take days, one in six months
        need = np.where(rng.random(n) < 0.18, rng.uniform(30, 360, n),
                        np.maximum(0.3, rng.lognormal(np.log(4), 0.7, n)))
        done = np.maximum(reported + (need * 86400).astype("timedelta64[s]"), at + hours)
        resolved = alive & (done < now)
        late = resolved & (done > due) & (rng.random(n) < 0.6)
        add(late, "supervised", due + span(12, 48), "区督查室")
        pressed = alive & ~resolved & (rng.random(n) < 0.7)
        add(pressed, "supervised", due + span(12, 72), "区督查室")
        reopen = resolved & (rng.random(n) < 0.04)
        add(reopen, "resolved", done, department)
        back = done + span(24, 48)
        reopened = add(reopen, "reopened", back, "服务对象")
        final = np.where(reopened, back + span(24, 192), done)
        closed = add(resolved & (~reopen | reopened), "resolved", final, department)
        signed = final + span(3, 72)
        signed_ok = add(closed & (rng.random(n) < 0.95), "signed_off", signed, "区三服务办")
        evaluated = signed + span(5, 96)
        scored = add(signed_ok & (rng.random(n) < 0.88), "evaluated", evaluated, "服务对象")
        score = rng.choice([5, 4, 3, 2, 1], n, p=[0.6, 0.28, 0.07, 0.03, 0.02])
        satisfaction = pd.array(np.where(scored, score, 0), dtype="Int64")
        satisfaction[~scored] = pd.NA
        events = pd.concat(parts, ignore_index=True)
        return events.sort_values(["at"], kind="stable", ignore_index=True), satisfaction


# --- writing ------------------------------------------------------------------------------

def _sqlite_rows(frame: pd.DataFrame, columns) -> list[tuple]:
    out = frame[columns].copy()
    for name in columns:
        if pd.api.types.is_datetime64_any_dtype(out[name].dtype):
            out[name] = _stamp(out[name].to_numpy())
        elif str(out[name].dtype) == "Int64":
            out[name] = out[name].astype(object).where(out[name].notna(), None)
        elif pd.api.types.is_bool_dtype(out[name].dtype):
            out[name] = out[name].astype(int)
    out = out.astype(object).where(out.notna(), None)
    return list(out.itertuples(index=False, name=None))


def _write(conn, table: str, frame: pd.DataFrame, columns) -> None:
    if conn.dialect.name == "postgresql":
        buffer = io.StringIO()
        out = frame[columns].copy()
        for name in columns:
            if pd.api.types.is_datetime64_any_dtype(out[name].dtype):
                out[name] = _stamp(out[name].to_numpy())
        out.to_csv(buffer, sep="\t", header=False, index=False, na_rep="\\N")
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        return
    marks = ", ".join("?" * len(columns))
    conn.connection.driver_connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        _sqlite_rows(frame, columns))


def _note_tickets(conn, on: bool) -> None:
    """Switch the triggers that note each ticket written in ticket_changes off for the bulk
    load (millions of notes nobody reads: the load ends with a full refresh) and on again.
    SQLite cannot disable a trigger: it is dropped and created again."""
    if conn.dialect.name == "postgresql":
        for name in s.TICKET_TRIGGERS:
            conn.exec_driver_sql(f"ALTER TABLE tickets {'ENABLE' if on else 'DISABLE'} "
                                 f"TRIGGER {name}")
    elif on:
        for statement in s.ticket_triggers("sqlite"):
            conn.exec_driver_sql(statement)
    else:
        for name in s.TICKET_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")


def load_scaled(engine: Engine, now: datetime, tickets: int, say=print) -> None:
    """Write the scaled sample into the empty, upgraded database of `engine`."""
    started = time.perf_counter()

    def progress(message):
        say(f"[{time.perf_counter() - started:6.1f} s] {message}")

    sample = ScaledSample(now, tickets)
    progress("参考数据已生成（镇街、网格、干部、联系对象、专项工作）")
    base = sample.base.rows
    base["cockpit_meta"] = [r if r["key"] != "campaign_start" else
                            {"key": "campaign_start", "value": sample.start.isoformat()}
                            for r in base["cockpit_meta"]]
    bulk_indexes = [ix for t in BULK for ix in s.metadata.tables[t].indexes]
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql("PRAGMA cache_size=-400000")
        conn.execute(s.meta.delete())
        for table in s.ALL_TABLES:
            rows = base.get(table.name)
            if rows and table.name not in BULK:
                conn.execute(insert(table), rows)
        for index in bulk_indexes:  # built once after the load: much faster than row by row
            index.drop(conn)
        _note_tickets(conn, False)  # the full refresh below rewrites every ticket anyway
        visits = sample.visits()
        _write(conn, "visits", visits, list(visits.columns))
        progress(f"走访 {len(visits):,} 条已写入")
        written = events = 0
        while written < tickets:
            count = min(CHUNK, tickets - written)
            frame, ev = sample.tickets(written, count)
            _write(conn, "tickets", frame, list(frame.columns))
            _write(conn, "ticket_events", ev, EVENT_COLUMNS)
            written += count
            events += len(ev)
            progress(f"问题 {written:,} / {tickets:,}，流转记录 {events:,}")
        _note_tickets(conn, True)
        for index in bulk_indexes:
            index.create(conn)
        conn.exec_driver_sql("ANALYZE")  # the refresh's plans need the new tables' statistics
        progress("索引已建")
        summaries.refresh(conn, full=True)
        progress("汇总表已生成")
    summaries.vacuum(engine, (*BULK, *summaries.DERIVED))
    progress(f"完成：{tickets:,} 个问题，{events:,} 条流转记录，{len(visits):,} 条走访")
