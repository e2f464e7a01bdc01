"""A tab that reconnects to a server which never saw its session reloads itself; the URL holds its scene.

With replicas behind nginx, a tab whose replica dies is sent to another one, which opens a new, empty
session for it. Streamlit's frontend takes that for its old session resumed and asks for no run: the
page keeps its old scene, and every click inside an st.fragment is dropped by the server (a fragment
run for an id the new session never registered: "The fragment with id ... does not exist anymore").
A full run in the new session would not do either: it would take ui.shell.state's defaults over the widget
values the browser sends (it does not know yet which widget a key belongs to), and the widget ids of a
tab whose page was the first one a cold server ran (ui.app.ensure_entry) differ from the ids there.

So the browser side, assets/reconnect/resume_session.js (a Streamlit v2 component with no HTML of its
own), answers each reconnection with a trigger, which asks for a full run. A session's first run that
arrives with widget values is such a run (a page's first load sends none): it only tells the page to
reload, a fresh load seeded from the URL like any link. In a resumed session it is one plain rerun.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

KEY = "vae_resume_session"  # the watcher (ui.app's CSS hides its element)
RELOAD_KEY = "vae_resume_reload"  # mounted only to tell the page to reload
RAN = "_vae_session_ran"  # session key: this session has run the app before

_component = st.components.v2.component(
    "vae_resume_session", js=(Path(__file__).resolve().parents[2] / "assets" / "reconnect" / "resume_session.js").read_text()
)


def resume_session() -> None:
    """Mount the watcher; call it first in every full run, outside any fragment (its trigger must run the
    whole app). In a new session that a reconnected page started, it stops the run after telling the
    page to reload."""
    ctx = get_script_run_ctx()
    first_run = RAN not in st.session_state
    st.session_state[RAN] = True
    # Read before any widget of this run registers: what the browser sent with the run that started it.
    sent_widgets = first_run and ctx is not None and bool(ctx.session_state.get_widget_states())
    _component(key=KEY, height="content", on_reconnected_change=lambda: None)
    if sent_widgets:
        _component(key=RELOAD_KEY, data={"reload": True}, height="content")
        st.stop()
