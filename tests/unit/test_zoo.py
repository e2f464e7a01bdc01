"""The shipped zoo: every model loads, decodes the right shape, its card matches a fresh
evaluation, and its atlas matches the model."""

import numpy as np
import pytest
import torch

from tests.conftest import MODELS_DIR
from vae import load_card, load_model
from vae.analysis.zoo import scan, table
from vae.artifacts.atlas import code_at, load_atlas
from vae.core.evaluate import per_sample_terms, summarize
from vae.data.datasets import load_split, to_tensor

EXPECTED = (
    [f"mnist-z{d}" for d in (2, 4, 8, 16, 32, 64)]
    + [f"mnist-z16-beta{b}" for b in ("0.5", "2", "4", "8")]
    + [f"celeba-z{d}" for d in (32, 64, 128)]
    # the course's dense 2-D VAE and its β family, β = 0 being the plain autoencoder
    + ["mnist-dense-z2", "mnist-dense-z2-ae"]
    + [f"mnist-dense-z2-beta{b}" for b in ("0.5", "2", "4", "8")]
)
SHIPPED = sorted(p.name for p in MODELS_DIR.iterdir() if (p / "model.safetensors").exists()) if MODELS_DIR.exists() else []


def test_zoo_has_every_expected_model():
    assert sorted(EXPECTED) == SHIPPED


def test_models_dir_is_small_enough():
    """The zoo's budget: 44 MB in all (weights, atlases, directions, densities, the adversarial decoder)."""
    total = sum(f.stat().st_size for f in MODELS_DIR.rglob("*") if f.is_file())
    assert total < 44 * 10**6, f"models/ holds {total / 1e6:.1f} MB"


@pytest.fixture(scope="module")
def test_images():
    cache = {}

    def get(dataset):
        if dataset not in cache:
            cache[dataset] = to_tensor(load_split(dataset, "test")[0])
        return cache[dataset]

    return get


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_loads_and_decodes(name):
    model = load_model(MODELS_DIR / name)
    c, h, w = model.config.image_shape
    with torch.inference_mode():
        x = model.decode(torch.zeros(3, model.config.latent_dim))
    assert x.shape == (3, c, h, w) and 0 <= x.min() and x.max() <= 1
    card = load_card(MODELS_DIR / name)
    assert card.name == name and card.dataset == model.config.dataset and card.latent_dim == model.config.latent_dim
    assert card.beta == model.config.beta and card.likelihood == model.config.likelihood
    assert card.parameter_count == model.num_parameters() and len(card.kl_per_dim_nats) == model.config.latent_dim
    assert (card.likelihood_sigma is not None) == (model.log_sigma is not None)


@pytest.mark.parametrize("name", SHIPPED)
def test_card_metrics_match_fresh_evaluation(name, real_root, celeba_root, test_images):
    model = load_model(MODELS_DIR / name)
    card = load_card(MODELS_DIR / name)
    fresh = summarize(per_sample_terms(model, test_images(model.config.dataset)))
    for key in ("recon_nats", "kl_nats", "neg_elbo_nats"):
        assert fresh[key] == pytest.approx(getattr(card.test, key), rel=2e-3, abs=0.05), key
    assert fresh["psnr_db"] == pytest.approx(card.test.psnr_db, abs=0.02)
    assert fresh["active_units"] == card.active_units
    if model.config.dataset == "mnist":
        assert card.test.iw_samples >= 500 and card.test.iw_images >= 1000
        # the IW bound is tighter than the ELBO of the same images
        assert card.test.iw_bound_nats < card.test.iw_images_neg_elbo_nats


@pytest.mark.parametrize("name", SHIPPED)
def test_atlas_matches_model(name, real_root, celeba_root, test_images):
    model = load_model(MODELS_DIR / name)
    atlas = load_atlas(MODELS_DIR / name)
    x = test_images(model.config.dataset)
    n = len(x)
    assert len(atlas.test_index) == n and atlas.mean.shape == (n, model.config.latent_dim)
    rows = np.array([0, 1, n // 2, n - 1])
    with torch.inference_mode():
        posterior = model.encode(x[atlas.test_index[rows]])
    np.testing.assert_allclose(atlas.mean[rows], posterior.mean.numpy(), atol=2e-2, rtol=2e-3)
    np.testing.assert_allclose(atlas.logvar[rows], posterior.logvar.numpy(), atol=2e-2, rtol=2e-3)
    assert atlas.recon_nats.mean() + atlas.kl_nats.mean() == pytest.approx(load_card(MODELS_DIR / name).test.neg_elbo_nats, rel=2e-3)
    # PCA: coordinates are the transform of μ, and a click inverts exactly onto the plane
    np.testing.assert_allclose(atlas.pca.transform(atlas.mean[rows]), atlas.pca_coords[rows], atol=1e-3)
    loc = code_at(atlas, "pca", (0.3, -0.7))
    np.testing.assert_allclose(atlas.pca.transform(loc.code[None])[0], [0.3, -0.7], atol=1e-5)
    assert np.isfinite(atlas.tsne_coords).all() and atlas.tsne_coords.std(0).min() > 1.0


def test_zoo_table_lists_every_model():
    text = table(scan(MODELS_DIR), markdown=True)
    for name in SHIPPED:
        assert f"| {name} |" in text
