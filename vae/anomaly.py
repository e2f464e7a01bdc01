"""Anomaly scores for test images and uploads: rankings, percentiles, reconstruction errors, error maps.

An image the model finds hard to explain is unusual: it has a high −ELBO (nats per image, the
atlas's one-sample estimate: recon_nats + kl_nats) or a high reconstruction error (per-pixel MSE of
the posterior-mean decode, pixels in [0, 1]).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from vae.data import to_tensor
from vae.evaluate import per_sample_terms
from vae.model import VAE


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


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return str(value.item() if isinstance(value, np.generic) else value)
