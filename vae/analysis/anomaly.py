"""Anomaly scores for test images and uploads: rankings, percentiles, reconstruction errors, error maps.

An image the model finds hard to explain is unusual: it has a high −ELBO (nats per image, the
atlas's one-sample estimate: recon_nats + kl_nats) or a high reconstruction error (per-pixel MSE of
the posterior-mean decode, pixels in [0, 1]).

What −ELBO measures is how many nats the model needs to encode the image, not how much it looks
like a digit or a face: under MNIST's Bernoulli likelihood every grey pixel costs nats and black
ones almost none, so images with little ink (a thin "1") look typical; `ink_correlation` measures
this bias on the test set. An upload far outside the training data can saturate the encoder (its
log σ² hits the clamp LOGVAR_MAX) and get an astronomically large KL: `read_upload` reports it as
beyond every test image, with the largest test value as the figure to show.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from vae.artifacts.atlas import Atlas
from vae.core.evaluate import per_sample_terms
from vae.core.model import LOGVAR_MAX, LOGVAR_MIN, VAE
from vae.data.datasets import to_tensor


def rank(scores: np.ndarray, descending: bool = True) -> np.ndarray:
    """Indices that sort `scores`, highest first by default (ties keep index order; NaN last)."""
    scores = np.asarray(scores, dtype=np.float64)
    key = -scores if descending else scores
    return np.argsort(key, kind="stable")  # argsort puts NaN (and −NaN) at the end


def percentile(value: float, reference: np.ndarray) -> float:
    """Percentage (0–100) of `reference` strictly below `value`: 0 for the minimum, (N−1)/N·100 for the maximum."""
    reference = np.asarray(reference, dtype=np.float64).ravel()
    if reference.size == 0:
        raise ValueError("the reference set is empty")
    return float(100.0 * np.count_nonzero(reference < value) / reference.size)


@dataclass(frozen=True)
class ScoreReading:
    """One score of a user's image (nats per image) read against the same score over the test set."""

    nats: float  # the score itself: astronomically large when the encoder saturates
    percentile: float  # 0–100, share of the test set strictly below (exact even when nats is absurd)
    largest_test_nats: float  # the highest score in the test set

    @property
    def beyond_test_set(self) -> bool:
        """Higher than every test image's score: then only that fact and the largest test value mean something."""
        return self.nats > self.largest_test_nats

    @property
    def bounded_nats(self) -> float:
        """The figure to show: the score itself, or the largest test value when it is beyond every test image."""
        return min(self.nats, self.largest_test_nats)


@dataclass(frozen=True)
class LogvarClamp:
    """How many latent dimensions of a posterior sit at DiagonalGaussian's log σ² clamp."""

    at_max: int  # dimensions at LOGVAR_MAX: σ² = e^20 and KL ≈ ½·e^20 nats each, the encoder saturated
    at_min: int  # dimensions at LOGVAR_MIN
    latent_dim: int

    @property
    def hit(self) -> bool:
        return self.at_max > 0 or self.at_min > 0


@dataclass(frozen=True)
class UploadReading:
    """A user image's −ELBO, reconstruction and KL read against the test set, and the encoder's clamp."""

    neg_elbo: ScoreReading
    recon: ScoreReading
    kl: ScoreReading
    clamp: LogvarClamp


def read_score(nats: float, reference: np.ndarray) -> ScoreReading:
    """`nats` against the test set's `reference` scores (same kind, nats per image)."""
    reference = np.asarray(reference, dtype=np.float64)
    return ScoreReading(float(nats), percentile(nats, reference), float(reference.max()))


def logvar_clamp(logvar: np.ndarray) -> LogvarClamp:
    """Count the dimensions of a (D,) posterior log σ² (as clamped by DiagonalGaussian) at either bound."""
    logvar = np.asarray(logvar, dtype=np.float64).ravel()
    return LogvarClamp(int(np.count_nonzero(logvar >= LOGVAR_MAX)), int(np.count_nonzero(logvar <= LOGVAR_MIN)), logvar.size)


def read_upload(atlas: Atlas, neg_elbo_nats: float, recon_nats: float, kl_nats: float, logvar: np.ndarray) -> UploadReading:
    """A user image's scores (the atlas's one-sample estimate, nats per image) and posterior log σ² (D,),
    read against the atlas's test set: percentiles, whether beyond every test image, clamped dimensions."""
    return UploadReading(
        neg_elbo=read_score(neg_elbo_nats, atlas.neg_elbo_nats),
        recon=read_score(recon_nats, atlas.recon_nats),
        kl=read_score(kl_nats, atlas.kl_nats),
        clamp=logvar_clamp(logvar),
    )


def ink_correlation(images_uint8: np.ndarray, neg_elbo_nats: np.ndarray) -> float:
    """Pearson correlation between each image's amount of ink (sum of its pixels in [0, 1]) and its −ELBO.

    images_uint8: (N, H, W) or (N, H, W, C), in the order of `neg_elbo_nats` (N,)."""
    images_uint8 = np.asarray(images_uint8)
    ink = images_uint8.reshape(len(images_uint8), -1).sum(1, dtype=np.int64) / 255.0  # (N,), no float copy of the pixels
    return float(np.corrcoef(ink, np.asarray(neg_elbo_nats, dtype=np.float64))[0, 1])


@torch.inference_mode()
def reconstruction_errors(model: VAE, images_uint8: np.ndarray, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Per-image errors of the posterior-mean reconstruction x̂ = decode(μ(x)), in batches.

    images_uint8: (N, H, W) or (N, H, W, C). Returns (mse, recon_nats), both float64 (N,):
    mse is the mean over pixels and channels of (x − x̂)² with pixels in [0, 1]; recon_nats is
    −log p(x | z = μ) in nats per image (deterministic, unlike the atlas's one-sample recon_nats).
    """
    device = next(model.parameters()).device
    mse, nats = [], []
    for start in range(0, len(images_uint8), batch):
        x = to_tensor(images_uint8[start : start + batch]).to(device)  # (B, C, H, W)
        logits = model.decode_logits(model.encode(x).mean)
        mse.append((torch.sigmoid(logits) - x).pow(2).flatten(1).mean(1).cpu())
        nats.append(model.recon_nats(x, logits).cpu())
    if not mse:
        return np.zeros(0), np.zeros(0)
    return torch.cat(mse).double().numpy(), torch.cat(nats).double().numpy()


def image_scores(model: VAE, images_uint8: np.ndarray) -> dict[str, np.ndarray]:
    """−ELBO, recon and KL (nats per image, float64 (N,)) with the atlas's fixed-seed one-sample estimate.

    The posterior sample of image i uses row i of the seeded noise, so a single image scored alone
    gets the same noise as test image 0 of the atlas: equal images at other positions agree in KL
    exactly and in recon_nats only up to Monte Carlo noise.
    """
    terms = per_sample_terms(model, to_tensor(np.array(images_uint8)))  # a writable copy for torch.from_numpy
    return {
        "neg_elbo_nats": terms["recon_nats"] + terms["kl_nats"],
        "recon_nats": terms["recon_nats"],
        "kl_nats": terms["kl_nats"],
    }


def _unit(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    image = image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image  # (H, W, 1) → (H, W)
    return image.astype(np.float64) / 255.0 if image.dtype == np.uint8 else image.astype(np.float64)


def error_map(x: np.ndarray, x_hat: np.ndarray) -> np.ndarray:
    """|x − x̂| averaged over channels, float64 (H, W) in [0, 1].

    x, x_hat: (H, W), (H, W, 1) or (H, W, C); uint8 arrays are read as 0–255, float arrays as already in [0, 1].
    """
    a, b = _unit(x), _unit(x_hat)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    diff = np.abs(a - b)
    return diff.mean(2) if diff.ndim == 3 else diff


def ranking_csv(order: np.ndarray, columns: Mapping[str, Sequence | np.ndarray]) -> bytes:
    """CSV of a ranking: a 1-based `rank` column, then each column's values taken in `order`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["rank", *columns])
    values = [np.asarray(v) for v in columns.values()]
    for position, row in enumerate(np.asarray(order), start=1):
        writer.writerow([position, *(_cell(v[row]) for v in values)])
    return out.getvalue().encode()


def _cell(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return str(value.item() if isinstance(value, np.generic) else value)
