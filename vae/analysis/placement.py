"""A new image among the test set: its code (μ, σ), reconstruction and −ELBO, where it lands on the
raw, PCA, t-SNE and UMAP maps of an atlas, and how atypical its score is against the test set.

Raw and PCA placements are exact (the code itself; the fitted PCA's transform). t-SNE and UMAP have
no closed-form out-of-sample map: `place` puts the code among its nearest test codes in latent space
(inverse-distance weighted, milliseconds); `refine_tsne` runs openTSNE's optimisation from there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from vae.analysis.anomaly import percentile
from vae.artifacts.atlas import Atlas
from vae.artifacts.projection import TSNEMap, place_among_neighbours
from vae.core.evaluate import per_sample_terms
from vae.core.latent import decode
from vae.core.model import VAE
from vae.data.datasets import to_tensor

TSNE_NEIGHBOURS = 10  # test codes whose map positions place a new code on the t-SNE map


@dataclass
class UserCode:
    """An encoded user image: posterior q(z|x) = N(μ, σ²), the decode of μ and its ELBO terms."""

    mean: np.ndarray  # (D,) μ, float32
    logvar: np.ndarray  # (D,) log σ², float32
    reconstruction: np.ndarray  # uint8 (H, W, C): decode(μ)
    recon_nats: float  # −log p(x|z), one posterior sample from the atlas's fixed seed, nats per image
    kl_nats: float  # KL(q(z|x) ‖ p(z)), nats per image

    @property
    def std(self) -> np.ndarray:
        return np.exp(0.5 * self.logvar)

    @property
    def neg_elbo_nats(self) -> float:
        return self.recon_nats + self.kl_nats


def encode_image(model: VAE, image: np.ndarray) -> UserCode:
    """uint8 (H, W) or (H, W, C) model-ready image → its UserCode.

    The −ELBO uses the same one-sample, fixed-seed estimate as the atlas (vae.core.evaluate.per_sample_terms),
    so it is comparable with the test set's atlas.neg_elbo_nats."""
    terms = per_sample_terms(model, to_tensor(np.array(image)[None]))  # a writable copy for torch.from_numpy
    mean = terms["mean"][0].astype(np.float32)
    return UserCode(
        mean=mean,
        logvar=terms["logvar"][0].astype(np.float32),
        reconstruction=decode(model, mean)[0],
        recon_nats=float(terms["recon_nats"][0]),
        kl_nats=float(terms["kl_nats"][0]),
    )


def projections(latent_dim: int) -> list[str]:
    """The maps a model has: raw (z₁, z₂) only for 2-D latents, then PCA, t-SNE and UMAP."""
    return (["raw"] if latent_dim == 2 else []) + ["pca", "tsne", "umap"]


ALL_PROJECTIONS = ("raw", "pca", "tsne", "umap")  # every map's name, as the URL may carry it


def place(atlas: Atlas, code: np.ndarray, projection: str, tsne_map: TSNEMap | None = None, k: int = TSNE_NEIGHBOURS) -> np.ndarray:
    """(D,) code → (2,) position on the atlas's map. raw: μ itself; pca: the atlas's PCA transform
    (exact, the same as its stored pca_coords); tsne: among its k nearest test codes (`tsne_map`,
    default atlas.tsne(), whose nearest-neighbour placement is fast); umap: the same way, on the UMAP map."""
    code = np.asarray(code, dtype=np.float64).reshape(1, -1)  # (1, D)
    if code.shape[1] != atlas.mean.shape[1]:
        raise ValueError(f"code has {code.shape[1]} dimensions, the atlas {atlas.mean.shape[1]}")
    if projection == "raw":
        if code.shape[1] != 2:
            raise ValueError("the raw projection needs latent_dim = 2")
        return code[0].copy()
    if projection == "pca":
        return atlas.pca.transform(code)[0]
    if projection == "tsne":
        return (tsne_map or atlas.tsne()).place(code, k)[0]
    if projection == "umap":
        return place_among_neighbours(atlas.mean, atlas.umap_coords, code, k)[0]
    raise ValueError(f"unknown projection {projection!r}")


def refine_tsne(tsne_map: TSNEMap, code: np.ndarray) -> np.ndarray:
    """(D,) code → (2,) t-SNE position by openTSNE's out-of-sample optimisation (about a second; the
    first call per map also builds the test set's affinities, a few seconds)."""
    return tsne_map.transform(np.asarray(code, dtype=np.float64).reshape(1, -1))[0]


def neg_elbo_percentile(neg_elbo_nats: float, atlas: Atlas) -> float:
    """Percentage (0–100) of the test set with a lower −ELBO: how much more atypical the image is."""
    return percentile(neg_elbo_nats, atlas.neg_elbo_nats)


def code_json(model_name: str, user: UserCode, percentile_: float | None = None) -> bytes:
    """The code as a JSON document: model, μ, σ, log σ² per dimension and the ELBO terms in nats."""
    record = {
        "model": model_name,
        "latent_dim": int(user.mean.shape[0]),
        "mu": [round(float(v), 6) for v in user.mean],
        "sigma": [round(float(v), 6) for v in user.std],
        "logvar": [round(float(v), 6) for v in user.logvar],
        "neg_elbo_nats": round(user.neg_elbo_nats, 4),
        "recon_nats": round(user.recon_nats, 4),
        "kl_nats": round(user.kl_nats, 4),
    }
    if percentile_ is not None:
        record["neg_elbo_percentile"] = round(float(percentile_), 2)
    return json.dumps(record, indent=1).encode()
