"""How fresh the data is: when each source table was last loaded, and when that is too old.

The importer records, per table, the moment of its last successful import in cockpit_meta
(`loaded_at:<table>`, local time, ISO format); the sample build records `built_at`. A table
never imported counts from the build (or, with neither, its time is unknown). A source is
stale when it is older than the limit set by the environment variable COCKPIT_STALE_HOURS or
`.streamlit/secrets.toml` `[wall] stale_hours` (default DEFAULT_STALE_HOURS).
"""

import os
import tomllib
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, select

from data_access import db
from data_access import schema as s
from data_access.filters import local_now

LOADED = "loaded_at:"
BUILT = "built_at"
ENV_VAR = "COCKPIT_STALE_HOURS"
DEFAULT_STALE_HOURS = 26.0  # a daily import, with two hours' grace
SOURCES = [t.name for t in s.ALL_TABLES if t.name != s.meta.name]
# The tables behind the headline figures: their oldest load is "the data time" of a page.
HEADLINE_SOURCES = ["tickets", "ticket_events", "visits", "assignments", "clinic_services",
                    "hotline_daily"]


def record_loaded(conn: Connection, table: str, at: datetime | None = None) -> None:
    """Note in cockpit_meta that `table` was loaded successfully at `at` (default: now).
    Call it inside the import's own transaction, so it is written only if the import is."""
    db.set_meta(conn, LOADED + table, (at or local_now()).isoformat(timespec="seconds"))


def fetch_load_times(conn: Connection) -> pd.DataFrame:
    """One row per source table, in schema order.

    Columns: source (str, the table name); loaded_at (datetime64, local time; NaT when
    unknown); how (str: "import" for a recorded import, "sample" for the sample's build
    time, "" when unknown).
    """
    rows = dict(conn.execute(select(s.meta.c.key, s.meta.c.value)).all())
    built = _moment(rows.get(BUILT))
    times, hows = [], []
    for table in SOURCES:
        loaded = _moment(rows.get(LOADED + table))
        times.append(loaded or built)
        hows.append("import" if loaded else "sample" if built else "")
    return pd.DataFrame({"source": SOURCES,
                         "loaded_at": pd.to_datetime(pd.Series(times, dtype="object")),
                         "how": hows})


def _moment(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None) if text else None
    except ValueError:
        return None  # an unreadable value is an unknown time, not a crash of the wall


def data_time(load_times: pd.DataFrame, sources: list[str] | None = None) -> datetime | None:
    """The time of the data drawn from `sources` (default: all): the oldest of their load
    times, as a figure is only as fresh as its oldest input. None when any is unknown."""
    rows = load_times if sources is None else load_times[load_times["source"].isin(sources)]
    if rows.empty or rows["loaded_at"].isna().any():
        return None
    return rows["loaded_at"].min().to_pydatetime()


def stale_limit(environ=None) -> timedelta:
    """The age beyond which a source is marked stale. Raises ValueError for a bad setting."""
    environ = os.environ if environ is None else environ
    value = environ.get(ENV_VAR)
    if value is None and db.SECRETS.exists():
        section = tomllib.loads(db.SECRETS.read_text(encoding="utf-8")).get("wall", {})
        value = section.get("stale_hours")
    hours = DEFAULT_STALE_HOURS if value in (None, "") else float(value)
    if not hours > 0:
        raise ValueError(f"{ENV_VAR} / [wall] stale_hours 必须是正数（小时），而不是 {value!r}")
    return timedelta(hours=hours)


def is_stale(loaded_at: datetime | None, now: datetime, limit: timedelta) -> bool:
    """Whether data loaded at `loaded_at` is too old at `now` (unknown counts as stale)."""
    return loaded_at is None or now - loaded_at > limit
