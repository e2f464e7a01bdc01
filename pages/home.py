"""Home: what the app is, and the model zoo with its test metrics."""

from ui.app import ensure_entry

ensure_entry()

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from ui.i18n import t  # noqa: E402
from ui.resources import zoo  # noqa: E402

st.title(t("home.title"))
st.markdown(t("home.intro"))
rows = []
for e in zoo():
    rows.append(
        {
            t("compare.col.model"): e.name,
            t("compare.col.dataset"): e.dataset or "?",
            "latent_dim": e.config.latent_dim if e.config else None,
            "β": e.config.beta if e.config else None,
            t("compare.col.neg_elbo"): e.card.test.neg_elbo_nats if e.card else None,
            t("compare.col.status"): t("home.available") if e.available else f"{t('home.unavailable')}: {e.error}",
        }
    )
st.subheader(t("home.zoo"))
st.dataframe(
    pd.DataFrame(rows),
    hide_index=True,
    width="stretch",
    column_config={t("compare.col.neg_elbo"): st.column_config.NumberColumn(format="%.1f")},
)
st.caption(t("home.pages_hint"))
