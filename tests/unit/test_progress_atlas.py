"""Progress and Ctrl-C of the atlas build (`vae-explorer atlas`): encoding and t-SNE report their
progress on stderr, Ctrl-C exits 130 with one line, and the atlas file has the model files' mode."""

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from tests.card_samples import sample_card
from vae.artifacts.atlas import ATLAS_FILE, build_atlas, file_sha256, load_atlas
from vae.artifacts.projection import TSNEMap
from vae.core.checkpoint import WEIGHTS_FILE, load_model, save_model
from vae.core.evaluate import per_sample_terms
from vae.data.datasets import to_tensor


def test_tsne_progress_reports_affinities_and_both_phases_and_keeps_the_map(capsys):
    codes = np.random.default_rng(0).normal(size=(300, 5))
    tsne = TSNEMap(perplexity=10, random_state=0, n_jobs=1, progress=True)
    coords = tsne.fit_transform(codes)
    err = capsys.readouterr().err
    assert "t-SNE: affinities of 300 codes (perplexity 10)…" in err
    assert "t-SNE optimisation" in err and "early exaggeration, KL" in err and "main, KL" in err
    assert "750/750" in err  # 250 early-exaggeration + 500 main iterations, all counted
    np.testing.assert_array_equal(coords, TSNEMap(perplexity=10, random_state=0, n_jobs=1).fit_transform(codes))
    assert capsys.readouterr().err == ""  # without progress: silent
    tsne.transform(codes[:3])  # the embedding keeps openTSNE's callbacks: placing new points stays quiet
    assert capsys.readouterr().err == ""


@pytest.fixture
def tiny_model_dir(tiny_mnist, tmp_path):
    return save_model(tiny_mnist, tmp_path / "tiny", card=sample_card(latent_dim=3, name="tiny"))


def test_build_atlas_shows_progress_and_writes_the_model_files_mode(real_root, tiny_model_dir, monkeypatch, capsys):
    import vae.artifacts.atlas
    from vae.data.datasets import load_split

    images, labels = load_split("mnist", "test")
    monkeypatch.setattr(vae.artifacts.atlas, "load_split", lambda dataset, split: (images[:400], labels[:400]))
    old_umask = os.umask(0o077)  # a private umask must not make the atlas unlike the weights
    try:
        path = build_atlas(tiny_model_dir, tsne_jobs=1)
    finally:
        os.umask(old_umask)
    err = capsys.readouterr().err
    assert "tiny: loading the mnist test split…" in err
    assert "encoding test split" in err and "400/400" in err
    assert "t-SNE: affinities of 400 codes (perplexity 30)…" in err and "750/750" in err
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o644 == stat.S_IMODE((tiny_model_dir / WEIGHTS_FILE).stat().st_mode)
    assert sorted(p.name for p in tiny_model_dir.iterdir()) == sorted([ATLAS_FILE, WEIGHTS_FILE, "config.json", "card.json"])
    atlas = load_atlas(tiny_model_dir)
    assert atlas.mean.shape == (400, 3) and atlas.weights_sha256 == file_sha256(tiny_model_dir / WEIGHTS_FILE)
    # counting the encoded images leaves the model's outputs alone
    terms = per_sample_terms(load_model(tiny_model_dir), to_tensor(images[:400]))
    np.testing.assert_allclose(atlas.mean, terms["mean"], atol=2e-3)
    np.testing.assert_allclose(atlas.recon_nats, terms["recon_nats"], rtol=1e-6)


def test_ctrl_c_during_the_atlas_build_exits_130_with_one_line(real_root, tiny_model_dir, tmp_path):
    """SIGINT in the t-SNE's affinity computation (native code, the longest silent stretch before)."""
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO, with_ctrl_c

    err_path = tmp_path / "stderr.txt"
    cli = Path(sys.executable).parent / "vae-explorer"
    with open(err_path, "w") as err_file:
        proc = subprocess.Popen(
            [str(cli), "atlas", str(tiny_model_dir)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=err_file,
            preexec_fn=with_ctrl_c,
        )
        deadline = time.time() + 180
        while "t-SNE: affinities" not in err_path.read_text() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert "t-SNE: affinities" in err_path.read_text(), "the t-SNE never said it started"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130
    err = err_path.read_text()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "encoding test split" in err and "10000/10000" in err
    assert err.count("interrupted") == 1
    assert err.rstrip().splitlines()[-1] == f"interrupted: no new atlas for {tiny_model_dir} (an existing {ATLAS_FILE} there is unchanged)"
    assert not (tiny_model_dir / ATLAS_FILE).exists() and not (tiny_model_dir / f".{ATLAS_FILE}.tmp").exists()
