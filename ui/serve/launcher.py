"""Launcher: `python -m ui.serve.launcher [streamlit options]` = `streamlit run dashboard.py` with the warm-up
(ui.serve.warm) started before Streamlit, so the zoo loads while the browser is still connecting."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def one_openmp_thread() -> None:
    """One OpenMP thread per server process, unless OMP_NUM_THREADS says otherwise; call it before torch
    loads (OpenMP reads the variable once). torch.set_num_threads(1) (ui.shell.resources) holds for the thread
    that calls it, but every script run is a new thread, and each run of the interpolation page started a
    second OpenMP thread that spun on the other core: 63 ms of server CPU per interpolation interaction
    with a browser on the same 2 cores, 24 ms with this (benchmarks/client_fidelity.py). Where torch is
    loaded already (the app run in-process by a test) it would only reach child processes: left alone."""
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> None:
    one_openmp_thread()
    from streamlit.web import cli  # first, in this thread: see ui.serve.warm.start_once

    from ui.serve import warm

    warm.start_once(launcher=True)
    import ui.app  # noqa: F401  (installs the translated answer to an unknown page before the first session)

    sys.argv = ["streamlit", "run", str(ROOT / "dashboard.py"), *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
