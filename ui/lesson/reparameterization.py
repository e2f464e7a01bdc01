"""Step 6, the reparameterization trick: z = μ + σ·ε on a real test image, step by step and decoded,
why it lets the gradient through the sampling, and the gradients torch autograd actually computes."""

from __future__ import annotations

import inspect
import textwrap

import numpy as np
import pandas as pd
import streamlit as st

from ui.components import widgets
from ui.lesson.common import SEED_MAX, Lesson, current_index, dims, image_and_seed, no_data_note, original, part, who
from ui.shell.i18n import number, t
from vae import DiagonalGaussian
from vae.analysis.lesson import Reparameterization, reparameterize_with_grad
from vae.core.latent import decode

TITLE = "lesson.step.6"
PARTS = 6  # the inputs, the trick on them, why it is needed (without, with), autograd's check, the code


@st.fragment
def render(lesson: Lesson, z2: Lesson | None) -> None:
    if part(1):
        st.markdown(t("lesson.s6.intro"))
        row, seed = image_and_seed(lesson)
    else:  # the inputs are on the first sub-step; the others use their values
        row, seed = current_index("ls_index", len(lesson.atlas.mean)), current_index("ls_seed", SEED_MAX + 1)
    image = original(lesson, row)
    x = image if image is not None else decode(lesson.model, lesson.atlas.mean[row])[0, ..., 0]
    r = reparameterize_with_grad(lesson.model, x, seed)
    if part(1):
        st.markdown(t("lesson.s6.steps", seed=seed))
    if part(2):
        _steps(lesson, row, x, r)
    if part(3):
        _why()
    if part(4):
        st.markdown(t("lesson.s6.with"))
        st.code(t("lesson.s6.diagram_with"), language=None, wrap_lines=True)
    if part(5):
        _autograd(lesson, r)
    if part(6):
        st.code(textwrap.dedent(inspect.getsource(DiagonalGaussian.sample)), language="python", wrap_lines=True)


def _steps(lesson: Lesson, row: int, x: np.ndarray, r: Reparameterization) -> None:
    columns = {"μ": r["mu"], "σ": r["sigma"], "ε": r["eps"], "σ·ε": r["sigma_eps"], "z = μ + σ·ε": r["z"]}
    table = pd.DataFrame(columns, index=dims(lesson.latent_dim))
    left, right = st.columns(2, gap="large")
    widgets.data_table(table.style.format(lambda v: number(v, ".3f")), left, width="stretch")
    images = decode(lesson.model, np.stack([r["mu"], r["z"]]))
    cols = right.columns(3)
    cols[0].image(widgets.inline(widgets.enlarge(x, 112)), width=112, caption=t("lesson.input", who=who(lesson, row)))
    cols[1].image(widgets.inline(widgets.enlarge(images[0], 112)), width=112, caption=t("lesson.s6.decoded_mu"))
    cols[2].image(widgets.inline(widgets.enlarge(images[1], 112)), width=112, caption=t("lesson.s6.decoded_z"))
    right.caption(t("lesson.s6.decoded_caption"))
    no_data_note(lesson)


def _why() -> None:
    st.subheader(t("lesson.s6.why"))
    st.markdown(t("lesson.s6.why_text"))
    st.markdown(t("lesson.s6.without"))
    st.code(t("lesson.s6.diagram_without"), language=None, wrap_lines=True)


def _autograd(lesson: Lesson, r: Reparameterization) -> None:
    st.subheader(t("lesson.s6.autograd"))
    st.markdown(t("lesson.s6.autograd_text"))
    grads = pd.DataFrame({"ε": r["eps"], "∂z/∂μ": r["dz_dmu"], "∂z/∂σ": r["dz_dsigma"]}, index=dims(lesson.latent_dim))
    left, right = st.columns([2, 3], gap="large")
    widgets.data_table(grads.style.format(lambda v: number(v, ".4f")), left, width="stretch")
    off_diagonal = float(np.abs(r["jacobian_sigma"] - np.diag(np.diag(r["jacobian_sigma"]))).max())
    right.metric(t("lesson.s6.max_mu_gap"), number(float(np.abs(r["dz_dmu"] - 1).max()), ".1e"))
    right.metric(t("lesson.s6.max_sigma_gap"), number(float(np.abs(r["dz_dsigma"] - r["eps"]).max()), ".1e"))
    right.markdown(t("lesson.s6.autograd_result", off=off_diagonal, loss=r["loss_nats"], norm=r["encoder_grad_norm"]))
