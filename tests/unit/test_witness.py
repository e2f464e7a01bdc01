"""The witness benchmark's parts (vae.analysis.witness) on the real celeba-z64 model and real test faces:
the search makes progress in the witness's eyes, the judge knows a photo's reconstruction, a run is
reproduced by its seed; and the record the face pages pick their decoder by."""

import json
import shutil

import numpy as np
import pytest

from tests.conftest import MODELS_DIR
from vae.analysis.witness import (
    LINEUP,
    Lineups,
    Views,
    Witnesses,
    WitnessSettings,
    best_decoder,
    default_decoder,
    load_record,
    outcome_figures,
    save_record,
    typical_generations,
    wilson,
)
from vae.artifacts.density import load_density
from vae.artifacts.quality import FEATURE_NETS, load_feature_net
from vae.core.checkpoint import ADVERSARIAL_FILE, WEIGHTS_FILE, load_model
from vae.core.latent import decode, encode
from vae.data.datasets import load_celeba, load_celeba_index

NAME = "celeba-z64"


def test_wilson_interval_brackets_the_rate():
    low, high = wilson(30, 100)
    assert 0.21 < low < 0.3 < high < 0.4
    assert wilson(0, 50)[0] == 0.0 and wilson(50, 50)[1] == 1.0


def test_a_lineup_ranks_the_target_by_the_foils_nearer_the_composite():
    members = np.zeros((2, LINEUP, 3))
    members[:, :, 0] = 1  # every foil and the target point the same way...
    members[0, 0] = [0, 1, 0]  # ...but target 0 points elsewhere
    composites = np.array([[0, 1, 0], [1, 0, 0]], float)
    ranks = Lineups(members).ranks(composites)
    assert ranks[0] == 1  # its composite points at it
    assert ranks[1] == 1  # a tie with every foil is no foil nearer: rank 1


@pytest.fixture(scope="module")
def witnesses(celeba_root):
    if not (FEATURE_NETS / "celeba.safetensors").exists():
        pytest.skip("the CelebA feature network is not built")
    index = load_celeba_index(celeba_root)
    test, _, rows = load_celeba("test", celeba_root)
    net, _ = load_feature_net("celeba")
    views = Views.fit(net, index.attribute_names, test, test)  # the judge's eigenfaces from the test split: enough here
    male = index.attributes[rows, index.attribute_names.index("Male")]
    targets = np.arange(0, 2400, 200)  # 12 targets
    model = load_model(MODELS_DIR / NAME).eval()
    w = Witnesses(views, lambda z: decode(model, z), 64, load_density(MODELS_DIR / NAME).sample)
    return w, test[targets], Lineups.draw(views, test, male, targets), model


def test_the_search_gets_nearer_the_memory_and_the_judge_knows_a_reconstruction(witnesses):
    w, targets, lineups, model = witnesses
    settings = WitnessSettings(generations=5, memory_noise=0.3, look_noise=0.2)
    outcome = w.run(settings, targets, lineups, seed=1)
    assert set(outcome.ranks) == {0, 5}
    assert outcome.memory_distance[5] < 0.8 * outcome.memory_distance[0]  # the composite looks more like the memory
    ceiling = w.ceiling(targets, lambda x: decode(model, encode(model, x)[0]), lineups)
    assert (ceiling <= 1).mean() >= 0.9  # a photo's own reconstruction is picked out of its lineup
    again = w.run(settings, targets, lineups, seed=1)
    for g in outcome.ranks:
        np.testing.assert_array_equal(again.ranks[g], outcome.ranks[g])  # reproduced by its seed
    rejecting = w.run(WitnessSettings(generations=5, rejects_only=True, search="cma"), targets, lineups, seed=1)
    assert rejecting.memory_distance[5] < rejecting.memory_distance[0]
    figures = outcome_figures(outcome, ceiling)
    assert figures["targets"] == 12 and set(figures["generations"]) == {"0", "5"}


def _figures(rank1_at_10: float, ceiling: float = 1.0) -> dict:
    gens = {"0": {"rank1": 0.1, "rank3": 0.4}, "5": {"rank1": rank1_at_10 * 0.95, "rank3": 0.6}, "10": {"rank1": rank1_at_10, "rank3": 0.7}}
    return {"targets": 100, "generations": gens, "ceiling": {"rank1": ceiling, "rank3": 1.0}, "settings": {}}


def test_the_record_picks_the_decoder_that_identifies_best_and_is_refused_when_stale(tmp_path):
    folder = tmp_path / NAME
    folder.mkdir()
    for name in (WEIGHTS_FILE, "config.json", ADVERSARIAL_FILE):
        shutil.copy(MODELS_DIR / NAME / name, folder / name)
    assert load_record(folder) is None and default_decoder(folder, None) == "adversarial"  # not measured: the sharper one
    save_record(folder, {"plain": _figures(0.31), "adversarial": _figures(0.25)})
    record = load_record(folder)
    assert best_decoder(record) == "plain" and default_decoder(folder, record) == "plain"
    assert typical_generations(record, "plain") == 5  # 95 % of the best rate already at generation 5
    save_record(folder, {"plain": _figures(0.2), "adversarial": _figures(0.3)})
    assert default_decoder(folder, load_record(folder)) == "adversarial"
    data = json.loads((folder / "witness.json").read_text())
    (folder / ADVERSARIAL_FILE).write_bytes(b"another decoder")
    assert "adversarial" not in load_record(folder)["decoders"]  # measured on another adversarial decoder: dropped
    (folder / ADVERSARIAL_FILE).unlink()
    assert default_decoder(folder, load_record(folder)) == "plain"  # no second decoder
    data["weights_sha256"] = "0" * 64
    (folder / "witness.json").write_text(json.dumps(data))
    assert load_record(folder) is None  # measured on other weights
