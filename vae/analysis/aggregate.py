"""The encoded test set against the prior N(0, I): what the KL term does to a latent space.

A VAE's KL term pulls every q(z|x) toward N(0, I), so the aggregate posterior q(z) = mean over x of
q(z|x) ends up shaped like the prior: centred, unit variance, the prior's draws landing among the
codes. An autoencoder (β = 0) has no such pull: its codes sit wherever training put them, at any
scale, with gaps between the classes, and a draw from N(0, I) often lands where no code is (a
"hole"; Ghosh et al., ICLR 2020, fit a density to the codes afterwards to generate at all). These
figures measure that, from a model's atlas; the lesson and the β view show them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from vae.analysis.lesson import fraction_within, mass_within_radius
from vae.artifacts.atlas import Atlas
from vae.core.latent import prior_samples

PRIOR_DRAWS = 2000  # draws from N(0, I) whose distance to the codes measures the holes
HOLE_LEVEL = 0.01  # codes spread exactly like the prior leave this share of the draws in holes
RADII = (1.0, 2.0)  # the prior's 1σ and 2σ circles (spheres in more dimensions)


@dataclass(frozen=True)
class PriorMatch:
    """How one model's encoded test set sits against the prior N(0, I)."""

    mean: np.ndarray  # (D,) E[z] under the aggregate posterior q(z) (the mean of μ)
    variance: np.ndarray  # (D,) Var[z] under q(z) = Var_x(μ) + E_x[σ²] (the prior: 1)
    moment_kl_nats: float  # KL(N(mean, diag variance) ‖ N(0, I)): 0 when q(z)'s moments are the prior's
    inside: dict[float, float]  # radius r → share of the codes μ within r of the origin
    prior_inside: dict[float, float]  # radius r → the prior's mass within r (mass_within_radius)
    holes: float | None  # share of prior draws in a hole (prior_draws_in_holes); None beyond 2-D


def aggregate_moments(mean: np.ndarray, logvar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance per dimension of the aggregate posterior q(z) = (1/N) Σ N(μ_n, σ_n²), a mixture:
    E[z] = mean of μ, Var[z] = Var(μ) + mean of σ². mean, logvar: (N, D) → two (D,) arrays."""
    mu = np.asarray(mean, np.float64)
    var = np.exp(np.asarray(logvar, np.float64))
    return mu.mean(0), mu.var(0) + var.mean(0)


def gaussian_kl_to_prior(mean: np.ndarray, variance: np.ndarray) -> float:
    """KL(N(mean, diag variance) ‖ N(0, I)) in nats, summed over dimensions."""
    m, v = np.asarray(mean, np.float64), np.asarray(variance, np.float64)
    return float(0.5 * (m**2 + v - 1.0 - np.log(v)).sum())


def hole_radius(z: np.ndarray, num_codes: int, level: float = HOLE_LEVEL) -> np.ndarray:
    """For 2-D draws z (n, 2): the radius r*(z) within which `num_codes` codes drawn from the prior
    itself would have put at least one with probability 1 − level. They leave the disc of radius r
    around z empty with probability ≈ exp(−N·p(z)·πr²), p the density of N(0, I₂) (nearly constant
    over so small a disc), so r*(z)² = ln(1/level) / (π N p(z)) = 2 ln(1/level)·exp(|z|²/2) / N."""
    sq = (np.asarray(z, np.float64) ** 2).sum(1)
    return np.sqrt(2.0 * np.log(1.0 / level) * np.exp(sq / 2.0) / num_codes)


def prior_draws_in_holes(atlas: Atlas, draws: int = PRIOR_DRAWS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`draws` codes z ~ N(0, I₂), (n, 2) float32, and which of them land in a hole, (n,) bool: no test
    code μ within hole_radius(z) — nearer codes than the model's would almost surely be there if its
    codes were spread like the prior. Calibrated: codes drawn from the prior itself leave about
    HOLE_LEVEL of the draws in holes. 2-D codes only (beyond, a disc's emptiness says little)."""
    if atlas.mean.shape[1] != 2:
        raise ValueError("holes are measured for 2-D codes only")
    z = prior_samples(2, draws, seed)
    distance, _ = cKDTree(np.asarray(atlas.mean, np.float64)).query(z.astype(np.float64))
    return z, distance > hole_radius(z, len(atlas.mean))


def hole_share(atlas: Atlas, draws: int = PRIOR_DRAWS, seed: int = 0) -> float | None:
    """Share of prior draws that land in a hole (prior_draws_in_holes); None beyond 2-D."""
    if atlas.mean.shape[1] != 2:
        return None
    return float(prior_draws_in_holes(atlas, draws, seed)[1].mean())


def prior_match(atlas: Atlas, radii: tuple[float, ...] = RADII, seed: int = 0) -> PriorMatch:
    """The PriorMatch of a model's atlas (its test-set codes μ and log σ²)."""
    mean, variance = aggregate_moments(atlas.mean, atlas.logvar)
    dim = atlas.mean.shape[1]
    return PriorMatch(
        mean=mean,
        variance=variance,
        moment_kl_nats=gaussian_kl_to_prior(mean, variance),
        inside={r: fraction_within(atlas.mean, r) for r in radii},
        prior_inside={r: float(mass_within_radius(r, dim)) for r in radii},
        holes=hole_share(atlas, seed=seed),
    )


def map_extent(coords: list[np.ndarray], quantile: float = 0.995, at_least: float = 2.5, pad: float = 1.08) -> float:
    """Half-width R of one square box [−R, R]² that shows several 2-D maps on the same scale: the
    `quantile` of |coordinate| over all maps (a few stray codes do not shrink everything else),
    never less than `at_least` (so the prior's 2σ circle fits), with a margin."""
    extents = [float(np.quantile(np.abs(np.asarray(c, np.float64)), quantile)) for c in coords if len(c)]
    return pad * max([at_least, *extents])


def share_outside(coords: np.ndarray, half: float) -> float:
    """Share of the (N, 2) map points outside the square [−half, half]²."""
    xy = np.asarray(coords, np.float64)
    return float((np.abs(xy).max(1) > half).mean()) if len(xy) else 0.0
