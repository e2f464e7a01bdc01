"""Does training the course's model fit a lecture's minute? The dense z = 2 model (784 → 128 → 2, the
course model's settings) trained for 10 epochs on the full MNIST training split with its replay recorded,
as live training from the dashboard would, timed from the start to the written model folder.

The same run first times one epoch of the same training on one thread at the lowest CPU priority beside
nothing else (the reference: what the machine gives one core now), so a busy machine shows as a slower
reference, not as a slower method.

    python -m benchmarks.train_minute [--epochs 10] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ARGS = ["--dataset", "mnist", "--architecture", "dense", "--hidden", "128", "--latent-dim", "2", "--iw-samples", "0", "--device", "cpu"]


def timed(epochs: int, threads: int, out: Path, replay: bool) -> tuple[float, list[float]]:
    """Seconds from the start to the model folder, and the card's seconds per epoch (evaluation included)."""
    from vae.training.train import main as train_main

    argv = [*ARGS, "--epochs", str(epochs), "--threads", str(threads), "--out", str(out)] + (["--replay"] if replay else [])
    t0 = time.perf_counter()
    if train_main(argv) != 0:
        raise SystemExit("training failed")
    total = time.perf_counter() - t0
    card = json.loads((out / "card.json").read_text())
    return total, [row["seconds"] for row in card["history"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of the training (1: the other core stays free)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        reference, _ = timed(1, args.threads, Path(tmp) / "reference", replay=False)
        total, per_epoch = timed(args.epochs, args.threads, Path(tmp) / "run", replay=True)
        replay_bytes = (Path(tmp) / "run" / "replay.safetensors").stat().st_size
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=sys.stderr)
    print(f"reference: 1 epoch, start to folder: {reference:.1f} s")
    print(f"{args.epochs} epochs with the replay, {args.threads} thread(s), start to folder: {total:.1f} s")
    print(f"  per epoch (card, evaluation included): min {min(per_epoch):.1f} s, max {max(per_epoch):.1f} s, sum {sum(per_epoch):.1f} s")
    print(f"  replay: {replay_bytes:,} bytes")
    print(f"  fits a minute: {'yes' if total <= 60 else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
