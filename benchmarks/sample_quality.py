"""How close each model's images are to the real test split: reconstructions, prior samples and
learned-density samples, as Fréchet distances in the features of the project's feature networks
(vae.artifacts.quality: a digit classifier for MNIST, a 40-attribute classifier for CelebA, trained here on
the real training splits). Not Inception FIDs: comparable only within this project.

    python benchmarks/sample_quality.py [--models mnist-z16 celeba-z64] [--out logs/sample_quality.json]

For each model, with as many images of each source as the test split has (MNIST 10,000, CelebA
2,572): FD(reconstructions of the test images), FD(prior samples), FD(learned-density samples),
and the share of the prior's gap that the learned density closes,
(FD_prior − FD_learned) / (FD_prior − FD_recon) (bar: ≥ 0.7 for mnist-z16 and celeba-z64). For
MNIST also the feature network's class histogram of each source against the test split's. Each
model's figures are also written beside it (models/<name>/sample_quality.json, with the weights'
hash; the zoo table reads them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from vae.analysis.zoo import scan
from vae.artifacts.density import load_density
from vae.artifacts.quality import QUALITY_FILE, frechet_distance, load_feature_net, save_quality
from vae.core.checkpoint import CheckpointError, load_model
from vae.core.latent import decode, encode, prior_samples
from vae.data.datasets import load_split

REPO = Path(__file__).resolve().parent.parent

BATCH = 500


def decoded(model, codes: np.ndarray) -> np.ndarray:
    return np.concatenate([decode(model, codes[i : i + BATCH]) for i in range(0, len(codes), BATCH)])


def measure(model_dir: Path, seed: int = 0) -> dict:
    model = load_model(model_dir)
    dataset = model.config.dataset
    net, net_meta = load_feature_net(dataset)
    images, labels = load_split(dataset, "test")
    n = len(images)
    t0 = time.perf_counter()
    real = net.features(images)
    mu = np.concatenate([encode(model, images[i : i + BATCH])[0] for i in range(0, n, BATCH)])
    sources = {"reconstructions": decoded(model, mu), "prior": decoded(model, prior_samples(model.config.latent_dim, n, seed))}
    density = None
    try:
        density = load_density(model_dir)
        sources["learned"] = decoded(model, density.sample(n, seed))
    except CheckpointError as err:
        print(f"  {model_dir.name}: {err}", flush=True)
    fd = {name: frechet_distance(real, net.features(x)) for name, x in sources.items()}
    result = {
        "model": model_dir.name,
        "dataset": dataset,
        "images": n,
        "feature_net_test_accuracy": float(net_meta.get("test_accuracy", "nan")),
        "fd": {k: round(v, 3) for k, v in fd.items()},
        "density": None
        if density is None
        else {"kind": density.kind, **{k: density.meta[k] for k in ("components", "selection_fd") if k in density.meta}},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if "learned" in fd and fd["prior"] > fd["reconstructions"]:
        result["gap_closed"] = round((fd["prior"] - fd["learned"]) / (fd["prior"] - fd["reconstructions"]), 4)
    if dataset == "mnist":
        hist = lambda x: np.bincount(x, minlength=10).tolist()  # noqa: E731
        result["class_histogram"] = {"test": hist(np.asarray(labels))} | {k: hist(net.predict(x)) for k, x in sources.items()}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", help="model names (default: every model of the zoo)")
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--out", type=Path, help="also write every figure here (JSON)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    names = args.models or [e.name for e in scan(args.models_dir) if e.available]
    results = []
    for name in names:
        r = measure(args.models_dir / name, args.seed)
        save_quality(args.models_dir / name, r)
        results.append(r)
        fd = r["fd"]
        print(
            f"{name:<20} FD recon {fd['reconstructions']:8.2f}  prior {fd['prior']:8.2f}  learned {fd.get('learned', float('nan')):8.2f}"
            f"  gap closed {r.get('gap_closed', float('nan')):6.1%}  ({r['images']:,} images, {r['seconds']:.0f} s) → {QUALITY_FILE}",
            flush=True,
        )
        if "class_histogram" in r:
            for source, counts in r["class_histogram"].items():
                print(f"    {source:<16} digits 0–9: {counts}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
