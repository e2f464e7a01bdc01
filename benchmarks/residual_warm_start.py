"""Can residual blocks lift the shipped celeba-z64 cheaply? One identity-initialised residual block
(vae.core.architectures.conv.ResBlock) after each upsampling step of its decoder but the last (8, 16, 32 px), so the
network starts at exactly the shipped model's PSNR, then fine-tuned on the CelebA training split
with the training loss (−ELBO, β of the model), Adam and a cosine schedule; test PSNR after each epoch.

    python -m benchmarks.residual_warm_start --epochs 12 --lr 3e-4

An experiment for the README ("Not done: a stronger celeba-z64"); it writes no model folder.
Log: logs/residual_warm_start.txt (or --log).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch

from vae.core.architectures.conv import ResBlock
from vae.core.checkpoint import load_model
from vae.data.datasets import load_split, to_tensor
from vae.training.train import lr_at

REPO = Path(__file__).resolve().parent.parent


def with_res_blocks(model: torch.nn.Module) -> torch.nn.Module:
    """The model with a ResBlock (the identity until trained) after every ConvTranspose2d but the last."""
    layers = list(model.decoder)
    ups = [i for i, layer in enumerate(layers) if isinstance(layer, torch.nn.ConvTranspose2d)]
    new: list[torch.nn.Module] = []
    for i, layer in enumerate(layers):
        new.append(layer)
        if i in ups[:-1]:
            new.append(ResBlock(layer.out_channels))
    model.decoder = torch.nn.Sequential(*new)
    return model


@torch.no_grad()
def psnr_db_on(model: torch.nn.Module, x_test: np.ndarray) -> float:
    """PSNR of the mean squared error over the test split, decoding the posterior means (the card's)."""
    model.eval()
    se, n = 0.0, 0
    for i in range(0, len(x_test), 500):
        x = to_tensor(x_test[i : i + 500])
        se += (model.decode(model.encode(x).mean) - x).pow(2).flatten(1).mean(1).sum().item()
        n += len(x)
    model.train()
    return 10 * math.log10(1 / (se / n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=REPO / "models" / "celeba-z64")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log", type=Path, default=REPO / "logs" / "residual_warm_start.txt")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = with_res_blocks(load_model(args.model).float().train())
    dataset = model.config.dataset
    x_train, _ = load_split(dataset, "train")
    x_test, _ = load_split(dataset, "test")
    lines = [
        f"{args.model.name} + one residual block after each upsampling step but the last, fine-tuned: "
        f"{sum(p.numel() for p in model.parameters()):,} parameters, lr {args.lr:g} cosine, batch {args.batch_size}",
        f"start: test PSNR {psnr_db_on(model, x_test):.3f} dB",
    ]
    print("\n".join(lines), flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    per_epoch = len(x_train) // args.batch_size
    total, step = args.epochs * per_epoch, 0
    gen = torch.Generator().manual_seed(0)
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        order = torch.randperm(len(x_train), generator=gen).numpy()
        for b in range(per_epoch):
            for group in opt.param_groups:  # vae.training.train's cosine to 5 % of the base rate, no warm-up
                group["lr"] = lr_at(step, total, args.lr, warmup=0)
            x = to_tensor(x_train[np.sort(order[b * args.batch_size : (b + 1) * args.batch_size])])
            loss = model(x).loss.mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1000.0)
            opt.step()
            step += 1
        lines.append(f"epoch {epoch}: test PSNR {psnr_db_on(model, x_test):.3f} dB ({time.time() - t0:.0f} s)")
        print(lines[-1], flush=True)
    args.log.parent.mkdir(exist_ok=True)
    args.log.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
