"""Screen formatting: 万, %, dates, masking; missing values show as —."""

from datetime import date, datetime

import pandas as pd

from components import format as fmt


def test_counts_switch_to_wan_from_100000():
    assert fmt.count(1337) == "1,337"
    assert fmt.count(412_386) == "41.2万"
    assert fmt.count(None) == "—"


def test_rates_points_and_signs():
    assert fmt.pct(0.87434) == "87.4%"
    assert fmt.pct(float("nan")) == "—"
    assert fmt.points(0.021) == "+2.1个百分点"
    assert fmt.signed(-8) == "-8"


def test_dates_and_missing_dates():
    assert fmt.day(date(2026, 3, 1)) == "2026-03-01"
    assert fmt.moment(datetime(2026, 3, 1, 9, 5)) == "2026-03-01 09:05"
    assert fmt.day(pd.NaT) == "—" and fmt.moment(None) == "—"


def test_citizens_are_masked():
    assert fmt.mask_name("张伟") == "张*"
    assert fmt.mask_name("欧阳娜娜") == "欧***"
    assert fmt.mask_phone("13812345678") == "*******5678"
    assert fmt.mask_phone(None) == "—"


def test_the_data_moment_is_floored_so_cached_answers_serve_every_view():
    from components import cached, frame

    moment = frame.data_moment()
    assert moment.second == 0 and moment.minute % (cached.TTL_SECONDS // 60) == 0
    assert (fmt.now_local() - moment).total_seconds() < cached.TTL_SECONDS
