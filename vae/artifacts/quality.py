"""How close a model's images are to the data: Fréchet distances in the features of networks trained
here on the real training splits (a digit classifier for MNIST, a 40-attribute classifier for
CelebA), for reconstructions, prior samples and learned-density samples.

These are not Inception FIDs (no network pretrained on ImageNet is reachable here): the numbers are
comparable only within this project, between models and sample sources measured with the same
feature network. The feature networks are trained by `vae-explorer quality train` (a few minutes
on a CPU) and stored in benchmarks/feature_nets/ as safetensors (half precision), with their test
accuracy in the file's metadata.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from scipy import linalg
from torch import nn

from vae.core.checkpoint import CheckpointError
from vae.core.derived import weights_sha256
from vae.data.command_line import command_parser
from vae.data.datasets import load_celeba, load_mnist, to_tensor

EXAMPLES = (
    "vae-explorer quality train                    # both feature networks",
    "vae-explorer quality train --dataset mnist    # the digit classifier only",
)

FEATURE_NETS = Path(__file__).resolve().parents[2] / "benchmarks" / "feature_nets"
QUALITY_FILE = "sample_quality.json"  # a model's figures, beside its weights (benchmarks/sample_quality.py)
FEATURES = 128  # width of the penultimate layer, the features the distances are taken in
BATCH = 256


class FeatureNet(nn.Module):
    """A small conv classifier; its penultimate layer gives the features. MNIST: 10 digit logits;
    CelebA: 40 attribute logits (independent, binary)."""

    def __init__(self, dataset: str):
        super().__init__()
        self.dataset = dataset
        if dataset == "mnist":
            chans, side, outputs = [1, 32, 64, 128], 28, 10
        elif dataset == "celeba":
            chans, side, outputs = [3, 32, 64, 128, 128], 64, 40
        else:
            raise ValueError(f"unknown dataset {dataset!r}")
        layers: list[nn.Module] = []
        for a, b in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv2d(a, b, 3, 2, 1), nn.BatchNorm2d(b), nn.ReLU()]
            side = (side + 1) // 2
        self.body = nn.Sequential(*layers, nn.Flatten(), nn.Dropout(0.25), nn.Linear(chans[-1] * side * side, FEATURES), nn.ReLU())
        self.head = nn.Linear(FEATURES, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    @torch.inference_mode()
    def features(self, images: np.ndarray) -> np.ndarray:
        """uint8 images (N, H, W[, C]) → (N, FEATURES) float64 features."""
        self.eval()
        return np.concatenate([self.body(to_tensor(images[i : i + BATCH])).double().numpy() for i in range(0, len(images), BATCH)])

    @torch.inference_mode()
    def predict(self, images: np.ndarray) -> np.ndarray:
        """MNIST: (N,) digit; CelebA: (N, 40) 0/1 attributes."""
        self.eval()
        logits = torch.cat([self(to_tensor(images[i : i + BATCH])) for i in range(0, len(images), BATCH)])
        return (logits.argmax(1) if self.dataset == "mnist" else (logits > 0).to(torch.uint8)).numpy()


def net_path(dataset: str, root: Path = FEATURE_NETS) -> Path:
    return Path(root) / f"{dataset}.safetensors"


def _labels(dataset: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    if dataset == "mnist":
        return load_mnist("train" if split == "train" else "test")
    images, index, rows = load_celeba(split)
    return images, index.attributes[rows]


def train_feature_net(dataset: str, epochs: int, seed: int = 0, root: Path = FEATURE_NETS, log: Callable[[str], object] = print) -> dict:
    """Train the dataset's feature network on its training split, measure it on the test split and
    save it (half precision); → {"accuracy": …} (MNIST: digit accuracy; CelebA: mean per-attribute
    accuracy)."""
    torch.manual_seed(seed)
    images, targets = _labels(dataset, "train")
    test_images, test_targets = _labels(dataset, "test")
    net = FeatureNet(dataset)
    optimizer = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = epochs * ((len(images) + 127) // 128)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=steps)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        net.train()
        order = rng.permutation(len(images))
        total = 0.0
        for i in range(0, len(order), 128):
            rows = np.sort(order[i : i + 128])
            x, y = to_tensor(images[rows]), torch.from_numpy(np.asarray(targets[rows]))
            if dataset == "celeba":
                flip = torch.rand(len(x)) < 0.5
                x[flip] = x[flip].flip(-1)
                loss = F.binary_cross_entropy_with_logits(net(x), y.float())
            else:
                loss = F.cross_entropy(net(x), y.long())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(rows)
        predicted = net.predict(test_images)
        accuracy = float((predicted == test_targets).mean())
        log(
            f"{dataset} feature net, epoch {epoch + 1}/{epochs}: train loss {total / len(images):.4f}, test accuracy {accuracy:.4f} ({time.perf_counter() - t0:.0f} s)"
        )
    path = net_path(dataset, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().half().contiguous() for k, v in net.state_dict().items() if v.is_floating_point()}
    meta = {"dataset": dataset, "test_accuracy": f"{accuracy:.5f}", "epochs": str(epochs), "seconds": f"{time.perf_counter() - t0:.0f}"}
    save_file(state, str(path), metadata=meta)
    return {"accuracy": accuracy, "seconds": time.perf_counter() - t0, "path": str(path)}


def load_feature_net(dataset: str, root: Path = FEATURE_NETS) -> tuple[FeatureNet, dict]:
    """The trained feature network of a dataset and its metadata (test accuracy); CheckpointError
    with the command that makes it when it is missing."""
    path = net_path(dataset, root)
    rebuild = f"run `vae-explorer quality train --dataset {dataset}`"
    if not path.exists():
        raise CheckpointError(f"{path}: feature network missing; {rebuild}")
    net = FeatureNet(dataset)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
            state = {k: f.get_tensor(k).float() for k in f.keys()}
    except (SafetensorError, OSError) as err:
        raise CheckpointError(f"{path}: unreadable ({err}); {rebuild}") from None
    missing = net.load_state_dict(state, strict=False)
    if missing.unexpected_keys or any(not k.endswith("num_batches_tracked") for k in missing.missing_keys):
        raise CheckpointError(f"{path}: does not match the feature network; {rebuild}")
    return net.eval(), meta


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, F):
    |μa − μb|² + tr(Σa + Σb − 2 (Σa Σb)^½)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(root).all():  # a near-singular product: regularise, as the FID reference code does
        eps = np.eye(len(cov_a)) * 1e-6
        root = linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root.real))


def save_quality(model_dir: Path, figures: dict) -> Path:
    """Store a model's sample-quality figures beside its weights, with the weights' hash."""
    path = Path(model_dir) / QUALITY_FILE
    tmp = path.with_name(f".{QUALITY_FILE}.tmp")
    tmp.write_text(json.dumps({**figures, "weights_sha256": weights_sha256(model_dir)}, indent=1) + "\n")
    tmp.replace(path)
    return path


def load_quality(model_dir: Path) -> dict | None:
    """A model's sample-quality figures; None when they are missing, unreadable or were measured on
    other weights (a retrained model is measured again by benchmarks/sample_quality.py)."""
    try:
        figures = json.loads((Path(model_dir) / QUALITY_FILE).read_text())
        return figures if figures.get("weights_sha256") == weights_sha256(model_dir) else None
    except (OSError, ValueError, AttributeError):
        return None


def main(argv: list[str] | None = None) -> int:
    p = command_parser("quality", __doc__, EXAMPLES)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a feature network on the real training split")
    t.add_argument("--dataset", choices=["mnist", "celeba"], nargs="+", default=["mnist", "celeba"])
    t.add_argument("--epochs", type=int, default=0, help="default: 4 (MNIST), 6 (CelebA)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    for dataset in args.dataset:
        epochs = args.epochs or {"mnist": 4, "celeba": 6}[dataset]
        result = train_feature_net(dataset, epochs, args.seed, log=lambda s: print(s, flush=True))
        print(f"{dataset}: test accuracy {result['accuracy']:.4f} in {result['seconds']:.0f} s -> {result['path']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
