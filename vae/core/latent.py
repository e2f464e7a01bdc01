"""Operations in latent space: prior samples, interpolation, traversals, decoded grids, neighbours.

All functions take and return plain tensors/arrays; decoding runs under torch.inference_mode so
models can be shared read-only between threads (the dashboard serves many sessions at once).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from vae.core.model import VAE
from vae.data.datasets import to_tensor


@torch.inference_mode()
def decode(model: VAE, z: np.ndarray | torch.Tensor) -> np.ndarray:
    """(N, D) latent codes → uint8 images (N, H, W, C) for display."""
    z = torch.tensor(np.asarray(z, dtype=np.float32))  # a copy: atlas arrays are read-only
    if z.ndim == 1:
        z = z[None]
    x = model.decode(z)  # (N, C, H, W) in [0, 1]
    return to_uint8(x)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) floats in [0, 1] → uint8 (N, H, W, C)."""
    return (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


@torch.inference_mode()
def encode(model: VAE, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, H, W[, C]) → (μ, log σ²), each (N, D) float32."""
    posterior = model.encode(to_tensor(images))
    return posterior.mean.numpy(), posterior.logvar.numpy()


def prior_samples(latent_dim: int, n: int, seed: int = 0, temperature: float = 1.0) -> np.ndarray:
    """n codes z ~ N(0, temperature² I), reproducible from the seed; (n, latent_dim) float32."""
    gen = torch.Generator().manual_seed(int(seed))
    return (torch.randn((n, latent_dim), generator=gen) * float(temperature)).numpy()


def path_at(z0: np.ndarray, z1: np.ndarray, ts: Sequence[float] | np.ndarray, method: str = "lerp") -> np.ndarray:
    """Points at fractions `ts` (in [0, 1]) of the path from z0 to z1; (len(ts), D).

    "lerp": the straight line. "slerp": spherical interpolation (White, 2016), which keeps the norm
    typical of the Gaussian prior's shell; it falls back to the line when the two codes are
    (anti)parallel or one is zero. (frontend/src/maths.js pathAt does the same in the browser.)"""
    a, b = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    t = np.asarray(ts, np.float64).reshape(-1, 1)
    if method == "slerp":
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na >= 1e-8 and nb >= 1e-8:
            omega = np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0))
            if np.sin(omega) >= 1e-6:
                out = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
                out[t[:, 0] == 0.0], out[t[:, 0] == 1.0] = a, b
                return out.astype(np.float32)
    elif method != "lerp":
        raise ValueError(f"unknown interpolation {method!r}; 'lerp' or 'slerp'")
    return ((1 - t) * a + t * b).astype(np.float32)


def lerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """Straight line from z0 to z1, `steps` points including both ends; (steps, D)."""
    return path_at(z0, z1, np.linspace(0.0, 1.0, steps), "lerp")


def slerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """Spherical interpolation from z0 to z1, `steps` points including both ends; (steps, D)."""
    return path_at(z0, z1, np.linspace(0.0, 1.0, steps), "slerp")


def traversal_codes(base: np.ndarray, dims: list[int], values: np.ndarray) -> np.ndarray:
    """For each dim in dims and each value, `base` with that coordinate set to the value; (len(dims)·len(values), D)."""
    base = np.asarray(base, np.float32)
    codes = np.repeat(base[None], len(dims) * len(values), axis=0)
    for r, d in enumerate(dims):
        codes[r * len(values) : (r + 1) * len(values), d] = values
    return codes


def manifold_grid(x_range: tuple[float, float], y_range: tuple[float, float], n: int) -> np.ndarray:
    """Codes of an n×n grid over a 2-D latent region, rows from top (high y) to bottom; (n·n, 2).

    The classic figure of Kingma & Welling / the Keras VAE example."""
    xs = np.linspace(x_range[0], x_range[1], n)
    ys = np.linspace(y_range[1], y_range[0], n)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)


def squared_distances(points: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance from each row of `points` (N, D) to `query` (D,), in float64, summed
    dimension by dimension in order: the same float values as the browser's `nearest`
    (frontend/src/maths.js nearest), which sums (p_j − q_j)² over j in a JavaScript number."""
    points = np.asarray(points)
    q = np.asarray(query, np.float64).reshape(-1)
    d2 = np.zeros(len(points), np.float64)
    for j in range(points.shape[1]):
        diff = points[:, j].astype(np.float64) - q[j]
        d2 += diff * diff
    return d2


def nearest_codes(codes: np.ndarray, query: np.ndarray, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """k nearest rows of `codes` to `query` (Euclidean): (indices (k,), distances (k,)), nearest first.

    The tie rule, one for Python and the browser: points at equal distance (the same float64 value of
    squared_distances) come in the order of their index, lowest first. Ties are real: the atlas stores
    coordinates in float16, so test points can share a map position exactly."""
    d2 = squared_distances(codes, query)
    k = min(k, len(d2))
    idx = np.argsort(d2, kind="stable")[:k]  # stable: equal distances keep index order
    return idx, np.sqrt(d2[idx])


def blend_nearest(codes: np.ndarray, coords: np.ndarray, point: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latent code for a location of a map with no inverse (t-SNE): inverse-distance-weighted blend
    of the codes of the k points nearest to `point` on the map. Returns (code, indices, map distances)."""
    idx, dist = nearest_codes(coords, point, k)
    w = 1.0 / (dist + 1e-6)
    w /= w.sum()
    return (codes[idx] * w[:, None]).sum(0).astype(np.float32), idx, dist


# ---- which latent dimensions are used ---------------------------------------------------------
# One definition everywhere (cards, sliders, the KL page): a unit is active when its posterior mean
# varies over the data, Cov_x(E_q[z_u]) > 0.01 (Burda et al., 2016, "Importance Weighted Autoencoders").
ACTIVE_UNIT_THRESHOLD = 0.01
EFFECT_GREY_LEVELS = 10  # a pixel "moves" when it changes by more than this many grey levels (of 255)
EFFECT_SPAN = 3.0  # how far a dimension is swept to measure its effect: ±3 prior standard deviations, the sliders' range


def kl_nats_per_dim(mean: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """(N, D) float64: KL(N(μ_d, σ_d²) ‖ N(0, 1)) of each code's each dimension, nats (the closed form
    of DiagonalGaussian.kl_per_dim, in numpy)."""
    mean = np.asarray(mean, np.float64)
    logvar = np.asarray(logvar, np.float64)
    return 0.5 * (mean**2 + np.exp(logvar) - 1.0 - logvar)


def unit_activity(mean: np.ndarray) -> np.ndarray:
    """Cov_x(E_q[z_d]) per dimension from posterior means μ (N, D) of a data set; (D,) float64."""
    return np.asarray(mean, dtype=np.float64).var(0)


def active_mask(activity: np.ndarray) -> np.ndarray:
    """Which dimensions are active, from unit_activity(); (D,) bool."""
    return np.asarray(activity, dtype=np.float64) > ACTIVE_UNIT_THRESHOLD


@torch.inference_mode()
def dimension_effect(model: VAE, base: np.ndarray, dims: list[int] | np.ndarray, steps: int = 9) -> np.ndarray:
    """How much each dimension still moves the image: the number of pixel values (pixels × channels)
    whose grey level changes by more than EFFECT_GREY_LEVELS while z_d sweeps −EFFECT_SPAN … +EFFECT_SPAN
    with the other coordinates at `base`; (len(dims),) int. An inactive unit (by activity) can still
    move the decoded image: the decoder is not forced to ignore it."""
    values = np.linspace(-EFFECT_SPAN, EFFECT_SPAN, steps, dtype=np.float32)
    counts = []
    for d in dims:
        images = decode(model, traversal_codes(np.asarray(base, np.float32), [int(d)], values)).astype(np.int16)
        spread = images.max(0) - images.min(0)  # (H, W, C) grey-level range over the sweep
        counts.append(int((spread > EFFECT_GREY_LEVELS).sum()))
    return np.array(counts, dtype=np.int64)
