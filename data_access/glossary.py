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

# The district's own ticket flow (the seed): 上报 (可报) → 派单 → 接单 (or 退单, back to 派单)
# → 协调交办 where several units must act → 办结 → 对账销号 (the dispatcher checks the result
# and signs it off) → 评价 (可评). The funnel follows LOOP_STAGES; 协调交办 is taken only by
# tickets that need several units, so it is a stage but not a funnel step.
STAGES = {
    "reported": "上报",
    "dispatched": "派单",
    "accepted": "接单",
    "coordinated": "协调交办",
    "resolved": "办结",
    "signed_off": "对账销号",
    "evaluated": "评价",
}
LOOP_STAGES = ["reported", "dispatched", "accepted", "resolved", "signed_off", "evaluated"]
SIDE_EVENTS = {"rejected": "退单", "supervised": "督办", "reopened": "重办"}
ALL_EVENTS = {**STAGES, **SIDE_EVENTS}
# Stage codes of schema version 1 and what they are in the district's flow (migration 0002).
STAGES_V1 = {"accepted": "dispatched", "assigned": "accepted"}

# Where an open ticket waits: the step it has not yet taken (the map colours by it).
WAITING_STAGES = {"dispatched": "待派单", "accepted": "待接单", "resolved": "办理中（待办结）"}

# Time limit to resolve, in working days from the day of reporting, per category (the
# default; a deployment sets its own in the ticket_time_limits table).
TIME_LIMIT_WORKDAYS = {"enterprise_development": 10, "grassroots_governance": 15, "livelihood": 7}
# Resolved faster than this after reporting is implausible for the category (hours).
IMPLAUSIBLY_FAST_HOURS = {"enterprise_development": 4, "grassroots_governance": 2, "livelihood": 1}
# A resolved problem reported again in the same grid cell and category within this many
# days counts as a repeat report.
REPEAT_REPORT_DAYS = 30

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

# Column names of the DataFrames that data_access returns, as table headers. Columns that
# hold a figure (collected, resolution_rate, …) take their label from figures.FIGURES.
COLUMNS = {
    "town": "镇(乡)街道",
    "town_code": "区划代码",
    "grid_cell": "网格",
    "grid_cell_code": "网格编码",
    "tickets": "问题数",
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


UNKNOWN = "未知"
UNKNOWN_CODE_SHOWN = 24  # characters of an unknown code that are shown


def label(mapping: dict[str, str], code: str | None) -> str:
    """The Chinese word for `code`. A code the glossary lacks (a row another system wrote)
    shows as 未知（code）, its first characters only; a missing one (None, NaN, blank) as 未知.
    Plain text: escape it wherever it is rendered as Markdown or HTML."""
    if not isinstance(code, str) or not code.strip():
        return UNKNOWN
    if code in mapping:
        return mapping[code]
    shown = code if len(code) <= UNKNOWN_CODE_SHOWN else code[:UNKNOWN_CODE_SHOWN] + "…"
    return f"{UNKNOWN}（{shown}）"
