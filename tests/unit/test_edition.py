"""The student edition's exporter (ui.components.edition, `vae-explorer share`): the folder it writes on real
models (index.html, content-hashed assets, the engine's nets, the scene with both languages), its weight against
the budget, that nothing of the datasets lands in the repository, and clear refusals of bad input. The page itself
runs in tests/browser/test_browser_edition.py."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import MODELS_DIR, REPO, needs
from ui.components import edition, live
from ui.serve import share
from vae.artifacts.atlas import load_atlas

pytestmark = pytest.mark.skipif(not edition.BUNDLE.is_file(), reason="no edition bundle (bash scripts/build_frontend.sh needs npm)")


def untracked() -> set[str]:
    """Files git would offer to add: what an export must not leave in the repository."""
    done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, capture_output=True, text=True, check=True)
    return set(done.stdout.splitlines())


@pytest.fixture(scope="module")
def mnist_edition(tmp_path_factory) -> Path:
    before = untracked()
    out = tmp_path_factory.mktemp("mnist") / "edition"
    index = edition.export_edition("mnist-z16", out, "fr")
    assert untracked() == before
    return index.parent


def assets_of(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in (folder / "assets").iterdir()}


def scene_of(folder: Path) -> dict:
    scene_url = re.search(r'<meta name="vae-scene" content="([^"]+)">', (folder / "index.html").read_text())
    assert scene_url
    return json.loads((folder / scene_url[1]).read_text())


@needs("mnist-z16")
def test_every_asset_is_named_by_its_content_and_index_html_names_the_scene_and_bundle(mnist_edition):
    files = assets_of(mnist_edition)
    assert sorted(p.name for p in mnist_edition.iterdir()) == ["assets", "index.html"]
    runtime = [path for path in files.values() if path.is_dir()]
    assert [p.name[:5] for p in runtime] == ["tfjs-"] and re.fullmatch(r"tfjs-[0-9a-f]{12}", runtime[0].name)
    assert sorted(p.name for p in runtime[0].iterdir()) == sorted(live.RUNTIME_FILES)  # the names tfjs asks for
    assert all((runtime[0] / f).read_bytes() == (live.RUNTIME_DIR / f).read_bytes() for f in live.RUNTIME_FILES)
    for name, path in files.items():
        if path.is_dir():
            continue
        match = re.fullmatch(r"[a-z_A-Z-]+-([0-9a-f]{12})\.[a-z0-9]+", name)
        assert match, name
        assert match[1] == hashlib.sha256(path.read_bytes()).hexdigest()[:12], name
    index = (mnist_edition / "index.html").read_text()
    named = re.findall(r'(?:src|content|href)="assets/([^"]+)"', index)
    assert all(n.split("/")[0] in files and (mnist_edition / "assets" / n).is_file() for n in named)
    # the scene (named and preloaded), the bundle, and what the first picture needs, preloaded: the decoder's
    # spec and .bin, tfjs and its SIMD .wasm (mnist-z16's decoder has convolutions: it runs on WebAssembly)
    kinds_named = sorted(re.sub(r"-[0-9a-f]{12}", "", n) for n in named)
    assert kinds_named == "decoder.bin decoder.json edition.js scene.json scene.json tfjs/tfjs-backend-wasm-simd.wasm tfjs/tfjs.mjs".split()
    assert '<html lang="fr">' in index and "Carte latente" in index
    kinds = sorted(re.sub(r"-[0-9a-f]{12}", "", n) for n in files)
    assert kinds == [
        "atlas-codes.f16",
        "atlas-pca.f32",
        "colours-label.u8",
        "decoder.bin",
        "decoder.json",
        "edition.js",
        "encoder.bin",
        "encoder.json",
        "scene.json",
        "tfjs",
    ]


@needs("mnist-z16")
def test_the_scene_carries_the_map_the_nets_the_sliders_and_both_languages(mnist_edition):
    scene, files = scene_of(mnist_edition), assets_of(mnist_edition)
    atlas = load_atlas(MODELS_DIR / "mnist-z16")
    n, dim = atlas.mean.shape
    assert (scene["model"], scene["dataset"], scene["lang"], scene["image_shape"]) == ("mnist-z16", "mnist", "fr", [1, 28, 28])
    assert re.fullmatch(r"assets/tfjs-[0-9a-f]{12}/", scene["runtime"]) and (mnist_edition / scene["runtime"]).is_dir()
    m = scene["map"]
    assert m["projection"] == "pca" and m["dim"] == dim and m["faces"] is None and scene["faces"] is None
    assert scene["map_colour"] == "label"
    codes = np.frombuffer(files[Path(m["codes"]).name].read_bytes(), "<f2").reshape(n, dim).astype(np.float32)
    coords = np.frombuffer(files[Path(m["coords"]).name].read_bytes(), "<f4").reshape(n, 2)
    np.testing.assert_array_equal(codes, atlas.mean.astype(np.float32))
    np.testing.assert_allclose(coords, atlas.coords("pca"), atol=1e-5)
    assert len(files[Path(m["colours"]).name].read_bytes()) == 4 * n
    for part in ("decoder", "encoder"):  # the engine's spec names its .bin beside it, in assets/
        spec = json.loads(files[Path(scene[part]).name].read_text())
        assert spec["part"] == part and spec["bin"] in files and files[spec["bin"]].stat().st_size == spec["bin_bytes"]
    assert sorted(scene["sliders"]["order"]) == list(range(dim)) and scene["sliders"]["limit"] == 3.0
    assert scene["inputs"]["side"] == 28 and scene["place_k"] == 10
    en, fr = scene["texts"]["en"], scene["texts"]["fr"]
    assert set(en["catalogue"]) == set(fr["catalogue"]) == set(edition.TEXT_KEYS)
    assert all(en["catalogue"][k] != k and fr["catalogue"][k] != k for k in edition.TEXT_KEYS)  # every key found
    assert en["catalogue"]["map.title"] == "Latent map" and fr["catalogue"]["map.title"] == "Carte latente"
    assert len(en["dims"]) == len(fr["dims"]) == dim and en["dims"][0].startswith("z1 · ")
    assert [g[0] for g in en["groups"]] == [str(d) for d in range(10)]


def test_the_page_reads_only_texts_the_scene_carries():
    sources = "\n".join(p.read_text() for p in (REPO / "frontend" / "src" / "edition").glob("*.js"))
    used = (
        set(re.findall(r'data-t="([^"]+)"', sources))
        | set(re.findall(r'say\(scene\.texts, lang, "([^"]+)"', sources))
        | {"map.colour.label"}
    )
    assert "edition.landed" in used and "map.title" in used
    assert used <= set(edition.TEXT_KEYS), used - set(edition.TEXT_KEYS)


@needs("mnist-z16")
def test_an_mnist_edition_is_within_its_budget_and_names_are_stable(mnist_edition, tmp_path):
    size = edition.edition_size(mnist_edition, "mnist")
    assert 0 < size.at_load_gzip_bytes < size.visit_gzip_bytes < size.gzip_bytes <= size.raw_bytes, size.report()
    assert size.visit_gzip_bytes <= 3_000_000, size.report()
    assert size.within_budget
    again = edition.export_edition("mnist-z16", tmp_path / "again", "fr")
    assert sorted(assets_of(again.parent)) == sorted(assets_of(mnist_edition))  # same content, same names: cacheable for good


@needs("celeba-z64")
def test_a_celeba_edition_has_its_faces_no_encoder_and_is_within_its_budget(tmp_path):
    before = untracked()
    folder = edition.export_edition("celeba-z64", tmp_path / "faces", "en").parent
    assert untracked() == before  # the faces' sprite was joined from the data directory, never into the repository
    scene, files = scene_of(folder), assets_of(folder)
    assert scene["encoder"] is None and scene["inputs"] is None and scene["image_shape"] == [3, 64, 64]
    assert scene["faces"]["side"] == 32 and Path(scene["faces"]["url"]).name in files and scene["map_colour"] == "attr:Smiling"
    size = edition.edition_size(folder, "celeba")
    assert size.gzip_bytes <= 6_000_000 and size.within_budget, size.report()
    assert (
        size.gzip_bytes - size.at_load_gzip_bytes >= files[Path(scene["faces"]["url"]).name].stat().st_size * 0.9
    )  # the sprite waits for Faces


@needs("mnist-z2")
def test_the_zip_holds_the_folder():
    archive = zipfile.ZipFile(io.BytesIO(edition.edition_zip("mnist-z2", "en")))
    names = archive.namelist()
    assert (
        "index.html" in names and any(n.startswith("assets/edition-") for n in names) and any(n.startswith("assets/scene-") for n in names)
    )
    scene_name = next(n for n in names if n.startswith("assets/scene-"))
    assert json.loads(archive.read(scene_name))["map"]["projection"] == "raw"  # latent_dim 2: the map page's first choice


def test_bad_input_is_refused_with_the_reason(tmp_path, capsys):
    with pytest.raises(edition.ShareError, match="unknown model 'mnist-z17'.*mnist-z16"):
        edition.export_edition("mnist-z17", tmp_path / "x")
    with pytest.raises(edition.ShareError, match="unknown language 'de'"):
        edition.export_edition("mnist-z16", tmp_path / "x", "de")
    assert share.main(["--model", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "vae-explorer share: unknown model 'nope'" in capsys.readouterr().err
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert share.main(["--model", "mnist-z2", "--out", str(blocker / "edition")]) == 2
    assert "vae-explorer share: cannot write the edition into" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        share.main(["--model", "mnist-z2", "--out", str(tmp_path), "--lang", "de"])
    assert exit_.value.code == 2


@needs("mnist-z2")
def test_the_command_prints_the_weight_against_the_budget(tmp_path, capsys):
    assert share.main(["--model", "mnist-z2", "--out", str(tmp_path / "z2"), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert re.search(
        r"index\.html: \d\.\d\d MB at most in one visit, gzip \(\d\.\d\d MB at load\): within the budget of 3 MB; \d\.\d\d MB gzip in all",
        out,
    ), out
