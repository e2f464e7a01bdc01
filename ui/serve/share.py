"""`vae-explorer share`: write one model's student edition, a folder of static files that runs in the
browser with no server (ui.components.edition builds it; the map page's "Share with students" gives
the same as a .zip), and say what it weighs against its budget. Bad input exits 2 with the reason."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ui.components.edition import ShareError, edition_size, edition_zip, export_edition
from ui.shell.i18n import LANGUAGES
from ui.shell.resources import model_key, ready_of
from vae.data.command_line import command_parser

__all__ = ["ShareError", "build_parser", "edition_size", "edition_zip", "export_edition", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "share",
        "Export one model's student edition: a folder of static files (index.html and assets/) that runs "
        "in the browser with no server: the latent map decoded under the pointer or finger, the latent "
        "sliders, the path between two pinned spots, a drawn digit on the map (MNIST), the faces (CelebA), FR/EN.",
        [
            "vae-explorer share --model mnist-z16 --out editions/mnist-z16 --lang fr",
            "vae-explorer share --model celeba-z64 --out /var/www/course/faces",
        ],
    )
    parser.add_argument("--model", required=True, help="the model's folder name under models/ (vae-explorer zoo lists them)")
    parser.add_argument("--out", required=True, type=Path, help="the folder to write (created; an earlier export there is replaced)")
    parser.add_argument("--lang", default="en", choices=sorted(LANGUAGES), help="the language shown first (default: en)")
    parser.add_argument("--models-dir", default=None, help="where the models are (default: models/ or $VAE_MODELS_DIR)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        index = export_edition(args.model, args.out, args.lang, args.models_dir)
    except ShareError as err:
        print(f"vae-explorer share: {err}", file=sys.stderr)
        return 2
    dataset = ready_of(model_key(args.model, args.models_dir)).model.config.dataset
    size = edition_size(index.parent, dataset)
    print(f"{index}: {size.report()}")
    print(f"serve the folder from any static host, e.g. python -m http.server -d {index.parent}")
    return 0 if size.within_budget else 1


if __name__ == "__main__":
    sys.exit(main())
