"""The settings of one training run, as asked on the command line, and the model config they describe."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vae.core.config import ConfigError, VAEConfig
from vae.core.defaults import DEFAULT_CHANNELS, DEFAULT_LIKELIHOOD


@dataclass(frozen=True, kw_only=True)
class TrainSettings:
    """One training run, as asked on the command line (vae.training.train.build_parser holds the defaults
    and help)."""

    dataset: str  # "mnist" or "celeba"
    out: Path  # the model folder to write
    latent_dim: int
    beta: float
    epochs: int
    batch_size: int  # the global batch, split evenly over the processes of a data-parallel run
    lr: float  # base learning rate: linear warm-up, then cosine decay (vae.training.train.lr_at)
    seed: int
    device: str  # "auto" (GPU when present), "cpu", "cuda", "cuda:1", ...
    threads: int  # CPU threads (0: PyTorch's default)
    channels: list[int] | None  # None: DEFAULT_CHANNELS of the dataset ([] for a dense model)
    hidden: int
    res_blocks: int
    architecture: str  # "conv" or "dense" (vae.core.config.ARCHITECTURES)
    likelihood: str | None  # None: DEFAULT_LIKELIHOOD of the dataset
    resume: bool
    iw_samples: int  # importance samples per image for the IW bound (MNIST only)
    iw_images: int
    train_limit: int  # 0: every training image
    test_limit: int  # 0: every test image
    replay: bool = False  # record the test map after every epoch (vae.training.replay)


def config_of(settings: TrainSettings) -> VAEConfig:
    """The model a run trains: its options, with the dataset's defaults where they were left out
    (ConfigError for options that describe no model, e.g. --channels on a dense one)."""
    dense = settings.architecture == "dense"
    if dense and settings.channels:
        raise ConfigError("--channels describes convolutions; a dense model has none (leave it out)")
    return VAEConfig(
        dataset=settings.dataset,
        latent_dim=settings.latent_dim,
        beta=settings.beta,
        architecture=settings.architecture,
        channels=[] if dense else settings.channels or DEFAULT_CHANNELS[settings.dataset],
        likelihood=settings.likelihood or DEFAULT_LIKELIHOOD[settings.dataset],
        hidden=settings.hidden,
        res_blocks=settings.res_blocks,
    )
