"""The one glossary between code and screen: English identifiers ↔ the Chinese the UI shows.

Codes stored in the database (levels, stages, sources, …) are listed here in their
canonical order; every chart, table header and label takes its Chinese word from here.
"""

TOWN_KINDS = {"subdistrict": "街道", "town": "镇", "township": "乡"}

LEVELS = {
    "district_leader": "区领导",
    "district_cadre": "区管干部",
    "dept_midlevel": "部门中层干部",
    "town_cadre": "镇(乡)街道干部",
}

ROLES = {"informer": "信息员", "coordinator": "协调员", "promoter": "宣传员"}

TARGET_KINDS = {
    "enterprise": "企业",
    "village": "行政村",
    "community": "社区",
    "key_group": "重点人群",
}

DIARY_TYPES = {"enterprise": "企情日记", "resident": "民情日记", "grassroots": "基层日记"}

# 三带走、三留下: the six parts of a complete visit record.
VISIT_RECORD_FIELDS = {
    "took_situation": "带走情况",
    "took_difficulties": "带走困难",
    "took_suggestions": "带走建议",
    "left_phone": "留下联系电话",
    "left_help_intent": "留下帮扶意向",
    "left_responsibility": "留下责任担当",
}

# The closed loop in order; supervised and reopened are side events, not funnel stages.
STAGES = {
    "reported": "上报",
    "accepted": "受理",
    "assigned": "交办",
    "resolved": "办结",
    "evaluated": "评价",
}
SIDE_EVENTS = {"supervised": "督办", "reopened": "重办"}
ALL_EVENTS = {**STAGES, **SIDE_EVENTS}

SOURCES = {
    "visit": "走访",
    "hotline_81890": "81890",
    "direct_line": "政企直通车",
    "open_space": "开放空间",
    "red_helper": "红色帮办",
    "site_secretary": "工地书记",
    "grid": "网格上报",
}

CATEGORIES = {
    "enterprise_development": "企业发展",
    "grassroots_governance": "基层治理",
    "livelihood": "民生实事",
}

TASK_FORCES = {
    "tech": "科技专班",
    "finance": "金融专班",
    "project": "项目专班",
    "policy": "政策专班",
    "talent": "人才专班",
}

AGENT_ITEMS = {
    "social_security": "社保登记",
    "family_planning": "计生",
    "civil_relief": "民政救助",
    "petition": "信访",
}

RENOVATION_STAGES = {
    "not_started": "未启动",
    "planned": "已立项",
    "in_progress": "施工中",
    "completed": "已完工",
}

HOTLINE_TYPES = {
    "help": "求助服务",
    "household": "家政服务",
    "repair": "维修服务",
    "consult": "咨询服务",
    "elderly": "养老服务",
}

OPEN_SPACE_THEMES = {
    "parking": "停车位划分",
    "waste_sorting": "垃圾分类",
    "dogs": "养犬管理",
    "micro_landscape": "微景观改造",
    "other": "其他",
}

RED_HELPER_KINDS = {
    "party_building": "党建帮强",
    "policy": "政策帮享",
    "market": "市场帮需",
    "talent": "人才帮育",
    "management": "管理帮优",
}

SITE_PROJECT_KINDS = {"key_project": "重点项目", "compound_renovation": "老旧小区改造"}

SITE_ISSUE_KINDS = {
    "approval": "立项审批",
    "construction_dispute": "施工矛盾",
    "lift": "加装电梯",
    "other": "其他",
}

SUPERVISION_FOCUS = {
    "business_environment": "优化企业成长环境",
    "public_concern": "群众反映突出问题",
    "grassroots_bottleneck": "基层发展瓶颈",
}

SUPERVISION_STATUS = {"not_started": "未启动", "in_progress": "推进中", "completed": "已完成"}

# Column names of the DataFrames that data_access returns, as table headers.
COLUMNS = {
    "town": "镇(乡)街道",
    "town_code": "区划代码",
    "grid_cell": "网格",
    "grid_cell_code": "网格编码",
    "tickets": "问题数",
    "collected": "收集问题",
    "resolved": "已解决",
    "resolution_rate": "化解率",
    "open": "在办",
    "overdue": "超期",
    "satisfaction_rate": "满意率",
    "evaluations": "评价数",
    "visits": "走访次数",
    "coverage_rate": "走访覆盖率",
    "assigned": "联系对象",
    "visited": "已走访对象",
    "clinic_visits": "巡回医疗人次",
    "hotline_services": "81890服务量",
    "population": "常住人口",
    "week": "周",
    "day": "日期",
    "officer": "干部",
    "level": "层级",
    "department": "部门",
    "category": "类别",
    "source": "来源渠道",
    "stage": "环节",
    "title": "问题",
    "reported_at": "上报时间",
    "due_at": "办理时限",
}

# The headline figures of the overview, in the order of the tiles.
KPIS = {
    "collected": "收集问题",
    "resolved": "已解决",
    "resolution_rate": "化解率",
    "overdue": "超期未办结",
    "satisfaction_rate": "满意率",
    "visits": "走访次数",
    "coverage_rate": "走访覆盖率",
    "clinic_visits": "巡回医疗人次",
    "hotline_services": "81890服务量",
}


def label(mapping: dict[str, str], code: str | None) -> str:
    """The Chinese word for `code`, or the code itself when the glossary lacks it."""
    if code is None:
        return "—"
    return mapping.get(code, code)

# What each headline figure means: shown as help on the tiles, kept true to the queries.
KPI_DEFINITIONS = {
    "collected": "本期上报的问题数（可报）",
    "resolved": "本期上报的问题中，截至期末已办结且未被重办的问题数",
    "resolution_rate": "化解率 = 已解决 ÷ 收集问题",
    "overdue": "截至期末未办结且已超过办理时限的问题（存量，不限上报时间）",
    "satisfaction_rate": "满意率 = 本期评价中 4–5 分的评价数 ÷ 本期评价数（可评）",
    "visits": "本期干部走访次数（企情/民情/基层日记）",
    "coverage_rate": "走访覆盖率 = 本期已走访的联系关系 ÷ 全部联系关系（干部—联系对象）",
    "clinic_visits": "本期高山巡回卫生健康服务点服务人次",
    "hotline_services": "本期81890服务平台服务量",
}
