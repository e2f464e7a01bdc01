"""Step 5, the KL divergence, plainly: KL(N(μ, σ²) ‖ N(0, 1)) in closed form with sliders and a
numerical check, then the KL per latent dimension of a real test image's posterior."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ui.components import widgets
from ui.lesson.common import (
    PLOT,
    Lesson,
    current_float,
    density_figure,
    dims,
    index_input,
    no_data_note,
    original,
    part,
    posterior_of,
    slider,
    who,
)
from ui.shell.i18n import number, t
from vae.analysis.lesson import kl_numeric, kl_posterior_prior, kl_prior_posterior
from vae.core.latent import decode

TITLE = "lesson.step.5"
PARTS = 3  # the closed form with sliders, reading it, a real image's KL per dimension
MU_DEFAULT, SIGMA_DEFAULT = 1.5, 0.6  # the step opens on a q that differs from the prior
MU_RANGE, SIGMA_RANGE = (-3.0, 3.0), (0.05, 3.0)  # the sliders' ends
ELBO_FORMULA = (
    r"\log p(x) \;\ge\; \mathrm{ELBO}(x) = \mathbb{E}_{q(z\mid x)}\big[\log p(x\mid z)\big]"
    r" - \mathrm{KL}\big(q(z\mid x)\,\|\,p(z)\big)"
)
KL_FORMULA = r"\mathrm{KL}\big(\mathcal{N}(\mu,\sigma^2)\,\|\,\mathcal{N}(0,1)\big) = \tfrac12\big(\mu^2 + \sigma^2 - 1 - \ln\sigma^2\big)"


@st.fragment
def render(lesson: Lesson, z2: Lesson | None) -> None:
    mu, sigma = current_float("ls_mu", MU_DEFAULT), current_float("ls_sigma", SIGMA_DEFAULT)
    if part(1):  # the formula, with sliders
        st.markdown(t("lesson.s5.intro"))
        st.latex(KL_FORMULA)
        c1, c2 = st.columns([1, 2], gap="large")
        mu = slider("ls_mu", "μ", *MU_RANGE, MU_DEFAULT, where=c1)
        sigma = slider("ls_sigma", "σ", *SIGMA_RANGE, SIGMA_DEFAULT, where=c1)
        kl = float(kl_posterior_prior(mu, sigma))
        c1.metric(t("lesson.s5.kl_metric"), f"{number(kl, '.3f')} nats")
        c2.plotly_chart(widgets.presented(density_figure(mu, sigma, prior=True)), key="ls5_densities", width="stretch")
        c2.caption(t("lesson.s5.numeric_check", value=kl_numeric(mu, sigma)))
    if part(2):  # reading it: asymmetry, the ELBO
        st.markdown(t("lesson.s5.reading"))
        forward, backward = float(kl_posterior_prior(mu, sigma)), float(kl_prior_posterior(mu, sigma))
        st.markdown(t("lesson.s5.asymmetry", mu=mu, sigma=sigma, forward=forward, backward=backward))
        st.markdown(t("lesson.s5.elbo"))
        st.latex(ELBO_FORMULA)
        st.caption(t("lesson.s5.elbo_caption"))

    if part(3):  # the KL of a real image
        st.subheader(t("lesson.s5.real"))
        left, right = st.columns([1, 3], gap="large")
        with left:
            row = index_input(lesson)
            image = original(lesson, row)
            posterior = posterior_of(lesson, row)
            shown = image if image is not None else decode(lesson.model, posterior.mean)[0]
            st.image(widgets.inline(widgets.enlarge(shown, 140)), width=140, caption=who(lesson, row))
            no_data_note(lesson)
        per_dim = posterior.kl_per_dim()[0].numpy()  # (D,) nats
        total = float(posterior.kl()[0])
        with right:
            hover = "%{x}: %{y:.3f} nats<extra></extra>"
            fig = go.Figure(go.Bar(x=dims(lesson.latent_dim), y=per_dim, marker_color="#d62728", hovertemplate=hover))
            fig.update_layout(**PLOT, yaxis_title=t("lesson.s5.kl_axis"))
            st.plotly_chart(widgets.presented(fig), key="ls5_bars", width="stretch")
        left.metric(t("lesson.s5.total"), f"{number(total, '.2f')} nats")
        mean = float(lesson.atlas.kl_nats.mean())
        right.markdown(t("lesson.s5.total_caption", total=total, total_bars=float(per_dim.sum()), mean=mean))
