"""AppTest: the KL-vs-reconstruction page on the real shipped models — the per-image scatter, the
rate–distortion plane of the zoo (a click selects the model), training curves, KL per dimension;
a broken model folder and a missing data directory."""

import dataclasses
import json
import shutil

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.apptest_media import arr, chart, launch, open_page, zoo_with_a_broken_folder
from tests.conftest import MODELS_DIR, needs
from ui.components.zoo_figures import pick_model
from ui.shell.resources import zoo_at
from vae.analysis.compare import rate_distortion
from vae.artifacts.atlas import load_atlas
from vae.core.checkpoint import load_card


def app(**state) -> AppTest:
    return launch("kl_vs_recon.py", **state)


def rd_points(spec: dict) -> dict[str, tuple[float, float]]:
    """{model name: (KL, recon)} of every clickable model point of the rate–distortion chart."""
    points = {}
    for trace in spec["data"]:
        if trace.get("customdata") is None:
            continue
        for data, x, y in zip(trace["customdata"], arr(trace["x"]), arr(trace["y"])):
            assert data[0] not in points, f"{data[0]} drawn twice"
            points[data[0]] = (float(x), float(y))
    return points


def click_model(at: AppTest, name: str) -> None:
    """What the browser sends when a point of the rate–distortion chart is clicked."""
    chart_id = next(c.proto.id for c in at.get("plotly_chart") if c.proto.id.endswith("kr_rd_chart"))
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = chart_id
    point = {"customdata": [name, 0, "1", 0.0], "x": 0.0, "y": 0.0, "curve_number": 0, "point_number": 0, "point_index": 0}
    state.string_value = json.dumps({"selection": {"points": [point], "point_indices": [0], "box": [], "lasso": []}})
    at._run(states)
    assert not at.exception, at.exception


def expected_points(models_dir, dataset: str) -> dict[str, tuple[float, float]]:
    return {p.name: (p.rate_nats, p.distortion_nats) for p in rate_distortion(zoo_at(str(models_dir)), dataset)}


@needs("mnist-z16")
def test_mnist_page_scatter_rate_distortion_curves_and_dimensions(real_root):
    at = app(dataset="mnist", model="mnist-z16")
    atlas, card = load_atlas(MODELS_DIR / "mnist-z16"), load_card(MODELS_DIR / "mnist-z16")
    # every test image once, one trace per digit, at its (KL, recon) from the atlas
    samples = [tr for tr in chart(at, "kr_samples_chart")["data"] if tr["type"] == "scattergl"]
    assert [tr["name"] for tr in samples] == [str(d) for d in range(10)]
    rows = np.concatenate([arr(tr["customdata"]) for tr in samples])
    assert sorted(rows.tolist()) == sorted(atlas.test_index.tolist())
    by_row = dict(zip(atlas.test_index.tolist(), zip(atlas.kl_nats.tolist(), atlas.recon_nats.tolist())))
    kl, recon = np.concatenate([arr(tr["x"]) for tr in samples]), np.concatenate([arr(tr["y"]) for tr in samples])
    assert np.allclose(np.array([by_row[r] for r in rows.tolist()]), np.stack([kl, recon], 1))
    assert at.metric[0].value == f"{atlas.recon_nats.mean():.1f} nats"
    assert at.metric[3].value == f"{card.active_units} / 16"
    # the zoo: one point per available MNIST model at its card's (KL, recon)
    rd = chart(at, "kr_rd_chart")
    assert rd_points(rd) == expected_points(MODELS_DIR, "mnist")
    assert rd_points(rd)["mnist-z16"] == (card.test.kl_nats, card.test.recon_nats)
    ring = next(tr for tr in rd["data"] if tr["name"] == "current model")
    assert arr(ring["x"]).tolist() == [card.test.kl_nats]
    # training curves: test reconstruction and KL per epoch, from the card's history
    history = chart(at, "kr_history_chart")["data"]
    test_traces = [tr for tr in history if tr["name"] == "test"]
    assert arr(test_traces[0]["y"]).tolist() == [h.test_recon_nats for h in card.history]
    assert arr(test_traces[1]["y"]).tolist() == [h.test_kl_nats for h in card.history]
    # KL per dimension, sorted by default, in dimension order when the toggle is off (and in the URL)
    bars = chart(at, "kr_dims_chart")
    values = np.concatenate([arr(tr["y"]) for tr in bars["data"]])
    assert values.tolist() == sorted(card.kl_per_dim_nats, reverse=True)
    at.toggle(key="kr_sorted").set_value(False).run()
    assert not at.exception
    bars = chart(at, "kr_dims_chart")
    order = bars["layout"]["xaxis"]["categoryarray"]
    assert order == [f"z{d + 1}" for d in range(16)]  # z1 … z16, as everywhere in the UI
    heights = {x: y for tr in bars["data"] for x, y in zip(tr["x"], arr(tr["y"]).tolist())}
    assert [heights[x] for x in order] == card.kl_per_dim_nats
    for link in ("false", "0"):  # a link reopens it, as do links made before the binding (0/1)
        assert open_page("kl_vs_recon.py", "mnist-z16", query={"kr_sorted": link}).toggle(key="kr_sorted").value is False


@needs("mnist-z16", "mnist-z2")
def test_clicking_a_model_on_the_rate_distortion_plane_selects_it():
    at = app(dataset="mnist", model="mnist-z16")
    click_model(at, "mnist-z2")
    assert at.sidebar.selectbox(key="model").value == "mnist-z2"
    atlas = load_atlas(MODELS_DIR / "mnist-z2")
    assert at.metric[0].value == f"{atlas.recon_nats.mean():.1f} nats"  # after the click the page shows mnist-z2
    card = load_card(MODELS_DIR / "mnist-z2")
    ring = next(tr for tr in chart(at, "kr_rd_chart")["data"] if tr["name"] == "current model")
    assert arr(ring["x"]).tolist() == [card.test.kl_nats]
    click_model(at, "no-such-model")  # a stale or foreign point changes nothing
    assert at.sidebar.selectbox(key="model").value == "mnist-z2"


@needs("mnist-z16")
def test_click_selects_a_model_in_a_copied_zoo(tmp_path, monkeypatch, fresh_caches):
    """The same click, without waiting for a second trained model: two copies of mnist-z16, one
    with a card moved elsewhere on the plane."""
    shutil.copytree(MODELS_DIR / "mnist-z16", tmp_path / "mnist-z16")
    shutil.copytree(MODELS_DIR / "mnist-z16", tmp_path / "mnist-z16-moved")
    card = load_card(tmp_path / "mnist-z16-moved")
    moved = dataclasses.replace(card.test, kl_nats=30.0, recon_nats=65.0, neg_elbo_nats=95.0)
    dataclasses.replace(card, test=moved).save(tmp_path / "mnist-z16-moved" / "card.json")
    monkeypatch.setenv("VAE_MODELS_DIR", str(tmp_path))
    at = app(dataset="mnist", model="mnist-z16")
    assert rd_points(chart(at, "kr_rd_chart"))["mnist-z16-moved"] == (30.0, 65.0)
    click_model(at, "mnist-z16-moved")
    assert at.sidebar.selectbox(key="model").value == "mnist-z16-moved"
    ring = next(tr for tr in chart(at, "kr_rd_chart")["data"] if tr["name"] == "current model")
    assert arr(ring["x"]).tolist() == [30.0] and arr(ring["y"]).tolist() == [65.0]
    assert at.query_params["model"] == "mnist-z16-moved"


def test_pick_model_callback_reads_the_selection():
    state = {"rd": {"selection": {"points": [{"customdata": ["b", 2, "1", 90.0]}]}}, "model": "a"}
    pick_model("rd", ["a", "b"], state)
    assert state["model"] == "b"
    state["rd"] = {"selection": {"points": [{"customdata": ["c", 2, "1", 90.0]}]}}
    pick_model("rd", ["a", "b"], state)
    assert state["model"] == "b"
    state["rd"] = {"selection": {"points": []}}
    pick_model("rd", ["a", "b"], state)
    assert state["model"] == "b"


@needs("mnist-z16")
def test_page_works_beside_a_broken_model_folder(tmp_path, monkeypatch, fresh_caches):
    copies = zoo_with_a_broken_folder(tmp_path, ("mnist-z16", "mnist-z2"))
    monkeypatch.setenv("VAE_MODELS_DIR", str(tmp_path))
    at = app(dataset="mnist", model="mnist-z16")
    assert set(rd_points(chart(at, "kr_rd_chart"))) == set(copies)
    assert rd_points(chart(at, "kr_rd_chart")) == expected_points(tmp_path, "mnist")
    assert "mnist-broken" not in at.sidebar.selectbox(key="model").options
    assert any("mnist-broken" in c.value and "colour" in c.value for c in at.sidebar.caption)


@needs("mnist-z16")
def test_page_without_the_data_directory_is_uncoloured_with_a_note(tmp_path, monkeypatch, fresh_caches):
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path / "nodata"))
    at = app(dataset="mnist", model="mnist-z16", lang="fr")
    assert at.title[0].value == "KL et reconstruction"
    assert any("VAE_DATA_DIR" in i.value for i in at.info)
    samples = [tr for tr in chart(at, "kr_samples_chart")["data"] if tr["type"] == "scattergl"]
    assert len(samples) == 1 and len(arr(samples[0]["x"])) == len(load_atlas(MODELS_DIR / "mnist-z16").kl_nats)
    assert not any(s.key == "kr_colour" for s in at.selectbox)


@needs("celeba-z64")
def test_celeba_page_colours_by_an_attribute(celeba_root):
    at = app(dataset="celeba", model="celeba-z64")
    assert rd_points(chart(at, "kr_rd_chart")) == expected_points(MODELS_DIR, "celeba")
    at.selectbox(key="kr_colour").set_value("attr:Smiling").run()
    assert not at.exception
    samples = [tr for tr in chart(at, "kr_samples_chart")["data"] if tr["type"] == "scattergl"]
    assert [tr["name"] for tr in samples] == ["lacks attribute", "has attribute"]
    assert sum(len(arr(tr["x"])) for tr in samples) == len(load_atlas(MODELS_DIR / "celeba-z64").kl_nats)
