"""Choices that change what a page shows live in the URL, as codes (?show=overdue,
?officer=O0012, ?programme=open_space, ?q=…), so a shared link reproduces the view.

Before drawing the widget, `adopt(key, options, default)` takes a valid code from the URL
into the widget's state (a link or a shared URL wins over what the session had); after it,
`publish(key, value, default)` writes the widget's code back (the default leaves the URL).
Widgets are drawn without their own `default`/`index`, so the state set here decides.
"""

import streamlit as st

SYNCED = "_url_synced_"


def adopt(key: str, options, default=None) -> None:
    url = st.query_params.get(key)
    valid = url is not None and (options is None or url in options)
    if valid and url != st.session_state.get(SYNCED + key):
        st.session_state[key] = url
        st.session_state[SYNCED + key] = url
    elif key not in st.session_state or (
            options is not None and st.session_state[key] not in (*options, None, "")):
        st.session_state[key] = default


def publish(key: str, value, default=None) -> None:
    if value in (None, "", default):
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != str(value):
        st.query_params[key] = str(value)
    st.session_state[SYNCED + key] = None if value in (None, "", default) else str(value)


def choice(widget, key: str, valid, default=None, **kw):
    """`widget(key=key, **kw)` with its value adopted from and published to the URL; `valid`
    lists the codes a URL may carry (None: any text)."""
    adopt(key, valid, default)
    value = widget(key=key, **kw)
    publish(key, value, default)
    return value
