"""Two models' maps aligned and linked (vae.analysis.linked), on the shipped models."""

import numpy as np
import pytest

from tests.conftest import MODELS_DIR, needs
from vae.analysis.linked import BrushError, box, inside, kl_per_dimension, knn_overlap, neighbour_sets, polygon, procrustes, spread
from vae.artifacts.atlas import load_atlas


@needs("mnist-z16", "mnist-z8")
def test_procrustes_undoes_a_rotation_scale_and_shift_and_the_aligned_map_still_decodes_exactly():
    a = load_atlas(MODELS_DIR / "mnist-z16")
    ref = a.pca_coords.astype(np.float64)
    theta = 0.7
    turn = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]]) @ np.diag([1.0, -1.0])  # and a reflection
    moved = 2.5 * ref @ turn + np.array([3.0, -4.0])
    fit = procrustes(ref, moved)
    assert fit.error == pytest.approx(0.0, abs=1e-9) and fit.scale == pytest.approx(0.4)
    np.testing.assert_allclose(fit.apply(moved), ref, atol=1e-4)
    np.testing.assert_allclose(fit.invert(fit.apply(moved)), moved, atol=1e-4)
    # two real models: an aligned map keeps its exact decode, z = mean' + aligned · components'
    b = load_atlas(MODELS_DIR / "mnist-z8")
    fit = procrustes(a.pca_coords, b.pca_coords)
    assert 0.05 < fit.error < 1.0
    aligned = fit.apply(b.pca_coords)
    assert np.sqrt(((aligned - a.pca_coords) ** 2).sum(1).mean()) < np.sqrt(((b.pca_coords - a.pca_coords) ** 2).sum(1).mean())
    mean2, comp2 = fit.affine_decode(b.pca.mean_, b.pca.components_)
    spot = np.array([[1.2, -0.7]])
    np.testing.assert_allclose(mean2 + spot @ comp2, b.pca.inverse_transform(fit.invert(spot)), atol=1e-9)


@needs("mnist-z16")
def test_a_brushed_box_holds_the_points_inside_it_and_bad_regions_are_refused():
    coords = load_atlas(MODELS_DIR / "mnist-z16").pca_coords
    rows = inside(box(-1.0, -0.5, 1.5, 2.0), coords)
    expected = np.flatnonzero((coords[:, 0] > -1) & (coords[:, 0] < 1.5) & (coords[:, 1] > -0.5) & (coords[:, 1] < 2))
    np.testing.assert_array_equal(rows, expected)
    assert 0 < spread(coords, rows) < 1 and spread(coords, np.arange(len(coords))) == pytest.approx(1.0)
    for bad in ([[0, 0], [1, 1]], [[0, 0], [1, 1], [2, 2]], [[0, 0], [1, np.nan], [2, 0]], [[0, 0, 0]]):
        with pytest.raises(BrushError):
            polygon(bad)


@needs("mnist-z2", "mnist-z8", "mnist-z32")
def test_neighbourhoods_z8_keeps_more_of_z32s_than_z2_does_and_kl_adds_up_per_dimension():
    atlases = {n: load_atlas(MODELS_DIR / n) for n in ("mnist-z2", "mnist-z8", "mnist-z32")}
    sets = {n: neighbour_sets(a.mean[:3000]) for n, a in atlases.items()}
    assert sets["mnist-z8"].shape == (3000, 10) and not (sets["mnist-z8"] == np.arange(3000)[:, None]).any()
    assert knn_overlap(sets["mnist-z8"], sets["mnist-z8"]) == 1.0
    keep8, keep2 = knn_overlap(sets["mnist-z8"], sets["mnist-z32"]), knn_overlap(sets["mnist-z2"], sets["mnist-z32"])
    assert keep8 > keep2 > 10 / 3000  # both above chance, z = 8 closer to z = 32
    a = atlases["mnist-z32"]
    per_dim = kl_per_dimension(a.mean, a.logvar)
    assert per_dim.shape == (32,) and (per_dim >= 0).all()
    # KL of a diagonal Gaussian is the sum of its dimensions' (the atlas's per-image KL, from float16 μ, log σ²)
    assert per_dim.sum() == pytest.approx(float(a.kl_nats.mean()), rel=0.01)
