"""Files derived from a model's weights and stored beside them (atlas.safetensors,
directions.safetensors): read with a clear error, and refused when stale — each carries the sha256
of the weights it was made from, and a retrained model makes it stale."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open

from vae.core.checkpoint import WEIGHTS_FILE, CheckpointError
from vae.data.datasets import DataError


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def weights_sha256(model_dir: Path) -> str:
    """The hash a derived file of this model folder stores (its weights file's sha256)."""
    return file_sha256(Path(model_dir) / WEIGHTS_FILE)


def read_derived(path: Path, what: str, rebuild: str) -> tuple[dict, dict[str, np.ndarray]]:
    """(metadata, arrays) of a derived safetensors file; CheckpointError naming the file, what it is
    and the command that rebuilds it when it is missing or unreadable."""
    if not path.exists():
        raise CheckpointError(f"{path}: {what} missing; {rebuild}")
    try:
        with safe_open(str(path), framework="np") as f:
            return dict(f.metadata() or {}), {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{path}: not a valid {what} ({err}); {rebuild}") from None


def refuse_other_weights(model_dir: Path, path: Path, meta: dict, rebuild: str) -> None:
    """CheckpointError when the file was made from other weights than the folder's (a retrain)."""
    weights = Path(model_dir) / WEIGHTS_FILE
    if weights.exists() and meta.get("weights_sha256", "") != file_sha256(weights):
        raise CheckpointError(f"{path}: made from other weights than {weights} (the model was retrained); {rebuild}")


def build_each(model_dirs: Iterable[Path], build: Callable[[Path], object]) -> int:
    """The command line of a derived file: build(model_dir) for each folder; an error is printed with
    its folder and the other folders go on. → the exit status (1 when any failed)."""
    status = 0
    for model_dir in model_dirs:
        try:
            build(model_dir)
        except (CheckpointError, DataError, OSError, ValueError) as err:
            print(f"error: {model_dir}: {err}", file=sys.stderr)
            status = 1
    return status
