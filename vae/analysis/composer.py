"""Face composer: an interactive evolutionary search in latent space (a composite-portrait tool).

A witness who cannot draw is shown a population of generated faces, picks those closest to the
person they saw, and a new generation is bred from the picks, until one face is close enough.

Breeding from the picked codes S (k, D), mean m:
  slot 0  the elite: m itself (a pick is never lost);
  others  uniform crossover of a random pair of picks (one parent per coordinate; with a single
          pick, that pick), plus Gaussian mutation N(0, σ² I) with
          σ = max(MIN_STEP, STEP · temperature · DECAY^generation), which shrinks as the witness converges;
  then    optional attribute constraints (vae.artifacts.attributes.AttributeDirections.constrain), e.g. "male".
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


class Directions(Protocol):
    def constrain(self, codes: np.ndarray, constraints: dict[str, float]) -> np.ndarray: ...


# Draws a first population: (n, seed, temperature) → (n, D) codes; e.g. a learned latent density's
# sample (vae.artifacts.density.LearnedDensity.sample). None: the prior N(0, temperature² I).
Sampler = Callable[[int, int, float], np.ndarray]


@dataclass(frozen=True)
class Generation:
    """One population; `parents` are the picks (indices into the previous generation) it was bred from."""

    codes: np.ndarray  # (P, D) float32, read-only
    parents: tuple[int, ...] = ()
    constraints: dict[str, float] = field(default_factory=dict)


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
    ):
        if not MIN_POPULATION <= population <= MAX_POPULATION:
            raise ValueError(f"population must be in [{MIN_POPULATION}, {MAX_POPULATION}], got {population}")
        if latent_dim < 1 or not temperature > 0:
            raise ValueError("latent_dim must be ≥ 1 and temperature > 0")
        self.latent_dim = int(latent_dim)
        self.population = int(population)
        self.temperature = float(temperature)
        self.sampler, self.source = sampler, source if sampler is not None else "prior"
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
        """σ of the mutation that breeds generation + 1 (latent units)."""
        g = self.generation if generation is None else generation
        return max(MIN_STEP, STEP * self.temperature * DECAY**g)

    def picks(self) -> list[np.ndarray]:
        """Per breed so far, the picked codes (k, D), oldest first."""
        return [self.history[g - 1].codes[list(self.history[g].parents)] for g in range(1, len(self.history))]

    def _rng(self, generation: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, generation]))

    # ---- actions ------------------------------------------------------------------------
    def restart(self, seed: int | None = None, start: np.ndarray | None = None) -> np.ndarray:
        """A fresh first generation: samples of the sampler (a learned density) or of the prior
        N(0, temperature² I), or, from a start code (an uploaded photo's), that code plus mutations
        of it. Returns it."""
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
        self.history = [Generation(_frozen(codes))]
        return self.current

    def breed(
        self, selected: list[int] | tuple[int, ...], constraints: dict[str, float] | None = None, directions: Directions | None = None
    ) -> np.ndarray:
        """Breed the next generation from the picked indices of `current`; returns its codes (P, D)."""
        picked = sorted({int(i) for i in selected})
        if not picked:
            raise ValueError("pick at least one face to breed from")
        if picked[0] < 0 or picked[-1] >= self.population:
            raise IndexError(f"picks must be in [0, {self.population - 1}], got {picked}")
        constraints = {k: float(v) for k, v in (constraints or {}).items() if v}
        if constraints and directions is None:
            raise ValueError("attribute constraints need the model's attribute directions")
        parents = self.current[picked].astype(np.float64)  # (k, D)
        rng = self._rng(self.generation + 1)
        n_children, dim = self.population - 1, self.latent_dim
        pairs = rng.integers(0, len(picked), size=(n_children, 2))
        mask = rng.random((n_children, dim)) < 0.5  # uniform crossover: which parent gives each coordinate
        children = np.where(mask, parents[pairs[:, 0]], parents[pairs[:, 1]])
        children += rng.standard_normal((n_children, dim)) * self.step_size()
        codes = np.concatenate([parents.mean(0, keepdims=True), children])
        if constraints and directions is not None:  # constraints without directions were refused above
            codes = directions.constrain(codes.astype(np.float32), constraints)
        self.history.append(Generation(_frozen(codes), tuple(picked), constraints))
        return self.current

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
            "start": None if self.start is None else [float(v) for v in self.start],
            "breeds": [{"picks": list(g.parents), "constraints": dict(g.constraints)} for g in self.history[1:]],
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
        )
        for step in log["breeds"]:
            composer.breed(step["picks"], step.get("constraints") or None, directions)
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
