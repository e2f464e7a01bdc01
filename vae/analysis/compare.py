"""Comparing the models of the zoo: metric rows and the rate–distortion plane read from model
cards, the fixed test images every model reconstructs, and a few plotting helpers.

Rate = KL(q(z|x) ‖ p(z)), distortion = −log p(x|z), both test-set means in nats per image; their
sum is the −ELBO, so models of equal ELBO lie on the line rate + distortion = const
(Alemi et al., 2018, "Fixing a Broken ELBO").

An autoencoder (β = 0) has no place on that plane: nothing kept its KL small, σ shrinks toward the
encoder's clamp and the KL toward ∞, so the value measured only says where training stopped. It is
listed apart (AutoencoderPoint): its distortion, the reference the VAEs approach as rate grows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np

from vae.analysis.zoo import ModelWithCard, ZooEntry
from vae.core.card import EpochRecord, ModelCard
from vae.core.latent import decode, encode
from vae.core.model import VAE

COMPARE_IMAGES = 8  # test images every model reconstructs, and prior samples per model


@dataclass(frozen=True)
class RatePoint:
    """One model on the rate–distortion plane (test-set means, nats per image)."""

    name: str
    latent_dim: int
    beta: float
    rate_nats: float  # KL
    distortion_nats: float  # reconstruction
    architecture: str = "conv"


@dataclass(frozen=True)
class AutoencoderPoint:
    """An autoencoder (β = 0) beside the rate–distortion plane: its distortion (nats per image) and the
    KL measured at its clamped σ, which is no rate (see the module docstring)."""

    name: str
    latent_dim: int
    distortion_nats: float
    measured_kl_nats: float
    architecture: str = "conv"


def dataset_entries(entries: Iterable[ZooEntry], dataset: str) -> list[ZooEntry]:
    """The zoo entries to compare for one dataset: its models, plus broken folders whose config
    could not be read (their dataset is unknown, so they are listed wherever models are compared)."""
    return [e for e in entries if e.dataset == dataset or e.config is None]


def _with_card(entries: Iterable[ZooEntry], dataset: str) -> list[ModelWithCard]:
    return [m for e in entries if e.dataset == dataset and (m := e.with_card()) is not None]


def rate_distortion(entries: Iterable[ZooEntry], dataset: str) -> list[RatePoint]:
    """One point per available VAE of `dataset` that has a card (autoencoders: autoencoder_points)."""
    return [
        RatePoint(
            e.name, e.config.latent_dim, e.config.beta, float(e.card.test.kl_nats), float(e.card.test.recon_nats), e.config.architecture
        )
        for e in _with_card(entries, dataset)
        if not e.config.is_autoencoder
    ]


def autoencoder_points(entries: Iterable[ZooEntry], dataset: str) -> list[AutoencoderPoint]:
    """The available autoencoders (β = 0) of `dataset` that have a card, kept off the rate axis."""
    return [
        AutoencoderPoint(e.name, e.config.latent_dim, float(e.card.test.recon_nats), float(e.card.test.kl_nats), e.config.architecture)
        for e in _with_card(entries, dataset)
        if e.config.is_autoencoder
    ]


def metrics_row(entry: ZooEntry) -> dict:
    """The comparison table's row of one model, from its card (None where the model has no card or
    the card no such value).

    Keys: model, latent_dim, beta, recon_nats, kl_nats, neg_elbo_nats, neg_elbo_bits_per_dim,
    iw_images_neg_elbo_nats (the −ELBO of the images the IW bound was taken on), iw_bound_nats, psnr_db,
    active_units, parameter_count, epochs, training_minutes, error (None when available); and the
    sample-quality figures fd_recon, fd_prior, fd_learned, gap_closed (vae.artifacts.quality; None when not
    measured). An autoencoder (β = 0) has None for the KL and every bound: nothing kept its KL small."""
    fd = (entry.quality or {}).get("fd", {})
    quality = {
        "fd_recon": fd.get("reconstructions"),
        "fd_prior": fd.get("prior"),
        "fd_learned": fd.get("learned"),
        "gap_closed": (entry.quality or {}).get("gap_closed"),
    }
    row = {
        "model": entry.name,
        "latent_dim": entry.config.latent_dim if entry.config else None,
        "beta": entry.config.beta if entry.config else None,
    }
    card = entry.card
    if card is None:
        keys = ("recon_nats", "kl_nats", "neg_elbo_nats", "neg_elbo_bits_per_dim", "iw_images_neg_elbo_nats", "iw_bound_nats", "psnr_db")
        row |= dict.fromkeys((*keys, "active_units", "parameter_count", "epochs", "training_minutes"))
        return row | quality | {"error": entry.error}
    test = card.test
    bound = {  # an autoencoder's KL was never minimised: no rate, no bound worth a column (module docstring)
        "kl_nats": test.kl_nats,
        "neg_elbo_nats": test.neg_elbo_nats,
        "neg_elbo_bits_per_dim": test.neg_elbo_bits_per_dim,
        "iw_images_neg_elbo_nats": test.iw_images_neg_elbo_nats if test.iw_bound_nats is not None else None,
        "iw_bound_nats": test.iw_bound_nats,
    }
    if entry.config is not None and entry.config.is_autoencoder:
        bound = dict.fromkeys(bound)
    return (
        row
        | quality
        | {
            "recon_nats": test.recon_nats,
            **bound,
            "psnr_db": test.psnr_db,
            "active_units": card.active_units,
            "parameter_count": card.parameter_count,
            "epochs": card.epochs,
            "training_minutes": card.training_seconds / 60.0,
            "error": entry.error,
        }
    )


def fixed_test_indices(labels: np.ndarray | None, num_images: int, count: int = COMPARE_IMAGES, seed: int = 0) -> np.ndarray:
    """Rows of the test split that every model reconstructs.

    seed 0: the first image of each digit 0 … count−1 when labels are given (MNIST), else the
    first `count` images; any other seed: `count` distinct rows drawn from that seed, sorted."""
    count = min(count, num_images)
    if seed == 0:
        if labels is not None and count <= 10:
            return np.array([int(np.flatnonzero(labels == digit)[0]) for digit in range(count)], dtype=np.int64)
        return np.arange(count, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(num_images, count, replace=False)).astype(np.int64)


def reconstruct(model: VAE, images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W[, C]) → their reconstructions decoded from the posterior mean μ,
    uint8 (N, H, W, C)."""
    mean, _ = encode(model, images)
    return decode(model, mean)


def history_series(card: ModelCard | None) -> dict[str, np.ndarray]:
    """The card's per-epoch history as arrays, one per field of vae.core.card.EpochRecord (epoch,
    train/test recon and KL in nats, ...); {} without a card or history."""
    if card is None or not card.history:
        return {}
    return {f.name: np.array([getattr(h, f.name) for h in card.history], dtype=np.float64) for f in fields(EpochRecord)}


def kl_per_dim(card: ModelCard | None, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(latent dimension indices, mean KL per dimension in nats), largest first when `sort`; empty without a card."""
    values = np.asarray(card.kl_per_dim_nats if card is not None else [], dtype=np.float64)
    dims = np.arange(len(values))
    if sort:
        order = np.argsort(-values, kind="stable")
        dims, values = dims[order], values[order]
    return dims, values


def plot_box(points: list[RatePoint], pad: float = 0.12, min_span: float = 4.0) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis ranges (rate, distortion) that hold every point with some margin; never below zero."""
    xs = np.array([p.rate_nats for p in points] or [0.0])
    ys = np.array([p.distortion_nats for p in points] or [0.0])

    def extent(v: np.ndarray) -> tuple[float, float]:
        lo, hi = float(v.min()), float(v.max())
        span = max(hi - lo, min_span, 0.1 * abs(hi))  # a lone model still gets a readable neighbourhood
        margin = (span - (hi - lo)) / 2 + pad * span
        return max(0.0, lo - margin), hi + margin

    return extent(xs), extent(ys)


def iso_elbo_levels(xlim: tuple[float, float], ylim: tuple[float, float], count: int = 5) -> list[float]:
    """Round values c of rate + distortion whose lines cross the box, about `count` of them."""
    lo, hi = xlim[0] + ylim[0], xlim[1] + ylim[1]
    raw = (hi - lo) / max(count, 1)
    if not raw > 0:
        return []
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 5, 10)), key=lambda s: abs(math.log(s / raw)))  # the nearest round step
    first = math.floor(lo / step) * step + step
    levels = []
    c = first
    while c < hi:
        if segment_in_box(c, xlim, ylim) is not None:
            levels.append(round(c, 10))
        c += step
    return levels


def segment_in_box(
    level: float, xlim: tuple[float, float], ylim: tuple[float, float]
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of the line x + y = level inside the box, as ((x0, y0), (x1, y1)) with x0 < x1, or None."""
    x0 = max(xlim[0], level - ylim[1])
    x1 = min(xlim[1], level - ylim[0])
    if x1 <= x0:
        return None
    return (x0, level - x0), (x1, level - x1)
