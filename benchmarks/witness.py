"""The face composer measured by its job (issue 26): a simulated witness searches for a remembered test
face with the composer, and a lineup judge looks through another view (vae.analysis.witness says how).

For each CelebA model and decoder (the plain one; the adversarial one where the model has it), over the
same targets and lineups: rank-1 and rank-3 identification in a 10-face lineup, with 95 % Wilson
intervals, for the composite of the first population, after 5, 10 and 20 generations, and for the
model's reconstruction of the target (the ceiling). Then the human factors on one model and decoder
(witness noise, picks, population size, a witness who only rejects) and the searches (crossover with a
shrinking step, CMA-ES, attribute constraints stated from the start).

    python -m benchmarks.witness --save                           # everything, 100 targets (about 45 min here)
    python -m benchmarks.witness --only models --targets 100      # the model/decoder table
    python -m benchmarks.witness --only factors --model celeba-z64 --decoder adversarial

Written to logs/witness.txt (or --log) as a Markdown table. Simulated witnesses, not people: what it
measures is whether the search brings a face that an eigenface judge matches to the right photo.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from vae.analysis.witness import (
    CHECKPOINTS,
    LINEUP,
    Lineups,
    Outcome,
    Views,
    Witnesses,
    WitnessSettings,
    default_decoder,
    load_record,
    outcome_figures,
    save_record,
    wilson,
)
from vae.artifacts.attributes import load_directions
from vae.artifacts.density import load_density
from vae.artifacts.quality import load_feature_net
from vae.core.checkpoint import CheckpointError, load_model
from vae.core.latent import decode, encode
from vae.data.datasets import load_celeba, load_celeba_index
from vae.training.gan import ADVERSARIAL_FILE, load_adversarial

REPO = Path(__file__).resolve().parent.parent
MODELS = ("celeba-z32", "celeba-z64", "celeba-z128")


@dataclass
class Subject:
    """One model with one of its decoders, as the benchmark drives it."""

    name: str
    decoder_name: str
    witnesses: Witnesses
    reconstruct: object


def subjects(models: list[str], views: Views, decoders: list[str], root: Path = REPO / "models") -> Iterator[Subject]:
    for name in models:
        folder = root / name
        plain = load_model(folder).eval()
        chosen = [("plain", plain)]
        if "adversarial" in decoders and (folder / ADVERSARIAL_FILE).exists():
            chosen.append(("adversarial", load_adversarial(folder)[0]))
        density = load_density(folder)
        try:
            directions = load_directions(folder)
        except CheckpointError:
            directions = None
        for decoder_name, model in chosen:
            if decoder_name not in decoders:
                continue
            witnesses = Witnesses(views, lambda z, m=model: decode(m, z), plain.config.latent_dim, density.sample, directions)
            # the encoder is the model's own either way; the decoder draws what the ceiling shows
            yield Subject(name, decoder_name, witnesses, lambda x, m=model, e=plain: decode(m, encode(e, x)[0]))


def rate_cell(ranks: np.ndarray, within: int) -> str:
    hits = int((ranks <= within).sum())
    low, high = wilson(hits, len(ranks))
    return f"{100 * hits / len(ranks):.0f} % [{100 * low:.0f}–{100 * high:.0f}]"


def table_row(label: str, outcome: Outcome, ceiling: np.ndarray, generations: int) -> str:
    cells = []
    for g in CHECKPOINTS:
        if g <= generations:
            cells.append(f"{rate_cell(outcome.ranks[g], 1)} / {rate_cell(outcome.ranks[g], 3)}")
        else:
            cells.append("")
    at10 = outcome.ranks.get(10)
    share = "" if at10 is None or (ceiling <= 1).sum() == 0 else f"{100 * (at10 <= 1).mean() / (ceiling <= 1).mean():.0f} %"
    return f"| {label} | " + " | ".join(cells) + f" | {rate_cell(ceiling, 1)} / {rate_cell(ceiling, 3)} | {share} |"


def header(first: str) -> list[str]:
    cols = [f"generation {g}" if g else "first population" for g in CHECKPOINTS]
    return [
        f"| {first} | " + " | ".join(cols) + " | reconstruction (ceiling) | rank-1 after 10, of the ceiling |",
        "|" + "---|" * (len(cols) + 3),
    ]


def experiments(kind: str, base: WitnessSettings) -> list[WitnessSettings]:
    if kind == "factors":
        return [
            base,
            replace(base, memory_noise=0.0, look_noise=0.0),
            replace(base, memory_noise=1.0, look_noise=0.6),
            replace(base, picks=1),
            replace(base, picks=2),
            replace(base, population=8),
            replace(base, population=32),
            replace(base, rejects_only=True),
        ]
    if kind == "search":
        return [
            replace(base, search="breed"),
            replace(base, search="cma"),
            replace(base, search="breed", constraints=2),
            replace(base, search="cma", constraints=2),
            replace(base, search="breed", rejects_only=True),
            replace(base, search="cma", rejects_only=True),
        ]
    if kind == "rating":  # rating faces rather than only picking them: "not this" beside the picks, and picks in order
        return [
            replace(base, search="cma"),
            replace(base, search="cma", rejects=4),
            replace(base, search="cma", ranked=True),
            replace(base, search="cma", ranked=True, rejects=4),
        ]
    raise ValueError(kind)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=list(MODELS))
    p.add_argument("--models-dir", type=Path, default=REPO / "models", help="where the models are (a candidate decoder's copy, say)")
    p.add_argument("--decoders", nargs="+", default=["plain", "adversarial"])
    p.add_argument(
        "--only", choices=["models", "factors", "search", "rating"], nargs="+", default=["models", "factors", "search", "rating"]
    )
    p.add_argument("--model", default="celeba-z64", help="the model (and --decoder) the factors and searches run on")
    p.add_argument("--decoder", default="best", help="plain, adversarial, or best: the one the model's record (witness.json) picks")
    p.add_argument("--targets", type=int, default=100)
    p.add_argument("--generations", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--search", default="breed", choices=["breed", "cma"], help="the default witness's search (the factors and searches vary from it)"
    )
    p.add_argument("--log", default=str(REPO / "logs" / "witness.txt"))
    p.add_argument(
        "--save",
        action="store_true",
        help="store each model's figures per decoder beside it (witness.json: the product picks its face decoder by them)",
    )
    args = p.parse_args()
    t0 = time.perf_counter()
    index = load_celeba_index()
    train, _, _ = load_celeba("train")
    test, _, rows = load_celeba("test")
    net, _ = load_feature_net("celeba")
    views = Views.fit(net, index.attribute_names, train, test, seed=args.seed)
    male = index.attributes[rows, index.attribute_names.index("Male")]
    targets = np.sort(np.random.default_rng(args.seed).choice(len(test), args.targets, replace=False))
    lineups = Lineups.draw(views, test, male, targets)
    base = WitnessSettings(generations=args.generations, search=args.search)
    lines = [
        f"witness benchmark: {args.targets} targets (CelebA test split, seed {args.seed}), lineups of {LINEUP} (chance {100 / LINEUP:.0f} %), "
        f"{args.generations} generations; rank-1 / rank-3 with 95 % Wilson intervals",
        f"default witness: {base}",
        "",
    ]

    def emit(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    if "models" in args.only:
        for line in header("model, decoder"):
            emit(line)
        records: dict[str, dict[str, dict]] = {}
        for subject in subjects(args.models, views, args.decoders, args.models_dir):
            outcome = subject.witnesses.run(base, test[targets], lineups, args.seed)
            ceiling = subject.witnesses.ceiling(test[targets], subject.reconstruct, lineups)  # type: ignore[arg-type]
            emit(table_row(f"{subject.name}, {subject.decoder_name}", outcome, ceiling, args.generations))
            records.setdefault(subject.name, {})[subject.decoder_name] = outcome_figures(outcome, ceiling)
        emit("")
        if args.save:
            for name, decoders in records.items():
                emit(f"wrote {save_record(args.models_dir / name, decoders)}")
    for kind in [k for k in ("factors", "search", "rating") if k in args.only]:
        folder = args.models_dir / args.model
        decoder = default_decoder(folder, load_record(folder)) if args.decoder == "best" else args.decoder
        subject = next(subjects([args.model], views, [decoder], args.models_dir))
        ceiling = subject.witnesses.ceiling(test[targets], subject.reconstruct, lineups)  # type: ignore[arg-type]
        emit(f"{kind}: {args.model}, {decoder} decoder")
        for line in header("witness and search"):
            emit(line)
        for settings in experiments(kind, base):
            outcome = subject.witnesses.run(settings, test[targets], lineups, args.seed)
            emit(table_row(settings.label(), outcome, ceiling, args.generations))
        emit("")
    emit(
        f"{platform.node()}, {len(os.sched_getaffinity(0))} CPUs, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {time.perf_counter() - t0:.0f} s"
    )
    emit("reproduce: python -m benchmarks.witness " + " ".join(sys.argv[1:]))
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    Path(args.log).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
