"""Masking that holds: names of every length, phone numbers of every length and shape, the
citizens among a ticket history's actors, phone numbers inside free text."""

import re

import pandas as pd
import pytest

from components import format as fmt
from components import tables


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.mark.parametrize("name, masked", [
    ("张", "*"), ("张伟", "张*"), ("欧阳娜娜", "欧***"), ("  冯敏 ", "冯*"), ("", "—"), (None, "—"),
])
def test_names_keep_at_most_the_first_character_and_one_character_names_are_masked(name, masked):
    assert fmt.mask_name(name) == masked


@pytest.mark.parametrize("phone", [
    "13812345678",  # mobile
    "87654321",  # Ningbo landline without area code
    "7654321",  # 7 digits
    "0574-87654321", "057487654321", "(0574) 8765 4321",  # with area code
    "+86 138 1234 5678",
])
def test_every_phone_number_keeps_at_most_its_last_four_digits(phone):
    shown = fmt.mask_phone(phone)
    assert digits(shown) == digits(phone)[-4:]
    assert len(shown) == len(phone)


def test_short_numbers_and_several_numbers_in_one_field():
    assert digits(fmt.mask_phone("96345")) == ""
    shown = fmt.mask_phone("13812345678 / 0574-87654321；87650000")
    assert shown == "*******5678 / ****-****4321；****0000"
    assert "12345678" not in shown and "8765" not in shown.replace("****0000", "")
    assert fmt.mask_phone("张先生13812345678") == "**********5678"


def test_phone_numbers_inside_a_title_are_masked_and_other_numbers_stay():
    assert fmt.mask_text("请回电13812345678，2026年3号楼") == "请回电*******5678，2026年3号楼"
    assert fmt.mask_text("座机 0574-87654321") == "座机 ****-****4321"


def test_the_citizen_among_a_ticket_historys_actors_is_masked_and_units_are_not():
    history = pd.DataFrame({"stage": ["reported", "dispatched", "evaluated", "reopened"],
                            "actor": ["网格员", "区三服务办", "冯敏", "冯"],
                            "at": pd.to_datetime(["2026-11-01"] * 4)})
    shown = fmt.mask_history(history)
    assert list(shown["actor"]) == ["网格员", "区三服务办", "冯*", "*"]


def test_the_ticket_view_masks_reporters_and_phones_in_titles():
    rows = pd.DataFrame({
        "id": ["T1"], "title": ["楼道灯坏了 电话87654321"], "category": ["other"],
        "source": ["hotline"], "town": ["南门街道"], "grid_cell": ["网格1"], "department": ["区建设局"],
        "task_force": [None], "status": ["reported"], "reported_at": pd.to_datetime(["2026-11-01"]),
        "due_at": pd.to_datetime(["2026-11-05"]), "overdue": [False], "satisfaction": [None],
        "reporter_name": ["冯"], "reporter_phone": ["87654321"], "lat": [29.8], "lon": [121.5]})
    text = tables.ticket_view(rows).to_csv(index=False)
    assert "87654321" not in text and ",冯," not in text
    assert "****4321" in text
