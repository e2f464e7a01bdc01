"""Maps of chosen axes (vae.analysis.axes) on real models and real data."""

import numpy as np
import pytest

from tests.conftest import MODELS_DIR, needs
from vae.analysis.axes import AxisError, axis_options, direction, lda_directions, parse_projection, plane_map, projection_name
from vae.artifacts.atlas import code_at, load_atlas


def fisher_ratio(coords: np.ndarray, labels: np.ndarray) -> float:
    """Between-class over within-class scatter of 2-D points (trace ratio)."""
    mean = coords.mean(0)
    between = sum((labels == c).sum() * np.sum((coords[labels == c].mean(0) - mean) ** 2) for c in np.unique(labels))
    within = sum(np.sum((coords[labels == c] - coords[labels == c].mean(0)) ** 2) for c in np.unique(labels))
    return float(between / within)


@needs("mnist-z16")
def test_two_latent_dimensions_are_the_codes_own_coordinates_and_decode_exactly(real_root):
    atlas = load_atlas(MODELS_DIR / "mnist-z16")
    u, v = direction("z3", 16), direction("z7", 16)
    plane = plane_map(atlas.mean, ("z3", "z7"), u, v)
    np.testing.assert_allclose(plane.coords, atlas.mean[:, [3, 7]], atol=1e-5)  # (z3, z7) themselves
    atlas.add_plane(plane)
    assert plane.projection == projection_name("z3", "z7") and parse_projection(plane.projection) == ("z3", "z7")
    spot = code_at(atlas, plane.projection, (1.5, -0.5))
    expected = atlas.mean.mean(0).astype(np.float64)
    expected[[3, 7]] = [1.5, -0.5]  # the rest of latent space at the data's mean
    np.testing.assert_allclose(spot.code, expected, atol=1e-5)
    assert spot.method == "axes_plane" and spot.latent_distance is not None
    offset = 0.8 * direction("z0", 16)
    np.testing.assert_allclose(code_at(atlas, plane.projection, (1.5, -0.5), offset=offset).code - spot.code, offset, atol=1e-6)


@needs("mnist-z16")
def test_the_lda_axes_separate_the_digits_better_than_pca(real_root):
    from vae.data.datasets import load_split

    atlas = load_atlas(MODELS_DIR / "mnist-z16")
    _, labels = load_split("mnist", "test")
    labels = labels[atlas.test_index]
    lda = lda_directions(atlas.mean, labels)
    assert lda.shape == (9, 16)
    np.testing.assert_allclose(np.linalg.norm(lda, axis=1), 1.0, atol=1e-9)
    plane = plane_map(atlas.mean, ("lda1", "lda2"), *(direction(a, 16, lda=lda) for a in ("lda1", "lda2")))
    assert fisher_ratio(plane.coords, labels) > 1.5 * fisher_ratio(atlas.pca_coords, labels)
    np.testing.assert_array_equal(lda_directions(atlas.mean, labels), lda)  # signs fixed: a refit gives the same map


@needs("celeba-z64")
def test_attribute_axes_and_the_reasons_an_axis_is_refused():
    from vae.artifacts.attributes import load_directions

    directions = load_directions(MODELS_DIR / "celeba-z64")
    atlas = load_atlas(MODELS_DIR / "celeba-z64")
    u = direction("attr:Smiling", 64, attributes=directions)
    assert np.linalg.norm(u) == pytest.approx(1.0)
    plane = plane_map(atlas.mean, ("attr:Smiling", "attr:Male"), u, direction("attr:Male", 64, attributes=directions))
    # test codes that the latent classifier calls smiling sit further along the Smiling axis
    smiling = directions.score(atlas.mean, "Smiling") > 0.5
    assert plane.coords[smiling, 0].mean() > plane.coords[~smiling, 0].mean() + 0.5
    options = axis_options(64, 0, directions.names)
    assert options[0].startswith("attr:") and "z63" in options and "lda1" not in options
    for axis, kwargs, reason in [
        ("z64", {}, "z0 … z63"),
        ("lda1", {}, "test labels"),
        ("attr:Smiling", {}, "CelebA"),
        ("attr:Wings", {"attributes": directions}, "Wings"),
        ("rotate", {}, "not an axis"),
    ]:
        with pytest.raises(AxisError, match=reason):
            direction(axis, 64, **kwargs)
    with pytest.raises(AxisError, match="same way"):
        plane_map(atlas.mean, ("attr:Smiling", "attr:Smiling"), u, u)
