"""VAE Latent Explorer's model package: VAEs, data, training, atlases. Never imports streamlit."""

from vae.card import ModelCard
from vae.checkpoint import CheckpointError, load_card, load_model, save_model
from vae.config import ConfigError, VAEConfig
from vae.density import sample_codes
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
