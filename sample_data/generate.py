"""Build the sample database: deterministic (fixed seed), reproducing the seed's figures.

    python -m sample_data.generate [--url URL] [--today YYYY-MM-DD]

Without --url it writes sample_data/cockpit.db. Dates run from 1 January of the
campaign year to `today`, so "this week" and "last week" always have data. The figures
that the seed text gives are hit exactly (SEED_FIGURES); the rest is plausible: more
tickets in the dense 街道, clinic work in the mountain towns, a few officers lagging.
"""

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import Engine, insert

from data_access import glossary as g
from data_access import schema as s
from data_access import summaries
from data_access.db import SAMPLE_DB, SAMPLE_MARK, sample_url, writable_engine
from data_access.filters import local_now
from data_access.workdays import WorkCalendar
from sample_data import geometry
from sample_data import reference as ref
from sample_data.programmes import ProgrammeRows, person, pick_weighted, place
from sample_data.reference import SEED_FIGURES, TITLES

SEED = 20191014  # the day the seed text was published

TICKETS_BY_SOURCE = {
    "visit": 520, "hotline_81890": 260, "direct_line": 200, "grid": 120,
    "open_space": 90, "red_helper": 87, "site_secretary": 60,
}


class SampleBuilder(ProgrammeRows):
    """Holds the generated rows table by table; `write` puts them into a database."""

    def __init__(self, now: datetime):
        self.rng = random.Random(SEED)
        self.today = now.date()
        self.start = date(self.today.year, 1, 1)
        self.now = now.replace(microsecond=0)
        self.latest = self.now - timedelta(minutes=1)  # every record is strictly before now
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.cell_pixels: dict[str, geometry.Region] = {}
        self.calendar = WorkCalendar()

    # --- time -------------------------------------------------------------
    def random_day(self, start: date | None = None) -> date:
        start = start or self.start
        return start + timedelta(days=self.rng.randrange((self.today - start).days + 1))

    def random_moment(self, day: date) -> datetime:
        """A working-hours moment of `day`, never later than the data's end."""
        moment = datetime.combine(day, dtime(8)) + timedelta(minutes=self.rng.randrange(600))
        return min(moment, self.latest)

    def point_in(self, cell_code: str) -> tuple[float, float]:
        return geometry.random_point(self.cell_pixels[cell_code], self.rng)

    # --- places -----------------------------------------------------------
    def build_places(self):
        towns = ref.load_towns()
        self.towns = {t["code"]: t for t in towns}
        weights = [t["population"] * (1.6 if t["mountain"] else 1.0) for t in towns]
        counts = _largest_remainder(weights, SEED_FIGURES["grid_cells"])
        regions, cells = geometry.tessellate(towns, counts)
        self.cells_by_town = defaultdict(list)
        for t in towns:
            region = regions[t["code"]]
            self.rows["towns"].append({
                "code": t["code"], "name": t["name"], "kind": t["kind"], "lat": t["lat"],
                "lon": t["lon"], "mountain": t["mountain"], "population": t["population"],
                "boundary": json.dumps(geometry.outline(region), separators=(",", ":")),
            })
            parts = cells[t["code"]]
            pops = _largest_remainder([p.weights.sum() for p in parts], t["population"])
            for k, (part, pop) in enumerate(zip(parts, pops), start=1):
                code = f"{t['code9']}-{k:03d}"
                lat, lon = geometry.label_point(part)
                self.cell_pixels[code] = part
                self.cells_by_town[t["code"]].append(code)
                self.rows["grid_cells"].append({
                    "code": code, "name": f"{t['name']}第{k:03d}网格", "town_code": t["code"],
                    "population": pop, "households": max(1, round(pop / 2.6)),
                    "officer_id": None, "lat": lat, "lon": lon,
                    "boundary": json.dumps(geometry.outline(part), separators=(",", ":")),
                })
        self.cell_pop = {c["code"]: c["population"] for c in self.rows["grid_cells"]}

    def random_cell(self, town_code: str | None = None) -> str:
        if town_code is None:
            town_code = pick_weighted(self.rng, list(self.towns),
                                       [t["population"] for t in self.towns.values()])
        cells = self.cells_by_town[town_code]
        return pick_weighted(self.rng, cells, [self.cell_pop[c] for c in cells])

    # --- people and targets -----------------------------------------------
    def build_targets(self):
        rng = self.rng
        n = 0

        def add(name, kind, town_code, above_scale=False):
            nonlocal n
            n += 1
            cell = self.random_cell(town_code)
            lat, lon = self.point_in(cell)
            row = {"id": f"T{n:05d}", "name": name, "kind": kind, "above_scale": above_scale,
                   "town_code": town_code, "grid_cell_code": cell, "lat": lat, "lon": lon}
            self.rows["targets"].append(row)
            return row

        town_codes = list(self.towns)
        zhangshui = iter(ref.ZHANGSHUI_VILLAGES)
        for t in self.towns.values():
            for _ in range(t["communities"]):
                add(f"{place(rng)}社区", "community", t["code"])
            for _ in range(t["villages"]):
                name = next(zhangshui, None) if t["code9"] == "330203106" else None
                add(f"{name or place(rng)}村", "village", t["code"])
        for vc in list(self.rows["targets"]):
            add(f"{vc['name']}{rng.choice(ref.KEY_GROUPS)}", "key_group", vc["town_code"])
        # firms sit where work is: plain towns and industrial 街道 more than the old centre
        firm_weights = [1 if t["kind"] == "subdistrict" and t["area_km2"] < 5 else
                        (1 if t["mountain"] else 4) for t in self.towns.values()]
        for k in range(1500):
            town = pick_weighted(rng, town_codes, firm_weights)
            name = (f"宁波{rng.choice(ref.FIRM_WORDS)}{rng.choice(ref.FIRM_TRADES)}"
                    f"{rng.choice(ref.FIRM_FORMS)}")
            add(name, "enterprise", town, above_scale=k < 850)

    def build_officers(self):
        rng = self.rng
        officers = self.rows["officers"]

        def add(level, department, town_code=None):
            row = {"id": f"O{len(officers) + 1:04d}", "name": person(rng), "level": level,
                   "department": department, "town_code": town_code}
            officers.append(row)
            return row

        district = [add("district_leader", "区领导班子") for _ in range(16)]
        district += [add("district_cadre", rng.choice(ref.DEPARTMENTS)) for _ in range(120)]
        district += [add("dept_midlevel", rng.choice(ref.DEPARTMENTS)) for _ in range(220)]
        self.town_officers = defaultdict(list)
        for t in self.towns.values():
            cells = self.cells_by_town[t["code"]]
            for _ in range(max(2, round(len(cells) / 2.5))):
                self.town_officers[t["code"]].append(add("town_cadre", f"{t['name']}办事处"
                                                         if t["kind"] == "subdistrict" else
                                                         f"{t['name']}人民政府", t["code"]))
        cell_row = {c["code"]: c for c in self.rows["grid_cells"]}
        for town_code, cells in self.cells_by_town.items():
            staff = self.town_officers[town_code]
            for k, code in enumerate(cells):
                cell_row[code]["officer_id"] = staff[k % len(staff)]["id"]
        # laggards: a few officers of each level visit far less than asked
        self.diligence = {o["id"]: (rng.uniform(0.12, 0.35) if rng.random() < 0.08 else
                                    rng.uniform(0.75, 1.0)) for o in officers}
        self._assign(district)

    def _assign(self, district_officers):
        rng = self.rng
        pairs = set()
        roles = list(g.ROLES)
        firms = [t for t in self.rows["targets"] if t["kind"] == "enterprise"]
        above = [t for t in firms if t["above_scale"]]
        others = [t for t in firms if not t["above_scale"]]
        quota = {"district_leader": 6, "district_cadre": 5, "dept_midlevel": 3}
        slots = [o for o in district_officers for _ in range(quota[o["level"]])]
        rng.shuffle(slots)
        queue = above + rng.sample(others, len(slots) - len(above))  # every 规上企业 first
        for officer, target in zip(slots, queue):
            pairs.add((officer["id"], target["id"]))
        assigned_firms = {t for _, t in pairs}
        for t in self.rows["targets"]:
            staff = self.town_officers[t["town_code"]]
            if t["kind"] in ("village", "community", "key_group") or t["id"] not in assigned_firms:
                pairs.add((rng.choice(staff)["id"], t["id"]))
                if t["kind"] in ("village", "community") and rng.random() < 0.3:
                    pairs.add((rng.choice(staff)["id"], t["id"]))
        self.rows["assignments"] = [
            {"officer_id": o, "target_id": t, "role": rng.choice(roles)} for o, t in sorted(pairs)
        ]

    # --- visits -----------------------------------------------------------
    def build_visits(self):
        rng = self.rng
        level = {o["id"]: o["level"] for o in self.rows["officers"]}
        kind = {t["id"]: t["kind"] for t in self.rows["targets"]}
        every = {"district_leader": 40, "district_cadre": 30, "dept_midlevel": 30,
                 "town_cadre": 21}
        diary = {"enterprise": "enterprise", "village": "grassroots", "community": "grassroots",
                 "key_group": "resident"}
        all_targets = [t["id"] for t in self.rows["targets"]]
        span = (self.today - self.start).days
        visits = self.rows["visits"]
        for a in self.rows["assignments"]:
            officer, target = a["officer_id"], a["target_id"]
            gap = every[level[officer]] / self.diligence[officer]
            day = rng.uniform(0, gap)
            while day <= span:
                stray = rng.random() < 0.02  # now and then a visit to someone unassigned
                visited = rng.choice(all_targets) if stray else target
                self._visit(officer, visited, diary[kind[visited]],
                            self.start + timedelta(days=int(day)))
                day += rng.uniform(0.5, 1.5) * gap
        visits.sort(key=lambda v: v["visited_at"])
        for k, v in enumerate(visits, start=1):
            v["id"] = f"V{k:06d}"

    def _visit(self, officer, target, diary_type, day):
        rng = self.rng
        complete = rng.random() < 0.55 + 0.4 * self.diligence[officer]
        record = {f: (complete or rng.random() < 0.6) for f in g.VISIT_RECORD_FIELDS}
        self.rows["visits"].append({
            "id": None, "officer_id": officer, "target_id": target,
            "visited_at": self.random_moment(day), "diary_type": diary_type, **record,
            "problems_raised": rng.choices([0, 1, 2, 3], weights=[80, 14, 5, 1])[0],
        })

    # --- tickets ----------------------------------------------------------
    def build_tickets(self):
        rng = self.rng
        target = {t["id"]: t for t in self.rows["targets"]}
        with_problems = [v for v in self.rows["visits"] if v["problems_raised"]]
        drafts = []
        for source, n in TICKETS_BY_SOURCE.items():
            for visit in (rng.sample(with_problems, n) if source == "visit" else [None] * n):
                drafts.append(self._draft_ticket(source, visit, target))
        self._repeat_reports(drafts)
        drafts.sort(key=lambda d: d["reported_at"])
        # Each ticket needs its own time to resolve; those furthest past it are resolved,
        # exactly SEED_FIGURES["tickets_resolved"] of them. The rest: new or hard ones.
        ages = [(self.now - d["reported_at"]).total_seconds() / 86400 for d in drafts]
        # most problems take days; about one in six is a hard one that takes months
        needs = [rng.uniform(30, 360) if rng.random() < 0.18 else
                 max(0.3, rng.lognormvariate(math.log(4), 0.7)) for _ in drafts]
        ranked = sorted(range(len(drafts)), key=lambda i: -ages[i] / needs[i])
        resolved = set(ranked[: SEED_FIGURES["tickets_resolved"]])
        # stretch every ticket's time by the same factor, so resolutions run up to today
        stretch = ages[ranked[len(resolved) - 1]] / needs[ranked[len(resolved) - 1]]
        self.ticket_stretch = stretch
        for k, d in enumerate(drafts):
            d["id"] = f"W{self.start.year}{k + 1:05d}"
            took = min(needs[k] * stretch, ages[k] * 0.98) if k in resolved else None
            self._ticket_events(d, took)
            self.rows["tickets"].append(d)

    def _repeat_reports(self, drafts):
        """About one problem in 25 is reported again from the same grid cell and category a
        few weeks after an earlier one (some after it was closed: a repeat report)."""
        rng = self.rng
        for d in drafts:
            if d["visit_id"] is not None or rng.random() >= 0.04:
                continue
            first = rng.choice(drafts)
            reported = (first["reported_at"] + timedelta(days=rng.uniform(3, 30))).replace(
                microsecond=0)
            if first is d or reported >= self.latest:
                continue
            lat, lon = self.point_in(first["grid_cell_code"])
            d.update(town_code=first["town_code"], grid_cell_code=first["grid_cell_code"],
                     category=first["category"], title=rng.choice(TITLES[first["category"]]),
                     lat=lat, lon=lon, reported_at=reported,
                     due_at=self.calendar.due_at(reported,
                                                 g.TIME_LIMIT_WORKDAYS[first["category"]]))

    def _draft_ticket(self, source, visit, target):
        rng = self.rng
        if visit:
            t = target[visit["target_id"]]
            town, cell = t["town_code"], t["grid_cell_code"]
            category = ("enterprise_development" if t["kind"] == "enterprise"
                        else rng.choice(["grassroots_governance", "livelihood"]))
            reported = min(visit["visited_at"] + timedelta(minutes=rng.randint(120, 1800)),
                           self.latest)
        else:
            if source in ("direct_line", "red_helper"):
                category = "enterprise_development"
            elif source == "site_secretary":
                category = rng.choice(["enterprise_development", "livelihood"])
            else:
                category = rng.choice(["grassroots_governance", "livelihood", "livelihood"])
            cell = self.random_cell()
            town = cell_town(cell, self.towns)
            # the campaign gathered pace over the year
            day = self.start + timedelta(days=int((self.today - self.start).days
                                                  * rng.random() ** 0.8))
            reported = self.random_moment(day)
        lat, lon = self.point_in(cell)
        return {
            "id": None, "title": rng.choice(TITLES[category]), "source": source,
            "category": category, "town_code": town, "grid_cell_code": cell,
            "lat": lat, "lon": lon, "department": rng.choice(ref.DEPARTMENTS),
            "task_force": (rng.choice(list(g.TASK_FORCES))
                           if category == "enterprise_development" and rng.random() < 0.25
                           else None),
            "visit_id": visit["id"] if visit else None,
            "reporter_name": person(rng), "reporter_phone": f"13{rng.randrange(10**9):09d}",
            "reported_at": reported,
            "due_at": self.calendar.due_at(reported, g.TIME_LIMIT_WORKDAYS[category]),
            "satisfaction": None,
        }

    def _ticket_events(self, t, took_days: float | None):
        """The events of ticket t in the district's flow (上报 → 派单 → 接单 (退单) → 协调交办 →
        办结 → 对账销号 → 评价); resolved after `took_days`, or still open if None. A few
        tickets carry each closure-quality pattern: bounced, reopened (and still open),
        signed off without a score, implausibly fast."""
        rng = self.rng
        events = self.rows["ticket_events"]

        def add(stage, at, actor=None):
            events.append({"ticket_id": t["id"], "stage": stage, "at": at.replace(microsecond=0),
                           "actor": actor or t["department"]})

        reported, now = t["reported_at"], self.now
        add("reported", reported, g.SOURCES[t["source"]])
        fast = took_days is not None and rng.random() < 0.012
        step = (lambda lo, hi: timedelta(minutes=rng.uniform(2, 6))) if fast else \
            (lambda lo, hi: timedelta(hours=rng.uniform(lo, hi)))
        at = reported + step(0.5, 8)
        bounces = rng.choices([0, 1, 2], weights=[90, 7, 3])[0] if not fast else 0
        for _ in range(bounces):  # 退单: the unit sends it back, the dispatcher tries again
            if at >= now:
                return
            add("dispatched", at, "区三服务办")
            at += timedelta(hours=rng.uniform(2, 30))
            if at >= now:
                return
            add("rejected", at)
            at += timedelta(hours=rng.uniform(1, 12))
        if at >= now:
            return
        add("dispatched", at, "区三服务办")
        at += step(1, 30)
        if at >= now:
            return
        add("accepted", at)
        if not fast and rng.random() < 0.15 and at + timedelta(hours=30) < now:
            at += timedelta(hours=rng.uniform(4, 30))
            add("coordinated", at, "区三服务办")
        if took_days is None:
            pressed = t["due_at"] + timedelta(days=rng.uniform(0.5, 3))
            if pressed < now and rng.random() < 0.7:
                add("supervised", pressed, "区督查室")
            # a few were closed once and reopened by the served party: still open
            first = at + timedelta(days=rng.uniform(2, 20))
            if rng.random() < 0.12 and first + timedelta(days=2) < now:
                add("resolved", first)
                add("reopened", first + timedelta(days=rng.uniform(0.5, 2)), "服务对象")
            return
        limit = reported + (now - reported) * 0.95
        done = at + step(0, 0) if fast else max(reported + timedelta(days=took_days),
                                                at + timedelta(hours=1))
        done = min(done, limit)
        if done > t["due_at"] and rng.random() < 0.6:
            add("supervised", t["due_at"] + timedelta(days=rng.uniform(0.5, 2)), "区督查室")
        if rng.random() < 0.04 and done + timedelta(days=3) < limit:
            add("resolved", done)
            add("reopened", done + timedelta(days=rng.uniform(1, 2)), "服务对象")
            done = min(done + timedelta(days=rng.uniform(2, 8)), limit)
        add("resolved", done)
        signed = done + timedelta(hours=rng.uniform(3, 72))
        if signed >= now or rng.random() < 0.05:
            return
        add("signed_off", signed, "区三服务办")
        evaluated = signed + timedelta(days=rng.uniform(0.2, 4))
        if evaluated < now and rng.random() < 0.88:
            t["satisfaction"] = rng.choices([5, 4, 3, 2, 1], weights=[60, 28, 7, 3, 2])[0]
            add("evaluated", evaluated, "服务对象")

    # --- programmes -------------------------------------------------------
    def build(self) -> "SampleBuilder":
        self.build_places()
        self.build_targets()
        self.build_officers()
        self.build_visits()
        self.build_tickets()
        self.build_programmes()
        self.rows["cockpit_meta"] = [
            {"key": "schema_version", "value": str(s.SCHEMA_VERSION)},
            {"key": "campaign_start", "value": self.start.isoformat()},
            {"key": "built_at", "value": self.now.isoformat()},
            {"key": "geometry", "value": "schematic"},
            dict(zip(("key", "value"), SAMPLE_MARK)),  # fictional data
        ]
        self.rows["ticket_time_limits"] = [{"category": c, "work_days": n}
                                           for c, n in g.TIME_LIMIT_WORKDAYS.items()]
        return self

    def write(self, engine: Engine) -> None:
        """Create the schema and insert every row in one transaction."""
        with engine.begin() as conn:
            s.metadata.create_all(conn)
            for table in s.ALL_TABLES:
                rows = self.rows.get(table.name)
                if rows:
                    conn.execute(insert(table), rows)
            summaries.refresh(conn)  # the derived tables, from the rows just written


def cell_town(cell_code: str, towns: dict) -> str:
    code9 = cell_code.split("-")[0]
    return next(code for code, t in towns.items() if t["code9"] == code9)


def _largest_remainder(weights, total: int) -> list[int]:
    """Integers proportional to weights that sum exactly to total."""
    weights = [float(w) for w in weights]
    exact = [w * total / sum(weights) for w in weights]
    out = [math.floor(x) for x in exact]
    order = sorted(range(len(out)), key=lambda i: out[i] - exact[i])
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def data_moment(today: date | None = None) -> datetime:
    """The moment the sample data ends: the start of this hour, or 18:00 of a given day. The
    cockpit judges as of now floored to its cache's few minutes (components/frame.py
    data_moment): data that ended later would hide a record from the first views, and the
    seed's figures with it (as shortly after midnight, when today's records all ended then)."""
    if today is not None:
        return datetime.combine(today, dtime(18))
    return local_now().replace(minute=0, second=0)


def build_sqlite(path: Path | None = None, today: date | None = None) -> Path:
    """Write the sample database to `path` atomically: a temporary file, then a rename."""
    path = path or SAMPLE_DB
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".db", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o644)
    try:
        engine = writable_engine(sample_url(Path(tmp)))
        SampleBuilder(data_moment(today)).build().write(engine)
        engine.dispose()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description="生成驾驶舱示例数据库（固定随机种子）")
    parser.add_argument("--url", help="目标数据库地址；省略时写入 sample_data/cockpit.db")
    parser.add_argument("--today", type=date.fromisoformat, help="数据截止日，默认今天")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.url:
        SampleBuilder(data_moment(args.today)).build().write(writable_engine(args.url))
        where = args.url
    else:
        where = build_sqlite(today=args.today)
    print(f"示例数据库已生成: {where}（{time.perf_counter() - started:.1f} 秒）", file=sys.stderr)


if __name__ == "__main__":
    main()
