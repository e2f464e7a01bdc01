"""Model folders: config.json + model.safetensors (+ card.json, atlas.safetensors).

Weights are safetensors only (no pickle anywhere), stored in float16 to keep the zoo small and
loaded back as float32. Every write goes to a temporary sibling folder that is renamed into place,
so a crash never leaves a half-written model folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from vae.core.card import CardError, ModelCard
from vae.core.config import ConfigError, VAEConfig
from vae.core.model import VAE

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
ADVERSARIAL_FILE = "adversarial_decoder.safetensors"  # a second decoder, fine-tuned as a GAN generator (vae.training.gan)
CARD_FILE = "card.json"


class CheckpointError(ValueError):
    """A model folder that cannot be loaded; the message says which file and why."""


def load_model(path: str | Path) -> VAE:
    """Load a model folder → VAE in eval mode, on the CPU, in float32 whatever the storage dtype."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"{path}: not a model folder")
    try:
        config = VAEConfig.load(path / CONFIG_FILE)
    except ConfigError as err:
        raise CheckpointError(str(err)) from None
    weights = path / WEIGHTS_FILE
    if not weights.exists():
        raise CheckpointError(f"{weights}: weights file is missing")
    try:
        state = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{weights}: not a valid safetensors file ({err})") from None
    model = VAE(config)
    expected = model.state_dict()
    unknown = sorted(set(state) - set(expected))
    missing = sorted(set(expected) - set(state))
    if unknown or missing:
        raise CheckpointError(f"{weights}: tensors do not match the config (missing {missing[:5]}, unexpected {unknown[:5]})")
    for name, tensor in state.items():
        if tensor.shape != expected[name].shape:
            raise CheckpointError(
                f"{weights}: tensor {name} has shape {tuple(tensor.shape)}, the config needs {tuple(expected[name].shape)}"
            )
        if tensor.dtype not in (torch.float16, torch.bfloat16, torch.float32):
            raise CheckpointError(f"{weights}: tensor {name} has dtype {tensor.dtype}; expected a float type")
        if not torch.isfinite(tensor).all():
            raise CheckpointError(f"{weights}: tensor {name} holds NaN or infinite values")
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def check_weights(path: str | Path, config: VAEConfig) -> None:
    """Cheap validation of a weights file without reading the tensors: a readable safetensors
    header whose tensor names and shapes match the config. Raises CheckpointError."""
    weights = Path(path) / WEIGHTS_FILE
    if not weights.exists():
        raise CheckpointError(f"{weights}: weights file is missing")
    try:
        with safe_open(str(weights), framework="pt") as f:
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{weights}: not a valid safetensors file ({err})") from None
    expected = {k: tuple(v.shape) for k, v in VAE(config).state_dict().items()}
    if set(shapes) != set(expected):
        raise CheckpointError(f"{weights}: tensors do not match the config")
    for k, shape in shapes.items():
        if shape != expected[k]:
            raise CheckpointError(f"{weights}: tensor {k} has shape {shape}, the config needs {expected[k]}")


def load_card(path: str | Path) -> ModelCard | None:
    """The model card (vae.core.card: training run, test metrics, history) of a model folder; None if it has none."""
    card = Path(path) / CARD_FILE
    if not card.exists():
        return None
    try:
        return ModelCard.load(card)
    except CardError as err:
        raise CheckpointError(str(err)) from None


def weights_fp16(model: VAE) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in model.state_dict().items()}


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def atomic_folder(target: Path) -> _AtomicFolder:
    """Context manager: yields a temporary folder beside `target`, renamed onto it on success."""
    return _AtomicFolder(Path(target))


class _AtomicFolder:
    def __init__(self, target: Path):
        self.target = target

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=self.target.parent))
        os.chmod(self.tmp, 0o755)  # mkdtemp makes 0700; a model folder is ordinary shared data
        return self.tmp

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        for f in self.tmp.iterdir():
            os.chmod(f, 0o644)
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            os.replace(self.target, old)
        os.replace(self.tmp, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def save_model(model: VAE, path: str | Path, card: ModelCard | None = None, extra_files: dict[str, Path] | None = None) -> Path:
    """Write config.json, model.safetensors (float16) and card.json (when given) atomically into `path`."""
    path = Path(path)
    with atomic_folder(path) as tmp:
        write_json(tmp / CONFIG_FILE, model.config.to_dict())
        save_file(weights_fp16(model), str(tmp / WEIGHTS_FILE))
        if card is not None:
            card.save(tmp / CARD_FILE)
        for name, src in (extra_files or {}).items():
            shutil.copy2(src, tmp / name)
    return path
