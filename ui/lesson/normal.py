"""Step 4, the normal distribution in 1-D then in n-D: density sliders, the diagonal 2-D Gaussian as
a product of 1-D ones, and the prior N(0, I) drawn over the codes of the course's 2-D model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui.components import widgets
from ui.lesson.common import PLOT, Lesson, density_figure, halves, map_of, map_with, part, slider
from ui.shell.i18n import number, t
from vae.analysis.lesson import fraction_within, mass_within_radius, normal2d_pdf

TITLE = "lesson.step.4"
PARTS = 3  # 1-D, n-D, the prior over real codes
DENSITY_1D = r"p(z) = \frac{1}{\sigma\sqrt{2\pi}}\,\exp\!\Big(-\frac{(z-\mu)^2}{2\sigma^2}\Big)"
DENSITY_ND = (
    r"\begin{aligned}p(\mathbf{z}) &= \mathcal{N}(\mathbf{z};\boldsymbol\mu,\operatorname{diag}\boldsymbol\sigma^2)"
    r"\\ &= \prod_{i=1}^{n}\mathcal{N}(z_i;\mu_i,\sigma_i^2)\end{aligned}"
)
RADII = (1, 2, 3)
MU_RANGE, SIGMA_RANGE = (-3.0, 3.0), (0.1, 3.0)  # the 1-D sliders' ends


def contour_2d(mu: tuple[float, float], sigma: tuple[float, float]) -> go.Figure:
    """The density of N(μ, diag σ²) on [−5, 5]² as filled contours."""
    axis = np.linspace(-5, 5, 121)
    gx, gy = np.meshgrid(axis, axis)
    density = normal2d_pdf(np.stack([gx, gy], -1), mu, sigma)  # (121, 121)
    contours, colorbar = dict(coloring="heatmap", showlines=True), dict(title=t("lesson.density"), thickness=12)
    fig = go.Figure(go.Contour(x=axis, y=axis, z=density, colorscale="Blues", contours=contours, colorbar=colorbar))
    fig.update_layout(**{**PLOT, "height": 420}, xaxis_title="z₁", yaxis=dict(title="z₂", scaleanchor="x"))
    return fig


def prior_rings() -> list[go.Scatter]:
    """The circles of radius 1σ, 2σ, 3σ of the prior N(0, I) in the latent plane."""
    theta = np.linspace(0, 2 * np.pi, 200)
    rings = []
    for r, dash in zip(RADII, ("solid", "dash", "dot")):
        line = dict(color="black", width=2, dash=dash)
        rings.append(go.Scatter(x=r * np.cos(theta), y=r * np.sin(theta), mode="lines", name=f"{r}σ", hoverinfo="name", line=line))
    return rings


@st.fragment
def render(lesson: Lesson, z2: Lesson | None) -> None:
    if part(1):  # one dimension
        st.markdown(t("lesson.s4.intro"))
        st.subheader(t("lesson.s4.one_d"))
        st.latex(DENSITY_1D)  # full width: the formula is wider than the sliders' column at 1280 px
        c1, c2 = st.columns([1, 2], gap="large")
        mu = slider("ls_mu1", "μ", *MU_RANGE, 0.0, where=c1)
        sigma = slider("ls_sigma1", "σ", *SIGMA_RANGE, 1.0, where=c1)
        c1.caption(t("lesson.s4.one_d_caption"))
        c2.plotly_chart(widgets.presented(density_figure(mu, sigma, prior=True)), key="ls4_1d", width="stretch")

    if part(2):  # n dimensions
        st.subheader(t("lesson.s4.two_d"))
        c1, c2 = halves([2, 3])
        c1.latex(DENSITY_ND)  # beside the plot: a projector screen has room in width, not in height
        left, right = c1.columns(2)  # μ beside σ for each axis: the four sliders take two rows
        mux, sx = slider("ls_mu2x", "μ₁", -3.0, 3.0, 0.0, where=left), slider("ls_sigma2x", "σ₁", 0.2, 3.0, 1.0, where=right)
        muy, sy = slider("ls_mu2y", "μ₂", -3.0, 3.0, 0.0, where=left), slider("ls_sigma2y", "σ₂", 0.2, 3.0, 1.0, where=right)
        c1.caption(t("lesson.s4.n_d_caption"))
        c2.plotly_chart(widgets.presented(contour_2d((mux, muy), (sx, sy))), key="ls4_2d", width="stretch")

    if part(3):  # the prior over the codes of real images
        st.subheader(t("lesson.s4.prior"))
        target = z2 or lesson
        intro = st.container()  # above the map on a screen, beside it on a projector
        left, right = halves([3, 2])
        with right if widgets.presenting() else intro:
            st.markdown(t("lesson.s4.prior_intro", name=target.name))
            if z2 is None:
                st.info(t("lesson.s4.no_z2", name=lesson.name))
        left.plotly_chart(widgets.presented(map_with(map_of(target), prior_rings())), key="ls4_prior", width="stretch")
        codes = target.atlas.mean if target.latent_dim == 2 else target.atlas.coords("pca")
        table = pd.DataFrame(
            {
                t("lesson.s4.radius"): [f"{r}σ" for r in RADII],
                t("lesson.s4.prior_mass"): [number(float(mass_within_radius(r)), ".1%") for r in RADII],
                t("lesson.s4.codes_inside"): [number(fraction_within(codes, r), ".1%") for r in RADII],
            }
        )
        right.table(table.set_index(table.columns[0]))
        right.markdown(t("lesson.s4.prior_caption"))
