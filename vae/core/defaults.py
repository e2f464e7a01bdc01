"""The defaults of a training run (`vae-explorer train`): the architecture per dataset and the
schedule. They live here, apart from the training loop, so that code describing a run (the lesson's
training command) reads the same values without importing vae/training/train.py."""

from __future__ import annotations

DEFAULT_CHANNELS: dict[str, list[int]] = {"mnist": [32, 64, 128], "celeba": [32, 64, 128, 256]}  # per stride-2 conv
DEFAULT_LIKELIHOOD: dict[str, str] = {"mnist": "bernoulli", "celeba": "gaussian"}
DEFAULT_EPOCHS = 20
DEFAULT_BATCH_SIZE = 128
DEFAULT_LR = 2e-3  # Adam's base learning rate, before warm-up and cosine decay
DEFAULT_SEED = 0
