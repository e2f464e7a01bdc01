"""Deep links: page state mirrored in the URL's query parameters.

Every URL parameter is declared once, next to its widget, by the call that reads it:
`from_query(key, default, parse)` for a widget's value (parse = parse_int(lo, hi), parse_float,
parse_choice(choices), parse_bool, or any callable that raises ValueError), `raw_param(name, kind)`
for parameters that are not one widget (the map's x/y/point, the sliders' sl_z code, fe_amt).
Each declaration lands in PARAMS (name → Param: type, range, default), which the deep-link fuzz
test enumerates page by page, so no parameter escapes it.

`from_query` seeds st.session_state[key] from the URL the first time a key is used in a session
(an invalid value falls back to the default and queues a notice that names the parameter);
`to_query(*keys)` writes current values back so the URL always reopens the same scene.

Why not Streamlit's own `bind="query-params"` (1.67): it drops an invalid value silently, where a
presenter must be told that a prepared link was wrong; it removes a parameter equal to its
default, so a link no longer states the whole scene; and it writes the URL only in the browser,
where the server and AppTest cannot see it. `persist_state` would not help either: a page's values
already live in st.session_state under their keys for the whole session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

MAX_PARAM_LENGTH = 200
NOTICES = "_deep_link_notices"


@dataclass(frozen=True)
class Param:
    """One declared URL parameter."""

    name: str
    kind: str  # "int", "float", "choice", "bool", "text" (a free-form value with its own parser)
    default: Any = None
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None


PARAMS: dict[str, Param] = {}  # every parameter declared so far in this process (the fuzz test reads it)


def raw_param(name: str, kind: str = "text", default: Any = None) -> str | None:
    """Declare a parameter read without a single widget behind it; returns its raw value (or None)."""
    PARAMS[name] = Param(name, kind, default)
    return st.query_params.get(name)


def parse_int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if not lo <= value <= hi:
            raise ValueError(f"out of range [{lo}, {hi}]")
        return value

    parse.param = {"kind": "int", "lo": lo, "hi": hi}
    return parse


def parse_float(lo: float, hi: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = float(raw)
        if not (lo <= value <= hi):  # also rejects nan
            raise ValueError(f"out of range [{lo}, {hi}]")
        return value

    parse.param = {"kind": "float", "lo": lo, "hi": hi}
    return parse


def parse_choice(choices) -> Callable[[str], str]:
    allowed = list(choices)

    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError("not one of the choices")
        return raw

    parse.param = {"kind": "choice", "choices": tuple(allowed)}
    return parse


def parse_bool(raw: str) -> bool:
    """'1'/'true'/'yes'/'on' or '0'/'false'/'no'/'off'."""
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("not a boolean")


def from_query(key: str, default: Any, parse: Callable[[str], Any], param: str | None = None) -> Any:
    """Declare URL parameter `param` (default: key) for widget `key`, and seed session_state[key] from
    it once per session (an invalid value: the default, and a notice)."""
    param = param or key
    spec = getattr(parse, "param", None) or ({"kind": "bool"} if parse is parse_bool else {"kind": "text"})
    PARAMS[param] = Param(param, default=default, **spec)
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
