"""Presentation clickers on the Lesson page: the stepping keys (PageUp/PageDown, arrows, Space, ".")
step the lesson from anywhere except while typing in a text field, and a new step opens at its top.
The browser side is assets/clicker/lesson_keys.js (a Streamlit v2 component with no HTML of its own)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

_component = st.components.v2.component(
    "vae_lesson_keys", js=(Path(__file__).resolve().parents[2] / "assets" / "clicker" / "lesson_keys.js").read_text()
)


def lesson_keys(step: int, prev_key: str, next_key: str) -> None:
    """Mount the key handler: it clicks the buttons st.button(key=prev_key / next_key)."""
    _component(key="lesson_keys", data={"step": int(step), "prev": prev_key, "next": next_key}, height="content")
