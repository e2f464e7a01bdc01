"""AppTest: the generate page on the real shipped models."""

import math

import numpy as np
import pytest

from tests.apptest_media import grid_cells, open_page, pixels, record_media  # noqa: F401
from tests.conftest import MODELS_DIR, needs
from vae import load_model
from vae.analysis.explore_ops import display_scale
from vae.artifacts.density import DENSITY_FILE, load_density
from vae.core.latent import decode, prior_samples

pytestmark = pytest.mark.usefixtures("record_media")
NAME = "mnist-z16"


def shown(at, source: int = 0) -> str:
    """The grid of a source: 0 the prior, 1 the learned density (shown beside it when the model has one)."""
    return at.get("image")[source].value[0]


def width(at) -> int:
    return 900 if len(at.get("image")) == 1 else 440  # one grid, or two side by side


def samples(at, n: int, side: int = 28, source: int = 0) -> np.ndarray:
    """The displayed grid cut back into its n samples."""
    ncols = math.ceil(math.sqrt(n))
    cells = grid_cells(pixels(shown(at, source)), n, ncols, side, display_scale(side, ncols, target=96, max_width=width(at)))
    return cells if cells.ndim == 4 else cells[..., None]


@needs(NAME)
def test_same_seed_same_grid_other_seed_other_grid():
    model = load_model(MODELS_DIR / NAME)
    at = open_page("generate.py", NAME)
    assert at.number_input(key="gen_n").value == 16 and at.number_input(key="gen_seed").value == 0
    assert at.slider(key="gen_temp").value == 1.0 and at.get("download_button")[0].key == "gen_png_prior"
    first = shown(at)
    assert np.array_equal(samples(at, 16), decode(model, prior_samples(16, 16, 0)))
    at.run()
    assert shown(at) == first  # same seed: same bytes
    at.number_input(key="gen_seed").set_value(5).run()
    assert shown(at) != first
    assert np.array_equal(samples(at, 16), decode(model, prior_samples(16, 16, 5)))
    at.button(key="gen_next").click().run()
    assert at.number_input(key="gen_seed").value == 6
    at.number_input(key="gen_seed").set_value(0).run()
    assert shown(at) == first


@needs(NAME)
def test_temperature_scales_the_codes():
    model = load_model(MODELS_DIR / NAME)
    at = open_page("generate.py", NAME)
    at.number_input(key="gen_n").set_value(9).run()
    warm = samples(at, 9)
    at.slider(key="gen_temp").set_value(0.3).run()
    cold = samples(at, 9)
    assert np.array_equal(cold, decode(model, 0.3 * prior_samples(16, 9, 0)))
    assert not np.array_equal(cold, warm)
    # colder samples sit nearer the prior mean: they look more like the decoded origin
    origin = decode(model, np.zeros(16)).astype(float)
    assert np.abs(cold - origin).mean() < np.abs(warm - origin).mean()


@needs(NAME)
def test_number_of_samples_sets_the_grid():
    at = open_page("generate.py", NAME)
    for n, cols in ((1, 1), (10, 4), (64, 8)):
        at.number_input(key="gen_n").set_value(n).run()
        scale = display_scale(28, cols, target=96, max_width=width(at))
        assert pixels(shown(at)).shape[1] == (cols * 30 - 2) * scale


@needs(NAME)
def test_deep_link_seeds_widgets_and_garbage_falls_back():
    at = open_page("generate.py", NAME, query={"gen_n": "4", "gen_seed": "42", "gen_temp": "0.5"})
    assert at.number_input(key="gen_n").value == 4 and at.number_input(key="gen_seed").value == 42
    assert at.slider(key="gen_temp").value == 0.5
    assert at.query_params["gen_seed"] == "42"
    at = open_page("generate.py", NAME, query={"gen_n": "65", "gen_seed": "-1", "gen_temp": "nan"})
    assert at.number_input(key="gen_n").value == 16 and at.number_input(key="gen_seed").value == 0
    assert at.slider(key="gen_temp").value == 1.0
    assert any(all(p in toast.value for p in ("gen_n", "gen_seed", "gen_temp")) for toast in at.toast)  # named, not silent


@needs("celeba-z64")
def test_colour_samples():
    model = load_model(MODELS_DIR / "celeba-z64")
    at = open_page("generate.py", "celeba-z64", dataset="celeba", query={"gen_n": "4", "gen_seed": "3"})
    cells = samples(at, 4, side=64)
    assert cells.shape == (4, 64, 64, 3)
    assert np.array_equal(cells, decode(model, prior_samples(64, 4, 3)))


@needs(NAME)
def test_the_learned_density_is_shown_beside_the_prior_with_the_same_seed():
    if not (MODELS_DIR / NAME / DENSITY_FILE).exists():
        pytest.skip(f"no learned density fitted for {NAME}")
    model, density = load_model(MODELS_DIR / NAME), load_density(MODELS_DIR / NAME)
    at = open_page("generate.py", NAME, query={"gen_n": "9", "gen_seed": "3", "gen_temp": "0.8"})
    assert len(at.get("image")) == 2 and [d.key for d in at.get("download_button")] == ["gen_png_prior", "gen_png_learned"]
    assert np.array_equal(samples(at, 9), decode(model, prior_samples(16, 9, 3, 0.8)))
    assert np.array_equal(samples(at, 9, source=1), decode(model, density.sample(9, 3, 0.8)))
    assert "Learned density" in " ".join(m.value for m in at.markdown)


def test_a_model_without_a_learned_density_shows_the_prior_and_the_command(tmp_path, monkeypatch):
    import shutil

    shutil.copytree(MODELS_DIR / NAME, tmp_path / NAME, ignore=shutil.ignore_patterns(DENSITY_FILE))
    monkeypatch.setenv("VAE_MODELS_DIR", str(tmp_path))
    at = open_page("generate.py", NAME)
    assert not at.exception and len(at.get("image")) == 1
    assert any(f"vae-explorer density models/{NAME}" in i.value for i in at.info)
