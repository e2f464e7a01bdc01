"""The network shapes a VAE can take, one module each (conv, dense), chosen by `config.architecture` through
BUILDERS; each builds the same Parts (encoder, to_posterior, from_latent, to_feature_map, decoder).
May import only `vae.core.config`."""

from __future__ import annotations

from collections.abc import Callable

from vae.core.architectures import conv, dense
from vae.core.architectures.parts import Parts
from vae.core.config import VAEConfig

# config.architecture → the function that builds its parts; the keys are vae.core.config.ARCHITECTURES.
BUILDERS: dict[str, Callable[[VAEConfig], Parts]] = {"conv": conv.build, "dense": dense.build}


def build_parts(config: VAEConfig) -> Parts:
    """The freshly initialised parts of the network `config.architecture` names."""
    return BUILDERS[config.architecture](config)


__all__ = ["BUILDERS", "Parts", "build_parts"]
