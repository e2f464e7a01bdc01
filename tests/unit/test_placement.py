"""vae.analysis.placement: a new code on the raw, PCA and t-SNE maps of an atlas, its ELBO terms and percentile.

Synthetic atlases keep the invariants fast; the shipped mnist-z16 atlas checks them on real codes."""

import json

import numpy as np
import pytest

from tests.conftest import MODELS_DIR
from vae import load_model
from vae.analysis.anomaly import image_scores
from vae.analysis.placement import code_json, encode_image, neg_elbo_percentile, place, projections, refine_tsne
from vae.artifacts.atlas import UMAP_PARAMS, Atlas, load_atlas
from vae.artifacts.projection import LatentPCA
from vae.core.latent import decode

MNIST = "mnist-z16"
needs_mnist = pytest.mark.skipif(not (MODELS_DIR / MNIST / "atlas.safetensors").exists(), reason=f"model not built yet: {MNIST}")


def synthetic_atlas(n: int = 400, dim: int = 6, seed: int = 0) -> Atlas:
    rng = np.random.default_rng(seed)
    mean = (rng.normal(size=(n, dim)) * np.linspace(2, 0.2, dim)).astype(np.float32)
    pca = LatentPCA(2).fit(mean)
    return Atlas(
        test_index=np.arange(n),
        mean=mean,
        logvar=np.full((n, dim), -2.0, np.float32),
        recon_nats=rng.gamma(9.0, 10.0, n).astype(np.float32),
        kl_nats=rng.gamma(4.0, 5.0, n).astype(np.float32),
        pca_coords=pca.transform(mean).astype(np.float32),
        tsne_coords=rng.uniform(-40, 40, (n, 2)).astype(np.float32),  # any fixed map: placement only reads it
        pca=pca,
        weights_sha256="",
        umap_coords=rng.uniform(-10, 10, (n, 2)).astype(np.float32),
        umap_params=UMAP_PARAMS,
    )


@pytest.mark.parametrize(("projection", "atol"), [("pca", 1e-5), ("tsne", 1e-3), ("umap", 1e-3)])
def test_placing_an_atlas_code_lands_on_its_own_stored_point(projection, atol):
    atlas = synthetic_atlas()
    stored = atlas.coords(projection)
    for i in range(0, 400, 37):
        np.testing.assert_allclose(place(atlas, atlas.mean[i], projection), stored[i], atol=atol)


def test_pca_placement_is_the_projection_and_its_inverse_gives_the_plane_point():
    atlas = synthetic_atlas()
    code = np.array([1.0, -2.0, 0.5, 0.3, -0.1, 2.0], np.float32)
    xy = place(atlas, code, "pca")
    np.testing.assert_allclose(xy, (code - atlas.pca.mean_) @ atlas.pca.components_.T, rtol=1e-12)
    on_plane = atlas.pca.inverse_transform(xy[None])[0]
    np.testing.assert_allclose(place(atlas, on_plane, "pca"), xy, atol=1e-9)  # transform ∘ inverse = id


def test_raw_placement_is_the_code_itself_and_needs_two_dimensions():
    atlas2 = synthetic_atlas(dim=2)
    code = np.array([0.25, -1.5], np.float32)
    np.testing.assert_array_equal(place(atlas2, code, "raw"), code)
    assert projections(2) == ["raw", "pca", "tsne", "umap"] and projections(16) == ["pca", "tsne", "umap"]
    with pytest.raises(ValueError, match="latent_dim = 2"):
        place(synthetic_atlas(dim=6), np.zeros(6), "raw")
    with pytest.raises(ValueError, match="dimensions"):
        place(atlas2, np.zeros(3), "pca")
    with pytest.raises(ValueError, match="unknown projection"):
        place(atlas2, code, "isomap")


def test_tsne_placement_of_a_new_code_is_inside_its_neighbours_hull():
    atlas = synthetic_atlas()
    tsne = atlas.tsne()
    code = 0.5 * (atlas.mean[3] + atlas.mean[4]) + 0.01
    _, idx = tsne.nearest(code, 10)
    xy = place(atlas, code, "tsne", tsne, k=10)
    around = atlas.tsne_coords[idx[0]]
    assert np.all(xy >= around.min(0) - 1e-9) and np.all(xy <= around.max(0) + 1e-9)  # a weighted mean of theirs
    # equidistant between two codes only (k = 2): halfway between their map positions
    a, b = atlas.mean[10], atlas.mean[11]
    sub = Atlas(**{**vars(atlas), "mean": np.stack([a, b]), "tsne_coords": atlas.tsne_coords[[10, 11]]})
    np.testing.assert_allclose(place(sub, 0.5 * (a + b), "tsne", k=2), atlas.tsne_coords[[10, 11]].mean(0), atol=1e-4)


def test_percentile_is_monotone_and_between_0_and_100():
    atlas = synthetic_atlas()
    scores = atlas.neg_elbo_nats
    values = np.linspace(scores.min() - 10, scores.max() + 10, 200)
    pct = np.array([neg_elbo_percentile(v, atlas) for v in values])
    assert np.all(np.diff(pct) >= 0)
    assert pct[0] == 0.0 and pct[-1] == 100.0 and np.all((pct >= 0) & (pct <= 100))
    median = float(np.median(scores))
    assert neg_elbo_percentile(median, atlas) == pytest.approx(50.0, abs=0.5)


def test_encode_image_gives_the_atlas_style_terms_and_the_decode_of_mu(tiny_mnist):
    image = np.zeros((28, 28), np.uint8)
    image[6:22, 12:16] = 255
    user = encode_image(tiny_mnist, image)
    assert user.mean.shape == user.logvar.shape == (3,) and user.mean.dtype == np.float32
    np.testing.assert_allclose(user.std, np.exp(0.5 * user.logvar))
    np.testing.assert_array_equal(user.reconstruction, decode(tiny_mnist, user.mean)[0])
    assert user.reconstruction.shape == (28, 28, 1) and user.reconstruction.dtype == np.uint8
    scores = image_scores(tiny_mnist, image[None])  # the anomalies page's estimate: the same numbers
    assert user.neg_elbo_nats == pytest.approx(scores["neg_elbo_nats"][0], rel=1e-12)
    assert user.kl_nats == pytest.approx(scores["kl_nats"][0], rel=1e-12)
    assert encode_image(tiny_mnist, image).neg_elbo_nats == user.neg_elbo_nats  # fixed seed: reproducible


def test_encode_image_on_faces(tiny_celeba):
    face = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    user = encode_image(tiny_celeba, face)
    assert user.mean.shape == (5,) and user.reconstruction.shape == (64, 64, 3)
    assert np.isfinite(user.neg_elbo_nats) and user.kl_nats >= 0


def test_code_json_round_trip(tiny_mnist):
    user = encode_image(tiny_mnist, np.full((28, 28), 128, np.uint8))
    record = json.loads(code_json("tiny", user, 42.123))
    assert record["model"] == "tiny" and record["latent_dim"] == 3
    np.testing.assert_allclose(record["mu"], user.mean, atol=1e-6)
    np.testing.assert_allclose(record["sigma"], user.std, atol=1e-6)
    np.testing.assert_allclose(np.exp(0.5 * np.array(record["logvar"])), record["sigma"], rtol=1e-4)
    assert record["neg_elbo_nats"] == pytest.approx(record["recon_nats"] + record["kl_nats"], abs=1e-3)
    assert record["neg_elbo_percentile"] == 42.12
    assert "neg_elbo_percentile" not in json.loads(code_json("tiny", user))


@needs_mnist
def test_real_atlas_pca_and_tsne_placement_of_its_own_codes():
    atlas = load_atlas(MODELS_DIR / MNIST)
    rows = np.random.default_rng(1).choice(len(atlas.mean), 200, replace=False)
    pca = np.stack([place(atlas, atlas.mean[i], "pca") for i in rows])
    np.testing.assert_allclose(pca, atlas.pca_coords[rows], atol=1e-4)  # stored as float32
    tsne = atlas.tsne()
    placed = np.stack([place(atlas, atlas.mean[i], "tsne", tsne) for i in rows])
    span = np.ptp(atlas.tsne_coords, axis=0).max()
    dist = np.linalg.norm(placed - atlas.tsne_coords[rows], axis=1)
    assert np.median(dist) < 1e-3 * span and np.mean(dist < 0.01 * span) > 0.95  # duplicates (float16 codes) may share


@needs_mnist
def test_real_test_digit_encoded_alone_matches_its_atlas_row_and_refines_near_its_point(real_root):
    from vae.data.datasets import load_mnist

    model, atlas = load_model(MODELS_DIR / MNIST), load_atlas(MODELS_DIR / MNIST)
    images, _ = load_mnist("test", real_root)
    user = encode_image(model, images[5])
    np.testing.assert_allclose(user.mean, atlas.mean[5], atol=2e-2, rtol=2e-3)  # the atlas stores μ as float16
    assert user.kl_nats == pytest.approx(atlas.kl_nats[5], rel=1e-3)
    assert 0 < neg_elbo_percentile(user.neg_elbo_nats, atlas) < 100
    refined = refine_tsne(atlas.tsne(), user.mean)
    span = np.ptp(atlas.tsne_coords, axis=0).max()
    assert np.linalg.norm(refined - atlas.tsne_coords[5]) < 0.05 * span  # openTSNE keeps it in its own neighbourhood
