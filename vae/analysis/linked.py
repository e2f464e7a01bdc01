"""Two models' maps of the same test set, aligned and linked: how much of one latent space's structure
the other keeps.

- `procrustes`: the second map fitted onto the first by a rotation or reflection, a uniform scale and a
  shift (Procrustes analysis: the orthogonal Procrustes problem on the centred maps, then the best
  scale), with its error: the RMS distance left between matching test points, as a fraction of the
  first map's RMS spread (0: the same picture; 1: no better than putting every point at the centre).
- `inside`: which map points a brushed region (a box or a lasso, a polygon in map units) holds.
- `spread`: where the brushed test images lie on a map: the area of their convex hull, as a fraction
  of the whole test set's.
- `neighbour_sets` and `knn_overlap`: the k nearest test images of each test image in a latent space
  (Euclidean on μ), and how many of them two spaces share (1: the same neighbourhoods; k/N: chance).
- `kl_per_dimension`: each latent dimension's KL(q(z_d|x) ‖ N(0, 1)) averaged over the test set, nats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vae.core.latent import kl_nats_per_dim

KNN_K = 10


class BrushError(ValueError):
    """A brushed region that holds no area (fewer than 3 distinct corners, or not finite)."""


@dataclass(frozen=True)
class Alignment:
    """moving → reference: aligned = scale · (moving − moving_centre) @ rotation + reference_centre."""

    rotation: np.ndarray  # (2, 2) orthogonal (a rotation, or a reflection)
    scale: float
    moving_centre: np.ndarray  # (2,)
    reference_centre: np.ndarray  # (2,)
    error: float  # RMS distance left, as a fraction of the reference map's RMS spread

    def apply(self, coords: np.ndarray) -> np.ndarray:
        return (self.scale * (np.asarray(coords, np.float64) - self.moving_centre) @ self.rotation + self.reference_centre).astype(
            np.float32
        )

    def invert(self, coords: np.ndarray) -> np.ndarray:
        """Aligned map coordinates → the moving map's own (the exact inverse of apply)."""
        return (np.asarray(coords, np.float64) - self.reference_centre) @ self.rotation.T / self.scale + self.moving_centre

    def affine_decode(self, mean: np.ndarray, components: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A map decoded as z = mean + xy · components (PCA; a raw map: mean 0, components I), seen
        through this alignment: (mean', components') with z = mean' + aligned_xy · components'."""
        back = self.rotation.T / self.scale  # aligned offsets → the moving map's
        components2 = back @ np.asarray(components, np.float64)
        mean2 = np.asarray(mean, np.float64) + (self.moving_centre - self.reference_centre @ back) @ np.asarray(components, np.float64)
        return mean2, components2


@dataclass(frozen=True)
class AlignedMap:
    """A raw or PCA map of one model, aligned onto another model's map of the same test set; it
    decodes exactly, as its own map does: z = mean + xy · components."""

    projection: str  # aligned_name(...)
    coords: np.ndarray  # (N, 2) float32, aligned
    mean: np.ndarray  # (D,)
    components: np.ndarray  # (2, D)
    alignment: Alignment
    method = "aligned_inverse"  # how code_at names its decode

    def code(self, xy: np.ndarray | tuple[float, float], offset: np.ndarray | None = None) -> np.ndarray:
        code = self.mean + np.asarray(xy, np.float64).reshape(2) @ self.components
        return (code if offset is None else code + offset).astype(np.float32)

    def affine(self, offset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return (self.mean if offset is None else self.mean + offset), self.components


def aligned_name(projection: str, reference_model: str) -> str:
    return f"aligned:{projection}:{reference_model}"


def aligned_map(
    projection: str, reference_model: str, reference: np.ndarray, moving: np.ndarray, mean: np.ndarray, components: np.ndarray
) -> AlignedMap:
    """The moving model's map (coords `moving`, decoded as z = mean + xy · components: PCA's fit, or
    for a raw map mean 0 and components I) aligned onto `reference` by procrustes."""
    fit = procrustes(reference, moving)
    mean2, components2 = fit.affine_decode(mean, components)
    return AlignedMap(aligned_name(projection, reference_model), fit.apply(moving), mean2, components2, fit)


def procrustes(reference: np.ndarray, moving: np.ndarray) -> Alignment:
    """The rotation or reflection, uniform scale and shift that bring `moving` (N, 2) closest to
    `reference` (N, 2), the rows being the same test images (least squares)."""
    a = np.asarray(reference, np.float64)
    b = np.asarray(moving, np.float64)
    if a.shape != b.shape or a.ndim != 2 or len(a) < 3:
        raise ValueError(f"two maps of the same points are needed, got {a.shape} and {b.shape}")
    ca, cb = a.mean(0), b.mean(0)
    a0, b0 = a - ca, b - cb
    u, s, vt = np.linalg.svd(b0.T @ a0)
    rotation = u @ vt
    norm_b = float((b0**2).sum())
    scale = float(s.sum() / norm_b) if norm_b > 0 else 1.0
    residual = scale * b0 @ rotation - a0
    spread = float(np.sqrt((a0**2).sum(1).mean()))
    error = float(np.sqrt((residual**2).sum(1).mean()) / spread) if spread > 0 else 0.0
    return Alignment(rotation, scale, cb, ca, error)


def polygon(points: np.ndarray | list) -> np.ndarray:
    """A brushed region's corners (M, 2), checked: finite, at least 3 distinct corners, some area."""
    corners = np.asarray(points, np.float64)
    if corners.ndim != 2 or corners.shape[1] != 2 or not np.isfinite(corners).all():
        raise BrushError("a region is a list of (x, y) corners")
    if len(np.unique(corners, axis=0)) < 3:
        raise BrushError("a region needs at least 3 distinct corners")
    x, y = corners[:, 0], corners[:, 1]
    if abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2 <= 0:
        raise BrushError("the region has no area")
    return corners


def box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return polygon([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def inside(region: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Indices of the map points (N, 2) inside the polygon `region` (M, 2), ascending."""
    from matplotlib.path import Path

    return np.flatnonzero(Path(polygon(region)).contains_points(np.asarray(coords, np.float64)))


def hull_area(points: np.ndarray) -> float:
    """The area of the convex hull of 2-D points; 0 for fewer than 3 or collinear points."""
    from scipy.spatial import ConvexHull, QhullError

    points = np.asarray(points, np.float64)
    if len(np.unique(points, axis=0)) < 3:
        return 0.0
    try:
        return float(ConvexHull(points).volume)  # a 2-D hull's "volume" is its area
    except QhullError:  # collinear
        return 0.0


def spread(coords: np.ndarray, rows: np.ndarray) -> float:
    """The brushed rows' hull area as a fraction of the whole map's hull area."""
    whole = hull_area(coords)
    return hull_area(np.asarray(coords)[rows]) / whole if whole > 0 else 0.0


def neighbour_sets(codes: np.ndarray, k: int = KNN_K) -> np.ndarray:
    """(N, k) int32: each code's k nearest other codes (Euclidean), nearest first."""
    from sklearn.neighbors import NearestNeighbors

    codes = np.asarray(codes, np.float32)
    k = min(k, len(codes) - 1)
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(codes).kneighbors(codes)
    rows = np.arange(len(codes))[:, None]
    # the code itself is usually first; with exact duplicates it may not be: drop it wherever it is
    keep = idx != rows
    out = np.array([r[m][:k] for r, m in zip(idx, keep)], dtype=np.int32)
    return out


def knn_overlap(a: np.ndarray, b: np.ndarray, rows: np.ndarray | None = None) -> float:
    """Mean over `rows` (default: all) of |A_i ∩ B_i| / k, A and B two (N, k) neighbour sets."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"neighbour sets of different shapes {a.shape} and {b.shape}")
    rows = np.arange(len(a)) if rows is None else np.asarray(rows)
    if len(rows) == 0:
        return float("nan")
    k = a.shape[1]
    shared = [len(np.intersect1d(a[i], b[i], assume_unique=True)) for i in rows]
    return float(np.mean(shared) / k)


def kl_per_dimension(mean: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """(D,) nats: KL(N(μ_d, σ_d²) ‖ N(0, 1)) per latent dimension, averaged over the codes."""
    return kl_nats_per_dim(mean, logvar).mean(0)
