"""Latent-space operations, projections and image export, on small arrays and a real model."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.conftest import MODELS_DIR, needs
from vae.artifacts.atlas import UMAP_PARAMS, Atlas, code_at
from vae.artifacts.projection import LatentPCA, TSNEMap
from vae.core.latent import blend_nearest, decode, lerp, manifold_grid, nearest_codes, prior_samples, slerp, traversal_codes
from vae.data.images import gif_bytes, grid, png_bytes


def test_lerp_and_slerp_hit_both_endpoints():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=8), rng.normal(size=8)
    for path in (lerp(a, b, 7), slerp(a, b, 7)):
        assert path.shape == (7, 8)
        np.testing.assert_allclose(path[0], a, atol=1e-6)
        np.testing.assert_allclose(path[-1], b, atol=1e-6)
    # slerp between equal-norm codes keeps the norm; lerp shrinks it in the middle
    b = b / np.linalg.norm(b) * np.linalg.norm(a)
    s, l_ = slerp(a, b, 9), lerp(a, b, 9)
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), np.linalg.norm(a), rtol=1e-5)
    assert np.linalg.norm(l_[4]) < np.linalg.norm(a)
    # degenerate cases fall back to lerp
    np.testing.assert_allclose(slerp(np.zeros(3), np.ones(3), 3), lerp(np.zeros(3), np.ones(3), 3))


def test_prior_samples_seeded_and_scaled():
    a = prior_samples(16, 500, seed=3)
    assert np.array_equal(a, prior_samples(16, 500, seed=3))
    assert not np.array_equal(a, prior_samples(16, 500, seed=4))
    hot = prior_samples(16, 500, seed=3, temperature=0.5)
    np.testing.assert_allclose(hot, 0.5 * a, rtol=1e-6)
    assert abs(a.std() - 1) < 0.05


def test_traversal_and_manifold_grid():
    codes = traversal_codes(np.zeros(4), [2, 0], np.array([-1.0, 0.0, 1.0]))
    assert codes.shape == (6, 4)
    assert codes[:3, 2].tolist() == [-1, 0, 1] and codes[3:, 0].tolist() == [-1, 0, 1]
    assert codes[:3, [0, 1, 3]].sum() == 0
    g = manifold_grid((-2, 2), (-1, 1), 5)
    assert g.shape == (25, 2) and g[0].tolist() == [-2, 1] and g[-1].tolist() == [2, -1]


def test_nearest_and_blend():
    codes = np.array([[0, 0], [1, 0], [0, 2], [5, 5]], np.float32)
    idx, dist = nearest_codes(codes, np.array([0.9, 0.1]), 2)
    assert idx.tolist() == [1, 0] and dist[0] == pytest.approx(np.hypot(0.1, 0.1), rel=1e-5)
    code, used, _ = blend_nearest(codes, codes, np.array([1.0, 0.0]), 1)
    np.testing.assert_allclose(code, [1, 0])


def test_nearest_breaks_ties_by_lowest_index():
    """The tie rule the browser shares: equal distances come in index order, whatever their order in
    memory, and the k-th place goes to the lowest index of a tie."""
    codes = np.array([[3, 0], [1, 1], [0, 0], [1, 1], [1, 1], [-1, -1]], np.float32)
    idx, dist = nearest_codes(codes, np.array([1.0, 1.0]), 3)
    assert idx.tolist() == [1, 3, 4] and dist.tolist() == [0, 0, 0]
    idx, _ = nearest_codes(codes, np.array([1.0, 1.0]), 2)
    assert idx.tolist() == [1, 3]
    idx, _ = nearest_codes(codes, np.array([0.0, 0.0]), 4)  # 2 first, then the three (1, 1) at √2 and (−1, −1) at √2
    assert idx.tolist() == [2, 1, 3, 4]


@needs("mnist-z16")
def test_nearest_ties_on_the_shipped_tsne_map():
    """The shipped mnist-z16 t-SNE coordinates have points at identical positions (float16 storage):
    nearest_codes, blend_nearest, code_at and the t-SNE placement all pick the lowest index of the tie."""
    from vae.artifacts.atlas import load_atlas

    atlas = load_atlas(MODELS_DIR / "mnist-z16")
    coords = np.asarray(atlas.tsne_coords)
    _, inverse, counts = np.unique(coords, axis=0, return_inverse=True, return_counts=True)
    tied = [np.flatnonzero(inverse.ravel() == g) for g in np.flatnonzero(counts > 1)]
    assert tied
    for members in tied:
        spot = coords[members[0]].astype(np.float64)  # on the tie: every member at distance 0
        idx, dist = nearest_codes(coords, spot, len(members))
        assert sorted(idx.tolist()) == idx.tolist() == sorted(members.tolist())
        assert code_at(atlas, "tsne", tuple(spot), 1).neighbours[0] == members.min()
        _, used, _ = blend_nearest(atlas.mean, coords, spot, 1)
        assert used.tolist() == [members.min()]
    tsne = TSNEMap.from_arrays(np.array([[0, 0], [2, 0], [1, 0], [2, 0]]), np.zeros((4, 2)))
    dist, near = tsne.nearest(np.array([[2.0, 0.0], [1.5, 0.0]]), 3)
    assert near.tolist() == [[1, 3, 2], [1, 2, 3]] and dist[1].tolist() == [0.5, 0.5, 0.5]


def test_pca_inverse_is_exact_on_the_plane():
    rng = np.random.default_rng(1)
    codes = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    pca = LatentPCA(2).fit(codes)
    xy = rng.normal(size=(10, 2))
    np.testing.assert_allclose(pca.transform(pca.inverse_transform(xy)), xy, atol=1e-9)
    from sklearn.decomposition import PCA

    ref = PCA(2).fit(codes)
    np.testing.assert_allclose(np.abs(pca.components_), np.abs(ref.components_), atol=1e-8)
    np.testing.assert_allclose(pca.explained_variance_ratio_, ref.explained_variance_ratio_, atol=1e-8)


def test_tsne_map_places_new_points_near_their_neighbours():
    rng = np.random.default_rng(2)
    centres = np.array([[0.0] * 5, [10.0] * 5])
    codes = np.concatenate([c + rng.normal(size=(150, 5)) for c in centres])
    tsne = TSNEMap(perplexity=20, n_jobs=1)
    emb = tsne.fit_transform(codes)
    cluster_a, cluster_b = emb[:150].mean(0), emb[150:].mean(0)
    new = centres[1] + rng.normal(size=(3, 5)) * 0.1
    for placed in (tsne.place(new), tsne.transform(new)):
        for p in placed:
            assert np.linalg.norm(p - cluster_b) < np.linalg.norm(p - cluster_a)


def _atlas(codes, coords):
    pca = LatentPCA(2).fit(codes)
    n = len(codes)
    z = np.zeros(n, np.float32)
    return Atlas(np.arange(n), codes, codes * 0, z, z, pca.transform(codes).astype(np.float32), coords, pca, "", coords, UMAP_PARAMS)


def test_code_at_each_projection():
    rng = np.random.default_rng(3)
    codes2 = rng.normal(size=(50, 2)).astype(np.float32)
    atlas2 = _atlas(codes2, codes2 * 3)
    loc = code_at(atlas2, "raw", (0.25, -1.5))
    assert loc.method == "exact" and loc.code.tolist() == [0.25, -1.5]
    assert loc.latent_distance == pytest.approx(np.min(np.linalg.norm(codes2 - [0.25, -1.5], axis=1)), rel=1e-5)
    assert loc.map_distance == pytest.approx(loc.latent_distance, rel=1e-5)  # raw: the map is the latent space
    loc = code_at(atlas2, "tsne", tuple(codes2[7] * 3))
    assert loc.method == "tsne_nearest" and np.allclose(loc.code, codes2[7])
    assert loc.map_distance < 1e-6 and loc.latent_distance is None and not loc.far_from_data
    assert code_at(atlas2, "tsne", (0, 0), tsne_k=5).method == "tsne_blend"
    codes8 = rng.normal(size=(50, 8)).astype(np.float32)
    with pytest.raises(ValueError, match="latent_dim = 2"):
        code_at(_atlas(codes8, codes8[:, :2]), "raw", (0, 0))


def test_grid_png_and_gif():
    frames = np.stack([np.full((6, 5, 1), v, np.uint8) for v in (0, 100, 200)])
    g = grid(frames, 2, pad=1)
    assert g.shape == (13, 11, 1)
    img = Image.open(io.BytesIO(png_bytes(g, scale=2)))
    assert img.size == (22, 26)
    gif = Image.open(io.BytesIO(gif_bytes(frames, scale=2)))
    assert gif.format == "GIF" and gif.n_frames == 4  # forward then back (bounce)
    # grey frames come back exactly, every grey level (no palette quantization)
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16, 1)
    frames = np.stack([ramp, 255 - ramp, ramp[::-1]])
    gif = Image.open(io.BytesIO(gif_bytes(frames, scale=1)))
    for i, order in enumerate([0, 1, 2, 1]):  # bounce
        gif.seek(i)
        np.testing.assert_array_equal(np.asarray(gif.convert("L")), frames[order, ..., 0])
    colour = np.stack([np.dstack([ramp, 255 - ramp, ramp]), np.dstack([255 - ramp, ramp, ramp])])
    assert Image.open(io.BytesIO(gif_bytes(colour, scale=1))).n_frames == 2


@needs("mnist-z16-beta8", "mnist-z64")
def test_one_definition_of_inactive_and_what_an_inactive_unit_still_does():
    """Cards, sliders and the KL page share vae.core.latent.active_mask (Var_x μ_d > 0.01), so they
    count the same active units; an inactive unit may still move the picture."""
    from vae import load_card, load_model
    from vae.analysis.explore_ops import unit_usage
    from vae.artifacts.atlas import load_atlas
    from vae.core.latent import EFFECT_GREY_LEVELS, active_mask, dimension_effect, traversal_codes, unit_activity

    for name in ("mnist-z64", "mnist-z16-beta8"):
        card, model, atlas = load_card(MODELS_DIR / name), load_model(MODELS_DIR / name), load_atlas(MODELS_DIR / name)
        usage = unit_usage(model, card, atlas.mean)
        assert int(usage.active.sum()) == card.active_units == int(active_mask(unit_activity(atlas.mean)).sum())
        assert (usage.effect_pixels[usage.active] == -1).all() and (usage.effect_pixels[~usage.active] >= 0).all()
    # β = 8 has inactive units that still move the picture: count the pixels by hand for one of them
    d = int(np.flatnonzero(~usage.active)[np.argmax(usage.effect_pixels[~usage.active])])
    sweep = decode(model, traversal_codes(np.zeros(16, np.float32), [d], np.linspace(-3, 3, 9, dtype=np.float32))).astype(int)
    by_hand = int(((sweep.max(0) - sweep.min(0)) > EFFECT_GREY_LEVELS).sum())
    assert usage.effect_pixels[d] == by_hand == dimension_effect(model, np.zeros(16), [d])[0] and by_hand > 20
