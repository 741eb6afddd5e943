"""Casting query results to their documented columns, so both backends give identical frames."""

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, case, func

DTYPES = {
    "str": "str",
    "int": "int64",
    "float": "float64",
    "bool": "bool",
}


def typed(rows, columns: dict[str, str]) -> pd.DataFrame:
    """A DataFrame of `rows` with exactly `columns` (name → str|int|float|bool|datetime|date).

    NULL integers become 0 (counts); NULL floats stay NaN (rates of nothing); NULL
    datetimes NaT; dates are datetime64 at midnight. Each column is built once from the
    rows (numbers through numpy; pandas' steps per column, a few, cost more than the query
    on small frames); dates and times, text on SQLite, are parsed by pandas.
    """
    values = list(zip(*rows)) if rows else [()] * len(columns)
    frame = {}
    for (name, kind), col in zip(columns.items(), values):
        if kind in ("datetime", "date"):
            parsed = pd.to_datetime(pd.Series(col, dtype=object), errors="coerce",
                                    format="mixed")
            frame[name] = (parsed.dt.normalize() if kind == "date" else parsed
                           ).astype("datetime64[s]")
        elif kind == "int":
            counts = col if None not in col else [0 if v is None else v for v in col]
            frame[name] = pd.Series(np.array(counts, dtype=np.int64))
        elif kind == "float":
            frame[name] = pd.Series(np.array(col, dtype=np.float64))  # None: NaN
        elif kind == "bool":
            frame[name] = pd.Series([bool(v) for v in col], dtype=bool)
        elif all(v is None or v.__class__ is str for v in col):
            frame[name] = pd.Series(col, dtype="str")
        else:  # codes or dates where text is documented
            frame[name] = pd.Series([None if v is None else str(v) for v in col], dtype="str")
    return pd.DataFrame(frame, columns=list(columns))


def fetch(conn: Connection, query: Select, columns: dict[str, str]) -> pd.DataFrame:
    """Run `query` and return its rows cast to `columns` (in the query's column order)."""
    return typed(conn.execute(query).all(), columns)


def ratio(numerator, denominator) -> float:
    """numerator / denominator, or NaN when there is nothing to divide by."""
    return float(numerator) / float(denominator) if denominator else float("nan")


def monday_of(days: pd.Series) -> pd.Series:
    """The Monday of each day's week."""
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def weeks_between(start, end) -> pd.DatetimeIndex:
    """The Mondays of every week that touches [start, end] (every seventh day from the first:
    pd.date_range with a weekly frequency takes 1.9 ms for five years' weeks, this 0.01)."""
    start = pd.Timestamp(start)
    first = np.datetime64(start.date(), "D") - np.timedelta64(start.day_of_week, "D")
    last = np.datetime64(pd.Timestamp(end).date(), "D")
    return pd.DatetimeIndex(np.arange(first, last + 1, 7).astype("datetime64[s]"))


def count_if(condition):
    """SQL: how many rows satisfy `condition` (a conditional sum, the same on both backends)."""
    return func.sum(case((condition, 1), else_=0))
