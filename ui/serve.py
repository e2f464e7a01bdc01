"""Launcher: `python -m ui.serve [streamlit options]` = `streamlit run dashboard.py` with the warm-up
(ui.warm) started before Streamlit, so the zoo loads while the browser is still connecting."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    from streamlit.web import cli  # first, in this thread: see ui.warm.start_once

    from ui import warm

    warm.start_once(launcher=True)
    import ui.app  # noqa: F401  (installs the translated answer to an unknown page before the first session)

    sys.argv = ["streamlit", "run", str(ROOT / "dashboard.py"), *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
