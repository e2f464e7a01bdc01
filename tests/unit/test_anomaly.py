"""vae.analysis.anomaly: rankings, percentiles, reconstruction errors and error maps (tiny models and the real mnist-z16)."""

import csv
import io

import numpy as np
import pytest
import torch

from tests.conftest import MODELS_DIR
from vae import load_model
from vae.analysis.anomaly import (
    error_map,
    image_scores,
    ink_correlation,
    logvar_clamp,
    percentile,
    rank,
    ranking_csv,
    read_score,
    read_upload,
    reconstruction_errors,
)
from vae.analysis.placement import encode_image
from vae.artifacts.atlas import load_atlas
from vae.core.evaluate import per_sample_terms
from vae.core.model import LOGVAR_MAX, LOGVAR_MIN, DiagonalGaussian
from vae.data.datasets import load_mnist, to_tensor

REAL = "mnist-z16"
needs_real = pytest.mark.skipif(not (MODELS_DIR / REAL / "atlas.safetensors").exists(), reason=f"{REAL} not built yet")
Z2 = "mnist-z2"
needs_z2 = pytest.mark.skipif(not (MODELS_DIR / Z2 / "atlas.safetensors").exists(), reason=f"{Z2} not built yet")


def test_rank_is_sorted_both_ways_stable_and_puts_nan_last():
    scores = np.random.default_rng(0).normal(size=200)
    order = rank(scores)
    assert sorted(order.tolist()) == list(range(200))
    assert np.all(np.diff(scores[order]) <= 0)
    assert np.all(np.diff(scores[rank(scores, descending=False)]) >= 0)
    assert rank(np.array([1.0, 3.0, 3.0, 2.0])).tolist() == [1, 2, 3, 0]  # ties keep index order
    assert rank(np.array([1.0, 3.0, 3.0, 2.0]), descending=False).tolist() == [0, 3, 1, 2]
    assert rank(np.array([1.0, np.nan, 5.0])).tolist() == [2, 0, 1]
    assert rank(np.array([1.0, np.nan, 5.0]), descending=False).tolist() == [0, 2, 1]


def test_percentile_bounds_and_monotone():
    reference = np.random.default_rng(1).exponential(size=1000)
    assert percentile(reference.min(), reference) == 0.0
    assert percentile(reference.max(), reference) == pytest.approx(99.9)
    assert percentile(reference.max() + 1, reference) == 100.0
    assert percentile(reference.min() - 1, reference) == 0.0
    values = np.sort(reference)
    pcts = [percentile(v, reference) for v in values]
    assert np.all(np.diff(pcts) >= 0) and pcts[500] == pytest.approx(50.0)
    assert percentile(2.0, [1, 2, 3, 4]) == 25.0
    with pytest.raises(ValueError):
        percentile(1.0, [])


def test_error_map_shape_sign_zero_and_channels():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    err = error_map(a, b)
    assert err.shape == (64, 64) and err.dtype == np.float64
    assert err.min() >= 0 and err.max() <= 1
    np.testing.assert_allclose(err, np.abs(a.astype(float) - b.astype(float)).mean(2) / 255)
    assert not error_map(a, a).any()
    # uint8 reads 0–255, floats read [0, 1]; (H, W, 1) equals (H, W)
    np.testing.assert_allclose(error_map(a, b / 255.0), err)
    digit = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    assert error_map(digit, digit[..., None]).shape == (28, 28) and not error_map(digit, digit[..., None]).any()
    assert error_map(np.zeros((28, 28), np.uint8), np.full((28, 28, 1), 255, np.uint8)).min() == 1.0
    with pytest.raises(ValueError):
        error_map(a, digit)


def test_reconstruction_errors_match_the_evaluation_and_ignore_batching(tiny_mnist, tiny_celeba):
    rng = np.random.default_rng(3)
    for model, shape in ((tiny_mnist, (7, 28, 28)), (tiny_celeba, (5, 64, 64, 3))):
        images = rng.integers(0, 256, shape, dtype=np.uint8)
        mse, nats = reconstruction_errors(model, images, batch=500)
        assert mse.shape == nats.shape == (len(images),)
        np.testing.assert_allclose(mse, per_sample_terms(model, to_tensor(images))["mse"], rtol=1e-6)
        with torch.inference_mode():
            x = to_tensor(images)
            expected = model.recon_nats(x, model.decode_logits(model.encode(x).mean)).double().numpy()
        np.testing.assert_allclose(nats, expected, rtol=1e-6)
        mse_small, nats_small = reconstruction_errors(model, images, batch=2)
        np.testing.assert_allclose(mse_small, mse, rtol=1e-5)
        np.testing.assert_allclose(nats_small, nats, rtol=1e-5)
    empty = reconstruction_errors(tiny_mnist, np.zeros((0, 28, 28), np.uint8))
    assert empty[0].shape == empty[1].shape == (0,)


def test_image_scores_are_the_fixed_seed_estimate(tiny_mnist):
    images = np.random.default_rng(4).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    scores = image_scores(tiny_mnist, images)
    terms = per_sample_terms(tiny_mnist, to_tensor(images))
    np.testing.assert_array_equal(scores["neg_elbo_nats"], terms["recon_nats"] + terms["kl_nats"])
    np.testing.assert_array_equal(image_scores(tiny_mnist, images)["neg_elbo_nats"], scores["neg_elbo_nats"])  # deterministic
    # a single image gets the noise of row 0: the same score as the first image of a batch
    assert image_scores(tiny_mnist, images[:1])["neg_elbo_nats"][0] == pytest.approx(scores["neg_elbo_nats"][0], rel=1e-6)


def test_ranking_csv_lists_rows_in_ranking_order():
    order = np.array([2, 0, 1])
    text = ranking_csv(order, {"test_index": np.array([10, 11, 12]), "label": np.array([7, 1, 3]), "score": np.array([0.5, 0.25, 1.0])})
    rows = list(csv.reader(io.StringIO(text.decode())))
    assert rows == [["rank", "test_index", "label", "score"], ["1", "12", "3", "1"], ["2", "10", "7", "0.5"], ["3", "11", "1", "0.25"]]


@needs_real
def test_real_ranking_is_sorted_and_matches_a_fresh_evaluation(real_root):
    from vae import load_model
    from vae.artifacts.atlas import load_atlas

    model, atlas = load_model(MODELS_DIR / REAL), load_atlas(MODELS_DIR / REAL)
    order = rank(atlas.neg_elbo_nats)
    assert np.all(np.diff(atlas.neg_elbo_nats[order]) <= 0)
    top5 = order[:5]
    images, _ = load_mnist("test", real_root)
    # KL and μ are deterministic: the five images alone reproduce them
    alone = per_sample_terms(model, to_tensor(images[atlas.test_index[top5]]))
    np.testing.assert_allclose(alone["kl_nats"], atlas.kl_nats[top5], rtol=2e-3)
    np.testing.assert_allclose(alone["mean"], atlas.mean[top5], atol=2e-2, rtol=2e-3)  # atlas μ is float16
    # the one-sample recon needs the same noise row as in the atlas: evaluate the whole test set again
    fresh = per_sample_terms(model, to_tensor(images[atlas.test_index]))
    np.testing.assert_allclose((fresh["recon_nats"] + fresh["kl_nats"])[top5], atlas.neg_elbo_nats[top5], rtol=2e-3)
    assert np.array_equal(rank(fresh["recon_nats"] + fresh["kl_nats"])[:5], top5)
    # the MSE ranking: posterior-mean reconstructions of the most unusual images are the worst
    mse, _ = reconstruction_errors(model, images[atlas.test_index[top5]])
    np.testing.assert_allclose(mse, fresh["mse"][top5], rtol=1e-5)
    assert mse.mean() > 3 * fresh["mse"].mean()


def test_read_score_is_bounded_beyond_the_largest_test_value():
    reference = np.array([10.0, 20.0, 30.0, 40.0])
    inside = read_score(25.0, reference)
    assert not inside.beyond_test_set and inside.bounded_nats == 25.0 and inside.percentile == 50.0
    at_max = read_score(40.0, reference)  # equal to the largest: not beyond it
    assert not at_max.beyond_test_set and at_max.bounded_nats == 40.0 and at_max.percentile == 75.0
    absurd = read_score(273_390_358.0, reference)
    assert absurd.beyond_test_set and absurd.percentile == 100.0
    assert absurd.bounded_nats == absurd.largest_test_nats == 40.0 and absurd.nats == 273_390_358.0


def test_logvar_clamp_counts_dimensions_at_either_bound():
    raw = torch.tensor([[611.0, 46.0, 19.5, 0.0, -99.0]])  # what the encoder may emit
    clamped = DiagonalGaussian(torch.zeros_like(raw), raw).logvar  # the named bounds are the ones applied
    assert clamped.tolist() == [[LOGVAR_MAX, LOGVAR_MAX, 19.5, 0.0, LOGVAR_MIN]] and (LOGVAR_MIN, LOGVAR_MAX) == (-30.0, 20.0)
    clamp = logvar_clamp(clamped[0].numpy())
    assert (clamp.at_max, clamp.at_min, clamp.latent_dim, clamp.hit) == (2, 1, 5, True)
    assert not logvar_clamp(np.array([-5.0, 3.0, 19.99])).hit


@needs_z2
@pytest.mark.parametrize("kind", ["noise", "black", "white"])
def test_saturated_uploads_on_mnist_z2_read_as_beyond_every_test_image(real_root, kind):
    """On mnist-z2 such inputs push log σ² to the clamp; KL ≈ e^20 nats, beyond every test image."""
    model, atlas = load_model(MODELS_DIR / Z2), load_atlas(MODELS_DIR / Z2)
    image = {
        "noise": np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8),
        "black": np.zeros((28, 28), np.uint8),
        "white": np.full((28, 28), 255, np.uint8),
    }[kind]
    user = encode_image(model, image)
    reading = read_upload(atlas, user.neg_elbo_nats, user.recon_nats, user.kl_nats, user.logvar)
    assert reading.clamp.at_max == reading.clamp.latent_dim == 2 and reading.clamp.at_min == 0
    assert user.kl_nats > 1e8  # ½·(e^20 − 1 − 20 + μ²) per dimension: saturation, not a measurement
    assert reading.kl.beyond_test_set and reading.kl.percentile == 100.0
    assert reading.kl.bounded_nats == pytest.approx(float(atlas.kl_nats.max())) and reading.kl.bounded_nats < 1000
    assert reading.neg_elbo.beyond_test_set and reading.neg_elbo.bounded_nats == pytest.approx(float(atlas.neg_elbo_nats.max()))
    # a real test digit: nothing beyond the test set, no clamp, the scores shown as they are
    images, _ = load_mnist("test", real_root)
    digit = encode_image(model, images[atlas.test_index[0]])
    normal = read_upload(atlas, digit.neg_elbo_nats, digit.recon_nats, digit.kl_nats, digit.logvar)
    assert not normal.clamp.hit and not normal.kl.beyond_test_set and not normal.neg_elbo.beyond_test_set
    assert normal.kl.bounded_nats == digit.kl_nats and normal.neg_elbo.percentile < 100.0


@needs_real
def test_ink_correlation_measures_the_bias_towards_little_ink(real_root):
    """−ELBO follows the amount of ink; the most typical test digits are thin "1"s."""
    atlas = load_atlas(MODELS_DIR / REAL)
    images, labels = load_mnist("test", real_root)
    ours = images[atlas.test_index]
    r = ink_correlation(ours, atlas.neg_elbo_nats)
    ink = ours.reshape(len(ours), -1).astype(np.float64).sum(1)
    assert r == pytest.approx(np.corrcoef(ink, atlas.neg_elbo_nats)[0, 1], rel=1e-9)
    assert r > 0.4  # 0.59 for mnist-z16
    typical = rank(atlas.neg_elbo_nats, descending=False)[:20]
    assert np.mean(labels[atlas.test_index[typical]] == 1) >= 0.75
    assert ink_correlation(np.stack([ours[0], ours[0] * 0 + 255]), np.array([1.0, 2.0])) == pytest.approx(1.0)
