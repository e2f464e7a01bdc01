"""No missing glyph: every character the pages write from the FR/EN catalogues has a glyph in the fonts Streamlit
ships and serves with the page (Source Sans for text, Source Code for what is shown with st.code), so a phone or a
projector never draws an empty box. Mathematics goes through KaTeX ($…$, its own fonts) and icons through
`:material/name:` (Streamlit's Material Symbols font). The slide deck (slides.json) is drawn by matplotlib and
python-pptx with their own fonts, so it is not checked here."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import streamlit
from fontTools.ttLib import TTFont

from tests.conftest import REPO

MEDIA = Path(streamlit.__file__).parent / "static" / "static" / "media"
NOT_TEXT = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$|:material/[a-z0-9_]+:", re.S)  # KaTeX and icons have their own fonts


@cache
def covered(font: str) -> frozenset[int]:
    """The code points the font `font` (SourceSansVF, SourceCodeVF) has a glyph for, upright and italic."""
    return frozenset().union(*(TTFont(path).getBestCmap() for path in MEDIA.glob(f"{font}-*.woff2")))


def code_keys() -> set[str]:
    """The catalogue keys the pages show with st.code (monospace: Source Code)."""
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "ui").rglob("*.py"))
    return set(re.findall(r"st\.code\(\s*t\(\s*\"([^\"]+)\"", sources))


def missing_glyphs(text: str, font: str) -> set[str]:
    return {ch for ch in NOT_TEXT.sub("", text) if ch not in "\n\t" and ord(ch) not in covered(font)}


def test_the_fonts_are_there_and_the_check_can_fail():
    assert ord("é") in covered("SourceSansVF") and ord("μ") in covered("SourceSansVF")
    assert missing_glyphs("son ⓘ dit combien", "SourceSansVF") == {"ⓘ"}  # the empty box a student saw
    assert missing_glyphs("son :material/help: dit combien, $\\mu_i$", "SourceSansVF") == set()
    assert {"lesson.s6.diagram_with", "lesson.s6.diagram_without"} <= code_keys()


def test_every_catalogue_character_has_a_glyph_in_the_page_fonts():
    code = code_keys()
    missing = {}
    for path in sorted((REPO / "assets" / "i18n").glob("*/*.json")):
        if path.name == "slides.json":
            continue
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            if isinstance(text, str):
                found = missing_glyphs(text, "SourceCodeVF" if key in code else "SourceSansVF")
                if found:
                    missing[f"{path.parent.name}/{path.name}:{key}"] = "".join(sorted(found))
    assert missing == {}
