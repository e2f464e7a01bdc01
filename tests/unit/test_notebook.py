"""The course notebooks, notebooks/vae_mnist.ipynb and its French edition vae_mnist.fr.ipynb: each executed
headless (nbclient, this venv's python as the kernel) on real MNIST with a short training, then its printed
losses and figures are checked. Also: they are self-contained (never import the project's packages), stored
without outputs, and find their data root the documented way; the French one is generated from the English
one (notebooks/translate.py: the same code cells, French prose) and is up to date."""

from __future__ import annotations

import ast
import importlib.util
import json
import math
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO

NOTEBOOK = REPO / "notebooks" / "vae_mnist.ipynb"
FRENCH = REPO / "notebooks" / "vae_mnist.fr.ipynb"
PROJECT_PACKAGES = {"vae", "ui", "harness", "tests"}
MNIST_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
UNTRAINED = re.compile(r"^untrained\s+test loss (\S+) nats/image", re.M)
EPOCH = re.compile(r"^epoch\s+(\d+)/(\d+)\s+train (\S+)\s+test (\S+) nats/image", re.M)
TRAIN_LIMIT = 20_000  # one epoch on a third of the training set: about 15 s for the whole notebook here

pytestmark = pytest.mark.slow


def tagged(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stdout")


@pytest.fixture(scope="module", params=[NOTEBOOK, FRENCH], ids=["en", "fr"])
def executed(request: pytest.FixtureRequest, real_root: Path) -> nbformat.NotebookNode:
    """A notebook after a headless run: 1 epoch on TRAIN_LIMIT images, data from the tests' data root.
    A last cell, added to this in-memory copy only, prints the kernel's interpreter."""
    nb = nbformat.read(request.param, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))
    with pytest.MonkeyPatch.context() as env:  # the kernel inherits this process's environment
        env.setenv("VAE_DATA_DIR", str(real_root.resolve()))
        env.setenv("VAE_NOTEBOOK_EPOCHS", "1")
        env.setenv("VAE_NOTEBOOK_TRAIN_LIMIT", str(TRAIN_LIMIT))
        client = NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(NOTEBOOK.parent)}})
        client.execute()  # raises CellExecutionError on the first cell that fails
    return nb


def test_runs_in_this_venv_without_errors(executed: nbformat.NotebookNode) -> None:
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    assert os.path.samefile(stdout(executed.cells[-1]).strip(), sys.executable)
    assert "epochs: 1;" in stdout(tagged(executed, "setup"))


def test_one_epoch_beats_the_untrained_model(executed: nbformat.NotebookNode) -> None:
    untrained = float(UNTRAINED.search(stdout(tagged(executed, "untrained"))).group(1))
    train_out = stdout(tagged(executed, "train"))
    epochs = EPOCH.findall(train_out)
    assert [(e, n) for e, n, _, _ in epochs] == [("1", "1")], train_out
    train_loss, test_loss = float(epochs[0][2]), float(epochs[0][3])
    assert math.isfinite(train_loss) and math.isfinite(test_loss)
    # Untrained pixel probabilities sit near 0.5: about 784 ln 2 = 543 nats per image.
    assert 0.9 * 784 * math.log(2) < untrained < 1.2 * 784 * math.log(2)
    assert test_loss < 0.5 * untrained, (test_loss, untrained)
    assert f"of {TRAIN_LIMIT} images" in train_out


@pytest.mark.parametrize("tag", ["samples", "manifold", "latent-space"])
def test_figure_cells_draw_images(executed: nbformat.NotebookNode, tag: str) -> None:
    images = [o.data["image/png"] for o in tagged(executed, tag).get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 1
    assert len(images[0]) > 5_000  # base64 PNG of a real figure, not an empty canvas


@pytest.mark.parametrize("path", [NOTEBOOK, FRENCH], ids=["en", "fr"])
def test_self_contained_and_stored_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    imported = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [] and cell.execution_count is None, "store the notebook with outputs cleared"
        python = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(python)):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or "").split(".")[0])
    assert imported, "no imports parsed"
    assert not imported & PROJECT_PACKAGES, imported & PROJECT_PACKAGES
    assert {"torch", "numpy", "matplotlib"} <= imported


def find_mnist(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the notebook's data-root cell from `cwd`; return the MNIST folder it settles on."""
    monkeypatch.chdir(cwd)
    namespace = {"os": os, "Path": Path}
    exec(tagged(nbformat.read(NOTEBOOK, as_version=4), "data-root").source, namespace)
    return namespace["MNIST_DIR"]


def put_mnist(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in MNIST_NAMES:
        (folder / name).touch()
    return folder


def test_data_root_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAE_DATA_DIR", raising=False)
    notebooks = tmp_path / "repo" / "notebooks"
    notebooks.mkdir(parents=True)
    shared = put_mnist(tmp_path / "shared" / "data" / "mnist")
    assert find_mnist(notebooks, monkeypatch) == shared  # ../../shared/data from the notebook's folder
    assert find_mnist(tmp_path / "repo", monkeypatch) == shared  # ../shared/data from the repository
    in_repo = put_mnist(tmp_path / "repo" / "data" / "MNIST" / "raw")  # torchvision's layout
    assert find_mnist(notebooks, monkeypatch) == in_repo  # ../data comes before the shared folder
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path / "shared" / "data"))
    assert find_mnist(tmp_path / "repo", monkeypatch) == shared  # $VAE_DATA_DIR first


def test_missing_data_names_every_place_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAE_DATA_DIR", raising=False)
    cwd = tmp_path / "a" / "b"
    put_mnist(cwd / "data" / "mnist").joinpath(MNIST_NAMES[0]).unlink()  # three of four files is not enough
    with pytest.raises(FileNotFoundError) as missing:
        find_mnist(cwd, monkeypatch)
    for root in (cwd / "data", tmp_path / "a" / "data", tmp_path / "shared" / "data", tmp_path / "a" / "shared" / "data"):
        assert str(root / "mnist") in str(missing.value)
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path / "elsewhere"))
    with pytest.raises(FileNotFoundError, match=re.escape(f"searching from VAE_DATA_DIR={tmp_path / 'elsewhere'}")) as missing:
        find_mnist(cwd, monkeypatch)
    assert str(tmp_path / "elsewhere" / "mnist") in str(missing.value)
    assert str(cwd / "data") not in str(missing.value)  # a set VAE_DATA_DIR is the only place looked


def load_translate():
    spec = importlib.util.spec_from_file_location("translate", REPO / "notebooks" / "translate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_french_notebook_is_the_english_code_with_french_prose_and_up_to_date() -> None:
    translate = load_translate()
    assert translate.main(["--check"]) == 0  # what notebooks/translate.py writes, byte for byte
    en, fr = nbformat.read(NOTEBOOK, as_version=4), nbformat.read(FRENCH, as_version=4)
    assert [c.cell_type for c in en.cells] == [c.cell_type for c in fr.cells]
    assert [c.source for c in en.cells if c.cell_type == "code"] == [c.source for c in fr.cells if c.cell_type == "code"]
    prose = [(e.source, f.source) for e, f in zip(en.cells, fr.cells) if e.cell_type == "markdown"]
    assert all(e != f for e, f in prose)  # every markdown cell translated
    assert "Un autoencodeur variationnel" in prose[0][1] and "553,05" in prose[-1][1]


def test_a_changed_english_cell_makes_its_translation_stale() -> None:
    translate = load_translate()
    english = json.loads(NOTEBOOK.read_text())
    prose = translate.read_prose(translate.PROSE.read_text())
    english["cells"][2]["source"] = ["## 1. Load the data, differently\n"]
    with pytest.raises(translate.StaleTranslation, match="cell 2 changed since its translation"):
        translate.translated(english, prose)
    english["cells"].append({"cell_type": "markdown", "id": "new", "metadata": {}, "source": ["More."]})
    with pytest.raises(translate.StaleTranslation, match=f"cell {len(english['cells']) - 1} has no French prose"):
        translate.translated(english, prose)
