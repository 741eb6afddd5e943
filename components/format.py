"""Number, percentage and date formatting for the screen: 万, %, Asia/Shanghai."""

import pandas as pd

from data_access.filters import local_now as now_local  # noqa: F401  (pages format "now")

NOTHING = "—"


def _missing(x) -> bool:
    """None, NaN and NaT: nothing to show."""
    return x is None or (not isinstance(x, (str, list, tuple)) and bool(pd.isna(x)))


def count(n) -> str:
    """1337 → '1,337'; 412386 → '41.2万'."""
    if _missing(n):
        return NOTHING
    n = int(n)
    return f"{n / 10_000:.1f}万" if abs(n) >= 100_000 else f"{n:,}"


def pct(rate, digits: int = 1) -> str:
    """0.8743 → '87.4%'."""
    return NOTHING if _missing(rate) else f"{rate * 100:.{digits}f}%"


def signed(n) -> str:
    return NOTHING if _missing(n) else f"{int(n):+,}"


def points(rate_delta) -> str:
    """A change of a rate, in percentage points: 0.021 → '+2.1个百分点'."""
    return NOTHING if _missing(rate_delta) else f"{rate_delta * 100:+.1f}个百分点"


def day(d) -> str:
    return NOTHING if _missing(d) else f"{d:%Y-%m-%d}"


def moment(t) -> str:
    return NOTHING if _missing(t) else f"{t:%Y-%m-%d %H:%M}"


def mask_name(name: str | None) -> str:
    """Citizen names are masked: 张伟 → 张*, 欧阳娜娜 → 欧***."""
    if not name:
        return NOTHING
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str:
    """13812345678 → 138****5678."""
    if not phone:
        return NOTHING
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
