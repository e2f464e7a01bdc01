"""End to end in headless Chromium: the face composer on celeba-z64 — tick two faces, breed, and a
new generation appears (the grid's images change, the generation counter goes up); undo goes back.

Skipped when Chromium or Playwright is missing, unless VAE_REQUIRE_BROWSER=1 (then that is a failure).
Run: .venv/bin/python -m pytest -q -m browser tests/test_browser_composer.py
"""

from __future__ import annotations

import json
import os
import re

import pytest

from harness.browser import EXCEPTION, REPO, require_browser

pytestmark = pytest.mark.browser


require_browser(models=("celeba-z64",))

from playwright.sync_api import expect  # noqa: E402

from harness.browser import app_in_chromium, images_loaded, rerun, wait_for_app  # noqa: E402

MODEL = "celeba-z64"
TIMEOUT_MS = 60_000
GRID = '[data-testid="stMain"] [class*="st-key-composer_grid"] [data-testid="stImage"] img'
EN = json.loads((REPO / "assets" / "i18n" / "en" / "composer.json").read_text())
SCREENSHOTS = os.environ.get("VAE_SCREENSHOTS")  # a folder: save what the test saw
GENERATION = EN["co.generation"].split("{g}")[0].strip("* ")  # "Generation"


def generation_is(g: int) -> re.Pattern:
    """The status line of generation g ("Generation 2 · mutation step σ = 0.26"), and not of 12 or 21."""
    return re.compile(rf"^{re.escape(GENERATION)} {g}\b")


def generation(page) -> int:
    text = page.locator('[class*="st-key-composer_status"]').inner_text()
    return int(re.search(r"(\d+)", text).group(1))


def grid_srcs(page) -> list[str]:
    return [i["src"] for i in images_loaded(page, GRID)]


def tick(page, i: int) -> None:
    before = page.locator(f".st-key-cmp_sel_{i} input").is_checked()
    with rerun(page, TIMEOUT_MS):
        page.locator(f".st-key-cmp_sel_{i} label").click()
    expect(page.locator(f".st-key-cmp_sel_{i} input")).to_be_checked(checked=not before)


def test_tick_two_faces_breed_and_undo():
    with app_in_chromium(1400, 1100, TIMEOUT_MS) as (url, page):
        page.goto(f"{url}/composer?dataset=celeba&model={MODEL}&co_seed=3&co_pop=12")
        wait_for_app(page, TIMEOUT_MS)
        assert page.locator(EXCEPTION).count() == 0
        first = grid_srcs(page)
        assert len(first) == 12 and generation(page) == 1
        expect(page.locator('[class*="st-key-composer_status"]')).to_have_text(generation_is(1))
        tick(page, 2)
        tick(page, 5)
        expect(page.locator(".st-key-composer_breed button")).to_contain_text("2")
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/composer-picked.png", full_page=True)
        with rerun(page, TIMEOUT_MS):
            page.locator(".st-key-composer_breed button").click()
        expect(page.locator('[class*="st-key-composer_status"]')).to_have_text(generation_is(2))
        second = grid_srcs(page)
        assert generation(page) == 2 and len(second) == 12
        assert len(set(second) - set(first)) >= 11, "a new generation shows new faces"
        assert not page.locator(".st-key-cmp_sel_2 input").is_checked()  # picks cleared for the new round
        assert page.locator(EXCEPTION).count() == 0
        assert "co_seed=3" in page.url and "co_pop=12" in page.url
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/composer-bred.png", full_page=True)
        with rerun(page, TIMEOUT_MS):
            page.locator(".st-key-composer_undo button").click()
        expect(page.locator('[class*="st-key-composer_status"]')).to_have_text(generation_is(1))
        assert generation(page) == 1
        assert page.locator(".st-key-cmp_sel_2 input").is_checked() and page.locator(".st-key-cmp_sel_5 input").is_checked()
        assert len(grid_srcs(page)) == 12


def test_composer_face_goes_to_the_editor_and_back():
    """The chosen face opens in the face editor (source: the composer), and an edited face seeds the composer."""
    with app_in_chromium(1400, 1100, TIMEOUT_MS) as (url, page):
        page.goto(f"{url}/composer?dataset=celeba&model={MODEL}&co_seed=8")
        wait_for_app(page, TIMEOUT_MS)
        tick(page, 6)
        expect(page.get_by_text("Chosen face: 7")).to_be_visible()
        page.locator(".st-key-co_to_editor button").click()
        page.wait_for_url(re.compile(r"/face_editor"))
        wait_for_app(page, TIMEOUT_MS)
        assert page.locator(EXCEPTION).count() == 0
        expect(page.locator('[data-testid="stMain"] h1').first).to_have_text("Face attributes")
        expect(page.locator('.st-key-fe_source [role="radio"][aria-checked="true"]')).to_have_text("From the composer")
        assert "fe_source=composer" in page.url
        images_loaded(page)
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/editor-from-composer.png", full_page=True)
        page.locator(".st-key-fe_to_composer").get_by_role("button", name="Breed faces from this one").click()
        page.wait_for_url(re.compile(r"/composer"))
        wait_for_app(page, TIMEOUT_MS)
        assert page.locator(EXCEPTION).count() == 0
        assert generation(page) == 1 and len(grid_srcs(page)) == 16
