"""The only caching boundary: the engine per process, and one store of query results, each
fresh for TTL_SECONDS and then kept as the last good result for when the database stops
answering.

Pages call `cached.call(module.fetch_x, filters, ...)`: the data_access function runs in
its own `with engine.connect()` and its result is stored by the function (its name and its
code, so an edited query never serves old results) and the arguments. A page gets its own
copy of a stored result, made in microseconds (pandas copies on write); st.cache_data
pickled every result and unpickled it on every hit, about a millisecond a call, which was
most of a page's warm time.

Outages. The frame calls `begin_run()` first on every run: it pings the database cheaply
and keeps a place at the top of the page for the banner. While the database does not
answer (or a query fails), `call` returns the last good result for the same function and
arguments, kept beyond the TTL, and the page shows one banner: the data is not current,
since when. A view never computed before cannot be served: `call` puts a message in its
place and ends the page run there (st.stop), or, inside `with cached.section():`, ends only
that section. The next run after the database answers again is current, banner gone.
"""

import copy
import hashlib
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from types import CodeType
from typing import Concatenate, ParamSpec, TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from components import format as fmt
from data_access import db
from data_access.schema import SCHEMA_VERSION

TTL_SECONDS = 300
STORE_ENTRIES = 2048  # results per process; the least recently used are forgotten first
NOT_COMPUTED = ("暂无数据：数据库暂时无法访问，且此前未在这些条件下取得过数据。"
                "数据库恢复后刷新页面即可显示。")
DATABASE_FAILURES = (SQLAlchemyError, db.CockpitDatabaseError, TimeoutError, OSError)

P = ParamSpec("P")
R = TypeVar("R")

IMMUTABLE = (str, bytes, int, float, bool, date, datetime, Decimal)


@dataclass(frozen=True)
class _Kept:
    """One stored result: fresh (served without asking the database) until `fresh_until`
    (time.monotonic), kept beyond it as the last good result for an outage."""

    value: object
    computed: datetime  # local time, for the banner
    fresh_until: float

    def fresh(self) -> bool:
        return time.monotonic() < self.fresh_until


_build_lock = threading.Lock()
_store_lock = threading.Lock()
_store: OrderedDict[tuple, _Kept] = OrderedDict()  # store_key → result, least recent first
_computing: dict[tuple, threading.Lock] = {}  # store_key → held while one thread computes it
_outage_since: dict[str, datetime] = {}  # url → when the database was first seen failing


class DataUnavailable(Exception):
    """A query failed and there is no earlier result of it to show (see `section`)."""


@dataclass
class _Run:
    """What one page run knows about the database: set by begin_run, per script thread."""

    url: str = ""
    down: bool = False
    slot: object = None  # the st.empty() at the top of the page that holds the banner
    oldest: datetime | None = None  # the oldest result served from the last-good store
    sections: int = 0


_local = threading.local()


def _run() -> _Run:
    if not hasattr(_local, "run"):
        _local.run = _Run()
    return _local.run


def forget() -> None:
    """Forget every stored result and drawing step, as at the process's start (a rebuilt
    sample, tests, the benchmark)."""
    with _store_lock:
        _store.clear()
    _memo.clear()


def expire() -> None:
    """Let every stored result's TTL pass: the next call computes it again, and only if the
    database fails serves the kept one (tests)."""
    with _store_lock:
        for key, kept in _store.items():
            _store[key] = replace(kept, fresh_until=0.0)


def database_url() -> str:
    return db.configured_url()


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine = db.read_only_engine(url)
    db.check_database(engine)
    return engine


def sample_needs_building(url: str) -> bool:
    """The built-in sample is missing, or was built by an older version of the cockpit (its
    schema version differs): it is ours to (re)build; a configured database never is."""
    return db.is_default_sample(url) and (
        not db.SAMPLE_DB.exists() or db.sample_version(db.SAMPLE_DB) != str(SCHEMA_VERSION))


def ensure_sample_database(url: str) -> bool:
    """Build the default SQLite sample database if it is missing or out of date. True if it
    was built."""
    if not sample_needs_building(url):
        return False
    from sample_data.generate import build_sqlite  # only needed on a fresh machine

    with _build_lock:
        if sample_needs_building(url):
            build_sqlite(db.SAMPLE_DB)
            st.cache_resource.clear()  # an engine on the old file must not serve the new one
            forget()
    return True


def engine() -> Engine:
    """The read-only engine of the configured database; raises CockpitDatabaseError."""
    return _engine(database_url())


# --- outages --------------------------------------------------------------------------------

def begin_run() -> bool:
    """Start a page run: keep the banner's place here, ping the database. True if it answers.
    The frame calls this once, after the engine is open and before any query."""
    run = _local.run = _Run(url=database_url(), slot=st.empty())
    try:
        db.ping(engine())
    except DATABASE_FAILURES:
        _went_down(run)
        return False
    with _store_lock:
        _outage_since.pop(run.url, None)
    return True


def _went_down(run: _Run) -> None:
    run.down = True
    with _store_lock:
        _outage_since.setdefault(run.url, fmt.now_local())
    _banner(run)


def outage_since() -> datetime | None:
    """When the configured database was first seen failing, or None if it answers."""
    return _outage_since.get(database_url())


def _banner(run: _Run) -> None:
    since = _outage_since.get(run.url)
    text = "数据库暂时无法访问"
    if since is not None:
        text += f"（自 {fmt.moment(since)} 起）"
    if run.oldest is not None:
        text += f"：页面显示的是 {fmt.moment(run.oldest)} 取得的数据，不是最新数据。"
    else:
        text += "：页面显示的不是最新数据。"
    text += "数据库恢复后，下一次刷新会自动更新。"
    if run.slot is None:  # a script that skipped begin_run: the banner goes here
        run.slot = st.empty()
    run.slot.warning(text, icon=":material/cloud_off:")  # replaced, never added to: one banner


# --- queries --------------------------------------------------------------------------------

def _code_digest(code: CodeType) -> bytes:
    """The function's compiled body, its constants (nested functions included) and names."""
    h = hashlib.sha256(code.co_code)
    for const in code.co_consts:
        h.update(_code_digest(const) if isinstance(const, CodeType) else repr(const).encode())
    h.update(repr(code.co_names).encode())
    return h.digest()


_code_hashes: dict[int, tuple[CodeType, str]] = {}  # id(code) → (code, hash): kept alive


def code_hash(fn: Callable) -> str:
    """A hash of what `fn` does: an edited query gets a new one, hence no old results.
    Computed once per code object (an edited function has a new one)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return ""
    known = _code_hashes.get(id(code))
    if known is None or known[0] is not code:
        known = _code_hashes[id(code)] = (code, _code_digest(code).hex()[:16])
    return known[1]


def _name(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def store_key(url: str, fn: Callable, args: tuple, kwargs: dict) -> tuple:
    try:
        arguments = hashlib.sha256(pickle.dumps((args, sorted(kwargs.items())))).hexdigest()
    except (pickle.PicklingError, TypeError, AttributeError):
        arguments = repr((args, sorted(kwargs.items())))
    return url, _name(fn), code_hash(fn), arguments


def _compute(url: str, fn: Callable, args: tuple, kwargs: dict) -> object:
    with _engine(url).connect() as conn:
        return fn(conn, *args, **kwargs)


def _fresh(key: tuple) -> _Kept | None:
    """The stored result of `key` while fresh (marked as just used), else None. Under
    _store_lock."""
    kept = _store.get(key)
    if kept is None or not kept.fresh():
        return None
    _store.move_to_end(key)
    return kept


def _result(key: tuple, fn: Callable, args: tuple, kwargs: dict) -> _Kept:
    """The stored result of `key` if still fresh, else computed now (one thread computes a
    key at a time; the others wait for its result) and stored. Raises what the query
    raises; the store keeps the last good result then."""
    with _store_lock:
        if (kept := _fresh(key)) is not None:
            return kept
        computing = _computing.setdefault(key, threading.Lock())
    with computing:
        with _store_lock:  # computed by the thread that held the lock before?
            if (kept := _fresh(key)) is not None:
                return kept
        try:
            kept = _Kept(_compute(key[0], fn, args, kwargs), fmt.now_local(),
                         time.monotonic() + TTL_SECONDS)
            with _store_lock:
                _store[key] = kept
                _store.move_to_end(key)
                while len(_store) > STORE_ENTRIES:
                    _store.popitem(last=False)
        finally:  # after storing: a thread arriving now finds the result, not a free key
            with _store_lock:
                _computing.pop(key, None)
        return kept


def call(fn: Callable[Concatenate[Connection, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
    """fn(conn, *args, **kwargs), cached for TTL_SECONDS by fn (name and code) and the
    arguments. If the database fails, the last good result of the same call, under the
    banner; if there is none, DataUnavailable (see the module docstring). The caller gets
    its own copy (`_own`): changing it changes nothing stored."""
    run = _run()
    url = run.url or database_url()
    key = store_key(url, fn, args, kwargs)
    if not run.down:
        try:
            return _own(_result(key, fn, args, kwargs).value)
        except DATABASE_FAILURES:
            _went_down(run)
    with _store_lock:
        kept = _store.get(key)
    if kept is None:
        _unavailable(run)
    if run.oldest is None or kept.computed < run.oldest:
        run.oldest = kept.computed
        _banner(run)
    return _own(kept.value)


def _own(value):
    """A copy of a stored result for one caller: frames and series shallow (pandas 3 copies
    on write, so a change to the copy never reaches the stored one), dicts, lists, tuples
    and dataclasses rebuilt around copies of their parts, immutable values as they are,
    anything else deep-copied. Microseconds where unpickling (st.cache_data's copy) took a
    millisecond."""
    if isinstance(value, IMMUTABLE) or value is None:
        return value
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=False)
    if type(value) is dict:
        return {k: _own(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_own(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _own(getattr(value, f.name))
                                 for f in fields(value) if f.init})
    return copy.deepcopy(value)


def _unavailable(run: _Run):
    """Say so in the view's place; end the section, or else the page run."""
    st.info(NOT_COMPUTED, icon=":material/hourglass_empty:")
    if run.sections:
        raise DataUnavailable(NOT_COMPUTED)
    st.stop()


@contextmanager
def section() -> Iterator[None]:
    """A part of a page that may be missing during an outage without ending the page:

        with cached.section():
            st.altair_chart(charts.weekly_trend(cached.call(ticket_flow.fetch_weekly_flow, f)))

    If a query in it has no earlier result, the message stands in its place and the page
    goes on after the block."""
    run = _run()
    run.sections += 1
    try:
        yield
    except DataUnavailable:
        pass
    finally:
        run.sections -= 1


@st.cache_data(ttl=TTL_SECONDS, max_entries=256, show_spinner=False)
def _memo(name: str, code: str, _fn, args: tuple):
    return _fn(*args)


def memo(fn: Callable[P, R], *args: P.args) -> R:
    """fn(*args) for a pure drawing step (e.g. building map features), cached like call()."""
    return _memo(_name(fn), code_hash(fn), fn, args)
