"""Generate: decode fresh samples, z ~ N(0, T² I) from the prior and, beside them with the same seed,
from the model's learned latent density (vae.artifacts.density), reproducible from a seed."""

import math

import streamlit as st

from ui.app import current, ensure_entry
from ui.components import widgets
from ui.components.latent_panels import autoencoder_note
from ui.shell import state
from ui.shell.i18n import t
from ui.shell.resources import density_of, model_key
from vae.analysis.explore_ops import display_scale
from vae.core.latent import decode, prior_samples
from vae.data.images import grid, png_bytes

ensure_entry()

SEED_MAX = 2**31 - 1

sel = current()
model, name = sel.model, sel.name
latent_dim = model.config.latent_dim

st.title(t("gen.title"))
widgets.intro(t("gen.intro", d=latent_dim))
autoencoder_note(model.config)  # β = 0: no prior to sample from


def next_seed() -> None:
    st.session_state["gen_seed"] = (int(st.session_state["gen_seed"]) + 1) % (SEED_MAX + 1)


@st.fragment
def samples() -> None:
    """Controls and grid; an interaction reruns only this."""
    c1, c2, c3, c4 = st.container(key="gen_controls_phonegrid").columns([2, 2, 1, 3], vertical_alignment="bottom")  # 2 by 2 on a phone
    n = c1.number_input(t("gen.n"), 1, 64, **state.bound("gen_n", 16, state.parse_int(1, 64)))
    seed = c2.number_input(t("gen.seed"), 0, SEED_MAX, **state.bound("gen_seed", 0, state.parse_int(0, SEED_MAX)))
    c3.button(t("gen.next_seed"), key="gen_next", on_click=next_seed, icon=":material/casino:", help=t("gen.next_seed_help"))
    temperature = widgets.float_slider(
        c4,
        t("gen.temperature"),
        0.1,
        2.0,
        step=0.05,
        spec=".2f",
        help=t("gen.temperature_help"),
        **state.bound("gen_temp", 1.0, state.parse_float(0.1, 2.0)),
    )

    density = density_of(model_key(name))
    sources = [("prior", None)] + ([("learned", density)] if density is not None else [])
    ncols = math.ceil(math.sqrt(n))
    for column, (source, learned) in zip(st.columns(len(sources)), sources):
        codes = prior_samples(latent_dim, n, seed, temperature) if learned is None else learned.sample(n, seed, temperature)
        images = decode(model, codes)  # (n, H, W, C)
        width = 900 if len(sources) == 1 else 440
        picture = png_bytes(grid(images, ncols), display_scale(images.shape[1], ncols, target=96, max_width=width))
        with column, st.container(key=f"gen_samples_{source}"):
            st.markdown(f"**{t(f'gen.source.{source}')}**")
            if len(sources) > 1:  # one line under each title, so that the two grids line up
                st.caption(t("gen.kind.prior") if learned is None else t(f"gen.kind.{learned.kind}", k=learned.meta.get("components", "?")))
            st.image(widgets.inline(picture), caption=t("gen.caption", n=n, seed=seed, temperature=temperature))
            widgets.download(
                t("gen.download_png"),
                lambda p=picture: p,
                f"{name}-{source}-samples-n{n}-seed{seed}-T{temperature:g}.png",
                key=f"gen_png_{source}",
            )
    if density is None:
        st.info(t("gen.no_density", command=f"vae-explorer density models/{name}"))
    else:
        st.caption(t("gen.why_learned"))


samples()
