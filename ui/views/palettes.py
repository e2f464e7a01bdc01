"""The Interpolation page's palettes and analogies (vae.analysis.analogy): corners picked among the test
images by their row in the atlas; the bilinear grid between them decoded (a J-diagram with 3 corners, a
palette with 4); "A is to B as C is to ?" answered with the decoded code D = C + (B − A) and the nearest
real test image to D. Each picture downloads as a PNG; every choice is in the URL."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.components import widgets
from ui.shell import state
from ui.shell.i18n import number, t
from ui.shell.resources import Ready, TestSet
from vae.analysis.analogy import PALETTE_SIZES, analogy, nearest_other, palette
from vae.analysis.explore_ops import as_hwc, display_scale
from vae.core.latent import decode
from vae.data.images import grid

CORNERS = ("tl", "tr", "bl", "br")  # top left, top right, bottom left, bottom right
FIRST_ROWS = {"tl": 0, "tr": 1, "bl": 2, "br": 3, "a": 4, "b": 5, "c": 6}  # the atlas rows picked first
GRID_MAX_PX = 720  # the palette's width at most


def _row(where: DeltaGenerator, key: str, label: str, n: int) -> int:
    """A test image chosen by its row in the atlas (0..n−1), bound to the URL."""
    param = state.bound(f"pal_{key}", min(FIRST_ROWS[key], n - 1), state.parse_int(0, n - 1))
    if st.session_state.get(f"pal_{key}", 0) >= n:  # kept from a model with a larger atlas
        st.session_state[f"pal_{key}"] = 0
    return int(where.number_input(label, 0, n - 1, **param))


def _named(sel: Ready, data: TestSet | None, row: int) -> str:
    """'#index (label)' of the test image at atlas row `row`."""
    index = int(sel.atlas.test_index[row])
    return f"#{index} ({widgets.label_of(data, index)})" if data is not None else f"#{index}"


def palette_section(sel: Ready, data: TestSet | None) -> None:
    """3 or 4 test images as corners and the decoded bilinear grid between their codes."""
    atlas, name = sel.atlas, sel.name
    n = len(atlas.mean)
    st.subheader(t("pal.palette"))
    st.caption(t("pal.palette_help"))
    state.from_query("pal_corners", "4", state.parse_choice(["3", "4"]))
    c1, c2 = st.columns(2)
    c1.segmented_control(t("pal.corners"), ["3", "4"], format_func=lambda k: t(f"pal.corners.{k}"), key="pal_corners", required=True)
    lo, hi = PALETTE_SIZES
    size = int(c2.slider(t("pal.size"), lo, hi, **state.bound("pal_size", 5, state.parse_int(lo, hi))))
    state.to_query("pal_corners")
    chosen = CORNERS[: int(st.session_state["pal_corners"])]
    columns = st.columns(4)
    rows = [_row(column, corner, t(f"pal.corner.{corner}", n=n - 1), n) for column, corner in zip(columns, chosen)]
    images = decode(sel.model, palette(atlas.mean[rows], size))
    side = images.shape[1]
    png = widgets.png_of(grid(images, size), display_scale(side, size, target=96, max_width=GRID_MAX_PX))
    corners = ", ".join(f"{t(f'pal.corner.{c}.short')} {_named(sel, data, r)}" for c, r in zip(chosen, rows))
    st.image(widgets.inline(png), caption=t(f"pal.palette_caption.{len(chosen)}", corners=corners, size=size))
    widgets.download(t("pal.download_palette"), lambda: png, f"{name}-palette-{size}x{size}.png", key="pal_png")


def analogy_section(sel: Ready, data: TestSet | None) -> None:
    """A is to B as C is to ?: the code C + (B − A) decoded, and the real test image nearest to it."""
    atlas, name = sel.atlas, sel.name
    n = len(atlas.mean)
    st.subheader(t("pal.analogy"))
    st.caption(t("pal.analogy_help"))
    columns = st.columns(3)
    a, b, c = (_row(column, key, t(f"pal.analogy.{key}", n=n - 1), n) for column, key in zip(columns, ("a", "b", "c")))
    answer = analogy(atlas.mean[a], atlas.mean[b], atlas.mean[c])
    near, distance = nearest_other(atlas.mean, answer, exclude=(a, b, c))
    pictures = decode(sel.model, np.stack([atlas.mean[a], atlas.mean[b], atlas.mean[c], answer]))
    real = data.images[int(atlas.test_index[near])] if data is not None else decode(sel.model, atlas.mean[near])[0]
    shown = np.stack([as_hwc(p) for p in pictures] + [as_hwc(real)])
    side = shown.shape[1]
    png = widgets.png_of(grid(shown, len(shown), pad=6), display_scale(side, len(shown), target=112, max_width=GRID_MAX_PX))
    st.image(
        widgets.inline(png),
        caption=t(
            "pal.analogy_caption",
            a=_named(sel, data, a),
            b=_named(sel, data, b),
            c=_named(sel, data, c),
            near=_named(sel, data, near),
            distance=number(distance, ".2f"),
        ),
    )
    widgets.download(t("pal.download_analogy"), lambda: png, f"{name}-analogy-{a}-{b}-{c}.png", key="pal_analogy_png")
