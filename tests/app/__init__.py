"""App tests: every page through Streamlit's AppTest (marker: app)."""
