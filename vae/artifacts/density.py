"""A learned density over a model's latent space, for samples that look like the data.

    vae-explorer density models/mnist-z16 [models/... ] [--kind auto|gmm|stage2]

A VAE's decoder is trained on codes from the aggregate posterior q(z) = mean over x of q(z|x),
which does not fill the prior N(0, I): a code drawn from the prior often lands in a hole the
decoder has seldom seen, and decodes to a blotch. Fitting a density to the codes of the training
split and drawing from it instead fixes most of that (ex-post density estimation):

- "gmm": a Gaussian mixture with full covariances on the posterior means μ (Ghosh et al., "From
  Variational to Deterministic Autoencoders", ICLR 2020), its number of components chosen by the
  log-likelihood of held-out codes;
- "stage2": a second, small VAE trained on codes z ~ q(z|x) (Dai & Wipf, "Diagnosing and Enhancing
  VAE Models", ICLR 2019): u ~ N(0, I) → its decoder's mean is a code.

`--kind auto` fits both and keeps the one whose decoded samples are nearer the training images in
the features of the project's feature network (vae.artifacts.quality); the choice and both distances are in
the file's metadata. Stored as density.safetensors beside the weights, with the weights' hash:
refused when the model was retrained.

Temperature T scales the spread: the mixture's covariances by T², the second stage's u by T.

The mixture's Cholesky factors are lower triangular: the file stores only their lower triangles,
row by row (`cholesky_packed`, K × D(D+1)/2), which loses nothing and halves the file; a mixture
file without them is refused with the command that fits it again.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file
from torch import nn

from vae.artifacts.quality import frechet_distance, load_feature_net
from vae.core.checkpoint import CONFIG_FILE, WEIGHTS_FILE, CheckpointError, load_model
from vae.core.config import VAEConfig
from vae.core.derived import build_each, file_sha256, read_derived, refuse_other_weights
from vae.core.latent import decode, prior_samples
from vae.core.model import VAE
from vae.data.command_line import command_parser
from vae.data.datasets import load_split, to_tensor

EXAMPLES = (
    "vae-explorer density models/mnist-z16",
    "vae-explorer density models/mnist-z16 models/mnist-z2 --kind gmm   # the mixture only, no second stage",
)

DENSITY_FILE = "density.safetensors"
DENSITIES = ("prior", "learned")
KINDS = ("gmm", "stage2")
GMM_COMPONENTS = (5, 10, 20, 40)
GMM_CANDIDATE_CODES = 20_000
GMM_MAX_FLOATS = 400_000  # K·D·D of the stored Cholesky factors: ≤ 1.6 MB per model
STAGE2_WIDTH = 256
SELECTION_IMAGES = 5000  # training images the two kinds are compared on
GMM_FILE_ARRAYS = ("weights", "means", "cholesky_packed")  # a mixture as save_density writes it


class Stage2(nn.Module):
    """The second-stage VAE of Dai & Wipf: codes z (D) → u (D) → z, MLPs of STAGE2_WIDTH, a learned
    output scale γ shared by all dimensions."""

    def __init__(self, dim: int, width: int = STAGE2_WIDTH):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(), nn.Linear(width, 2 * dim))
        self.decoder = nn.Sequential(nn.Linear(dim, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(), nn.Linear(width, dim))
        self.log_gamma = nn.Parameter(torch.zeros(()))

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        mean, logvar = self.encoder(z).chunk(2, dim=1)
        u = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
        recon = self.decoder(u)
        gamma = self.log_gamma.clamp(-8, 4)
        nll = 0.5 * (((z - recon) / gamma.exp()) ** 2).sum(1) + z.shape[1] * gamma
        kl = 0.5 * (mean**2 + logvar.exp() - 1 - logvar).sum(1)
        return (nll + kl).mean()


class LearnedDensity:
    """A fitted density over one model's codes: sample(n, seed, temperature) → (n, D) float32.
    `arrays`: a mixture's weights (K,), means (K, D) and full Cholesky factors `cholesky` (K, D, D),
    or the second stage's state dict."""

    def __init__(self, kind: str, arrays: dict[str, np.ndarray], meta: dict[str, str]):
        if kind not in KINDS:
            raise ValueError(f"unknown density kind {kind!r}")
        self.kind, self.arrays, self.meta = kind, arrays, meta
        self.dim = int(arrays["means"].shape[1] if kind == "gmm" else arrays["decoder.0.weight"].shape[1])
        self._stage2: Stage2 | None = None

    def sample(self, n: int, seed: int = 0, temperature: float = 1.0) -> np.ndarray:
        rng = np.random.default_rng(int(seed))
        if self.kind == "gmm":
            weights, means, chol = self.arrays["weights"], self.arrays["means"], self.arrays["cholesky"]
            k = rng.choice(len(weights), size=n, p=weights / weights.sum())
            eps = rng.standard_normal((n, self.dim)) * float(temperature)
            return (means[k] + np.einsum("nij,nj->ni", chol[k], eps)).astype(np.float32)
        if self._stage2 is None:
            net = Stage2(self.dim, int(self.meta.get("width", STAGE2_WIDTH)))
            net.load_state_dict({k: torch.from_numpy(np.asarray(v, np.float32)) for k, v in self.arrays.items()})
            self._stage2 = net.eval()
        u = torch.from_numpy(rng.standard_normal((n, self.dim)).astype(np.float32)) * float(temperature)
        with torch.inference_mode():
            return self._stage2.decoder(u).numpy().astype(np.float32)


def pack_lower(matrices: np.ndarray) -> np.ndarray:
    """(K, D, D) lower-triangular matrices → (K, D(D+1)/2): their lower triangles, row by row."""
    rows, cols = np.tril_indices(matrices.shape[-1])
    return np.ascontiguousarray(matrices[:, rows, cols])


def unpack_lower(packed: np.ndarray, dim: int) -> np.ndarray:
    """The inverse of pack_lower: (K, D(D+1)/2) → (K, D, D), zeros above the diagonal."""
    rows, cols = np.tril_indices(dim)
    if packed.ndim != 2 or packed.shape[1] != len(rows):
        raise ValueError(f"packed Cholesky factors of shape {packed.shape} do not fit dimension {dim}")
    out = np.zeros((len(packed), dim, dim), dtype=packed.dtype)
    out[:, rows, cols] = packed
    return out


# ---- fitting ---------------------------------------------------------------------------------
@torch.inference_mode()
def training_codes(model: VAE, images: np.ndarray, batch: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means μ and one sample z ~ q(z|x) per training image, each (N, D) float32."""
    gen = torch.Generator().manual_seed(seed)
    mus, zs = [], []
    for i in range(0, len(images), batch):
        posterior = model.encode(to_tensor(images[i : i + batch]))
        mus.append(posterior.mean.numpy())
        zs.append(posterior.sample(gen).numpy())
    return np.concatenate(mus).astype(np.float32), np.concatenate(zs).astype(np.float32)


def fit_gmm(mu: np.ndarray, seed: int = 0, log: Callable[[str], object] = print) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """A full-covariance Gaussian mixture on μ; the number of components (GMM_COMPONENTS, within
    GMM_MAX_FLOATS) with the best mean log-likelihood on a held-out tenth of the codes (the
    candidates fitted on at most GMM_CANDIDATE_CODES of the rest, the chosen one on all codes)."""
    from sklearn.mixture import GaussianMixture  # scikit-learn takes seconds to import: only fitting needs it

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(mu))
    held, fit = mu[order[: len(mu) // 10]], mu[order[len(mu) // 10 :][:GMM_CANDIDATE_CODES]]
    dim = mu.shape[1]
    best: tuple[float, int, GaussianMixture] | None = None
    for k in GMM_COMPONENTS:
        if k * dim * dim > GMM_MAX_FLOATS and best is not None:
            break
        gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-4, max_iter=100, random_state=seed).fit(fit)
        score = float(gmm.score(held))
        log(f"    mixture of {k}: held-out log-likelihood {score:.2f} nats per code")
        if best is None or score > best[0]:
            best = (score, k, gmm)
    if best is None:
        raise ValueError("GMM_COMPONENTS lists no mixture size")
    score, k, gmm = best
    gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-4, max_iter=100, random_state=seed).fit(mu)  # all codes
    arrays = {
        "weights": gmm.weights_.astype(np.float32),
        "means": gmm.means_.astype(np.float32),
        "cholesky": np.linalg.cholesky(gmm.covariances_).astype(np.float32),
    }
    return arrays, {"components": str(k), "heldout_loglik": f"{score:.3f}"}


def fit_stage2(
    z: np.ndarray, seconds: float, seed: int = 0, log: Callable[[str], object] = print
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The second-stage VAE on codes z ~ q(z|x), trained for about `seconds` (Adam, batch 256)."""
    torch.manual_seed(seed)
    net = Stage2(z.shape[1])
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    data = torch.from_numpy(z)
    t0, epoch, loss = time.perf_counter(), 0, float("nan")
    while time.perf_counter() - t0 < seconds:
        order = torch.randperm(len(data))
        total = 0.0
        for i in range(0, len(order), 256):
            batch_loss = net.loss(data[order[i : i + 256]])
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
            total += float(batch_loss.detach()) * min(256, len(order) - i)
        epoch += 1
        loss = total / len(data)
        if epoch % 10 == 0:
            log(f"    second stage, epoch {epoch}: loss {loss:.3f}")
    arrays = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    return arrays, {"epochs": str(epoch), "loss": f"{loss:.4f}", "width": str(STAGE2_WIDTH)}


def fit_density(
    model_dir: Path, kind: str = "auto", stage2_seconds: float = 60.0, seed: int = 0, log: Callable[[str], object] = print
) -> Path:
    """Fit the learned density of a model on its training split and store it beside the weights."""
    model_dir = Path(model_dir)
    model = load_model(model_dir)
    t0 = time.perf_counter()
    images, _ = load_split(model.config.dataset, "train")
    mu, z = training_codes(model, images, seed=seed)
    log(f"{model_dir.name}: {len(mu):,} training codes in {time.perf_counter() - t0:.0f} s")
    fitted: dict[str, tuple[dict, dict]] = {}
    if kind in ("auto", "gmm"):
        log("  fitting the Gaussian mixture")
        fitted["gmm"] = fit_gmm(mu, seed, log)
    if kind in ("auto", "stage2"):
        log(f"  training the second-stage VAE ({stage2_seconds:.0f} s)")
        fitted["stage2"] = fit_stage2(z, stage2_seconds, seed, log)
    distances: dict[str, float] = {}
    if len(fitted) > 1:
        net, _ = load_feature_net(model.config.dataset)
        rows = np.random.default_rng(seed).choice(len(images), min(SELECTION_IMAGES, len(images)), replace=False)
        real = net.features(images[np.sort(rows)])
        for name, (arrays, meta) in fitted.items():
            codes = LearnedDensity(name, arrays, meta).sample(len(rows), seed=seed + 1)
            fake = np.concatenate([decode(model, codes[i : i + 500]) for i in range(0, len(codes), 500)])
            distances[name] = frechet_distance(real, net.features(fake))
            log(f"  {name}: Fréchet distance to {len(rows):,} training images {distances[name]:.2f}")
    chosen = min(distances, key=distances.__getitem__) if distances else next(iter(fitted))
    arrays, meta = fitted[chosen]
    meta = {
        **meta,
        "kind": chosen,
        "weights_sha256": file_sha256(model_dir / WEIGHTS_FILE),
        "fitted_on": f"{len(mu)} training codes",
        "selection_fd": json.dumps({k: round(v, 3) for k, v in distances.items()}),
        "seconds": f"{time.perf_counter() - t0:.0f}",
    }
    out = save_density(model_dir, arrays, meta)
    log(f"  kept {chosen} → {out} ({out.stat().st_size / 1e3:.0f} KB, {time.perf_counter() - t0:.0f} s)")
    return out


def save_density(model_dir: Path, arrays: dict[str, np.ndarray], meta: dict[str, str]) -> Path:
    """Write density.safetensors atomically (mode 0644, shared data like the rest of a model folder);
    a mixture's full Cholesky factors are stored packed (pack_lower)."""
    if "cholesky" in arrays:
        if np.any(np.triu(arrays["cholesky"], 1)):
            raise ValueError("Cholesky factors must be lower triangular")
        arrays = {k: v for k, v in arrays.items() if k != "cholesky"} | {"cholesky_packed": pack_lower(arrays["cholesky"])}
    out, tmp = Path(model_dir) / DENSITY_FILE, Path(model_dir) / f".{DENSITY_FILE}.tmp"
    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp), metadata=meta)
    tmp.chmod(0o644)
    tmp.replace(out)
    return out


def load_density(model_dir: str | Path, check_weights: bool = True) -> LearnedDensity:
    """The model's learned density; CheckpointError when it is missing, damaged or made for other
    weights (with the command that rebuilds it)."""
    model_dir = Path(model_dir)
    path = model_dir / DENSITY_FILE
    rebuild = f"fit it with `vae-explorer density {model_dir}`"
    meta, arrays = read_derived(path, "learned latent density", rebuild)
    if check_weights:
        refuse_other_weights(model_dir, path, meta, "re" + rebuild)
    try:
        if meta.get("kind") == "gmm":
            if set(arrays) != set(GMM_FILE_ARRAYS):
                raise ValueError(f"a mixture file holds {list(GMM_FILE_ARRAYS)}, this one {sorted(arrays)}")
            cholesky = unpack_lower(arrays["cholesky_packed"], arrays["means"].shape[1])
            arrays = {"weights": arrays["weights"], "means": arrays["means"], "cholesky": cholesky}
        return LearnedDensity(meta.get("kind", ""), arrays, meta)
    except (ValueError, KeyError, IndexError) as err:
        raise CheckpointError(f"{path}: not a learned density ({err}); {rebuild}") from None


def sample_codes(model_dir: str | Path, n: int, seed: int = 0, temperature: float = 1.0, density: str = "prior") -> np.ndarray:
    """n codes (n, latent_dim) float32 for the model in model_dir, reproducible from the seed:
    density="prior" draws from N(0, T² I); density="learned" from the model's learned density
    (density.safetensors; CheckpointError when missing or stale)."""
    if density not in DENSITIES:
        raise ValueError(f"density must be one of {DENSITIES}, got {density!r}")
    if not (isinstance(n, int) and n >= 0):
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if density == "prior":
        return prior_samples(VAEConfig.load(Path(model_dir) / CONFIG_FILE).latent_dim, n, seed, temperature)
    return load_density(model_dir).sample(n, seed, temperature)


def main(argv: list[str] | None = None) -> int:
    p = command_parser("density", __doc__, EXAMPLES)
    p.add_argument("model_dirs", nargs="+", type=Path)
    p.add_argument("--kind", choices=["auto", *KINDS], default="auto", help="auto: fit both, keep the nearer to the data")
    p.add_argument("--stage2-seconds", type=float, default=60.0, help="training time of the second-stage VAE (default 60)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    return build_each(
        args.model_dirs, lambda d: fit_density(d, args.kind, args.stage2_seconds, args.seed, log=lambda s: print(s, flush=True))
    )


if __name__ == "__main__":
    sys.exit(main())
