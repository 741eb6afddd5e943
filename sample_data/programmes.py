"""The sample's programme rows: clinics, compounds, 81890, open space, red helpers, site
secretaries, supervision. A mixin of SampleBuilder (it uses the builder's random source,
towns, targets and rows), split off by meaning."""

from collections import defaultdict
from datetime import timedelta

from data_access import glossary as g
from sample_data import reference as ref
from sample_data.reference import SEED_FIGURES, TITLES


def pick_weighted(rng, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def person(rng):
    return rng.choice(ref.SURNAMES) + "".join(rng.choices(ref.GIVEN, k=rng.choice([1, 2])))


def place(rng):
    return "".join(rng.choices(ref.PLACE_SYLLABLES, k=2))


def spread(rng, total: int, n: int, jitter: float = 0.6) -> list[int]:
    """n positive integers summing exactly to total, with some variety."""
    raw = [1 + rng.random() * jitter * 2 for _ in range(n)]
    scale = (total - n) / sum(raw)
    out = [1 + int(x * scale) for x in raw]
    for i in range(total - sum(out)):
        out[i % n] += 1
    return out



class ProgrammeRows:
    """Programme tables for SampleBuilder; expects self.rng, rows, towns, today, start."""

    def build_programmes(self):
        self._clinics()
        self._compounds()
        self._hotline()
        self._open_space()
        self._red_helpers()
        self._site_secretaries()
        self._supervision()

    def _clinics(self):
        rng = self.rng
        villages_by_town = defaultdict(list)
        for t in self.rows["targets"]:
            if t["kind"] == "village":
                villages_by_town[t["town_code"]].append(t)
        points = []
        agent_cases = {}  # one row per (town, village, item, day): the natural key
        for code9, n in ref.CLINIC_POINTS_PER_TOWN.items():
            town = next(t for t in self.towns.values() if t["code9"] == code9)
            hill = sorted(villages_by_town[town["code"]], key=lambda v: v["lon"])[: n * 2]
            for k in range(n):
                home, other = hill[2 * k], hill[2 * k + 1]
                code = f"C{len(points) + 1:02d}"
                points.append(code)
                self.rows["clinic_points"].append({
                    "code": code, "name": f"{home['name']}服务点", "town_code": town["code"],
                    "grid_cell_code": home["grid_cell_code"],
                    "villages": f"{home['name']}、{other['name']}",
                    "schedule": f"每月第{k % 4 + 1}周周{'一二三四五'[k % 5]}",
                    "lat": home["lat"], "lon": home["lon"],
                })
                for name in (home["name"], other["name"]):
                    for _ in range(rng.randint(15, 30)):
                        key = (town["code"], name,
                               pick_weighted(rng, list(g.AGENT_ITEMS), [4, 1, 3, 1]),
                               self.random_day())
                        agent_cases[key] = agent_cases.get(key, 0) + rng.randint(1, 4)
        self.rows["agent_services"] = [
            {"town_code": t, "village": v, "item": i, "served_on": d, "cases": n}
            for (t, v, i, d), n in agent_cases.items()]
        stops = []
        for code in points:
            day = self.start + timedelta(days=rng.randrange(14))
            while day <= self.today:
                stops.append({"point_code": code, "served_on": day})
                day += timedelta(days=rng.randint(12, 18))
        for stop, n in zip(stops, spread(rng, SEED_FIGURES["clinic_person_visits"], len(stops))):
            stop["person_visits"] = n
        self.rows["clinic_services"] = stops

    def _compounds(self):
        rng = self.rng
        old_core = [t["code"] for t in self.towns.values() if t["kind"] == "subdistrict"]
        upgraded = set(rng.sample(range(SEED_FIGURES["compounds"]),
                                  SEED_FIGURES["compounds_upgraded"]))
        for k in range(SEED_FIGURES["compounds"]):
            town = rng.choice(old_core)
            cell = self.random_cell(town)
            lat, lon = self.point_in(cell)
            stage = pick_weighted(rng, list(g.RENOVATION_STAGES), [25, 20, 25, 30])
            self.rows["compounds"].append({
                "code": f"X{k + 1:03d}", "name": f"{place(rng)}{rng.choice(ref.COMPOUND_WORDS)}",
                "town_code": town, "grid_cell_code": cell,
                "built_year": rng.randint(1978, 1999), "households": rng.randint(120, 1500),
                "renovation_stage": stage, "property_upgrade_done": k in upgraded,
                "property_upgrade_on": self.random_day() if k in upgraded else None,
                "lifts_installed": rng.choice([0, 0, 1, 2, 3]) if stage != "not_started" else 0,
                "lat": lat, "lon": lon,
            })
        categories = [("违法建设", "住建", 8), ("公共秩序", "综合执法", 8), ("治安消防", "公安", 7),
                      ("市场经营", "市场监管", 7), ("物业服务", "住建", 7)]
        items = ["违章搭建", "占用绿地", "破坏承重结构", "屋顶加层", "阳台外扩", "擅自开墙",
                 "地下室违规改造", "外立面私改", "占道经营", "乱堆放", "乱张贴", "噪声扰民",
                 "油烟污染", "犬只扰民", "高空抛物", "楼道堆物", "群租房", "电动车楼道充电",
                 "消防通道占用", "门禁失效", "可疑人员排查", "监控盲区", "出租房登记", "无证经营",
                 "价格欺诈", "过期食品", "计量作弊", "虚假广告", "电梯维保", "二次供水",
                 "物业收费公示", "维修资金使用", "保洁不到位", "绿化养护", "停车收费", "垃圾清运",
                 "公共部位改造"]
        pos = 0
        for category, department, n in categories:
            for name in items[pos: pos + n]:
                pos += 1
                self.rows["enforcement_items"].append({
                    "code": f"E{pos:02d}", "category": category, "name": name,
                    "department": department,
                })

    def _hotline(self):
        rng = self.rng
        types = list(g.HOTLINE_TYPES)
        rows = []
        day = self.start
        while day <= self.today:
            busy = 0.75 if day.weekday() >= 5 else 1.0
            for t in self.towns.values():
                for kind, share in zip(types, [0.30, 0.20, 0.25, 0.15, 0.10]):
                    mean = t["population"] / 1_041_285 * 1300 * share * busy
                    rows.append({"day": day, "town_code": t["code"], "service_type": kind,
                                 "services": max(0, round(rng.gauss(mean, mean * 0.25)))})
            day += timedelta(days=1)
        # scale so that the year's total is the seed's "超过40万次" figure exactly
        target = SEED_FIGURES["hotline_services"]
        factor = target / sum(r["services"] for r in rows)
        for r in rows:
            r["services"] = int(r["services"] * factor)
        for r in rows[: target - sum(r["services"] for r in rows)]:
            r["services"] += 1
        self.rows["hotline_daily"] = rows

    def _open_space(self):
        rng = self.rng
        communities = [t for t in self.rows["targets"] if t["kind"] == "community"]
        n = SEED_FIGURES["open_space_sessions"]
        solved = spread(rng, SEED_FIGURES["open_space_solved"], n)
        for k in range(n):
            host = rng.choice(communities)
            self.rows["open_space_sessions"].append({
                "id": f"S{k + 1:03d}", "held_on": self.random_day(), "town_code": host["town_code"],
                "community": host["name"],
                "theme": pick_weighted(rng, list(g.OPEN_SPACE_THEMES), [30, 25, 15, 20, 10]),
                "residents": rng.randint(15, 60), "committee_members": rng.randint(2, 8),
                "firms": rng.randint(1, 6), "party_members": rng.randint(3, 15),
                "problems_raised": solved[k] + rng.choice([0, 0, 1, 2]),
                "problems_solved": solved[k],
            })

    def _red_helpers(self):
        rng = self.rng
        firms = [t for t in self.rows["targets"] if t["kind"] == "enterprise"]
        helpers = []
        for k, firm in enumerate(rng.sample(firms, SEED_FIGURES["red_helpers"]), start=1):
            helpers.append({"id": f"R{k:03d}", "name": person(rng), "firm": firm["name"],
                            "town_code": firm["town_code"]})
        self.rows["red_helpers"] = helpers
        cases, seen = [], set()
        for h in helpers:
            for _ in range(rng.randint(1, 3)):
                key = (h["id"], rng.choice(list(g.RED_HELPER_KINDS)), self.random_day())
                if key not in seen:  # (helper, kind, day) is the natural key
                    seen.add(key)
                    cases.append(dict(zip(["helper_id", "service_kind", "solved_on"], key)))
        for c, n in zip(cases, spread(rng, SEED_FIGURES["red_helper_solved"], len(cases))):
            c["problems_solved"] = n
        self.rows["red_helper_cases"] = cases

    def _site_secretaries(self):
        rng = self.rng
        for k in range(SEED_FIGURES["site_projects"]):
            kind = "compound_renovation" if k % 3 == 0 else "key_project"
            town = rng.choice(list(self.towns))
            lat, lon = self.point_in(self.random_cell(town))
            name = (f"{place(rng)}小区改造工程" if kind == "compound_renovation"
                    else f"{place(rng)}{rng.choice(['产业园', '安置房', '道路', '学校', '综合体'])}项目")
            self.rows["site_projects"].append({
                "code": f"P{k + 1:03d}", "name": name, "kind": kind, "town_code": town,
                "secretary": person(rng), "lat": lat, "lon": lon,
            })
        projects = [p["code"] for p in self.rows["site_projects"]]
        seen = set()
        while len(seen) < SEED_FIGURES["site_issues"]:
            key = (rng.choice(projects),
                   pick_weighted(rng, list(g.SITE_ISSUE_KINDS), [35, 30, 25, 10]),
                   self.random_day())
            if key in seen:  # (project, kind, day) is the natural key
                continue
            seen.add(key)
            done = key[2] + timedelta(days=rng.randint(3, 60))
            self.rows["site_issues"].append({
                "project_code": key[0], "kind": key[1], "raised_on": key[2],
                "resolved_on": done if done <= self.today else None,
            })

    def _supervision(self):
        rng = self.rng
        focus = list(g.SUPERVISION_FOCUS)
        for k in range(SEED_FIGURES["supervision_items"]):
            deadline = self.start + timedelta(days=rng.randint(60, 420))
            status = pick_weighted(rng, list(g.SUPERVISION_STATUS), [10, 45, 45])
            self.rows["supervision_items"].append({
                "code": f"J{k + 1:02d}",
                "title": f"{rng.choice(sum(TITLES.values(), []))}专项监督",
                "focus": focus[k % 3], "owner": rng.choice(ref.DEPARTMENTS),
                "deadline": deadline, "status": status,
                "completed_on": (min(deadline, self.today) - timedelta(days=rng.randint(0, 30))
                                 if status == "completed" else None),
            })

