"""Convolutional VAE for 1×28×28 (MNIST) and 3×64×64 (CelebA) images.

The loss is the negative ELBO of Kingma & Welling (2014), "Auto-Encoding Variational Bayes",
in nats per image:

    −ELBO(x) = E_q(z|x)[−log p(x|z)] + β · KL(q(z|x) ‖ N(0, I))
             =        recon_nats        + β ·      kl_nats

β = 1 gives the true bound; β ≠ 1 is the β-VAE of Higgins et al. (2017).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vae.config import VAEConfig

LOG_2PI = math.log(2 * math.pi)
# Gaussian likelihoods are reported per 8-bit pixel value (width-1/255 bins on [0, 1]),
# which makes recon_nats a positive code length comparable across models.
LOG_255 = math.log(255.0)


class DiagonalGaussian:
    """The posterior q(z|x) = N(mean, exp(logvar)); sums over all non-batch dimensions."""

    def __init__(self, mean: torch.Tensor, logvar: torch.Tensor):
        self.mean = mean
        self.logvar = logvar.clamp(-30.0, 20.0)
        self.std = torch.exp(0.5 * self.logvar)

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """Reparameterised sample z = μ + σ·ε, ε ~ N(0, I); differentiable in μ and σ."""
        eps = torch.randn(self.mean.shape, generator=generator, device=self.mean.device, dtype=self.mean.dtype)
        return self.mean + self.std * eps

    def mode(self) -> torch.Tensor:
        return self.mean

    def kl_per_dim(self) -> torch.Tensor:
        """KL(q ‖ N(0, I)) per latent dimension, nats, shape like mean."""
        return 0.5 * (self.mean.pow(2) + self.logvar.exp() - 1.0 - self.logvar)

    def kl(self) -> torch.Tensor:
        """KL(q ‖ N(0, I)) in nats, summed over latent dimensions, shape (B,)."""
        return self.kl_per_dim().flatten(1).sum(1)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log q(z|x) in nats, summed over latent dimensions, shape (B,)."""
        return (-0.5 * (LOG_2PI + self.logvar + (z - self.mean).pow(2) / self.logvar.exp())).flatten(1).sum(1)


def _spatial_sizes(size: int, n_layers: int) -> list[int]:
    """Feature-map sizes after each stride-2 conv (kernel 4, padding 1; 3/1 for odd sizes)."""
    sizes = [size]
    for _ in range(n_layers):
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


class VAE(nn.Module):
    """Conv encoder → diagonal Gaussian posterior → conv decoder producing pixel means in [0, 1]."""

    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        c_in, size, _ = config.image_shape
        chans = config.channels
        self.sizes = _spatial_sizes(size, len(chans))  # e.g. 28 → 14 → 7 → 4
        enc: list[nn.Module] = []
        prev = c_in
        for i, ch in enumerate(chans):
            odd = self.sizes[i] % 2 == 1
            enc += [nn.Conv2d(prev, ch, 3 if odd else 4, 2, 1), nn.SiLU()]
            prev = ch
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        flat = chans[-1] * self.sizes[-1] ** 2
        d, h = config.latent_dim, config.hidden
        if h:
            self.to_posterior = nn.Sequential(nn.Linear(flat, h), nn.SiLU(), nn.Linear(h, 2 * d))
            self.from_latent = nn.Sequential(nn.Linear(d, h), nn.SiLU(), nn.Linear(h, flat))
        else:
            self.to_posterior = nn.Linear(flat, 2 * d)
            self.from_latent = nn.Linear(d, flat)
        dec: list[nn.Module] = [nn.SiLU()]
        rev = list(reversed(chans))
        for i, ch in enumerate(rev):
            out_size = self.sizes[len(chans) - 1 - i]
            odd = out_size % 2 == 1
            out_ch = rev[i + 1] if i + 1 < len(rev) else c_in
            dec.append(nn.ConvTranspose2d(ch, out_ch, 3 if odd else 4, 2, 1))
            if i + 1 < len(rev):
                dec.append(nn.SiLU())
        self.decoder = nn.Sequential(*dec)
        # log σ of the Gaussian likelihood, in [0, 1] pixel units; unused for Bernoulli.
        self.log_sigma = nn.Parameter(torch.tensor(-2.0)) if config.likelihood == "gaussian" else None

    # ---- public API -------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """x: (B, C, H, W) floats in [0, 1] → posterior with mean/logvar of shape (B, latent_dim)."""
        h = self.to_posterior(self.encoder(x))
        mean, logvar = h.chunk(2, dim=1)
        return DiagonalGaussian(mean, logvar)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        ch, s = self.config.channels[-1], self.sizes[-1]
        return self.decoder(self.from_latent(z).view(-1, ch, s, s))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) → pixel means in [0, 1], shape (B, C, H, W)."""
        return torch.sigmoid(self.decode_logits(z))

    # ---- likelihood and loss ------------------------------------------------------------
    def recon_nats(self, x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """−log p(x|z) in nats per image, shape (B,)."""
        if self.config.likelihood == "bernoulli":
            return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        log_sigma = self.log_sigma.clamp(-6.0, 2.0)
        sq = (x - torch.sigmoid(logits)).pow(2).flatten(1)
        per_pixel = 0.5 * LOG_2PI + log_sigma + sq / (2 * torch.exp(2 * log_sigma)) + LOG_255
        return per_pixel.sum(1)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """One ELBO evaluation with one posterior sample; every term in nats per image, shape (B,)."""
        posterior = self.encode(x)
        z = posterior.sample(generator)
        logits = self.decode_logits(z)
        recon = self.recon_nats(x, logits)
        kl = posterior.kl()
        return {
            "recon_nats": recon,
            "kl_nats": kl,
            "loss": recon + self.config.beta * kl,  # the β-weighted −ELBO we minimise
            "neg_elbo_nats": recon + kl,  # the true bound (β = 1)
            "x_mean": torch.sigmoid(logits),
            "kl_per_dim": posterior.kl_per_dim(),
        }

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
