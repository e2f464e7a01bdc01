"""The encoded test set against the prior N(0, I): what the KL term does to a latent space.

A VAE's KL term pulls every q(z|x) toward N(0, I), so the aggregate posterior q(z) = mean over x of
q(z|x) ends up shaped like the prior: centred, unit variance, the prior's draws landing among the
codes. An autoencoder (β = 0) has no such pull: its codes sit wherever training put them, at any
scale, with gaps between the classes, and a draw from N(0, I) may land where no code is ("holes";
Ghosh et al., ICLR 2020, fit a density to the codes afterwards to generate at all). These figures
measure that, from a model's atlas; the lesson and the β view show them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from vae.atlas import FAR_SPACINGS, Atlas
from vae.latent import prior_samples
from vae.lesson import fraction_within, mass_within_radius

PRIOR_DRAWS = 2000  # draws from N(0, I) whose distance to the codes measures the holes
RADII = (1.0, 2.0)  # the prior's 1σ and 2σ circles (spheres in more dimensions)


@dataclass(frozen=True)
class PriorMatch:
    """How one model's encoded test set sits against the prior N(0, I)."""

    mean: np.ndarray  # (D,) E[z] under the aggregate posterior q(z) (the mean of μ)
    variance: np.ndarray  # (D,) Var[z] under q(z) = Var_x(μ) + E_x[σ²] (the prior: 1)
    moment_kl_nats: float  # KL(N(mean, diag variance) ‖ N(0, I)): 0 when q(z)'s moments are the prior's
    inside: dict[float, float]  # radius r → share of the codes μ within r of the origin
    prior_inside: dict[float, float]  # radius r → the prior's mass within r (mass_within_radius)
    holes: float  # share of prior draws farther than FAR_SPACINGS typical code spacings from every μ


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


def prior_draws_in_holes(atlas: Atlas, draws: int = PRIOR_DRAWS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`draws` codes z ~ N(0, I), (n, D) float32, and which of them land in a hole, (n,) bool: farther
    from every test code μ than FAR_SPACINGS typical spacings between neighbouring codes
    (Atlas.latent_spacing), the distance at which the map pages call a decoded code made up."""
    z = prior_samples(atlas.mean.shape[1], draws, seed)
    distance, _ = cKDTree(np.asarray(atlas.mean, np.float64)).query(z.astype(np.float64))
    return z, distance > FAR_SPACINGS * atlas.latent_spacing()


def hole_share(atlas: Atlas, draws: int = PRIOR_DRAWS, seed: int = 0) -> float:
    """Share of prior draws that land in a hole (prior_draws_in_holes)."""
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
