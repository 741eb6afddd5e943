"""The only caching boundary: the engine per process, query results per TTL.

Pages call `cached.call(module.fetch_x, filters, ...)`: the data_access function runs in
its own `with engine.connect()` and its result is cached by function name and arguments.
"""

import threading

import streamlit as st
from sqlalchemy import Engine

from data_access import db

TTL_SECONDS = 300
_build_lock = threading.Lock()


def database_url() -> str:
    return db.configured_url()


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine = db.read_only_engine(url)
    db.check_database(engine)
    return engine


def ensure_sample_database(url: str) -> bool:
    """Build the default SQLite sample database if it is missing. True if it was built."""
    if not db.is_default_sample(url) or db.SAMPLE_DB.exists():
        return False
    from sample_data.generate import build_sqlite  # only needed on a fresh machine

    with _build_lock:
        if not db.SAMPLE_DB.exists():
            build_sqlite(db.SAMPLE_DB)
    return True


def engine() -> Engine:
    """The read-only engine of the configured database; raises CockpitDatabaseError."""
    return _engine(database_url())


@st.cache_data(ttl=TTL_SECONDS, max_entries=1024, show_spinner=False)
def _call(url: str, name: str, _fn, args: tuple, kwargs: dict):
    with _engine(url).connect() as conn:
        return _fn(conn, *args, **kwargs)


def call(fn, *args, **kwargs):
    """fn(conn, *args, **kwargs), cached for TTL_SECONDS by fn's name and the arguments."""
    return _call(database_url(), f"{fn.__module__}.{fn.__qualname__}", fn, args, kwargs)


@st.cache_data(ttl=TTL_SECONDS, max_entries=256, show_spinner=False)
def _memo(name: str, _fn, args: tuple):
    return _fn(*args)


def memo(fn, *args):
    """fn(*args) for a pure drawing step (e.g. building map features), cached like call()."""
    return _memo(f"{fn.__module__}.{fn.__qualname__}", fn, args)
