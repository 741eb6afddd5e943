"""An independent oracle: every ticket, visit, pair, clinic and hotline figure of the registry
(and every rate built on them) recomputed in plain Python from the generator's rows, then
compared with `figures.headline` and `figures.grouped` for many (period, town, as-of) choices.

Nothing here runs SQL or calls data_access to compute: each figure is re-read from its
Chinese definition (figures.FIGURES) and the rules in the module docstrings:
- only what happened before as_of counts (events at or after it are unknown);
- 已解决: a 办结 event, and no 重办 event after the last 办结;
- 已接单: a 接单 after the last 退单 (or the ticket is already 协调交办 or 办结); 已派单 likewise;
- 已销号 / 已评价: resolved, and signed off / scored after the last 办结;
- time limits: due_at is stored in working days; "3个工作日内到期" ends with the 3rd working
  day after as_of's day on the official calendar (chinese_calendar, Mon–Fri where it has no data).
Only constants (thresholds, the figure codes) are taken from data_access.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import chinese_calendar
import pytest

from data_access import figures
from data_access import glossary as g
from data_access.figures import FIGURES, SATISFIED_MIN_SCORE, SOON_DUE_WORKDAYS
from data_access.filters import PERIODS, Filters
from tests.conftest import SAMPLE_NOW

CAMPAIGN_START = date(2026, 1, 1)
FAMILIES = ("tickets", "visits", "pairs", "clinic", "hotline")
COUNTS = [c for c, f in FIGURES.items() if f.family in FAMILIES]
RATES = [c for c, f in FIGURES.items()
         if f.family in ("rate", "per_1k") and FIGURES[f.numerator].family in FAMILIES]
TICKET_COUNTS = [c for c in COUNTS if FIGURES[c].family == "tickets"]
TICKET_RATES = [c for c in RATES if FIGURES[c].family == "rate"
                and FIGURES[FIGURES[c].numerator].family == "tickets"
                and FIGURES[FIGURES[c].denominator].family == "tickets"]
# What each grouping can be asked for (the families that carry that key).
BY = {
    "town_code": COUNTS + RATES + ["population"],
    "grid_cell_code": [c for c in COUNTS + RATES if FIGURES[c].family != "hotline"]
    + ["population"],
    "category": TICKET_COUNTS + TICKET_RATES,
    "source": TICKET_COUNTS + TICKET_RATES,
}
DENSE_TOWN = "330203100000"  # 高桥镇, the most tickets
MOUNTAIN_TOWN = "330203106000"  # 章水镇


def test_the_oracle_covers_every_figure_of_its_families():
    assert {"collected", "resolved", "overdue", "soon_due", "signed_off_unscored", "visits",
            "visited", "clinic_visits", "hotline_services"} <= set(COUNTS)
    assert {"resolution_rate", "completion_rate", "on_time_rate", "reopen_rate",
            "satisfaction_rate", "coverage_rate", "tickets_per_1k"} <= set(RATES)
    assert set(PERIODS) >= {c[1] for c in COMBOS.values() if c[0] == "period"}


# --- the official calendar, straight from the library ----------------------------------------

def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def end_of_nth_workday_after(day: date, n: int) -> datetime:
    while n:
        day += timedelta(days=1)
        n -= is_workday(day)
    return datetime.combine(day + timedelta(days=1), time())


# --- the oracle ------------------------------------------------------------------------------

@dataclass
class Known:
    """A ticket as known at as_of: the last time of each event, and how often each happened."""

    ticket: dict
    last: dict = field(default_factory=dict)
    times: Counter = field(default_factory=Counter)

    def at(self, stage):
        return self.last.get(stage)

    def after_last_rejection(self, stage) -> bool:
        moment, rejected = self.at(stage), self.at("rejected")
        return moment is not None and (rejected is None or moment > rejected)

    @property
    def resolved(self) -> bool:
        done, reopened = self.at("resolved"), self.at("reopened")
        return done is not None and (reopened is None or reopened <= done)

    @property
    def accepted(self) -> bool:
        return (self.after_last_rejection("accepted") or self.at("coordinated") is not None
                or self.at("resolved") is not None)

    @property
    def dispatched(self) -> bool:
        return self.accepted or self.after_last_rejection("dispatched")

    def done_after_last_resolution(self, stage) -> bool:
        moment = self.at(stage)
        return self.resolved and moment is not None and moment >= self.at("resolved")

    @property
    def signed_off(self) -> bool:
        return self.done_after_last_resolution("signed_off")

    @property
    def evaluated(self) -> bool:
        return (self.done_after_last_resolution("evaluated")
                and self.ticket["satisfaction"] is not None)


class Indexed:
    """The generator's rows, indexed once."""

    def __init__(self, rows):
        self.rows = rows
        self.events = defaultdict(list)
        for e in rows["ticket_events"]:
            self.events[e["ticket_id"]].append(e)
        self.target = {t["id"]: t for t in rows["targets"]}
        self.point = {p["code"]: p for p in rows["clinic_points"]}
        self.by_cell_category = defaultdict(list)
        for t in rows["tickets"]:
            self.by_cell_category[t["grid_cell_code"], t["category"]].append(t)


_INDEX = {}


def indexed(rows) -> Indexed:
    if id(rows) not in _INDEX:
        _INDEX[id(rows)] = Indexed(rows)
    return _INDEX[id(rows)]


class Oracle:
    """Every count figure per key of a dimension, for one choice of filters."""

    def __init__(self, rows, f: Filters):
        self.ix = indexed(rows)
        self.f = f
        self.start_at = datetime.combine(f.start, time())
        self.end_before = datetime.combine(f.end + timedelta(days=1), time())
        self.as_of = f.as_of
        self.last_day = min(f.end, f.as_of.date())
        self.soon_end = end_of_nth_workday_after(f.as_of.date(), SOON_DUE_WORKDAYS)
        self.known = [self.known_ticket(t) for t in rows["tickets"]
                      if t["reported_at"] < self.as_of and self.in_town(t["town_code"])]

    def in_town(self, code) -> bool:
        return self.f.town_code is None or code == self.f.town_code

    def in_period(self, moment) -> bool:
        return moment is not None and self.start_at <= moment < self.end_before \
            and moment < self.as_of

    def known_ticket(self, t) -> Known:
        k = Known(t)
        for e in self.ix.events[t["id"]]:
            if e["at"] < self.as_of:
                k.times[e["stage"]] += 1
                k.last[e["stage"]] = max(e["at"], k.last.get(e["stage"], e["at"]))
        return k

    def repeated(self, k: Known) -> bool:
        done = k.at("resolved")
        return any(other["id"] != k.ticket["id"] and other["reported_at"] < self.as_of
                   and done < other["reported_at"] <= done + timedelta(days=g.REPEAT_REPORT_DAYS)
                   for other in self.ix.by_cell_category[k.ticket["grid_cell_code"],
                                                         k.ticket["category"]])

    def ticket_truths(self, k: Known) -> dict[str, bool]:
        t, reported = k.ticket, self.in_period(k.ticket["reported_at"])
        done = k.at("resolved")
        fast = timedelta(hours=g.IMPLAUSIBLY_FAST_HOURS[t["category"]])
        evaluation = k.evaluated and self.in_period(k.at("evaluated"))
        is_open = not k.resolved
        return {
            "collected": reported,
            "resolved": reported and k.resolved,
            "dispatched": reported and k.dispatched,
            "accepted": reported and k.accepted,
            "signed_off": reported and k.signed_off,
            "evaluated": reported and k.evaluated,
            "on_time": reported and k.resolved and done <= t["due_at"],
            "ever_resolved": reported and done is not None,
            "reopened": reported and k.times["reopened"] > 0,
            "supervised": reported and k.times["supervised"] > 0,
            "coordinated": reported and k.times["coordinated"] > 0,
            "bounced": reported and k.times["rejected"] >= 2,
            "repeat_reported": reported and k.resolved and self.repeated(k),
            "fast_closed": reported and done is not None and done - t["reported_at"] < fast,
            "signed_off_unscored": reported and k.signed_off and not k.evaluated,
            "resolved_in_period": k.resolved and self.in_period(done),
            "evaluations": evaluation,
            "satisfied": evaluation and t["satisfaction"] >= SATISFIED_MIN_SCORE,
            "open": is_open,
            "overdue": is_open and t["due_at"] < self.as_of,
            "soon_due": is_open and self.as_of <= t["due_at"] <= self.soon_end,
        }

    def counts(self, by: str | None) -> dict:
        """{key: {count code: value}}; by None gives one key, None."""
        out = defaultdict(Counter)

        def key(row, column):
            return None if by is None else row.get(by if column is None else column)

        for k in self.known:
            for code, truth in self.ticket_truths(k).items():
                out[key(k.ticket, None)][code] += truth
        if by in ("category", "source"):
            return out
        rows, target = self.ix.rows, self.ix.target
        visited = set()
        for v in rows["visits"]:
            if self.in_period(v["visited_at"]):
                visited.add((v["officer_id"], v["target_id"]))
                if self.in_town(target[v["target_id"]]["town_code"]):
                    out[key(target[v["target_id"]], by)]["visits"] += 1
        for a in rows["assignments"]:
            where = target[a["target_id"]]
            if self.in_town(where["town_code"]):
                out[key(where, by)]["assigned"] += 1
                out[key(where, by)]["visited"] += (a["officer_id"], a["target_id"]) in visited
        for s in rows["clinic_services"]:
            point = self.ix.point[s["point_code"]]
            if self.f.start <= s["served_on"] <= self.last_day and self.in_town(point["town_code"]):
                out[key(point, by)]["clinic_visits"] += s["person_visits"]
                out[key(point, by)]["clinic_stops"] += 1
        if by != "grid_cell_code":
            for h in rows["hotline_daily"]:
                if self.f.start <= h["day"] <= self.last_day and self.in_town(h["town_code"]):
                    out[key(h, by)]["hotline_services"] += h["services"]
        places = rows["grid_cells"] if by == "grid_cell_code" else rows["towns"]
        for p in places:
            if self.in_town(p["town_code"] if by == "grid_cell_code" else p["code"]):
                out[None if by is None else p["code"]]["population"] += p["population"]
        return out

    def figures(self, by: str | None, codes) -> dict:
        """{key: {code: value}} with the rates derived from their counts (NaN over zero)."""
        out = {}
        for k, counts in self.counts(by).items():
            row = {}
            for code in codes:
                fig = FIGURES.get(code)
                if fig is not None and fig.family in ("rate", "per_1k"):
                    num, den = counts[fig.numerator], counts[fig.denominator]
                    scale = 1000 if fig.family == "per_1k" else 1
                    row[code] = num / den * scale if den else math.nan
                else:
                    row[code] = counts[code]
            out[k] = row
        return out


# --- the choices compared --------------------------------------------------------------------

def _at(s: str) -> datetime:
    return datetime.fromisoformat(s)


COMBOS = {
    # (kind, period, now, town)
    "campaign-just-before-the-end": ("period", "campaign", _at("2026-11-25 15:40"), None),
    "this_week-at-the-end-dense-town": ("period", "this_week", SAMPLE_NOW, DENSE_TOWN),
    "last_week-monday-morning": ("period", "last_week", _at("2026-11-23 08:45"), None),
    "this_week-monday-morning": ("period", "this_week", _at("2026-09-07 09:10"), None),
    "last_30_days-mid-june": ("period", "last_30_days", _at("2026-06-17 14:00"), None),
    "this_month-after-national-day-town": ("period", "this_month", _at("2026-10-09 11:00"),
                                           DENSE_TOWN),
    "this_year-march": ("period", "this_year", _at("2026-03-04 10:00"), None),
    "last_30_days-before-spring-festival": ("period", "last_30_days", _at("2026-02-12 15:00"),
                                            None),
    "campaign-may-mountain-town": ("period", "campaign", _at("2026-05-06 10:00"), MOUNTAIN_TOWN),
    "this_month-at-the-end": ("period", "this_month", SAMPLE_NOW, None),
    "week-before-january": ("between", date(2025, 12, 22), date(2025, 12, 28), None),
    "quiet-week-in-a-town": ("quiet", None, None, None),
    "town-with-one-ticket": ("one", None, None, None),
    "while-tickets-wait-after-a-bounce": ("bounce", None, None, None),
}


def _week_filters(monday: date, town=None) -> Filters:
    return Filters.between(monday, monday + timedelta(days=6), SAMPLE_NOW, town_code=town)


def filters_for(name: str, rows) -> Filters:
    kind, a, b, town = COMBOS[name]
    if kind == "period":
        return Filters.for_period(a, b, campaign_start=CAMPAIGN_START, town_code=town)
    if kind == "between":
        return Filters.between(a, b, SAMPLE_NOW, town_code=town)
    if kind == "bounce":  # as_of after a 退单, before the ticket is dispatched again
        return Filters.for_period("last_30_days", _between_bounce_and_redispatch(rows))
    # found in the rows: a week in which a town had tickets open but none reported, or
    # exactly one reported
    wanted = 0 if kind == "quiet" else 1
    mondays = [date(2026, 3, 2) + timedelta(days=7 * k) for k in range(35)]
    for monday in mondays:
        for town in (t["code"] for t in rows["towns"]):
            o = Oracle(rows, _week_filters(monday, town)).figures(None, ["collected", "open"])
            if o[None]["collected"] == wanted and o[None]["open"] > 0:
                return _week_filters(monday, town)
    raise AssertionError(f"the sample has no town-week with {wanted} ticket(s)")


def _between_bounce_and_redispatch(rows) -> datetime:
    events = defaultdict(list)
    for e in rows["ticket_events"]:
        events[e["ticket_id"]].append(e)
    for ticket_events in events.values():
        ticket_events.sort(key=lambda e: e["at"])
        for e, then in zip(ticket_events, ticket_events[1:]):
            if e["stage"] == "rejected" and then["stage"] == "dispatched" \
                    and e["at"].month in (5, 6, 7):
                return e["at"] + (then["at"] - e["at"]) / 2
    raise AssertionError("the sample has no ticket bounced in May–July")


_FILTERS = {}


def combo(name, rows) -> Filters:
    if name not in _FILTERS:
        _FILTERS[name] = filters_for(name, rows)
    return _FILTERS[name]


# --- comparing -------------------------------------------------------------------------------

def same(expected, got) -> bool:
    if isinstance(expected, float) or isinstance(got, float):
        if math.isnan(expected) or math.isnan(got):
            return math.isnan(expected) and math.isnan(got)
        return math.isclose(expected, got, rel_tol=1e-9, abs_tol=1e-12)
    return int(expected) == int(got)


def differences(expected: dict, got: dict) -> dict:
    return {c: (expected[c], got[c]) for c in expected
            if not same(expected[c], got[c])}


def default(code):
    fig = FIGURES.get(code)
    return math.nan if fig is not None and fig.family in ("rate", "per_1k") else 0


@pytest.mark.parametrize("name", COMBOS)
def test_headline_equals_the_oracle(conn, sample_rows, name):
    f = combo(name, sample_rows.rows)
    codes = COUNTS + RATES
    expected = Oracle(sample_rows.rows, f).figures(None, codes)[None]
    got = figures.headline(conn, f, codes)
    assert not differences(expected, got), (f, differences(expected, got))


@pytest.mark.parametrize("name", COMBOS)
def test_grouped_equals_the_oracle(conn, sample_rows, name):
    f = combo(name, sample_rows.rows)
    oracle = Oracle(sample_rows.rows, f)
    for by, codes in BY.items():
        expected = oracle.figures(by, codes)
        frame = figures.grouped(conn, f, by, codes)
        assert frame["key"].is_unique
        got = {row["key"]: row for row in frame.to_dict("records")}
        wrong = {}
        for key in set(expected) | set(got):
            want = expected.get(key, {c: default(c) for c in codes})
            have = got.get(key, {c: default(c) for c in codes})
            if differences(want, have):
                wrong[key] = differences(want, have)
        assert not wrong, (f, by, dict(list(wrong.items())[:5]), f"{len(wrong)} keys differ")


def test_signed_off_unscored_ignores_scores_given_after_as_of(conn, sample_rows):
    f = combo("last_week-monday-morning", sample_rows.rows)
    expected = Oracle(sample_rows.rows, f).figures(None, ["signed_off_unscored"])[None]
    assert figures.headline(conn, f, ["signed_off_unscored"]) == expected


# --- the sample must hold the cases that tell definitions apart ------------------------------

def edge_cases(rows, f: Filters) -> Counter:
    """How many tickets of each hard case the oracle sees under `f`."""
    o = Oracle(rows, f)
    cases = Counter()
    for k in o.known:
        truths = o.ticket_truths(k)
        cases["reopened and still open"] += k.times["reopened"] > 0 and not k.resolved
        cases["events after as_of"] += any(e["at"] >= o.as_of for e in o.ix.events[k.ticket["id"]])
        cases["resolved in period, evaluated after it"] += truths["resolved_in_period"] and any(
            e["stage"] == "evaluated" and e["at"] >= o.end_before
            for e in o.ix.events[k.ticket["id"]])
        cases["signed off, scored only after as_of"] += k.signed_off and not k.evaluated and any(
            e["stage"] == "evaluated" for e in o.ix.events[k.ticket["id"]])
        cases["bounced after a dispatch, not yet re-dispatched"] += (
            k.at("rejected") is not None and k.at("dispatched") is not None
            and k.at("dispatched") < k.at("rejected"))
        for code in ("bounced", "signed_off_unscored", "fast_closed", "repeat_reported"):
            cases[code] += truths[code]
    return cases


@pytest.mark.parametrize("name, needed", [
    ("campaign-just-before-the-end", ["reopened and still open", "events after as_of",
                                      "bounced", "signed_off_unscored", "fast_closed",
                                      "repeat_reported"]),
    ("last_30_days-mid-june", ["reopened and still open", "events after as_of",
                               "resolved in period, evaluated after it", "bounced",
                               "signed_off_unscored", "repeat_reported"]),
    ("while-tickets-wait-after-a-bounce", ["bounced after a dispatch, not yet re-dispatched"]),
    ("last_week-monday-morning", ["events after as_of", "resolved in period, evaluated after it",
                                  "signed off, scored only after as_of",
                                  "reopened and still open"]),
])
def test_the_sample_holds_the_edge_cases(sample_rows, name, needed):
    cases = edge_cases(sample_rows.rows, combo(name, sample_rows.rows))
    assert all(cases[c] > 0 for c in needed), cases


def test_the_found_combinations_are_what_they_claim(sample_rows):
    rows = sample_rows.rows
    quiet = Oracle(rows, combo("quiet-week-in-a-town", rows)).figures(None, ["collected", "open"])
    one = Oracle(rows, combo("town-with-one-ticket", rows)).figures(None, ["collected"])
    empty = Oracle(rows, combo("week-before-january", rows)).figures(None, COUNTS)
    assert quiet[None]["collected"] == 0 and quiet[None]["open"] > 0
    assert one[None]["collected"] == 1
    assert empty[None]["collected"] == 0 and empty[None]["open"] == 0
