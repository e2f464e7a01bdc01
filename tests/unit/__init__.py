"""Unit tests: vae/ on its own, real models and data, no Streamlit."""
