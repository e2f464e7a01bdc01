"""VAE Latent Explorer's model package; never imports streamlit. Its folders are its layers, each docstring says
what it may import: data ← core ← artifacts ← {training, analysis}. The names most callers need are re-exported here."""

from typing import TYPE_CHECKING

from vae.core.card import ModelCard
from vae.core.checkpoint import CheckpointError, load_card, load_model, save_model
from vae.core.config import ConfigError, VAEConfig
from vae.core.model import VAE, DiagonalGaussian, VAEOutput

if TYPE_CHECKING:  # what __getattr__ imports on first use, for type checkers
    from vae.artifacts.density import sample_codes

__all__ = [
    "VAE",
    "CheckpointError",
    "ConfigError",
    "DiagonalGaussian",
    "ModelCard",
    "VAEConfig",
    "VAEOutput",
    "load_card",
    "load_model",
    "sample_codes",
    "save_model",
]


def __getattr__(name: str) -> object:
    """vae.sample_codes (vae.artifacts.density.sample_codes), imported on first use so that
    vae/artifacts/density.py run as a script (`__main__`) does not find its module already imported."""
    if name == "sample_codes":
        from vae.artifacts.density import sample_codes

        return sample_codes
    raise AttributeError(f"module 'vae' has no attribute {name!r}")
