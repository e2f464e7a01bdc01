"""The face composer measured by its job: does a witness who searches with it end up with a face that
identifies the person they saw? A simulated witness, a simulated lineup; not people.

The witness remembers the target photo through one view and the lineup judge looks through another, so
that a search that pleases the witness is not scored by the witness's own yardstick:

- **the witness's memory**: the 40 attribute probabilities the project's CelebA feature network
  (vae.artifacts.quality.FeatureNet, trained here on the attribute labels) gives the photo, and a coarse
  8 × 8 colour thumbnail of it (what is left of a face seen for a moment); each part in units of its
  spread over the test split, with memory noise N(0, memory_noise²) drawn once per target;
- **a look**: each generation, the witness compares every face on show with its memory (the mean
  squared difference of the two parts, equally weighted), with look noise N(0, look_noise²) per face
  and generation, and picks the `picks` nearest; a witness who only rejects marks the `picks` farthest
  and the composer breeds from the rest;
- **the judge**: eigenfaces: the first JUDGE_COMPONENTS principal components of the training split's
  64 × 64 grey photos, whitened, compared by cosine (the "Mahalanobis cosine" of the FERET
  evaluations). Neither the attributes nor colour enter it; the thumbnail's 8 × 8 grid is a small part
  of its detail;
- **the lineup**: the target's own photo among LINEUP − 1 foils of the same sex (the real Male label)
  that resemble it most in the judge's view, from the test split (a fair lineup: foils that match the
  suspect). The composite's rank: 1 + the foils the judge finds closer to it than the target's photo.
  Rank 1 is an identification; chance is 1 / LINEUP. A pixel-based judge always knows a photo's own
  reconstruction (measured: 100 % rank-1 on 200 targets with random or look-alike foils), so the ceiling
  here is near 100 %; what the benchmark separates is how close the search comes to it.

The composite after g generations is the face the witness points at in generation g (its nearest).
The ceiling is the model's reconstruction of the target photo: the best any search over codes can show.

Everything is seeded (the composer's sessions, the noise; the foils are chosen, not drawn): a run is reproduced by its settings.
Pure numpy and torch; the decoder comes in as a function, so any decoder (plain, adversarial) is measured
the same way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vae.analysis.composer import Composer, Directions
from vae.artifacts.quality import FeatureNet
from vae.core.checkpoint import ADVERSARIAL_FILE
from vae.core.derived import file_sha256, weights_sha256
from vae.data.datasets import to_tensor

LINEUP = 10
JUDGE_COMPONENTS = 100
THUMBNAIL = 8
CHECKPOINTS = (0, 5, 10, 20)  # generations reported
RECORD_FILE = "witness.json"  # a model's figures per decoder, beside its weights (benchmarks/witness.py --save)

# codes (N, D) → uint8 images (N, 64, 64, 3)
Decoder = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class WitnessSettings:
    """One simulated witness and the composer it uses."""

    memory_noise: float = 0.5  # of the remembered features, in units of their spread over the test split
    look_noise: float = 0.3  # per face and generation, in the same units
    picks: int = 4  # faces picked per generation (or rejected, by a witness who only rejects)
    population: int = 16
    rejects_only: bool = False
    rejects: int = 0  # faces also rejected per generation ("not this"), the farthest, beside the picks
    ranked: bool = False  # the picks given in order, most alike first (the composer weighs them so)
    generations: int = 20
    search: str = "breed"  # the composer's search (vae.analysis.composer.SEARCHES)
    constraints: int = 0  # attributes the witness states from the first generation (its most certain ones)

    def label(self) -> str:
        """The search, then what differs from the default witness: "search=cma, picks=2"."""
        base = WitnessSettings()
        changed = {k: v for k, v in asdict(self).items() if v != getattr(base, k) and k not in ("generations", "search")}
        return ", ".join([f"search={self.search}", *(f"{k}={v}" for k, v in changed.items())])


@dataclass
class Views:
    """The witness's view (attributes + thumbnail) and the judge's (whitened eigenfaces)."""

    net: FeatureNet
    attribute_names: list[str]  # the feature network's outputs, in CelebA's order
    attribute_spread: float
    thumbnail_spread: float
    judge_mean: np.ndarray  # (4096,)
    judge_basis: np.ndarray  # (4096, K): components / sqrt(eigenvalue)

    @classmethod
    def fit(cls, net: FeatureNet, names: list[str], train_images: np.ndarray, test_images: np.ndarray, seed: int = 0) -> Views:
        """The judge's eigenfaces from (a sample of) the training split; the memory's spreads from the test split."""
        rng = np.random.default_rng(seed)
        sample = train_images[np.sort(rng.choice(len(train_images), min(6000, len(train_images)), replace=False))]
        grey = _grey(sample)
        mean = grey.mean(0)
        _, s, vt = np.linalg.svd(grey - mean, full_matrices=False)
        eigen = s[:JUDGE_COMPONENTS] ** 2 / (len(grey) - 1)
        basis = (vt[:JUDGE_COMPONENTS].T / np.sqrt(eigen)).astype(np.float32)
        views = cls(net, list(names), 1.0, 1.0, mean.astype(np.float32), basis)
        attributes, thumbnails = views.memory_raw(test_images)
        views.attribute_spread = float(attributes.std(0).mean())
        views.thumbnail_spread = float(thumbnails.std(0).mean())
        return views

    @torch.inference_mode()
    def memory_raw(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.net.eval()
        probs, thumbs = [], []
        for i in range(0, len(images), 512):
            x = to_tensor(images[i : i + 512])
            probs.append(torch.sigmoid(self.net(x)).numpy())
            thumbs.append(F.adaptive_avg_pool2d(x, THUMBNAIL).flatten(1).numpy())
        return np.concatenate(probs).astype(np.float32), np.concatenate(thumbs).astype(np.float32)

    def memory(self, images: np.ndarray) -> np.ndarray:
        """(N, 40 + 3·8·8): attribute probabilities and thumbnail, each in units of its spread."""
        attributes, thumbnails = self.memory_raw(images)
        return np.concatenate([attributes / self.attribute_spread, thumbnails / self.thumbnail_spread], 1)

    def judge(self, images: np.ndarray) -> np.ndarray:
        """(N, K) unit vectors: whitened eigenface coordinates, for cosine comparison."""
        v = (_grey(images) - self.judge_mean) @ self.judge_basis
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def _grey(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images, np.float32) / 255.0
    return (x @ np.array([0.299, 0.587, 0.114], np.float32)).reshape(len(x), -1)


def look_distances(faces: np.ndarray, memory: np.ndarray) -> np.ndarray:
    """Mean squared difference between faces (N, F) and the memory (F,), the two parts weighted equally."""
    n_attr = 40
    attr = ((faces[:, :n_attr] - memory[:n_attr]) ** 2).mean(1)
    thumb = ((faces[:, n_attr:] - memory[n_attr:]) ** 2).mean(1)
    return (attr + thumb) / 2


@dataclass
class Lineups:
    """Per target, the judge vectors of its photo (row 0) and its foils (rows 1..LINEUP-1)."""

    members: np.ndarray  # (T, LINEUP, K)

    @classmethod
    def draw(cls, views: Views, test_images: np.ndarray, male: np.ndarray, targets: np.ndarray) -> Lineups:
        """A fair lineup per target: its photo and the LINEUP − 1 photos of the same sex that resemble it
        most in the judge's view (the foils a lineup officer would choose); ties in index order."""
        judged = views.judge(test_images)
        rows = []
        for t in targets:
            same = np.flatnonzero((male == male[t]) & (np.arange(len(male)) != t))
            foils = same[np.argsort(-(judged[same] @ judged[t]), kind="stable")[: LINEUP - 1]]
            rows.append(judged[np.concatenate([[t], foils])])
        return cls(np.stack(rows))

    def ranks(self, composites: np.ndarray) -> np.ndarray:
        """(T,) the rank of each target's photo among its lineup, for its composite's judge vector (T, K)."""
        similarity = np.einsum("tlk,tk->tl", self.members, composites)
        return 1 + (similarity[:, 1:] > similarity[:, :1]).sum(1)


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class Outcome:
    """Ranks per checkpoint generation and of the ceiling, over the same targets."""

    settings: WitnessSettings
    ranks: dict[int, np.ndarray] = field(default_factory=dict)  # generation → (T,)
    ceiling: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    memory_distance: dict[int, float] = field(default_factory=dict)  # generation → mean look distance of the composite (no noise)

    def rate(self, ranks: np.ndarray, within: int = 1) -> tuple[float, float, float]:
        hits = int((ranks <= within).sum())
        low, high = wilson(hits, len(ranks))
        return hits / len(ranks), low, high


@dataclass
class Witnesses:
    """One target per session: its memory (noisy, fixed), its composer, its lineup."""

    views: Views
    decoder: Decoder
    latent_dim: int
    sampler: Callable[[int, int, float], np.ndarray] | None = None
    directions: Directions | None = None

    def run(self, settings: WitnessSettings, target_images: np.ndarray, lineups: Lineups, seed: int = 0) -> Outcome:
        truth = self.views.memory(target_images)
        noise_rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
        memories = truth + noise_rng.standard_normal(truth.shape).astype(np.float32) * settings.memory_noise
        stated = [_stated(memories[t], settings.constraints, self.views) for t in range(len(memories))]
        sessions = [self._session(settings, seed, t, stated[t]) for t in range(len(memories))]
        outcome = Outcome(settings)
        for generation in range(settings.generations + 1):
            faces = self.decoder(np.concatenate([s.current for s in sessions]))
            seen = self.views.memory(faces).reshape(len(sessions), settings.population, -1)
            ordered = [self._look(settings, seed, generation, t, seen[t], memories[t]) for t in range(len(sessions))]
            if generation in CHECKPOINTS:
                best = np.array([t * settings.population + ordered[t][0] for t in range(len(sessions))])
                outcome.ranks[generation] = lineups.ranks(self.views.judge(faces[best]))
                outcome.memory_distance[generation] = float(
                    np.mean([look_distances(seen[t][ordered[t][:1]], truth[t])[0] for t in range(len(sessions))])
                )
            if generation < settings.generations:
                for t, s in enumerate(sessions):
                    self._breed(s, settings, ordered[t], stated[t])
        return outcome

    def ceiling(self, target_images: np.ndarray, reconstruct: Decoder, lineups: Lineups) -> np.ndarray:
        """(T,) ranks of the model's reconstructions of the targets (`reconstruct`: images → images)."""
        return lineups.ranks(self.views.judge(reconstruct(target_images)))

    def _session(self, settings: WitnessSettings, seed: int, target: int, stated: dict[str, float]) -> Composer:
        composer = Composer(
            self.latent_dim, settings.population, seed=seed * 100_003 + target, sampler=self.sampler, search=settings.search
        )
        if stated:
            composer.restart(constraints=stated, directions=self.directions)
        return composer

    def _look(self, settings: WitnessSettings, seed: int, generation: int, target: int, seen: np.ndarray, memory: np.ndarray) -> np.ndarray:
        """Faces on show, nearest to the memory first, as this witness sees them in this generation."""
        rng = np.random.default_rng(np.random.SeedSequence([seed, target, generation, 3]))
        noisy = seen + rng.standard_normal(seen.shape).astype(np.float32) * settings.look_noise
        return np.argsort(look_distances(noisy, memory), kind="stable")

    def _breed(self, composer: Composer, settings: WitnessSettings, ordered: np.ndarray, stated: dict[str, float]) -> None:
        directions = self.directions if stated else None
        if settings.rejects_only:
            rejected = [int(i) for i in ordered[len(ordered) - settings.picks :]]
            kept = [int(i) for i in ordered if int(i) not in rejected]
            composer.breed(kept, stated, directions, rejected)
        else:
            rejected = [int(i) for i in ordered[len(ordered) - settings.rejects :]] if settings.rejects else []
            composer.breed([int(i) for i in ordered[: settings.picks]], stated, directions, rejected, settings.ranked)


def _stated(memory: np.ndarray, count: int, views: Views) -> dict[str, float]:
    """The `count` attributes the witness is surest of (remembered probability farthest from ½), as the
    composer's constraints: +1 present, −1 absent."""
    if count <= 0:
        return {}
    probs = memory[:40] * views.attribute_spread
    order = np.argsort(-np.abs(probs - 0.5), kind="stable")[:count]
    return {views.attribute_names[i]: (1.0 if probs[i] > 0.5 else -1.0) for i in order}


# ---- the record the product reads -------------------------------------------------------------


def outcome_figures(outcome: Outcome, ceiling: np.ndarray) -> dict:
    """JSON figures of one run: rank-1 and rank-3 rates per checkpoint generation, and of the ceiling."""
    rates = {str(g): {"rank1": float((r <= 1).mean()), "rank3": float((r <= 3).mean())} for g, r in outcome.ranks.items()}
    return {
        "targets": len(ceiling),
        "generations": rates,
        "ceiling": {"rank1": float((ceiling <= 1).mean()), "rank3": float((ceiling <= 3).mean())},
        "settings": asdict(outcome.settings),
    }


def save_record(model_dir: Path, decoders: dict[str, dict]) -> Path:
    """Store a model's witness figures per decoder ("plain", "adversarial") beside its weights, with the
    hashes of the weights (and of the adversarial decoder's file) they were measured on."""
    model_dir = Path(model_dir)
    adversarial = model_dir / ADVERSARIAL_FILE
    record = {
        "decoders": decoders,
        "weights_sha256": weights_sha256(model_dir),
        "adversarial_sha256": file_sha256(adversarial) if adversarial.exists() else None,
    }
    path = model_dir / RECORD_FILE
    tmp = path.with_name(f".{RECORD_FILE}.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(path)
    return path


def load_record(model_dir: Path) -> dict | None:
    """A model's witness figures; None when missing, unreadable, or measured on other weights (a retrained
    model, or another adversarial decoder: then that decoder's figures are dropped)."""
    model_dir = Path(model_dir)
    try:
        record = json.loads((model_dir / RECORD_FILE).read_text())
        if record["weights_sha256"] != weights_sha256(model_dir):
            return None
        adversarial = model_dir / ADVERSARIAL_FILE
        if "adversarial" in record["decoders"] and (not adversarial.exists() or record["adversarial_sha256"] != file_sha256(adversarial)):
            del record["decoders"]["adversarial"]
        return record
    except (OSError, ValueError, KeyError, TypeError):
        return None


TYPICAL_GENERATION = 10  # the generation the product compares decoders at, and counts a search against


def best_decoder(record: dict | None) -> str:
    """The decoder that identifies best by a record (load_record): rank-1 of the composite after
    TYPICAL_GENERATION generations, then rank-3, then the ceiling; "plain" without a record."""
    if not record or not record["decoders"]:
        return "plain"

    def key(name: str) -> tuple[float, float, float]:
        figures = record["decoders"][name]
        at = figures["generations"].get(str(TYPICAL_GENERATION)) or {"rank1": 0.0, "rank3": 0.0}
        return (at["rank1"], at["rank3"], figures["ceiling"]["rank1"])

    return max(sorted(record["decoders"]), key=key)


def default_decoder(model_dir: Path, record: dict | None) -> str:
    """The decoder faces are drawn with by default: "plain" when the model has no adversarial decoder;
    else the one that identifies best by the record; the adversarial one when the record has not
    measured it (the issue that asked for it measured 59 % against 47 % rank-1 after 10 generations)."""
    if not (Path(model_dir) / ADVERSARIAL_FILE).exists():
        return "plain"
    if record and "adversarial" in record["decoders"] and "plain" in record["decoders"]:
        return best_decoder(record)
    return "adversarial"


def typical_generations(record: dict | None, decoder: str) -> int | None:
    """The first checkpoint generation at which the benchmark's composite reached 90 % of its best rank-1
    rate (what a search with this model and decoder typically needs); None without figures."""
    figures = (record or {}).get("decoders", {}).get(decoder)
    if not figures:
        return None
    rates = {int(g): v["rank1"] for g, v in figures["generations"].items()}
    best = max(rates.values())
    return min(g for g, rate in rates.items() if rate >= 0.9 * best)
