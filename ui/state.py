"""Deep links: page state mirrored in the URL's query parameters.

`from_query(key, default, parse)` seeds st.session_state[key] from the URL the first time a key is
used in a session (an invalid value falls back to the default and queues a short notice);
`to_query(*keys)` writes current values back so the URL always reopens the same scene.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

MAX_PARAM_LENGTH = 200
NOTICES = "_deep_link_notices"


def parse_int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if not lo <= value <= hi:
            raise ValueError(f"out of range [{lo}, {hi}]")
        return value

    return parse


def parse_float(lo: float, hi: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = float(raw)
        if not (lo <= value <= hi):  # also rejects nan
            raise ValueError(f"out of range [{lo}, {hi}]")
        return value

    return parse


def parse_choice(choices) -> Callable[[str], str]:
    allowed = list(choices)

    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError("not one of the choices")
        return raw

    return parse


def parse_bool(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("not a boolean")


def from_query(key: str, default: Any, parse: Callable[[str], Any], param: str | None = None) -> Any:
    """Seed session_state[key] from query parameter `param` (default: key) once per session."""
    param = param or key
    if key not in st.session_state:
        raw = st.query_params.get(param)
        value = default
        if raw is not None:
            try:
                if len(raw) > MAX_PARAM_LENGTH:
                    raise ValueError("too long")
                value = parse(raw)
            except (ValueError, TypeError, OverflowError):
                st.session_state.setdefault(NOTICES, []).append(param)
        st.session_state[key] = value
    return st.session_state[key]


def to_query(*keys: str, **params: Any) -> None:
    """Write session_state values (or explicit params) to the URL, only where they changed."""
    values = {k: st.session_state.get(k) for k in keys}
    values.update(params)
    for k, v in values.items():
        if v is None:
            if k in st.query_params:
                del st.query_params[k]
            continue
        text = _format(v)
        if st.query_params.get(k) != text:
            st.query_params[k] = text


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def pop_notices() -> list[str]:
    return st.session_state.pop(NOTICES, [])
