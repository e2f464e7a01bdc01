"""Step 2, what a VAE is for: generation (decoded prior samples), interpolation between the codes of
two test images, and anomaly detection (the most typical and the worst −ELBO of the test set)."""

from __future__ import annotations

import streamlit as st

from ui.components import widgets
from ui.lesson.common import Lesson, count, index_input, no_data_note, original, part, posterior_of, seed_input, strip, who
from ui.shell import state
from ui.shell.i18n import number, t
from vae.analysis.lesson import anomaly_pair
from vae.core.latent import decode, lerp, prior_samples

TITLE = "lesson.step.2"
PARTS = 3  # generation, interpolation, anomaly: one projector screen each in presenter mode


@st.fragment
def render(lesson: Lesson, z2: Lesson | None) -> None:
    if part(1):
        st.markdown(t("lesson.s2.intro"))
        _generation(lesson)
    if part(2):
        _interpolation(lesson)
    if part(3):
        _anomaly(lesson)


def _generation(lesson: Lesson) -> None:
    model = lesson.model
    with st.container(border=True):
        st.subheader(t("lesson.s2.generation"))
        seed = seed_input(st.columns(3)[0])
        samples = decode(model, prior_samples(lesson.latent_dim, 8, seed))
        st.image(widgets.inline(strip(samples)), caption=t("lesson.s2.generation_caption", seed=seed))


def _interpolation(lesson: Lesson) -> None:
    model, atlas = lesson.model, lesson.atlas
    with st.container(border=True):
        st.subheader(t("lesson.s2.interpolation"))
        c1, c2 = st.columns(2)
        row = index_input(lesson, c1)
        n = len(atlas.mean)
        c2.number_input(t("lesson.index2", n=n - 1), 0, n - 1, **state.bound("ls_index2", 1, state.parse_int(0, n - 1)))
        row2 = int(st.session_state["ls_index2"])
        path = decode(model, lerp(posterior_of(lesson, row).mean[0].numpy(), posterior_of(lesson, row2).mean[0].numpy(), 8))
        st.image(widgets.inline(strip(path)), caption=t("lesson.s2.interpolation_caption", a=who(lesson, row), b=who(lesson, row2)))


def _anomaly(lesson: Lesson) -> None:
    model, atlas = lesson.model, lesson.atlas
    with st.container(border=True):
        st.subheader(t("lesson.s2.anomaly"))
        worst, typical = anomaly_pair(atlas.neg_elbo_nats)
        cols = st.columns([1, 1, 3])
        for col, r, key in ((cols[0], typical, "lesson.s2.typical"), (cols[1], worst, "lesson.s2.worst")):
            image = original(lesson, r)
            image = image if image is not None else decode(model, atlas.mean[r])[0]
            col.image(widgets.inline(widgets.enlarge(image, 140)), width=140, caption=t(key, who=who(lesson, r)))
            col.metric(t("lesson.s2.score"), f"{number(atlas.neg_elbo_nats[r], '.1f')} nats")
        cols[2].markdown(t("lesson.s2.anomaly_caption", n=count(len(atlas.mean))))
        no_data_note(lesson)
