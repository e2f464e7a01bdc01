"""Several models' latent maps side by side on one scale: the encoded test set coloured by digit, the
prior's 1σ and 2σ circles, and where draws from N(0, I) land (grey: among the codes; red: in a hole,
vae.analysis.aggregate). Lesson step 1 (autoencoder vs VAE) and the β view of the KL vs reconstruction page
are this figure; the β view's section is here too, so the page only calls it, and so is the note
every page shows on an autoencoder (β = 0).

Maps are raw (z₁, z₂) for 2-D codes, else each model's own PCA plane (the prior projects onto it as
N(·, I₂), centred where the origin projects)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots
from streamlit.delta_generator import DeltaGenerator

from ui.components import widgets
from ui.components.figures import DIGIT_COLOURS
from ui.shell import state
from ui.shell.i18n import number, numbers_listed, t
from ui.shell.resources import ModelKey, model_key, ready_of, test_set, zoo
from vae.analysis.aggregate import PRIOR_DRAWS, RADII, PriorMatch, map_extent, prior_draws_in_holes, prior_match, share_outside
from vae.analysis.zoo import ModelWithCard, ZooEntry, beta_family
from vae.artifacts.atlas import Atlas
from vae.core.config import VAEConfig
from vae.core.latent import prior_samples

COURSE_FAMILY = "mnist-dense-z2"  # the β view opens on the β family of the course's dense 2-D VAE
MIN_FAMILY = 3  # fewer members than this: not worth a β view
SHOWN_DRAWS = 400  # prior draws drawn on each map (the hole share is measured on PRIOR_DRAWS)
NEAR_COLOUR, HOLE_COLOUR = "#555555", "#d62728"


@dataclass(frozen=True)
class Panel:
    """One map of the figure: the model (cache key) and its title (may hold <br>)."""

    key: ModelKey
    title: str


def _map_coords(atlas: Atlas, codes: np.ndarray) -> np.ndarray:
    """(N, D) codes → (N, 2) map coordinates: the codes themselves in 2-D, else the model's PCA plane."""
    return np.asarray(codes, np.float64) if atlas.mean.shape[1] == 2 else atlas.pca.transform(codes)


@st.cache_resource(show_spinner=False, max_entries=16)
def panels_figure(
    panels: tuple[Panel, ...], columns: int, halves: tuple[float, ...], *, draws: bool, has_data: bool, labels: tuple[str, ...]
) -> go.Figure:
    """The maps of `panels` in a grid of `columns`, panel i square on [−halves[i], halves[i]]² (one
    value for all: one scale, so sizes and distances compare across maps; see panel_halves).
    labels: axis name of raw maps, of PCA maps, the circles, draws among codes, draws in holes, codes
    (the legend entry without the data's labels). Shared read-only."""
    raw_axis, pca_axis, circle_label, near_label, hole_label, codes_label = labels
    rows = -(-len(panels) // columns)
    fig = make_subplots(rows, columns, subplot_titles=[p.title for p in panels], horizontal_spacing=0.05, vertical_spacing=0.16)
    atlases = [ready_of(p.key).atlas for p in panels]
    data = test_set("mnist") if has_data else None
    digits = data.labels if data is not None else None
    in_legend: set[str] = set()  # the draws' legend entries, each shown once (a map may have no hole)
    for i, (atlas, half) in enumerate(zip(atlases, halves)):
        row, col, first = i // columns + 1, i % columns + 1, i == 0
        for trace in _code_traces(atlas, digits, codes_label, first) + _circle_traces(atlas, circle_label, first):
            fig.add_trace(trace, row=row, col=col)
        for group, trace in _draw_traces(atlas, near_label, hole_label) if draws else []:
            fig.add_trace(trace.update(showlegend=group not in in_legend, hoverinfo="skip"), row=row, col=col)
            in_legend.add(group)
        axis = raw_axis if atlas.mean.shape[1] == 2 else pca_axis
        anchor = "x" if i == 0 else f"x{i + 1}"
        fig.update_xaxes(range=[-half, half], title_text=f"{axis}1", zeroline=False, row=row, col=col)
        fig.update_yaxes(range=[-half, half], title_text=f"{axis}2", zeroline=False, scaleanchor=anchor, row=row, col=col)
    fig.update_annotations(font_size=13)
    fig.update_layout(
        height=70 + 360 * rows,
        margin=dict(l=10, r=10, t=60, b=10),
        # beside the maps, not above them: a legend above took a height in px that its font decides, and at a
        # projector's font size it came down over the maps' titles
        legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top", itemsizing="constant"),
    )
    return fig


def _code_traces(atlas: Atlas, digits: np.ndarray | None, codes_label: str, first: bool) -> list[go.Scattergl]:
    """The encoded test set on one map: one trace per digit when the data's labels are at hand
    (`digits`, the test set's), else one of all codes. Only the first map's enter the legend."""
    xy = _map_coords(atlas, atlas.mean)
    if digits is None:
        marker = dict(size=3, color="#3b6ea8", opacity=0.45)
        trace = go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", marker=marker, name=codes_label, legendgroup="codes", showlegend=first)
        return [trace.update(hoverinfo="skip")]
    labels_of_rows = digits[atlas.test_index]
    traces = []
    for digit in range(10):
        m = labels_of_rows == digit
        marker = dict(size=3, color=DIGIT_COLOURS[digit], opacity=0.5)
        trace = go.Scattergl(
            x=xy[m, 0], y=xy[m, 1], mode="markers", marker=marker, name=str(digit), legendgroup=str(digit), showlegend=first
        )
        traces.append(trace.update(hoverinfo="name"))
    return traces


def _circle_traces(atlas: Atlas, circle_label: str, first: bool) -> list[go.Scatter]:
    """The prior's circles of RADII on one map, centred where the origin projects."""
    theta = np.linspace(0, 2 * np.pi, 121)
    cx, cy = _map_coords(atlas, np.zeros((1, atlas.mean.shape[1])))[0]
    traces = []
    for r in RADII:
        line = dict(color="black", width=1.5, dash="solid" if r == RADII[0] else "dash")
        circle = go.Scatter(
            x=cx + r * np.cos(theta), y=cy + r * np.sin(theta), mode="lines", line=line, name=circle_label, legendgroup="circles"
        )
        traces.append(circle.update(showlegend=first and r == RADII[0], hoverinfo="skip"))
    return traces


def _draw_traces(atlas: Atlas, near_label: str, hole_label: str) -> list[tuple[str, go.Scatter]]:
    """SHOWN_DRAWS prior draws on one map as (legend group, trace): among the codes ("near") and in a
    hole ("hole"). Holes are measured in 2-D; beyond, the draws are shown projected, unclassified."""
    dim = atlas.mean.shape[1]
    z, in_hole = prior_draws_in_holes(atlas, SHOWN_DRAWS, seed=0) if dim == 2 else (prior_samples(dim, SHOWN_DRAWS, 0), None)
    zxy = _map_coords(atlas, z)
    in_hole = np.zeros(len(z), bool) if in_hole is None else in_hole
    traces = []
    for mask, colour, name, group in ((~in_hole, NEAR_COLOUR, near_label, "near"), (in_hole, HOLE_COLOUR, hole_label, "hole")):
        if mask.any():
            marker = dict(size=6, color=colour, symbol="x-thin", line=dict(width=1.5, color=colour))
            trace = go.Scatter(x=zxy[mask, 0], y=zxy[mask, 1], mode="markers", marker=marker, name=name, legendgroup=group)
            traces.append((group, trace))
    return traces


SCALES = ("all", "vae", "own")  # one scale fitted to every map; one fitted to the VAEs' maps; each its own


def map_of(key: ModelKey) -> np.ndarray:
    """The (N, 2) map of a model's test codes (raw in 2-D, else its PCA plane)."""
    atlas = ready_of(key).atlas
    return _map_coords(atlas, atlas.mean)


def panel_halves(entries: list[ModelWithCard], scale: str) -> tuple[float, ...]:
    """Half-widths of the panels' boxes (vae.analysis.aggregate.map_extent): "all", one fitted to every map;
    "vae", one fitted to the maps of the VAEs (an autoencoder's codes may fall outside: share_outside);
    "own", each map its own."""
    maps = [map_of(model_key(e.name)) for e in entries]
    if scale == "own":
        return tuple(map_extent([m]) for m in maps)
    fitted = [m for m, e in zip(maps, entries) if scale == "all" or not e.config.is_autoencoder] or maps
    return (map_extent(fitted),) * len(maps)


def scale_control(key: str, default: str, where: DeltaGenerator | None = None) -> str:
    """The maps' scale (SCALES), a segmented control whose value, not its translated label, is in the URL."""
    state.from_query(key, default, state.parse_choice(SCALES))
    (where or st).segmented_control(t("cm.scale"), SCALES, format_func=lambda s: t(f"cm.scale.{s}"), key=key, required=True)
    state.to_query(key)
    return st.session_state[key]


def spill_caption(entries: list[ModelWithCard], halves: tuple[float, ...]) -> None:
    """Under a scale that leaves out more than 1 % of an autoencoder's codes (fitted to the VAEs):
    how many lie outside, and how far they reach."""
    for e, half in zip(entries, halves):
        share = share_outside(map_of(model_key(e.name)), half)
        if e.config.is_autoencoder and share > 0.01:
            reach = float(np.abs(map_of(model_key(e.name))).max())
            st.caption(t("cm.spill", name=e.name, share=share, reach=reach))


@st.cache_resource(show_spinner=False, max_entries=32)
def prior_match_of(key: ModelKey) -> PriorMatch:
    """vae.analysis.aggregate.prior_match of a model's atlas, computed once per model version."""
    return prior_match(ready_of(key).atlas)


def autoencoder_note(config: VAEConfig) -> None:
    """On an autoencoder (β = 0): say that it has no KL term and no prior to sample from."""
    if config.is_autoencoder:
        st.info(t("cm.ae_note"), icon=":material/info:")


def panel_title(entry: ModelWithCard) -> str:
    """β and the card's test-set KL and reconstruction (nats per image); an autoencoder says it has no KL term."""
    test = entry.card.test
    if entry.config.is_autoencoder:
        return t("cm.panel.ae", recon=test.recon_nats)
    return t("cm.panel.vae", beta=entry.config.beta, kl=test.kl_nats, recon=test.recon_nats)


def panel_labels() -> tuple[str, ...]:
    return (
        "z",
        "PC",
        t("cm.legend.circles"),
        t("cm.legend.near", n=SHOWN_DRAWS),
        t("cm.legend.hole"),
        t("cm.legend.codes"),
    )


def families(entries: list[ZooEntry], dataset: str) -> dict[str, list[ModelWithCard]]:
    """The β families of `dataset` with at least MIN_FAMILY members, each under the name of its
    member closest to β = 1 (the family's VAE)."""
    found: dict[str, list[ModelWithCard]] = {}
    seen: set[str] = set()
    for e in entries:
        if e.name in seen or not e.available or e.dataset != dataset or e.card is None:
            continue
        family = [c for m in beta_family(entries, e.name) if (c := m.with_card()) is not None]
        seen.update(m.name for m in family)
        if len(family) >= MIN_FAMILY:
            found[min(family, key=lambda m: (abs(m.config.beta - 1.0), m.name)).name] = family
    return found


def beta_view(dataset: str, current: str) -> None:
    """The β view: one map per member of a β family, the same test set on one scale, each titled with
    β, KL and reconstruction; the family of `current` when it has one, else the course's."""
    st.subheader(t("cm.beta.title"))
    st.markdown(t("cm.beta.intro"))
    found = families(zoo(), dataset)
    if not found:
        st.info(t("cm.beta.none"))
        return
    names = list(found)
    own = next((n for n, members in found.items() if current in {m.name for m in members}), None)
    default = own or (COURSE_FAMILY if COURSE_FAMILY in found else names[0])
    c1, c2, c3 = st.columns([3, 3, 2], vertical_alignment="bottom")
    # labels translated: the URL holds the family's name, not its label (ui.shell.state: from_query/to_query)
    state.from_query("kr_family", default, state.parse_choice(names))
    if st.session_state["kr_family"] not in found:
        st.session_state["kr_family"] = default
    c1.selectbox(t("cm.beta.family"), names, format_func=lambda n: _family_label(found[n]), key="kr_family")
    state.to_query("kr_family")
    scale = scale_control("kr_scale", "vae", c2)
    c3.toggle(t("cm.draws"), help=t("cm.draws_help", n=SHOWN_DRAWS, total=PRIOR_DRAWS), **state.bound("kr_draws", True, state.parse_bool))
    members = found[st.session_state["kr_family"]]
    panels = tuple(Panel(model_key(m.name), panel_title(m)) for m in members)
    halves = panel_halves(members, scale)
    has_data = test_set(dataset) is not None
    columns = 3 if len(panels) > 4 else len(panels)
    fig = panels_figure(panels, columns, halves, draws=bool(st.session_state["kr_draws"]), has_data=has_data, labels=panel_labels())
    st.plotly_chart(widgets.presented(fig), key="kr_beta_chart", width="stretch")
    spill_caption(members, halves)
    holes = [prior_match_of(model_key(m.name)).holes for m in members]
    known = [h for h in holes if h is not None]  # None beyond 2-D
    if len(known) == len(holes):
        betas = " · ".join(f"β = {number(m.config.beta)}: {number(h, '.0%')}" for m, h in zip(members, known))
        st.caption(t("cm.beta.caption", holes=betas, n=PRIOR_DRAWS))
    else:
        st.caption(t("cm.beta.caption_pca"))
    if any(m.config.is_autoencoder for m in members):
        st.caption(t("cm.beta.ae_note"))


def _family_label(members: list[ModelWithCard]) -> str:
    c = members[0].config
    betas = numbers_listed([m.config.beta for m in members])
    return t("cm.beta.family_label", architecture=t(f"cm.arch.{c.architecture}"), d=c.latent_dim, betas=betas)
