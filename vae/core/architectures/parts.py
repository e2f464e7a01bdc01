"""The parts every architecture builds, so the VAE, its tools and its pages treat all architectures alike."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class Parts:
    """The four parts with weights, in the order the VAE registers them (their names are the state-dict
    prefixes of every saved model), and the reshape between from_latent and decoder."""

    encoder: nn.Module  # images (B, C, H, W) → features (B, F)
    to_posterior: nn.Module  # (B, F) → (B, 2D): μ and log σ² side by side
    from_latent: nn.Module  # codes (B, D) → (B, F')
    to_feature_map: nn.Module  # (B, F') → what the decoder reads (no weights)
    decoder: nn.Module  # → pixel logits (B, C, H, W)
    sizes: list[int]  # spatial size of the input, then after each stride-2 convolution
