"""Step 9, from VAE to GAN: celeba-z64's decoder fine-tuned as a GAN's generator (vae.training.gan), beside
the plain decoder on the same codes, with their test PSNR and Fréchet distances; what a generator
shares with a decoder, and how a discriminator differs from an encoder."""

from __future__ import annotations

import inspect
import textwrap

import numpy as np
import pandas as pd
import streamlit as st

from ui.components import widgets
from ui.lesson.common import SEED_MAX, Lesson, current_index, part, seed_input, strip
from ui.shell.i18n import number, t
from ui.shell.resources import adversarial_of, density_of, model_key, model_of, test_set, zoo
from vae.core.latent import decode, encode
from vae.training.gan import Discriminator

TITLE = "lesson.step.9"
PARTS = 4  # samples, reconstructions, measures and roles, the discriminator's code
MODEL = "celeba-z64"
SHOWN = 8


@st.fragment
def render(lesson: Lesson, z2: Lesson | None) -> None:
    if part(1):
        st.markdown(t("lesson.s9.intro"))
    if not any(e.name == MODEL and e.available for e in zoo()):
        st.info(t("lesson.s9.no_model", model=MODEL))
        return
    key = model_key(MODEL)
    found = adversarial_of(key)
    if isinstance(found, str):
        st.info(t("lesson.s9.no_decoder", command=f"vae-explorer gan models/{MODEL} --save", error=found))
        return
    adversarial, report = found
    plain = model_of(key)
    seed = seed_input(st.columns(3)[0]) if part(1) else current_index("ls_seed", SEED_MAX + 1)
    density = density_of(key)
    codes = (
        density.sample(SHOWN, seed) if density is not None else np.random.default_rng(seed).standard_normal((SHOWN, 64)).astype(np.float32)
    )
    if part(1):  # new samples through both decoders
        st.markdown(t("lesson.s9.samples"))
        for column, (name, model) in zip(st.columns(2), (("plain", plain), ("adversarial", adversarial))):
            column.image(widgets.inline(strip(decode(model, codes), SHOWN, target=84)), caption=t(f"lesson.s9.{name}"))
    data = test_set("celeba")
    if data is not None and part(2):  # the same test faces through both
        images = data.images[:SHOWN]
        mu = encode(plain, images)[0]  # the same encoder: the same codes for both decoders
        st.markdown(t("lesson.s9.reconstructions"))
        shown = (("originals", images), *((name, decode(model, mu)) for name, model in (("plain", plain), ("adversarial", adversarial))))
        for column, (name, faces) in zip(st.columns(3), shown):  # side by side: the same face in the same place of each
            column.image(widgets.inline(strip(faces, SHOWN // 2, target=128)), caption=t(f"lesson.s9.{name}"))
    if "plain" in report and "adversarial" in report and part(3):  # measured
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
        styled = table.style.format({c: (lambda v: number(v, ".1f")) for c in table.columns[1:]})
        widgets.data_table(styled.hide(axis="index"), hide_index=True, width="stretch", key="ls_gan_table")
        minutes, weight = report.get("minutes"), report.get("weight")
        st.caption(
            t(
                "lesson.s9.measure",
                minutes="?" if minutes is None else number(float(minutes), ".0f"),
                weight="?" if weight is None else number(float(weight)),
            )
        )
    if part(3):
        st.markdown(t("lesson.s9.roles"))
    if part(4):
        st.code(textwrap.dedent(inspect.getsource(Discriminator)), language="python", wrap_lines=True)
