"""French and English: the two catalogues have the same keys and placeholders, every key the code
uses exists, and the language switch changes the UI and survives page switches."""

import re
import string

from streamlit.testing.v1 import AppTest

from tests.conftest import REPO, needs
from ui.shell.i18n import LANGUAGES, catalogue


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogues_have_the_same_keys_and_placeholders():
    en, fr = catalogue("en"), catalogue("fr")
    assert set(en) == set(fr), f"only in en: {sorted(set(en) - set(fr))[:10]}, only in fr: {sorted(set(fr) - set(en))[:10]}"
    for key in en:
        assert en[key].strip() and fr[key].strip(), key
        assert placeholders(en[key]) == placeholders(fr[key]), key
    assert set(LANGUAGES) == {"en", "fr"}


def test_every_literal_key_used_in_code_exists():
    en = catalogue("en")
    sources = [*REPO.glob("pages/*.py"), *REPO.glob("ui/**/*.py")]
    used = set()
    for path in sources:
        used |= set(re.findall(r'\bt\(\s*"([a-z0-9_.]+)"', path.read_text()))
    missing = sorted(k for k in used if k not in en)
    assert not missing, missing
    assert len(used) > 200


@needs("mnist-z16")
def test_language_switch_translates_and_survives_page_switches():
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.session_state["dataset"], at.session_state["model"] = "mnist", "mnist-z16"
    at.run()
    assert at.title[0].value == "VAE Latent Explorer" and "ready" in at.dataframe[0].value.to_string()
    at.selectbox(key="lang").set_value("fr").run()
    assert at.query_params["lang"] == "fr" and "prêt" in at.dataframe[0].value.to_string()
    at.switch_page("pages/generate.py")
    at.run()
    assert not at.exception and at.session_state["lang"] == "fr"
    assert at.title[0].value == catalogue("fr")["gen.title"] != catalogue("en")["gen.title"]
    assert at.sidebar.radio(key="dataset").label == "Jeu de données"
