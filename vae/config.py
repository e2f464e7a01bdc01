"""Model configuration: one dataclass, stored as config.json beside the weights.

Loading is strict (vae.schema): unknown or missing keys are refused with a message naming them,
so a typo in a hand-edited config never silently changes the architecture. A field added after
version 1 is declared with `added_in(version, default)`, so older config.json files keep loading.

Schema versions: 1, every key below but `res_blocks` (files written before versions existed have no
schema_version); 2 adds `res_blocks` (0 when absent).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from vae.schema import added_in, file_version, init_kwargs, read_json, version_field

DATASET_SHAPES: dict[str, tuple[int, int, int]] = {
    "mnist": (1, 28, 28),
    "celeba": (3, 64, 64),
}
LIKELIHOODS = ("bernoulli", "gaussian")
CONFIG_SCHEMA_VERSION = 2


class ConfigError(ValueError):
    """A config.json that cannot describe a model (unknown/missing keys, bad values)."""


@dataclass
class VAEConfig:
    """Everything needed to rebuild a VAE: data shape, latent size, β and architecture."""

    schema_version: int = version_field(CONFIG_SCHEMA_VERSION)
    dataset: str = "mnist"
    latent_dim: int = 16
    beta: float = 1.0
    # Output channels of each stride-2 conv of the encoder; the decoder mirrors them.
    channels: list[int] = field(default_factory=lambda: [32, 64, 128])
    # "bernoulli": BCE on grey levels in [0, 1] (MNIST);
    # "gaussian": N(x; decoder mean, σ²) with one learned σ shared by all pixels (CelebA).
    likelihood: str = "bernoulli"
    # Width of one hidden fully connected layer between the conv stack and the latent code, in
    # both encoder and decoder (0: a single linear map). A nonlinear map from a low-dimensional
    # code to the first feature map matters most when latent_dim is small.
    hidden: int = 0
    # Residual blocks (3×3 conv, SiLU, 3×3 conv, plus the input) after each upsampling step of the
    # decoder; with any, the decoder also upsamples to a full-resolution feature map of channels[0]
    # before a 3×3 conv to pixels (the "scale blocks" of Dai & Wipf, 2019). 0: the plain mirror.
    res_blocks: int = added_in(2, 0)

    def __post_init__(self) -> None:
        if self.dataset not in DATASET_SHAPES:
            raise ConfigError(f"dataset must be one of {sorted(DATASET_SHAPES)}, got {self.dataset!r}")
        if not isinstance(self.latent_dim, int) or not 1 <= self.latent_dim <= 1024:
            raise ConfigError(f"latent_dim must be an integer in [1, 1024], got {self.latent_dim!r}")
        if not isinstance(self.beta, (int, float)) or not 0 <= float(self.beta) <= 1000:
            raise ConfigError(f"beta must be a number in [0, 1000], got {self.beta!r}")
        self.beta = float(self.beta)
        if (
            not isinstance(self.channels, (list, tuple))
            or not 1 <= len(self.channels) <= 6
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
