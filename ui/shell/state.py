"""Deep links: page state mirrored in the URL's query parameters.

Every URL parameter is declared once, next to its widget, by the call that reads it; each
declaration lands in PARAMS (name → Param: type, range, default), which the deep-link fuzz test
enumerates page by page, so no parameter escapes it.

Streamlit's own binding does the work wherever it fits: `bound(key, default, parse)` returns the
widget's keyword arguments (`key`, `bind="query-params"`, its default), so Streamlit seeds the
widget from the URL, writes every change back to the URL in the browser (no server round trip),
drops the parameter while the value is the default, restores values on Back/Forward, and keeps
them across page switches. It fits every number input, slider and toggle, and choice widgets whose
option labels are the values themselves (the lesson's model name).

Our own code does only what the native binding cannot:
- tell the user that a link parameter was ignored (the binding drops a bad value silently; a
  presenter must know the prepared link was wrong): `bound` checks the raw value once per session
  with the declared parser and queues a notice naming it (`pop_notices`);
- read a value the way the declared parser does where the binding would read it otherwise:
  booleans also as 1/0 (a link a presenter wrote by hand; the binding reads only true/false), a number snapped
  to the widget's step;
- choice widgets with translated labels (projection, colour, ranking, sources, dataset, model,
  language): the binding writes the *displayed* label, so a link made in French would not open in
  English. `from_query(key, default, parse)` seeds them once per session (invalid → default and a
  notice) and `to_query(*keys)` writes the value, not the label, back;
- state that is not one widget (the map's x/y/point, the sliders' sl_z code, the face editor's
  fe_amt, the lesson's step under a short name): `raw_param(name, kind)` and `to_query(name=value)`.
Parsers: parse_int(lo, hi), parse_float(lo, hi), parse_choice(choices), parse_bool, or any
callable that raises ValueError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import streamlit as st
from streamlit.runtime.state import get_session_state

MAX_PARAM_LENGTH = 200
NOTICES = "_deep_link_notices"
CHECKED = "_deep_link_checked"  # bound parameters whose raw URL value was already checked this session


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

T = TypeVar("T")


@dataclass(frozen=True)
class Declared(Generic[T]):
    """A parser that also says what it accepts: `param` holds its Param fields (kind, lo/hi or choices)."""

    parse: Callable[[str], T]
    param: dict[str, Any]

    def __call__(self, raw: str) -> T:
        return self.parse(raw)


def raw_param(name: str, kind: str = "text", default: Any = None) -> str | None:
    """Declare a parameter read without a single widget behind it; returns its raw value (or None)."""
    PARAMS[name] = Param(name, kind, default)
    return st.query_params.get(name)


def parse_int(lo: int, hi: int, step: int = 1) -> Declared[int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if not lo <= value <= hi:
            raise ValueError(f"out of range [{lo}, {hi}]")
        return lo + (value - lo) // step * step  # on the widget's steps

    return Declared(parse, {"kind": "int", "lo": lo, "hi": hi})


def parse_float(lo: float, hi: float) -> Declared[float]:
    def parse(raw: str) -> float:
        value = float(raw)
        if not (lo <= value <= hi):  # also rejects nan
            raise ValueError(f"out of range [{lo}, {hi}]")
        return value

    return Declared(parse, {"kind": "float", "lo": lo, "hi": hi})


def parse_choice(choices: Iterable[str]) -> Declared[str]:
    allowed = list(choices)

    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError("not one of the choices")
        return raw

    return Declared(parse, {"kind": "choice", "choices": tuple(allowed)})


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
    spec = _declared(parse)
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


def bound(key: str, default: Any, parse: Callable[[str], Any], via: str = "value") -> dict[str, Any]:
    """Declare URL parameter `key` for the widget with that key, bound natively to the URL.

    Returns the widget's keyword arguments: key, bind="query-params", and the default under `via`
    ("value" for number inputs, sliders and toggles; "index" for a selectbox, whose choices are the
    parser's). A bad raw value gets a notice once per session; a boolean written 1/0 is read as parse_bool reads it."""
    spec = _declared(parse)
    PARAMS[key] = Param(key, default=default, **spec)
    checked = st.session_state.setdefault(CHECKED, set())
    if key not in checked:
        checked.add(key)
        raw = st.query_params.get(key)
        if raw is not None:
            try:
                if len(raw) > MAX_PARAM_LENGTH:
                    raise ValueError("too long")
                value = parse(raw)
                if _format(value) != raw:  # 1/0 for a boolean, an odd count on a slider of even steps
                    _rewrite_before_binding(key, _format(value))  # the binding reads our reading of it
            except (ValueError, TypeError, OverflowError):
                st.session_state.setdefault(NOTICES, []).append(key)
                _rewrite_before_binding(key, None)
    st.session_state.setdefault(key, default)
    arg = spec["choices"].index(default) if via == "index" else default
    return {"key": key, "bind": "query-params", via: arg}


def _declared(parse: Callable[[str], Any]) -> dict[str, Any]:
    """The Param fields a parser declares: its own for parse_int/float/choice, the kind for the others."""
    if isinstance(parse, Declared):
        return parse.param
    return {"kind": "bool"} if parse is parse_bool else {"kind": "text"}


SHELL_PARAMS = ("lang", "dataset", "model")  # the app shell's parameters, the same on every page


def switch_page(page: str) -> None:
    """st.switch_page, keeping the shell's parameters in the URL. (Streamlit 1.67's switch_page
    without query_params clears the URL, and refuses to while a widget is bound to it.)"""
    st.switch_page(page, query_params={k: st.query_params[k] for k in SHELL_PARAMS if k in st.query_params})


def _rewrite_before_binding(key: str, text: str | None) -> None:
    """Replace (or, for None, remove) a link value before the widget binds to it.

    The binding seeds a widget from the *initial* query string, which st.query_params cannot edit,
    so this reaches into Streamlit's QueryParams (an internal, pinned in requirements.txt). Removing
    a rejected value is needed beyond the notice: Streamlit 1.67 raises OverflowError when an
    integer number_input is bound to ?key=inf (its deserializer calls int(float("inf")))."""
    with get_session_state().query_params() as params:
        if text is None:
            params._initial_query_params.pop(key, None)
            if key in params and not params.is_bound(key):
                del params[key]
        else:
            params._initial_query_params[key] = [text]
            if not params.is_bound(key):
                params[key] = text  # and the browser's URL


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
        return "true" if value else "false"  # as Streamlit's binding writes them
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def pop_notices() -> list[str]:
    return st.session_state.pop(NOTICES, [])
