"""Launcher: `vae-explorer serve [streamlit options]` = `streamlit run dashboard.py` with the warm-up
(ui.serve.warm) started before Streamlit, so the zoo loads while the browser is still connecting."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ui.serve import warm

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


def build_parser() -> argparse.ArgumentParser:
    """Only --help: every other option is `streamlit run`'s and goes to it unread."""
    from vae.data.command_line import command_parser  # imports vae, hence torch: after one_openmp_thread()

    return command_parser(
        "serve",
        "Start the dashboard (dashboard.py) under Streamlit, with the models loading before the first visitor.\n"
        "Every option is passed to `streamlit run` (all of them: `streamlit run --help`).",
        [
            "vae-explorer serve                                              # http://localhost:8501",
            "vae-explorer serve --server.address 0.0.0.0 --server.port 8502  # reachable from other machines",
        ],
        usage="vae-explorer serve [streamlit run options]",
        allow_abbrev=False,
    )


def main(argv: list[str] | None = None) -> None:
    one_openmp_thread()
    streamlit_options = sys.argv[1:] if argv is None else list(argv)
    if {"-h", "--help"} & set(streamlit_options):
        build_parser().parse_args(["--help"])  # prints the help and exits
    # No parser otherwise: building it imports vae, hence torch, here in the main thread, which would hold the
    # warm-up back until torch is loaded (a fresh server's first map 0.5–0.8 s later, benchmarks/browser_latency.py).
    from streamlit.web import cli  # first, in this thread: see ui.serve.warm.start_once

    warm.start_once(launcher=True)
    # installs the translated answer to an unknown page before the first session; imported here, as it loads
    # torch, which must come after one_openmp_thread and the warm-up's own first imports
    import ui.app  # noqa: F401

    sys.argv = ["streamlit", "run", str(ROOT / "dashboard.py"), *streamlit_options]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
