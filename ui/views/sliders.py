"""The latent sliders page's state: one slider per latent dimension, keyed by model and dimension,
moved together to a start point (prior mean, a prior sample, a test image) or seeded from a deep
link's `sl_z`. The page (pages/latent_sliders.py) lays the widgets out."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.components import widgets
from ui.shell import state
from ui.shell.i18n import number, t
from ui.shell.resources import Ready, TestSet
from vae.analysis.explore_ops import (
    SLIDER_LIMIT,
    TOP_SLIDERS,
    UnitUsage,
    display_scale,
    labelled_grid,
    parse_code,
    snap_code,
    traversal_values,
)
from vae.core.latent import decode, prior_samples, traversal_codes
from vae.data.images import gif_bytes, grid, png_bytes


def slider_key(name: str, d: int) -> str:
    return f"sl_z_{name}_{d}"


def dim_label(usage: UnitUsage, kl: np.ndarray, d: int) -> str:
    """The slider's label: dimension, its KL (nats) and, greyed out, "inactive" (vae.core.latent.active_mask)."""
    return t("sliders.dim_label" if usage.active[d] else "sliders.dim_inactive", d=d + 1, kl=kl[d])


def dim_help(usage: UnitUsage, d: int) -> str | None:
    """For an inactive dimension: why it is inactive, and how much it still moves the image."""
    if usage.active[d]:
        return None
    return t("sliders.dim_inactive_help", activity=usage.activity[d], pixels=int(usage.effect_pixels[d]))


def start_code(sel: Ready, origin: tuple) -> np.ndarray:
    """The code a start point stands for: ("mean",), ("random", seed) or ("test", atlas row)."""
    latent_dim = sel.model.config.latent_dim
    if origin[0] == "random":
        return prior_samples(latent_dim, 1, origin[1])[0]
    if origin[0] == "test" and 0 <= origin[1] < len(sel.atlas.mean):
        return np.asarray(sel.atlas.mean[origin[1]], np.float32)
    return np.zeros(latent_dim, np.float32)


def set_sliders(name: str, code: np.ndarray) -> None:
    for d, value in enumerate(snap_code(code)):
        st.session_state[slider_key(name, d)] = round(float(value), 2)


def apply_start(sel: Ready, kind: str) -> None:
    """on_click / on_change: move every slider to a start point (runs before the widgets are built)."""
    if kind == "randomise":
        st.session_state["sl_seed"] = int(np.random.default_rng().integers(0, 1_000_000))
        kind = "random"
    if kind == "reset":
        origin = st.session_state.get(f"sl_origin_{sel.name}", ("mean",))
    elif kind == "random":
        origin = ("random", int(st.session_state["sl_seed"]))
    elif kind == "test":
        origin = ("test", int(st.session_state["sl_index"]))
    else:
        origin = ("mean",)
    st.session_state[f"sl_origin_{sel.name}"] = origin
    set_sliders(sel.name, start_code(sel, origin))


def origin(name: str) -> tuple | None:
    return st.session_state.get(f"sl_origin_{name}")


def ensure_sliders(sel: Ready) -> None:
    """Give every slider a value: where this session left them, else a deep link's sl_z (once), else zeros."""
    latent_dim = sel.model.config.latent_dim
    if all(slider_key(sel.name, d) in st.session_state for d in range(latent_dim)):
        return
    code = st.session_state.get(f"sl_code_{sel.name}")
    if code is None:
        code = np.zeros(latent_dim, np.float32)
        if not st.session_state.get("_sl_z_from_url"):
            st.session_state["_sl_z_from_url"] = True
            raw = state.raw_param("sl_z")
            if raw is not None:
                try:
                    code = parse_code(raw, latent_dim)
                except ValueError:
                    st.toast(t("sidebar.bad_params", params="sl_z"), icon=":material/link_off:")
    set_sliders(sel.name, code)


def current_code(name: str, latent_dim: int) -> np.ndarray:
    """The sliders' code, remembered for this session (a return to the page finds it); (D,) float32."""
    code = np.array([st.session_state[slider_key(name, d)] for d in range(latent_dim)], np.float32)
    st.session_state[f"sl_code_{name}"] = code
    return code


def traversal(sel: Ready, code: np.ndarray, order: np.ndarray, kl: np.ndarray) -> None:
    """The traversal grid around `code`: the most informative dimensions (order), each swept over
    the sliders' range, with PNG and GIF downloads."""
    model, name, latent_dim = sel.model, sel.name, sel.model.config.latent_dim
    st.subheader(t("sliders.traversal"))
    st.caption(t("sliders.traversal_help"))
    max_rows = min(latent_dim, TOP_SLIDERS)
    rows_param = state.bound("sl_rows", min(8, max_rows), state.parse_int(1, max_rows))
    st.session_state["sl_rows"] = min(st.session_state["sl_rows"], max_rows)
    c1, c2 = st.columns(2)
    rows = c1.number_input(t("sliders.rows"), 1, max_rows, **rows_param)
    ncols = c2.slider(t("sliders.cols"), 3, 11, step=2, **state.bound("sl_cols", 7, state.parse_int(3, 11)))
    dims = [int(d) for d in order[:rows]]
    values = traversal_values(ncols)
    images = decode(model, traversal_codes(code, dims, values))
    side = images.shape[1]
    figure = labelled_grid(
        images,
        ncols,
        [t("sliders.dim_label_plain", d=d + 1, kl=kl[d]) for d in dims],
        [number(v, "+.1f") for v in values],
        scale=display_scale(side, ncols + 2),
    )
    figure_png = png_bytes(figure)
    st.image(widgets.inline(figure_png))
    widgets.download(t("sliders.download_png"), lambda: figure_png, f"{name}-traversal.png", key="sl_png")
    # the same traversal as an animation: every top dimension swept together, one frame per value
    widgets.download(
        t("sliders.download_gif"),
        lambda: gif_bytes(np.stack([grid(images[j::ncols], 1) for j in range(ncols)]), scale=display_scale(side, 4)),
        f"{name}-traversal.gif",
        key="sl_gif",
        icon=":material/animation:",
    )


def slider_columns(name: str, dims: np.ndarray, usage: UnitUsage, kl: np.ndarray) -> None:
    """One slider per dimension in `dims`, in two columns read top to bottom (left column first)."""
    cols = st.columns(2)
    half = (len(dims) + 1) // 2
    for i, d in enumerate(int(d) for d in dims):
        widgets.float_slider(
            cols[i // half],
            dim_label(usage, kl, d),
            -SLIDER_LIMIT,
            SLIDER_LIMIT,
            step=0.01,
            spec=".2f",
            key=slider_key(name, d),
            help=dim_help(usage, d),
        )


def origin_note(sel: Ready, data: TestSet | None) -> None:
    """Under the decoded image: which test image the sliders started from, and the original."""
    start = origin(sel.name)
    if not start or start[0] != "test":
        return
    index = int(sel.atlas.test_index[start[1]])
    who = t("sliders.who_digit" if data.labels is not None else "sliders.who_id", label=widgets.label_of(data, index)) if data else ""
    st.caption(t("sliders.from_test_note", index=index, who=who))
    if data is not None:
        st.image(widgets.inline(widgets.enlarge(data.images[index], 112)), caption=t("sliders.original"), width=112)


def start_controls(sel: Ready, seed_max: int) -> None:
    """The start points: prior mean, a prior sample (seed), a test image (index), randomise, reset."""
    n_test = len(sel.atlas.mean)
    seed_param = state.bound("sl_seed", 0, state.parse_int(0, seed_max))
    index_param = state.bound("sl_index", 0, state.parse_int(0, n_test - 1))
    if st.session_state["sl_index"] >= n_test:  # kept from a model with a larger atlas
        st.session_state["sl_index"] = 0
    # two by two on a phone (ui/app.py's PHONE_CSS)
    c1, c2, c3, c4 = st.container(key="sl_start_phonegrid").columns([1, 2, 2, 2], vertical_alignment="bottom")
    c1.button(
        t("sliders.from_mean"),
        key="sl_from_mean",
        help=t("sliders.from_mean_help"),
        on_click=apply_start,
        args=(sel, "mean"),
        width="stretch",
    )
    c2.number_input(t("sliders.seed"), 0, seed_max, on_change=apply_start, args=(sel, "random"), **seed_param)
    c2.button(t("sliders.from_random"), key="sl_from_random", on_click=apply_start, args=(sel, "random"), width="stretch")
    c3.number_input(t("sliders.test_index", n=n_test - 1), 0, n_test - 1, on_change=apply_start, args=(sel, "test"), **index_param)
    c3.button(t("sliders.from_test"), key="sl_from_test", on_click=apply_start, args=(sel, "test"), width="stretch")
    c4.button(
        t("sliders.randomise"), key="sl_randomise", icon=":material/casino:", on_click=apply_start, args=(sel, "randomise"), width="stretch"
    )
    c4.button(t("sliders.reset"), key="sl_reset", icon=":material/restart_alt:", on_click=apply_start, args=(sel, "reset"), width="stretch")
