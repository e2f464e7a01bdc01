"""Latent atlas: the encoded test split of a model, stored beside its weights (atlas.safetensors).

    vae-explorer atlas models/mnist-z16

Holds model outputs only — test indices, μ, log σ², per-image recon (nats), the fitted 2-D
PCA, 2-D t-SNE and UMAP coordinates — never pixels or labels; the dashboard joins those from the data
directory at run time.

Stored compactly (the zoo's 44 MB budget), without losing what the pages use (LAYOUT): the PCA
coordinates are not stored but recomputed on loading from the stored μ (exactly what building
them did: the fitted PCA's transform of the float16 μ), nor is the per-image KL (its closed form of
the stored float16 μ and log σ², what building computes too); test indices are stored only when they are
not every test image in order; t-SNE coordinates are float16 (at most 0.03 map units of rounding on
maps ±100 wide, a tenth of the typical spacing between neighbours), and so are UMAP's (at most 0.008
on maps ±20 wide). The UMAP parameters are in the metadata ("umap", JSON), and a map is rebuilt
from them, the stored μ and the stored map (UMAPMap.from_arrays) for its inverse_transform. A file with other tensors,
other dtypes or without its metadata tags (REQUIRED_METADATA) is refused with the command that
rebuilds it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file
from scipy.spatial import cKDTree
from tqdm import tqdm

from vae.artifacts.projection import LatentPCA, TSNEMap, UMAPMap
from vae.core.checkpoint import CONFIG_FILE, WEIGHTS_FILE, CheckpointError, load_model
from vae.core.config import ConfigError, VAEConfig
from vae.core.derived import file_sha256, read_derived, refuse_other_weights
from vae.core.evaluate import per_sample_terms
from vae.core.latent import blend_nearest, kl_nats_per_dim, nearest_codes
from vae.core.model import RECON_CONVENTIONS, VAE
from vae.data.command_line import command_parser
from vae.data.datasets import load_split, to_tensor

EXAMPLES = ("vae-explorer atlas models/mnist-z16",)

ATLAS_FILE = "atlas.safetensors"
TSNE_PERPLEXITY = 30.0
TSNE_SEED = 0
# The tensors of an atlas file and their dtypes, as save_atlas writes them; OPTIONAL_LAYOUT's only
# when the points are not every test image in order.
LAYOUT = {
    "mean": np.float16,
    "logvar": np.float16,
    "recon_nats": np.float32,
    "pca_components": np.float64,
    "pca_mean": np.float64,
    "pca_explained_variance_ratio": np.float64,
    "tsne_coords": np.float16,
    "umap_coords": np.float16,
}
OPTIONAL_LAYOUT = {"test_index": np.int32}
# Metadata a loaded atlas is checked by: the weights it was made from, the −log p(x|z) of its scores.
REQUIRED_METADATA = ("weights_sha256", "recon_convention", "umap")
UMAP_PARAMS = UMAPMap().params  # n_neighbors 15, min_dist 0.1 (umap-learn's defaults), Euclidean, seed 0


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
    umap_coords: np.ndarray  # (N, 2)
    umap_params: dict[str, Any]  # what the UMAP map was made with (UMAPMap.params)
    _derived: dict = field(default_factory=dict, repr=False, compare=False)  # lazily built search trees and spacings

    @property
    def neg_elbo_nats(self) -> np.ndarray:
        return self.recon_nats + self.kl_nats

    def map_tree(self, projection: str) -> cKDTree:
        """A k-d tree over the (N, 2) map coordinates of a projection, built once."""
        key = ("tree", projection)
        if key not in self._derived:
            self._derived[key] = cKDTree(np.asarray(self.coords(projection), np.float64))
        return self._derived[key]

    def map_spacing(self, projection: str) -> float:
        """Typical spacing between neighbours on a map: the median distance, in map units, from a
        test point to its nearest other test point."""
        key = ("spacing", projection)
        if key not in self._derived:
            dist, _ = self.map_tree(projection).query(self.map_tree(projection).data, k=2)
            self._derived[key] = float(np.median(dist[:, 1]))
        return self._derived[key]

    def latent_spacing(self, sample: int = 2000) -> float:
        """Typical spacing between neighbouring codes: the median latent distance from a test code to
        its nearest other test code (over a fixed sample of `sample` codes)."""
        if "latent_spacing" not in self._derived:
            codes = np.asarray(self.mean, np.float64)
            rng = np.random.default_rng(0)
            rows = rng.choice(len(codes), min(sample, len(codes)), replace=False)
            d2 = (codes[rows] ** 2).sum(1)[:, None] - 2 * codes[rows] @ codes.T + (codes**2).sum(1)[None]
            d2[np.arange(len(rows)), rows] = np.inf  # not the code itself
            self._derived["latent_spacing"] = float(np.median(np.sqrt(np.maximum(d2.min(1), 0))))
        return self._derived["latent_spacing"]

    def tsne(self) -> TSNEMap:
        return TSNEMap.from_arrays(self.mean, self.tsne_coords, TSNE_PERPLEXITY, TSNE_SEED)

    def umap(self) -> UMAPMap:
        """The UMAP map, rebuilt once from the stored μ and map (umap-learn's import: seconds, the first time)."""
        if "umap" not in self._derived:
            p = self.umap_params
            self._derived["umap"] = UMAPMap.from_arrays(self.mean, self.umap_coords, p["n_neighbors"], p["min_dist"], p["random_state"])
        return self._derived["umap"]

    def projection_parameters(self) -> dict[str, dict[str, object]]:
        """What each map of this atlas was made with (the map page shows them)."""
        ratio = [float(v) for v in self.pca.explained_variance_ratio_] + [0.0, 0.0]
        params: dict[str, dict[str, object]] = {
            "pca": {"pc1": ratio[0], "pc2": ratio[1]},
            "tsne": {"perplexity": TSNE_PERPLEXITY, "random_state": TSNE_SEED},
            "umap": dict(self.umap_params),
        }
        return {"raw": {}, **params} if self.mean.shape[1] == 2 else params

    def add_plane(self, plane: Any) -> None:
        """Register a map of chosen axes (vae.analysis.axes.PlaneMap: .projection, .coords, .code) so
        that its projection name works like the stored maps' (coords, trees, spacings, code_at)."""
        self._derived[("plane", plane.projection)] = plane

    def plane(self, projection: str) -> Any:
        try:
            return self._derived[("plane", projection)]
        except KeyError:
            raise ValueError(f"unknown projection {projection!r}") from None

    def coords(self, projection: str) -> np.ndarray:
        """(N, 2) map coordinates for 'raw' (latent_dim = 2 only), 'pca', 'tsne', 'umap' or a registered plane (add_plane)."""
        if projection == "raw":
            if self.mean.shape[1] != 2:
                raise ValueError("the raw projection needs latent_dim = 2")
            return self.mean
        if projection == "pca":
            return self.pca_coords
        if projection == "tsne":
            return self.tsne_coords
        if projection == "umap":
            return self.umap_coords
        if ("plane", projection) in self._derived:
            return self._derived[("plane", projection)].coords
        raise ValueError(f"unknown projection {projection!r}")


# A map location farther than this many typical neighbour spacings from every test point (on the
# map, or in latent space for the codes raw/PCA decode) is "far from the data": its picture is made up.
FAR_SPACINGS = 3.0


@dataclass
class MapLocation:
    """What a click on a 2-D map decodes to, and how far it is from the data (the honesty cue)."""

    code: np.ndarray  # (D,) latent code to decode
    method: str  # "exact" (raw), "pca_inverse", "umap_inverse", "tsne_nearest", "tsne_blend", "umap_nearest", "umap_blend"
    neighbours: np.ndarray  # indices of the test points used or nearest to `code`, nearest first
    map_distance: float  # map units from the clicked location to the nearest test point on this map
    map_spacing: float  # typical neighbour spacing on this map (Atlas.map_spacing)
    # Latent distance from `code` to the nearest test code, for the codes a map makes up (raw, PCA, UMAP's
    # inverse); None for the blends (t-SNE), whose codes are test codes or blends of them (their distance says nothing).
    latent_distance: float | None
    latent_spacing: float  # typical neighbour spacing in latent space (Atlas.latent_spacing)

    @property
    def map_spacings(self) -> float:
        """map_distance in typical neighbour spacings."""
        return self.map_distance / self.map_spacing if self.map_spacing > 0 else float("inf")

    @property
    def latent_spacings(self) -> float | None:
        """latent_distance in typical neighbour spacings (None for t-SNE)."""
        if self.latent_distance is None:
            return None
        return self.latent_distance / self.latent_spacing if self.latent_spacing > 0 else float("inf")

    @property
    def far_from_data(self) -> bool:
        """True where the decoded picture is made up: far from every test point on the map, or (raw, PCA)
        a code far from every test code."""
        return self.map_spacings > FAR_SPACINGS or (self.latent_spacings or 0.0) > FAR_SPACINGS


def code_at(
    atlas: Atlas, projection: str, xy: tuple[float, float], tsne_k: int = 1, blend: bool = False, offset: np.ndarray | None = None
) -> MapLocation:
    """Latent code for a map location. Raw: the point itself; PCA: the exact inverse transform;
    UMAP: umap-learn's inverse_transform (a code made up by UMAP's optimisation), or with `blend` the
    browser's way, as t-SNE; t-SNE (no inverse): the nearest test point's code (tsne_k = 1) or an
    inverse-distance blend of the tsne_k nearest on the map. Also how far the location is from the
    data (MapLocation). A plane of chosen axes (Atlas.add_plane): base + x·u + y·v + offset, exact."""
    point = np.asarray(xy, dtype=np.float64).reshape(2)
    map_distance = float(atlas.map_tree(projection).query(point)[0])
    spacings = {"map_spacing": atlas.map_spacing(projection), "latent_spacing": atlas.latent_spacing()}
    if projection == "raw":
        if atlas.mean.shape[1] != 2:
            raise ValueError("the raw projection needs latent_dim = 2")
        code, method = point.astype(np.float32), "exact"
    elif projection == "pca":
        code, method = atlas.pca.inverse_transform(point[None])[0].astype(np.float32), "pca_inverse"
    elif ("plane", projection) in atlas._derived:
        plane = atlas.plane(projection)
        code, method = plane.code(point, offset), plane.method
    elif projection == "umap" and not blend:
        code, method = atlas.umap().inverse_transform(point[None])[0].astype(np.float32), "umap_inverse"
    else:  # t-SNE, or UMAP the browser's way (coords() has refused unknown projections)
        code, idx, _ = blend_nearest(atlas.mean, atlas.coords(projection), point, max(1, tsne_k))
        method = f"{projection}_nearest" if tsne_k <= 1 else f"{projection}_blend"
        return MapLocation(code, method, idx, map_distance, latent_distance=None, **spacings)
    idx, dist = nearest_codes(atlas.mean, code, 8)
    return MapLocation(code, method, idx, map_distance, latent_distance=float(dist[0]), **spacings)


@contextmanager
def encoding_progress(model: VAE, total: int, enabled: bool = True) -> Iterator[None]:
    """A progress bar (stderr) over the images that pass through `model`'s encoder inside the block."""
    if not enabled:
        yield
        return
    with tqdm(total=total, desc="encoding test split", unit="image", dynamic_ncols=True) as bar:
        # per_sample_terms has no progress argument: count the images as the encoder sees them.
        def count(module: torch.nn.Module, inputs: tuple, output: torch.Tensor) -> None:  # None: the output is kept
            bar.update(len(inputs[0]))

        handle = model.encoder.register_forward_hook(count)
        try:
            yield
        finally:
            handle.remove()


def build_atlas(model_dir: str | Path, tsne_jobs: int = 2, verbose: bool = True) -> Path:
    """Encode the test split and write `atlas.safetensors` into the model folder (mode 0644, like the
    model files). verbose: progress on stderr (loading, encoding, t-SNE) and a summary on stdout."""
    model_dir = Path(model_dir)
    model = load_model(model_dir)
    if verbose:
        print(f"{model_dir.name}: loading the {model.config.dataset} test split…", file=sys.stderr, flush=True)
    images, _ = load_split(model.config.dataset, "test")
    t0 = time.time()
    with encoding_progress(model, len(images), verbose):
        terms = per_sample_terms(model, to_tensor(images))
    mean = terms["mean"].astype(np.float16).astype(np.float64)  # what the atlas stores
    pca = LatentPCA(2).fit(mean)
    t1 = time.time()
    tsne_coords = TSNEMap(TSNE_PERPLEXITY, TSNE_SEED, tsne_jobs, progress=verbose).fit_transform(mean)
    t2 = time.time()
    if verbose:
        print(f"UMAP of {len(mean)} codes ({UMAP_PARAMS})…", file=sys.stderr, flush=True)
    umap_coords = UMAPMap().fit_transform(mean)  # UMAP_PARAMS
    t3 = time.time()
    atlas = Atlas(
        test_index=np.arange(len(images)),
        mean=mean.astype(np.float32),  # float16 values: stored exactly
        logvar=terms["logvar"].astype(np.float16).astype(np.float32),
        recon_nats=terms["recon_nats"].astype(np.float32),
        # the closed form of the stored (float16) μ and log σ², as loading recomputes it
        kl_nats=kl_nats_per_dim(mean, terms["logvar"].astype(np.float16)).sum(1).astype(np.float32),
        pca_coords=pca.transform(mean).astype(np.float32),
        tsne_coords=np.asarray(tsne_coords, np.float32),
        pca=pca,
        weights_sha256=file_sha256(model_dir / WEIGHTS_FILE),
        umap_coords=np.asarray(umap_coords, np.float32),
        umap_params=dict(UMAP_PARAMS),
    )
    metadata = {
        "weights_sha256": atlas.weights_sha256,
        "recon_convention": RECON_CONVENTIONS[model.config.likelihood],
        "tsne": f"openTSNE perplexity={TSNE_PERPLEXITY} random_state={TSNE_SEED}",
        "umap": json.dumps(atlas.umap_params),
        "split": "test",
    }
    out = save_atlas(atlas, model_dir, metadata)
    if verbose:
        print(
            f"{model_dir.name}: {len(images)} test images encoded in {t1 - t0:.1f} s (PCA incl.), t-SNE {t2 - t1:.1f} s, UMAP {t3 - t2:.1f} s → {out}"
        )
    return out


def save_atlas(atlas: Atlas, model_dir: Path, metadata: dict[str, str]) -> Path:
    """Write `atlas` as the folder's atlas.safetensors (mode 0644, like the model files), atomically, in
    the compact layout of the module docstring (LAYOUT): μ, log σ² and t-SNE in float16, no PCA
    coordinates, test indices only when they are not 0 … N−1."""
    arrays = {
        "mean": atlas.mean,
        "logvar": atlas.logvar,
        "recon_nats": atlas.recon_nats,
        "pca_components": atlas.pca.components_,
        "pca_mean": atlas.pca.mean_,
        "pca_explained_variance_ratio": atlas.pca.explained_variance_ratio_,
        "tsne_coords": atlas.tsne_coords,
        "umap_coords": atlas.umap_coords,
    }
    if not np.array_equal(atlas.test_index, np.arange(len(atlas.mean))):
        arrays["test_index"] = atlas.test_index
    dtypes = LAYOUT | OPTIONAL_LAYOUT
    tensors = {name: torch.from_numpy(np.ascontiguousarray(value, dtypes[name])) for name, value in arrays.items()}
    out = Path(model_dir) / ATLAS_FILE
    tmp = Path(model_dir) / f".{ATLAS_FILE}.tmp"
    try:
        save_file(tensors, str(tmp), metadata=metadata)
        os.chmod(tmp, 0o644)  # safetensors creates files 0600; the atlas is shared data like the weights (vae.core.checkpoint)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)  # only left when interrupted or failed
    return out


def _refuse_other_layout(path: Path, meta: dict, arrays: dict[str, np.ndarray], rebuild: str) -> None:
    """An atlas whose tensors, dtypes or metadata tags are not those save_atlas writes (LAYOUT,
    REQUIRED_METADATA) is refused: no field of it is guessed."""
    dtypes = LAYOUT | OPTIONAL_LAYOUT
    missing = sorted(set(LAYOUT) - set(arrays))
    unexpected = sorted(set(arrays) - set(dtypes))
    other_dtypes = sorted(k for k, v in arrays.items() if k in dtypes and v.dtype != dtypes[k])
    untagged = [k for k in REQUIRED_METADATA if not meta.get(k)]
    if missing or unexpected or other_dtypes or untagged:
        found = {"missing tensors": missing, "unexpected tensors": unexpected, "other dtypes": other_dtypes, "missing metadata": untagged}
        details = "; ".join(f"{what} {names}" for what, names in found.items() if names)
        raise CheckpointError(f"{path}: not in the atlas layout this code reads ({details}); {rebuild}")


def _refuse_stale(model_dir: Path, path: Path, meta: dict, rebuild: str) -> None:
    """An atlas made from other weights, or whose scores use another likelihood convention, is stale."""
    refuse_other_weights(model_dir, path, meta, rebuild)
    try:
        likelihood = VAEConfig.load(model_dir / CONFIG_FILE).likelihood
    except ConfigError:
        return  # the model itself will be refused with the config's own message
    if meta["recon_convention"] != RECON_CONVENTIONS[likelihood]:
        raise CheckpointError(
            f"{path}: its scores use the likelihood convention {meta['recon_convention']!r}, this code computes "
            f"{RECON_CONVENTIONS[likelihood]!r}; {rebuild}"
        )


def load_atlas(model_dir: str | Path) -> Atlas:
    """The model's atlas; CheckpointError when it is missing, damaged, in another layout or stale
    (with the command that rebuilds it)."""
    model_dir = Path(model_dir)
    path = model_dir / ATLAS_FILE
    meta, a = read_derived(path, "atlas", f"build it with `vae-explorer atlas {model_dir}`")
    rebuild = f"rebuild it with `vae-explorer atlas {model_dir}`"
    _refuse_other_layout(path, meta, a, rebuild)
    _refuse_stale(model_dir, path, meta, rebuild)
    mean = a["mean"].astype(np.float32)
    pca = LatentPCA.from_arrays(a["pca_components"], a["pca_mean"], a["pca_explained_variance_ratio"])
    return Atlas(
        test_index=a["test_index"].astype(np.int64) if "test_index" in a else np.arange(len(mean), dtype=np.int64),
        mean=mean,
        logvar=a["logvar"].astype(np.float32),
        recon_nats=a["recon_nats"].astype(np.float32),
        # not stored: the closed form of the stored μ and log σ² (build_atlas's own values)
        kl_nats=kl_nats_per_dim(a["mean"], a["logvar"]).sum(1).astype(np.float32),
        # not stored: the transform of the stored μ, exactly as build_atlas computes it
        pca_coords=pca.transform(a["mean"].astype(np.float64)).astype(np.float32),
        tsne_coords=a["tsne_coords"].astype(np.float32),
        pca=pca,
        weights_sha256=meta["weights_sha256"],
        umap_coords=a["umap_coords"].astype(np.float32),
        umap_params=_umap_params(path, meta["umap"], rebuild),
    )


def _umap_params(path: Path, tag: str, rebuild: str) -> dict[str, Any]:
    """The atlas's "umap" metadata tag (JSON: UMAPMap.params), checked."""
    try:
        params = json.loads(tag)
        params = {"n_neighbors": int(params["n_neighbors"]), "min_dist": float(params["min_dist"]),
                  "metric": str(params["metric"]), "random_state": int(params["random_state"])}  # fmt: skip
    except (ValueError, KeyError, TypeError) as err:
        raise CheckpointError(f"{path}: its UMAP parameters {tag!r} cannot be read ({err}); {rebuild}") from None
    if params["metric"] != "euclidean":
        raise CheckpointError(f"{path}: a UMAP map made with the {params['metric']!r} metric; this code reads Euclidean maps; {rebuild}")
    return params


def main(argv: list[str] | None = None) -> int:
    parser = command_parser(
        "atlas", "Encode a model's test split and store its atlas (what the latent map shows) beside its weights.", EXAMPLES
    )
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
        except KeyboardInterrupt:
            print(f"interrupted: no new atlas for {model_dir} (an existing {ATLAS_FILE} there is unchanged)", file=sys.stderr)
            return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
