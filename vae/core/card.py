"""The model card (card.json): how a model was trained and what it scores on the test set.

The layout lives here and only here: `ModelCard` is written by training (vae.training.train) and by a
re-evaluation (`vae-explorer evaluate --write-card`), and read through `ModelCard.load`. Values that do
not apply to a model (the IW bound of a CelebA model, σ of a Bernoulli decoder) are None in memory
and left out of the file. Reading follows vae.core.schema: unknown keys are refused, and so are missing
ones but those whose values may not apply.

Schema version: 1.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vae.core.schema import check_types, file_version, init_kwargs, read_json

CARD_SCHEMA_VERSION = 1


class CardError(ValueError):
    """A card.json that cannot be read (not JSON, unknown or missing keys, wrong value types)."""


@dataclass(frozen=True)
class TestMetrics:
    """The card's "test" section: test-set means in nats per image (vae.core.evaluate.evaluate)."""

    __test__ = False  # not a pytest test class, whatever its name

    recon_nats: float  # −log p(x|z), one posterior sample per image
    kl_nats: float  # KL(q(z|x) ‖ p(z))
    neg_elbo_nats: float  # recon + KL
    mse_per_pixel: float  # of the decoded posterior mean, pixels in [0, 1]
    psnr_db: float
    num_images: int
    neg_elbo_bits_per_dim: float | None = None  # Gaussian decoders: the −ELBO of the 8-bit image in bits/dim
    recon_floor_nats: float | None = None  # Bernoulli decoders: the recon a perfect decoder still pays
    iw_images_neg_elbo_nats: float | None = None  # the −ELBO of the first iw_images images
    iw_bound_nats: float | None = None  # importance-weighted bound on those images (Burda et al., 2016)
    iw_samples: int | None = None
    iw_images: int | None = None

    def __post_init__(self) -> None:
        check_types(self, CardError)

    def to_dict(self) -> dict[str, Any]:
        """The card's "test" object: None values left out."""
        return _without_none(dataclasses.asdict(self))


@dataclass(frozen=True)
class EpochRecord:
    """One row of the card's history: means over the epoch's training batches and over the test set."""

    epoch: int  # 1-based
    train_recon_nats: float
    train_kl_nats: float
    test_recon_nats: float
    test_kl_nats: float
    test_neg_elbo_nats: float
    seconds: float  # wall time of the epoch, evaluation included

    def __post_init__(self) -> None:
        check_types(self, CardError)


@dataclass(frozen=True)
class ModelCard:
    """card.json: the training run, the test metrics of the float16 weights that ship, the per-dimension
    figures and the per-epoch history."""

    # always the current version in memory (a file read is brought up to it), written first, never passed in
    schema_version: int = dataclasses.field(default=CARD_SCHEMA_VERSION, init=False, repr=False)
    name: str  # the model folder's name
    dataset: str
    latent_dim: int
    beta: float
    likelihood: str
    epochs: int  # complete epochs trained
    batch_size: int
    lr: float  # base learning rate (warm-up, then cosine decay)
    seed: int
    device: str  # "cpu" or the GPU's name
    host: str  # platform.machine() of the training host
    torch: str  # torch.__version__
    training_seconds: float
    parameter_count: int
    train_images: int
    test: TestMetrics
    kl_per_dim_nats: list[float]  # (D,) test-set mean KL per latent dimension
    active_units: int  # dimensions with Var_x(μ_d) > 0.01 (vae.core.latent.active_mask)
    history: list[EpochRecord]
    unit_activity: list[float]  # (D,) Var_x(μ_d) over the test set
    likelihood_sigma: float | None = None  # the learned σ of a Gaussian decoder (pixels in [0, 1])

    def __post_init__(self) -> None:
        check_types(self, CardError)

    @classmethod
    def from_dict(cls, data: Any, source: str = "card") -> ModelCard:
        """A card from its JSON object; `source` (the file) starts every error message."""
        version = file_version(data, CARD_SCHEMA_VERSION, source, "card", CardError)
        kwargs = init_kwargs(cls, data, version, source, "card", CardError)
        kwargs["test"] = _build(TestMetrics, kwargs["test"], version, f"{source} (test)", "test")
        if isinstance(kwargs["history"], list):  # anything else is refused by the type check below
            rows = enumerate(kwargs["history"], start=1)
            kwargs["history"] = [_build(EpochRecord, row, version, f"{source} (history row {i})", "history") for i, row in rows]
        try:
            return cls(**kwargs)
        except CardError as err:
            raise CardError(f"{source}: {err}") from None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: schema_version first, fields in declaration order, None values left out."""
        return _without_none(dataclasses.asdict(self))

    @classmethod
    def load(cls, path: str | Path) -> ModelCard:
        path = Path(path)
        return cls.from_dict(read_json(path, "card.json", CardError), source=str(path))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")


def _build(cls: type, data: Any, version: int, source: str, noun: str) -> Any:
    try:
        return cls(**init_kwargs(cls, data, version, source, noun, CardError))
    except CardError as err:
        message = str(err)
        raise CardError(message if message.startswith(source) else f"{source}: {message}") from None


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value
