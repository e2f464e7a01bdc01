"""2-D projections of latent codes, scikit-learn style: parameters in __init__, learned state ends in _.

`LatentPCA` has an exact `inverse_transform` (a click on the PCA map maps back to the latent point
on the fitted plane). t-SNE has no inverse; `TSNEMap` keeps what openTSNE needs to place new
points into an existing map, and a fast nearest-neighbour placement for interactive use.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

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
        """(distances, indices), each (N, k): the k nearest reference codes (nearest_reference_codes)."""
        return nearest_reference_codes(self.codes_, codes, k)

    def place(self, codes: np.ndarray, k: int = 10) -> np.ndarray:
        """Fast out-of-sample placement (milliseconds): place_among_neighbours."""
        return place_among_neighbours(self.codes_, self.embedding_, codes, k)

    def transform(self, codes: np.ndarray) -> np.ndarray:
        """openTSNE's out-of-sample optimisation (slower, refines `place`)."""
        # openTSNE takes seconds to import: only when a point is refined
        from openTSNE import TSNEEmbedding
        from openTSNE.affinity import PerplexityBasedNN

        if self._openTSNE_embedding is None:
            affinities = PerplexityBasedNN(self.codes_, perplexity=self.perplexity, n_jobs=self.n_jobs, random_state=self.random_state)
            self._openTSNE_embedding = TSNEEmbedding(self.embedding_, affinities, random_state=self.random_state)
        return np.asarray(self._openTSNE_embedding.transform(np.atleast_2d(np.asarray(codes, dtype=np.float64))))


def nearest_reference_codes(reference: np.ndarray, codes: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(distances, indices), each (N, k): the k nearest reference codes, Euclidean in latent space,
    ties to the lowest index (vae.core.latent.nearest_codes, the browser's rule)."""
    codes = np.atleast_2d(np.asarray(codes, dtype=np.float64))
    found = [nearest_codes(reference, code, k) for code in codes]
    return np.stack([d for _, d in found]), np.stack([i for i, _ in found])


def place_among_neighbours(reference: np.ndarray, embedding: np.ndarray, codes: np.ndarray, k: int = 10) -> np.ndarray:
    """(N, D) codes → (N, 2) map positions on a map with no fast transform (t-SNE, UMAP): the
    inverse-distance-weighted mean of the map positions of the k nearest reference codes."""
    dist, idx = nearest_reference_codes(reference, codes, k)
    w = 1.0 / (dist + 1e-6)
    w /= w.sum(1, keepdims=True)
    return (np.asarray(embedding, np.float64)[idx] * w[..., None]).sum(1)


class UMAPMap:
    """A UMAP map of latent codes (umap-learn), with UMAP's own `inverse_transform` (map → latent code).

    The fit uses the exact k nearest neighbours (scikit-learn) rather than UMAP's approximate search,
    so the map is a function of the codes and the parameters alone: the same codes and seed give the
    same map, and `from_arrays` rebuilds, from the stored codes and map, exactly the state that
    umap-learn's inverse_transform reads (the test compares the two outputs bit for bit).

    `inverse_transform` runs umap-learn's algorithm with its own functions, with one change: the map's
    Delaunay triangulation and its adjacency are built once per map and kept (umap-learn rebuilds them
    on every call, seconds for 10,000 points, in a Python loop).
    """

    def __init__(self, n_neighbors: int = 15, min_dist: float = 0.1, random_state: int = 0):
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.random_state = random_state

    @property
    def params(self) -> dict[str, Any]:
        """The parameters a map is made with, as the atlas records them."""
        return {"n_neighbors": self.n_neighbors, "min_dist": self.min_dist, "metric": "euclidean", "random_state": self.random_state}

    def _umap(self) -> Any:  # umap.UMAP: umap takes seconds to import, only when a UMAP map is used
        import warnings

        import umap

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "n_jobs overridden by setting random_state": wanted, for a reproducible map
            return umap.UMAP(
                n_neighbors=self.n_neighbors,
                min_dist=self.min_dist,
                metric="euclidean",
                random_state=self.random_state,
                force_approximation_algorithm=True,  # the neighbour branch, with our exact neighbours, at every size
            )

    def _exact_neighbours(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(indices, distances), each (N, n_neighbors), each code first among its own neighbours."""
        from sklearn.neighbors import NearestNeighbors

        dist, idx = NearestNeighbors(n_neighbors=self.n_neighbors).fit(codes).kneighbors(codes)
        return idx.astype(np.int32), dist.astype(np.float32)

    def fit_transform(self, codes: np.ndarray) -> np.ndarray:
        import warnings

        codes = np.ascontiguousarray(codes, dtype=np.float32)
        if len(codes) <= self.n_neighbors:
            raise ValueError(f"UMAP needs more than n_neighbors = {self.n_neighbors} codes, got {len(codes)}")
        idx, dist = self._exact_neighbours(codes)
        model = self._umap()
        model.precomputed_knn = (idx, dist, None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # precomputed neighbours without a search index: no transform() needed
            embedding = model.fit_transform(codes)
        self._model = model
        self.codes_ = codes
        self.embedding_ = np.asarray(embedding, dtype=np.float32)
        self._triangulation: tuple | None = None
        return self.embedding_

    @classmethod
    def from_arrays(
        cls, codes: np.ndarray, embedding: np.ndarray, n_neighbors: int = 15, min_dist: float = 0.1, random_state: int = 0
    ) -> UMAPMap:
        """A fitted map from the codes and their map positions, without refitting (milliseconds, plus
        umap-learn's import): the state that inverse_transform reads is recomputed from the codes."""
        import warnings

        from umap.umap_ import find_ab_params, smooth_knn_dist

        self = cls(n_neighbors, min_dist, random_state)
        # copies: the compiled optimisation wants writable arrays (a loaded atlas's are read-only)
        self.codes_ = np.array(codes, dtype=np.float32, order="C", copy=True)
        self.embedding_ = np.array(embedding, dtype=np.float32, order="C", copy=True)
        model = self._umap()
        model._raw_data = self.codes_
        model._initial_alpha = model.learning_rate
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the seed's "n_jobs overridden", as in _umap
            model._validate_parameters()
        model._a, model._b = find_ab_params(model.spread, model.min_dist)
        model.embedding_ = self.embedding_
        _, dist = self._exact_neighbours(self.codes_)
        model._sigmas, model._rhos = smooth_knn_dist(dist, float(self.n_neighbors), local_connectivity=float(model.local_connectivity))
        self._model = model
        self._triangulation = None
        return self

    @property
    def model(self) -> Any:  # the umap.UMAP whose state inverse_transform reads
        return self._model

    def _adjacency(self) -> tuple[Any, Any]:
        """The map's Delaunay triangulation and the adjacency of its vertices, as umap-learn builds
        them in inverse_transform (every pair of vertices of a simplex, itself included)."""
        if self._triangulation is None:
            import scipy.sparse
            import scipy.spatial

            n = len(self.embedding_)
            tri = scipy.spatial.Delaunay(self.embedding_, incremental=True, qhull_options="QJ")
            simplices = tri.simplices[(tri.simplices < n).all(1)]
            k = simplices.shape[1]
            rows = np.repeat(simplices, k, axis=1).ravel()
            cols = np.tile(simplices, (1, k)).ravel()
            adj = scipy.sparse.csr_matrix((np.ones(len(rows), dtype=int), (rows, cols)), shape=(n, n))
            adj.data[:] = 1  # duplicates summed: an edge is 1, as umap-learn's lil_matrix sets it
            self._triangulation = (tri, adj)
        return self._triangulation

    def inverse_transform(self, coords: np.ndarray) -> np.ndarray:
        """(N, 2) map positions → (N, D) latent codes, by umap-learn's inverse_transform: from the
        triangle of the map that holds each position, the nearest map points seed a weighted mean of
        their codes, which UMAP's layout optimisation then moves until its map neighbourhood matches."""
        import scipy.sparse
        import umap.distances as umap_distances
        from sklearn.preprocessing import normalize
        from sklearn.utils import check_array, check_random_state
        from umap.umap_ import INT32_MAX, INT32_MIN, breadth_first_search, init_transform, make_epochs_per_sample

        m = self._model
        X = check_array(np.atleast_2d(coords), dtype=np.float32, order="C")
        rng_state = check_random_state(m.transform_seed).randint(INT32_MIN, INT32_MAX, 3).astype(np.int64)
        tri, adj = self._adjacency()
        n, d = self.codes_.shape
        neighbors = tri.simplices[tri.find_simplex(X)]
        min_vertices = min(d, n)
        neighborhood = [breadth_first_search(adj, v[0], min_vertices=min_vertices) for v in neighbors]
        metric = umap_distances.named_distances["euclidean"]  # umap-learn's own distance (float32, as it computes)
        distances = [np.array([metric(X[i], self.embedding_[j]) for j in nb]) for i, nb in enumerate(neighborhood)]
        order = [np.argsort(e)[:min_vertices] for e in distances]
        indices = np.array([neighborhood[i][o] for i, o in enumerate(order)])
        dists = np.array([distances[i][o] for i, o in enumerate(order)])
        rows = np.repeat(np.arange(len(X)), min_vertices)
        weights = 1 / (1 + m._a * dists.ravel() ** (2 * m._b))
        graph = scipy.sparse.coo_matrix((weights, (rows, indices.ravel())), shape=(len(X), n))
        csr = normalize(graph.tocsr(), norm="l1")
        points = init_transform(csr.indices.reshape(len(X), min_vertices), csr.data.reshape(len(X), min_vertices), self.codes_)
        n_epochs = (100 if graph.shape[0] <= 10000 else 30) if m.n_epochs is None else int(m.n_epochs // 3.0)
        epochs_per_sample = make_epochs_per_sample(graph.data, n_epochs)
        # umap.layouts.optimize_layout_inverse, with its one-epoch step compiled once per process
        # rather than on every call (0.7 s): the same steps in the same order.
        step = _inverse_epoch_step()
        alpha = initial_alpha = m._initial_alpha / 4.0
        epochs_per_negative_sample = epochs_per_sample / m.negative_sample_rate
        next_negative, next_sample = epochs_per_negative_sample.copy(), epochs_per_sample.copy()
        head, tail, weight = graph.row, graph.col, graph.data
        for epoch in range(n_epochs):
            step(
                epochs_per_sample, next_sample, head, tail, points, self.codes_, m._inverse_distance_func,
                tuple(m._metric_kwds.values()), weight, m._sigmas, d, alpha, False, epoch, next_negative,
                epochs_per_negative_sample, rng_state, n, m._rhos, m.repulsion_strength,
            )  # fmt: skip
            alpha = initial_alpha * (1.0 - (float(epoch) / float(n_epochs)))
        return points


@functools.cache
def _inverse_epoch_step() -> Any:  # a numba dispatcher
    """umap-learn's one epoch of the inverse layout's optimisation, compiled (numba) once."""
    import numba
    from umap.layouts import _optimize_layout_inverse_single_epoch

    return numba.njit(_optimize_layout_inverse_single_epoch, fastmath=True)
