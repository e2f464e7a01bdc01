"""UI text in French and English: one folder of JSON catalogues per language, assets/i18n/<lang>/*.json
(one file per page or feature, merged; a key may appear in only one file).

`t("map.title")` looks the key up in the current language (st.session_state["lang"]), falling back
to English, then to the key itself; `{name}` placeholders are filled from keyword arguments. In
French, a number with a format spec (`{x:.2f}`, `{p:.0%}`, `{v:g}`, `{e:.1e}`, `{d:+.2f}`) is written
the French way by Babel (CLDR data): decimal comma, narrow no-break space between thousands,
no-break space before %; `number()` does the same for numbers shown outside the catalogue.
"""

from __future__ import annotations

import json
import numbers
import re
import string
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import SupportsFloat

import streamlit as st
from babel import Locale
from babel.numbers import format_decimal, format_percent, format_scientific

from vae.data.inputs import INPUT_ERRORS, InputImageError

CATALOGUE_DIR = Path(__file__).resolve().parents[2] / "assets" / "i18n"
LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"
LOCALES = {"en": "en_US", "fr": "fr_FR"}
_NUMBER_SPEC = re.compile(r"^(?P<sign>\+)?(?:\.(?P<digits>\d+))?(?P<kind>[fge%])$")


@cache
def catalogue(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((CATALOGUE_DIR / lang).glob("*.json")):
        part = json.loads(path.read_text(encoding="utf-8"))
        duplicated = set(part) & set(merged)
        if duplicated:
            raise ValueError(f"{path}: keys already defined in another catalogue file: {sorted(duplicated)}")
        merged.update(part)
    if lang == DEFAULT_LANGUAGE:  # the English of the errors vae/ raises lives beside the code raising them
        merged.update({f"input_error.{code}": text for code, text in INPUT_ERRORS.items()})
    return merged


def error_text(error: InputImageError) -> str:
    """An error with a `code` and `params` (vae.data.inputs.InputImageError) in the current language."""
    return t(f"input_error.{error.code}", **error.params)


def current_language() -> str:
    lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def say(lang: str, key: str, **kwargs: object) -> str:
    """The catalogue text of `key` in `lang` (English, then the key itself, as fallbacks), its fields
    filled the language's way (fill). The one fallback rule: t() is say() in the session's language."""
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return fill(text, lang, **kwargs) if kwargs else text


def t(key: str, **kwargs: object) -> str:
    return say(current_language(), key, **kwargs)


def fill(text: str, lang: str, **kwargs: object) -> str:
    """str.format, with the numbers of format specs written in the language's way (English: as Python
    writes them)."""
    return text.format(**kwargs) if lang == DEFAULT_LANGUAGE else _Localized(lang).format(text, **kwargs)


def number(value: float, spec: str = "g", lang: str | None = None) -> str:
    """A number as the language writes it, from a format spec ".2f", ".0%", "g", ".1e", "+.2f"."""
    lang = current_language() if lang is None else lang
    match = _NUMBER_SPEC.match(spec)
    if lang == DEFAULT_LANGUAGE or match is None:
        return format(value, spec)
    locale = Locale.parse(LOCALES[lang])
    digits, kind = match["digits"], match["kind"]
    fraction = "." + "0" * int(digits) if digits and int(digits) > 0 else ""
    if kind == "%":
        pattern = locale.percent_formats[None].pattern.replace("0", "0" + fraction, 1)
        return format_percent(value, format=pattern, locale=locale)
    if kind == "e":
        return format_scientific(value, format="0" + fraction + "E0", locale=locale)
    if kind == "g":
        return format_decimal(value, locale=locale)
    body = "#,##0" + fraction
    return format_decimal(value, format=f"+{body};-{body}" if match["sign"] else body, locale=locale)


# Between numbers in a list: French writes a decimal comma, so its lists of numbers use a semicolon.
LIST_SEPARATORS = {"en": ", ", "fr": " ; "}
DECIMAL_MARKS = {"en": ".", "fr": ","}  # for what the browser writes itself (the live map's ticks and hover)


def numbers_listed(values: Iterable[SupportsFloat], spec: str = "g", lang: str | None = None) -> str:
    """Numbers written by `number`, joined the language's way: "0.5, -1.2" / "0,5 ; -1,2"."""
    lang = current_language() if lang is None else lang
    return LIST_SEPARATORS[lang].join(number(float(v), spec, lang) for v in values)


def latex_numbers(values: Iterable[SupportsFloat], spec: str = "g", lang: str | None = None) -> str:
    """`numbers_listed` for a LaTeX formula: a decimal comma as {,} (no space after it in maths mode),
    thousands as a thin space, the separator spaced."""
    lang = current_language() if lang is None else lang
    written = [number(float(v), spec, lang).replace(",", "{,}").replace("\u202f", r"\,") for v in values]
    return {"en": r",\ ", "fr": r"\ ;\ "}[lang].join(written)


class _Localized(string.Formatter):
    def __init__(self, lang: str):
        self.lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec and _NUMBER_SPEC.match(format_spec) and isinstance(value, numbers.Real) and not isinstance(value, bool):
            return number(value if isinstance(value, int | float) else float(value), format_spec, self.lang)  # numpy scalars
        return super().format_field(value, format_spec)


def browser_language() -> str:
    """'fr' when the browser asks for French first, else English."""
    try:
        accept = st.context.headers.get("Accept-Language", "") or ""
    except Exception:  # no request context (AppTest)
        accept = ""
    first = accept.split(",")[0].strip().lower()
    return "fr" if first.startswith("fr") else DEFAULT_LANGUAGE
