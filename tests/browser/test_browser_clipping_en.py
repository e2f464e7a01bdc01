"""Nothing cut off on a projector, in English: test_browser_clipping.py's sweep (harness.clipping.sweep) at
1280×720 in presenter mode and normally, in a file of its own so that it runs beside the French sweeps."""

from __future__ import annotations

import pytest

from harness.browser import REPO, require_browser

pytestmark = pytest.mark.browser

require_browser()

from harness.browser import new_page  # noqa: E402
from harness.clipping import sweep  # noqa: E402

for _name in ("mnist-z16", "mnist-z2", "celeba-z64"):
    if not (REPO / "models" / _name / "atlas.safetensors").exists():
        pytest.skip(f"model not built yet: {_name}", allow_module_level=True)


@pytest.mark.parametrize("presenter", [True, False], ids=["presenter", "normal"])
def test_nothing_is_cut_on_an_english_projector(chromium, server, presenter):
    page = new_page(chromium, 1280, 720)
    page.set_default_timeout(60_000)
    try:
        found = sweep(page, server, "en", presenter, 720)
    finally:
        page.context.close()
    assert not found, found
