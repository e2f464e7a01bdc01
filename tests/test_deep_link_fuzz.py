"""Deep-link parameters fuzzed on every page: garbage, out-of-range, wrong-type and overlong values
fall back to defaults (with a notice), never an exception."""

import random
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import MODELS_DIR, REPO
from ui.app import PAGES

# every parameter a page or the shell reads with from_query(...), plus raw ones read directly
PARAMS = sorted(
    set(re.findall(r'from_query\(\s*"([a-z_0-9]+)"', " ".join(p.read_text() for p in [*REPO.glob("pages/*.py"), *REPO.glob("ui/**/*.py")])))
    | {"x", "y", "point", "step", "sl_z"}
)
GARBAGE = ["", "-1", "1e308", "nan", "inf", "-inf", "0x10", "💥", "None", "[]", "{}", "9" * 400, "a" * 5000,
           "<script>alert(1)</script>", "../../etc/passwd", "1,2,3", "true", "mnist", "celeba", "pca", "3.5", "-0"]  # fmt: skip
PAGE_FILES = [f for f, _, _ in PAGES if (REPO / "pages" / f).exists()]


@pytest.mark.skipif(not (MODELS_DIR / "mnist-z16" / "atlas.safetensors").exists(), reason="mnist-z16 not built")
@pytest.mark.parametrize("page", PAGE_FILES)
def test_garbage_parameters_never_raise(page):
    rng = random.Random(page)
    for round_ in range(3):
        at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90)
        for name in PARAMS:
            if rng.random() < 0.8:
                at.query_params[name] = rng.choice(GARBAGE)
        if round_ == 0:
            at.query_params["dataset"], at.query_params["model"] = "mnist", "mnist-z16"
        at.switch_page(f"pages/{page}")  # the first run opens this page, as a deep link does
        at.run()
        assert not at.exception, (page, dict(at.query_params), at.exception)


def test_page_parameters_are_read_on_a_deep_link_and_garbage_gets_a_notice():
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90)
    at.query_params.update({"dataset": "mnist", "model": "mnist-z16", "projection": "tsne", "tsne_k": "500"})
    at.switch_page("pages/latent_map.py")
    at.run()
    assert not at.exception
    assert at.segmented_control(key="projection").value == "tsne"  # a valid value is taken
    assert at.number_input(key="tsne_k").value == 1  # an out-of-range one falls back
    assert any("tsne_k" in t.value for t in at.toast)
