"""The folders are the layers: which part of `vae` and `ui` may import which, checked on the import graph read
from the source (tests.import_graph), imports inside functions included.

vae:  data ← core ← artifacts ← {training, analysis}   (an arrow points from what is imported to its importer)
ui:   shell ← components ← {views, lesson, serve}; the entry modules (ui.app, ui.cli) may import anything;
      a view never imports another view; nothing in vae imports ui."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from tests.import_graph import import_graph, project_modules

# part -> the parts it may import (itself always allowed, except where ALONE says otherwise)
MAY_IMPORT: dict[str, set[str]] = {
    "vae.data": set(),
    "vae.core": {"vae.data"},
    "vae.artifacts": {"vae.core", "vae.data"},
    "vae.training": {"vae.artifacts", "vae.core", "vae.data"},
    "vae.analysis": {"vae.artifacts", "vae.core", "vae.data"},
    "vae": {"vae.core", "vae.artifacts"},  # vae/__init__: the package's front door
    "ui.shell": {"vae"},
    "ui.components": {"ui.shell", "vae"},
    "ui.views": {"ui.components", "ui.shell", "vae"},
    "ui.lesson": {"ui.components", "ui.shell", "vae"},
    "ui.serve": {"ui.app", "ui.components", "ui.shell", "vae"},
    "ui.app": {"ui", "vae"},
    "ui.cli": {"ui", "vae"},
}
ALONE = {"ui.views"}  # one module per page: a view shares through ui.components, never through another view
ENTRY_MODULES = {"vae": set(), "ui": {"app", "cli"}}


def part_of(module: str) -> str | None:
    """The most specific part in MAY_IMPORT that holds `module` (None outside vae and ui)."""
    best = None
    for part in MAY_IMPORT:
        if (module == part or module.startswith(part + ".")) and (best is None or len(part) > len(best)):
            best = part
    return best


def within(module: str, parts: set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in parts)


def violations(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        part = part_of(module)
        if part is None:
            continue
        for target in sorted(targets):
            target_part = part_of(target)
            if target_part is None:
                continue
            if target_part == part:
                if part in ALONE and target != part:
                    found.append(f"{module} -> {target} (a view imports another view)")
                continue
            if target == part.rpartition(".")[0]:  # a package's own __init__ (vae.core -> vae): never needed
                found.append(f"{module} -> {target} (imports its parent package)")
            elif not within(target, MAY_IMPORT[part]):
                found.append(f"{module} -> {target} ({part} may import only {sorted(MAY_IMPORT[part]) or 'nothing in vae'})")
    return found


def test_every_import_follows_the_layers():
    assert violations(import_graph(project_modules())) == []


@pytest.mark.parametrize(
    ("edge", "broken"),
    [
        (("vae.core.model", "vae.artifacts.atlas"), True),  # core reaching up to an artifact
        (("vae.training.train", "vae.analysis.zoo"), True),  # two siblings
        (("vae.data.inputs", "vae.core.model"), True),
        (("ui.views.sliders", "ui.views.composer"), True),
        (("ui.shell.state", "ui.components.widgets"), True),
        (("vae.core.latent", "ui.shell.i18n"), True),  # the model package never imports the UI
        (("vae.analysis.zoo", "vae.artifacts.quality"), False),
        (("ui.views.sliders", "ui.components.live"), False),
    ],
)
def test_the_rule_catches_a_wrong_edge(edge, broken):
    importer, imported = edge
    assert bool(violations({importer: {imported}})) is broken


def test_only_entry_modules_sit_at_the_top_of_vae_and_ui():
    for package, entries in ENTRY_MODULES.items():
        top = {p.stem for p in (REPO / package).glob("*.py")} - {"__init__", "__main__"}
        assert top <= entries, f"{package}/ holds {sorted(top - entries)} beside its subpackages"
        for sub in (REPO / package).iterdir():
            if sub.is_dir() and sub.name != "__pycache__":
                doc = (sub / "__init__.py").read_text(encoding="utf-8")
                assert doc.startswith('"""') and "import" in doc.lower(), f"{sub}/__init__.py says what lives there and what it may import"
