"""VAE Latent Explorer — entry point: `streamlit run dashboard.py`."""

from ui.app import main

main()
