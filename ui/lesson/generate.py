"""Step 7, generating new data: n codes drawn from the prior N(0, I) with a seed, decoded by the model;
then why some of them are blotches (the prior's holes) and the learned density that avoids them."""

from __future__ import annotations

import streamlit as st

from ui.components import widgets
from ui.components.figures import holes_figure
from ui.lesson.common import SEED_MAX, Lesson, current_index, halves, part, samples_grid, seed_input, strip
from ui.shell import state
from ui.shell.i18n import t
from ui.shell.resources import density_of, model_key
from vae.core.latent import decode, prior_samples

TITLE = "lesson.step.7"
PARTS = 4  # prior samples, the code, the holes, the learned density
CODE = """\
z = torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))  # z ~ N(0, I)
images = model.decode(z)  # (n, 1, 28, 28), pixel means in [0, 1]"""


def _next_seed() -> None:
    st.session_state["ls_seed"] = (int(st.session_state.get("ls_seed", 0)) + 1) % (SEED_MAX + 1)


@st.fragment
def render(lesson: Lesson, z2: Lesson | None) -> None:
    if part(1):  # draw, decode
        st.markdown(t("lesson.s7.intro", d=lesson.latent_dim))
        c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
        n = int(c1.number_input(t("lesson.s7.n"), 1, 64, **state.bound("ls_n", 16, state.parse_int(1, 64))))
        seed = seed_input(c2)
        c3.button(t("lesson.s7.new_draw"), key="ls_next_seed", on_click=_next_seed, icon=":material/casino:")
    else:  # the inputs are on the first sub-step
        n, seed = current_index("ls_n", 65) or 16, current_index("ls_seed", SEED_MAX + 1)
    ncols, side = samples_grid(n)
    if part(1):
        codes = prior_samples(lesson.latent_dim, n, seed)
        st.image(widgets.inline(strip(decode(lesson.model, codes), ncols, target=side)), caption=t("lesson.s7.caption", n=n, seed=seed))
    if part(2):
        st.code(CODE, language="python", wrap_lines=True)
    if part(3):
        _holes(lesson)
    if part(4):
        _learned(lesson, seed, n, ncols, side)


def _holes(lesson: Lesson) -> None:
    """Why a prior sample can be a blotch: the codes of real images do not fill N(0, I). The map of
    the test codes with prior and learned-density samples over it."""
    key = model_key(lesson.name)
    projection = "raw" if lesson.latent_dim == 2 else "pca"
    text, figure = halves()
    text.markdown(t("lesson.s7.holes"))
    axis = t(f"map.axis.{projection}")
    labels = (f"{axis} 1", f"{axis} 2", t("map.legend.points"), t("map.samples.prior"), t("map.samples.learned"))
    figure.plotly_chart(widgets.presented(holes_figure(key, projection, labels)), key="ls_holes", width="stretch")


def _learned(lesson: Lesson, seed: int, n: int, ncols: int, side: int) -> None:
    """The learned density's draw with the same seed: no blotches where the prior's holes were."""
    density = density_of(model_key(lesson.name))
    if density is None:
        st.info(t("gen.no_density", command=f"vae-explorer density models/{lesson.name}"))
        return
    st.markdown(t("lesson.s7.learned"))
    st.image(
        widgets.inline(strip(decode(lesson.model, density.sample(n, seed)), ncols, target=side)),
        caption=t("lesson.s7.learned_caption", n=n, seed=seed),
    )
