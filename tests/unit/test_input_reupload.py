"""Re-uploaded MNIST test digits come back as themselves.

A fixed random sample of real test digits is enlarged (56, 140, 280 and 500 px; pixel-art and smooth
resampling), saved as PNG in both polarities and sent through load_user_image, as a user re-uploading
a test image would. The prepared image must land on the digit's own code: the original's atlas code
(its posterior mean μ) is the nearest atlas code to the upload's μ. (Centring the centre of mass at
the image centre, (13.5, 13.5), instead of MNIST's (14, 14) manages this for only about a third of them.)
"""

import io

import numpy as np
import pytest
from PIL import Image

from tests.conftest import MODELS_DIR, needs
from vae import load_model
from vae.analysis.anomaly import image_scores, percentile
from vae.artifacts.atlas import load_atlas
from vae.core.latent import encode
from vae.data.datasets import load_split
from vae.data.inputs import DIGIT_CENTRE, canvas_to_digit, load_user_image, prepare_digit

MODEL = "mnist-z16"
SAMPLE_SIZE, SAMPLE_SEED = 48, 0
SIZES = (56, 140, 280, 500)
RESAMPLING = {"nearest": Image.NEAREST, "bicubic": Image.BICUBIC}


@pytest.fixture(scope="module")
def z16(real_root):
    model, atlas = load_model(MODELS_DIR / MODEL), load_atlas(MODELS_DIR / MODEL)
    images, labels = load_split("mnist", "test", real_root)
    rows = np.random.default_rng(SAMPLE_SEED).choice(len(atlas.test_index), SAMPLE_SIZE, replace=False)  # atlas rows
    return model, atlas, images, rows


def enlarged_png(digit: np.ndarray, size: int, resample: int, ink_on_paper: bool) -> bytes:
    big = Image.fromarray(digit).resize((size, size), resample)
    if ink_on_paper:  # black on white
        big = Image.fromarray(255 - np.asarray(big))
    buf = io.BytesIO()
    big.save(buf, format="PNG")
    return buf.getvalue()


def own_code_hits(model, atlas, uploads: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(N,) bool: the nearest atlas code to each upload's μ is the atlas code of its original."""
    mu, _ = encode(model, uploads)  # (N, D)
    dist = ((mu[:, None, :].astype(np.float64) - atlas.mean[None].astype(np.float64)) ** 2).sum(-1)  # (N, 10000)
    return dist.argmin(1) == rows


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    ys, xs = np.indices(image.shape)
    ink = image.astype(np.float64)
    return np.array([(ys * ink).sum(), (xs * ink).sum()]) / ink.sum()


def test_mnist_centre_of_mass_is_at_14_14_in_0_based_indices(real_root):
    images, _ = load_split("mnist", "test", real_root)
    coms = np.array([centre_of_mass(im) for im in images[::10]])
    assert np.allclose(coms.mean(0), DIGIT_CENTRE, atol=0.05)  # 13.99, 14.01: not 13.5
    assert np.all(np.abs(coms - DIGIT_CENTRE) <= 0.55)  # whole-pixel shifts: within half a pixel


@needs(MODEL)
@pytest.mark.parametrize("resampling", sorted(RESAMPLING))
def test_reuploaded_test_digits_land_on_their_own_code(z16, resampling):
    model, atlas, images, rows = z16
    uploads, own, originals = [], [], []
    for row in rows:
        digit = images[atlas.test_index[row]]
        for size in SIZES:
            white_on_black, black_on_white = (
                load_user_image(enlarged_png(digit, size, RESAMPLING[resampling], paper), "mnist") for paper in (False, True)
            )
            assert np.array_equal(white_on_black, black_on_white)  # the polarity is detected and undone exactly
            uploads += [white_on_black, black_on_white]
            own += [row, row]
            originals += [digit, digit]
    uploads, own, originals = np.stack(uploads), np.array(own), np.stack(originals)

    hits = own_code_hits(model, atlas, uploads, own)
    assert hits.mean() >= 0.9, f"{hits.mean():.1%} land on their own code"
    for i, size in enumerate(SIZES):  # no size is left behind
        assert hits.reshape(SAMPLE_SIZE, len(SIZES), 2)[:, i].mean() >= 0.85, size
    corr = [np.corrcoef(u.ravel(), o.ravel())[0, 1] for u, o in zip(uploads.astype(float), originals.astype(float))]
    assert np.mean(corr) >= 0.95
    coms = np.array([centre_of_mass(u) for u in uploads])
    assert np.all(np.abs(coms - DIGIT_CENTRE) <= 0.6)  # MNIST's whole-pixel centring (±0.5) at (14, 14)
    # and about as typical as the originals: median −ELBO percentile within 15 points of theirs
    pct = [percentile(v, atlas.neg_elbo_nats) for v in image_scores(model, uploads)["neg_elbo_nats"]]
    own_pct = [percentile(v, atlas.neg_elbo_nats) for v in atlas.neg_elbo_nats[rows]]
    assert abs(np.median(pct) - np.median(own_pct)) <= 15, (np.median(pct), np.median(own_pct))


@needs(MODEL)
@pytest.mark.parametrize("resampling", sorted(RESAMPLING))
def test_test_digits_drawn_on_the_canvas_land_on_their_own_code(z16, resampling):
    """The canvas path: white strokes on a transparent 280×280 canvas, through canvas_to_digit."""
    model, atlas, images, rows = z16
    drawn = []
    for row in rows:
        ink = np.asarray(Image.fromarray(images[atlas.test_index[row]]).resize((280, 280), RESAMPLING[resampling]))
        rgba = np.dstack([np.full((280, 280, 3), 255, np.uint8), ink])  # white, opaque where drawn
        drawn.append(canvas_to_digit(rgba))
    assert own_code_hits(model, atlas, np.stack(drawn), rows).mean() >= 0.9


@needs(MODEL)
def test_a_digit_at_mnist_size_comes_back_unchanged(z16):
    """No resampling needed, none done: most test digits are a fixed point of the preparation."""
    _, atlas, images, rows = z16
    digits = [images[atlas.test_index[r]] for r in rows]
    same = [np.array_equal(prepare_digit(Image.fromarray(d), invert=False), d) for d in digits]
    assert np.mean(same) >= 0.8
