"""Home: what the app is, and the model zoo with its test metrics."""

import pandas as pd
import streamlit as st

from ui.app import ensure_entry
from ui.components import widgets
from ui.shell.i18n import number, t
from ui.shell.resources import zoo

ensure_entry()

st.title(t("home.title"))
st.markdown(t("home.intro_presenter" if widgets.presenting() else "home.intro"))
rows = []
for e in zoo():
    rows.append(
        {
            t("compare.col.model"): e.name,
            t("compare.col.dataset"): e.dataset or "?",
            t("compare.col.latent_dim"): e.config.latent_dim if e.config else None,
            "β": e.config.beta if e.config else None,
            t("compare.col.neg_elbo"): e.card.test.neg_elbo_nats if e.card else None,
            t("compare.col.status"): t("home.available") if e.available else f"{t('home.unavailable')}: {e.error}",
        }
    )
st.subheader(t("home.zoo"))
table = pd.DataFrame(rows)
elbo, beta = t("compare.col.neg_elbo"), "β"
shown = table.style.format({elbo: lambda v: "—" if pd.isna(v) else number(v, ".1f"), beta: lambda v: "—" if pd.isna(v) else number(v)})
st.dataframe(shown, hide_index=True, width="stretch")
st.caption(t("home.pages_hint"))
