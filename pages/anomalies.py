"""Anomalies: the test images the model finds least (and most) typical, ranked by −ELBO, reconstruction
error or KL; a chosen one's error map; where the outliers sit on the latent map; scoring an upload."""

from ui.app import ensure_entry

ensure_entry()

import functools  # noqa: E402
import math  # noqa: E402
import threading  # noqa: E402

import numpy as np  # noqa: E402
import plotly.colors as pc  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import streamlit as st  # noqa: E402

from ui import input_widgets, state, widgets  # noqa: E402
from ui.app import current  # noqa: E402
from ui.i18n import t  # noqa: E402
from ui.resources import loaded, models_dir, test_set, test_set_error  # noqa: E402
from vae.anomaly import error_map, ink_correlation, percentile, rank, ranking_csv, read_upload, reconstruction_errors  # noqa: E402
from vae.data import data_root  # noqa: E402
from vae.inputs import InputImageError, load_user_image  # noqa: E402
from vae.latent import decode  # noqa: E402
from vae.placement import encode_image  # noqa: E402

RANKINGS = ["elbo", "mse", "recon", "kl"]
PER_ROW = 6
# Inferno, but black at 0: Streamlit's plotly template uses colours #000001–#0000ff as theme
# placeholders that the browser swaps for theme colours, and Inferno starts at #000004.
ERROR_COLOURS = [[i / 9, "#000000" if i == 0 else c] for i, c in enumerate(pc.sequential.Inferno)]

sel = current()
atlas, model, name = sel.atlas, sel.model, sel.name
dataset = model.config.dataset
data = test_set(dataset)
st.title(t("an.title"))
st.caption(t("an.intro"))
with st.expander(t("an.bias.title"), icon=":material/info:"):
    st.markdown(t("an.bias.measures"))
    if model.config.likelihood == "bernoulli":
        st.markdown(t("an.bias.bernoulli"))
        if data is not None:
            st.markdown(t("an.bias.ink", r=ink_correlation(data.images[atlas.test_index], atlas.neg_elbo_nats)))
if data is None:
    st.info(t("common.no_data", error=test_set_error(dataset) or ""))


@st.cache_resource(show_spinner=False)
def _error_store() -> tuple[threading.Lock, dict]:
    """Process-wide reconstruction errors per (models dir, data root, model): computed once, on demand."""
    return threading.Lock(), {}


def recon_errors(compute: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """(MSE per pixel, recon nats at μ) for every atlas row, or None without the data (or not yet computed)."""
    lock, store = _error_store()
    key = (str(models_dir()), str(data_root()), name)
    if key not in store and compute and data is not None:
        with lock, st.spinner(t("an.computing", n=len(atlas.test_index))):
            if key not in store:
                mse, nats = reconstruction_errors(model, data.images[atlas.test_index])
                mse.setflags(write=False)
                nats.setflags(write=False)
                store[key] = (mse, nats)
    return store.get(key)


def scores_for(ranking: str) -> np.ndarray | None:
    if ranking == "elbo":
        return atlas.neg_elbo_nats
    if ranking == "recon":
        return atlas.recon_nats
    if ranking == "kl":
        return atlas.kl_nats
    errors = recon_errors(compute=True)
    return None if errors is None else errors[0]


def nats(value: float) -> str:
    return t("an.score.nats", v=value)


def fmt(value: float, ranking: str) -> str:
    return t("an.score.mse", v=value) if ranking == "mse" else t("an.score.nats", v=value)


def pct_text(pct: float) -> str:
    """Rounded down to 0.1, so only a score above every test image reads 100 %."""
    return f"{math.floor(pct * 10) / 10:.1f} %"


def label(row: int) -> str | None:
    """The digit (MNIST, with the data), else None."""
    return widgets.label_of(data, int(atlas.test_index[row])) if data is not None and data.labels is not None else None


def describe(row: int) -> str:
    """'#index · digit' or '#index'."""
    index, digit = int(atlas.test_index[row]), label(row)
    return f"#{index} · {digit}" if digit is not None else f"#{index}"


def original_or_decoded(rows: np.ndarray) -> np.ndarray:
    if data is not None:
        return data.images[atlas.test_index[rows]]
    return decode(model, atlas.mean[rows])


state.from_query("an_rank", "elbo", state.parse_choice(RANKINGS))
state.from_query("an_n", 12, lambda raw: state.parse_int(4, 24)(raw) // 2 * 2)  # on the slider's steps
c1, c2 = st.columns([3, 2])
c1.segmented_control(t("an.ranking"), RANKINGS, format_func=lambda r: t(f"an.rank.{r}"), key="an_rank", required=True)
c2.slider(t("an.n"), 4, 24, step=2, key="an_n")
state.to_query("an_rank", "an_n")
ranking, n = st.session_state["an_rank"], st.session_state["an_n"]
st.caption(t(f"an.rank_help.{ranking}"))
scores = scores_for(ranking)


def show_grid(rows: np.ndarray, positions: list[int]) -> None:
    images = original_or_decoded(rows)
    size = 112 if dataset == "mnist" else 128
    for start in range(0, len(rows), PER_ROW):
        cols = st.columns(PER_ROW)
        for col, row, pos, image in zip(cols, rows[start : start + PER_ROW], positions[start:], images[start:]):
            caption = t("an.cell", pos=pos, image=describe(row), score=fmt(scores[row], ranking))
            col.image(widgets.inline(widgets.enlarge(image, size)), caption=caption, width="stretch")


def error_figure(err: np.ndarray) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=err, colorscale=ERROR_COLOURS, zmin=0.0, zmax=max(float(err.max()), 0.05), colorbar=dict(thickness=12)))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_layout(height=300, margin=dict(l=0, r=0, t=30, b=0), title=dict(text=t("an.error_map"), font=dict(size=14)))
    return fig


@st.cache_data(show_spinner=False, max_entries=32)
def ranking_table(models_path: str, root: str, model_name: str, ranking: str, with_mse: bool) -> bytes:
    """The test set in ranking order as CSV: test index, label or image id, scores (MSE once computed)."""
    columns: dict = {"test_index": atlas.test_index}
    if data is not None and data.labels is not None:
        columns["label"] = data.labels[atlas.test_index]
    if data is not None and data.image_ids:
        columns["image_id"] = np.asarray(data.image_ids)[atlas.test_index]
    columns |= {"neg_elbo_nats": atlas.neg_elbo_nats, "recon_nats": atlas.recon_nats, "kl_nats": atlas.kl_nats}
    errors = recon_errors(compute=False) if with_mse else None
    if errors is not None:
        columns["mse_per_pixel"] = errors[0]
    return ranking_csv(rank(scores_for(ranking)), columns)


@st.fragment
def detail(top: np.ndarray, bottom: np.ndarray) -> None:
    """Pick one of the shown images: original, reconstruction, error heatmap and its scores."""
    options = [int(r) for r in top] + [int(r) for r in bottom]
    state.from_query("an_pick", options[0], state.parse_int(0, len(atlas.test_index) - 1))
    if st.session_state["an_pick"] not in options:
        st.session_state["an_pick"] = options[0]
    place = {r: (t("an.most", pos=i + 1) if i < len(top) else t("an.least", pos=i - len(top) + 1)) for i, r in enumerate(options)}
    row = st.selectbox(
        t("an.pick"),
        options,
        format_func=lambda r: f"{place[r]} · {describe(r)} · {fmt(scores[r], ranking)}",
        key="an_pick",
    )
    state.to_query("an_pick")
    recon = decode(model, atlas.mean[row])[0]
    cols = st.columns([1, 1, 1.4])
    if data is not None:
        original = data.images[atlas.test_index[row]]
        cols[0].image(widgets.inline(widgets.enlarge(original, 224)), caption=t("an.original"), width="stretch")
        cols[1].image(widgets.inline(widgets.enlarge(recon, 224)), caption=t("an.reconstruction"), width="stretch")
        with cols[2]:
            st.plotly_chart(error_figure(error_map(original, recon)), key=f"an_err_{name}_{row}", width="stretch")
    else:
        cols[0].image(widgets.inline(widgets.enlarge(recon, 224)), caption=t("an.reconstruction"), width="stretch")
        cols[1].caption(t("an.no_error_map"))
    m = st.columns(5)
    m[0].metric(t("an.metric.score", ranking=t(f"an.rank.{ranking}")), fmt(scores[row], ranking))
    m[1].metric(t("an.metric.percentile"), pct_text(percentile(scores[row], scores)), help=t("an.percentile_help"))
    m[2].metric(t("an.metric.elbo"), t("an.score.nats", v=atlas.neg_elbo_nats[row]))
    m[3].metric(t("an.metric.recon"), t("an.score.nats", v=atlas.recon_nats[row]))
    m[4].metric(t("an.metric.kl"), t("an.score.nats", v=atlas.kl_nats[row]))


@st.cache_resource(show_spinner=False, max_entries=64)
def anomaly_map(
    models_path: str, model_name: str, projection: str, top: tuple[int, ...], texts: tuple[str, ...], labels: tuple[str, ...]
) -> go.Figure:
    """All test points in grey, the `top` rows in red with their labels. Shared read-only."""
    atlas = loaded(model_name).atlas
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


@st.fragment
def latent_map(top: np.ndarray) -> None:
    projections = (["raw"] if model.config.latent_dim == 2 else []) + ["pca", "tsne"]
    state.from_query("an_proj", projections[0], state.parse_choice(["raw", "pca", "tsne"]))
    if st.session_state["an_proj"] not in projections:
        st.session_state["an_proj"] = projections[0]
    st.segmented_control(t("an.projection"), projections, format_func=lambda p: t(f"map.proj.{p}"), key="an_proj", required=True)
    state.to_query("an_proj")
    projection = st.session_state["an_proj"]
    texts = tuple(label(int(r)) or f"#{int(atlas.test_index[r])}" for r in top)
    labels = (t(f"map.axis.{projection}"), t("an.map.others"), t("an.map.outliers", n=len(top)))
    fig = anomaly_map(str(models_dir()), name, projection, tuple(int(r) for r in top), texts, labels)
    st.plotly_chart(fig, key=f"an_map_{name}_{projection}", width="stretch")


@st.fragment
def upload() -> None:
    """Score an uploaded image with the atlas's estimate and place it among the test set."""
    st.subheader(t("an.upload.title"))
    st.caption(t(f"an.upload.help.{dataset}"))
    # No `type=` filter: a wrongly named file would raise in Streamlit itself; load_user_image explains instead.
    file = st.file_uploader(t("an.upload.label"), key="an_upload")
    invert = input_widgets.invert_choice("an_invert") if dataset == "mnist" else None
    if file is None:
        return
    try:  # a blank page is scored too: it is the clearest anomaly there is
        image = np.array(load_user_image(file.getvalue(), dataset, invert=invert, allow_blank=True))  # writable for torch
    except InputImageError as err:
        st.error(t("an.upload.error", error=str(err)))
        return
    user = encode_image(model, image)  # the atlas's fixed-seed estimate, like image_scores
    reading = read_upload(atlas, user.neg_elbo_nats, user.recon_nats, user.kl_nats, user.logvar)
    reconstruction = user.reconstruction
    cols = st.columns([1, 1, 1.4])
    cols[0].image(widgets.inline(widgets.enlarge(image, 224)), caption=t("an.upload.prepared"), width="stretch")
    cols[1].image(widgets.inline(widgets.enlarge(reconstruction, 224)), caption=t("an.reconstruction"), width="stretch")
    with cols[2]:
        st.plotly_chart(error_figure(error_map(image, reconstruction)), key="an_upload_err", width="stretch")
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


def download_csv() -> None:
    errors = recon_errors(compute=False)
    st.download_button(
        t("an.download_csv"),
        functools.partial(ranking_table, str(models_dir()), str(data_root()), name, ranking, errors is not None),  # built on click
        file_name=f"{name}-anomalies-{ranking}.csv",
        mime="text/csv",
        key="an_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    if errors is None and data is not None:
        st.caption(t("an.csv_mse_note"))


if scores is None:  # the MSE ranking without the test images
    st.info(t("an.mse_needs_data"))
else:
    order = rank(scores)
    top, bottom = order[:n], order[::-1][:n]
    st.subheader(t("an.top", n=n))
    if data is None:
        st.caption(t("an.decoded_note"))
    show_grid(top, list(range(1, n + 1)))
    st.subheader(t("an.bottom", n=n))
    show_grid(bottom, list(range(1, n + 1)))
    download_csv()
    st.subheader(t("an.detail"))
    detail(top, bottom)
    if dataset == "mnist":
        st.subheader(t("an.map.title"))
        st.caption(t("an.map.help"))
        latent_map(top)

upload()
