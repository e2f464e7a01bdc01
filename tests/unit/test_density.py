"""The learned latent density (vae.artifacts.density) and the sample-quality measure (vae.artifacts.quality), on real
models and real data."""

import shutil

import numpy as np
import pytest

from tests.conftest import MODELS_DIR, needs
from vae import CheckpointError, sample_codes
from vae.artifacts.density import DENSITY_FILE, LearnedDensity, fit_gmm, fit_stage2, load_density, training_codes
from vae.artifacts.quality import frechet_distance


def test_frechet_distance_is_zero_for_equal_sets_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4000, 8))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shifted = a + np.array([3.0] + [0.0] * 7)
    assert frechet_distance(a, shifted) == pytest.approx(9.0, rel=1e-6)  # |Δμ|², the same covariance
    wider = a * 2.0  # Σ → 4Σ: tr(Σ + 4Σ − 2·2Σ) = tr(Σ) ≈ 8
    assert frechet_distance(a, wider) == pytest.approx(8.0, rel=0.1)


def test_prior_codes_are_seeded_and_scaled_by_the_temperature():
    a = sample_codes(MODELS_DIR / "mnist-z16", 500, seed=3)
    assert a.shape == (500, 16) and a.dtype == np.float32
    np.testing.assert_array_equal(a, sample_codes(MODELS_DIR / "mnist-z16", 500, seed=3))
    assert not np.array_equal(a, sample_codes(MODELS_DIR / "mnist-z16", 500, seed=4))
    np.testing.assert_allclose(sample_codes(MODELS_DIR / "mnist-z16", 500, seed=3, temperature=0.5), 0.5 * a, rtol=1e-6)
    with pytest.raises(ValueError, match="density must be one of"):
        sample_codes(MODELS_DIR / "mnist-z16", 4, density="uniform")


@needs("mnist-z16")
def test_both_kinds_fit_real_codes_and_sample_where_the_data_is(real_root):
    """On mnist-z16's codes of 4,000 real training images: prior samples often land in holes (far
    from every real code, farther than 95 % of held-out real codes are); the mixture's and the
    second stage's samples much less often."""
    from vae import load_model
    from vae.data.datasets import load_split

    model = load_model(MODELS_DIR / "mnist-z16")
    images, _ = load_split("mnist", "train")
    mu, z = training_codes(model, images[:6000])
    assert mu.shape == z.shape == (6000, 16) and not np.array_equal(mu, z)
    fit, held = mu[:4000], mu[4000:]
    gmm = LearnedDensity("gmm", *fit_gmm(fit, log=lambda _: None))
    stage2 = LearnedDensity("stage2", *fit_stage2(z[:4000], seconds=8, log=lambda _: None))

    def to_data(codes):  # distance from each code to the nearest real (fitted) code
        return np.sqrt(((codes[:, None, :] - fit[None, :, :]) ** 2).sum(-1).min(1))

    radius = np.percentile(to_data(held), 95)
    far_prior = (to_data(sample_codes(MODELS_DIR / "mnist-z16", 2000, seed=1)) > radius).mean()
    assert far_prior > 0.15  # the prior's holes
    for density in (gmm, stage2):
        codes = density.sample(2000, seed=1)
        assert codes.shape == (2000, 16) and np.isfinite(codes).all()
        np.testing.assert_array_equal(codes, density.sample(2000, seed=1))  # reproducible
        assert (to_data(codes) > radius).mean() < 0.5 * far_prior, density.kind
        cold = density.sample(2000, seed=1, temperature=0.3)
        assert cold.std(0).mean() < codes.std(0).mean()  # a lower temperature, a tighter spread


@needs("mnist-z16")
def test_the_shipped_density_is_loaded_and_a_retrained_model_refuses_it(tmp_path):
    if not (MODELS_DIR / "mnist-z16" / DENSITY_FILE).exists():
        pytest.skip("no learned density fitted for mnist-z16 (vae-explorer density models/mnist-z16)")
    density = load_density(MODELS_DIR / "mnist-z16")
    assert density.kind in ("gmm", "stage2") and density.dim == 16
    codes = sample_codes(MODELS_DIR / "mnist-z16", 64, seed=2, density="learned")
    np.testing.assert_array_equal(codes, density.sample(64, seed=2))
    folder = tmp_path / "mnist-z16"
    shutil.copytree(MODELS_DIR / "mnist-z16", folder)
    weights = bytearray((folder / "model.safetensors").read_bytes())
    weights[-1] ^= 1  # "retrained": other weights (the last byte of the last tensor)
    (folder / "model.safetensors").write_bytes(bytes(weights))
    with pytest.raises(CheckpointError, match="other weights"):
        sample_codes(folder, 4, density="learned")
    (folder / DENSITY_FILE).unlink()
    with pytest.raises(CheckpointError, match="vae-explorer density"):
        sample_codes(folder, 4, density="learned")
    (folder / DENSITY_FILE).write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="not a valid"):
        load_density(folder)
