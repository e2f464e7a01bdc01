"""Training replays (vae.training.replay): recorded while training without changing the training, refused
stale, and the shipped course model's replay ends at its shipped map."""

import numpy as np
import pytest

from tests.conftest import MODELS_DIR, needs
from vae.core.checkpoint import CheckpointError
from vae.core.derived import file_sha256
from vae.training.replay import REPLAY_FILE, REPLAY_POINTS, load_replay, replay_rows
from vae.training.train import main as train_main

TINY = ["--dataset", "mnist", "--architecture", "dense", "--hidden", "32", "--latent-dim", "2", "--epochs", "2"]
TINY += ["--train-limit", "1500", "--test-limit", "2500", "--iw-samples", "0", "--device", "cpu"]


def test_recording_a_replay_changes_nothing_in_the_training_and_a_retrained_model_refuses_it(real_root, tmp_path):
    assert train_main([*TINY, "--out", str(tmp_path / "plain")]) == 0
    assert train_main([*TINY, "--out", str(tmp_path / "recorded"), "--replay"]) == 0
    # the same weights with or without the recording: it draws nothing from the training's random streams
    assert file_sha256(tmp_path / "plain" / "model.safetensors") == file_sha256(tmp_path / "recorded" / "model.safetensors")
    assert not (tmp_path / "plain" / REPLAY_FILE).exists()
    replay = load_replay(tmp_path / "recorded")
    assert replay.frames.shape == (2, REPLAY_POINTS, 2) and replay.map_kind == "raw"
    np.testing.assert_array_equal(replay.test_index, replay_rows(2500))
    assert not np.allclose(replay.frames[0], replay.frames[1])  # the map moved between the epochs
    assert not list(tmp_path.glob(".*-replay.npy"))  # the frames kept while training are gone
    assert train_main([*TINY, "--out", str(tmp_path / "other"), "--seed", "1"]) == 0
    (tmp_path / "other" / REPLAY_FILE).write_bytes((tmp_path / "recorded" / REPLAY_FILE).read_bytes())
    with pytest.raises(CheckpointError, match="other weights"):
        load_replay(tmp_path / "other")  # another seed's weights: not the training it recorded


@needs("mnist-dense-z2")
def test_the_course_models_replay_ends_at_its_shipped_map():
    from vae.artifacts.atlas import load_atlas
    from vae.core.card import ModelCard

    replay = load_replay(MODELS_DIR / "mnist-dense-z2")
    card = ModelCard.load(MODELS_DIR / "mnist-dense-z2" / "card.json")
    assert replay.epochs == card.epochs == 60 and replay.map_kind == "raw"
    atlas = load_atlas(MODELS_DIR / "mnist-dense-z2")
    last = replay.frames[-1]
    shipped = atlas.mean[replay.test_index]
    # the last frame is μ under the float32 weights, the atlas under the float16 ones that ship
    assert np.abs(last - shipped).max() < 0.05
    assert np.abs(replay.frames[0] - shipped).mean() > 5 * np.abs(last - shipped).mean()  # epoch 1 is another map
