"""Anomalies: the test images the model finds least (and most) typical, ranked by −ELBO, reconstruction
error or KL; a chosen one's error map; where the outliers sit on the latent map; scoring an upload."""

import streamlit as st

from ui.app import current, ensure_entry
from ui.shell import state
from ui.shell.i18n import t
from ui.shell.resources import model_key, test_set, test_set_error
from ui.views import anomalies
from vae.analysis.anomaly import rank
from vae.data.datasets import data_root

ensure_entry()

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
        r = anomalies.ink_bias(model_key(name), str(data_root()))
        if r is not None:
            st.markdown(t("an.bias.ink", r=r))
if data is None:
    st.info(t("common.no_data", error=test_set_error(dataset) or ""))

state.from_query("an_rank", "elbo", state.parse_choice(anomalies.RANKINGS))
c1, c2 = st.columns([3, 2])
c1.segmented_control(t("an.ranking"), anomalies.RANKINGS, format_func=lambda r: t(f"an.rank.{r}"), key="an_rank", required=True)
c2.slider(t("an.n"), 4, 24, step=2, **state.bound("an_n", 12, state.parse_int(4, 24, step=2)))
state.to_query("an_rank")
ranking, n = st.session_state["an_rank"], st.session_state["an_n"]
st.caption(t(f"an.rank_help.{ranking}"))
scores = anomalies.scores_for(model_key(name), ranking)

if scores is None:  # the MSE ranking without the test images
    st.info(t("an.mse_needs_data"))
else:
    view = anomalies.AnomalyView(sel, data, ranking, scores)
    order = rank(scores)
    top, bottom = order[:n], order[::-1][:n]
    st.subheader(t("an.top", n=n))
    if data is None:
        st.caption(t("an.decoded_note"))
    view.grid(top)
    st.subheader(t("an.bottom", n=n))
    view.grid(bottom)
    view.download_csv()
    st.subheader(t("an.detail"))
    st.fragment(view.detail)(top, bottom)
    if dataset == "mnist":
        st.subheader(t("an.map.title"))
        st.caption(t("an.map.help"))
        st.fragment(view.outlier_map)(top)

st.fragment(anomalies.upload_panel)(sel)
