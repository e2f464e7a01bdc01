"""VAE Latent Explorer — entry point: `streamlit run dashboard.py`."""

from ui.serve.launcher import one_openmp_thread

one_openmp_thread()  # before ui.app loads torch

from ui.app import main  # noqa: E402

main()
