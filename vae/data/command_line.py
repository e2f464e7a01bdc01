"""The parser every `vae-explorer <command>` starts from: its name, its description and its examples, laid out
the same way in every `--help`. It sits in the lowest layer so that every command's module can use it."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

PROG = "vae-explorer"


def command_parser(name: str, description: str | None, examples: Sequence[str], **options: Any) -> argparse.ArgumentParser:
    """`vae-explorer <name>`'s parser; `examples` are command lines (a trailing `# comment` each, if any), shown
    under "examples:" at the end of `--help` exactly as written. `options` go to ArgumentParser."""
    return argparse.ArgumentParser(
        prog=f"{PROG} {name}",
        description=description,
        epilog="examples:\n" + "\n".join(f"  {line}" for line in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **options,
    )
