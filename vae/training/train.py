"""Train a VAE and write a model folder (config.json, model.safetensors, card.json).

    vae-explorer train --dataset mnist --latent-dim 16 --beta 1 --epochs 20 --out models/mnist-z16

The course's dense VAE (784 → 128 ReLU → 2, and back), and the same network as a plain autoencoder
(β = 0: no KL term):

    vae-explorer train --dataset mnist --architecture dense --hidden 128 --latent-dim 2 --out models/mnist-dense-z2

Data-parallel on several processes (torch.distributed DistributedDataParallel: gloo on CPUs, NCCL
on GPUs; several machines through torchrun's rendezvous), with the same arguments, torchrun starting the
package vae.training as a module:

    torchrun --standalone --nproc_per_node=4 -m vae.training --dataset celeba --latent-dim 64 --out models/celeba-z64

--batch-size is the global batch, split evenly over the processes; each step averages the
gradients of all of them, so N processes train the same model as one process with that batch.

Each epoch ends with test metrics and a resume state in a hidden sibling folder
(`.<name>.resume/`); `--resume` continues from the last complete epoch. The model folder itself
is written once, atomically, at the end. Ctrl-C exits with status 130 and says what was saved and
the command line that continues the run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from vae.core.card import EpochRecord, ModelCard
from vae.core.checkpoint import save_model
from vae.core.config import ARCHITECTURES, ConfigError, VAEConfig
from vae.core.defaults import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LR, DEFAULT_SEED
from vae.core.evaluate import card_sections, evaluate
from vae.core.model import VAE, VAEOutput
from vae.data.command_line import command_parser
from vae.data.datasets import load_split, to_tensor
from vae.training.resume import (
    LoopState,
    TrainingError,
    TrainingStatus,
    interrupt_message,
    load_resume_state,
    resume_dir,
    save_resume_state,
)
from vae.training.settings import TrainSettings, config_of


def lr_at(step: int, total_steps: int, base_lr: float, warmup: int = 200) -> float:
    """Linear warm-up, then cosine decay to 5 % of the base learning rate."""
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
    return base_lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def check_output_writable(out: Path, needed_bytes: int) -> None:
    """Fail before training if the output folder cannot be written or the disk is nearly full."""
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = parent / f".write-test-{os.getpid()}"
        probe.write_bytes(b"x")
        probe.unlink()
    except OSError as err:
        raise TrainingError(f"cannot write to {parent}: {err.strerror or err}") from None
    free = shutil.disk_usage(parent).free
    if free < needed_bytes:
        raise TrainingError(f"not enough disk space in {parent}: {free / 1e6:.1f} MB free, about {needed_bytes / 1e6:.1f} MB needed")


@dataclass(frozen=True)
class Ranks:
    """Where this process sits in a data-parallel run (torchrun's RANK, LOCAL_RANK, WORLD_SIZE); one
    process: rank 0 of 1."""

    rank: int = 0
    local_rank: int = 0
    world: int = 1

    @classmethod
    def from_env(cls) -> Ranks:
        return cls(int(os.environ.get("RANK", 0)), int(os.environ.get("LOCAL_RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)))

    @property
    def main(self) -> bool:
        return self.rank == 0

    def mine(self, batch: torch.Tensor) -> torch.Tensor:
        """This process's share of a global batch (every world-th row from its rank)."""
        return batch[self.rank :: self.world]


@dataclass(kw_only=True)
class Run:
    """What a training run works with, built once by set_up."""

    ranks: Ranks
    device: torch.device
    config: VAEConfig
    model: VAE  # the weights that are evaluated and saved
    trainer: torch.nn.Module  # the model itself, or the model in DistributedDataParallel
    optimizer: torch.optim.Optimizer
    x_train: np.ndarray  # uint8 training images
    x_test: torch.Tensor  # (N, C, H, W) test images in [0, 1]


def train(settings: TrainSettings, status: TrainingStatus | None = None) -> Path:
    """Train, evaluate and write the model folder; `status` follows the progress (for Ctrl-C). Every process
    of a data-parallel run calls it; the first one evaluates and writes."""
    status = status if status is not None else TrainingStatus()
    run = set_up(settings)
    state = restore(settings, run, status)
    train_epochs(settings, run, state, status)
    if run.ranks.world > 1:
        same = identical_on_all_ranks(run.model, run.device)
        if not run.ranks.main:
            return settings.out
        print(f"{run.ranks.world} processes: identical weights on every rank ({same})", file=sys.stderr, flush=True)
    return write(settings, run, state, status)


def set_up(settings: TrainSettings) -> Run:
    """Seed, device and process group, the model (the same initial weights on every rank: the same seed),
    its optimizer, and the train and test images; fails early when the output cannot be written."""
    ranks = Ranks.from_env()
    torch.manual_seed(settings.seed)
    device = start_processes(settings, ranks)
    config = config_of(settings)
    model = VAE(config).to(device)
    if ranks.main:
        check_output_writable(settings.out, needed_bytes=20 * model.num_parameters() + 50_000_000)
    trainer: torch.nn.Module = model
    if ranks.world > 1:
        from torch.nn.parallel import DistributedDataParallel

        trainer = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)

    print(f"loading the {settings.dataset} train and test splits…", file=sys.stderr, flush=True)
    x_train, _ = load_split(settings.dataset, "train")
    x_test, _ = load_split(settings.dataset, "test")
    if settings.train_limit:
        x_train = x_train[: settings.train_limit]
    if settings.test_limit:
        x_test = x_test[: settings.test_limit]
    return Run(
        ranks=ranks,
        device=device,
        config=config,
        model=model,
        trainer=trainer,
        optimizer=optimizer,
        x_train=x_train,
        x_test=to_tensor(x_test),
    )


def start_processes(settings: TrainSettings, ranks: Ranks) -> torch.device:
    """CPU threads and the device of this process; in a data-parallel run, its GPU and the process group
    (NCCL on GPUs, gloo on CPUs)."""
    if settings.threads:
        torch.set_num_threads(settings.threads)
    elif ranks.world > 1 and settings.device in ("auto", "cpu") and not torch.cuda.is_available():
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // ranks.world))  # the processes share the cores
    device = torch.device(
        "cuda" if settings.device == "auto" and torch.cuda.is_available() else ("cpu" if settings.device == "auto" else settings.device)
    )
    if ranks.world > 1:
        if settings.batch_size % ranks.world:
            raise TrainingError(f"--batch-size {settings.batch_size} does not split evenly over {ranks.world} processes")
        if device.type == "cuda":
            device = torch.device("cuda", ranks.local_rank)
            torch.cuda.set_device(device)
        if settings.resume:
            raise TrainingError("--resume is for one process; resume a data-parallel run with one process, or start it again")
        import torch.distributed as dist

        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def restore(settings: TrainSettings, run: Run, status: TrainingStatus) -> LoopState:
    """The loop state to start from (epoch, history, training_seconds, config): with --resume, the saved one,
    its weights and Adam state loaded into the run; otherwise a fresh one, any old resume state removed."""
    state: LoopState = {"epoch": 0, "history": [], "training_seconds": 0.0, "config": run.config.to_dict()}
    rdir = resume_dir(settings.out)
    if not settings.resume:
        if rdir.exists() and run.ranks.main:
            shutil.rmtree(rdir)
        if run.ranks.main:
            replay_frames_path(settings.out).unlink(missing_ok=True)
        return state
    if not (rdir / "state.json").exists():
        raise TrainingError(f"--resume: no resume state at {rdir}; start without --resume")
    state = load_resume_state(rdir, run.model, run.optimizer)
    status.saved_epoch = state["epoch"]
    try:
        same = VAEConfig.from_dict(state["config"], source=str(rdir / "state.json")) == run.config
    except ConfigError:
        same = False
    if not same:
        raise TrainingError(f"--resume: the saved run has config {state['config']}, this command asks for {run.config.to_dict()}")
    print(f"resuming after epoch {state['epoch']} of {settings.epochs}")
    return state


def replay_frames_path(out: Path) -> Path:
    """Where a run that records its replay keeps the frames so far: beside its resume state."""
    folder = resume_dir(out)
    return folder.with_name(folder.name + "-replay.npy")


def record_frame(run: Run, out: Path, epoch: int) -> None:
    """The replay's frame after `epoch` (vae.training.replay), added to the frames of epochs 1 … epoch − 1
    kept beside the resume state (a resumed run goes on from the saved ones)."""
    from vae.training.replay import frame, replay_rows

    path = replay_frames_path(out)
    new = frame(run.model, run.x_test[replay_rows(len(run.x_test))])[None]
    frames = np.concatenate([np.load(path)[: epoch - 1], new]) if path.exists() and epoch > 1 else new
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, frames)
    tmp.replace(path)


def train_epochs(
    settings: TrainSettings, run: Run, state: LoopState, status: TrainingStatus, on_epoch: Callable[[Run, LoopState], None] | None = None
) -> None:
    """The epochs after the restored state. After each, the first process evaluates on the test images and
    saves the resume state; the others go on with the next epoch."""
    steps_per_epoch = len(run.x_train) // settings.batch_size
    if steps_per_epoch == 0:
        raise TrainingError(f"batch size {settings.batch_size} is larger than the training set ({len(run.x_train)} images)")
    total_steps = steps_per_epoch * settings.epochs
    status.stage = "training"
    bar = tqdm(
        total=total_steps,
        initial=state["epoch"] * steps_per_epoch,
        unit="batch",
        dynamic_ncols=True,
        file=sys.stderr,
        mininterval=2.0,
        disable=not run.ranks.main,  # one progress bar, the first process's
    )
    with bar:  # closed on Ctrl-C too, so the message starts on a fresh line
        for epoch in range(state["epoch"], settings.epochs):
            t0 = time.time()
            means = run_epoch(
                run.trainer,
                run.optimizer,
                run.x_train,
                epoch,
                settings,
                total_steps=total_steps,
                device=run.device,
                ranks=run.ranks,
                on_step=partial(show_step, bar),
            )
            state["epoch"] = epoch + 1
            if run.ranks.main:
                record_epoch(run, state, {"epoch": epoch + 1, **means}, bar=bar, started=t0, epochs=settings.epochs)
                if settings.replay:
                    record_frame(run, settings.out, epoch + 1)
                save_resume_state(resume_dir(settings.out), run.model, run.optimizer, state)
                status.saved_epoch = state["epoch"]
                if on_epoch is not None:
                    on_epoch(run, state)


def run_epoch(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    x_train: np.ndarray,
    epoch: int,
    settings: TrainSettings,
    *,
    total_steps: int,
    device: torch.device,
    ranks: Ranks = Ranks(),
    on_step: Callable[[VAEOutput], None] | None = None,
) -> dict[str, float]:
    """One pass over the training images in an order drawn from the seed and the epoch; `on_step` sees each
    step's output. Returns the epoch's train_recon_nats and train_kl_nats, means over every rank's images."""
    model.train()
    gen = torch.Generator().manual_seed(settings.seed * 100_003 + epoch)
    order = torch.randperm(len(x_train), generator=gen)
    steps_per_epoch = len(x_train) // settings.batch_size
    sums = {"recon_nats": 0.0, "kl_nats": 0.0, "n": 0}
    for step in range(steps_per_epoch):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(epoch * steps_per_epoch + step, total_steps, settings.lr)
        rows = order[step * settings.batch_size : (step + 1) * settings.batch_size]
        flip = torch.rand(len(rows), generator=gen) < 0.5  # drawn for the global batch: the same on every rank
        xb = to_tensor(x_train[ranks.mine(rows)]).to(device)
        if settings.dataset == "celeba":  # random horizontal flips: faces are left-right symmetric
            flip = ranks.mine(flip).to(device)
            xb[flip] = xb[flip].flip(-1)
        out = model(xb, generator=None)
        loss = out.loss.mean()
        if not torch.isfinite(loss):
            raise TrainingError(
                f"loss became {loss.item()} at epoch {epoch + 1}, step {step + 1}; "
                f"lower the learning rate (--lr, now {settings.lr}) or β and start again"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1000.0)
        optimizer.step()
        sums["recon_nats"] += out.recon_nats.detach().sum()
        sums["kl_nats"] += out.kl_nats.detach().sum()
        sums["n"] += len(xb)
        if on_step is not None:
            on_step(out)
    recon, kl, n = _summed_over_ranks([sums["recon_nats"], sums["kl_nats"], sums["n"]], ranks, device)
    return {"train_recon_nats": recon / n, "train_kl_nats": kl / n}


def _summed_over_ranks(values: list, ranks: Ranks, device: torch.device) -> list[float]:
    """Each value summed over the processes of a data-parallel run (as it is in a single process), float64."""
    totals = torch.tensor([float(v) for v in values], dtype=torch.float64)
    if ranks.world > 1:
        import torch.distributed as dist

        totals = totals.to(device)
        dist.all_reduce(totals)
        totals = totals.cpu()
    return totals.tolist()


def show_step(bar: tqdm, out: VAEOutput) -> None:
    """The progress bar after one training step: the batch's mean loss, recon and KL, nats per image."""
    bar.set_postfix(
        loss=f"{out.loss.mean().item():.1f}",
        recon=f"{out.recon_nats.mean().item():.1f}",
        kl=f"{out.kl_nats.mean().item():.1f}",
        refresh=False,
    )
    bar.update(1)


def record_epoch(run: Run, state: LoopState, row: dict, *, bar: tqdm, started: float, epochs: int) -> None:
    """The test metrics of the epoch that ends now, added to `row` and to the state's history, and shown."""
    run.model.eval()
    bar.set_postfix_str(f"evaluating on {len(run.x_test)} test images")
    test = evaluate(run.model, run.x_test)
    row.update(
        test_recon_nats=test["recon_nats"],
        test_kl_nats=test["kl_nats"],
        test_neg_elbo_nats=test["neg_elbo_nats"],
        seconds=round(time.time() - started, 1),
    )
    state["history"].append(row)
    state["training_seconds"] += time.time() - started
    bar.set_postfix_str(f"test −ELBO {test['neg_elbo_nats']:.1f}", refresh=False)
    bar.write(
        f"epoch {row['epoch']}/{epochs}: train recon {row['train_recon_nats']:.2f} kl {row['train_kl_nats']:.2f} | "
        f"test recon {test['recon_nats']:.2f} kl {test['kl_nats']:.2f} −ELBO {test['neg_elbo_nats']:.2f} nats, "
        f"PSNR {test['psnr_db']:.2f} dB ({row['seconds']:.0f} s)"
    )


def write(settings: TrainSettings, run: Run, state: LoopState, status: TrainingStatus) -> Path:
    """The final evaluation of the float16 weights that ship, then the model folder, written atomically; the
    resume state is removed once the folder is in place."""
    status.stage = "final evaluation"
    print(f"final evaluation of the float16 weights on {len(run.x_test)} test images…", file=sys.stderr, flush=True)
    model = run.model.eval().to("cpu")
    # The folder stores float16 weights: evaluate exactly what ships, so the card matches a reload.
    model.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    iw = settings.iw_samples if settings.dataset == "mnist" else 0
    metrics = evaluate(model, run.x_test, iw_samples=iw, iw_images=settings.iw_images, progress=True)
    card = model_card(settings, run, state, metrics)
    replay = replay_frames_path(settings.out)
    frames = np.load(replay) if settings.replay and replay.exists() else None
    save_model(model, settings.out, card)
    if frames is not None:
        from vae.training.replay import replay_rows, save_replay

        save_replay(settings.out, frames, replay_rows(len(run.x_test)))
        replay.unlink()
    status.stage = "saved"
    shutil.rmtree(resume_dir(settings.out), ignore_errors=True)
    print(json.dumps({"out": str(settings.out), **card.test.to_dict()}, indent=None))
    return settings.out


def model_card(settings: TrainSettings, run: Run, state: LoopState, metrics: dict) -> ModelCard:
    """The card of the finished run: its settings, where it ran, its history and the final test metrics."""
    test, per_dim = card_sections(metrics)
    device = str(run.device) if run.device.type == "cpu" else torch.cuda.get_device_name(run.device)
    return ModelCard(
        name=settings.out.name,
        dataset=settings.dataset,
        latent_dim=run.config.latent_dim,
        beta=run.config.beta,
        likelihood=run.config.likelihood,
        epochs=state["epoch"],
        batch_size=settings.batch_size,
        lr=settings.lr,
        seed=settings.seed,
        device=f"{run.ranks.world} × {device}" if run.ranks.world > 1 else device,
        host=platform.machine(),
        torch=torch.__version__,
        training_seconds=round(state["training_seconds"], 1),
        parameter_count=run.model.num_parameters(),
        train_images=len(run.x_train),
        test=test,
        **per_dim,  # kl_per_dim_nats, unit_activity, active_units
        history=[EpochRecord(**row) for row in state["history"]],
        likelihood_sigma=None if run.model.log_sigma is None else float(run.model.log_sigma.exp()),
    )


def identical_on_all_ranks(model: torch.nn.Module, device: torch.device) -> str:
    """A checksum of the weights, compared across the processes of a data-parallel run; TrainingError
    when they differ (they must not: every rank applies the same averaged gradients)."""
    import hashlib

    import torch.distributed as dist

    digest = hashlib.sha256(b"".join(p.detach().cpu().numpy().tobytes() for p in model.parameters())).hexdigest()
    mine = torch.tensor([int(digest[:15], 16)], dtype=torch.int64, device=device)
    every = [torch.zeros_like(mine) for _ in range(dist.get_world_size())]
    dist.all_gather(every, mine)
    if len({int(t) for t in every}) != 1:
        raise TrainingError(f"the processes hold different weights after training: {[f'{int(t):x}' for t in every]}")
    return f"sha256 {digest[:15]}"


EXAMPLES = (
    "vae-explorer train --dataset mnist --latent-dim 16 --epochs 20 --out models/mnist-z16",
    "vae-explorer train --dataset mnist --architecture dense --hidden 128 --latent-dim 2 --out models/mnist-dense-z2",
    "vae-explorer train --dataset mnist --latent-dim 16 --epochs 20 --out models/mnist-z16 --resume   # after Ctrl-C",
    "torchrun --standalone --nproc_per_node=2 -m vae.training --dataset mnist --out models/mnist-z16  # 2 processes",
)


def build_parser() -> argparse.ArgumentParser:
    p = command_parser("train", "Train a VAE (convolutional or dense) on MNIST or CelebA 64×64 and write a model folder.", EXAMPLES)
    p.add_argument("--dataset", choices=["mnist", "celeba"], required=True)
    p.add_argument("--latent-dim", type=int, default=16)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    p.add_argument("--out", type=Path, required=True, help="model folder to write, e.g. models/mnist-z16")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    p.add_argument("--lr", type=float, default=DEFAULT_LR)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--device", default="auto", help="auto (GPU when present), cpu, cuda, cuda:1, ...")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    p.add_argument("--architecture", choices=list(ARCHITECTURES), default="conv", help="conv (default) or dense (the course's MLP)")
    p.add_argument("--channels", type=int, nargs="+", default=None, help="encoder channels per stride-2 conv (conv only)")
    p.add_argument(
        "--hidden",
        type=int,
        default=0,
        help="conv: width of a hidden dense layer around the code (0: none); dense: the hidden ReLU layer's width",
    )
    p.add_argument("--res-blocks", type=int, default=0, help="residual blocks after each upsampling step of the decoder (0: none)")
    p.add_argument("--likelihood", choices=["bernoulli", "gaussian"], default=None)
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last complete epoch")
    p.add_argument("--iw-samples", type=int, default=500, help="importance samples per image for the IW bound (MNIST)")
    p.add_argument("--iw-images", type=int, default=1000, help="test images for the IW bound")
    p.add_argument("--train-limit", type=int, default=0, help="use only the first N training images (smoke tests)")
    p.add_argument("--test-limit", type=int, default=0, help="use only the first N test images (smoke tests)")
    p.add_argument("--replay", action="store_true", help="record the test map after every epoch (replay.safetensors, vae.training.replay)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    settings = TrainSettings(**vars(build_parser().parse_args(argv)))
    if settings.epochs < 1 or settings.batch_size < 1 or not settings.lr > 0:
        print("error: --epochs, --batch-size and --lr must be positive", file=sys.stderr)
        return 2
    status = TrainingStatus()
    try:
        train(settings, status)
    except (TrainingError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(interrupt_message(status, argv, out=settings.out, epochs=settings.epochs, resuming=settings.resume), file=sys.stderr)
        return 130  # 128 + SIGINT, what a shell reports for Ctrl-C
    finally:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
