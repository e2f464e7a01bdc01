"""`vae-explorer`, the one command a user runs: `vae-explorer <command> [options]`, each command the `main(argv)`
of one module, which parses its own options (`vae-explorer <command> --help`). This file only routes, and imports
a command's module when that command runs: `vae-explorer --help` loads neither torch nor streamlit, and only
`serve` and `slides` load streamlit.

Training on several processes runs the training package as a module, which is what torchrun starts:

    torchrun --standalone --nproc_per_node=2 -m vae.training --dataset mnist --out models/mnist-z16
"""

from __future__ import annotations

import difflib
import importlib
import sys
from dataclasses import dataclass

PROG = "vae-explorer"


@dataclass(frozen=True)
class Command:
    name: str
    module: str  # whose main(argv) runs the command
    summary: str  # one line for `vae-explorer --help`
    pages_outside_a_server: bool = False  # imports page code (st.cache_*) while no Streamlit server runs


COMMANDS: tuple[Command, ...] = (
    Command("serve", "ui.serve.launcher", "start the dashboard on http://localhost:8501 (Streamlit's options pass through)"),
    Command("train", "vae.training.train", "train a VAE on MNIST or CelebA and write a model folder"),
    Command("evaluate", "vae.core.evaluate", "re-evaluate models on the test split (nats per image); --write-card stores it"),
    Command("atlas", "vae.artifacts.atlas", "encode a model's test split for the latent map (μ, log σ², PCA, t-SNE, UMAP)"),
    Command("replay", "vae.training.rerun", "record a model's training replay (its test map after every epoch) by training it again"),
    Command("density", "vae.artifacts.density", "fit a learned latent density: samples that look like the data"),
    Command("attributes", "vae.artifacts.attributes", "compute a CelebA model's 40 attribute directions"),
    Command("quality", "vae.artifacts.quality", "train the feature networks of the sample-quality benchmark"),
    Command("export", "vae.artifacts.export", "export decoders and encoders to ONNX, for decoding in the browser"),
    Command("gan", "vae.training.gan", "fine-tune a CelebA model's decoder against a discriminator (VAE to GAN)"),
    Command("zoo", "vae.analysis.zoo", "list the models and their test metrics"),
    Command("slides", "ui.lesson.slides", "export the lesson as a slide deck (PPTX or PDF)", pages_outside_a_server=True),
    Command("data", "vae.data.datasets", "download MNIST or CelebA, or show what data is found where"),
    Command("share", "ui.serve.share", "export a model's student edition: static files, no server", pages_outside_a_server=True),
)
BY_NAME = {c.name: c for c in COMMANDS}


def usage() -> str:
    """What `vae-explorer --help` prints: every command with its one-line summary."""
    width = max(len(c.name) for c in COMMANDS)
    lines = [
        f"usage: {PROG} <command> [options]",
        "",
        "VAE Latent Explorer: the dashboard, training, and the files stored beside a model.",
        "",
        "commands:",
        *(f"  {c.name.ljust(width)}  {c.summary}" for c in COMMANDS),
        "",
        f"`{PROG} <command> --help` shows a command's options and an example, e.g. `{PROG} train --help`.",
        "Training on several processes (torchrun starts the package as a module, with train's options):",
        "  torchrun --standalone --nproc_per_node=2 -m vae.training --dataset mnist --out models/mnist-z16",
    ]
    return "\n".join(lines)


def unknown(name: str) -> str:
    """The message for a command that does not exist: the commands there are, and the nearest one."""
    near = difflib.get_close_matches(name, list(BY_NAME), n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return f"{PROG}: unknown command {name!r}{hint}\ncommands: {', '.join(BY_NAME)}\nsee `{PROG} --help`"


def version() -> str:
    # importlib.metadata takes some 50 ms to import: only --version needs it, so --help stays quick
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return f"{PROG} {installed('vae-latent-explorer')}"
    except PackageNotFoundError:
        return f"{PROG} (not installed)"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        print(usage(), file=sys.stderr)
        return 2
    name, rest = argv[0], argv[1:]
    if name == "help" and rest:  # `vae-explorer help train` = `vae-explorer train --help`
        name, rest = rest[0], ["--help"]
    if name in ("-h", "--help", "help"):
        print(usage())
        return 0
    if name == "--version":
        print(version())
        return 0
    if name not in BY_NAME:
        print(unknown(name), file=sys.stderr)
        return 2
    command = BY_NAME[name]
    if command.pages_outside_a_server:
        from streamlit.logger import set_log_level

        set_log_level("error")  # Streamlit's "no runtime" warnings: this is a command, not a page
    try:
        status = importlib.import_module(command.module).main(rest)
    except KeyboardInterrupt:  # the commands that leave something half done say what themselves
        print(f"{PROG} {name}: interrupted", file=sys.stderr)
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
