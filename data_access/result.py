"""Casting query results to their documented columns, so both backends give identical frames."""

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
    datetimes NaT; dates are datetime64 at midnight.
    """
    df = pd.DataFrame([tuple(r) for r in rows], columns=list(columns))
    for name, kind in columns.items():
        col = df[name]
        if kind in ("datetime", "date"):
            values = pd.to_datetime(col, errors="coerce", format="mixed")
            df[name] = values.dt.normalize() if kind == "date" else values
            df[name] = df[name].astype("datetime64[s]")
        elif kind == "int":
            df[name] = pd.to_numeric(col).fillna(0).astype("int64")
        elif kind == "float":
            df[name] = pd.to_numeric(col).astype("float64")
        elif kind == "bool":
            df[name] = col.fillna(False).astype(bool)
        else:
            df[name] = col.astype("str").where(col.notna(), None)
    return df


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
    """The Mondays of every week that touches [start, end]."""
    first = pd.Timestamp(start) - pd.Timedelta(days=pd.Timestamp(start).day_of_week)
    return pd.date_range(first, pd.Timestamp(end), freq="W-MON").astype("datetime64[s]")


def count_if(condition):
    """SQL: how many rows satisfy `condition` (a conditional sum, the same on both backends)."""
    return func.sum(case((condition, 1), else_=0))
