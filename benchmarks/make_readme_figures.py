"""Write the README's pictures: reconstructions and prior samples of each dataset's default models.

Only model outputs are written (decoded test codes and prior samples), never dataset images.

    python benchmarks/make_readme_figures.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from vae import load_model
from vae.data import load_split, to_tensor
from vae.images import grid, png_bytes
from vae.latent import decode, prior_samples

ROOT = Path(__file__).resolve().parent.parent

OUT = ROOT / "assets" / "readme"
FIGURES = {"mnist": ("mnist-z16", 2), "celeba": ("celeba-z64", 1)}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for dataset, (name, scale) in FIGURES.items():
        model = load_model(ROOT / "models" / name)
        images, _ = load_split(dataset, "test")
        x = to_tensor(images[:32])
        with torch.inference_mode():
            recon = decode(model, model.encode(x).mean.numpy())
        samples = decode(model, prior_samples(model.config.latent_dim, 32, seed=0))
        for kind, arr in (("reconstructions", recon), ("samples", samples)):
            path = OUT / f"{dataset}-{kind}.png"
            path.write_bytes(png_bytes(grid(arr, 16, pad=2), scale=scale))
            print(f"wrote {path} ({name}, {len(arr)} images)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
