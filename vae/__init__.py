"""VAE Latent Explorer's model package: VAEs, data, training, atlases. Never imports streamlit."""

from vae.card import ModelCard
from vae.checkpoint import CheckpointError, load_card, load_model, save_model
from vae.config import ConfigError, VAEConfig
from vae.model import VAE, DiagonalGaussian

__all__ = [
    "VAE",
    "CheckpointError",
    "ConfigError",
    "DiagonalGaussian",
    "ModelCard",
    "VAEConfig",
    "load_card",
    "load_model",
    "sample_codes",
    "save_model",
]


def __getattr__(name: str):
    """vae.sample_codes (vae.density.sample_codes), imported on first use so that
    `python -m vae.density` does not find its module already imported."""
    if name == "sample_codes":
        from vae.density import sample_codes

        return sample_codes
    raise AttributeError(f"module 'vae' has no attribute {name!r}")
