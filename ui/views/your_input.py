"""The Your own input page's panels: where the encoded input lands on a map (t-SNE placement, refined
on request), its nearest test codes, and its exports. The page (pages/your_input.py) lays them out;
the input widgets themselves are in ui/components/input_widgets.py."""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from ui.components import input_widgets, widgets
from ui.shell import i18n, state
from ui.shell.i18n import t
from ui.shell.resources import Ready, TestSet
from vae.analysis.placement import TSNE_NEIGHBOURS, UserCode, code_json, place
from vae.core.latent import decode, nearest_codes
from vae.data.images import png_bytes


def number(nats: float) -> str:
    """One decimal for MNIST-sized scores; whole nats for CelebA's tens of thousands."""
    return i18n.number(nats, ".1f" if abs(nats) < 1000 else ".0f")


def nats(value: float) -> str:
    return t("yi.nats", v=number(value))


def placement_map(sel: Ready, code: np.ndarray, code_id: str, maps: list[str]) -> None:
    """The test set on a map with the user's point as a star; a projection change reruns only this
    (called as a fragment)."""
    name, dataset = sel.name, sel.model.config.dataset
    st.segmented_control(t("yi.projection"), maps, format_func=lambda p: t(f"map.proj.{p}"), key="yi_proj", required=True)
    state.to_query("yi_proj")
    projection = st.session_state["yi_proj"]
    refined = st.session_state.get("yi_refined")
    refined_ok = refined is not None and refined["model"] == name and refined["code"] == code_id
    if projection == "tsne" and not refined_ok:
        slot = st.empty()
        if slot.button(t("yi.refine"), key="yi_refine", help=t("yi.refine_help"), icon=":material/auto_fix_high:"):
            with st.spinner(t("yi.refining")):
                xy = input_widgets.refined_tsne_position(name, code)
            st.session_state["yi_refined"] = {"model": name, "code": code_id, "xy": [float(v) for v in xy]}
            refined_ok = True
            slot.empty()  # done: no button for this code any more
    if projection == "tsne" and refined_ok:
        xy, method = np.asarray(st.session_state["yi_refined"]["xy"]), "tsne_refined"
    elif projection == "tsne":
        xy, method = place(sel.atlas, code, "tsne", input_widgets.tsne_map(name)), "tsne"
    else:
        xy, method = place(sel.atlas, code, projection), projection
    labels = (t(f"map.axis.{projection}"), t("yi.map.test_points"), t(f"yi.map.you.{dataset}"))
    fig = input_widgets.map_with_point(name, projection, xy, labels)
    st.plotly_chart(widgets.presented(fig), key=f"yi_map_{name}_{projection}", width="stretch")
    st.caption(t(f"yi.placed.{method}", x=float(xy[0]), y=float(xy[1]), k=TSNE_NEIGHBOURS))


def neighbours(sel: Ready, data: TestSet | None, code: np.ndarray) -> None:
    """The 8 test images whose codes are nearest, with their latent distances."""
    atlas = sel.atlas
    idx, dist = nearest_codes(atlas.mean, code, 8)
    st.caption(t("yi.neighbours"))
    images = [data.images[atlas.test_index[i]] for i in idx] if data is not None else list(decode(sel.model, atlas.mean[idx]))
    widgets.image_row(images, [f"{widgets.label_of(data, atlas.test_index[i])} · {i18n.number(d, '.2f')}" for i, d in zip(idx, dist)])


def downloads(name: str, image: np.ndarray, user: UserCode, pct: float) -> None:
    """The prepared input and its reconstruction as PNG (native size), the code as JSON."""
    d = st.columns(3)
    widgets.download(t("yi.download.input"), functools.partial(png_bytes, image), f"{name}-input.png", key="yi_dl_input", where=d[0])
    recon = functools.partial(png_bytes, user.reconstruction)
    widgets.download(t("yi.download.recon"), recon, f"{name}-reconstruction.png", key="yi_dl_recon", where=d[1])
    code = functools.partial(code_json, name, user, pct)
    widgets.download(t("yi.download.code"), code, f"{name}-code.json", key="yi_dl_code", where=d[2])
