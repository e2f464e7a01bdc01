"""AppTest: the lesson page on the real shipped MNIST models — every step renders and shows what the
model computes (decoded samples, KL, gradients, training command), the KL sliders, the step deep
link and its garbage fallback, and the lesson's own model choice."""

import math
import re

import numpy as np
import pytest
import torch

from tests.apptest_media import arr, chart, grid_cells, image_with_caption, open_page, pixels, record_media  # noqa: F401
from tests.conftest import REPO
from ui.lesson import STEPS
from ui.shell.i18n import catalogue
from ui.shell.resources import models_dir
from vae import load_card, load_model
from vae.analysis.explore_ops import display_scale
from vae.analysis.lesson import kl_posterior_prior, posterior_samples, training_command
from vae.core.latent import decode, prior_samples
from vae.data.datasets import load_mnist, to_tensor

pytestmark = pytest.mark.usefixtures("record_media")
MODELS_DIR = models_dir()  # the folder the app reads (VAE_MODELS_DIR or models/)
MAIN = "mnist-z2"
FALLBACK = "mnist-z16"
HAVE_MAIN = (MODELS_DIR / MAIN / "atlas.safetensors").exists()
NAME = MAIN if HAVE_MAIN else FALLBACK  # the model the lesson opens on
needs_a_model = pytest.mark.skipif(not (MODELS_DIR / NAME / "atlas.safetensors").exists(), reason=f"models not built yet: {NAME}")
TITLES = [
    "Autoencoder vs variational autoencoder",
    "What a VAE is for",
    "Latent space and latent vector",
    "The normal distribution, in 1-D then in n-D",
    "The KL divergence, plainly",
    "The reparameterization trick",
    "Generating new data",
    "How this model was built",
    "From VAE to GAN",
]


def lesson(query: dict | None = None, sidebar: str = FALLBACK, dataset: str = "mnist"):
    return open_page("lesson.py", sidebar, dataset=dataset, query={"lang": "en", **(query or {})})


def metric(at, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def header(at) -> str:
    return at.header[0].value


def posterior(model, index: int):
    images, _ = load_mnist("test")
    with torch.inference_mode():
        return model.encode(to_tensor(images[index : index + 1]))


@needs_a_model
def test_every_step_renders_with_the_real_model(real_root):
    at = lesson()
    assert at.selectbox(key="ls_model").value == NAME
    model = load_model(MODELS_DIR / NAME)
    for step in range(1, len(STEPS) + 1):
        at.selectbox(key="lesson_step").set_value(step).run()
        assert not at.exception, (step, at.exception)
        assert header(at) == f"{step}. {TITLES[step - 1]}"
        assert at.query_params["step"] == str(step)
        if step in (1, 2, 3, 5, 6, 7, 8):
            assert at.get("image"), step  # every step but the densities decodes something
    # step 8: the real config, command and training curves of the 2-D model
    at.selectbox(key="lesson_step").set_value(8).run()
    commands = [c.value for c in at.code if c.value.startswith("vae-explorer train")]
    z2 = MAIN if HAVE_MAIN else NAME
    assert commands == [training_command(load_model(MODELS_DIR / z2).config, load_card(MODELS_DIR / z2), z2)]
    curves = chart(at, "ls8_curves")
    history = load_card(MODELS_DIR / z2).history
    np.testing.assert_allclose(arr(curves["data"][0]["y"]), [h.train_recon_nats for h in history], rtol=1e-6)
    assert at.table[0].value.loc["config.json", "latent dimension (latent_dim)"] == model.config.latent_dim or z2 != NAME


@needs_a_model
def test_previous_next_buttons_walk_the_steps():
    at = lesson()
    assert at.selectbox(key="lesson_step").value == 1 and at.button(key="lesson_prev").disabled
    at.button(key="lesson_next").click().run()
    assert at.selectbox(key="lesson_step").value == 2 and header(at).startswith("2. ")
    at.button(key="lesson_next").click().run()
    at.button(key="lesson_prev").click().run()
    assert at.selectbox(key="lesson_step").value == 2 and at.query_params["step"] == "2"
    at.selectbox(key="lesson_step").set_value(len(STEPS)).run()
    assert at.button(key="lesson_next").disabled
    # presentation clickers' keys: ui/lesson/clicker.py, tested in Chromium (tests/browser/test_browser_url.py)


def test_the_steps_are_the_modules_of_the_lesson_package_in_course_order():
    assert [step.TITLE for step in STEPS] == [f"lesson.step.{k}" for k in range(1, len(STEPS) + 1)]
    assert [catalogue("en")[step.TITLE] for step in STEPS] == TITLES
    assert all(callable(step.render) for step in STEPS)


def test_every_literal_key_of_the_lesson_package_exists_in_both_languages():
    en, fr = catalogue("en"), catalogue("fr")
    used = set()
    for path in (REPO / "ui" / "lesson").glob("*.py"):
        used |= set(re.findall(r'\bt\(\s*"([a-z0-9_.]+)"', path.read_text()))
    assert len(used) > 90
    assert sorted(k for k in used if k not in en or k not in fr) == []


@needs_a_model
def test_step1_shows_mu_sigma_and_the_decoded_samples_of_the_same_image(real_root):
    model = load_model(MODELS_DIR / NAME)
    at = lesson({"step": "1", "ls_index": "4", "ls_seed": "3"})
    q = posterior(model, 4)
    mu, logvar = q.mean[0].numpy(), q.logvar[0].numpy()
    table = at.dataframe[0].value
    np.testing.assert_allclose(table.loc["μ"].to_numpy(float), mu, rtol=1e-5)
    np.testing.assert_allclose(table.loc["σ"].to_numpy(float), np.exp(0.5 * logvar), rtol=1e-5)
    url = image_with_caption(at, "6 codes drawn from q(z|x) for the same input (seed 3), decoded")
    cells = grid_cells(pixels(url), 6, 6, 28, display_scale(28, 6, target=100, max_width=900))
    expected = decode(model, posterior_samples(mu, logvar, 6, 3))[..., 0]
    assert np.array_equal(cells, expected)
    at.number_input(key="ls_seed").set_value(4).run()
    moved = pixels(image_with_caption(at, "6 codes drawn from q(z|x) for the same input (seed 4), decoded"))
    assert not np.array_equal(moved, pixels(url))


@needs_a_model
def test_kl_sliders_show_the_closed_form():
    at = lesson({"step": "5"})
    first = metric(at, "KL(q ‖ p)")
    assert first == f"{float(kl_posterior_prior(1.5, 0.6)):.3f} nats"
    for mu, sigma in ((0.8, 1.7), (0.0, 1.0), (-2.4, 0.12)):
        at.slider(key="ls_mu").set_value(mu).run()
        at.slider(key="ls_sigma").set_value(sigma).run()
        expected = 0.5 * (mu**2 + sigma**2 - 1 - math.log(sigma**2))
        assert metric(at, "KL(q ‖ p)") == f"{expected:.3f} nats"
    assert metric(at, "KL(q ‖ p)") != first
    assert any(r"\ln\sigma^2" in e.value for e in at.latex)


@needs_a_model
def test_kl_per_dimension_of_a_real_image_sums_to_posterior_kl(real_root):
    model = load_model(MODELS_DIR / NAME)
    at = lesson({"step": "5", "ls_index": "7"})
    q = posterior(model, 7)
    bars = arr(chart(at, "ls5_bars")["data"][0]["y"])
    np.testing.assert_allclose(bars, q.kl_per_dim()[0].numpy(), rtol=1e-5)
    assert metric(at, "Total KL of the image") == f"{float(q.kl()[0]):.2f} nats"


@needs_a_model
def test_deep_link_opens_step5_with_its_slider_values():
    at = lesson({"step": "5", "ls_mu": "1", "ls_sigma": "0.5"})
    assert at.selectbox(key="lesson_step").value == 5 and header(at) == "5. The KL divergence, plainly"
    assert at.slider(key="ls_mu").value == 1.0 and at.slider(key="ls_sigma").value == 0.5
    assert metric(at, "KL(q ‖ p)") == f"{0.5 * (1 + 0.25 - 1 - math.log(0.25)):.3f} nats"


@needs_a_model
@pytest.mark.parametrize("query", [{"step": "99"}, {"step": "abc"}, {"step": "-1", "ls_index": "1e9", "ls_seed": "x"}])
def test_garbage_step_falls_back_to_step_one(query):
    at = lesson(query)
    assert not at.exception
    assert at.selectbox(key="lesson_step").value == 1 and header(at).startswith("1. ")
    assert at.number_input(key="ls_index").value == 0 and at.number_input(key="ls_seed").value == 0
    garbage_sliders = lesson({"step": "5", "ls_mu": "nan", "ls_sigma": "0"})
    assert garbage_sliders.slider(key="ls_mu").value == 1.5 and garbage_sliders.slider(key="ls_sigma").value == 0.6


@needs_a_model
def test_reparameterization_gradients_are_shown(real_root):
    at = lesson({"step": "6", "ls_index": "2", "ls_seed": "9"})
    assert metric(at, "max |∂z/∂μ − 1|") == "0.0e+00" and metric(at, "max |∂z/∂σ − ε|") == "0.0e+00"
    grads = at.dataframe[1].value
    eps = torch.randn((1, load_model(MODELS_DIR / NAME).config.latent_dim), generator=torch.Generator().manual_seed(9))[0].numpy()
    np.testing.assert_array_equal(grads["ε"].to_numpy(np.float32), eps)
    np.testing.assert_array_equal(grads["∂z/∂σ"].to_numpy(np.float32), eps)
    assert (grads["∂z/∂μ"] == 1).all()


@needs_a_model
def test_step7_decodes_prior_samples_and_new_draw_changes_them():
    model = load_model(MODELS_DIR / NAME)
    at = lesson({"step": "7", "ls_n": "9", "ls_seed": "2"})
    url = image_with_caption(at, "9 codes z ~ N(0, I) (seed 2), decoded by the model")
    cells = grid_cells(pixels(url), 9, 3, 28, display_scale(28, 3, target=60, max_width=900))
    assert np.array_equal(cells, decode(model, prior_samples(model.config.latent_dim, 9, 2))[..., 0])
    at.button(key="ls_next_seed").click().run()
    assert at.number_input(key="ls_seed").value == 3
    assert not np.array_equal(pixels(image_with_caption(at, "9 codes z ~ N(0, I) (seed 3), decoded by the model")), pixels(url))


@needs_a_model
def test_step7_shows_the_prior_holes_and_the_learned_density_draw():
    """The codes of the test images with prior and learned-density samples over them, and the same
    seed drawn from the learned density."""
    from vae.artifacts.atlas import load_atlas
    from vae.artifacts.density import DENSITY_FILE, load_density

    if not (MODELS_DIR / NAME / DENSITY_FILE).exists():
        pytest.skip(f"no learned density fitted for {NAME}")
    model = load_model(MODELS_DIR / NAME)
    at = lesson({"step": "7", "ls_n": "9", "ls_seed": "2"})
    assert not at.exception
    assert any("holes" in m.value for m in at.markdown)
    traces = chart(at, "ls_holes")["data"]
    atlas = load_atlas(MODELS_DIR / NAME)
    projection = "raw" if model.config.latent_dim == 2 else "pca"
    assert len(arr(traces[0]["x"])) == len(atlas.mean) and [len(arr(tr["x"])) for tr in traces[1:]] == [600, 600]
    np.testing.assert_allclose(np.sort(arr(traces[0]["x"])), np.sort(atlas.coords(projection)[:, 0]), rtol=1e-5)
    url = image_with_caption(at, "9 codes from the learned density (seed 2), decoded by the same model")
    cells = grid_cells(pixels(url), 9, 3, 28, display_scale(28, 3, target=60, max_width=900))
    assert np.array_equal(cells, decode(model, load_density(MODELS_DIR / NAME).sample(9, 2))[..., 0])


@needs_a_model
def test_step3_highlights_the_latent_vector_of_the_chosen_image(real_root):
    model = load_model(MODELS_DIR / NAME)
    at = lesson({"step": "3", "ls_index": "11"})
    spec = chart(at, "ls3_map")
    marker = spec["data"][-1]
    mu = posterior(model, 11).mean[0].numpy()
    if model.config.latent_dim == 2:  # the raw coordinates are the latent vector itself
        np.testing.assert_allclose([arr(marker["x"])[0], arr(marker["y"])[0]], mu, rtol=1e-5)
        assert any(f"{mu[0]:.3f}" in e.value for e in at.latex)
    assert len(spec["data"]) == 11  # ten digits and the highlighted point


@needs_a_model
def test_lesson_model_is_its_own_choice():
    at = lesson(sidebar=FALLBACK)
    assert at.selectbox(key="ls_model").value == (MAIN if HAVE_MAIN else FALLBACK)
    assert at.sidebar.selectbox(key="model").value == FALLBACK
    at = lesson({"ls_model": FALLBACK})
    assert at.selectbox(key="ls_model").value == FALLBACK
    assert "celeba" not in at.selectbox(key="ls_model").options[0]


LESSON_PARAMS = "ls_model ls_index ls_index2 ls_seed ls_n ls_mu ls_sigma ls_mu1 ls_sigma1 ls_mu2x ls_mu2y ls_sigma2x ls_sigma2y".split()
GARBAGE = ["", "-1", "1e308", "nan", "inf", "💥", "9" * 400, "0x10", "celeba-z64", "3.5", "-0"]


@needs_a_model
@pytest.mark.parametrize("step", range(1, len(STEPS) + 1))
def test_garbage_lesson_parameters_on_every_step(step):
    for k in range(3):  # three rotations of the garbage over the parameters
        at = lesson({"step": str(step), **{p: GARBAGE[(i + k) % len(GARBAGE)] for i, p in enumerate(LESSON_PARAMS)}})
        assert not at.exception, (step, at.exception)
        assert at.selectbox(key="lesson_step").value == step
        assert at.selectbox(key="ls_model").value == NAME


@needs_a_model
def test_every_step_works_without_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path / "no-data-here"))  # test_set() is keyed by the data root
    at = lesson()
    for step in range(1, len(STEPS) + 1):
        at.selectbox(key="lesson_step").set_value(step).run()
        assert not at.exception, (step, at.exception)
        if step in (1, 2, 3, 5, 6):
            assert any("not in the data directory" in c.value for c in at.caption), step
    at.selectbox(key="lesson_step").set_value(3).run()
    assert len(chart(at, "ls3_map")["data"]) == 2  # one uncoloured cloud (no labels) and the highlighted point


@needs_a_model
def test_step9_shows_the_plain_and_the_adversarial_decoder_on_the_same_codes():
    from vae.artifacts.density import load_density
    from vae.training.gan import ADVERSARIAL_FILE, load_adversarial

    if not (MODELS_DIR / "celeba-z64" / ADVERSARIAL_FILE).exists():
        pytest.skip("no adversarial decoder made for celeba-z64 (vae-explorer gan models/celeba-z64 --save)")
    at = lesson({"step": "9", "ls_seed": "4"})
    assert not at.exception
    plain = load_model(MODELS_DIR / "celeba-z64")
    adversarial, report = load_adversarial(MODELS_DIR / "celeba-z64")
    codes = load_density(MODELS_DIR / "celeba-z64").sample(8, 4)
    for caption, model in (
        ("VAE decoder (trained to reconstruct)", plain),
        ("the same decoder fine-tuned against a discriminator", adversarial),
    ):
        cells = grid_cells(pixels(image_with_caption(at, caption)), 8, 8, 64, display_scale(64, 8, target=84, max_width=900))
        assert np.array_equal(cells, decode(model, codes)), caption
    table = at.dataframe[0].value
    assert list(table["Test PSNR (dB)"]) == [report["plain"]["psnr_db"], report["adversarial"]["psnr_db"]]
    assert any("discriminator" in m.value for m in at.markdown)
