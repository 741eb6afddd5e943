"""Every page at sample size and at scale, on SQLite and PostgreSQL: a benchmark, not a test.

    python3 -m benchmarks.scale [--tickets 2000000] [--runs 3] [--backends sqlite,postgresql]
                                [--reuse-sqlite FILE] [--reuse-postgres URL]

For each backend and scale it loads the data (sample: the default generator; scale:
load-sample --tickets N, into a temporary SQLite file and a PostgreSQL database it creates
and drops on 127.0.0.1:5432), then per page: the data_access calls the page makes (recorded
from one AppTest run through components/cached.call, each distinct call once) timed without
any cache (cold, median of --runs) and through cached.call with the cache filled (warm), the
page's full AppTest run (first, its caches empty, and repeated: as on a server that has
started, its imports and component registry done by one run of every page before), the
map's deck size; beside the heavy
aggregates the naive way (the whole tables into pandas, grouped there) as a ratio; the load
time, the time of a refresh after writing one day's tickets, and the peak memory of the
process. Prints a Markdown table.
"""

import argparse
import os
import resource
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, select, text

from data_access import admin, db, figures, summaries
from data_access.filters import Filters, local_now
from data_access.schema import targets, ticket_events, ticket_states, tickets, visits

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# The loaded data end at 18:00 the evening before the run, as after the night's import: the
# pages judge at the clock's now in Beijing time, so their default periods see a whole last
# day (the machine's own date, UTC on these machines, is a day behind from 16:00 to 24:00).
TODAY = local_now().date() - timedelta(days=1)
DATA_END = datetime.combine(TODAY, dtime(18))
DAY_TICKETS = 1_100  # one day of the district's tickets (≈ 400,000 a year)


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


_components: list = []  # Streamlit's registry of custom components, built once (registry())


def registry():
    """Streamlit's registry of custom components: built by scanning every installed package's
    metadata for a component manifest, once when a server starts, but by every new AppTest in
    its first run (0.3-0.6 s on this machine, nothing of the page's own work). The
    benchmark's AppTests share one (AppTest keeps it in _bidi_component_manager)."""
    from streamlit.components.v2.component_manager import BidiComponentManager

    if not _components:
        manager = BidiComponentManager()
        manager.discover_and_register_components(start_file_watching=False)
        _components.append(manager)
    return _components[0]


def empty_caches() -> None:
    """Forget every result components/cached holds, as at a server's start; its engines
    (st.cache_resource, the connection pools) stay, as in a running one."""
    from components import cached

    cached.forget()


def start_up(pages) -> float:
    """What a server does once, before any page is timed: one run of every page (the
    component registry, the imports, Altair's and pydeck's first use, the engine). Each
    timed run empties the caches first (record_page), so it still computes all its data.
    Seconds."""
    started = time.perf_counter()
    for page in pages:
        record_page(page.script)
    return time.perf_counter() - started


def record_page(script: str):
    """Run `script` once in AppTest, the caches emptied first; return (its calls to
    cached.call, the AppTest, seconds of the run, seconds of a second run on the same
    AppTest, seconds in cached.call during that second run)."""
    from streamlit.testing.v1 import AppTest

    from components import auth, cached

    calls, spent = [], [0.0]
    original = cached.call

    def recording(fn, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original(fn, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started
            calls.append((fn, args, kwargs))

    cached.call = recording
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at._bidi_component_manager = registry()
        now = time.time()  # signed in as a district user (a non-sample database asks)
        at.session_state[auth.STATE] = {"user": auth.User(name="基准测试", role="district"),
                                        "since": now, "seen": now}
        if script != "app.py":
            at.switch_page(script)
        empty_caches()
        started = time.perf_counter()
        at.run()
        first = time.perf_counter() - started
        if at.exception:
            raise RuntimeError(f"{script}: {at.exception[0].value}")
        recorded = list(calls)
        spent[0] = 0.0
        started = time.perf_counter()
        at.run()
        second = time.perf_counter() - started
    finally:
        cached.call = original
    return recorded, at, first, second, spent[0]


def distinct_calls(calls: list) -> list:
    """The calls a page run makes of the database with the cache cold: a call repeated in
    the run with equal arguments (the frame's towns, say) is answered by components/cached
    from the first (the same key: cached.store_key)."""
    from components import cached

    seen, out = set(), []
    for fn, args, kwargs in calls:
        key = cached.store_key("", fn, args, kwargs)
        if key not in seen:
            seen.add(key)
            out.append((fn, args, kwargs))
    return out


def _short(error: BaseException) -> str:
    """An error as one short line for the table."""
    return f"{type(error).__name__}: {str(error).splitlines()[0][:80] if str(error) else ''}"


def deck_kb(at) -> float | None:
    charts = at.get("deck_gl_json_chart")
    return len(charts[0].proto.json.encode()) / 1e3 if charts else None


def naive_headline(conn, f: Filters) -> dict:
    """collected / resolved / open / overdue the naive way: the whole tables into pandas."""
    t = pd.read_sql(tickets.select().with_only_columns(
        tickets.c.id, tickets.c.town_code, tickets.c.reported_at, tickets.c.due_at), conn)
    ev = pd.read_sql(ticket_events.select().with_only_columns(
        ticket_events.c.ticket_id, ticket_events.c.stage, ticket_events.c.at), conn)
    for frame, col in ((t, "reported_at"), (t, "due_at"), (ev, "at")):
        frame[col] = pd.to_datetime(frame[col], format="mixed")
    ev = ev[ev["at"] < f.as_of]
    last = ev.pivot_table(index="ticket_id", columns="stage", values="at", aggfunc="max")
    t = t[t["reported_at"] < f.as_of].join(last, on="id")
    resolved_col = t.get("resolved", pd.Series(pd.NaT, index=t.index))
    reopened_col = t.get("reopened", pd.Series(pd.NaT, index=t.index))
    resolved = resolved_col.notna() & (reopened_col.isna() | (reopened_col < resolved_col))
    in_period = (t["reported_at"] >= f.start_at) & (t["reported_at"] < f.end_before)
    t = t.assign(collected=in_period, resolved=in_period & resolved, open=~resolved,
                 overdue=~resolved & (t["due_at"] < f.as_of))
    return t.groupby("town_code")[["collected", "resolved", "open", "overdue"]].sum()


def naive_visits(conn, f: Filters):
    v = pd.read_sql(visits.select().with_only_columns(visits.c.target_id, visits.c.visited_at),
                    conn)
    tg = pd.read_sql(targets.select().with_only_columns(targets.c.id, targets.c.town_code), conn)
    v["visited_at"] = pd.to_datetime(v["visited_at"], format="mixed")
    v = v[(v["visited_at"] >= f.start_at) & (v["visited_at"] < f.end_before)
          & (v["visited_at"] < f.as_of)]
    return v.merge(tg, left_on="target_id", right_on="id").groupby("town_code").size()


def bench_database(url: str, label: str, runs: int, pages) -> list[dict]:
    os.environ[db.ENV_VAR] = url
    print(f"  {label}: start-up (every page run once) "
          f"{start_up(pages):.1f} s", flush=True)
    engine = db.read_only_engine(url)
    rows = []
    for page in pages:
        try:
            calls, at, first, second, warm_data = record_page(page.script)
            calls = distinct_calls(calls)
        except Exception as error:  # noqa: BLE001 - a failing page is a result: carry on
            rows.append({"where": label, "page": page.label, "error": _short(error)})
            print(f"  {label} {page.label}: FAILED {_short(error)}", flush=True)
            continue
        slowest = {}

        def cold(calls=calls, slowest=slowest):
            for fn, args, kwargs in calls:
                started = time.perf_counter()
                try:
                    with engine.connect() as conn:
                        fn(conn, *args, **kwargs)
                finally:
                    name = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"
                    slowest[name] = max(slowest.get(name, 0.0), time.perf_counter() - started)

        try:
            cold_data, error = median_time(cold, runs), ""
        except Exception as failure:  # noqa: BLE001
            cold_data, error = None, _short(failure)
        top = max(slowest, key=slowest.get) if slowest else ""
        rows.append({"where": label, "page": page.label, "calls": len(calls),
                     "data cold s": cold_data, "data warm s": warm_data,
                     "AppTest first s": first, "AppTest again s": second,
                     "deck kB": deck_kb(at),
                     "slowest call": f"{top} {slowest[top]:.2f} s" if top else "",
                     "error": error})
        print(f"  {label} {page.label}: {len(calls)} calls, cold "
              f"{'–' if cold_data is None else f'{cold_data:.3f}'} s, "
              f"warm {warm_data * 1e3:.1f} ms, AppTest {first:.2f} / {second:.2f} s, "
              f"slowest {top} {error}", flush=True)
    try:
        rows += _naive_rows(engine, label, runs)
    except Exception as error:  # noqa: BLE001
        rows.append({"where": label, "page": "naive ÷ ours", "error": _short(error)})
        print(f"  {label} naive: FAILED {_short(error)}", flush=True)
    engine.dispose()
    return rows


def _naive_rows(engine, label: str, runs: int) -> list[dict]:
    rows = []
    with engine.connect() as conn:
        start = date.fromisoformat(conn.execute(text(
            "select value from cockpit_meta where key = 'campaign_start'")).scalar())
        f = Filters.between(start, TODAY, DATA_END)
        codes = ["collected", "resolved", "open", "overdue"]
        ours = median_time(lambda: figures.grouped(conn, f, "town_code", codes), runs)
        naive = median_time(lambda: naive_headline(conn, f), 1)
        ours_v = median_time(lambda: figures.grouped(conn, f, "town_code", ["visits"]), runs)
        naive_v = median_time(lambda: naive_visits(conn, f), 1)
    print(f"  {label} naive/ours: tickets by town {naive:.2f} s / {ours:.3f} s = "
          f"{naive / ours:.1f}×; visits by town {naive_v:.2f} s / {ours_v:.3f} s = "
          f"{naive_v / ours_v:.1f}×", flush=True)
    rows.append({"where": label, "page": "naive ÷ ours: 问题 by town", "calls": None,
                 "data cold s": ours, "data warm s": None, "AppTest first s": naive,
                 "AppTest again s": naive / ours, "deck kB": None})
    rows.append({"where": label, "page": "naive ÷ ours: 走访 by town", "calls": None,
                 "data cold s": ours_v, "data warm s": None, "AppTest first s": naive_v,
                 "AppTest again s": naive_v / ours_v, "deck kB": None})
    return rows


def one_day_refresh(url: str, tickets_n: int) -> float:
    """Write one day's import directly, then time the refresh. The day is the data's last:
    DAY_TICKETS new tickets reported in its working hours, with their events up to its end,
    and the 办结 of as many older tickets (the latest reported of those accepted and not
    resolved), as the night's import brings them."""
    from sample_data.scale import EVENT_COLUMNS, ScaledSample, _write

    sample = ScaledSample(DATA_END, DAY_TICKETS)
    sample.visits()
    frame, events = sample.tickets(tickets_n + 10_000_000, DAY_TICKETS, on_day=TODAY)
    frame["id"] = "D" + frame["id"].str[1:]
    events["ticket_id"] = "D" + events["ticket_id"].str[1:]
    frame["visit_id"] = None
    resolved_at = DATA_END - timedelta(minutes=30)
    st = ticket_states.c
    engine = db.writable_engine(url)
    with engine.begin() as conn:
        older = conn.execute(
            select(st.ticket_id, st.department)
            .where(st.accepted_at.is_not(None), st.resolved_at.is_(None),
                   st.reported_at < datetime.combine(TODAY, dtime(0)),
                   st.last_event_at < resolved_at)
            .order_by(st.reported_at.desc()).limit(DAY_TICKETS)).all()
        events = pd.concat([events, pd.DataFrame(
            {"ticket_id": [r.ticket_id for r in older], "stage": "resolved",
             "at": resolved_at, "actor": [r.department for r in older]})], ignore_index=True)
        _write(conn, "tickets", frame, list(frame.columns))
        _write(conn, "ticket_events", events, EVENT_COLUMNS)
    started = time.perf_counter()
    with engine.begin() as conn:
        summaries.refresh(conn)
    took = time.perf_counter() - started
    engine.dispose()
    return took


def load(url: str, tickets_n: int | None) -> float:
    argv = ["--url", url, "load-sample", "--today", TODAY.isoformat()]
    if tickets_n:
        argv += ["--tickets", str(tickets_n)]
    started = time.perf_counter()
    assert admin.main(argv) == 0
    return time.perf_counter() - started


def markdown(table: pd.DataFrame) -> str:
    def cell(v):
        if v is None or (isinstance(v, float) and v != v):
            return ""
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + " --- |" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in table.astype(object).itertuples(index=False)]
    return "\n".join(lines)


def main(argv=None):
    from components.frame import PAGES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--skip-sample", action="store_true")
    parser.add_argument("--reuse-sqlite", help="an already loaded SQLite file (scale)")
    parser.add_argument("--reuse-postgres", help="an already loaded PostgreSQL URL (scale)")
    args = parser.parse_args(argv)
    results, notes = [], []
    scales = ([] if args.skip_sample else [None]) + [args.tickets]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            for n in scales:
                label = f"{backend} {'sample' if n is None else f'{n:,}'}"
                drop = None
                reuse = args.reuse_sqlite if backend == "sqlite" else args.reuse_postgres
                if n is not None and reuse:
                    url = db.sample_url(Path(reuse)) if backend == "sqlite" else reuse
                    loaded = None
                elif backend == "sqlite":
                    url = db.sample_url(Path(tmp) / f"bench_{n or 0}.db")
                    loaded = load(url, n)
                else:
                    name = f"cockpit_bench_{os.getpid()}_{n or 0}"
                    server = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
                    with server.connect() as conn:
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
                    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"

                    def drop(server=server, name=name):
                        with server.connect() as conn:
                            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                        server.dispose()

                    loaded = load(url, n)
                print(f"{label}: loaded in {loaded or 0:.1f} s", flush=True)
                try:
                    results += bench_database(url, label, args.runs, PAGES)
                    if n is not None and not reuse:
                        try:
                            took = f"{one_day_refresh(url, n):.2f} s"
                        except Exception as error:  # noqa: BLE001
                            took = f"failed ({_short(error)})"
                        notes.append(f"{label}: load {loaded:.0f} s; refresh after writing "
                                     f"{DAY_TICKETS:,} new tickets with their events "
                                     f"and as many older tickets' 办结 {took}")
                        print(notes[-1], flush=True)
                finally:
                    if drop:
                        drop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = pd.DataFrame(results)
    print()
    print(markdown(table))
    print()
    for note in notes:
        print(f"- {note}")
    print(f"- peak memory of the benchmark process (RSS): {peak:.0f} MB")
    print("- naive rows: 'data cold s' = ours, 'AppTest first s' = naive, "
          "'AppTest again s' = ratio naive ÷ ours")


if __name__ == "__main__":
    main()
