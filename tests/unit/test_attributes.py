"""Attribute directions: fitting on planted data, the file round trip, and the real celeba-z64 directions."""

import numpy as np
import pytest
from safetensors.numpy import save_file

from tests.conftest import MODELS_DIR
from vae.artifacts.atlas import load_atlas
from vae.artifacts.attributes import DIRECTIONS_FILE, encode_means, fit_directions, load_directions, save_directions
from vae.core.checkpoint import CheckpointError, save_model

NAME = "celeba-z64"
EDITED = ["Smiling", "Male", "Eyeglasses", "Blond_Hair"]


def planted(n=3000, dim=6, seed=0):
    """Codes where attribute A sits on axis 0, B on axis 1 mixed with axis 0 (so A and B correlate), C on axis 2."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, dim))
    attrs = np.stack([z[:, 0] > 0.3, (z[:, 0] + z[:, 1]) > 0, z[:, 2] < -0.5], 1).astype(np.uint8)
    return z.astype(np.float32), attrs


def test_fit_recovers_planted_directions_and_classifiers():
    z, attrs = planted()
    zt, at = planted(seed=1)
    d = fit_directions(z, attrs, ["A", "B", "C"], zt, at)
    np.testing.assert_allclose(d.directions, d.mean_with - d.mean_without)
    np.testing.assert_allclose(d.directions[0], z[attrs[:, 0] == 1].mean(0) - z[attrs[:, 0] == 0].mean(0), atol=1e-5)
    unit = d.directions / np.linalg.norm(d.directions, axis=1, keepdims=True)
    assert abs(unit[0, 0]) > 0.98 and abs(unit[2, 2]) > 0.98 and unit[2, 2] < 0  # C = low axis 2
    assert d.cosine[0, 1] > 0.5 and abs(d.cosine[0, 2]) < 0.1
    np.testing.assert_allclose(np.diag(d.cosine), 1, atol=1e-5)
    assert (d.balanced_accuracy > 0.95).all()
    np.testing.assert_allclose(d.positive_rate, attrs.mean(0), atol=1e-6)
    assert d.bias_report("A").by_cosine[0][0] == "B" and d.bias_report("A").by_score[0][0] == "B"
    assert d.score_shift[0, 0] > 0.3 and d.score_shift[2, 2] > 0.3


def test_apply_score_and_constrain():
    z, attrs = planted()
    d = fit_directions(z, attrs, ["A", "B", "C"], z[:500], attrs[:500])
    code = z[:10]
    np.testing.assert_allclose(d.apply(code, {"A": 1.5, "C": -0.5}), code + 1.5 * d.directions[0] - 0.5 * d.directions[2], atol=1e-6)
    np.testing.assert_array_equal(d.apply(code, {}), code)
    assert (d.score(d.apply(code, {"A": 1}), "A", probability=False) > d.score(code, "A", probability=False)).all()
    np.testing.assert_allclose(d.logits(code)[:, 1], d.score(code, "B", probability=False), rtol=1e-5)
    with pytest.raises(KeyError):
        d.score(code, "Nope")
    # constrain: a half-space along the direction; codes already inside are unchanged
    out = d.constrain(z, {"A": 1.0})
    u = d.directions[0] / np.linalg.norm(d.directions[0])
    mid = (d.mean_with[0] + d.mean_without[0]) / 2
    target = np.linalg.norm(d.directions[0]) / 2
    assert ((out - mid) @ u >= target - 1e-4).all()
    inside = (z - mid) @ u >= target
    np.testing.assert_array_equal(out[inside], z[inside])
    moved = out - z  # only along u
    np.testing.assert_allclose(moved - np.outer(moved @ u, u), 0, atol=1e-5)
    np.testing.assert_allclose(d.constrain(out, {"A": 1.0}), out, atol=1e-5)  # idempotent: no drift
    assert ((d.constrain(z, {"A": -1.0}) - mid) @ u <= -target + 1e-4).all()


def test_save_load_round_trip_and_errors(tmp_path, tiny_celeba):
    z, attrs = planted(dim=5)
    d = fit_directions(z, attrs, ["A", "B", "C"], z[:300], attrs[:300])
    folder = save_model(tiny_celeba, tmp_path / "m")
    from vae.core.derived import file_sha256

    d.weights_sha256 = file_sha256(folder / "model.safetensors")
    save_directions(d, folder)
    back = load_directions(folder)
    assert back.names == ["A", "B", "C"]
    for name in ("mean_with", "mean_without", "cosine", "classifier_weight", "classifier_bias", "score_shift", "balanced_accuracy"):
        np.testing.assert_array_equal(getattr(back, name), getattr(d, name))
    assert not back.directions.flags.writeable or not back.mean_with.flags.writeable
    # stale: made for other weights
    d.weights_sha256 = "0" * 64
    save_directions(d, folder)
    with pytest.raises(CheckpointError, match="other weights"):
        load_directions(folder)
    assert load_directions(folder, check_weights=False).names == ["A", "B", "C"]
    # damaged or incomplete files, and a missing one, name the command that rebuilds them
    (folder / DIRECTIONS_FILE).write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="vae-explorer attributes"):
        load_directions(folder)
    save_file({"mean_with": np.zeros((3, 5), np.float32)}, str(folder / DIRECTIONS_FILE), metadata={"attribute_names": "A,B,C"})
    with pytest.raises(CheckpointError, match="lacks"):
        load_directions(folder)
    (folder / DIRECTIONS_FILE).unlink()
    with pytest.raises(CheckpointError, match="missing"):
        load_directions(folder)


def test_encode_means_batches_like_one_batch(tiny_celeba):
    images = np.random.default_rng(0).integers(0, 256, (23, 64, 64, 3), dtype=np.uint8)
    np.testing.assert_allclose(encode_means(tiny_celeba, images, batch=5), encode_means(tiny_celeba, images, batch=100), atol=1e-6)


# ---- the real model ----------------------------------------------------------------------------
needs_real = pytest.mark.skipif(
    not (MODELS_DIR / NAME / DIRECTIONS_FILE).exists() or not (MODELS_DIR / NAME / "atlas.safetensors").exists(),
    reason=f"{NAME} or its directions not built yet (vae-explorer attributes models/{NAME})",
)


@pytest.fixture(scope="module")
def real():
    return load_directions(MODELS_DIR / NAME), load_atlas(MODELS_DIR / NAME).mean


@needs_real
def test_real_directions_file_is_complete(real):
    d, codes = real
    assert len(d.names) == 40 and d.directions.shape == (40, codes.shape[1])
    assert set(EDITED + ["Young", "Bald", "Mouth_Slightly_Open"]) <= set(d.names)
    assert np.isfinite(d.directions).all() and np.isfinite(d.classifier_weight).all()
    np.testing.assert_allclose(d.cosine, d.cosine.T, atol=1e-6)
    assert (d.balanced_accuracy[[d.index(a) for a in EDITED]] > 0.75).all()  # the classifiers are worth trusting


@needs_real
@pytest.mark.parametrize("attribute", EDITED)
def test_direction_raises_its_score_and_subtracting_lowers_it(real, attribute):
    d, codes = real
    before = d.score(codes, attribute)
    plus = d.score(d.apply(codes, {attribute: 1.0}), attribute)
    minus = d.score(d.apply(codes, {attribute: -1.0}), attribute)
    assert plus.mean() > before.mean() + 0.15 and minus.mean() < before.mean() - 0.15
    assert (plus > before).mean() > 0.95 and (minus < before).mean() > 0.95  # for nearly every face, not just on average


@needs_real
def test_bias_report_names_the_attributes_that_move_together(real):
    d, codes = real
    report = d.bias_report("Smiling")
    assert {"Mouth_Slightly_Open", "High_Cheekbones"} & {n for n, _ in report.by_cosine}
    assert {"Mouth_Slightly_Open", "High_Cheekbones"} & {n for n, _ in report.by_score}
    assert all(c > 0.5 for _, c in report.by_cosine[:2])
    assert "Smiling" not in [n for n, _ in report.by_cosine + report.by_score]
    live = d.bias_report("Smiling", codes=codes[:500])  # recomputed on given codes: same picture
    assert {"Mouth_Slightly_Open", "High_Cheekbones"} & {n for n, _ in live.by_score}
    male = d.bias_report("Male")
    assert any(n in ("Wearing_Lipstick", "Heavy_Makeup", "No_Beard") and c < 0 for n, c in male.by_cosine)
