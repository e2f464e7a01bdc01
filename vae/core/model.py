"""VAE for 1×28×28 (MNIST) and 3×64×64 (CelebA) images: convolutional, or the course's dense one.

The loss is the negative ELBO of Kingma & Welling (2014), "Auto-Encoding Variational Bayes",
in nats per image:

    −ELBO(x) = E_q(z|x)[−log p(x|z)] + β · KL(q(z|x) ‖ N(0, I))
             =        recon_nats        + β ·      kl_nats

β = 1 gives the true bound; β ≠ 1 is the β-VAE of Higgins et al. (2017); β = 0 drops the KL term
and trains a plain autoencoder (σ then shrinks toward LOGVAR_MIN, z ≈ μ, and nothing shapes the
codes like the prior: there is no prior to sample from).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from vae.core.architectures import build_parts
from vae.core.config import VAEConfig

LOG_2PI = math.log(2 * math.pi)
# Pixel k ∈ {0, …, 255} is x = k/255; its bin is [x − HALF_BIN, x + HALF_BIN] and the two edge
# bins extend to ∓∞ (PixelCNN++, Salimans et al., 2017; NVAE, Vahdat & Kautz, 2020).
HALF_BIN = 0.5 / 255.0
# Which −log p(x|z) a stored score (atlas recon_nats) was computed with; a derived file made under
# another convention is refused as stale. Changing recon_nats means a new name here.
RECON_CONVENTIONS = {"bernoulli": "bernoulli-grey-levels", "gaussian": "discretized-gaussian-8bit"}


# The encoder's log σ² is clamped to [LOGVAR_MIN, LOGVAR_MAX] so exp() stays finite. Real digits and
# faces stay far inside; an input far from the training data (noise, a blank page) can hit LOGVAR_MAX,
# and then KL ≈ ½·e^20 ≈ 2.4·10⁸ nats per dimension: a sign of saturation, not a measurement.
LOGVAR_MIN = -30.0
LOGVAR_MAX = 20.0


class DiagonalGaussian:
    """The posterior q(z|x) = N(mean, exp(logvar)); sums over all non-batch dimensions."""

    def __init__(self, mean: torch.Tensor, logvar: torch.Tensor):
        self.mean = mean
        self.logvar = logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)
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


def discretized_gaussian_nats(x: torch.Tensor, mean: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """−log P(pixel) in nats, elementwise, for 8-bit pixels x = k/255 under N(mean, σ²) discretised
    into the 256 bins [x − HALF_BIN, x + HALF_BIN], the edge bins open to ∓∞ (PixelCNN++).

    P = Φ(upper) − Φ(lower), computed in log space on the tail where it is precise: a bin above the
    mean is mirrored below it (Φ(b) − Φ(a) = Φ(−a) − Φ(−b)) so that both CDF values stay ≤ ½."""
    inv_sigma = torch.exp(-log_sigma)
    upper = (x + HALF_BIN - mean) * inv_sigma
    lower = (x - HALF_BIN - mean) * inv_sigma
    mirror = lower > 0
    a = torch.where(mirror, -upper, lower)  # a < b, and a ≤ 0
    b = torch.where(mirror, -lower, upper)
    log_a, log_b = torch.special.log_ndtr(a), torch.special.log_ndtr(b)
    log_middle = log_b + torch.log(-torch.expm1(log_a - log_b))  # log(Φ(b) − Φ(a))
    log_first = torch.special.log_ndtr(upper)  # pixel 0: (−∞, upper]
    log_last = torch.special.log_ndtr(-lower)  # pixel 255: [lower, ∞)
    log_p = torch.where(x < HALF_BIN, log_first, torch.where(x > 1.0 - HALF_BIN, log_last, log_middle))
    return -log_p


def bernoulli_floor_nats(x: torch.Tensor) -> torch.Tensor:
    """The least Bernoulli cross-entropy any decoder can reach on grey-level images x in [0, 1]:
    Σ_pixels H(x) = −x log x − (1 − x) log(1 − x), nats per image, shape (B,).

    It is > 0 because Bernoulli-on-grey-levels is not a normalised likelihood of the image: a
    perfect decoder (x̂ = x) still pays this many nats, so MNIST figures here compare with the
    Keras/PyTorch examples, not with binarised-MNIST papers."""
    xf = x.double()
    entropy = -(torch.special.xlogy(xf, xf) + torch.special.xlogy(1 - xf, 1 - xf))
    return entropy.flatten(1).sum(1).to(x.dtype)


def bits_per_dim(nats_per_image: float | torch.Tensor, num_dims: int) -> float | torch.Tensor:
    """nats per image → bits per dimension (pixel × channel): nats / (D · ln 2)."""
    return nats_per_image / (num_dims * math.log(2.0))


@dataclass(frozen=True)
class VAEOutput:
    """One ELBO evaluation of a batch of B images (VAE.forward), one posterior sample per image. Every
    term is in nats per image; D is latent_dim, (C, H, W) the image shape."""

    recon_nats: torch.Tensor  # (B,) −log p(x|z), the reconstruction term
    kl_nats: torch.Tensor  # (B,) KL(q(z|x) ‖ N(0, I)), summed over the D dimensions
    loss: torch.Tensor  # (B,) recon_nats + β · kl_nats, the β-weighted −ELBO that training minimises
    neg_elbo_nats: torch.Tensor  # (B,) recon_nats + kl_nats, the true bound (β = 1)
    x_mean: torch.Tensor  # (B, C, H, W) the decoder's pixel means in [0, 1]
    kl_per_dim: torch.Tensor  # (B, D) the KL of each latent dimension, nats; sums to kl_nats


class VAE(nn.Module):
    """Encoder → diagonal Gaussian posterior → decoder producing pixel means in [0, 1].

    config.architecture picks the network (vae.core.architectures: "conv", this project's stride-2
    convolutions; "dense", the course's one hidden ReLU layer each way). Every architecture builds the
    same four parts: encoder, to_posterior, from_latent and decoder, so every tool (atlas, density,
    export, the pages) treats them alike."""

    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        parts = build_parts(config)
        self.sizes = parts.sizes  # spatial size of the input, then after each stride-2 convolution
        # Registered in this order; their names are the state-dict keys of every saved model.
        self.encoder = parts.encoder
        self.to_posterior = parts.to_posterior
        self.from_latent = parts.from_latent
        self.to_feature_map = parts.to_feature_map
        self.decoder = parts.decoder
        # log σ of the Gaussian likelihood, in [0, 1] pixel units; unused for Bernoulli.
        self.log_sigma = nn.Parameter(torch.tensor(-2.0)) if config.likelihood == "gaussian" else None

    # ---- public API -------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """x: (B, C, H, W) floats in [0, 1] → posterior with mean/logvar of shape (B, latent_dim)."""
        h = self.to_posterior(self.encoder(x))
        mean, logvar = h.chunk(2, dim=1)
        return DiagonalGaussian(mean, logvar)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) → pixel logits (B, C, H, W)."""
        return self.decoder(self.to_feature_map(self.from_latent(z)))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) → pixel means in [0, 1], shape (B, C, H, W)."""
        return torch.sigmoid(self.decode_logits(z))

    # ---- likelihood and loss ------------------------------------------------------------
    def recon_nats(self, x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """−log p(x|z) in nats per image, shape (B,).

        Bernoulli: binary cross-entropy on grey levels in [0, 1] — the Keras/PyTorch-examples
        convention, not a normalised likelihood of 8-bit images (see bernoulli_floor_nats).
        Gaussian: an exact discretised Gaussian over the 256 pixel values (discretized_gaussian_nats),
        a normalised probability of the 8-bit image."""
        if self.log_sigma is None:  # config.likelihood == "bernoulli": no σ
            return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        log_sigma = self.log_sigma.clamp(-6.0, 2.0)
        return discretized_gaussian_nats(x, torch.sigmoid(logits), log_sigma).flatten(1).sum(1)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> VAEOutput:
        """One ELBO evaluation of x (B, C, H, W) in [0, 1] with one posterior sample per image."""
        posterior = self.encode(x)
        z = posterior.sample(generator)
        logits = self.decode_logits(z)
        recon = self.recon_nats(x, logits)
        kl = posterior.kl()
        return VAEOutput(
            recon_nats=recon,
            kl_nats=kl,
            loss=recon + self.config.beta * kl,  # the β-weighted −ELBO we minimise
            neg_elbo_nats=recon + kl,  # the true bound (β = 1)
            x_mean=torch.sigmoid(logits),
            kl_per_dim=posterior.kl_per_dim(),
        )

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
