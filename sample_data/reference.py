"""Reference data of the sample database: real town names and codes, estimated sizes.

Town names, codes and centres come from haishu_towns.json (sources inside it). Areas,
populations and community/village counts are verified where haishu_facts.md had a source
and estimated elsewhere so that they add up to the district's totals (595 km²,
1,041,285 residents in the 2020 census, 103 社区 + 168 行政村). People, firm, village
and compound names are fictional.
"""

import json
from pathlib import Path

TOWNS_JSON = Path(__file__).with_name("haishu_towns.json")

# code9 → (area km², residents, communities, villages, density near the centre)
TOWN_SIZES = {
    "330203001": (3.5, 75000, 10, 0, 3.0),   # 南门
    "330203002": (1.5, 32000, 4, 0, 3.0),    # 江厦
    "330203003": (3.0, 70000, 10, 0, 3.0),   # 西门
    "330203004": (2.5, 55000, 7, 0, 3.0),    # 月湖
    "330203005": (1.6, 35000, 5, 0, 3.0),    # 鼓楼
    "330203006": (4.0, 65000, 11, 0, 3.0),   # 白云
    "330203007": (6.48, 80000, 10, 0, 3.0),  # 段塘
    "330203008": (8.95, 90000, 14, 0, 3.0),  # 望春
    "330203009": (34.0, 95000, 4, 16, 6.0),  # 石碶
    "330203100": (53.0, 85000, 8, 20, 6.0),  # 高桥
    "330203101": (68.0, 60000, 2, 25, 8.0),  # 横街
    "330203102": (49.0, 80000, 5, 19, 6.0),  # 集士港
    "330203103": (47.0, 95000, 5, 24, 6.0),  # 古林
    "330203104": (31.27, 40000, 3, 18, 6.0),  # 洞桥
    "330203105": (63.9, 32000, 2, 12, 8.0),  # 鄞江
    "330203106": (146.0, 28000, 1, 20, 10.0),  # 章水
    "330203200": (73.0, 24285, 2, 14, 10.0),  # 龙观
}

KIND_CODES = {"街道": "subdistrict", "镇": "town", "乡": "township"}

# Clinic points per mountain town (18 in all), west of the town centre where the hills are.
CLINIC_POINTS_PER_TOWN = {"330203106": 8, "330203200": 5, "330203105": 3, "330203101": 2}

ZHANGSHUI_VILLAGES = [
    "樟村", "郑家", "蜜岩", "大皎", "朱梅", "许岩", "童皎", "杜岙", "梅龙", "赤水",
    "杖锡", "燕麻", "里梅", "章溪", "李家坑", "字岩下", "崔岙", "箭峰", "低坪", "茅镬",
]
PLACE_SYLLABLES = list("东西南北上下前后新老大小龙凤桂梅兰竹松柏青岩溪塘桥湾岙山林田庄")
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华慧建国海燕志红波鹏辉玲")
FIRM_WORDS = ["海天", "甬信", "四明", "鄞西", "天一", "月湖", "三江", "东联", "华茂", "创源",
              "博纳", "锦程", "恒达", "欣和", "宏泰", "众诚", "盛宇", "金穗", "安顺", "汇海"]
FIRM_TRADES = ["机械", "电子", "服装", "模具", "塑业", "科技", "汽配", "新材料", "食品", "文具",
               "电器", "医疗器械", "智能装备", "纺织", "物流"]
FIRM_FORMS = ["有限公司", "股份有限公司", "实业有限公司", "科技有限公司", "制造有限公司", "集团有限公司"]
KEY_GROUPS = ["独居老人", "困难家庭", "残疾人", "退役军人", "留守儿童"]
COMPOUND_WORDS = ["新村", "小区", "花园", "公寓", "苑"]

DEPARTMENTS = ["区发改局", "区经信局", "区科技局", "区财政局", "区人力社保局", "区住建局",
               "区自然资源规划分局", "区商务局", "区市场监管局", "区综合执法局", "区卫健局",
               "区民政局", "区教育局", "区交通运输局", "区农业农村局", "区信访局"]


def load_towns() -> list[dict]:
    """The 17 towns with their code, name, kind, centre and the sizes above."""
    towns = []
    for rec in json.loads(TOWNS_JSON.read_text(encoding="utf-8")):
        area, population, communities, villages, density = TOWN_SIZES[rec["code9"]]
        towns.append({
            "code": rec["code"], "code9": rec["code9"], "name": rec["name"],
            "kind": KIND_CODES[rec["kind"]], "lat": rec["lat"], "lon": rec["lon"],
            "mountain": bool(rec["mountain"]) or rec["code9"] in CLINIC_POINTS_PER_TOWN,
            "area_km2": area, "population": population, "communities": communities,
            "villages": villages, "density": density,
        })
    return towns


# The seed's figures: the tests read them back through data_access.
SEED_FIGURES = {
    "grid_cells": 1409,
    "clinic_points": 18,
    "clinic_person_visits": 7562,  # "7500余人次"
    "compounds": 98,
    "compounds_upgraded": 22,
    "enforcement_categories": 5,
    "enforcement_items": 37,
    "tickets_collected": 1337,
    "tickets_resolved": 1169,
    "hotline_services": 412_386,  # "超过40万次"
    "open_space_sessions": 110,
    "open_space_solved": 768,  # "760余个"
    "red_helpers": 335,
    "red_helper_solved": 1536,  # "1500余个"
    "site_projects": 148,
    "site_issues": 112,  # "百余个"
    "supervision_items": 47,
}

TITLES = {
    "enterprise_development": ["用工招聘困难", "厂房扩建审批", "融资贷款需求", "人才公寓申请",
                               "技改项目补助", "用电增容", "物流通道拥堵", "高新企业认定"],
    "grassroots_governance": ["停车位划分", "垃圾分类点位调整", "养犬扰民", "群租房安全",
                              "违章搭建", "消防通道占用", "楼道杂物堆放", "小区监控缺失"],
    "livelihood": ["老旧电梯维修", "路灯不亮", "道路积水", "公交线路调整", "菜场环境差",
                   "门冬胰岛素配药难", "适老化改造", "健身设施损坏"],
}
