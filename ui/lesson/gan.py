"""Step 9, from VAE to GAN: celeba-z64's decoder fine-tuned as a GAN's generator (vae.gan), beside
the plain decoder on the same codes, with their test PSNR and Fréchet distances; what a generator
shares with a decoder, and how a discriminator differs from an encoder."""

from __future__ import annotations

import inspect
import textwrap

import numpy as np
import pandas as pd
import streamlit as st

from ui import widgets
from ui.i18n import t
from ui.lesson.common import Lesson, seed_input, strip
from ui.resources import adversarial_of, density_of, loaded_of, model_key, test_set, zoo
from vae.gan import Discriminator
from vae.latent import decode, encode

TITLE = "lesson.step.9"
MODEL = "celeba-z64"
SHOWN = 8


@st.fragment
def render(lesson: Lesson, z2: Lesson | None) -> None:
    st.markdown(t("lesson.s9.intro"))
    if not any(e.name == MODEL and e.available for e in zoo()):
        st.info(t("lesson.s9.no_model", model=MODEL))
        return
    key = model_key(MODEL)
    found = adversarial_of(key)
    if isinstance(found, str):
        st.info(t("lesson.s9.no_decoder", command=f"python -m vae.gan models/{MODEL} --save", error=found))
        return
    adversarial, report = found
    plain = loaded_of(key).model
    seed = seed_input(st.columns(3)[0])
    density = density_of(key)
    codes = (
        density.sample(SHOWN, seed) if density is not None else np.random.default_rng(seed).standard_normal((SHOWN, 64)).astype(np.float32)
    )
    st.markdown(t("lesson.s9.samples"))
    for name, model in (("plain", plain), ("adversarial", adversarial)):
        st.image(widgets.inline(strip(decode(model, codes), SHOWN, target=84)), caption=t(f"lesson.s9.{name}"))
    data = test_set("celeba")
    if data is not None:
        images = data.images[:SHOWN]
        mu = encode(plain, images)[0]  # the same encoder: the same codes for both decoders
        st.markdown(t("lesson.s9.reconstructions"))
        st.image(widgets.inline(strip(images, SHOWN, target=84)), caption=t("lesson.s9.originals"))
        for name, model in (("plain", plain), ("adversarial", adversarial)):
            st.image(widgets.inline(strip(decode(model, mu), SHOWN, target=84)), caption=t(f"lesson.s9.{name}"))
    if "plain" in report and "adversarial" in report:
        rows = [
            {
                t("lesson.s9.col.decoder"): t(f"lesson.s9.{name}"),
                t("lesson.s9.col.psnr"): report[name]["psnr_db"],
                t("lesson.s9.col.fd_recon"): report[name]["fd"]["reconstructions"],
                t("lesson.s9.col.fd_prior"): report[name]["fd"]["prior"],
                t("lesson.s9.col.fd_learned"): report[name]["fd"]["learned"],
            }
            for name in ("plain", "adversarial")
        ]
        table = pd.DataFrame(rows)
        numbers = {c: st.column_config.NumberColumn(format="%.1f") for c in table.columns[1:]}
        st.dataframe(table, hide_index=True, width="stretch", key="ls_gan_table", column_config=numbers)
        st.caption(t("lesson.s9.measure", minutes=report.get("minutes", "?"), weight=report.get("weight", "?")))
    st.markdown(t("lesson.s9.roles"))
    st.code(textwrap.dedent(inspect.getsource(Discriminator)), language="python", wrap_lines=True)
