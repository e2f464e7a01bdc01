"""Fuzz: flipped, inserted and truncated bytes of a real checkpoint are refused cleanly every time
(CheckpointError with a message), never another exception, never a silently broken model."""

import json
import random
import shutil

import pytest
import torch

from tests.conftest import MODELS_DIR
from vae import CheckpointError, load_model

REAL = MODELS_DIR / "mnist-z16"
ROUNDS = 150


@pytest.mark.skipif(not (REAL / "model.safetensors").exists(), reason="shipped model missing")
def test_mutated_weights_are_refused_or_load_finite(tmp_path):
    rng = random.Random(0)
    original = (REAL / "model.safetensors").read_bytes()
    folder = tmp_path / "m"
    shutil.copytree(REAL, folder, ignore=shutil.ignore_patterns("atlas.safetensors"))
    header_len = int.from_bytes(original[:8], "little")
    outcomes = {"refused": 0, "loaded": 0}
    for i in range(ROUNDS):
        data = bytearray(original)
        kind = i % 4
        if kind == 0:  # truncate anywhere
            data = data[: rng.randrange(0, len(data))]
        elif kind == 1:  # flip bytes in the JSON header
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(0, 8 + header_len)] ^= 1 << rng.randrange(8)
        elif kind == 2:  # flip bytes anywhere
            for _ in range(rng.randint(1, 32)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:  # insert or delete a chunk
            pos = rng.randrange(len(data))
            if rng.random() < 0.5:
                del data[pos : pos + rng.randint(1, 256)]
            else:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        (folder / "model.safetensors").write_bytes(bytes(data))
        try:
            model = load_model(folder)
        except CheckpointError as err:
            assert str(err)
            outcomes["refused"] += 1
            continue
        # data bytes flipped inside a tensor can still be a valid file: it must decode finitely
        with torch.inference_mode():
            out = model.decode(torch.zeros(2, model.config.latent_dim))
        assert torch.isfinite(out).all() and out.shape == (2, 1, 28, 28)
        outcomes["loaded"] += 1
    assert outcomes["refused"] >= ROUNDS // 2, outcomes


@pytest.mark.skipif(not (REAL / "config.json").exists(), reason="shipped model missing")
def test_mutated_configs_are_refused_cleanly(tmp_path):
    rng = random.Random(1)
    folder = tmp_path / "m"
    shutil.copytree(REAL, folder, ignore=shutil.ignore_patterns("atlas.safetensors"))
    text = (REAL / "config.json").read_text()
    good = json.loads(text)
    variants = [
        "", "{", "[]", "null", '"mnist"', text.replace("mnist", "cifar"), json.dumps({**good, "extra": 1}),
        json.dumps({k: v for k, v in good.items() if k != "channels"}), json.dumps({**good, "latent_dim": "16"}),
        json.dumps({**good, "latent_dim": -1}), json.dumps({**good, "channels": [32, "x"]}), json.dumps({**good, "beta": None}),
        json.dumps({**good, "channels": []}), json.dumps({**good, "hidden": 10**9}), "\xff\xfe garbage",
    ]  # fmt: skip
    for _ in range(60):
        chars = list(text)
        for _ in range(rng.randint(1, 6)):
            chars[rng.randrange(len(chars))] = chr(rng.randrange(32, 127))
        variants.append("".join(chars))
    for v in variants:
        (folder / "config.json").write_bytes(v.encode("utf-8", "surrogateescape") if isinstance(v, str) else v)
        try:
            load_model(folder)
        except CheckpointError as err:
            assert str(err)
