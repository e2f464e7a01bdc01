"""CelebA attribute directions in latent space, stored beside a model (directions.safetensors).

    vae-explorer attributes models/celeba-z64

For each of the 40 CelebA attributes, on the posterior means μ of the TRAIN split:
  direction = mean μ of images with the attribute − mean μ of images without it (White, 2016,
  "Sampling generative networks", attribute vectors), and a linear classifier on μ (logistic
  regression, balanced class weights) that scores how much a code shows the attribute.
Also stored: the 40×40 cosine similarity of the directions and, measured on the TEST split, how
adding one direction changes every classifier's probability (a bias check: "Smiling" also opens
the mouth) and each classifier's balanced accuracy. Derived vectors only: no labels, no images.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

from vae.core.checkpoint import WEIGHTS_FILE, CheckpointError, load_model
from vae.core.derived import build_each, file_sha256, read_derived, refuse_other_weights
from vae.core.model import VAE
from vae.data.command_line import command_parser
from vae.data.datasets import load_celeba, to_tensor

EXAMPLES = (
    "vae-explorer attributes models/celeba-z64",
    "vae-explorer attributes models/celeba-z32 models/celeba-z64 models/celeba-z128",
)

DIRECTIONS_FILE = "directions.safetensors"
BATCH = 500
DEFAULT_ATTRIBUTES = ["Smiling", "Male", "Eyeglasses", "Blond_Hair", "Young", "Bald"]
ARRAYS = (
    "mean_with",
    "mean_without",
    "positive_rate",
    "cosine",
    "classifier_weight",
    "classifier_bias",
    "score_shift",
    "balanced_accuracy",
)


@dataclass(frozen=True)
class BiasReport:
    """Other attributes that move with one attribute's direction, strongest first."""

    attribute: str
    by_cosine: list[tuple[str, float]]  # (name, cosine of the two directions)
    by_score: list[tuple[str, float]]  # (name, mean change of its classifier probability when the direction is added)


@dataclass
class AttributeDirections:
    """Per attribute (rows, in `names` order): class means of μ, their difference, a linear classifier."""

    names: list[str]
    mean_with: np.ndarray  # (A, D) mean μ of train images with the attribute
    mean_without: np.ndarray  # (A, D) mean μ of train images without it
    positive_rate: np.ndarray  # (A,) fraction of train images with the attribute
    cosine: np.ndarray  # (A, A) cosine similarity of the directions
    classifier_weight: np.ndarray  # (A, D) logistic regression on μ
    classifier_bias: np.ndarray  # (A,)
    score_shift: np.ndarray  # (A, A) [i, j]: mean change of P(attribute j) on test codes when direction i is added once
    balanced_accuracy: np.ndarray  # (A,) of each classifier on the test split
    weights_sha256: str = ""

    @property
    def directions(self) -> np.ndarray:
        """(A, D): mean μ with − mean μ without."""
        return self.mean_with - self.mean_without

    @property
    def latent_dim(self) -> int:
        return self.mean_with.shape[1]

    def index(self, attribute: str) -> int:
        try:
            return self.names.index(attribute)
        except ValueError:
            raise KeyError(f"unknown attribute {attribute!r}") from None

    def logits(self, codes: np.ndarray) -> np.ndarray:
        """(N, D) or (D,) codes → classifier logits (N, A) or (A,)."""
        return np.asarray(codes, np.float32) @ self.classifier_weight.T + self.classifier_bias

    def score(self, codes: np.ndarray, attribute: str, probability: bool = True) -> np.ndarray:
        """How much each code shows the attribute: probability in [0, 1] (or the logit); (N,) or a scalar."""
        i = self.index(attribute)
        logit = np.asarray(codes, np.float32) @ self.classifier_weight[i] + self.classifier_bias[i]
        return _sigmoid(logit) if probability else logit

    def apply(self, code: np.ndarray, amounts: dict[str, float]) -> np.ndarray:
        """code + Σ amount · direction; an amount of 1 moves by one full direction (the gap between the class means)."""
        out = np.array(code, dtype=np.float32)
        for attribute, amount in amounts.items():
            out = out + np.float32(amount) * self.directions[self.index(attribute)]
        return out.astype(np.float32)

    def constrain(self, codes: np.ndarray, constraints: dict[str, float], passes: int = 3) -> np.ndarray:
        """Clamp codes (N, D) along attribute directions, without moving them any other way.

        With u the unit direction and m the midpoint of the two class means, the level
        a ∈ [−2, 2] asks for (z − m)·u ≥ a·|d|/2 when a > 0 and ≤ a·|d|/2 when a < 0: a = 1 is
        "at least as much as the average face with it", −1 "no more than the average face without
        it"; codes already there are left alone (so repeated use does not drift). Directions are
        not orthogonal, hence a few passes."""
        out = np.array(codes, dtype=np.float32, ndmin=2)
        active = [(self.index(a), float(v)) for a, v in constraints.items() if v]
        for _ in range(passes if len(active) > 1 else 1):
            for i, level in active:
                d = self.directions[i]
                length = float(np.linalg.norm(d))
                if length == 0:
                    continue
                u = d / length
                mid = 0.5 * (self.mean_with[i] + self.mean_without[i])
                target = level * length / 2
                coord = (out - mid) @ u  # (N,)
                gap = np.maximum(target - coord, 0) if level > 0 else np.minimum(target - coord, 0)
                out += gap[:, None].astype(np.float32) * u
        return out

    def score_change(self, codes: np.ndarray, attribute: str, amount: float = 1.0) -> np.ndarray:
        """(A,): mean change of every classifier's probability when `amount` × the direction is added to codes (N, D)."""
        codes = np.asarray(codes, np.float32)
        before = _sigmoid(self.logits(codes))
        after = _sigmoid(self.logits(self.apply(codes, {attribute: amount})))
        return (after - before).mean(0)

    def bias_report(self, attribute: str, top: int = 3, codes: np.ndarray | None = None, amount: float = 1.0) -> BiasReport:
        """The `top` other attributes most tied to this direction, by |cosine| and by |probability change|.

        The probability change is the one stored (test codes, amount 1) unless `codes` are given."""
        i = self.index(attribute)
        shift = self.score_shift[i] if codes is None else self.score_change(codes, attribute, amount)
        others = [j for j in range(len(self.names)) if j != i]
        by_cos = sorted(others, key=lambda j: -abs(self.cosine[i, j]))[:top]
        by_score = sorted(others, key=lambda j: -abs(shift[j]))[:top]
        return BiasReport(
            attribute,
            [(self.names[j], float(self.cosine[i, j])) for j in by_cos],
            [(self.names[j], float(shift[j])) for j in by_score],
        )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


@torch.inference_mode()
def encode_means(model: VAE, images: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """uint8 images (N, 64, 64, 3) → posterior means μ (N, D) float32, `batch` images at a time."""
    out = [model.encode(to_tensor(images[i : i + batch])).mean.numpy() for i in range(0, len(images), batch)]
    return np.concatenate(out).astype(np.float32)


def fit_directions(
    train_mu: np.ndarray, train_attrs: np.ndarray, names: list[str], test_mu: np.ndarray, test_attrs: np.ndarray
) -> AttributeDirections:
    """Class means, directions, cosines and classifiers from train codes; bias shifts and accuracy on test codes."""
    # scikit-learn takes seconds to import: only fitting needs it
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score

    train_mu = np.asarray(train_mu, np.float64)
    has = np.asarray(train_attrs).astype(bool)  # (N, A)
    n_attr, dim = has.shape[1], train_mu.shape[1]
    mean_with, mean_without = np.zeros((n_attr, dim)), np.zeros((n_attr, dim))
    weight, bias, accuracy = np.zeros((n_attr, dim)), np.zeros(n_attr), np.zeros(n_attr)
    for a in range(n_attr):
        if has[:, a].all() or not has[:, a].any():
            raise ValueError(f"attribute {names[a]} is present in all or none of the training images")
        mean_with[a] = train_mu[has[:, a]].mean(0)
        mean_without[a] = train_mu[~has[:, a]].mean(0)
        clf = LogisticRegression(class_weight="balanced", max_iter=2000).fit(train_mu, has[:, a])
        weight[a], bias[a] = clf.coef_[0], clf.intercept_[0]
        accuracy[a] = balanced_accuracy_score(np.asarray(test_attrs)[:, a].astype(bool), clf.predict(np.asarray(test_mu, np.float64)))
    directions = mean_with - mean_without
    unit = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    result = AttributeDirections(
        names=list(names),
        mean_with=mean_with.astype(np.float32),
        mean_without=mean_without.astype(np.float32),
        positive_rate=has.mean(0).astype(np.float32),
        cosine=(unit @ unit.T).astype(np.float32),
        classifier_weight=weight.astype(np.float32),
        classifier_bias=bias.astype(np.float32),
        score_shift=np.zeros((n_attr, n_attr), np.float32),
        balanced_accuracy=accuracy.astype(np.float32),
    )
    result.score_shift = np.stack([result.score_change(test_mu, name) for name in names]).astype(np.float32)
    return result


def save_directions(result: AttributeDirections, model_dir: str | Path, metadata: dict[str, str] | None = None) -> Path:
    model_dir = Path(model_dir)
    tensors = {name: np.ascontiguousarray(getattr(result, name), dtype=np.float32) for name in ARRAYS}
    tensors["directions"] = np.ascontiguousarray(result.directions, dtype=np.float32)
    meta = {"attribute_names": ",".join(result.names), "weights_sha256": result.weights_sha256, **(metadata or {})}
    out = model_dir / DIRECTIONS_FILE
    tmp = model_dir / f".{DIRECTIONS_FILE}.tmp"
    save_file(tensors, str(tmp), metadata=meta)
    tmp.replace(out)
    return out


def load_directions(model_dir: str | Path, check_weights: bool = True) -> AttributeDirections:
    """Read directions.safetensors; CheckpointError if missing, damaged, or made for other weights."""
    model_dir = Path(model_dir)
    path = model_dir / DIRECTIONS_FILE
    rebuild = f"build it with `vae-explorer attributes {model_dir}`"
    meta, arrays = read_derived(path, "directions file", rebuild)
    names = [n for n in meta.get("attribute_names", "").split(",") if n]
    missing = sorted(set(ARRAYS) - set(arrays))
    if missing or not names:
        raise CheckpointError(f"{path}: lacks {missing or 'attribute names'}; {rebuild}")
    n, dim = arrays["mean_with"].shape if arrays["mean_with"].ndim == 2 else (0, 0)
    if n != len(names) or any(arrays[k].shape[0] != n for k in ARRAYS) or arrays["cosine"].shape != (n, n):
        raise CheckpointError(f"{path}: array shapes do not match its {len(names)} attribute names; {rebuild}")
    sha = meta.get("weights_sha256", "")
    if check_weights:
        refuse_other_weights(model_dir, path, meta, "re" + rebuild)
    values = {k: np.asarray(arrays[k], np.float32) for k in ARRAYS}
    for v in values.values():
        v.setflags(write=False)  # shared read-only between sessions
    return AttributeDirections(names=names, weights_sha256=sha, **values)


def build_directions(model_dir: str | Path, verbose: bool = True) -> Path:
    """Encode CelebA train (and test) with the model and store its attribute directions."""
    model_dir = Path(model_dir)
    model = load_model(model_dir)
    if model.config.dataset != "celeba":
        raise ValueError(f"{model_dir}: attribute directions need a CelebA model, not {model.config.dataset}")
    t0 = time.time()
    train_images, index, train_rows = load_celeba("train")
    test_images, _, test_rows = load_celeba("test")
    t1 = time.time()
    train_mu = encode_means(model, train_images)
    test_mu = encode_means(model, test_images)
    t2 = time.time()
    result = fit_directions(train_mu, index.attributes[train_rows], index.attribute_names, test_mu, index.attributes[test_rows])
    result.weights_sha256 = file_sha256(model_dir / WEIGHTS_FILE)
    t3 = time.time()
    out = save_directions(result, model_dir, {"split": "train", "n_train": str(len(train_rows)), "n_test": str(len(test_rows))})
    if verbose:
        print(
            f"{model_dir.name}: {len(train_rows)} train + {len(test_rows)} test images; load {t1 - t0:.1f} s, "
            f"encode {t2 - t1:.1f} s, fit {t3 - t2:.1f} s; mean balanced accuracy {result.balanced_accuracy.mean():.3f} → {out}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = command_parser(
        "attributes", "Compute a CelebA model's 40 attribute directions (what the Face attributes page applies).", EXAMPLES
    )
    parser.add_argument("model_dirs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    return build_each(args.model_dirs, build_directions)


if __name__ == "__main__":
    sys.exit(main())
