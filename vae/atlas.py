"""Latent atlas: the encoded test split of a model, stored beside its weights (atlas.safetensors).

    python -m vae.atlas models/mnist-z16

Holds model outputs only — test indices, μ, log σ², per-image recon and KL (nats), 2-D PCA
coordinates with the fitted PCA, 2-D t-SNE coordinates — never pixels or labels; the dashboard
joins those from the data directory at run time.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from vae.checkpoint import WEIGHTS_FILE, CheckpointError, load_model
from vae.data import load_split, to_tensor
from vae.evaluate import per_sample_terms
from vae.projection import LatentPCA, TSNEMap

ATLAS_FILE = "atlas.safetensors"
TSNE_PERPLEXITY = 30.0
TSNE_SEED = 0


@dataclass
class Atlas:
    """The encoded test split of one model; arrays are float32/int64 numpy, read-only in use."""

    test_index: np.ndarray  # (N,) row of each point in the dataset's test split
    mean: np.ndarray  # (N, D) posterior means μ
    logvar: np.ndarray  # (N, D) posterior log σ²
    recon_nats: np.ndarray  # (N,) −log p(x|z), one posterior sample, nats per image
    kl_nats: np.ndarray  # (N,) KL(q(z|x) ‖ p(z)), nats per image
    pca_coords: np.ndarray  # (N, 2)
    tsne_coords: np.ndarray  # (N, 2)
    pca: LatentPCA
    weights_sha256: str

    @property
    def neg_elbo_nats(self) -> np.ndarray:
        return self.recon_nats + self.kl_nats

    def tsne(self) -> TSNEMap:
        return TSNEMap.from_arrays(self.mean, self.tsne_coords, TSNE_PERPLEXITY, TSNE_SEED)

    def coords(self, projection: str) -> np.ndarray:
        """(N, 2) map coordinates for 'raw' (latent_dim = 2 only), 'pca' or 'tsne'."""
        if projection == "raw":
            if self.mean.shape[1] != 2:
                raise ValueError("the raw projection needs latent_dim = 2")
            return self.mean
        if projection == "pca":
            return self.pca_coords
        if projection == "tsne":
            return self.tsne_coords
        raise ValueError(f"unknown projection {projection!r}")


@dataclass
class MapLocation:
    """What a click on a 2-D map decodes to."""

    code: np.ndarray  # (D,) latent code to decode
    method: str  # "exact" (raw), "pca_inverse", "tsne_nearest", "tsne_blend"
    neighbours: np.ndarray  # indices of the test points used or nearest to `code`, nearest first
    nearest_code_distance: float  # Euclidean distance in latent space from `code` to the nearest test code


def code_at(atlas: Atlas, projection: str, xy: tuple[float, float], tsne_k: int = 1) -> MapLocation:
    """Latent code for a map location. Raw: the point itself; PCA: the exact inverse transform;
    t-SNE (no inverse): the nearest test point's code (tsne_k = 1) or an inverse-distance blend of
    the tsne_k nearest on the map."""
    from vae.latent import blend_nearest, nearest_codes

    point = np.asarray(xy, dtype=np.float64).reshape(2)
    if projection == "raw":
        if atlas.mean.shape[1] != 2:
            raise ValueError("the raw projection needs latent_dim = 2")
        code, method = point.astype(np.float32), "exact"
    elif projection == "pca":
        code, method = atlas.pca.inverse_transform(point[None])[0].astype(np.float32), "pca_inverse"
    elif projection == "tsne":
        code, idx, _ = blend_nearest(atlas.mean, atlas.tsne_coords, point, max(1, tsne_k))
        method = "tsne_nearest" if tsne_k <= 1 else "tsne_blend"
        _, dist = nearest_codes(atlas.mean, code, 1)
        return MapLocation(code, method, idx, float(dist[0]))
    else:
        raise ValueError(f"unknown projection {projection!r}")
    idx, dist = nearest_codes(atlas.mean, code, 8)
    return MapLocation(code, method, idx, float(dist[0]))


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build_atlas(model_dir: str | Path, tsne_jobs: int = 2, verbose: bool = True) -> Path:
    model_dir = Path(model_dir)
    model = load_model(model_dir)
    images, _ = load_split(model.config.dataset, "test")
    t0 = time.time()
    terms = per_sample_terms(model, to_tensor(images))
    mean = terms["mean"].astype(np.float16).astype(np.float64)  # what the atlas stores
    pca = LatentPCA(2).fit(mean)
    t1 = time.time()
    tsne_coords = TSNEMap(TSNE_PERPLEXITY, TSNE_SEED, tsne_jobs).fit_transform(mean)
    t2 = time.time()
    tensors = {
        "test_index": torch.arange(len(images), dtype=torch.int32),
        "mean": torch.from_numpy(terms["mean"]).half(),
        "logvar": torch.from_numpy(terms["logvar"]).half(),
        "recon_nats": torch.from_numpy(terms["recon_nats"]).float(),
        "kl_nats": torch.from_numpy(terms["kl_nats"]).float(),
        "pca_coords": torch.from_numpy(pca.transform(mean)).float(),
        "pca_components": torch.from_numpy(pca.components_),
        "pca_mean": torch.from_numpy(pca.mean_),
        "pca_explained_variance_ratio": torch.from_numpy(pca.explained_variance_ratio_),
        "tsne_coords": torch.from_numpy(tsne_coords).float(),
    }
    metadata = {
        "weights_sha256": file_sha256(model_dir / WEIGHTS_FILE),
        "tsne": f"openTSNE perplexity={TSNE_PERPLEXITY} random_state={TSNE_SEED}",
        "split": "test",
    }
    out = model_dir / ATLAS_FILE
    tmp = model_dir / f".{ATLAS_FILE}.tmp"
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(out)
    if verbose:
        print(f"{model_dir.name}: {len(images)} test images encoded in {t1 - t0:.1f} s (PCA incl.), t-SNE {t2 - t1:.1f} s → {out}")
    return out


def load_atlas(model_dir: str | Path) -> Atlas:
    path = Path(model_dir) / ATLAS_FILE
    if not path.exists():
        raise CheckpointError(f"{path}: atlas missing; build it with `python -m vae.atlas {model_dir}`")
    try:
        with safe_open(str(path), framework="np") as f:
            meta = f.metadata() or {}
            arrays = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{path}: not a valid atlas ({err})") from None
    needed = {
        "test_index",
        "mean",
        "logvar",
        "recon_nats",
        "kl_nats",
        "pca_coords",
        "pca_components",
        "pca_mean",
        "pca_explained_variance_ratio",
        "tsne_coords",
    }
    if needed - set(arrays):
        raise CheckpointError(f"{path}: atlas lacks {sorted(needed - set(arrays))}; rebuild it")
    a = {k: np.asarray(v) for k, v in arrays.items()}
    return Atlas(
        test_index=a["test_index"].astype(np.int64),
        mean=a["mean"].astype(np.float32),
        logvar=a["logvar"].astype(np.float32),
        recon_nats=a["recon_nats"].astype(np.float32),
        kl_nats=a["kl_nats"].astype(np.float32),
        pca_coords=a["pca_coords"].astype(np.float32),
        tsne_coords=a["tsne_coords"].astype(np.float32),
        pca=LatentPCA.from_arrays(a["pca_components"], a["pca_mean"], a["pca_explained_variance_ratio"]),
        weights_sha256=meta.get("weights_sha256", ""),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vae.atlas", description="Encode a model's test split and store its atlas.")
    parser.add_argument("model_dirs", nargs="+", type=Path)
    parser.add_argument("--tsne-jobs", type=int, default=2)
    args = parser.parse_args(argv)
    status = 0
    for model_dir in args.model_dirs:
        try:
            build_atlas(model_dir, args.tsne_jobs)
        except (CheckpointError, OSError, ValueError) as err:
            print(f"error: {model_dir}: {err}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
