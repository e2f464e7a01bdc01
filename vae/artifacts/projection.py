"""2-D projections of latent codes, scikit-learn style: parameters in __init__, learned state ends in _.

`LatentPCA` has an exact `inverse_transform` (a click on the PCA map maps back to the latent point
on the fitted plane). t-SNE has no inverse; `TSNEMap` keeps what openTSNE needs to place new
points into an existing map, and a fast nearest-neighbour placement for interactive use.
"""

from __future__ import annotations

import sys

import numpy as np
from tqdm import tqdm

from vae.core.latent import nearest_codes


class LatentPCA:
    """Principal components of latent codes, fitted by SVD."""

    def __init__(self, n_components: int = 2):
        self.n_components = n_components

    def fit(self, codes: np.ndarray) -> LatentPCA:
        codes = np.asarray(codes, dtype=np.float64)
        self.mean_ = codes.mean(0)
        _, s, vt = np.linalg.svd(codes - self.mean_, full_matrices=False)
        k = min(self.n_components, vt.shape[0])
        # Fix the sign of each component so refits give the same picture.
        signs = np.sign(vt[:k, np.abs(vt[:k]).argmax(1)].diagonal())
        signs[signs == 0] = 1
        self.components_ = vt[:k] * signs[:, None]  # (k, D)
        var = s**2 / max(1, len(codes) - 1)
        self.explained_variance_ratio_ = var[:k] / var.sum() if var.sum() > 0 else np.zeros(k)
        return self

    @classmethod
    def from_arrays(cls, components: np.ndarray, mean: np.ndarray, explained_variance_ratio: np.ndarray) -> LatentPCA:
        pca = cls(len(components))
        pca.components_ = np.asarray(components, dtype=np.float64)
        pca.mean_ = np.asarray(mean, dtype=np.float64)
        pca.explained_variance_ratio_ = np.asarray(explained_variance_ratio, dtype=np.float64)
        return pca

    def transform(self, codes: np.ndarray) -> np.ndarray:
        """(N, D) latent codes → (N, k) map coordinates."""
        return (np.asarray(codes, dtype=np.float64) - self.mean_) @ self.components_.T

    def inverse_transform(self, coords: np.ndarray) -> np.ndarray:
        """(N, k) map coordinates → (N, D) latent codes on the fitted plane (exact: transform ∘ inverse = id)."""
        return np.asarray(coords, dtype=np.float64) @ self.components_ + self.mean_


class TSNEProgress:
    """openTSNE callback: one progress bar (stderr) over both optimisation phases of TSNE.fit,
    early exaggeration then the main run. openTSNE counts iterations from 1 in each phase."""

    def __init__(self, phases: list[tuple[str, int]], every: int = 10):
        self.phases = phases  # (name, iterations) in the order TSNE.fit runs them
        self.every = every
        self.bar: tqdm | None = None
        self.phase = 0
        self.last_iteration = 0
        self.finished = False

    def __call__(self, iteration: int, error: float, embedding: np.ndarray) -> bool:
        if self.finished:  # the embedding keeps its callbacks; later transform() calls stay quiet
            return False
        new_phase = self.bar is None or iteration < self.last_iteration
        if self.bar is None:  # the first call marks the end of the affinity computation
            self.bar = tqdm(total=sum(n for _, n in self.phases), desc="t-SNE optimisation", unit="iter", dynamic_ncols=True)
        elif iteration < self.last_iteration:
            self.phase = min(self.phase + 1, len(self.phases) - 1)
        self.last_iteration = iteration
        done = sum(n for _, n in self.phases[: self.phase]) + iteration
        # each phase is shown when it starts, however fast the run (tqdm otherwise redraws at most every 0.1 s)
        self.bar.set_postfix_str(f"{self.phases[self.phase][0]}, KL {error:.3f}", refresh=new_phase)
        self.bar.update(done - self.bar.n)
        return False  # never stop the optimisation

    def close(self) -> None:
        self.finished = True
        if self.bar is not None:
            self.bar.close()


class TSNEMap:
    """A t-SNE map of latent codes (openTSNE), able to place new codes into it."""

    def __init__(self, perplexity: float = 30.0, random_state: int = 0, n_jobs: int = 2, progress: bool = False):
        self.perplexity = perplexity
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress  # a line for the affinities and a progress bar for the optimisation, on stderr

    def fit_transform(self, codes: np.ndarray) -> np.ndarray:
        from openTSNE import TSNE  # seconds to import: only when a t-SNE map is made

        codes = np.asarray(codes, dtype=np.float64)
        self.codes_ = codes
        params = dict(perplexity=self.perplexity, random_state=self.random_state, n_jobs=self.n_jobs, verbose=False)
        if not self.progress:
            embedding = TSNE(**params).fit(codes)
        else:
            # The error that openTSNE evaluates for the callback does not change the gradient: same map either way.
            defaults = TSNE(**params)
            bar = TSNEProgress([("early exaggeration", defaults.early_exaggeration_iter), ("main", defaults.n_iter)])
            print(f"t-SNE: affinities of {len(codes)} codes (perplexity {self.perplexity:g})…", file=sys.stderr, flush=True)
            try:
                embedding = TSNE(**params, callbacks=bar, callbacks_every_iters=bar.every).fit(codes)
            finally:
                bar.close()
        self.embedding_ = np.asarray(embedding)
        self._openTSNE_embedding = embedding
        return self.embedding_

    @classmethod
    def from_arrays(cls, codes: np.ndarray, embedding: np.ndarray, perplexity: float = 30.0, random_state: int = 0) -> TSNEMap:
        tsne = cls(perplexity, random_state)
        tsne.codes_ = np.asarray(codes, dtype=np.float64)
        tsne.embedding_ = np.asarray(embedding, dtype=np.float64)
        tsne._openTSNE_embedding = None
        return tsne

    def nearest(self, codes: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """(distances, indices), each (N, k): the k nearest reference codes, Euclidean in latent space,
        ties to the lowest index (vae.core.latent.nearest_codes, the browser's rule)."""
        codes = np.atleast_2d(np.asarray(codes, dtype=np.float64))
        found = [nearest_codes(self.codes_, code, k) for code in codes]
        return np.stack([d for _, d in found]), np.stack([i for i, _ in found])

    def place(self, codes: np.ndarray, k: int = 10) -> np.ndarray:
        """Fast out-of-sample placement (milliseconds): inverse-distance-weighted mean of the k nearest codes' map positions."""
        dist, idx = self.nearest(codes, k)
        w = 1.0 / (dist + 1e-6)
        w /= w.sum(1, keepdims=True)
        return (self.embedding_[idx] * w[..., None]).sum(1)

    def transform(self, codes: np.ndarray) -> np.ndarray:
        """openTSNE's out-of-sample optimisation (slower, refines `place`)."""
        # openTSNE takes seconds to import: only when a point is refined
        from openTSNE import TSNEEmbedding
        from openTSNE.affinity import PerplexityBasedNN

        if self._openTSNE_embedding is None:
            affinities = PerplexityBasedNN(self.codes_, perplexity=self.perplexity, n_jobs=self.n_jobs, random_state=self.random_state)
            self._openTSNE_embedding = TSNEEmbedding(self.embedding_, affinities, random_state=self.random_state)
        return np.asarray(self._openTSNE_embedding.transform(np.atleast_2d(np.asarray(codes, dtype=np.float64))))
