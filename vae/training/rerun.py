"""`vae-explorer replay`: record a shipped model's training replay (vae.training.replay) by training it
again from its card's settings and seed, keeping the recording only when the weights come out bit for
bit the shipped ones.

    vae-explorer replay models/mnist-dense-z2
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from vae.core.checkpoint import WEIGHTS_FILE, CheckpointError
from vae.core.derived import file_sha256
from vae.data.command_line import command_parser
from vae.training.replay import REPLAY_FILE

EXAMPLES = ("vae-explorer replay models/mnist-dense-z2",)


def record_again(model_dir: Path, threads: int = 0) -> Path:
    """Train the model again from its card's settings with --replay into a scratch folder; keep the replay
    when the weights come out identical to the folder's (CheckpointError otherwise, the folder untouched)."""
    from vae.core.card import ModelCard
    from vae.core.config import VAEConfig
    from vae.training.train import main as train_main

    model_dir = Path(model_dir)
    config = VAEConfig.load(model_dir / "config.json")
    card = ModelCard.load(model_dir / "card.json")
    with tempfile.TemporaryDirectory(prefix="vae-replay-") as scratch:
        out = Path(scratch) / model_dir.name
        argv = [
            "--dataset", config.dataset, "--latent-dim", str(config.latent_dim), "--beta", repr(config.beta),
            "--epochs", str(card.epochs), "--batch-size", str(card.batch_size), "--lr", repr(card.lr), "--seed", str(card.seed),
            "--architecture", config.architecture, "--hidden", str(config.hidden), "--res-blocks", str(config.res_blocks),
            "--likelihood", config.likelihood, "--out", str(out), "--replay", "--device", "cpu", "--threads", str(threads),
            "--iw-samples", "0",
        ]  # fmt: skip
        if config.architecture == "conv":
            argv += ["--channels", *map(str, config.channels)]
        if train_main(argv) != 0:
            raise CheckpointError(f"{model_dir}: training again failed (see above)")
        ours, theirs = file_sha256(out / WEIGHTS_FILE), file_sha256(model_dir / WEIGHTS_FILE)
        if ours != theirs:
            raise CheckpointError(
                f"{model_dir}: training again with the card's settings ended with other weights (sha256 {ours[:12]} ≠ {theirs[:12]}): "
                "the replay would not be this model's training; nothing written"
            )
        shutil.copy2(out / REPLAY_FILE, model_dir / REPLAY_FILE)
    return model_dir / REPLAY_FILE


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("replay", "Record a model's training replay (its test map after every epoch) by training it again.", EXAMPLES)
    parser.add_argument("model_dirs", nargs="+", type=Path)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    args = parser.parse_args(argv)
    status = 0
    for model_dir in args.model_dirs:
        try:
            print(record_again(model_dir, args.threads))
        except (CheckpointError, OSError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
