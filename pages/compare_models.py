"""Compare models: every model of the current dataset side by side — test metrics from the cards,
the same eight test images reconstructed by each, and prior samples from the same seed."""

import pandas as pd
import streamlit as st

from ui.app import DATASETS, ensure_entry
from ui.components import widgets
from ui.components.zoo_figures import prior_images, reconstructions
from ui.shell import state
from ui.shell.i18n import number, t
from ui.shell.resources import model_key, test_set, test_set_error, zoo
from ui.views import linked_maps
from vae.analysis.compare import COMPARE_IMAGES, dataset_entries, fixed_test_indices, metrics_row
from vae.data.datasets import data_root

ensure_entry()

MAX_SEED = 9999

dataset = st.session_state.get("dataset", "mnist")
entries = dataset_entries(zoo(), dataset)
data = test_set(dataset)

st.title(t("compare.title"))
st.caption(t("compare.intro", dataset=DATASETS.get(dataset, dataset)))
if not entries:
    st.info(t("compare.no_models"))
    st.stop()
state.from_query("cmp_part", "overview", state.parse_choice(["overview", "linked"]))
st.segmented_control(t("compare.part"), ["overview", "linked"], format_func=lambda p: t(f"compare.part.{p}"), key="cmp_part", required=True)
state.to_query("cmp_part")


def metrics_table() -> None:
    """Every model's test metrics from its card, by column group."""
    # ---- metrics table ------------------------------------------------------------------------------
    COLUMNS = {
        "model": t("compare.col.model"),
        "latent_dim": t("compare.col.latent_dim"),
        "beta": "β",
        "recon_nats": t("compare.col.recon"),
        "kl_nats": t("compare.col.kl"),
        "neg_elbo_nats": t("compare.col.neg_elbo"),
        "neg_elbo_bits_per_dim": t("compare.col.bits"),
        "iw_images_neg_elbo_nats": t("compare.col.iw_elbo"),
        "iw_bound_nats": t("compare.col.iw"),
        "psnr_db": t("compare.col.psnr"),
        "active_units": t("compare.col.active"),
        "fd_recon": t("compare.col.fd_recon"),
        "fd_prior": t("compare.col.fd_prior"),
        "fd_learned": t("compare.col.fd_learned"),
        "gap_closed": t("compare.col.gap_closed"),
        "parameter_count": t("compare.col.params"),
        "epochs": t("compare.col.epochs"),
        "training_minutes": t("compare.col.minutes"),
        "status": t("compare.col.status"),
    }
    if dataset != "mnist":  # the importance-weighted bound is computed for MNIST only
        COLUMNS.pop("iw_bound_nats")
        COLUMNS.pop("iw_images_neg_elbo_nats")
    else:  # Bernoulli on grey levels is not a normalised likelihood: no bits/dim (see the convention note)
        COLUMNS.pop("neg_elbo_bits_per_dim")
    rows = []
    for e in entries:
        row = metrics_row(e)
        row["status"] = t("compare.status.ready") if row.pop("error") is None else t("compare.status.unavailable", error=e.error)
        rows.append({label: row[key] for key, label in COLUMNS.items()})
    # Numbers written by the language's rules (Babel: decimal comma and thin-space thousands in French)
    # through a Styler, so the table still sorts on the values. Column groups keep it within a 1280-px
    # projector: the test-set bound, sample quality, or the training record, beside model, z and β.
    SPECS = {"beta": "g", "recon_nats": ".1f", "kl_nats": ".1f", "neg_elbo_nats": ".1f", "iw_bound_nats": ".1f", "psnr_db": ".2f"}
    SPECS |= {"neg_elbo_bits_per_dim": ".3f", "iw_images_neg_elbo_nats": ".1f", "latent_dim": ".0f", "active_units": ".0f"}
    SPECS |= {"parameter_count": ".0f", "epochs": ".0f", "training_minutes": ".1f"}
    SPECS |= {"fd_recon": ".1f", "fd_prior": ".1f", "fd_learned": ".1f", "gap_closed": ".0%"}
    GROUPS = {
        "bound": ("recon_nats", "kl_nats", "neg_elbo_nats", "neg_elbo_bits_per_dim", "iw_images_neg_elbo_nats", "iw_bound_nats"),
        "quality": ("psnr_db", "fd_recon", "fd_prior", "fd_learned", "gap_closed"),
        "training": ("active_units", "parameter_count", "epochs", "training_minutes", "status"),
    }
    helps = {"iw_bound_nats": t("compare.col.iw_help"), "active_units": t("compare.col.active_help")}
    helps |= {k: t("compare.col.fd_help") for k in ("fd_recon", "fd_prior", "fd_learned")} | {"gap_closed": t("compare.col.gap_help")}
    helps |= {"neg_elbo_bits_per_dim": t("compare.col.bits_help"), "iw_images_neg_elbo_nats": t("compare.col.iw_elbo_help")}
    table = pd.DataFrame(rows, columns=list(COLUMNS.values()))
    for key, label in COLUMNS.items():
        if key not in ("model", "status"):  # numbers, with gaps where a card lacks them, sort as numbers
            table[label] = pd.to_numeric(table[label])
    st.subheader(t("compare.table.title"))
    state.from_query("cmp_group", "bound", state.parse_choice(GROUPS))
    st.segmented_control(t("compare.group"), list(GROUPS), format_func=lambda g: t(f"compare.group.{g}"), key="cmp_group", required=True)
    state.to_query("cmp_group")
    shown = ["model", "latent_dim", "beta", *(key for key in GROUPS[st.session_state["cmp_group"]] if key in COLUMNS)]
    view = table[[COLUMNS[key] for key in shown]]
    styled = view.style.format(
        {COLUMNS[key]: (lambda v, spec=SPECS[key]: "—" if pd.isna(v) else number(v, spec)) for key in shown if key in SPECS}
    )
    config = {COLUMNS[key]: st.column_config.Column(help=helps[key]) for key in shown if key in helps}
    config[COLUMNS["model"]] = st.column_config.TextColumn(pinned=True)
    st.dataframe(styled, hide_index=True, width="stretch", key="cmp_table", column_config=config)
    st.caption(t("compare.table.help"))
    st.caption(t(f"likelihood.{dataset}"))


@st.fragment
def images() -> None:
    seed_param = state.bound("cmp_seed", 0, state.parse_int(0, MAX_SEED))
    st.columns([1, 3])[0].number_input(t("compare.seed"), 0, MAX_SEED, step=1, help=t("compare.seed_help"), **seed_param)
    seed = int(st.session_state["cmp_seed"])
    scale = 2 if dataset == "mnist" else 1

    st.subheader(t("compare.recon.title"))
    if data is None:
        st.info(t("compare.recon.no_data", error=test_set_error(dataset) or ""))
    else:
        index = fixed_test_indices(data.labels, len(data.images), COMPARE_IMAGES, seed)
        # digit labels are short; CelebA file names would widen the caption, and the image with it
        names = " · ".join(widgets.label_of(data, i) for i in index) if data.labels is not None else " ".join(f"#{i}" for i in index)
        st.image(
            widgets.inline(widgets.tile(data.images[index], COMPARE_IMAGES, scale=scale)),
            caption=t("compare.recon.originals", images=names),
        )
        for e in entries:
            _row(e.name, e, reconstructions(model_key(e.name), str(data_root()), dataset, seed) if e.available else e.error, scale)
        st.caption(t("compare.recon.help"))

    st.subheader(t("compare.samples.title"))
    for e in entries:
        _row(e.name, e, prior_images(model_key(e.name), seed) if e.available else e.error, scale)
    st.caption(t("compare.samples.help", n=COMPARE_IMAGES, seed=seed))


def _row(name: str, entry, images, scale: int) -> None:
    """One model's strip of images, or why it has none."""
    if isinstance(images, str) or images is None:
        st.warning(t("compare.unavailable_row", name=name, error=images or "?"), icon=":material/error:")
        return
    c = entry.config
    st.image(
        widgets.inline(widgets.tile(images, COMPARE_IMAGES, scale=scale)), caption=f"{name} · z = {c.latent_dim} · β = {number(c.beta)}"
    )


if st.session_state["cmp_part"] == "linked":  # two models' maps side by side, aligned and linked (ui.views.linked_maps)
    linked_maps.section(dataset, entries, "label" if dataset == "mnist" and data is not None else "none")
else:
    metrics_table()
    images()
