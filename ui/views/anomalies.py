"""The anomalies page's logic: scores per ranking (reconstruction errors computed once per model,
behind a lock), the grids of the most and least typical test images, a chosen image's error map,
the outliers on the latent map, the CSV export and an upload's score. The page
(pages/anomalies.py) lays them out."""

from __future__ import annotations

import functools
import math
import threading

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go
import streamlit as st

from ui.components import input_widgets, widgets
from ui.shell import state
from ui.shell.i18n import error_text, number, t
from ui.shell.resources import ModelKey, Ready, TestSet, model_key, ready_of, test_set
from vae.analysis import placement
from vae.analysis.anomaly import (
    error_map,
    ink_correlation,
    percentile,
    rank,
    ranking_csv,
    read_upload,
    reconstruction_errors,
)
from vae.analysis.placement import encode_image
from vae.core.latent import decode
from vae.data.datasets import data_root
from vae.data.inputs import InputImageError, load_user_image

RANKINGS = ["elbo", "mse", "recon", "kl"]
PER_ROW = 6
# Inferno, but black at 0: Streamlit's plotly template uses colours #000001–#0000ff as theme
# placeholders that the browser swaps for theme colours, and Inferno starts at #000004.
ERROR_COLOURS = [[i / 9, "#000000" if i == 0 else c] for i, c in enumerate(pc.sequential.Inferno)]


def nats(value: float) -> str:
    return t("an.score.nats", v=value)


def fmt(value: float, ranking: str) -> str:
    return t("an.score.mse", v=value) if ranking == "mse" else nats(value)


def pct_text(pct: float) -> str:
    """Rounded down to 0.1, so only a score above every test image reads 100 %."""
    return f"{number(math.floor(pct * 10) / 10, '.1f')} %"


def error_figure(err: np.ndarray) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=err, colorscale=ERROR_COLOURS, zmin=0.0, zmax=max(float(err.max()), 0.05), colorbar=dict(thickness=12)))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_layout(height=300, margin=dict(l=0, r=0, t=30, b=0), title=dict(text=t("an.error_map"), font=dict(size=14)))
    return fig


@st.cache_resource(show_spinner=False)
def _error_store() -> tuple[threading.Lock, dict]:
    """Process-wide reconstruction errors per (model key, data root): computed once, on demand."""
    return threading.Lock(), {}


def recon_errors(key: ModelKey, compute: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """(MSE per pixel, recon nats at μ) for every atlas row, or None without the data (or not yet computed)."""
    lock, store = _error_store()
    sel = ready_of(key)
    data = test_set(sel.model.config.dataset)
    store_key = (key, str(data_root()))
    if store_key not in store and compute and data is not None:
        with lock, st.spinner(t("an.computing", n=len(sel.atlas.test_index))):
            if store_key not in store:
                mse, recon_nats = reconstruction_errors(sel.model, data.images[sel.atlas.test_index])
                mse.setflags(write=False)
                recon_nats.setflags(write=False)
                store[store_key] = (mse, recon_nats)
    return store.get(store_key)


def scores_for(key: ModelKey, ranking: str, compute: bool = True) -> np.ndarray | None:
    """The score of every test image under a ranking; None for the MSE ranking without the data."""
    atlas = ready_of(key).atlas
    if ranking == "elbo":
        return atlas.neg_elbo_nats
    if ranking == "recon":
        return atlas.recon_nats
    if ranking == "kl":
        return atlas.kl_nats
    errors = recon_errors(key, compute)
    return None if errors is None else errors[0]


@st.cache_resource(show_spinner=False, max_entries=32)
def ink_bias(key: ModelKey, root: str) -> float | None:
    """Correlation between ink and −ELBO over the test set (the score's known bias), once per model;
    None without the data."""
    sel = ready_of(key)
    data = test_set(sel.model.config.dataset)
    return None if data is None else ink_correlation(data.images[sel.atlas.test_index], sel.atlas.neg_elbo_nats)


@st.cache_data(show_spinner=False, max_entries=32)
def ranking_table(key: ModelKey, root: str, ranking: str, with_mse: bool) -> bytes:
    """The test set in ranking order as CSV: test index, label or image id, scores (MSE once computed)."""
    sel = ready_of(key)
    atlas = sel.atlas
    data = test_set(sel.model.config.dataset)
    columns: dict = {"test_index": atlas.test_index}
    if data is not None and data.labels is not None:
        columns["label"] = data.labels[atlas.test_index]
    if data is not None and data.image_ids:
        columns["image_id"] = np.asarray(data.image_ids)[atlas.test_index]
    columns |= {"neg_elbo_nats": atlas.neg_elbo_nats, "recon_nats": atlas.recon_nats, "kl_nats": atlas.kl_nats}
    errors = recon_errors(key, compute=False) if with_mse else None
    if errors is not None:
        columns["mse_per_pixel"] = errors[0]
    scores = scores_for(key, ranking, compute=False)
    if scores is None:  # the MSE ranking before its errors are computed: the page offers no table then
        raise ValueError("the MSE ranking needs the reconstruction errors computed first")
    return ranking_csv(rank(scores), columns)


@st.cache_resource(show_spinner=False, max_entries=64)
def anomaly_map(key: ModelKey, projection: str, top: tuple[int, ...], texts: tuple[str, ...], labels: tuple[str, ...]) -> go.Figure:
    """All test points in grey, the `top` rows in red with their labels. Shared read-only."""
    atlas = ready_of(key).atlas
    coords = atlas.coords(projection)
    top_rows = np.asarray(top, dtype=np.int64)
    axis, others, outliers = labels
    fig = go.Figure()
    fig.add_trace(
        go.Scattergl(x=coords[:, 0], y=coords[:, 1], mode="markers", marker=dict(size=3, color="#b0b0b0"), name=others, hoverinfo="skip")
    )
    fig.add_trace(
        go.Scattergl(  # gl like the grey points, so it is drawn above them
            x=coords[top_rows, 0],
            y=coords[top_rows, 1],
            mode="markers+text",
            marker=dict(size=12, color="#d62728", line=dict(width=1.5, color="white")),
            text=list(texts),
            textposition="top center",
            textfont=dict(color="#a01010", size=16),
            hovertext=[f"#{int(atlas.test_index[r])}" for r in top_rows],
            hoverinfo="text",
            name=outliers,
        )
    )
    fig.update_layout(
        height=520, margin=dict(l=10, r=10, t=10, b=10), xaxis_title=f"{axis} 1", yaxis_title=f"{axis} 2", legend=dict(orientation="h")
    )
    return fig


class AnomalyView:
    """The page's panels for one model and ranking (`scores`: one per atlas row)."""

    def __init__(self, sel: Ready, data: TestSet | None, ranking: str, scores: np.ndarray):
        self.sel, self.data, self.ranking, self.scores = sel, data, ranking, scores
        self.atlas, self.model, self.name = sel.atlas, sel.model, sel.name

    def label(self, row: int) -> str | None:
        """The digit (MNIST, with the data), else None."""
        data = self.data
        return widgets.label_of(data, int(self.atlas.test_index[row])) if data is not None and data.labels is not None else None

    def describe(self, row: int) -> str:
        """'#index · digit' or '#index'."""
        index, digit = int(self.atlas.test_index[row]), self.label(row)
        return f"#{index} · {digit}" if digit is not None else f"#{index}"

    def images(self, rows: np.ndarray) -> np.ndarray:
        """The originals (with the data) or their decodings."""
        if self.data is not None:
            return self.data.images[self.atlas.test_index[rows]]
        return decode(self.model, self.atlas.mean[rows])

    def grid(self, rows: np.ndarray) -> None:
        size = 112 if self.model.config.dataset == "mnist" else 128
        for start in range(0, len(rows), PER_ROW):
            chunk = rows[start : start + PER_ROW]
            for pos, (col, row, image) in enumerate(zip(st.columns(PER_ROW), chunk, self.images(chunk)), start + 1):
                caption = t("an.cell", pos=pos, image=self.describe(row), score=fmt(self.scores[row], self.ranking))
                col.image(widgets.inline(widgets.enlarge(image, size)), caption=caption, width="stretch")

    def detail(self, top: np.ndarray, bottom: np.ndarray) -> None:
        """Pick one of the shown images: original, reconstruction, error heatmap and its scores."""
        atlas, scores, ranking = self.atlas, self.scores, self.ranking
        options = [int(r) for r in top] + [int(r) for r in bottom]
        state.from_query("an_pick", options[0], state.parse_int(0, len(atlas.test_index) - 1))
        if st.session_state["an_pick"] not in options:
            st.session_state["an_pick"] = options[0]
        place = {r: (t("an.most", pos=i + 1) if i < len(top) else t("an.least", pos=i - len(top) + 1)) for i, r in enumerate(options)}

        def option(r: int) -> str:
            return f"{place[r]} · {self.describe(r)} · {fmt(scores[r], ranking)}"

        row = st.selectbox(t("an.pick"), options, format_func=option, key="an_pick")
        state.to_query("an_pick")
        recon = decode(self.model, atlas.mean[row])[0]
        cols = st.columns([1, 1, 1.4])
        if self.data is not None:
            original = self.data.images[atlas.test_index[row]]
            cols[0].image(widgets.inline(widgets.enlarge(original, 224)), caption=t("an.original"), width="stretch")
            cols[1].image(widgets.inline(widgets.enlarge(recon, 224)), caption=t("an.reconstruction"), width="stretch")
            with cols[2]:
                st.plotly_chart(
                    widgets.presented(error_figure(error_map(original, recon))), key=f"an_err_{self.name}_{row}", width="stretch"
                )
        else:
            cols[0].image(widgets.inline(widgets.enlarge(recon, 224)), caption=t("an.reconstruction"), width="stretch")
            cols[1].caption(t("an.no_error_map"))
        m = st.columns(5)
        m[0].metric(t("an.metric.score", ranking=t(f"an.rank.{ranking}")), fmt(scores[row], ranking))
        m[1].metric(t("an.metric.percentile"), pct_text(percentile(scores[row], scores)), help=t("an.percentile_help"))
        m[2].metric(t("an.metric.elbo"), nats(atlas.neg_elbo_nats[row]))
        m[3].metric(t("an.metric.recon"), nats(atlas.recon_nats[row]))
        m[4].metric(t("an.metric.kl"), nats(atlas.kl_nats[row]))

    def outlier_map(self, top: np.ndarray) -> None:
        projections = placement.projections(self.model.config.latent_dim)
        state.from_query("an_proj", projections[0], state.parse_choice(list(placement.ALL_PROJECTIONS)))
        if st.session_state["an_proj"] not in projections:
            st.session_state["an_proj"] = projections[0]
        st.segmented_control(t("an.projection"), projections, format_func=lambda p: t(f"map.proj.{p}"), key="an_proj", required=True)
        state.to_query("an_proj")
        projection = st.session_state["an_proj"]
        texts = tuple(self.label(int(r)) or f"#{int(self.atlas.test_index[r])}" for r in top)
        labels = (t(f"map.axis.{projection}"), t("an.map.others"), t("an.map.outliers", n=len(top)))
        fig = anomaly_map(model_key(self.name), projection, tuple(int(r) for r in top), texts, labels)
        st.plotly_chart(widgets.presented(fig), key=f"an_map_{self.name}_{projection}", width="stretch")

    def download_csv(self) -> None:
        key = model_key(self.name)
        errors = recon_errors(key, compute=False)
        table = functools.partial(ranking_table, key, str(data_root()), self.ranking, errors is not None)
        widgets.download(t("an.download_csv"), table, f"{self.name}-anomalies-{self.ranking}.csv", key="an_csv")
        if errors is None and self.data is not None:
            st.caption(t("an.csv_mse_note"))


def upload_panel(sel: Ready) -> None:
    """Score an uploaded image with the atlas's estimate and place it among the test set; a blank page
    is scored too (it is the clearest anomaly there is)."""
    dataset = sel.model.config.dataset
    st.subheader(t("an.upload.title"))
    st.caption(t(f"an.upload.help.{dataset}"))
    # No `type=` filter: a wrongly named file would raise in Streamlit itself; load_user_image explains instead.
    file = st.file_uploader(t("an.upload.label"), key="an_upload")
    invert = input_widgets.invert_choice("an_invert") if dataset == "mnist" else None
    if file is None:
        return
    try:
        image = np.array(load_user_image(file.getvalue(), dataset, invert=invert, allow_blank=True))  # writable for torch
    except InputImageError as err:
        st.error(t("an.upload.error", error=error_text(err)))
        return
    user = encode_image(sel.model, image)  # the atlas's fixed-seed estimate, like image_scores
    reading = read_upload(sel.atlas, user.neg_elbo_nats, user.recon_nats, user.kl_nats, user.logvar)
    cols = st.columns([1, 1, 1.4])
    cols[0].image(widgets.inline(widgets.enlarge(image, 224)), caption=t("an.upload.prepared"), width="stretch")
    cols[1].image(widgets.inline(widgets.enlarge(user.reconstruction, 224)), caption=t("an.reconstruction"), width="stretch")
    with cols[2]:
        st.plotly_chart(widgets.presented(error_figure(error_map(image, user.reconstruction))), key="an_upload_err", width="stretch")
    pct = reading.neg_elbo.percentile
    m = st.columns(4)
    m[0].metric(t("an.upload.elbo"), input_widgets.shown_score(reading.neg_elbo, nats))
    m[1].metric(t("an.upload.percentile"), pct_text(pct), help=t("an.percentile_help"))
    m[2].metric(t("an.metric.recon"), input_widgets.shown_score(reading.recon, nats))
    m[3].metric(t("an.metric.kl"), input_widgets.shown_score(reading.kl, nats))
    if reading.neg_elbo.beyond_test_set:
        st.markdown(t("an.upload.verdict_beyond", largest=nats(reading.neg_elbo.largest_test_nats)))
    else:
        st.markdown(t("an.upload.verdict", pct=math.floor(pct * 10) / 10))
    input_widgets.score_notes(reading, nats)
