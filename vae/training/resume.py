"""Resume state of a training run and what Ctrl-C says: the model and Adam state after each complete
epoch in a hidden sibling folder (`.<name>.resume/`), replaced atomically, and the message that
names what was saved and the command line that continues the run."""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import torch
from safetensors.torch import load_file, save_file

from vae.core.checkpoint import atomic_folder, write_json
from vae.core.model import VAE


class TrainingError(RuntimeError):
    """Training cannot start or go on (unwritable output, NaN loss, bad resume state)."""


class LoopState(TypedDict):
    """Where the training loop stands; state.json of the resume state."""

    epoch: int  # complete epochs
    history: list[dict[str, Any]]  # per epoch, the fields of a vae.core.card.EpochRecord
    training_seconds: float
    config: dict[str, Any]  # the run's VAEConfig.to_dict()


@dataclass
class TrainingStatus:
    """How far a run got, for the message on Ctrl-C."""

    saved_epoch: int = 0  # complete epochs held by the resume state (0: none yet)
    stage: str = "setup"  # "setup", "training", "final evaluation", "saved"


def resume_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.resume"


def resume_command(argv: list[str]) -> str:
    """The shell command that continues a run started with `argv`: `vae-explorer train`, the same arguments plus
    --resume. The console script is the one beside this interpreter (a path relative to the working directory
    when it lies below it, as `.venv/bin/vae-explorer`); without one, the package run as a module."""
    script = Path(sys.executable).parent / "vae-explorer"
    if script.exists():
        program = [os.path.relpath(script), "train"]
        if program[0].startswith("..") or os.sep not in program[0]:
            program[0] = str(script)
    else:
        program = [sys.executable, "-m", "vae.training"]
    return shlex.join([*program, *argv, *([] if "--resume" in argv else ["--resume"])])


def interrupt_message(status: TrainingStatus, argv: list[str], *, out: Path, epochs: int, resuming: bool) -> str:
    """What a Ctrl-C left behind and how to go on (printed by vae.training.train's main): `out` the model folder,
    `epochs` the run's epochs, `resuming` whether it was started with --resume."""
    rdir = resume_dir(out)
    if status.stage == "saved":
        return f"interrupted after the model was saved to {out}"
    if status.stage == "final evaluation":
        return (
            f"interrupted during the final evaluation; all {status.saved_epoch} epochs are saved in {rdir}\n"
            f"rerun with --resume to skip straight to the evaluation: {resume_command(argv)}"
        )
    if status.saved_epoch:
        return (
            f"interrupted during epoch {status.saved_epoch + 1} of {epochs}; "
            f"epoch {status.saved_epoch} (the last complete one) is saved in {rdir}\n"
            f"continue with: {resume_command(argv)}"
        )
    if resuming:
        return f"interrupted before a new epoch finished; the resume state in {rdir} is unchanged\ncontinue with: {resume_command(argv)}"
    return "interrupted before the first epoch finished: nothing was saved; start again with the same command"


def save_resume_state(folder: Path, model: VAE, optimizer: torch.optim.Optimizer, state: LoopState) -> None:
    """Model + Adam state as safetensors and the loop state as JSON, replaced atomically."""
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    for i, group_state in enumerate(optimizer.state_dict()["state"].values()):
        for name, value in group_state.items():
            tensors[f"optim.{i}.{name}"] = torch.as_tensor(value).detach().cpu().contiguous().float()
    with atomic_folder(folder) as tmp:
        save_file(tensors, str(tmp / "state.safetensors"))
        write_json(tmp / "state.json", dict(state))


def load_resume_state(folder: Path, model: VAE, optimizer: torch.optim.Optimizer) -> LoopState:
    try:
        state = json.loads((folder / "state.json").read_text())
        tensors = load_file(str(folder / "state.safetensors"))
    except (OSError, ValueError) as err:
        raise TrainingError(f"resume state in {folder} is unreadable ({err}); delete it to start over") from None
    model.load_state_dict({k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")})
    opt_state = optimizer.state_dict()
    for i, pid in enumerate(opt_state["param_groups"][0]["params"]):
        entry = {n: tensors[f"optim.{i}.{n}"] for n in ("step", "exp_avg", "exp_avg_sq") if f"optim.{i}.{n}" in tensors}
        if entry:
            opt_state["state"][pid] = entry
    optimizer.load_state_dict(opt_state)
    return state
