"""The interpolation page's endpoints: a test image, a prior sample or the last code left by the
latent map or Your own input (ui.shell.handoff), and the ‖z‖-along-the-path chart. The page
(pages/interpolation.py) lays out the strips and animations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from ui.components import widgets
from ui.shell import handoff, state
from ui.shell.i18n import t
from ui.shell.resources import Ready, TestSet
from vae.core.latent import prior_samples

SEED_MAX = 2**31 - 1
SOURCES = ["test", "random", "map"]


@dataclass
class Endpoint:
    code: np.ndarray | None  # (D,) or None when it cannot be resolved
    original: np.ndarray | None  # the test image itself (H, W[, C]) when the data is present
    caption: str
    problem: str | None = None  # why there is no code


def who(data: TestSet | None, index: int) -> str:
    """What a caption adds after "#index": the digit (MNIST), the file name (CelebA), nothing without the data."""
    if data is None:
        return ""
    key = "interp.who_digit" if data.labels is not None else "interp.who_id"
    return t(key, label=widgets.label_of(data, index))


def endpoint_controls(sel: Ready, data: TestSet | None, side: str, default_index: int, default_seed: int) -> Endpoint:
    """The widgets for endpoint `side` ('a' or 'b') and the code they pick."""
    atlas, name, latent_dim = sel.atlas, sel.name, sel.model.config.latent_dim
    n_test = len(atlas.mean)
    src, index_key, seed_key = f"ip_{side}_src", f"ip_{side}_index", f"ip_{side}_seed"
    state.from_query(src, "test", state.parse_choice(SOURCES))
    index_param = state.bound(index_key, min(default_index, n_test - 1), state.parse_int(0, n_test - 1))
    seed_param = state.bound(seed_key, default_seed, state.parse_int(0, SEED_MAX))
    if st.session_state[index_key] >= n_test:  # kept from a model with a larger atlas
        st.session_state[index_key] = 0
    st.segmented_control(t(f"interp.endpoint_{side}"), SOURCES, format_func=lambda s: t(f"interp.src.{s}"), key=src, required=True)
    source = st.session_state[src]
    if source == "test":
        row = st.number_input(t("interp.test_index", n=n_test - 1), 0, n_test - 1, **index_param)
        index = int(atlas.test_index[row])
        original = data.images[index] if data is not None else None
        caption = t("interp.caption_test", index=index, who=who(data, index))
        return Endpoint(np.asarray(atlas.mean[row], np.float32), original, caption)
    if source == "random":
        seed = st.number_input(t("interp.seed"), 0, SEED_MAX, **seed_param)
        return Endpoint(prior_samples(latent_dim, 1, seed)[0], None, t("interp.caption_random", seed=seed))
    last = handoff.last_code()
    if last is None:
        return Endpoint(None, None, "", t("interp.map_none"))
    if last.model != name:
        return Endpoint(None, None, "", t("interp.map_other_model", other=last.model, model=name))
    code = last.array()
    if code.shape != (latent_dim,):
        return Endpoint(None, None, "", t("interp.map_none"))
    if last.source == "your_input":
        return Endpoint(code, None, t("interp.caption_your_input"))
    if last.index is None:
        return Endpoint(code, None, t("interp.caption_map"))
    test_index = int(atlas.test_index[last.index])
    original = data.images[test_index] if data is not None else None
    return Endpoint(code, original, t("interp.caption_map_point", index=test_index, who=who(data, test_index)))


def norms_chart(a: np.ndarray, b: np.ndarray, steps: int, methods: dict) -> None:
    """‖z‖ along each path against the typical norm √D of a prior sample (why slerp exists)."""
    latent_dim = len(a)
    with st.expander(t("interp.norms")):
        st.caption(t("interp.norms_help", d=latent_dim, typical=np.sqrt(latent_dim)))
        t_axis = np.linspace(0.0, 1.0, steps)
        curves = {t(f"interp.method.{m}"): np.linalg.norm(fn(a, b, steps), axis=1) for m, fn in methods.items()}
        curves[t("interp.typical_norm")] = np.full(steps, np.sqrt(latent_dim))
        long = pd.DataFrame(
            [(float(x), name, float(y)) for name, ys in curves.items() for x, y in zip(t_axis, ys)], columns=["t", "path", "norm"]
        )
        # a Vega-Lite spec as a dict: the same line chart st.line_chart draws, without building and
        # validating an Altair chart on every rerun (a fifth of an interpolation rerun's time)
        spec = {
            "mark": {"type": "line", "point": steps <= 16},
            "encoding": {
                "x": {"field": "t", "type": "quantitative", "title": "t"},
                "y": {"field": "norm", "type": "quantitative", "title": "‖z‖", "scale": {"zero": False}},
                "color": {"field": "path", "type": "nominal", "title": None, "legend": {"orient": "bottom"}},
                "tooltip": [{"field": "path"}, {"field": "t", "format": ".2f"}, {"field": "norm", "format": ".2f"}],
            },
        }
        st.vega_lite_chart(long, spec, width="stretch")
