"""vae.analysis.analogy: palettes (bilinear grids between corner codes) and analogies, on real codes."""

import numpy as np
import pytest

from tests.conftest import MODELS_DIR, needs
from vae.analysis.analogy import analogy, nearest_other, palette
from vae.artifacts.atlas import load_atlas


@needs("mnist-z16")
def test_a_palette_has_its_corners_at_its_corners_and_is_bilinear_between():
    codes = load_atlas(MODELS_DIR / "mnist-z16").mean[:4].astype(np.float32)
    grid = palette(codes, 5).reshape(5, 5, -1)
    for (row, col), corner in zip([(0, 0), (0, 4), (4, 0), (4, 4)], codes):
        np.testing.assert_allclose(grid[row, col], corner, atol=1e-6)
    np.testing.assert_allclose(grid[2, 2], codes.mean(0), atol=1e-5)  # the centre: the corners' mean
    np.testing.assert_allclose(grid[0, 2], (codes[0] + codes[1]) / 2, atol=1e-5)  # halfway along the top edge
    np.testing.assert_allclose(grid[1], 0.75 * grid[0] + 0.25 * grid[4], atol=1e-5)  # each column is a straight line


@needs("mnist-z16")
def test_three_corners_make_a_j_diagram_whose_fourth_corner_is_the_analogy():
    a, b, c = load_atlas(MODELS_DIR / "mnist-z16").mean[10:13].astype(np.float32)
    grid = palette(np.stack([a, b, c]), 3).reshape(3, 3, -1)
    np.testing.assert_allclose(grid[2, 2], analogy(a, b, c), atol=1e-5)
    np.testing.assert_allclose(analogy(a, b, c), c + b - a, atol=1e-6)
    np.testing.assert_allclose(analogy(a, b, a), b)  # A is to B as A is to B


def test_bad_palettes_and_analogies_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="3 or 4 corner"):
        palette(np.zeros((2, 8)), 5)
    with pytest.raises(ValueError, match="side is 3 to 9"):
        palette(np.zeros((4, 8)), 12)
    with pytest.raises(ValueError, match="one latent space"):
        analogy(np.zeros(8), np.zeros(8), np.zeros(4))


def test_the_nearest_other_code_skips_the_excluded_rows():
    codes = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [5.0, 5.0]])
    assert nearest_other(codes, np.array([0.1, 0.0]), exclude=()) == (0, pytest.approx(0.1))
    row, distance = nearest_other(codes, np.array([0.1, 0.0]), exclude=(0,))
    assert row == 1 and distance == pytest.approx(0.9)
