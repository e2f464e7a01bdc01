"""Step 3, latent space and latent vector: the code μ(x) of one test image, written out and decoded,
and ringed on the map of the whole encoded test set (raw for a 2-D latent space, else PCA)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui.components import widgets
from ui.lesson.common import Lesson, current_index, halves, index_input, map_of, map_with, no_data_note, part, posterior_of, who
from ui.shell.i18n import latex_numbers, numbers_listed, t
from vae.core.latent import decode

TITLE = "lesson.step.3"
PARTS = 2  # the image's vector, then its place on the map
RING = dict(size=18, color="rgba(0,0,0,0)", line=dict(width=3, color="black"), symbol="circle")


@st.fragment
def render(lesson: Lesson, z2: Lesson | None) -> None:
    raw = lesson.latent_dim == 2
    if part(1):  # an image becomes a vector
        st.markdown(t("lesson.s3.intro_raw" if raw else "lesson.s3.intro_pca", d=lesson.latent_dim))
        presenting = widgets.presenting()  # on a projector the picture is larger, the input beside it
        side = 264 if presenting else 200
        left, right = st.columns([1, 2] if presenting else [2, 3], gap="large")
        row = index_input(lesson, right if presenting else left)
        mu = posterior_of(lesson, row).mean[0].numpy()
        decoded = widgets.inline(widgets.enlarge(decode(lesson.model, mu)[0], side))
        left.image(decoded, width=side, caption=t("lesson.s3.decoded", who=who(lesson, row)))
        with right:
            st.markdown(t("lesson.s3.vector", d=lesson.latent_dim))
            if lesson.latent_dim <= 8:
                st.latex(r"\mathbf{z} = \mu(x) = (" + latex_numbers(mu, ".3f") + ")")
            else:
                st.code("z = μ(x) = [" + numbers_listed(mu, ".3f") + "]", language=None, wrap_lines=True)
    if part(2):  # the vector is a point of the latent space
        row = current_index("ls_index", len(lesson.atlas.mean))
        mu = posterior_of(lesson, row).mean[0].numpy()
        xy = mu if raw else lesson.atlas.pca.transform(mu[None].astype(np.float64))[0]
        marker = go.Scattergl(x=[xy[0]], y=[xy[1]], mode="markers", name=t("lesson.s3.highlight"), marker=RING)
        figure, text = halves()
        figure.plotly_chart(widgets.presented(map_with(map_of(lesson), [marker])), key="ls3_map", width="stretch")
        with text:
            st.caption(t("lesson.s3.map_caption_raw" if raw else "lesson.s3.map_caption_pca"))
            no_data_note(lesson)
