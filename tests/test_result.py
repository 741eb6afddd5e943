"""result.typed: query rows cast to their documented columns, the same frame whether the
rows come as PostgreSQL gives them (datetimes, Decimal sums) or as SQLite does (text, int)."""

from datetime import date, datetime
from decimal import Decimal

import pandas as pd

from data_access.result import typed

COLUMNS = {"code": "str", "tickets": "int", "rate": "float", "open": "bool",
           "at": "datetime", "day": "date"}
EXPECTED = pd.DataFrame({
    "code": pd.Series(["330203001", None, "12"], dtype="str"),
    "tickets": pd.Series([3, 0, 7], dtype="int64"),
    "rate": pd.Series([0.5, float("nan"), 2.0], dtype="float64"),
    "open": pd.Series([True, False, False], dtype=bool),
    "at": pd.Series([datetime(2026, 11, 3, 9, 30), pd.NaT, datetime(2026, 11, 4)],
                    dtype="datetime64[s]"),
    "day": pd.Series([datetime(2026, 11, 3), pd.NaT, datetime(2026, 11, 4)],
                     dtype="datetime64[s]"),
})


def test_postgresql_and_sqlite_rows_give_the_same_documented_frame():
    postgresql = [("330203001", Decimal("3"), Decimal("0.5"), True,
                   datetime(2026, 11, 3, 9, 30), date(2026, 11, 3)),
                  (None, None, None, None, None, None),
                  ("12", 7, 2, False, datetime(2026, 11, 4), date(2026, 11, 4))]
    sqlite = [("330203001", 3, 0.5, 1, "2026-11-03 09:30:00.000000", "2026-11-03"),
              (None, None, None, None, None, None),
              (12, 7, 2.0, 0, "2026-11-04 00:00:00", "2026-11-04 00:00:00")]
    for rows in (postgresql, sqlite):
        pd.testing.assert_frame_equal(typed(rows, COLUMNS), EXPECTED)


def test_no_rows_give_the_columns_with_their_types():
    empty = typed([], COLUMNS)
    assert list(empty.columns) == list(COLUMNS) and len(empty) == 0
    assert empty.dtypes.to_dict() == EXPECTED.dtypes.to_dict()
