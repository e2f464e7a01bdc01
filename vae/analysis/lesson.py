"""The maths behind the VAE lesson page: Gaussian densities, the KL divergence to the prior, the
reparameterization trick with its gradients, and small helpers the lesson's steps show.

Pure numpy/torch; no UI. KL values are in nats; densities are per unit of z.
"""

from __future__ import annotations

import copy
import math
from typing import TypedDict

import numpy as np
import torch
from scipy.special import gammainc

from vae.core.card import ModelCard
from vae.core.config import VAEConfig
from vae.core.defaults import DEFAULT_BATCH_SIZE, DEFAULT_CHANNELS, DEFAULT_EPOCHS, DEFAULT_LIKELIHOOD, DEFAULT_LR, DEFAULT_SEED
from vae.core.model import VAE
from vae.data.datasets import to_tensor


# ---- Gaussian densities --------------------------------------------------------------------
def normal_pdf(x: np.ndarray | float, mu: float, sigma: float) -> np.ndarray:
    """Density of N(mu, sigma²) at x (any shape)."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def normal2d_pdf(grid: np.ndarray, mu: tuple[float, float] | np.ndarray, sigma: tuple[float, float] | np.ndarray) -> np.ndarray:
    """Density of N(mu, diag(sigma²)) in 2-D at points grid (..., 2); shape grid.shape[:-1].

    With a diagonal covariance the n-D density is the product of n 1-D densities."""
    grid = np.asarray(grid, dtype=np.float64)
    mu, sigma = np.asarray(mu, np.float64), np.asarray(sigma, np.float64)
    return normal_pdf(grid[..., 0], mu[0], sigma[0]) * normal_pdf(grid[..., 1], mu[1], sigma[1])


def mass_within_radius(r: float | np.ndarray, dim: int = 2) -> np.ndarray:
    """Probability that z ~ N(0, I_dim) lies within distance r of the origin (chi distribution CDF).

    In 2-D: 1 − exp(−r²/2), i.e. 39.3 %, 86.5 %, 98.9 % inside the 1σ, 2σ, 3σ circles."""
    r = np.asarray(r, dtype=np.float64)
    if dim == 2:
        return 1.0 - np.exp(-0.5 * r**2)
    return gammainc(dim / 2.0, 0.5 * r**2)


def fraction_within(codes: np.ndarray, r: float) -> float:
    """Share of the codes (N, D) whose Euclidean norm is at most r."""
    return float((np.linalg.norm(np.asarray(codes, np.float64), axis=1) <= r).mean())


# ---- KL divergence -------------------------------------------------------------------------
def kl_posterior_prior(mu: float | np.ndarray, sigma: float | np.ndarray) -> np.ndarray:
    """KL(q ‖ p) = KL(N(mu, sigma²) ‖ N(0, 1)) in nats, the VAE's term: the posterior q first, the prior p
    second (the name's order); closed form ½(μ² + σ² − 1 − ln σ²); elementwise."""
    mu, sigma = np.asarray(mu, np.float64), np.asarray(sigma, np.float64)
    return 0.5 * (mu**2 + sigma**2 - 1.0 - np.log(sigma**2))


def kl_prior_posterior(mu: float | np.ndarray, sigma: float | np.ndarray) -> np.ndarray:
    """The other direction, KL(p ‖ q) = KL(N(0, 1) ‖ N(mu, sigma²)) in nats: the prior first (the name's
    order); ln σ + (1 + μ²)/(2σ²) − ½; elementwise. Not the VAE's term (kl_posterior_prior): KL is not
    symmetric."""
    mu, sigma = np.asarray(mu, np.float64), np.asarray(sigma, np.float64)
    return np.log(sigma) + (1.0 + mu**2) / (2.0 * sigma**2) - 0.5


def kl_numeric(mu: float, sigma: float, n: int = 20001, width: float = 12.0) -> float:
    """The same KL by numerical integration of q(z) ln(q(z)/p(z)) over mu ± width·sigma (nats).

    Written with log densities so the tails do not produce 0·log 0; trapezoidal rule on n points."""
    z = np.linspace(mu - width * sigma, mu + width * sigma, n)
    log_q = -0.5 * ((z - mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)
    log_p = -0.5 * z**2 - 0.5 * math.log(2 * math.pi)
    return float(np.trapezoid(np.exp(log_q) * (log_q - log_p), z))


# ---- the stochastic code of one image ------------------------------------------------------
def posterior_samples(mu: np.ndarray, logvar: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """n codes z ~ q(z|x) = N(mu, exp(logvar)) for one image, reproducible; (n, D) float32.

    Uses the same ε stream as DiagonalGaussian.sample with a generator seeded the same way."""
    gen = torch.Generator().manual_seed(int(seed))
    mean = torch.as_tensor(np.asarray(mu, np.float32)).reshape(1, -1)
    std = torch.exp(0.5 * torch.as_tensor(np.asarray(logvar, np.float32)).reshape(1, -1).clamp(-30.0, 20.0))
    eps = torch.randn((n, mean.shape[1]), generator=gen)
    return (mean + std * eps).numpy()


class Reparameterization(TypedDict):
    """reparameterize_with_grad's result: (D,) vectors, (D, D) Jacobians and two scalars."""

    eps: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    sigma_eps: np.ndarray
    z: np.ndarray
    dz_dmu: np.ndarray
    dz_dsigma: np.ndarray
    jacobian_mu: np.ndarray
    jacobian_sigma: np.ndarray
    loss_nats: float
    encoder_grad_norm: float


def reparameterize_with_grad(model: VAE, x: torch.Tensor | np.ndarray, seed: int = 0) -> Reparameterization:
    """The reparameterization trick on one real image, with its gradients from torch autograd.

    x: one image, float (1, C, H, W) in [0, 1] or uint8 (H, W[, C]). Draws ε ~ N(0, I) from `seed`,
    forms z = μ + σ·ε and asks autograd for the Jacobians ∂z/∂μ and ∂z/∂σ (D×D; diagonal, with 1 and
    ε on the diagonal). Then one −ELBO on that z is differentiated down to the encoder's weights:
    the gradient gets through the sampling step. Shipped models are frozen (requires_grad False) and
    shared between threads, so the work is done on a private copy (a few hundred kB of weights).

    Returns eps, mu, sigma, sigma_eps (σ·ε), z, dz_dmu, dz_dsigma (the diagonals, (D,)),
    jacobian_mu, jacobian_sigma ((D, D)), loss_nats (−ELBO, one sample) and encoder_grad_norm.
    """
    if isinstance(x, np.ndarray):
        x = to_tensor(np.array(x[None]))  # a copy: callers may pass read-only shared arrays
    x = x.float()
    work = copy.deepcopy(model).requires_grad_(True)
    with torch.enable_grad():
        posterior = work.encode(x)
        mu, sigma = posterior.mean, posterior.std  # (1, D), both in the autograd graph of the encoder
        gen = torch.Generator().manual_seed(int(seed))
        eps = torch.randn(mu.shape, generator=gen)  # the only random input: outside the gradient path
        sigma_eps = sigma * eps
        z = mu + sigma_eps
        d = z.shape[1]
        jac_mu, jac_sigma = torch.zeros(d, d), torch.zeros(d, d)
        for i in range(d):
            g_mu, g_sigma = torch.autograd.grad(z[0, i], (mu, sigma), retain_graph=True)
            jac_mu[i], jac_sigma[i] = g_mu[0], g_sigma[0]
        loss = work.recon_nats(x, work.decode_logits(z)) + posterior.kl()  # −ELBO, nats, (1,)
        encoder_params = list(work.encoder.parameters()) + list(work.to_posterior.parameters())
        grads = torch.autograd.grad(loss.sum(), encoder_params)
    encoder_grad_norm = float(torch.sqrt(sum(((g.double() ** 2).sum() for g in grads), torch.zeros((), dtype=torch.float64))))
    return {
        "eps": eps[0].numpy(),
        "mu": mu[0].detach().numpy(),
        "sigma": sigma[0].detach().numpy(),
        "sigma_eps": sigma_eps[0].detach().numpy(),
        "z": z[0].detach().numpy(),
        "dz_dmu": torch.diagonal(jac_mu).numpy(),
        "dz_dsigma": torch.diagonal(jac_sigma).numpy(),
        "jacobian_mu": jac_mu.numpy(),
        "jacobian_sigma": jac_sigma.numpy(),
        "loss_nats": float(loss[0].detach()),
        "encoder_grad_norm": encoder_grad_norm,
    }


# ---- picks from the atlas ------------------------------------------------------------------
def anomaly_pair(neg_elbo_nats: np.ndarray) -> tuple[int, int]:
    """(row of the highest −ELBO, row of the most typical one: nearest to the median)."""
    scores = np.asarray(neg_elbo_nats, np.float64)
    return int(scores.argmax()), int(np.abs(scores - np.median(scores)).argmin())


def training_command(config: VAEConfig, card: ModelCard | None, name: str) -> str:
    """The `vae-explorer train` command that trains this model: only options that differ from the
    defaults (vae/core/defaults.py), in the order of the notebook (data, latent size, architecture, β,
    epochs, output). Formatted here, not through vae.training.train's parser, so the lesson does not import
    the training loop; tests check that the parser accepts it and rebuilds the same run."""
    parts = ["vae-explorer train", f"--dataset {config.dataset}", f"--latent-dim {config.latent_dim}"]
    if config.architecture != "conv":
        parts.append(f"--architecture {config.architecture}")
    elif config.channels != DEFAULT_CHANNELS[config.dataset]:
        parts.append("--channels " + " ".join(str(c) for c in config.channels))
    if config.hidden:
        parts.append(f"--hidden {config.hidden}")
    if config.likelihood != DEFAULT_LIKELIHOOD[config.dataset]:
        parts.append(f"--likelihood {config.likelihood}")
    if config.beta != 1.0:
        parts.append(f"--beta {config.beta:g}")
    parts.append(f"--epochs {card.epochs if card else DEFAULT_EPOCHS}")
    for option, value, default in (
        ("--batch-size", card.batch_size if card else None, DEFAULT_BATCH_SIZE),
        ("--lr", card.lr if card else None, DEFAULT_LR),
        ("--seed", card.seed if card else None, DEFAULT_SEED),
    ):
        if value is not None and value != default:
            parts.append(f"{option} {value:g}" if isinstance(value, float) else f"{option} {value}")
    parts.append(f"--out models/{name}")
    return " ".join(parts)


def history_columns(history: list[dict]) -> dict[str, list[float]]:
    """The card's per-epoch history (its EpochRecord rows as dicts, vae.core.card) as columns: epoch,
    train/test recon and KL in nats."""
    keys = ("epoch", "train_recon_nats", "train_kl_nats", "test_recon_nats", "test_kl_nats")
    return {k: [float(row[k]) for row in history] for k in keys}
