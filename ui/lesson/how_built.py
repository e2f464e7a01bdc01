"""Step 8, how this model was built: the data, the preprocessing, the encoder and decoder as printed by
torch, the config, the training command and curves, the test metrics, samples and the decoded
manifold of the course's 2-D model. Code blocks show the package's own source, not a copy of it."""

from __future__ import annotations

import dataclasses
import inspect
import textwrap
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from ui.components import live, widgets
from ui.lesson.common import PLOT, Lesson, count, map_of, part, strip
from ui.shell.i18n import number, t
from ui.shell.resources import ModelKey, model_key, model_of
from vae import VAE, DiagonalGaussian, ModelCard, VAEConfig
from vae.analysis.lesson import history_columns, training_command
from vae.core.latent import decode, manifold_grid, prior_samples
from vae.data.datasets import to_tensor

TITLE = "lesson.step.8"
# data, preprocessing, encoder, its code, decoder, the VAE, training, its code, curves, samples, the map
PARTS = 11
LOAD_DATA = "from vae.data.datasets import load_mnist\nimages, labels = load_mnist('train')  # uint8 (60000, 28, 28), digits 0-9"
# (label key under lesson.s8.m., key of the card's test section, number format, unit)
TEST_METRICS = (
    ("recon", "recon_nats", ".1f", "nats"),
    ("kl", "kl_nats", ".1f", "nats"),
    ("elbo", "neg_elbo_nats", ".1f", "nats"),
    ("iw", "iw_bound_nats", ".1f", "nats"),
    ("psnr", "psnr_db", ".2f", "dB"),
)


def _source(obj: Callable[..., object]) -> str:
    return textwrap.dedent(inspect.getsource(obj))


@st.cache_resource(show_spinner=False, max_entries=8)
def manifold_png(key: ModelKey, n: int = 12, r: float = 2.5) -> bytes:
    """The decoded n×n grid over [−r, r]² of a 2-D latent space (the classic figure of Kingma & Welling)."""
    return strip(decode(model_of(key), manifold_grid((-r, r), (-r, r), n)), n, target=40)


def curves(history: list[dict]) -> go.Figure | None:
    """Reconstruction and KL per epoch, train and test, from the card's history (None without one)."""
    cols = history_columns(history)
    if not cols["epoch"]:
        return None
    fig = make_subplots(1, 2, subplot_titles=(t("lesson.s8.recon_curve"), t("lesson.s8.kl_curve")))
    for c, (term, colour) in enumerate((("recon", "#1f77b4"), ("kl", "#d62728")), start=1):
        for split, dash in (("train", "solid"), ("test", "dash")):
            name, line = f"{t('lesson.s8.' + split)} · {term}", dict(color=colour, dash=dash)
            fig.add_scatter(x=cols["epoch"], y=cols[f"{split}_{term}_nats"], name=name, line=line, row=1, col=c)
    fig.update_xaxes(title_text=t("lesson.s8.epoch"))
    fig.update_yaxes(title_text="nats")
    fig.update_layout(**{**PLOT, "height": 340, "margin": dict(l=10, r=10, t=40, b=10)})
    return fig


def show_test_metrics(card: ModelCard | None) -> None:
    """The card's test metrics and training time, three per row."""
    metrics = [getattr(card.test, key) if card else None for _, key, _, _ in TEST_METRICS]
    values = [("—" if value is None else f"{number(value, spec)} {unit}") for value, (_, _, spec, unit) in zip(metrics, TEST_METRICS)]
    values.append(f"{number(card.training_seconds / 60, '.0f')} min" if card else "—")
    labels = [t(f"lesson.s8.m.{label}") for label, _, _, _ in TEST_METRICS] + [t("lesson.s8.m.time")]
    for start in (0, 3):
        for col, label, value in zip(st.columns(3), labels[start : start + 3], values[start : start + 3]):
            col.metric(label, value)


@st.fragment
def render(lesson: Lesson, z2: Lesson | None) -> None:
    target = z2 or lesson
    model = target.model
    if part(1):
        _data(target, missing_z2=None if z2 else lesson.name)
    if part(2):
        _preprocessing()
    if part(3):
        _half(target, "encoder")
    if part(4):
        st.code(_source(VAE.encode), language="python", wrap_lines=True)
    if part(5):
        _half(target, "decoder")
    if part(6):
        _vae_settings(target)
    if part(7):
        _training(target)
    if part(8):
        st.code(_source(VAE.forward), language="python", wrap_lines=True)
    if part(9):
        _curves_and_metrics(target.name, target.card)
    if part(10):
        st.subheader(t("lesson.s8.generation"))
        samples = decode(model, prior_samples(model.config.latent_dim, 10, 0))
        st.image(widgets.inline(strip(samples)), caption=t("lesson.s8.generation_caption"))
    if part(11):
        _display(target)


def _data(target: Lesson, missing_z2: str | None) -> None:
    """Part 1: the step's intro (saying so when the lesson's model `missing_z2` has no 2-D sibling) and the data."""
    st.markdown(t("lesson.s8.intro", name=target.name))
    if missing_z2 is not None:
        st.info(t("lesson.s4.no_z2", name=missing_z2))
    st.subheader(t("lesson.s8.data"))
    card = target.card
    st.markdown(t("lesson.s8.data_text", train=count(card.train_images if card else 60000), test=count(len(target.atlas.mean))))
    st.code(LOAD_DATA, language="python", wrap_lines=True)


def _preprocessing() -> None:
    st.subheader(t("lesson.s8.preprocessing"))
    st.markdown(t("lesson.s8.preprocessing_text"))
    st.code(_source(to_tensor), language="python", wrap_lines=True)


def _dense_sizes(config: VAEConfig) -> dict[str, int]:
    """The sizes the texts of the course's MLP (vae.core.model) name."""
    return dict(pixels=config.num_dims, hidden=config.hidden, d=config.latent_dim)


def _conv_head(target: Lesson) -> tuple[int, int, str]:
    """A convolutional model's last feature map: its side, its channels, and the text of the head that
    joins it to the latent code (a hidden layer or a linear map)."""
    config = target.model.config
    head = t("lesson.s8.head_hidden", hidden=config.hidden) if config.hidden else t("lesson.s8.head_linear")
    return target.model.sizes[-1], config.channels[-1], head


def _half(target: Lesson, part: str) -> None:
    """The encoder's or the decoder's section ("encoder" or "decoder"): what it does, then its layers as torch prints them."""
    model, config = target.model, target.model.config
    st.subheader(t(f"lesson.s8.{part}"))
    if config.architecture == "dense":
        st.markdown(t(f"cm.s8.{part}_dense", **_dense_sizes(config)))
    elif part == "encoder":
        side, _, head = _conv_head(target)
        channels = ", ".join(map(str, config.channels))
        st.markdown(t("lesson.s8.encoder_text", n=len(config.channels), channels=channels, s=side, head=head, d=config.latent_dim))
    else:
        side, top, head = _conv_head(target)
        st.markdown(t("lesson.s8.decoder_text", head=head, ch=top, s=side))
    layers = (model.encoder, model.to_posterior) if part == "encoder" else (model.from_latent, model.decoder)
    st.code("\n".join(map(str, layers)), language=None, wrap_lines=True)


def _vae_settings(target: Lesson) -> None:
    """Part 6: the model's settings in a table, and the KL it is trained with."""
    model, config = target.model, target.model.config
    st.subheader(t("lesson.s8.vae", d=config.latent_dim))
    st.markdown(t("lesson.s8.vae_text"))
    # Headers in the reader's language, the config.json key beside them (what --help and the file say).
    settings = {
        t("lesson.s8.cfg.latent_dim"): config.latent_dim,
        t("lesson.s8.cfg.channels"): ", ".join(map(str, config.channels)),
        t("lesson.s8.cfg.hidden"): config.hidden,
        t("lesson.s8.cfg.beta"): number(config.beta),
        t("lesson.s8.cfg.likelihood"): t(f"lesson.s8.cfg.likelihood.{config.likelihood}"),
        t("lesson.s8.params"): count(model.num_parameters()),
    }
    st.table(pd.DataFrame([settings], index=[t("lesson.s8.cfg.row")]))
    st.code(_source(DiagonalGaussian.kl_per_dim), language="python", wrap_lines=True)


def _training(target: Lesson) -> None:
    """Part 7: the training settings and the command that trains this model."""
    card = target.card
    st.subheader(t("lesson.s8.training"))
    epochs, batch, lr = (card.epochs, card.batch_size, card.lr) if card else ("?", "?", "?")
    st.markdown(t("lesson.s8.training_text", epochs=epochs, batch=batch, lr=number(lr) if isinstance(lr, float) else lr))
    st.code(training_command(target.model.config, card, target.name), language="bash", wrap_lines=True)


def _curves_and_metrics(name: str, card: ModelCard | None) -> None:
    """Part 9: the model's training replay, its map forming epoch by epoch beside the curves (where it ships
    one and the browser can play it), else the training curves (a note without a history); the test metrics."""
    history = [dataclasses.asdict(row) for row in card.history] if card else []
    replay = live.replay_of(model_key(name))
    if history and not isinstance(replay, str):
        title = st.empty()
        if live.replay_player(name, history, start=1, height=380, key="ls8_replay"):
            title.subheader(t("replay.title"))
            st.caption(t("replay.caption", points=len(replay.test_index), epochs=replay.epochs))
            show_test_metrics(card)
            return
    fig = curves(history)
    if fig is None:
        st.info(t("lesson.s8.no_history"))
    else:
        st.plotly_chart(widgets.presented(fig), key="ls8_curves", width="stretch")
    show_test_metrics(card)


def _display(target: Lesson) -> None:
    """Part 11: the 2-D model's map beside its decoded manifold; a note on the PCA map otherwise."""
    st.subheader(t("lesson.s8.display"))
    if target.model.config.latent_dim == 2:
        left, right = st.columns(2, gap="large")
        left.plotly_chart(widgets.presented(map_of(target)), key="ls8_map", width="stretch")
        manifold = widgets.inline(manifold_png(model_key(target.name)))
        right.image(manifold, caption=t("lesson.s8.manifold_caption"))
    else:
        st.markdown(t("lesson.s8.display_pca"))
