"""Cross-filtering as Superset users expect: a click on a bar filters the whole page.

The URL is the truth: each choice is a code in the query string (?category=livelihood,
?source=open_space, ?department=区住建局, …), validated against its vocabulary; a town is
the frame's own town filter (?town=章水镇), chosen through frame.request_town. A page calls
`follow_clicks` first (a click seen in a chart's state since the last run becomes a URL
change), then `chosen` (the validated codes), draws `banner` (the filter named, with a
clear button), filters everything with them, and draws each clickable chart under `key`
with its chosen bar highlighted.
"""

import streamlit as st

from components import charts, frame
from components import format as fmt

GENERATION = "_crossfilter_generation"  # bumped on clear: charts start unselected
SEEN = "_crossfilter_seen_"
TOWN = "town_code"


def key(dim: str) -> str:
    """The chart key of a clickable chart of dimension `dim`."""
    gen = st.session_state.get(GENERATION, 0)
    return f"pick_{dim}" if not gen else f"pick_{dim}_{gen}"


def _clicked(dim: str, field: str):
    """(present, value): the key chosen in the chart's state (None when unselected)."""
    state = st.session_state.get(key(dim))
    if state is None:
        return False, None
    selection = state.selection if hasattr(state, "selection") else state.get("selection", {})
    points = (selection or {}).get(charts.PICK) or []
    return True, (points[0].get(field) if points else None)


def follow_clicks(dims: dict[str, dict], field: str = "key") -> None:
    """Turn clicks made since the last run into URL changes (or a town change). `dims` maps a
    dimension to its vocabulary (code → label); TOWN switches the frame's town."""
    for dim, vocab in dims.items():
        present, value = _clicked(dim, field)
        seen_key = SEEN + key(dim)
        if not present or value == st.session_state.get(seen_key):
            continue
        st.session_state[seen_key] = value
        if value is not None and value not in vocab:
            continue
        if dim == TOWN:
            frame.request_town(value)
        elif value is None:
            st.query_params.pop(dim, None)
        else:
            st.query_params[dim] = value


def chosen(dims: dict[str, dict], f=None) -> dict[str, str]:
    """The URL's choices among `dims` (codes valid in their vocabulary), plus the frame's town
    as TOWN when `dims` has it and `f` names one."""
    got = {d: st.query_params[d] for d in dims
           if d != TOWN and st.query_params.get(d) in dims[d]}
    if TOWN in dims and f is not None and f.town_code:
        got[TOWN] = f.town_code
    return got


def banner(picked: dict[str, str], dims: dict[str, tuple[str, dict]]) -> None:
    """'已筛选：类别 民生实事 · …' at the top of the page with a 清除筛选 button; `dims` maps a
    dimension to (its title, its vocabulary)."""
    if not picked:
        return
    words = [f"{dims[d][0]}：{dims[d][1].get(code, code)}" for d, code in picked.items()]
    note, clear = st.columns([5, 1], vertical_alignment="center")
    note.markdown(
        "<span class='cockpit-note'>已筛选（整页按此统计）：</span>"
        + fmt.html_text("，".join(words)), unsafe_allow_html=True)
    if clear.button("清除筛选", icon=":material/filter_alt_off:", key="crossfilter_clear"):
        clear_all(list(picked))


def clear_all(dims: list[str]) -> None:
    for d in dims:
        if d != TOWN:
            st.query_params.pop(d, None)
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1
    if TOWN in dims:
        frame.request_town(None)
    st.rerun()
