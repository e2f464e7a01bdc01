"""No import cycle anywhere in the project's packages: the graph of which module imports which (tests.import_graph)
has no strongly connected component of more than one module."""

from __future__ import annotations

from tests.import_graph import cycles, import_graph, project_modules


def test_the_cycle_finder_finds_cycles_through_function_level_imports(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_reads_imports_inside_functions_and_from_package_imports():
    modules = project_modules()
    graph = import_graph(modules)
    assert "vae.core.latent" in graph["vae.artifacts.projection"]  # a top-level `from vae.core.latent import ...`
    assert "ui.lesson.slide_figures" in graph["ui.lesson.slides"]  # imported inside build_deck
    assert "vae.core.model" in graph["vae.core.latent"]


def test_no_import_cycle_in_the_project():
    found = cycles(import_graph(project_modules()))
    assert found == [], f"import cycles: {found}"
