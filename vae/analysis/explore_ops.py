"""Helpers for the exploration pages (latent sliders, interpolation, generation): per-dimension KL
ordering, compact text codes for deep links, pixel-space cross-fades and labelled image grids.

Pure numpy/Pillow; no UI. Images are uint8 (N, H, W, C) as returned by vae.core.latent.decode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vae.core.card import ModelCard
from vae.core.latent import active_mask, dimension_effect, unit_activity
from vae.core.model import VAE

SLIDER_LIMIT = 3.0  # sliders span ±3 prior standard deviations
TOP_SLIDERS = 16  # latent sliders shown before the other dimensions fold away (the dashboard's page and the student edition)


def kl_per_dim(card: ModelCard | None, mean: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(q(z_d|x) ‖ N(0, 1)) per latent dimension in nats, averaged over the test set; (D,).

    Taken from the card (`kl_per_dim_nats`) when it has one of the right length, else computed from
    the atlas posteriors: ½ (μ² + σ² − log σ² − 1), averaged over images."""
    latent_dim = mean.shape[1]
    if card is not None and len(card.kl_per_dim_nats) == latent_dim:
        return np.asarray(card.kl_per_dim_nats, dtype=np.float64)
    mu, lv = np.asarray(mean, np.float64), np.asarray(logvar, np.float64)
    return (0.5 * (mu**2 + np.exp(lv) - lv - 1)).mean(0)


@dataclass(frozen=True)
class UnitUsage:
    """Which latent dimensions a model uses (vae.core.latent.active_mask: Var_x μ_d > 0.01) and how much
    the inactive ones still move the decoded image."""

    activity: np.ndarray  # (D,) Var_x(μ_d) over the test set
    active: np.ndarray  # (D,) bool
    effect_pixels: np.ndarray  # (D,) pixel values moved > 10 grey levels over ±3 (vae.core.latent.dimension_effect); −1 for active dims


def card_activity(card: ModelCard | None, mean: np.ndarray) -> np.ndarray:
    """Var_x(μ_d) per dimension: the card's `unit_activity` when it has one of the right length (the
    figure behind its active_units), else computed from the atlas's posterior means (N, D); (D,)."""
    if card is not None and len(card.unit_activity) == mean.shape[1]:
        return np.asarray(card.unit_activity, np.float64)
    return unit_activity(mean)


def unit_usage(model: VAE, card: ModelCard | None, mean: np.ndarray) -> UnitUsage:
    """UnitUsage of a model (activity from card_activity); the effect is measured around the prior mean (z = 0)."""
    latent_dim = mean.shape[1]
    activity = card_activity(card, mean)
    active = active_mask(activity)
    effect = np.full(latent_dim, -1, dtype=np.int64)
    inactive = np.flatnonzero(~active)
    if len(inactive):
        effect[inactive] = dimension_effect(model, np.zeros(latent_dim, np.float32), inactive)
    return UnitUsage(activity, active, effect)


def dims_by_kl(kl: np.ndarray) -> np.ndarray:
    """Dimension indices, most informative (highest KL) first; ties keep index order; (D,) int."""
    return np.argsort(-np.asarray(kl, np.float64), kind="stable")


def snap_code(code: np.ndarray, limit: float = SLIDER_LIMIT) -> np.ndarray:
    """A code as the sliders can hold it: clipped to ±limit and rounded to 0.01; (D,) float32."""
    snapped = np.round(np.clip(np.asarray(code, np.float64), -limit, limit), 2) + 0.0  # + 0.0 turns −0 into 0
    return snapped.astype(np.float32)


def format_code(code: np.ndarray) -> str:
    """Compact comma-separated text of a code rounded to 2 decimals ("0,-1.25,2.5")."""
    return ",".join(f"{round(float(v), 2) + 0.0:g}" for v in np.asarray(code).ravel())


def parse_code(raw: str, latent_dim: int, limit: float = SLIDER_LIMIT) -> np.ndarray:
    """Inverse of format_code; refuses (ValueError) a wrong count, non-numbers, nan/inf or values beyond ±limit."""
    if len(raw) > 12 * latent_dim:
        raise ValueError("too long")
    parts = raw.split(",")
    if len(parts) != latent_dim:
        raise ValueError(f"expected {latent_dim} values, got {len(parts)}")
    values = np.array([float(p) for p in parts], dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(np.abs(values) > limit):
        raise ValueError(f"values must be finite and within ±{limit}")
    return values.astype(np.float32)


def traversal_values(n: int, limit: float = SLIDER_LIMIT) -> np.ndarray:
    """n evenly spaced values from −limit to limit; (n,) float32."""
    return np.linspace(-limit, limit, n, dtype=np.float32)


def crossfade(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """Pixel-space blend (1 − t)·a + t·b for `steps` values of t from 0 to 1; uint8 (steps, H, W, C).

    The naive "interpolation" that a latent path is contrasted with: ghosted double exposures."""
    t = np.linspace(0.0, 1.0, steps)[:, None, None, None]
    out = (1 - t) * np.asarray(a, np.float64)[None] + t * np.asarray(b, np.float64)[None]
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError, ValueError):  # Pillow built without FreeType: fixed bitmap font
        return ImageFont.load_default()


def labelled_grid(
    images: np.ndarray,
    ncols: int,
    row_labels: list[str],
    col_labels: list[str] | None = None,
    *,
    scale: int = 1,
    pad: int = 4,
    font_size: int = 14,
) -> np.ndarray:
    """Images (N, H, W, C) laid out row by row, ncols per row, each enlarged `scale`× (nearest), with
    a text label left of each row and above each column; RGB uint8 (height, width, 3) on white."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    n, h, w, _ = images.shape
    nrows = math.ceil(n / ncols)
    font = _font(font_size)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    left = int(max((probe.textlength(s, font=font) for s in row_labels), default=0)) + 2 * pad
    top = font_size + 2 * pad if col_labels else 0
    ch, cw = h * scale, w * scale
    canvas = Image.new("RGB", (left + ncols * (cw + pad), top + nrows * (ch + pad)), "white")
    draw = ImageDraw.Draw(canvas)
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        tile = Image.fromarray(image[..., 0] if image.shape[2] == 1 else image).convert("RGB")
        canvas.paste(tile.resize((cw, ch), Image.Resampling.NEAREST), (left + c * (cw + pad), top + r * (ch + pad)))
    for r, label in enumerate(row_labels[:nrows]):
        draw.text((pad, top + r * (ch + pad) + ch // 2), label, fill=(40, 40, 40), font=font, anchor="lm")
    for c, label in enumerate((col_labels or [])[:ncols]):
        draw.text((left + c * (cw + pad) + cw // 2, top // 2), label, fill=(40, 40, 40), font=font, anchor="mm")
    return np.asarray(canvas)


def display_scale(side: int, columns: int, target: int = 84, max_width: int = 1400) -> int:
    """Integer upscale that makes a square image of `side` px about `target` px wide while `columns` of them fit in max_width."""
    scale = max(1, round(target / side))
    while scale > 1 and columns * side * scale > max_width:
        scale -= 1
    return scale


def as_hwc(image: np.ndarray) -> np.ndarray:
    """A single image as (H, W, C): greyscale (H, W) gets a channel axis."""
    image = np.asarray(image)
    return image[..., None] if image.ndim == 2 else image
