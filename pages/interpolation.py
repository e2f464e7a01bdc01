"""Interpolation: walk between two latent codes (lerp or slerp), decode the path, and set it beside
a plain pixel cross-fade between the same two endpoints; then palettes (the grid between 3 or 4 test
images) and analogies (A is to B as C is to ?)."""

import streamlit as st

from ui.app import current, ensure_entry
from ui.components import live, widgets
from ui.shell import state
from ui.shell.i18n import t
from ui.shell.resources import test_set, test_set_error
from ui.views import interpolation as interp
from ui.views import palettes
from vae.analysis.explore_ops import as_hwc, crossfade, display_scale
from vae.core.latent import decode, lerp, path_at, slerp
from vae.data.images import grid, png_bytes

ensure_entry()

METHODS = {"lerp": lerp, "slerp": slerp}
STRIP_COLUMNS = 16  # the on-screen strip wraps after this many frames
THUMB = 140  # px: endpoint images


sel = current()
model, atlas, name = sel.model, sel.atlas, sel.name
latent_dim = model.config.latent_dim
dataset = model.config.dataset
data = test_set(dataset)

st.title(t("interp.title"))
widgets.intro(t("interp.intro"))
if data is None:
    st.info(t("common.no_data", error=test_set_error(dataset) or ""))


@st.fragment
def interpolation() -> None:
    """Endpoints, settings and results; an interaction reruns only this, not the page."""
    col_a, col_b = st.columns(2, gap="large")
    with col_a:
        a = interp.endpoint_controls(sel, data, "a", 0, 0)
    with col_b:
        b = interp.endpoint_controls(sel, data, "b", 1, 1)

    state.from_query("ip_method", "slerp", state.parse_choice(list(METHODS)))
    state.from_query("ip_fade", "decoded", state.parse_choice(["decoded", "original"]))
    c1, c2 = st.columns([3, 2])
    steps = c1.slider(t("interp.steps"), 2, 32, **state.bound("ip_steps", 10, state.parse_int(2, 32)))
    c2.segmented_control(t("interp.method"), list(METHODS), format_func=lambda m: t(f"interp.method.{m}"), key="ip_method", required=True)
    state.to_query("ip_a_src", "ip_b_src", "ip_method", "ip_fade")

    for endpoint, column in ((a, col_a), (b, col_b)):
        if endpoint.problem:
            column.warning(endpoint.problem)
    if a.code is None or b.code is None:
        return

    method = st.session_state["ip_method"]
    codes = METHODS[method](a.code, b.code, steps)  # (steps, D)
    frames = decode(model, codes)  # (steps, H, W, C)
    side = frames.shape[1]

    for endpoint, image, column in ((a, frames[0], col_a), (b, frames[-1], col_b)):
        with column:
            st.caption(endpoint.caption)
            left, right = st.columns(2)
            left.image(widgets.inline(widgets.enlarge(image, THUMB)), caption=t("interp.decoded"), width=THUMB)
            if endpoint.original is not None:
                right.image(widgets.inline(widgets.enlarge(endpoint.original, THUMB)), caption=t("interp.original"), width=THUMB)

    method_name = t(f"interp.method.{method}")
    st.subheader(t("interp.strip", method=method_name, n=steps))
    ncols = min(steps, STRIP_COLUMNS)
    strip_scale = display_scale(side, ncols)
    st.image(widgets.inline(widgets.png_of(grid(frames, ncols), strip_scale)), caption=t("interp.strip_caption", method=method_name))

    originals_usable = a.original is not None and b.original is not None  # both test images, data present
    if originals_usable:
        st.segmented_control(
            t("interp.fade_from"), ["decoded", "original"], format_func=lambda s: t(f"interp.fade.{s}"), key="ip_fade", required=True
        )
    state.to_query("ip_fade")
    fade_source = st.session_state["ip_fade"] if originals_usable else "decoded"
    ends = (a.original, b.original) if fade_source == "original" else (frames[0], frames[-1])
    fade = crossfade(as_hwc(ends[0]), as_hwc(ends[1]), steps)
    st.image(
        widgets.inline(widgets.png_of(grid(fade, ncols), strip_scale)),
        caption=t("interp.fade_strip", source=t(f"interp.fade.{fade_source}")),
    )
    st.caption(t("interp.contrast"))

    gif_scale = display_scale(side, 1, target=192)
    # The animations travel at the model's resolution (28 or 64 px: 10-50x fewer bytes per rerun) and the
    # browser enlarges them with crisp pixels (APP_CSS: image-rendering: pixelated in .st-key-ip_animations)
    left, right = st.container(key="ip_animations").columns(2, gap="large")
    left.image(widgets.inline(widgets.gif_of(frames, 1)), caption=t("interp.latent_animation", method=method_name), width=side * gif_scale)
    right.image(widgets.inline(widgets.gif_of(fade, 1)), caption=t("interp.pixel_animation"), width=side * gif_scale)

    with st.container(key="ip_scrub_phonefirst"):  # on a phone (PHONE_CSS): the scrubber and its picture come first
        st.subheader(t("interp.scrub"))
        scrub(a.code, b.code, method)

    interp.norms_chart(a.code, b.code, steps, METHODS)

    d1, d2, _ = st.columns(3)
    widgets.download(
        t("interp.download_gif"), lambda: widgets.gif_of(frames, gif_scale), f"{name}-{method}-{steps}.gif", key="ip_gif", where=d1
    )
    widgets.download(
        t("interp.download_png"),
        lambda: png_bytes(grid(frames, steps), display_scale(side, 1)),
        f"{name}-{method}-{steps}.png",
        key="ip_png",
        where=d2,
    )


@st.fragment
def scrub(a_code, b_code, method: str) -> None:
    """The scrub slider and its picture: releasing the slider reruns only this (the strips, the GIFs
    and the chart above stay as they are); while dragging, the picture follows in the browser."""
    scrub_col, picture_col = st.columns([3, 2], vertical_alignment="center")
    where = widgets.float_slider(
        scrub_col,
        t("interp.scrub_t"),
        0.0,
        1.0,
        step=0.01,
        spec=".2f",
        help=t("interp.scrub_help"),
        **state.bound("ip_t", 0.5, state.parse_float(0.0, 1.0)),
    )
    with picture_col.container(key="ip_scrubbed"):
        st.image(
            widgets.inline(widgets.enlarge(decode(model, path_at(a_code, b_code, [where], method))[0], 168)),
            caption=t("interp.scrub_caption", t=where),
            width=168,
        )
    live.live_sliders(sel, a_code, [], "ip_scrubbed", path=("ip_t", a_code, b_code, method))  # the picture follows the drag


@st.fragment
def palettes_and_analogies() -> None:
    """Latent arithmetic between test images (ui/views/palettes.py); a change reruns only this."""
    st.divider()
    palettes.palette_section(sel, data)
    palettes.analogy_section(sel, data)


interpolation()
palettes_and_analogies()
