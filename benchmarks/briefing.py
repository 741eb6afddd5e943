"""Time to build the weekly meeting's briefing: the meeting's queries, the deck (with its
chart images) and the workbook, on the sample database or on the database at --url.

    python3 -m benchmarks.briefing [--runs 3] [--url URL] [--week 2026-11-16]

Prints figures; asserts nothing. The first run includes vl-convert's start (~1 s).
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from data_access import db, freshness, meeting, places
from reports import briefing
from sample_data.generate import build_sqlite


def one_run(engine, week: str) -> dict[str, float]:
    times = {}
    started = time.perf_counter()
    with engine.connect() as conn:
        f = meeting.resolve_view(conn, week, None, None)
        m = meeting.assemble(conn, f)
        towns = places.list_towns(conn)
        loaded = freshness.data_time(freshness.fetch_load_times(conn))
    times["meeting queries"] = time.perf_counter() - started
    info = briefing.about(m, dict(zip(towns["town_code"], towns["town"])), loaded)
    step = time.perf_counter()
    deck = briefing.deck_bytes(m, info)
    times["deck (pptx)"] = time.perf_counter() - step
    step = time.perf_counter()
    book = briefing.workbook_bytes(m, info)
    times["workbook (xlsx)"] = time.perf_counter() - step
    times["total"] = time.perf_counter() - started
    times["_sizes"] = (len(deck), len(book))
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="a database to time (default: a fresh sample)")
    parser.add_argument("--week", help="the meeting week's Monday (default: the last full "
                                       "week before the data's last day)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url
        if not url:
            started = time.perf_counter()
            url = db.sample_url(build_sqlite(Path(tmp) / "cockpit.db"))
            print(f"sample database built in {time.perf_counter() - started:.1f} s")
        engine = db.read_only_engine(url)
        week = args.week
        if week is None:
            with engine.connect() as conn:
                loaded = freshness.data_time(freshness.fetch_load_times(conn))
            week = meeting.last_full_week(loaded or meeting.local_now()).isoformat()
        print(f"database: {engine.url.render_as_string(hide_password=True)}; week {week}")
        runs = [one_run(engine, week) for _ in range(args.runs)]
        engine.dispose()
    deck, book = runs[-1]["_sizes"]
    print(f"deck {deck / 1e3:.0f} kB, workbook {book / 1e3:.0f} kB")
    for name in ("meeting queries", "deck (pptx)", "workbook (xlsx)", "total"):
        values = [r[name] for r in runs]
        print(f"{name:>16}: first {values[0]:.2f} s, median {statistics.median(values):.2f} s")


if __name__ == "__main__":
    main()
