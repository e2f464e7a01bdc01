"""UI text in French and English: one folder of JSON catalogues per language, assets/i18n/<lang>/*.json
(one file per page or feature, merged; a key may appear in only one file).

`t("map.title")` looks the key up in the current language (st.session_state["lang"]), falling back
to English, then to the key itself; `{name}` placeholders are filled from keyword arguments.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import streamlit as st

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "assets" / "i18n"
LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((CATALOGUE_DIR / lang).glob("*.json")):
        part = json.loads(path.read_text(encoding="utf-8"))
        duplicated = set(part) & set(merged)
        if duplicated:
            raise ValueError(f"{path}: keys already defined in another catalogue file: {sorted(duplicated)}")
        merged.update(part)
    return merged


def current_language() -> str:
    lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **kwargs) -> str:
    text = catalogue(current_language()).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**kwargs) if kwargs else text


def browser_language() -> str:
    """'fr' when the browser asks for French first, else English."""
    try:
        accept = st.context.headers.get("Accept-Language", "") or ""
    except Exception:  # no request context (AppTest)
        accept = ""
    first = accept.split(",")[0].strip().lower()
    return "fr" if first.startswith("fr") else DEFAULT_LANGUAGE
