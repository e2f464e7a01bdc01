"""The French course notebook, generated from the English one so that the two cannot drift.

    python notebooks/translate.py            # writes notebooks/vae_mnist.fr.ipynb
    python notebooks/translate.py --check    # exit 1 if the French notebook is not what this writes

The code cells are the English notebook's, exactly (the same code, the same printed lines); each markdown
cell is replaced by its French prose from notebooks/vae_mnist.fr.md, where every translation names the
English cell it was made from (`<!-- cell 12 en:3f2a9c0d1b4e -->`, the first 12 hex digits of the English
text's sha256). An English cell that changed, was added or removed makes this refuse to write: translate it
again and update its hash. Standard library only (the notebook is JSON).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENGLISH = HERE / "vae_mnist.ipynb"
PROSE = HERE / "vae_mnist.fr.md"
FRENCH = HERE / "vae_mnist.fr.ipynb"
MARKER = re.compile(r"^<!-- cell (\d+) en:([0-9a-f]{12}) -->\n", re.M)


class StaleTranslation(Exception):
    """The French prose does not match the English notebook's markdown cells."""


def text_of(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def english_hash(cell: dict) -> str:
    return hashlib.sha256(text_of(cell).encode()).hexdigest()[:12]


def read_prose(text: str) -> dict[int, tuple[str, str]]:
    """{cell index: (English hash, French markdown)} from the prose file."""
    parts = MARKER.split(text)
    return {int(parts[i]): (parts[i + 1], parts[i + 2].strip("\n")) for i in range(1, len(parts), 3)}


def translated(english: dict, prose: dict[int, tuple[str, str]]) -> dict:
    """The French notebook: the English one with each markdown cell's source replaced by its translation."""
    markdown = [i for i, cell in enumerate(english["cells"]) if cell["cell_type"] == "markdown"]
    problems = [f"cell {i} has no French prose" for i in markdown if i not in prose]
    problems += [f"French prose for cell {i}, which is not a markdown cell" for i in prose if i not in markdown]
    problems += [
        f"cell {i} changed since its translation (en:{prose[i][0]}, now en:{english_hash(english['cells'][i])})"
        for i in markdown
        if i in prose and prose[i][0] != english_hash(english["cells"][i])
    ]
    if problems:
        raise StaleTranslation("; ".join(problems) + f": translate again in {PROSE.name}")
    french = json.loads(json.dumps(english))
    for i in markdown:
        lines = prose[i][1].splitlines(keepends=True)
        french["cells"][i]["source"] = lines
    french["metadata"]["lang"] = "fr"  # the prose's language (Jupyter ignores it; the code is the same)
    return french


def rendered(notebook: dict) -> str:
    return json.dumps(notebook, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the French notebook on disk instead of writing it")
    args = parser.parse_args(argv)
    try:
        text = rendered(translated(json.loads(ENGLISH.read_text()), read_prose(PROSE.read_text())))
    except StaleTranslation as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.check:
        same = FRENCH.exists() and FRENCH.read_text() == text
        print(f"{FRENCH.name}: {'up to date' if same else 'out of date: run python notebooks/translate.py'}")
        return 0 if same else 1
    FRENCH.write_text(text)
    print(f"wrote {FRENCH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
