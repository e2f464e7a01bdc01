"""Model configuration: one dataclass, stored as config.json beside the weights.

Loading is strict (vae.core.schema): unknown or missing keys are refused with a message naming them,
so a typo in a hand-edited config never silently changes the architecture. Every key below is
required in the file, `schema_version` included; a field added in a later schema version is
declared with `added_in(version, default)` and reads as its default from files of an earlier one.

Schema version: 3.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from vae.core.schema import file_version, init_kwargs, read_json

DATASET_SHAPES: dict[str, tuple[int, int, int]] = {
    "mnist": (1, 28, 28),
    "celeba": (3, 64, 64),
}
LIKELIHOODS = ("bernoulli", "gaussian")
# "conv": the convolutional VAE of this project; "dense": the fully connected VAE of the course
# (pixels → hidden ReLU → (μ, log σ²); code → hidden ReLU → pixels), the Keras example's architecture.
ARCHITECTURES = ("conv", "dense")
CONFIG_SCHEMA_VERSION = 3


class ConfigError(ValueError):
    """A config.json that cannot describe a model (unknown/missing keys, bad values)."""


@dataclass
class VAEConfig:
    """Everything needed to rebuild a VAE: data shape, latent size, β and architecture.

    β = 0 is allowed: the loss is the reconstruction alone, a plain autoencoder (no KL term) trained
    by the same code; its KL is still measured, never minimised."""

    # always the current version in memory (a file read is brought up to it), written first, never passed in
    schema_version: int = field(default=CONFIG_SCHEMA_VERSION, init=False, repr=False)
    dataset: str = "mnist"
    latent_dim: int = 16
    beta: float = 1.0
    # Output channels of each stride-2 conv of the encoder; the decoder mirrors them. [] for "dense".
    channels: list[int] = field(default_factory=lambda: [32, 64, 128])
    # "bernoulli": BCE on grey levels in [0, 1] (MNIST);
    # "gaussian": N(x; decoder mean, σ²) with one learned σ shared by all pixels (CelebA).
    likelihood: str = "bernoulli"
    # Width of one hidden fully connected layer between the conv stack and the latent code, in
    # both encoder and decoder (0: a single linear map). A nonlinear map from a low-dimensional
    # code to the first feature map matters most when latent_dim is small. For "dense": the width of
    # the one hidden ReLU layer between the pixels and the code (the course: 128), at least 1.
    hidden: int = 0
    # Residual blocks (3×3 conv, SiLU, 3×3 conv, plus the input) after each upsampling step of the
    # decoder; with any, the decoder also upsamples to a full-resolution feature map of channels[0]
    # before a 3×3 conv to pixels (the "scale blocks" of Dai & Wipf, 2019). 0: the plain mirror.
    res_blocks: int = 0
    architecture: str = "conv"

    def __post_init__(self) -> None:
        if self.dataset not in DATASET_SHAPES:
            raise ConfigError(f"dataset must be one of {sorted(DATASET_SHAPES)}, got {self.dataset!r}")
        if not isinstance(self.latent_dim, int) or not 1 <= self.latent_dim <= 1024:
            raise ConfigError(f"latent_dim must be an integer in [1, 1024], got {self.latent_dim!r}")
        if not isinstance(self.beta, (int, float)) or not 0 <= float(self.beta) <= 1000:
            raise ConfigError(f"beta must be a number in [0, 1000], got {self.beta!r}")
        self.beta = float(self.beta)
        if self.architecture not in ARCHITECTURES:
            raise ConfigError(f"architecture must be one of {ARCHITECTURES}, got {self.architecture!r}")
        if (
            not isinstance(self.channels, (list, tuple))
            or not (0 if self.architecture == "dense" else 1) <= len(self.channels) <= 6
            or not all(isinstance(c, int) and 1 <= c <= 1024 for c in self.channels)
        ):
            raise ConfigError(f"channels must be 1-6 integers in [1, 1024], got {self.channels!r}")
        self.channels = list(self.channels)
        if not isinstance(self.hidden, int) or not 0 <= self.hidden <= 8192:
            raise ConfigError(f"hidden must be an integer in [0, 8192], got {self.hidden!r}")
        if not isinstance(self.res_blocks, int) or isinstance(self.res_blocks, bool) or not 0 <= self.res_blocks <= 8:
            raise ConfigError(f"res_blocks must be an integer in [0, 8], got {self.res_blocks!r}")
        if self.likelihood not in LIKELIHOODS:
            raise ConfigError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if self.architecture == "dense" and (self.channels or self.res_blocks or not self.hidden):
            raise ConfigError(
                "a dense model has no convolutions and one hidden layer: channels must be [], res_blocks 0 and hidden ≥ 1, "
                f"got channels={self.channels!r}, res_blocks={self.res_blocks!r}, hidden={self.hidden!r}"
            )

    @property
    def is_autoencoder(self) -> bool:
        """β = 0: trained on the reconstruction alone, a plain autoencoder. Its KL is measured but was
        never minimised (σ shrinks toward the clamp, so the KL only says how far), its −ELBO is no
        VAE's bound worth reporting, and there is no prior to sample from."""
        return self.beta == 0.0

    @property
    def num_dims(self) -> int:
        """Pixel values per image (C·H·W): the D of bits per dimension."""
        c, h, w = self.image_shape
        return c * h * w

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the images this model reads and writes."""
        return DATASET_SHAPES[self.dataset]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, source: str = "config") -> VAEConfig:
        """A config from its JSON object, brought up to the current schema version."""
        version = file_version(data, CONFIG_SCHEMA_VERSION, source, "config", ConfigError)
        kwargs = init_kwargs(cls, data, version, source, "config", ConfigError)
        try:
            return cls(**kwargs)
        except ConfigError as err:
            raise ConfigError(f"{source}: {err}") from None

    @classmethod
    def load(cls, path: str | Path) -> VAEConfig:
        path = Path(path)
        return cls.from_dict(read_json(path, "config.json", ConfigError), source=str(path))
