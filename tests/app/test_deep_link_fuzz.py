"""Deep-link parameters fuzzed on every page: garbage, out-of-range, wrong-type and overlong values
fall back to defaults (with a notice), never an exception."""

import random

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import MODELS_DIR, REPO
from ui.app import PAGES
from ui.shell import state

GARBAGE = ["", "-1", "1e308", "nan", "inf", "-inf", "0x10", "💥", "None", "[]", "{}", "9" * 400, "a" * 5000]
GARBAGE += ["<script>alert(1)</script>", "../../etc/passwd", "1,2,3", "true", "mnist", "celeba", "pca", "3.5", "-0"]
PAGE_FILES = [f for f, _, _ in PAGES if (REPO / "pages" / f).exists()]
# a page's parameters depend on the model (CelebA pages, the 2-D raw map, the t-SNE k): each page is
# opened on each of these, with every optional control shown, to collect its declarations
OPENINGS = [
    {"dataset": "mnist", "model": "mnist-z16", "projection": "tsne"},
    {"dataset": "mnist", "model": "mnist-z2"},
    {"dataset": "celeba", "model": "celeba-z64"},
    {"dataset": "celeba", "model": "celeba-z64", "fe_source": "prior", "ip_a_src": "random", "ip_b_src": "map"},
]
MORE_OPENINGS = {"lesson.py": [{"dataset": "mnist", "model": "mnist-z16", "step": str(k)} for k in range(2, 9)]}


def declared_parameters(page: str) -> dict[str, state.Param]:
    """Every URL parameter the page and the app shell declare (ui.shell.state.PARAMS), on each opening."""
    declared = {}
    for query in OPENINGS + MORE_OPENINGS.get(page, []):
        state.PARAMS.clear()
        at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90)
        at.query_params.update(query)
        at.switch_page(f"pages/{page}")
        at.run()
        assert not at.exception, (page, query, at.exception)
        declared |= state.PARAMS
    return declared


@pytest.mark.skipif(not (MODELS_DIR / "mnist-z16" / "atlas.safetensors").exists(), reason="mnist-z16 not built")
@pytest.mark.parametrize("page", PAGE_FILES)
def test_garbage_in_every_declared_parameter_never_raises(page):
    params = sorted(declared_parameters(page))
    assert {"lang", "dataset", "model", "presenter"} <= set(params)  # the shell's, on every page
    rng = random.Random(page)
    for round_ in range(3):
        at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90)
        for name in params:
            if rng.random() < 0.8:
                at.query_params[name] = rng.choice(GARBAGE)
        if round_ == 0:
            at.query_params["dataset"], at.query_params["model"] = "mnist", "mnist-z16"
        at.switch_page(f"pages/{page}")  # the first run opens this page, as a deep link does
        at.run()
        assert not at.exception, (page, dict(at.query_params), at.exception)


def test_declarations_carry_type_range_and_default():
    declared = declared_parameters("latent_sliders.py")
    seed = declared["sl_seed"]
    assert (seed.kind, seed.lo, seed.default) == ("int", 0, 0) and seed.hi == 2**31 - 1
    assert declared["sl_z"].kind == "text"
    declared = declared_parameters("latent_map.py")
    assert declared["projection"].choices == ("raw", "pca", "tsne", "umap", "axes") and declared["tsne_k"].hi == 20
    assert {"x", "y", "point"} <= set(declared)


def test_page_parameters_are_read_on_a_deep_link_and_garbage_gets_a_notice():
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90)
    at.query_params.update({"dataset": "mnist", "model": "mnist-z16", "projection": "tsne", "tsne_k": "500"})
    at.switch_page("pages/latent_map.py")
    at.run()
    assert not at.exception
    assert at.segmented_control(key="projection").value == "tsne"  # a valid value is taken
    assert at.number_input(key="tsne_k").value == 1  # an out-of-range one falls back
    assert any("tsne_k" in t.value for t in at.toast)
