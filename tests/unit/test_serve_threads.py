"""The server runs torch on one OpenMP thread per process (ui.serve.launcher.one_openmp_thread): a second
OpenMP thread per script run spun on the other core and doubled the server's CPU per interpolation."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import sys, threading
{setup}
import torch
from threadpoolctl import threadpool_info
out = {{}}
def run():  # a script run is a new thread: what does OpenMP give it?
    torch.zeros(1).add_(1)
    out["omp"] = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]
t = threading.Thread(target=run); t.start(); t.join()
print(max(out["omp"]))
"""


def _omp_threads(setup: str, env: dict) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE.format(setup=setup)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def test_the_launcher_gives_torch_one_openmp_thread_and_a_user_setting_wins():
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    assert _omp_threads("from ui.serve.launcher import one_openmp_thread; one_openmp_thread()", env) == 1
    assert _omp_threads("from ui.serve.launcher import one_openmp_thread; one_openmp_thread()", {**env, "OMP_NUM_THREADS": "2"}) == 2
    if (os.cpu_count() or 1) > 1:  # without it, OpenMP takes every core
        assert _omp_threads("", env) == os.cpu_count()


def test_it_leaves_the_environment_alone_once_torch_is_loaded(monkeypatch):
    """In-process (AppTest runs dashboard.py inside pytest) it would change nothing here, only what child
    processes such as a training run inherit."""
    import torch  # noqa: F401  (loaded, as in the test process)

    from ui.serve.launcher import one_openmp_thread

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    one_openmp_thread()
    assert "OMP_NUM_THREADS" not in os.environ


def test_both_entry_points_set_it_before_anything_loads_torch():
    """`vae-explorer serve` calls it first thing in main(); `streamlit run dashboard.py` before ui.app."""
    tree = ast.parse((REPO / "dashboard.py").read_text())
    names = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.Expr))]
    calls = [i for i, n in enumerate(names) if isinstance(n, ast.Expr) and "one_openmp_thread" in ast.dump(n)]
    app = [i for i, n in enumerate(names) if isinstance(n, ast.ImportFrom) and n.module == "ui.app"]
    assert calls and app and calls[0] < app[0]
    serve = ast.parse((REPO / "ui" / "serve" / "launcher.py").read_text())
    main = next(f for f in serve.body if isinstance(f, ast.FunctionDef) and f.name == "main")
    assert "one_openmp_thread" in ast.dump(main.body[0])
