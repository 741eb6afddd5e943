"""Links between pages that carry codes, never labels: renaming a label cannot break one."""

import streamlit as st

MAP_PAGE = "pages/1_map.py"
KEEP = ("period", "town")


def kept() -> dict:
    """The page's period and town, as every link carries them."""
    return {k: v for k, v in st.query_params.to_dict().items() if k in KEEP}


def map_query(*, town: str | None = None, cell: str | None = None,
              layers: list[str] | None = None, ticket: str | None = None) -> dict:
    """The map's URL parameters: town (its name, as the filter bar shows it), cell and ticket
    (codes), layers (codes of components.map_settings.LAYERS)."""
    from components.map_settings import LAYERS

    unknown = set(layers or []) - set(LAYERS)
    if unknown:
        raise ValueError(f"unknown map layers: {sorted(unknown)}")
    query = kept()
    if town:
        query["town"] = town
    query |= {k: v for k, v in (("cell", cell), ("ticket", ticket)) if v}
    if layers:
        query["layers"] = [code for code in LAYERS if code in layers]
    return query


def map_layers(*extra: str) -> list[str]:
    """The map's default layers plus `extra` (layer codes)."""
    from components.map_settings import DEFAULT_LAYERS

    return [*DEFAULT_LAYERS, *extra]


def map_link(where, label: str = "在地图上查看", **kw) -> None:
    """A page link to the map in `where` (st or a column); kw: see map_query."""
    where.page_link(MAP_PAGE, label=label, icon=":material/map:", query_params=map_query(**kw))
