"""The registry of figures keeps its promise: one Chinese label per figure, one definition in
Chinese words, and one value per label on every page for the same filters."""

import html
import re
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from streamlit.testing.v1 import AppTest

from components import frame, kpis, wall
from data_access import figures, freshness
from data_access import glossary as g
from data_access.figures import FIGURES
from data_access.filters import PERIODS, Filters

ROOT = "../"  # AppTest resolves paths relative to this file
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]+")
ALLOWED_UNITS = {"km", "GDP"}  # units and abbreviations a Chinese sentence may carry


# --- (a) labels and their parts ---------------------------------------------------------------

@pytest.mark.parametrize("code", FIGURES)
def test_every_figure_has_a_chinese_label_and_definition(code):
    fig = FIGURES[code]
    assert fig.code == code
    assert fig.label.strip() and CJK.search(fig.label), fig
    assert fig.definition.strip() and CJK.search(fig.definition), fig
    assert fig.definition.endswith("。"), fig.definition


def test_no_two_figures_share_a_label():
    by_label = defaultdict(list)
    for code, fig in FIGURES.items():
        by_label[fig.label].append(code)
    assert not {label: codes for label, codes in by_label.items() if len(codes) > 1}


def test_no_table_column_is_named_like_a_figure():
    labels = {fig.label for fig in FIGURES.values()}
    assert not {code: name for code, name in g.COLUMNS.items() if name in labels}
    assert not set(g.COLUMNS) & set(FIGURES)  # column_label must not have two answers


def test_every_rate_divides_two_counts_of_the_registry():
    for code, fig in FIGURES.items():
        if fig.family in ("rate", "per_1k"):
            assert fig.numerator in FIGURES, code
            assert fig.denominator in FIGURES or (fig.family == "per_1k"
                                                  and fig.denominator == "population"), code
            for part in (fig.numerator, fig.denominator):
                assert part not in FIGURES or FIGURES[part].family not in ("rate", "per_1k")
        else:
            assert fig.numerator is None and fig.denominator is None, code


def test_a_rate_definition_names_its_numerator_and_denominator():
    for code, fig in FIGURES.items():
        if fig.family == "rate":
            words = f"{FIGURES[fig.numerator].label} ÷ {FIGURES[fig.denominator].label}"
            assert fig.definition.startswith(words), (code, fig.definition)


# --- (b) definitions in words, not code --------------------------------------------------------

@pytest.mark.parametrize("code", FIGURES)
def test_definitions_carry_no_code_identifiers(code):
    fig = FIGURES[code]
    latin = set(LATIN.findall(fig.label + fig.definition)) - ALLOWED_UNITS
    assert not latin, (code, latin)
    assert "_" not in fig.definition and code not in fig.definition


def test_the_generated_glossary_text_is_chinese():
    text = figures.glossary(list(FIGURES))
    assert text.count("\n") == len(FIGURES) - 1
    assert not set(LATIN.findall(text)) - ALLOWED_UNITS
    for fig in FIGURES.values():
        assert f"**{fig.label}**：{fig.definition}" in text


# --- (c) one label, one value: every page for the same filters ---------------------------------

# The meeting shows its own week as of its cut-off, whatever the filter bar says: its figures
# are compared with the registry for the meeting's filters in tests/test_meeting.py.
OWN_PERIOD = {"pages/6_meeting.py"}


def page_scripts() -> list[str]:
    """The pages whose figures follow the filter bar's period and town."""
    scripts = [page.script for page in frame.PAGES if page.script not in OWN_PERIOD]
    if (Path(__file__).parent.parent / wall.SCRIPT).exists() and wall.SCRIPT not in scripts:
        scripts.append(wall.SCRIPT)
    return scripts


def run_page(script: str, **query) -> AppTest:
    at = AppTest.from_file(ROOT + "app.py", default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    if script == wall.SCRIPT:
        at.query_params["wall"] = "1"
    if script != "app.py":
        at.switch_page(script)
    return at.run()


WALL_TILE = re.compile(r"<div class='k'>([^<]*).*?<div class='v[^']*'>([^<]*)</div>", re.S)


def shown_figures(at: AppTest) -> list[tuple[str, str]]:
    """(label, value) of every KPI tile: st.metric, and the wall's HTML headline tiles."""
    shown = [(m.label, m.value) for m in at.metric]
    for block in at.get("html"):
        for part in block.proto.body.split("<div class='wall-head'>")[1:]:
            match = WALL_TILE.search(part)
            if match:
                shown.append((html.unescape(match[1]).strip(), html.unescape(match[2]).strip()))
    return shown


QUERIES = [{"period": PERIODS["last_30_days"]},
           {"period": PERIODS["this_month"], "town": "章水镇"}]


@pytest.fixture
def quiet_freshness(monkeypatch):
    """No stale marks inside tile labels: the sample is a few days old."""
    monkeypatch.setenv(freshness.ENV_VAR, str(24 * 365 * 10))


@pytest.mark.parametrize("query", QUERIES, ids=["近30天", "本月-章水镇"])
def test_one_label_shows_one_value_on_every_page(app_db, quiet_freshness, query):
    seen = defaultdict(dict)  # label → {page: value}
    for script in page_scripts():
        at = run_page(script, **query)
        assert not at.exception, (script, [e.value for e in at.exception])
        for label, value in shown_figures(at):
            seen[label].setdefault(script, set()).add(value)
    assert {"收集问题", "已解决", "化解率", "满意率", "超期未办结"} <= set(seen)
    several = {label: pages for label, pages in seen.items()
               if len(set().union(*pages.values())) > 1}
    assert not several, several
    on_many_pages = [label for label, pages in seen.items() if len(pages) > 1]
    assert len(on_many_pages) >= 5, seen  # the check compares something
    if wall.SCRIPT in page_scripts():
        assert any(wall.SCRIPT in pages for pages in seen.values())


def test_every_registry_label_on_a_page_shows_the_registry_value(app_db, quiet_freshness):
    """A tile labelled like a registry figure shows that figure for the page's filters."""
    codes = {fig.label: code for code, fig in FIGURES.items()}
    shown = {}
    for script in page_scripts():
        for label, value in shown_figures(run_page(script, period=PERIODS["last_30_days"])):
            if label in codes:
                shown[label] = value
    f = Filters.for_period("last_30_days", frame.data_moment())
    engine = create_engine(app_db)
    with engine.connect() as conn:
        expected = figures.headline(conn, f, [codes[label] for label in shown])
    engine.dispose()
    wrong = {label: (value, kpis.value(codes[label], expected[codes[label]]))
             for label, value in shown.items()
             if value != kpis.value(codes[label], expected[codes[label]])}
    assert len(shown) >= 20 and not wrong, wrong
