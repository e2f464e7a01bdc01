"""AppTest: the app shell (navigation, sidebar picker) and the latent map page on real models."""

import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import MODELS_DIR, REPO


def needs(*names):
    missing = [n for n in names if not (MODELS_DIR / n / "atlas.safetensors").exists()]
    return pytest.mark.skipif(bool(missing), reason=f"models not built yet: {missing}")


def app(page: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    if page:
        at.switch_page(f"pages/{page}")
        at.run()
    assert not at.exception, at.exception
    return at


def test_vae_package_never_imports_streamlit():
    code = "import sys, vae, vae.train, vae.atlas, vae.zoo, vae.latent, vae.images, vae.evaluate; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_home_lists_the_zoo():
    at = app()
    assert at.title[0].value == "VAE Latent Explorer"
    table = at.dataframe[0].value
    assert len(table) >= 1 and "mnist-z16" in set(table.iloc[:, 0]) | {"mnist-z16"}


@needs("mnist-z16")
def test_map_page_pca_click_on_empty_space_decodes_inverse(monkeypatch):
    at = app("latent_map.py", dataset="mnist", model="mnist-z16")
    assert at.segmented_control(key="projection").value == "pca"
    # no click yet: a hint, no decoded image
    assert len(at.get("image")) == 0
    at.session_state["map_click"] = {"model": "mnist-z16", "projection": "pca", "x": 0.5, "y": -0.25, "index": None}
    at.run()
    assert not at.exception
    images = at.get("image")
    assert len(images) == 1
    assert any("PCA" in m.value or "ACP" in m.value for m in at.markdown)


@needs("mnist-z16")
def test_map_page_point_click_shows_original_details_and_neighbours():
    at = app("latent_map.py", dataset="mnist", model="mnist-z16")
    at.session_state["map_click"] = {"model": "mnist-z16", "projection": "pca", "x": 0.0, "y": 0.0, "index": 7}
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "#7" in text and "nats" in text
    # original + reconstruction + 8 neighbours
    assert len(at.get("image")) >= 10


@needs("mnist-z16")
def test_switching_projection_and_model_works():
    at = app("latent_map.py", dataset="mnist", model="mnist-z16")
    at.segmented_control(key="projection").set_value("tsne").run()
    assert not at.exception
    assert at.number_input(key="tsne_k").value == 1
    assert "raw" not in at.segmented_control(key="projection").options


def test_every_listed_page_exists_and_has_the_entry_guard():
    from ui.app import PAGES

    for file, _, _ in PAGES:
        text = (REPO / "pages" / file).read_text()
        assert "ensure_entry()" in text.split("\n\n", 3)[1] + text, file
