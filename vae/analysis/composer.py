"""Face composer: an interactive evolutionary search in latent space (a composite-portrait tool).

A witness who cannot draw is shown a population of generated faces, picks those closest to the
person they saw, and a new generation is bred from the picks, until one face is close enough.

Breeding from the picked codes S (k, D), mean m:
  slot 0  the elite: m itself (a pick is never lost);
  others  uniform crossover of a random pair of picks (one parent per coordinate; with a single
          pick, that pick), plus Gaussian mutation N(0, σ² I) with
          σ = max(MIN_STEP, STEP · temperature · DECAY^generation), which shrinks as the witness converges;
  then    optional attribute constraints (vae.artifacts.attributes.AttributeDirections.constrain), e.g. "male".
The "cma" search replaces crossover and the schedule by CMA-ES's updates (Hansen's defaults, the picks as
its μ parents with equal weights): children = mean of the picks + σ·N(0, C), where the covariance C
learns the directions the picks move along and σ grows while successive picks keep moving the same way
and shrinks when they wander (cumulative step-size adaptation). Faces the witness rejects ("not this")
are remembered: a child nearer a rejected face than every pick is drawn again (up to REDRAWS times).
Constraints can hold from the first generation (restart(constraints=…)).
The first population comes from the model's learned latent density where it has one (vae.artifacts.density:
samples that look like the data), else from the prior. Every generation's randomness comes from
SeedSequence([seed, generation]), so a session is
reproduced exactly by its seed and its sequence of picks (see `log()` / `Composer.replay`), and
undo followed by the same picks gives the same generation again. Pure numpy; no UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

STEP = 0.4  # first mutation step, as a fraction of the prior sampling temperature
DECAY = 0.8  # per generation
MIN_STEP = 0.05
MIN_POPULATION, MAX_POPULATION = 2, 64
SEARCHES = ("breed", "cma")
# The search the dashboard's composer uses: CMA-ES, which the witness benchmark (benchmarks/witness.py,
# logs/witness.txt) found to identify better than crossover with a shrinking step: on celeba-z64, rank-1 in
# a 10-face lineup after 10 generations 34 % against 23 % (adversarial decoder, 100 simulated witnesses).
PRODUCT_SEARCH = "cma"
REDRAWS = 4  # draws of a child that lands nearer a rejected face than every pick


class Directions(Protocol):
    def constrain(self, codes: np.ndarray, constraints: dict[str, float]) -> np.ndarray: ...


# Draws a first population: (n, seed, temperature) → (n, D) codes; e.g. a learned latent density's
# sample (vae.artifacts.density.LearnedDensity.sample). None: the prior N(0, temperature² I).
Sampler = Callable[[int, int, float], np.ndarray]


@dataclass(frozen=True)
class CmaState:
    """CMA-ES's state after a breed: the mean, step σ, covariance C and the two evolution paths."""

    mean: np.ndarray
    sigma: float
    cov: np.ndarray
    path_sigma: np.ndarray
    path_cov: np.ndarray
    breeds: int


@dataclass(frozen=True)
class Generation:
    """One population; `parents` are the picks (indices into the previous generation) it was bred from,
    `rejected` the faces of the previous generation the witness rejected."""

    codes: np.ndarray  # (P, D) float32, read-only
    parents: tuple[int, ...] = ()
    constraints: dict[str, float] = field(default_factory=dict)
    rejected: tuple[int, ...] = ()
    cma: CmaState | None = None
    ranked: bool = False  # the picks in the witness's order, most alike first


class Composer:
    """A seeded breeding session. `current` is the population on show; `history` every generation so far."""

    def __init__(
        self,
        latent_dim: int,
        population: int = 16,
        seed: int = 0,
        *,
        temperature: float = 0.8,
        start: np.ndarray | None = None,
        sampler: Sampler | None = None,
        source: str = "prior",
        search: str = "breed",
    ):
        if search not in SEARCHES:
            raise ValueError(f"unknown search {search!r}: one of {', '.join(SEARCHES)}")
        if not MIN_POPULATION <= population <= MAX_POPULATION:
            raise ValueError(f"population must be in [{MIN_POPULATION}, {MAX_POPULATION}], got {population}")
        if latent_dim < 1 or not temperature > 0:
            raise ValueError("latent_dim must be ≥ 1 and temperature > 0")
        self.latent_dim = int(latent_dim)
        self.population = int(population)
        self.temperature = float(temperature)
        self.sampler, self.source = sampler, source if sampler is not None else "prior"
        self.search = search
        self.restart(seed, start)

    # ---- state ---------------------------------------------------------------------------
    @property
    def current(self) -> np.ndarray:
        """(P, D) codes of the generation on show (read-only)."""
        return self.history[-1].codes

    @property
    def generation(self) -> int:
        """0 for the first population, +1 per breed."""
        return len(self.history) - 1

    def step_size(self, generation: int | None = None) -> float:
        """σ of the mutation that breeds generation + 1 (latent units); with the "cma" search, once it has
        bred, CMA-ES's current step (its covariance shapes the mutation too)."""
        cma = self.history[-1].cma if generation is None else None
        if cma is not None:
            return cma.sigma
        g = self.generation if generation is None else generation
        return max(MIN_STEP, STEP * self.temperature * DECAY**g)

    def picks(self) -> list[np.ndarray]:
        """Per breed so far, the picked codes (k, D), oldest first."""
        return [self.history[g - 1].codes[list(self.history[g].parents)] for g in range(1, len(self.history))]

    def _rng(self, generation: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, generation]))

    # ---- actions ------------------------------------------------------------------------
    def restart(
        self,
        seed: int | None = None,
        start: np.ndarray | None = None,
        constraints: dict[str, float] | None = None,
        directions: Directions | None = None,
    ) -> np.ndarray:
        """A fresh first generation: samples of the sampler (a learned density) or of the prior
        N(0, temperature² I), or, from a start code (an uploaded photo's), that code plus mutations
        of it; held to the attribute constraints a witness states from the start ("male, beard").
        Returns it."""
        self.seed: int = int(self.seed if seed is None else seed)
        self.start = None if start is None else np.array(start, dtype=np.float32).reshape(self.latent_dim)
        rng = self._rng(0)
        if self.start is None and self.sampler is not None:
            codes = np.asarray(self.sampler(self.population, int(rng.integers(2**31)), self.temperature), np.float64)
        elif self.start is None:
            codes = rng.standard_normal((self.population, self.latent_dim)) * self.temperature
        else:
            codes = np.repeat(self.start[None].astype(np.float64), self.population, 0)
            codes[1:] += rng.standard_normal((self.population - 1, self.latent_dim)) * self.step_size(0)
        levels = _levels(constraints, directions)
        if levels:
            codes = directions.constrain(codes.astype(np.float32), levels)  # type: ignore[union-attr]
        self.history = [Generation(_frozen(codes), constraints=levels)]
        return self.current

    def breed(
        self,
        selected: list[int] | tuple[int, ...],
        constraints: dict[str, float] | None = None,
        directions: Directions | None = None,
        rejected: list[int] | tuple[int, ...] = (),
        ranked: bool = False,
    ) -> np.ndarray:
        """Breed the next generation from the picked indices of `current` (and, where the witness said
        "not this", the rejected ones); returns its codes (P, D). `ranked`: the picks come most alike
        first, and the "cma" search weighs them so (CMA-ES's log weights), else they count alike."""
        picked = list(dict.fromkeys(int(i) for i in selected)) if ranked else sorted({int(i) for i in selected})
        refused = sorted({int(i) for i in rejected} - set(picked))
        if not picked:
            raise ValueError("pick at least one face to breed from")
        if min(picked + refused) < 0 or max(picked + refused) >= self.population:
            raise IndexError(f"picks must be in [0, {self.population - 1}], got {picked + refused}")
        levels = _levels(constraints, directions)
        parents = self.current[picked].astype(np.float64)  # (k, D)
        rng = self._rng(self.generation + 1)
        weights = rank_weights(len(parents)) if ranked and self.search == "cma" else None  # None: alike
        state = self._cma(parents, weights) if self.search == "cma" else None
        children = self._children(parents, rng, state)
        children = self._away_from_rejected(children, parents, rng, state, self._rejected_codes(refused))
        codes = np.concatenate([parents.mean(0, keepdims=True) if weights is None else (weights @ parents)[None], children])
        if levels:
            codes = directions.constrain(codes.astype(np.float32), levels)  # type: ignore[union-attr]
        self.history.append(Generation(_frozen(codes), tuple(picked), levels, tuple(refused), state, ranked))
        return self.current

    def _children(self, parents: np.ndarray, rng: np.random.Generator, state: CmaState | None) -> np.ndarray:
        n_children, dim = self.population - 1, self.latent_dim
        if state is not None:
            return _cma_sample(state, rng, n_children)
        pairs = rng.integers(0, len(parents), size=(n_children, 2))
        mask = rng.random((n_children, dim)) < 0.5  # uniform crossover: which parent gives each coordinate
        children = np.where(mask, parents[pairs[:, 0]], parents[pairs[:, 1]])
        return children + rng.standard_normal((n_children, dim)) * self.step_size()

    def _rejected_codes(self, refused: list[int]) -> np.ndarray:
        """Every face rejected so far, this breed's included (R, D)."""
        rows = [self.history[g - 1].codes[list(self.history[g].rejected)] for g in range(1, len(self.history)) if self.history[g].rejected]
        rows.append(self.current[refused])
        return np.concatenate(rows).astype(np.float64) if rows else np.zeros((0, self.latent_dim))

    def _away_from_rejected(
        self, children: np.ndarray, parents: np.ndarray, rng: np.random.Generator, state: CmaState | None, rejected: np.ndarray
    ) -> np.ndarray:
        """Children nearer a rejected face than every pick are drawn again (the rng's stream continues:
        reproducible); after REDRAWS draws a child stays as it is."""
        if not len(rejected):
            return children
        for _ in range(REDRAWS):
            near_rejected = _nearest_distance(children, rejected) < _nearest_distance(children, parents)
            if not near_rejected.any():
                break
            children[near_rejected] = self._children(parents, rng, state)[near_rejected]
        return children

    def _cma(self, parents: np.ndarray, weights: np.ndarray | None) -> CmaState:
        """CMA-ES's update for this breed's picks, from the last breed's state (or the population on show)."""
        previous = self.history[-1].cma
        if previous is None:
            spread = float(self.current.astype(np.float64).std(0).mean()) if self.start is None else self.step_size(0)
            previous = CmaState(
                self.current.astype(np.float64).mean(0) if self.start is None else self.start.astype(np.float64),
                max(spread, MIN_STEP),
                np.eye(self.latent_dim),
                np.zeros(self.latent_dim),
                np.zeros(self.latent_dim),
                0,
            )
        return _cma_update(previous, parents, weights)

    def undo(self) -> bool:
        """Back to the previous generation, exactly; False when already at the first one."""
        if len(self.history) == 1:
            return False
        self.history.pop()
        return True

    # ---- replay -------------------------------------------------------------------------
    def log(self) -> dict[str, Any]:
        """Everything needed to replay this session (JSON-serialisable)."""
        return {
            "latent_dim": self.latent_dim,
            "population": self.population,
            "seed": self.seed,
            "temperature": self.temperature,
            "source": self.source,  # "prior" or "learned": where the first population came from
            "search": self.search,
            "first_constraints": dict(self.history[0].constraints),
            "start": None if self.start is None else [float(v) for v in self.start],
            "breeds": [
                {
                    "picks": list(g.parents),
                    "constraints": dict(g.constraints),
                    **({"rejected": list(g.rejected)} if g.rejected else {}),
                    **({"ranked": True} if g.ranked else {}),
                }
                for g in self.history[1:]
            ],
        }

    @classmethod
    def replay(cls, log: dict[str, Any], directions: Directions | None = None, sampler: Sampler | None = None) -> Composer:
        """Rebuild a session from `log()`: the same generations, bit for bit (a session that started
        from a learned density needs that density's sampler)."""
        start = log.get("start")
        if log.get("source", "prior") != "prior" and sampler is None and start is None:
            raise ValueError(f"this session started from the {log['source']} density: replay it with that density's sampler")
        composer = cls(
            log["latent_dim"],
            log["population"],
            log["seed"],
            temperature=log["temperature"],
            start=None if start is None else np.asarray(start),
            sampler=sampler if log.get("source", "prior") != "prior" else None,
            source=log.get("source", "prior"),
            search=log.get("search", "breed"),
        )
        if log.get("first_constraints"):
            composer.restart(constraints=log["first_constraints"], directions=directions)
        for step in log["breeds"]:
            composer.breed(step["picks"], step.get("constraints") or None, directions, step.get("rejected", ()), step.get("ranked", False))
        return composer


def _frozen(codes: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(codes, dtype=np.float32)
    out.setflags(write=False)
    return out


def mean_pairwise_distance(codes: np.ndarray) -> float:
    """Mean Euclidean distance between distinct rows of codes (N, D): the population's diversity."""
    codes = np.asarray(codes, np.float64)
    d2 = (codes**2).sum(1)[:, None] - 2 * codes @ codes.T + (codes**2).sum(1)[None]
    n = len(codes)
    return float(np.sqrt(np.maximum(d2, 0))[~np.eye(n, dtype=bool)].mean()) if n > 1 else 0.0


def _levels(constraints: dict[str, float] | None, directions: Directions | None) -> dict[str, float]:
    levels = {k: float(v) for k, v in (constraints or {}).items() if v}
    if levels and directions is None:
        raise ValueError("attribute constraints need the model's attribute directions")
    return levels


def _nearest_distance(points: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(N,) distance from each point to its nearest row of `others`."""
    d2 = (points**2).sum(1)[:, None] - 2 * points @ others.T + (others**2).sum(1)[None]
    return np.sqrt(np.maximum(d2, 0).min(1))


def rank_weights(k: int) -> np.ndarray:
    """CMA-ES's recombination weights for k parents ranked best first: ∝ ln(k + ½) − ln(i), summing to 1."""
    w = np.log(k + 0.5) - np.log(np.arange(1, k + 1))
    return w / w.sum()


def _cma_update(state: CmaState, parents: np.ndarray, weights: np.ndarray | None = None) -> CmaState:
    """One CMA-ES update (Hansen, "The CMA Evolution Strategy: A Tutorial", default constants) with the
    picks as the μ selected parents, weighted by `weights` (summing to 1; μ_eff = 1 / Σ w²), else alike."""
    dim = parents.shape[1]
    mu = len(parents) if weights is None else 1 / float((weights**2).sum())
    cs = (mu + 2) / (dim + mu + 5)
    ds = 1 + 2 * max(0.0, np.sqrt((mu - 1) / (dim + 1)) - 1) + cs
    cc = (4 + mu / dim) / (dim + 4 + 2 * mu / dim)
    c1 = 2 / ((dim + 1.3) ** 2 + mu)
    cmu = min(1 - c1, 2 * (mu - 2 + 1 / mu) / ((dim + 2) ** 2 + mu))
    chi = np.sqrt(dim) * (1 - 1 / (4 * dim) + 1 / (21 * dim**2))
    y = (parents - state.mean) / state.sigma
    step = y.mean(0) if weights is None else weights @ y
    values, vectors = np.linalg.eigh(state.cov)
    inv_sqrt = vectors @ np.diag(1 / np.sqrt(np.maximum(values, 1e-12))) @ vectors.T
    path_sigma = (1 - cs) * state.path_sigma + np.sqrt(cs * (2 - cs) * mu) * inv_sqrt @ step
    breeds = state.breeds + 1
    norm = np.linalg.norm(path_sigma) / np.sqrt(1 - (1 - cs) ** (2 * breeds))
    h_sigma = float(norm < (1.4 + 2 / (dim + 1)) * chi)
    path_cov = (1 - cc) * state.path_cov + h_sigma * np.sqrt(cc * (2 - cc) * mu) * step
    cov = (
        (1 - c1 - cmu) * state.cov
        + c1 * (np.outer(path_cov, path_cov) + (1 - h_sigma) * cc * (2 - cc) * state.cov)
        + cmu * ((y.T @ y) / mu if weights is None else (y * weights[:, None]).T @ y)
    )
    sigma = max(MIN_STEP, state.sigma * float(np.exp((cs / ds) * (np.linalg.norm(path_sigma) / chi - 1))))
    return CmaState(parents.mean(0) if weights is None else weights @ parents, sigma, (cov + cov.T) / 2, path_sigma, path_cov, breeds)


def _cma_sample(state: CmaState, rng: np.random.Generator, n: int) -> np.ndarray:
    values, vectors = np.linalg.eigh(state.cov)
    scale = vectors * np.sqrt(np.maximum(values, 0))
    return state.mean + state.sigma * rng.standard_normal((n, len(state.mean))) @ scale.T
