"""A replica killed under a class: two replicas behind nginx, eight Chromium tabs (each its own browser, so
its own affinity cookie) on the Generate page, half on each replica; one replica is SIGKILLed. Every tab
of the killed replica comes back by itself (ui.components.reconnect: the new server session has it reload, so its
scene comes from its URL), shows no error, and answers the next click; the tabs of the other replica
never stop answering and are neither reloaded nor given a new session.

Without ui.components.reconnect, the killed replica's tabs reconnect to the survivor, keep the scene they
showed, and ignore every click: Streamlit's frontend takes the new, empty server session for the one it
had, and the server drops the Generate page's fragment runs ("The fragment with id ... does not exist anymore").
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlparse

import pytest

from harness.browser import EXCEPTION, IMAGE, REPO, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

require_browser()

from harness.browser import arm_new_image, launch_chromium, new_page, wait_for_app, wait_new_image  # noqa: E402
from harness.nginx import ensure_nginx, lecture_hall  # noqa: E402

MODEL = "mnist-z16"
PAGE = f"/generate?dataset=mnist&model={MODEL}&gen_seed=3"
TABS = 8
TIMEOUT_MS = 60_000  # generous: a 2-core machine, a replica restarting beside the tabs
ERRORS = ("Connection error", "is not responding")  # Streamlit's connection dialogs
if not (REPO / "models" / MODEL / "atlas.safetensors").exists():
    pytest.skip(f"model not built yet: {MODEL}", allow_module_level=True)


def seed(page) -> int:
    return int(parse_qs(urlparse(page.url).query)["gen_seed"][-1])


def assert_scene(page, expected_seed: int) -> None:
    """The Generate page with its scene, no exception and no connection dialog."""
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()
    body = page.locator("body").inner_text()
    assert not [e for e in ERRORS if e in body], body[:500]
    assert seed(page) == expected_seed
    assert page.locator(".st-key-gen_seed input").input_value() == str(expected_seed)
    assert page.locator(IMAGE).count() >= 1


def assert_next_answered(page) -> None:
    """Generate's "Next": a new seed in the URL and a new image."""
    before = seed(page)
    old_src = arm_new_image(page)
    page.locator(".st-key-gen_next button").first.click()
    _, new_src = wait_new_image(page, TIMEOUT_MS)
    assert new_src != old_src
    page.wait_for_function("s => new URL(location.href).searchParams.get('gen_seed') === s", arg=str(before + 1), timeout=TIMEOUT_MS)


def test_tabs_of_a_killed_replica_come_back_and_answer() -> None:
    reason = ensure_nginx()
    if reason:
        if os.environ.get("VAE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with lecture_hall(2) as hall, sync_playwright() as p:
        replicas = [u.removeprefix("http://") for u in hall.replica_urls]
        browser = launch_chromium(p)
        try:
            tabs = []
            for cookie, replica in hall.split_cookies(TABS // 2, "replica-kill"):
                page = new_page(browser)
                page.set_default_timeout(TIMEOUT_MS)
                page.context.add_cookies([{"name": "vae_affinity", "value": cookie, "url": hall.url}])
                response = page.goto(hall.url + PAGE)
                assert response.headers.get("x-replica") == replica  # the affinity the split relies on
                tabs.append((page, replica))
            for page, _ in tabs:
                wait_for_app(page, TIMEOUT_MS)
                assert_scene(page, 3)
                page.evaluate("() => { window.__sameDocument = true }")  # gone if the page reloads

            killed = replicas[0]
            hall.kill(0)
            on_killed = [page for page, replica in tabs if replica == killed]
            survivors = [page for page, replica in tabs if replica != killed]
            assert len(on_killed) == len(survivors) == TABS // 2

            for page in survivors:  # they never stop answering, in the same document and session
                assert_next_answered(page)
            for page in on_killed:  # by themselves: nothing is touched until they are back
                page.wait_for_function("() => !window.__sameDocument", timeout=TIMEOUT_MS)
                wait_for_app(page, TIMEOUT_MS)
                assert_scene(page, 3)
                assert_next_answered(page)
                assert seed(page) == 4
            for page in survivors:
                assert_next_answered(page)
                assert seed(page) == 5
                assert page.evaluate("() => window.__sameDocument === true && window.__vaeResume.reconnects === 0")  # same session
                assert_scene(page, 5)
            for page in on_killed:  # and they keep answering
                assert_next_answered(page)
                assert_scene(page, 5)
        finally:
            browser.close()
