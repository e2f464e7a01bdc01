"""Unit tests of vae.analysis.explore_ops: KL ordering, deep-link codes, cross-fades, labelled grids."""

import numpy as np
import pytest

from tests.card_samples import sample_card
from vae.analysis.explore_ops import (
    as_hwc,
    card_activity,
    crossfade,
    dims_by_kl,
    display_scale,
    format_code,
    kl_per_dim,
    labelled_grid,
    parse_code,
    snap_code,
    traversal_values,
)
from vae.core.latent import unit_activity


def test_kl_per_dim_prefers_the_card_and_otherwise_matches_the_closed_form():
    rng = np.random.default_rng(0)
    mean, logvar = rng.normal(size=(500, 3)), rng.normal(scale=0.3, size=(500, 3))
    assert kl_per_dim(sample_card(kl_per_dim_nats=[1.0, 2.0, 3.0]), mean, logvar).tolist() == [1.0, 2.0, 3.0]
    computed = kl_per_dim(sample_card(kl_per_dim_nats=[1.0]), mean, logvar)  # wrong length: ignored
    np.testing.assert_array_equal(kl_per_dim(None, mean, logvar), computed)  # no card
    torch = pytest.importorskip("torch")
    q = torch.distributions.Normal(torch.tensor(mean), torch.tensor(np.exp(0.5 * logvar)))
    expected = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).mean(0).numpy()
    np.testing.assert_allclose(computed, expected, rtol=1e-6)
    # a dimension whose posterior equals the prior carries no information
    assert kl_per_dim(None, np.zeros((10, 1)), np.zeros((10, 1)))[0] == 0


def test_card_activity_prefers_the_card_and_otherwise_the_atlas():
    mean = np.random.default_rng(0).normal(size=(200, 3))
    assert card_activity(sample_card(unit_activity=[0.5, 0.0, 2.0]), mean).tolist() == [0.5, 0.0, 2.0]
    from_atlas = unit_activity(mean)
    for card in (None, sample_card(unit_activity=[1.0])):  # no card, or one of another latent size
        np.testing.assert_array_equal(card_activity(card, mean), from_atlas)


def test_dims_by_kl_descending_and_stable():
    assert dims_by_kl(np.array([0.5, 2.0, 0.5, 0.0, 3.0])).tolist() == [4, 1, 0, 2, 3]


def test_code_text_round_trip_and_refusals():
    code = np.array([0.0, -1.256, 2.5, -0.004, 3.0], np.float32)
    text = format_code(code)
    assert text == "0,-1.26,2.5,0,3"
    np.testing.assert_allclose(parse_code(text, 5), snap_code(code))
    for bad in ("0,1,2,3", "0,1,2,3,4,5", "0,1,x,3,4", "0,1,nan,3,4", "0,1,3.01,3,4", "0,1,inf,3,4", "", "1" * 100):
        with pytest.raises(ValueError):
            parse_code(bad, 5)


def test_snap_code_clips_and_rounds():
    assert snap_code(np.array([-4.0, 0.123, 3.5, -0.001])).tolist() == pytest.approx([-3.0, 0.12, 3.0, 0.0])
    assert not np.signbit(snap_code(np.array([-0.001]))[0])


def test_traversal_values_span_the_slider_range():
    values = traversal_values(7)
    assert values[0] == -3 and values[-1] == 3 and values[3] == 0 and len(values) == 7


def test_crossfade_endpoints_and_midpoint():
    a = np.zeros((4, 4, 1), np.uint8)
    b = np.full((4, 4, 1), 200, np.uint8)
    fade = crossfade(a, b, 5)
    assert fade.shape == (5, 4, 4, 1) and fade.dtype == np.uint8
    assert np.array_equal(fade[0], a) and np.array_equal(fade[-1], b) and np.all(fade[2] == 100)
    assert as_hwc(np.zeros((4, 4))).shape == (4, 4, 1) and as_hwc(np.zeros((4, 4, 3))).shape == (4, 4, 3)


def test_labelled_grid_places_enlarged_images_after_the_label_margin():
    images = np.stack([np.full((3, 3, 1), i + 1, np.uint8) for i in range(6)])
    out = labelled_grid(images, 3, ["row one", "row two"], ["-1", "0", "1"], scale=2, pad=4)
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    assert out.shape[0] == (14 + 8) + 2 * (6 + 4)  # header, then two rows of 6 px cells and padding
    # every cell appears once, as a 6×6 block of its grey level (darker than any text pixel)
    for i in range(6):
        ys, xs = np.nonzero(np.all(out == i + 1, axis=2))
        assert len(ys) == 36 and np.ptp(ys) == 5 and np.ptp(xs) == 5
    blank = labelled_grid(images[:2], 2, ["", ""], scale=1, pad=4)
    assert blank.shape[:2] == (3 + 4, 8 + 2 * (3 + 4))


def test_display_scale_fits_the_width():
    assert display_scale(28, 1) == 3 and display_scale(64, 1) == 1
    assert display_scale(28, 16, max_width=1400) == 3 and display_scale(28, 32, max_width=1400) == 1
    assert display_scale(64, 1, target=192) == 3
