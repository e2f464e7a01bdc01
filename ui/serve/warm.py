"""Warm-up: load the zoo into the process-wide caches in the background, then freeze the heap.

Started once per server process: by the launcher (`vae-explorer serve`) before Streamlit starts,
or by the app shell on the first script run under a plain `streamlit run dashboard.py`
(`VAE_WARM_UP=0` turns the second off; the tests set it, so AppTest runs load only what they use).

The warm-up imports torch, loads every zoo model and atlas, the test sets and the default maps (the
browser map's files, the plotly figures) into the same st.cache_resource caches the pages use, so
the first page a presenter opens renders at once. Then it moves everything loaded so far (torch, plotly, the models: about 280,000
Python objects) into the garbage collector's permanent generation (gc.freeze): Streamlit runs a
full collection after every script run (runner.postScriptGC), and walking those objects took about
110 ms here, holding the GIL while a click's answer waited to be sent; frozen, that collection
takes a few milliseconds.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import pkgutil
import threading
import time

_lock = threading.Lock()
_started = False


def warm_up() -> None:
    """Load and freeze; a failure is logged and the heap is frozen all the same (an unfrozen heap
    costs every script run a full collection: about 200 ms a click, measured)."""
    try:
        _warm_up()
    except Exception:
        logging.getLogger(__name__).exception("warm-up failed; the dashboard works, its first pages load slower")
    finally:
        _freeze()


def _warm_up() -> None:
    t0 = time.perf_counter()
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    # here, in the warm-up thread: these load torch and every page's helpers (start_once imports the big packages first)
    from ui.components import figures, live
    from ui.shell import resources
    from vae.analysis.placement import projections
    from vae.analysis.zoo import DEFAULT_MODEL

    entries = [e for e in resources.zoo() if e.available]
    for dataset in ("mnist", "celeba"):
        name = DEFAULT_MODEL[dataset]
        if any(e.name == name for e in entries):
            ready = resources.loaded(name).ready()
            if ready is not None:
                projection = "raw" if ready.model.config.latent_dim == 2 else "pca"
                colour = "label" if dataset == "mnist" and resources.test_set(dataset) is not None else "none"
                # the map the page asks for first: English labels (a French session builds its own); the
                # files of the browser-drawn map, and the plotly figure drawn where that cannot run
                key, labels = resources.model_key(name), figures.map_labels(projection, "en")
                if live.runtime_installed():
                    live.map_arrays(key, projection)
                    live.map_colours(key, colour, labels)
                figures.map_figure(key, projection, colour, labels)
                ready.atlas.map_spacing(projection)
                ready.atlas.latent_spacing()
                if dataset == "mnist":  # umap-learn's import and the inverse's compiled step: seconds the first UMAP click would wait
                    ready.atlas.umap().inverse_transform(ready.atlas.umap_coords[:1])
        resources.test_set(dataset)
        if dataset == "mnist":
            _freeze()  # at once: a page opened meanwhile must not pay a full collection of all this per run
    _lower_priority()  # the rest must not slow the first page a user opens meanwhile
    _import_all_of("ui")  # what the pages import (pandas, PIL, …): loaded now, frozen below, not walked per run
    _freeze()
    for e in entries:
        atlas = resources.loaded(e.name).atlas
        if atlas is not None:  # the map's honesty cue: neighbour spacings, computed once per model
            atlas.latent_spacing()
            for projection in projections(atlas.mean.shape[1]):
                atlas.map_spacing(projection)
    _freeze()
    print(
        f"  Warm-up: {len(entries)} models, atlases and test sets loaded in {time.perf_counter() - t0:.1f} s; "
        f"{gc.get_freeze_count():,} objects frozen",
        flush=True,
    )


def _lower_priority() -> None:
    """Give this thread (a Linux task of its own) the lowest CPU priority."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def _freeze() -> None:
    gc.collect()  # garbage first: frozen objects are never collected
    gc.freeze()


def _import_all_of(package: str) -> None:
    """Import every module of a package (ui.*: every page's helpers and what they import)."""
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if info.name != "ui.serve.launcher":  # the launcher, not a page dependency
            importlib.import_module(info.name)


def start_once(*, launcher: bool = False) -> bool:
    """Start the warm-up thread unless it has started in this process (or, from the app shell,
    VAE_WARM_UP=0). True when this call started it."""
    global _started
    if not launcher and os.environ.get("VAE_WARM_UP", "1") == "0":
        return False
    with _lock:
        if _started:
            return False
        _started = True
    # The big packages first, in this thread, before the warm-up thread imports anything: two threads
    # importing the same packages at once can see them partially initialised. Seen twice: plotly
    # looks pandas up in sys.modules without the import lock ("partially initialized module
    # 'pandas'": the warm-up died, nothing was frozen, every click paid a full collection), and
    # streamlit's own __init__ failed when the launcher imported it while the warm-up did.
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import streamlit  # noqa: F401
    import torch  # noqa: F401

    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    return True
