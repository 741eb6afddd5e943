"""components/cached's store of query results: a result is computed once per TTL, however
many callers ask at once; each caller gets its own copy, which it may change without
changing what the next caller gets; the store forgets the least recently used first."""

import threading
import time
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import text

from components import cached
from data_access.filters import Filters
from tests.conftest import day

PERIOD = Filters.between(day("2026-11-01"), day("2026-11-07"), datetime(2026, 11, 8))


@dataclass(frozen=True)
class Report:
    period: Filters
    frame: pd.DataFrame
    parts: dict


def report(conn, n: int) -> Report:
    """A result of every shape data_access returns: a dataclass holding a frozen Filters,
    a frame and a dict of frames and lists."""
    towns = conn.execute(text("select 1")).scalar() * n
    return Report(PERIOD,
                  pd.DataFrame({"town": ["章水镇", "鄞江镇"], "tickets": [towns, 2]}),
                  {"by_week": pd.DataFrame({"week": [1, 2], "tickets": [3, 4]}),
                   "codes": ["a", "b"], "series": pd.Series([1.5, 2.5])})


@pytest.fixture
def store(app_db):
    cached.forget()
    yield
    cached.forget()


def test_a_caller_changing_its_result_changes_nothing_stored(store):
    first = cached.call(report, 1)
    first.frame.loc[0, "tickets"] = 99  # a page writing into its frame
    first.frame["share"] = 0.5  # … adding a column
    first.frame.columns = ["镇街", "问题", "占比"]  # … renaming its columns
    first.parts["by_week"].iloc[0, 1] = -1
    first.parts["codes"].append("c")
    first.parts["series"][0] = 0.0
    first.parts["extra"] = 1

    second = cached.call(report, 1)
    assert second is not first and second.frame is not first.frame
    assert second.frame.to_dict("list") == {"town": ["章水镇", "鄞江镇"], "tickets": [1, 2]}
    assert second.parts["by_week"]["tickets"].tolist() == [3, 4]
    assert second.parts["codes"] == ["a", "b"] and "extra" not in second.parts
    assert second.parts["series"].tolist() == [1.5, 2.5]
    assert second.period == PERIOD


def test_a_result_is_computed_once_however_many_ask_at_once(store, monkeypatch):
    computed, real = [], cached._compute

    def slow(url, fn, args, kwargs):
        computed.append(args)
        time.sleep(0.3)  # long enough for every thread to ask while the first computes
        return real(url, fn, args, kwargs)

    monkeypatch.setattr(cached, "_compute", slow)
    results = []
    threads = [threading.Thread(target=lambda: results.append(cached.call(report, 7)))
               for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert computed == [(7,)]
    assert [r.frame["tickets"].tolist() for r in results] == [[7, 2]] * 6

    cached.expire()  # the TTL has passed: computed again, once
    cached.call(report, 7)
    cached.call(report, 7)
    assert computed == [(7,), (7,)]


def test_the_store_forgets_the_least_recently_used_first(store, monkeypatch):
    monkeypatch.setattr(cached, "STORE_ENTRIES", 3)
    computed, real = [], cached._compute

    def counting(url, fn, args, kwargs):
        computed.append(args[0])
        return real(url, fn, args, kwargs)

    monkeypatch.setattr(cached, "_compute", counting)
    for n in (1, 2, 3, 1, 4):  # 1 was used again after 2 and 3: 2 is the least recent
        cached.call(report, n)
    assert computed == [1, 2, 3, 4]
    cached.call(report, 1)
    cached.call(report, 3)
    assert computed == [1, 2, 3, 4]
    cached.call(report, 2)
    assert computed == [1, 2, 3, 4, 2]
