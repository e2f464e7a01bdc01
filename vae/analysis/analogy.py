"""Latent arithmetic between codes: a palette, the bilinear grid between 3 or 4 corner codes (Tom White's
J-diagram with 3, MusicVAE's 4-corner palette), and an analogy, "A is to B as C is to D", D = C + (B − A)."""

from __future__ import annotations

import numpy as np

PALETTE_SIZES = (3, 9)  # the grid's side, smallest and largest


def analogy(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """A is to B as C is to D: the code D = C + (B − A) (float32)."""
    a, b, c = (np.asarray(v, np.float32) for v in (a, b, c))
    if not a.shape == b.shape == c.shape or a.ndim != 1:
        raise ValueError(f"three codes of one latent space expected, got shapes {a.shape}, {b.shape}, {c.shape}")
    return (c + (b - a)).astype(np.float32)


def palette(corners: np.ndarray, size: int) -> np.ndarray:
    """The (size·size, D) codes of a bilinear grid, row by row from the top left. corners (4, D): top left,
    top right, bottom left, bottom right; (3, D): the first three, the bottom right completed as the analogy
    top right + bottom left − top left (the J-diagram). The corners are the grid's corners exactly."""
    corners = np.asarray(corners, np.float32)
    if corners.ndim != 2 or len(corners) not in (3, 4):
        raise ValueError(f"3 or 4 corner codes expected, got an array of shape {corners.shape}")
    lo, hi = PALETTE_SIZES
    if not lo <= size <= hi:
        raise ValueError(f"a palette's side is {lo} to {hi}, got {size}")
    if len(corners) == 3:
        corners = np.vstack([corners, analogy(corners[0], corners[1], corners[2])])
    steps = np.linspace(0.0, 1.0, size)
    down, right = np.meshgrid(steps, steps, indexing="ij")  # row, column
    weights = np.stack([(1 - right) * (1 - down), right * (1 - down), (1 - right) * down, right * down], -1).reshape(-1, 4)
    return (weights @ corners.astype(np.float64)).astype(np.float32)


def nearest_other(codes: np.ndarray, code: np.ndarray, exclude: tuple[int, ...]) -> tuple[int, float]:
    """The row of `codes` (N, D) nearest to `code` (Euclidean) other than the rows in `exclude`, and its distance."""
    d = np.linalg.norm(np.asarray(codes, np.float64) - np.asarray(code, np.float64), axis=1)
    d[list(exclude)] = np.inf
    row = int(np.argmin(d))
    return row, float(d[row])
