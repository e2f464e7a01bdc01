"""Latent sliders: one slider per latent dimension, most informative first; the decoder follows live."""

from ui.app import ensure_entry

ensure_entry()

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402

from ui import state, widgets  # noqa: E402
from ui.app import current  # noqa: E402
from ui.i18n import t  # noqa: E402
from ui.resources import test_set, test_set_error, zoo  # noqa: E402
from vae.explore_ops import (  # noqa: E402
    SLIDER_LIMIT,
    dims_by_kl,
    display_scale,
    format_code,
    kl_per_dim,
    labelled_grid,
    parse_code,
    snap_code,
    traversal_values,
)
from vae.images import gif_bytes, grid, png_bytes  # noqa: E402
from vae.latent import decode, prior_samples, traversal_codes  # noqa: E402

TOP = 16  # sliders shown before the "other dimensions" expander
SEED_MAX = 2**31 - 1

sel = current()
model, atlas, name = sel.model, sel.atlas, sel.name
latent_dim = model.config.latent_dim
dataset = model.config.dataset
data = test_set(dataset)
entry = next((e for e in zoo() if e.name == name), None)
kl = kl_per_dim(entry.card if entry else {}, atlas.mean, atlas.logvar)  # (D,) nats
order = dims_by_kl(kl)
usage = widgets.dimension_usage(name)  # active = Var_x(μ_d) > 0.01, the card's definition
n_test = len(atlas.mean)


def who(index: int) -> str:
    """What a caption adds after "#index": the digit (MNIST), the file name (CelebA), nothing without the data."""
    if data is None:
        return ""
    key = "sliders.who_digit" if data.labels is not None else "sliders.who_id"
    return t(key, label=widgets.label_of(data, index))


def slider_key(d: int) -> str:
    return f"sl_z_{name}_{d}"


def dim_label(d: int) -> str:
    if not usage.active[d]:
        return t("sliders.dim_inactive", d=d + 1, kl=kl[d])
    return t("sliders.dim_label", d=d + 1, kl=kl[d])


def dim_help(d: int) -> str | None:
    if usage.active[d]:
        return None
    return t("sliders.dim_inactive_help", activity=usage.activity[d], pixels=int(usage.effect_pixels[d]))


def start_code(origin: tuple) -> np.ndarray:
    """The code a start point stands for: ("mean",), ("random", seed) or ("test", atlas row)."""
    if origin[0] == "random":
        return prior_samples(latent_dim, 1, origin[1])[0]
    if origin[0] == "test" and 0 <= origin[1] < n_test:
        return np.asarray(atlas.mean[origin[1]], np.float32)
    return np.zeros(latent_dim, np.float32)


def set_sliders(code: np.ndarray) -> None:
    for d, value in enumerate(snap_code(code)):
        st.session_state[slider_key(d)] = round(float(value), 2)


def apply_start(kind: str) -> None:
    """on_click / on_change: move every slider to a start point (runs before the widgets are built)."""
    if kind == "randomise":
        st.session_state["sl_seed"] = int(np.random.default_rng().integers(0, 1_000_000))
        kind = "random"
    if kind == "reset":
        origin = st.session_state.get(f"sl_origin_{name}", ("mean",))
    elif kind == "random":
        origin = ("random", int(st.session_state["sl_seed"]))
    elif kind == "test":
        origin = ("test", int(st.session_state["sl_index"]))
    else:
        origin = ("mean",)
    st.session_state[f"sl_origin_{name}"] = origin
    set_sliders(start_code(origin))


def initial_code() -> np.ndarray:
    """Where the sliders start: where this session left them, else a deep link's sl_z (once), else zeros."""
    kept = st.session_state.get(f"sl_code_{name}")
    if kept is not None:
        return kept
    if not st.session_state.get("_sl_z_from_url"):
        st.session_state["_sl_z_from_url"] = True
        raw = st.query_params.get("sl_z")
        if raw is not None:
            try:
                return parse_code(raw, latent_dim)
            except ValueError:
                st.toast(t("sidebar.bad_params", params="sl_z"), icon=":material/link_off:")
    return np.zeros(latent_dim, np.float32)


st.title(t("sliders.title"))
st.caption(t("sliders.intro", n=latent_dim))
if data is None:
    st.info(t("common.no_data", error=test_set_error(dataset) or ""))


@st.fragment
def explorer() -> None:
    """Start controls, sliders, image and traversal: a click or slider move reruns only this, not the page."""
    state.from_query("sl_seed", 0, state.parse_int(0, SEED_MAX))
    state.from_query("sl_index", 0, state.parse_int(0, n_test - 1))
    if st.session_state["sl_index"] >= n_test:  # kept from a model with a larger atlas
        st.session_state["sl_index"] = 0
    if any(slider_key(d) not in st.session_state for d in range(latent_dim)):
        set_sliders(initial_code())

    c1, c2, c3, c4 = st.columns([1, 2, 2, 2], vertical_alignment="bottom")
    c1.button(
        t("sliders.from_mean"), key="sl_from_mean", on_click=apply_start, args=("mean",), help=t("sliders.from_mean_help"), width="stretch"
    )
    c2.number_input(t("sliders.seed"), 0, SEED_MAX, key="sl_seed", on_change=apply_start, args=("random",))
    c2.button(t("sliders.from_random"), key="sl_from_random", on_click=apply_start, args=("random",), width="stretch")
    c3.number_input(t("sliders.test_index", n=n_test - 1), 0, n_test - 1, key="sl_index", on_change=apply_start, args=("test",))
    c3.button(t("sliders.from_test"), key="sl_from_test", on_click=apply_start, args=("test",), width="stretch")
    c4.button(
        t("sliders.randomise"), key="sl_randomise", on_click=apply_start, args=("randomise",), icon=":material/casino:", width="stretch"
    )
    c4.button(t("sliders.reset"), key="sl_reset", on_click=apply_start, args=("reset",), icon=":material/restart_alt:", width="stretch")
    state.to_query("sl_seed", "sl_index")

    left, right = st.columns([3, 2], gap="medium")
    with left:
        _sliders(order[:TOP])
        if latent_dim > TOP:
            with st.expander(t("sliders.more", n=latent_dim - TOP)):
                _sliders(order[TOP:])
    code = np.array([st.session_state[slider_key(d)] for d in range(latent_dim)], np.float32)
    st.session_state[f"sl_code_{name}"] = code
    state.to_query(sl_z=format_code(code))
    with right:
        image = decode(model, code)[0]
        st.image(widgets.inline(widgets.enlarge(image)), caption=t("sliders.decoded"), width=widgets.BIG)
        _origin_note()
    _traversal(code)


def _sliders(dims: np.ndarray) -> None:
    cols = st.columns(2)
    half = (len(dims) + 1) // 2  # column-major: read down the left column, then the right one
    for i, d in enumerate(dims):
        d = int(d)
        cols[i // half].slider(dim_label(d), -SLIDER_LIMIT, SLIDER_LIMIT, step=0.01, key=slider_key(d), format="%.2f", help=dim_help(d))


def _origin_note() -> None:
    origin = st.session_state.get(f"sl_origin_{name}")
    if not origin or origin[0] != "test":
        return
    row = origin[1]
    index = int(atlas.test_index[row])
    st.caption(t("sliders.from_test_note", index=index, who=who(index)))
    if data is not None:
        st.image(widgets.inline(widgets.enlarge(data.images[index], 112)), caption=t("sliders.original"), width=112)


def _traversal(code: np.ndarray) -> None:
    st.subheader(t("sliders.traversal"))
    st.caption(t("sliders.traversal_help"))
    max_rows = min(latent_dim, TOP)
    state.from_query("sl_rows", min(8, max_rows), state.parse_int(1, TOP))
    state.from_query("sl_cols", 7, state.parse_int(3, 11))
    st.session_state["sl_rows"] = min(st.session_state["sl_rows"], max_rows)
    c1, c2 = st.columns(2)
    rows = c1.number_input(t("sliders.rows"), 1, max_rows, key="sl_rows")
    ncols = c2.slider(t("sliders.cols"), 3, 11, step=2, key="sl_cols")
    state.to_query("sl_rows", "sl_cols")
    dims = [int(d) for d in order[:rows]]
    values = traversal_values(ncols)
    images = decode(model, traversal_codes(code, dims, values))
    side = images.shape[1]
    figure = labelled_grid(
        images,
        ncols,
        [t("sliders.dim_label_plain", d=d + 1, kl=kl[d]) for d in dims],
        [f"{v:+.1f}" for v in values],
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


explorer()
