"""Streamlit-side helpers shared by the pages: entry/navigation, cached resources, state, i18n."""
