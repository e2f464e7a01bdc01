"""The shipped models: discover model folders and print their metrics as a table.

vae-explorer zoo             # plain table
vae-explorer zoo --markdown  # the README's model table
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vae.artifacts.quality import load_quality
from vae.core.card import ModelCard
from vae.core.checkpoint import CONFIG_FILE, CheckpointError, check_weights, load_card
from vae.core.config import ConfigError, VAEConfig
from vae.data.command_line import command_parser

EXAMPLES = (
    "vae-explorer zoo                               # the shipped models",
    "vae-explorer zoo --markdown                    # the README's model table",
    "vae-explorer zoo --models-dir ~/my-models",
)

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULT_MODEL = {"mnist": "mnist-z2", "celeba": "celeba-z64"}


@dataclass(frozen=True)
class ModelWithCard:
    """An available model whose config and card were both read: what the comparisons plot."""

    name: str
    config: VAEConfig
    card: ModelCard


@dataclass
class ZooEntry:
    """One model folder: its config and card when readable (card None: the folder has no card.json),
    else the reason it is unavailable."""

    name: str
    path: Path
    config: VAEConfig | None = None
    card: ModelCard | None = None
    error: str | None = None
    quality: dict | None = None  # sample-quality figures (vae.artifacts.quality.load_quality), None when not measured

    @property
    def available(self) -> bool:
        return self.error is None

    @property
    def dataset(self) -> str | None:
        return self.config.dataset if self.config else None

    def with_card(self) -> ModelWithCard | None:
        """The model with its config and card, or None when it is unavailable or has no card."""
        if self.error is not None or self.config is None or self.card is None:
            return None
        return ModelWithCard(self.name, self.config, self.card)


def scan(models_dir: str | Path = MODELS_DIR) -> list[ZooEntry]:
    """Every visible sub-folder of models_dir, sorted by dataset, β, latent_dim; broken ones flagged.

    Config, card and the weights' header are checked here (cheap: no tensor is read); a model whose
    tensors are damaged beyond the header is refused when it is loaded.
    """
    entries: list[ZooEntry] = []
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return entries
    for path in sorted(p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        entry = ZooEntry(path.name, path)
        try:
            entry.config = VAEConfig.load(path / CONFIG_FILE)
            entry.card = load_card(path)
            check_weights(path, entry.config)
            entry.quality = load_quality(path)
        except (ConfigError, CheckpointError) as err:
            entry.error = str(err)
        entries.append(entry)

    def key(e: ZooEntry) -> tuple[str | float, ...]:
        if e.config is None:
            return ("~", 0.0, 0, e.name)
        return (e.config.dataset, e.config.beta != 1.0, e.config.beta, e.config.latent_dim, e.name)

    return sorted(entries, key=key)


def beta_family(entries: list[ZooEntry], name: str) -> list[ZooEntry]:
    """The available models that differ from model `name` by β alone (same dataset, architecture,
    latent size, layers and likelihood), itself included, by increasing β; [] when `name` is not an
    available model. The β view lays them side by side."""
    configs = {e.name: e.config for e in entries if e.available and e.config is not None}
    if name not in configs:
        return []
    key = dataclasses.replace(configs[name], beta=0.0)
    family = [e for e in entries if e.name in configs and dataclasses.replace(configs[e.name], beta=0.0) == key]
    return sorted(family, key=lambda e: (configs[e.name].beta, e.name))


# The table's columns after the model's name: a header and the cell of one model card.
COLUMNS: list[tuple[str, Callable[[ModelCard], str]]] = [
    ("dataset", lambda c: c.dataset),
    ("latent_dim", lambda c: str(c.latent_dim)),
    ("β", lambda c: f"{c.beta:g}" if c.beta else "0 (autoencoder)"),
    ("epochs", lambda c: str(c.epochs)),
    ("params", lambda c: f"{c.parameter_count / 1e6:.2f} M"),
    ("recon (nats)", lambda c: _fmt(c.test.recon_nats)),
    # An autoencoder (β = 0) gets no KL or bound here: its KL was never minimised (σ shrinks toward the
    # clamp, the KL toward ∞), so those figures would only say where training stopped (card.json keeps them).
    ("KL (nats)", lambda c: _vae_only(c, c.test.kl_nats)),
    ("−ELBO (nats)", lambda c: _vae_only(c, c.test.neg_elbo_nats)),
    ("bits/dim", lambda c: _vae_only(c, c.test.neg_elbo_bits_per_dim, 3)),
    # the −ELBO of the images the IW bound was taken on: shown only beside that bound
    ("−ELBO, first 1,000 (nats)", lambda c: _vae_only(c, c.test.iw_images_neg_elbo_nats if c.test.iw_bound_nats is not None else None)),
    ("IW bound k=500, first 1,000 (nats)", lambda c: _vae_only(c, c.test.iw_bound_nats)),
    ("PSNR (dB)", lambda c: _fmt(c.test.psnr_db, 2)),
    ("active units", lambda c: f"{c.active_units}/{c.latent_dim}"),
    ("train time", lambda c: f"{c.training_seconds / 60:.0f} min on {c.device}"),
]


# Sample quality (benchmarks/sample_quality.py): Fréchet distances to the test split in the project's
# feature networks (not Inception FIDs), and the share of the prior's gap the learned density closes.
QUALITY_COLUMNS: list[tuple[str, Callable[[dict], str]]] = [
    ("FD recon", lambda q: _fmt(q["fd"].get("reconstructions"))),
    ("FD prior", lambda q: _fmt(q["fd"].get("prior"))),
    ("FD learned", lambda q: _fmt(q["fd"].get("learned"))),
    ("gap closed", lambda q: "—" if q.get("gap_closed") is None else f"{q['gap_closed']:.0%}"),
]


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _vae_only(card: ModelCard, value: float | None, digits: int = 1) -> str:
    return "no KL term" if card.beta == 0 and value is not None else _fmt(value, digits)


def table(entries: list[ZooEntry], markdown: bool = False) -> str:
    width = len(COLUMNS) + len(QUALITY_COLUMNS)
    rows = [["model"] + [name for name, _ in COLUMNS + QUALITY_COLUMNS]]
    for e in entries:
        if not e.available:
            rows.append([e.name, "unavailable: " + (e.error or "")] + [""] * (width - 1))
        elif e.card is None:
            rows.append([e.name, e.dataset or "", "no card.json"] + [""] * (width - 2))
        else:
            quality = [fn(e.quality) if e.quality else "—" for _, fn in QUALITY_COLUMNS]
            rows.append([e.name] + [fn(e.card) for _, fn in COLUMNS] + quality)
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("zoo", "List the models (each folder with weights) and their test metrics.", EXAMPLES)
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    print(table(scan(args.models_dir), markdown=args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
