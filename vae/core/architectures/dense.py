"""The course's dense VAE: one hidden ReLU layer each way (MNIST: 784 → 128 → (μ, log σ²) of size 2, and
2 → 128 → 784), the Keras example's architecture."""

from __future__ import annotations

from torch import nn

from vae.core.architectures.parts import Parts
from vae.core.config import VAEConfig


def build(config: VAEConfig) -> Parts:
    """Pixels → hidden ReLU → (μ, log σ²); code → hidden ReLU → pixel logits."""
    pixels, h, d = config.num_dims, config.hidden, config.latent_dim
    return Parts(
        encoder=nn.Sequential(nn.Flatten(), nn.Linear(pixels, h), nn.ReLU()),  # (B, C, H, W) → (B, h)
        to_posterior=nn.Linear(h, 2 * d),  # → (B, 2D): μ and log σ²
        from_latent=nn.Sequential(nn.Linear(d, h), nn.ReLU()),  # (B, D) → (B, h)
        to_feature_map=nn.Identity(),  # the decoder reads the hidden layer as it is
        decoder=nn.Sequential(nn.Linear(h, pixels), nn.Unflatten(1, config.image_shape)),  # logits (B, C, H, W)
        sizes=[config.image_shape[1]],  # no stride-2 convolutions: only the input's size
    )
