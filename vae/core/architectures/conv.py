"""The convolutional VAE of this project's models: stride-2 convolutions down to a small feature map, an
optional hidden dense layer around the code, and the mirror of the convolutions (transposed) back up, with
optional residual blocks after each upsampling step."""

from __future__ import annotations

import torch
from torch import nn

from vae.core.architectures.parts import Parts
from vae.core.config import VAEConfig


def spatial_sizes(size: int, n_layers: int) -> list[int]:
    """Feature-map sizes after each stride-2 conv (kernel 4, padding 1; 3/1 for odd sizes)."""
    sizes = [size]
    for _ in range(n_layers):
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


class ResBlock(nn.Module):
    """x + conv3×3(SiLU(conv3×3(SiLU(x)))): same channels and size; starts as the identity (the last
    conv's weights are zero), so adding blocks never makes the untrained decoder worse."""

    def __init__(self, channels: int):
        super().__init__()
        first, last = nn.Conv2d(channels, channels, 3, 1, 1), nn.Conv2d(channels, channels, 3, 1, 1)  # in this order: a seed's weights
        for weight in last.parameters():  # its kernel and bias
            nn.init.zeros_(weight)
        self.body = nn.Sequential(nn.SiLU(), first, nn.SiLU(), last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ToFeatureMap(nn.Module):
    """(B, channels·size²) → the decoder's first feature map (B, channels, size, size); no weights."""

    def __init__(self, channels: int, size: int):
        super().__init__()
        self.channels, self.size = channels, size

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h.view(-1, self.channels, self.size, self.size)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, size={self.size}"


def _encoder(config: VAEConfig, sizes: list[int]) -> nn.Sequential:
    """(B, C, H, W) → (B, channels[-1]·s²): one stride-2 conv and SiLU per entry of config.channels."""
    layers: list[nn.Module] = []
    prev = config.image_shape[0]
    for i, ch in enumerate(config.channels):
        odd = sizes[i] % 2 == 1
        layers += [nn.Conv2d(prev, ch, 3 if odd else 4, 2, 1), nn.SiLU()]
        prev = ch
    return nn.Sequential(*layers, nn.Flatten())


def _decoder(config: VAEConfig, sizes: list[int]) -> nn.Sequential:
    """(B, channels[-1], s, s) → pixel logits (B, C, H, W): the encoder's convolutions transposed, with
    config.res_blocks ResBlocks after each; with any, a last 3×3 conv from channels[0] to the pixels."""
    chans, c_in, blocks = config.channels, config.image_shape[0], config.res_blocks
    layers: list[nn.Module] = [nn.SiLU()]
    rev = list(reversed(chans))
    for i, ch in enumerate(rev):
        out_size = sizes[len(chans) - 1 - i]
        odd = out_size % 2 == 1
        last = i + 1 == len(rev)
        out_ch = rev[i + 1] if not last else (chans[0] if blocks else c_in)
        layers.append(nn.ConvTranspose2d(ch, out_ch, 3 if odd else 4, 2, 1))
        layers += [ResBlock(out_ch) for _ in range(blocks)]
        if not last:
            layers.append(nn.SiLU())
    if blocks:
        layers += [nn.SiLU(), nn.Conv2d(chans[0], c_in, 3, 1, 1)]
    return nn.Sequential(*layers)


def build(config: VAEConfig) -> Parts:
    """The parts, created in the order encoder, to_posterior, from_latent, decoder (so a seed gives the
    same initial weights); config.hidden > 0 puts a hidden SiLU layer of that width around the code."""
    sizes = spatial_sizes(config.image_shape[1], len(config.channels))  # e.g. 28 → 14 → 7 → 4
    encoder = _encoder(config, sizes)
    flat = config.channels[-1] * sizes[-1] ** 2
    d, h = config.latent_dim, config.hidden
    to_posterior: nn.Module
    from_latent: nn.Module
    if h:
        to_posterior = nn.Sequential(nn.Linear(flat, h), nn.SiLU(), nn.Linear(h, 2 * d))
        from_latent = nn.Sequential(nn.Linear(d, h), nn.SiLU(), nn.Linear(h, flat))
    else:
        to_posterior, from_latent = nn.Linear(flat, 2 * d), nn.Linear(d, flat)
    return Parts(
        encoder=encoder,
        to_posterior=to_posterior,  # (B, flat) → (B, 2D): μ and log σ²
        from_latent=from_latent,  # (B, D) → (B, flat)
        to_feature_map=ToFeatureMap(config.channels[-1], sizes[-1]),
        decoder=_decoder(config, sizes),
        sizes=sizes,
    )
