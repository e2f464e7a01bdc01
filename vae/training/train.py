"""Train a VAE and write a model folder (config.json, model.safetensors, card.json).

    python -m vae.training.train --dataset mnist --latent-dim 16 --beta 1 --epochs 20 --out models/mnist-z16

The course's dense VAE (784 → 128 ReLU → 2, and back), and the same network as a plain autoencoder
(β = 0: no KL term):

    python -m vae.training.train --dataset mnist --architecture dense --hidden 128 --latent-dim 2 --out models/mnist-dense-z2

Data-parallel on several processes (torch.distributed DistributedDataParallel: gloo on CPUs, NCCL
on GPUs; several machines through torchrun's rendezvous), with the same arguments:

    torchrun --nproc_per_node=4 -m vae.training.train --dataset celeba --latent-dim 64 --out models/celeba-z64

--batch-size is the global batch, split evenly over the processes; each step averages the
gradients of all of them, so N processes train the same model as one process with that batch.

Each epoch ends with test metrics and a resume state in a hidden sibling folder
(`.<name>.resume/`); `--resume` continues from the last complete epoch. The model folder itself
is written once, atomically, at the end. Ctrl-C exits with status 130 and says what was saved and
the command line that continues the run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from vae.core.card import EpochRecord, ModelCard
from vae.core.checkpoint import save_model
from vae.core.config import ARCHITECTURES, ConfigError, VAEConfig
from vae.core.defaults import DEFAULT_BATCH_SIZE, DEFAULT_CHANNELS, DEFAULT_EPOCHS, DEFAULT_LIKELIHOOD, DEFAULT_LR, DEFAULT_SEED
from vae.core.evaluate import card_sections, evaluate
from vae.core.model import VAE
from vae.data.datasets import load_split, to_tensor
from vae.training.resume import TrainingError, TrainingStatus, interrupt_message, load_resume_state, resume_dir, save_resume_state


@dataclass(frozen=True)
class TrainSettings:
    """One training run, as asked on the command line (build_parser holds the defaults and help)."""

    dataset: str  # "mnist" or "celeba"
    out: Path  # the model folder to write
    latent_dim: int
    beta: float
    epochs: int
    batch_size: int
    lr: float  # base learning rate: linear warm-up, then cosine decay (lr_at)
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

    def mine(self, batch):
        """This process's share of a global batch (every world-th row from its rank)."""
        return batch[self.rank :: self.world]


def run_epoch(model, optimizer, x_train, epoch, settings: TrainSettings, *, total_steps: int, device, bar, ranks: Ranks = Ranks()) -> dict:
    model.train()
    gen = torch.Generator().manual_seed(settings.seed * 100_003 + epoch)
    order = torch.randperm(len(x_train), generator=gen)
    steps_per_epoch = len(x_train) // settings.batch_size
    sums = {"recon_nats": 0.0, "kl_nats": 0.0, "n": 0}
    for step in range(steps_per_epoch):
        global_step = epoch * steps_per_epoch + step
        for group in optimizer.param_groups:
            group["lr"] = lr_at(global_step, total_steps, settings.lr)
        rows = order[step * settings.batch_size : (step + 1) * settings.batch_size]
        flip = torch.rand(len(rows), generator=gen) < 0.5  # drawn for the global batch: the same on every rank
        xb = to_tensor(x_train[ranks.mine(rows)]).to(device)
        if settings.dataset == "celeba":  # random horizontal flips: faces are left-right symmetric
            flip = ranks.mine(flip).to(device)
            xb[flip] = xb[flip].flip(-1)
        out = model(xb, generator=None)
        loss = out["loss"].mean()
        if not torch.isfinite(loss):
            raise TrainingError(
                f"loss became {loss.item()} at epoch {epoch + 1}, step {step + 1}; "
                f"lower the learning rate (--lr, now {settings.lr}) or β and start again"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1000.0)
        optimizer.step()
        sums["recon_nats"] += out["recon_nats"].detach().sum()
        sums["kl_nats"] += out["kl_nats"].detach().sum()
        sums["n"] += len(xb)
        bar.set_postfix(
            loss=f"{loss.item():.1f}",
            recon=f"{out['recon_nats'].mean().item():.1f}",
            kl=f"{out['kl_nats'].mean().item():.1f}",
            refresh=False,
        )
        bar.update(1)
    totals = torch.tensor([float(sums["recon_nats"]), float(sums["kl_nats"]), float(sums["n"])], dtype=torch.float64)
    if ranks.world > 1:  # the epoch's means over every rank's images
        import torch.distributed as dist

        totals = totals.to(device)
        dist.all_reduce(totals)
        totals = totals.cpu()
    recon, kl, n = totals.tolist()
    return {"train_recon_nats": recon / n, "train_kl_nats": kl / n}


def train(settings: TrainSettings, status: TrainingStatus | None = None) -> Path:
    """Train, evaluate and write the model folder; `status` follows the progress (for Ctrl-C)."""
    status = status if status is not None else TrainingStatus()
    out = settings.out
    ranks = Ranks.from_env()
    torch.manual_seed(settings.seed)
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
    config = config_of(settings)
    model = VAE(config).to(device)  # the same initial weights on every rank (the same seed)
    if ranks.main:
        check_output_writable(out, needed_bytes=20 * model.num_parameters() + 50_000_000)
    trainer = model
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
    x_test_t = to_tensor(x_test)

    state = {"epoch": 0, "history": [], "training_seconds": 0.0, "config": config.to_dict()}
    rdir = resume_dir(out)
    if settings.resume:
        if not (rdir / "state.json").exists():
            raise TrainingError(f"--resume: no resume state at {rdir}; start without --resume")
        state = load_resume_state(rdir, model, optimizer)
        status.saved_epoch = state["epoch"]
        try:
            same = VAEConfig.from_dict(state["config"], source=str(rdir / "state.json")) == config
        except ConfigError:
            same = False
        if not same:
            raise TrainingError(f"--resume: the saved run has config {state['config']}, this command asks for {config.to_dict()}")
        print(f"resuming after epoch {state['epoch']} of {settings.epochs}")
    elif rdir.exists() and ranks.main:
        shutil.rmtree(rdir)

    steps_per_epoch = len(x_train) // settings.batch_size
    if steps_per_epoch == 0:
        raise TrainingError(f"batch size {settings.batch_size} is larger than the training set ({len(x_train)} images)")
    total_steps = steps_per_epoch * settings.epochs
    status.stage = "training"
    bar = tqdm(
        total=total_steps,
        initial=state["epoch"] * steps_per_epoch,
        unit="batch",
        dynamic_ncols=True,
        file=sys.stderr,
        mininterval=2.0,
        disable=not ranks.main,  # one progress bar, the first process's
    )
    with bar:  # closed on Ctrl-C too, so the message starts on a fresh line
        for epoch in range(state["epoch"], settings.epochs):
            t0 = time.time()
            row = {
                "epoch": epoch + 1,
                **run_epoch(trainer, optimizer, x_train, epoch, settings, total_steps=total_steps, device=device, bar=bar, ranks=ranks),
            }
            if not ranks.main:  # the first process evaluates and saves; the others go on with the next epoch
                state["epoch"] = epoch + 1
                continue
            model.eval()
            bar.set_postfix_str(f"evaluating on {len(x_test_t)} test images")
            test = evaluate(model, x_test_t)
            row.update(
                test_recon_nats=test["recon_nats"],
                test_kl_nats=test["kl_nats"],
                test_neg_elbo_nats=test["neg_elbo_nats"],
                seconds=round(time.time() - t0, 1),
            )
            state["history"].append(row)
            state["epoch"] = epoch + 1
            state["training_seconds"] += time.time() - t0
            bar.set_postfix_str(f"test −ELBO {test['neg_elbo_nats']:.1f}", refresh=False)
            bar.write(
                f"epoch {epoch + 1}/{settings.epochs}: train recon {row['train_recon_nats']:.2f} kl {row['train_kl_nats']:.2f} | "
                f"test recon {test['recon_nats']:.2f} kl {test['kl_nats']:.2f} −ELBO {test['neg_elbo_nats']:.2f} nats, "
                f"PSNR {test['psnr_db']:.2f} dB ({row['seconds']:.0f} s)"
            )
            save_resume_state(rdir, model, optimizer, state)
            status.saved_epoch = state["epoch"]

    if ranks.world > 1:
        same = identical_on_all_ranks(model, device)
        if ranks.main:
            print(f"{ranks.world} processes: identical weights on every rank ({same})", file=sys.stderr, flush=True)
        if not ranks.main:
            return out
    status.stage = "final evaluation"
    print(f"final evaluation of the float16 weights on {len(x_test_t)} test images…", file=sys.stderr, flush=True)
    model.eval()
    model_cpu = model.to("cpu")
    # The folder stores float16 weights: evaluate exactly what ships, so the card matches a reload.
    model_cpu.load_state_dict({k: v.half().float() for k, v in model_cpu.state_dict().items()})
    iw = settings.iw_samples if settings.dataset == "mnist" else 0
    metrics = evaluate(model_cpu, x_test_t, iw_samples=iw, iw_images=settings.iw_images, progress=True)
    test, per_dim = card_sections(metrics)
    card = ModelCard(
        name=out.name,
        dataset=settings.dataset,
        latent_dim=config.latent_dim,
        beta=config.beta,
        likelihood=config.likelihood,
        epochs=state["epoch"],
        batch_size=settings.batch_size,
        lr=settings.lr,
        seed=settings.seed,
        device=str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        host=platform.machine(),
        torch=torch.__version__,
        training_seconds=round(state["training_seconds"], 1),
        parameter_count=model_cpu.num_parameters(),
        train_images=len(x_train),
        test=test,
        **per_dim,  # kl_per_dim_nats, unit_activity, active_units
        history=[EpochRecord(**row) for row in state["history"]],
        likelihood_sigma=None if model_cpu.log_sigma is None else float(model_cpu.log_sigma.exp()),
    )
    card_note = {"device": f"{ranks.world} × {card.device}"} if ranks.world > 1 else {}
    if card_note:
        card = dataclasses.replace(card, **card_note)
    save_model(model_cpu, out, card)
    status.stage = "saved"
    shutil.rmtree(rdir, ignore_errors=True)
    print(json.dumps({"out": str(out), **test.to_dict()}, indent=None))
    return out


def identical_on_all_ranks(model, device) -> str:
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vae.training.train", description="Train a VAE (convolutional or dense) on MNIST or CelebA 64×64."
    )
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
