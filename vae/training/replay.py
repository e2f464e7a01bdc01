"""Training replays: the test map after every epoch of a training run (replay.safetensors beside the
weights), so that a class can watch a latent space form, as GAN Lab shows a GAN learn.

    vae-explorer train ... --replay                       # record while training
    vae-explorer replay models/mnist-dense-z2             # record a shipped model's training again

A frame is the posterior means μ of a fixed sample of REPLAY_POINTS test images (drawn once from
REPLAY_SEED), after one epoch: the raw (z₁, z₂) map for a 2-D latent space, else the 2-D PCA of that
epoch's μ (signs fixed as LatentPCA fixes them). Frames are float16 (E, P, 2); the test rows are
stored with them; the curves come from the model card's history. Encoding the sample draws nothing from
the training's random streams: a run records the same weights with or without --replay.

`vae-explorer replay` (vae.training.rerun) trains the model again from its card's settings (the same seed) into a scratch
folder with --replay, and keeps the recording only when the weights it ends with are bit for bit the
shipped ones: then the replay is the shipped model's own training.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

from vae.artifacts.projection import LatentPCA
from vae.core.checkpoint import WEIGHTS_FILE, CheckpointError
from vae.core.derived import file_sha256, read_derived, refuse_other_weights
from vae.core.model import VAE

REPLAY_FILE = "replay.safetensors"
REPLAY_POINTS = 2000
REPLAY_SEED = 0


@dataclass(frozen=True)
class Replay:
    """The test map after each epoch: frames[e] is the map after epoch e + 1."""

    frames: np.ndarray  # (E, P, 2) float32 (stored float16)
    test_index: np.ndarray  # (P,) rows of the test split
    map_kind: str  # "raw" or "pca"

    @property
    def epochs(self) -> int:
        return len(self.frames)


def replay_rows(n_test: int, points: int = REPLAY_POINTS) -> np.ndarray:
    """The test rows a replay follows: a fixed sample, ascending."""
    rng = np.random.default_rng(REPLAY_SEED)
    return np.sort(rng.choice(n_test, min(points, n_test), replace=False))


@torch.inference_mode()
def frame(model: VAE, images: torch.Tensor) -> np.ndarray:
    """(P, 2) float16: the map of these test images' μ under the model as it is now."""
    was_training = model.training
    model.eval()
    try:
        mean = torch.cat([model.encode(images[i : i + 500]).mean for i in range(0, len(images), 500)]).double().numpy()
    finally:
        model.train(was_training)
    if mean.shape[1] == 2:
        return mean.astype(np.float16)
    return LatentPCA(2).fit(mean).transform(mean).astype(np.float16)


def save_replay(model_dir: Path, frames: np.ndarray, test_index: np.ndarray) -> Path:
    """Write replay.safetensors for the weights now in the folder (their sha256 in its metadata)."""
    model_dir = Path(model_dir)
    frames = np.asarray(frames, np.float16)
    out = model_dir / REPLAY_FILE
    tmp = model_dir / f".{REPLAY_FILE}.tmp"
    meta = {
        "weights_sha256": file_sha256(model_dir / WEIGHTS_FILE),
        "map": "raw" if frames.shape[-1] == 2 and _raw(model_dir) else "pca",
        "points": str(frames.shape[1]),
        "seed": str(REPLAY_SEED),
    }
    save_file({"frames": frames, "test_index": np.asarray(test_index, np.int32)}, str(tmp), metadata=meta)
    os.chmod(tmp, 0o644)
    tmp.replace(out)
    return out


def _raw(model_dir: Path) -> bool:
    from vae.core.config import VAEConfig

    return VAEConfig.load(model_dir / "config.json").latent_dim == 2


def load_replay(model_dir: str | Path) -> Replay:
    """The model's replay; CheckpointError when it is missing, damaged or from other weights."""
    model_dir = Path(model_dir)
    path = model_dir / REPLAY_FILE
    rebuild = f"record it with `vae-explorer replay {model_dir}`"
    meta, arrays = read_derived(path, "training replay", rebuild)
    refuse_other_weights(model_dir, path, meta, rebuild)
    frames, rows = arrays.get("frames"), arrays.get("test_index")
    if frames is None or rows is None or frames.ndim != 3 or frames.shape[2] != 2 or frames.shape[1] != len(rows):
        raise CheckpointError(f"{path}: not a training replay (frames (E, P, 2) and test_index (P,)); {rebuild}")
    return Replay(frames.astype(np.float32), rows.astype(np.int64), meta.get("map", "raw"))
