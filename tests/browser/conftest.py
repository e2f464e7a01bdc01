"""Fixtures shared by the browser tests: one dashboard server and one headless Chromium per test
module, and a fresh browser context (a new Streamlit session) per test."""

from __future__ import annotations

import pytest

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server():
    from harness.browser import streamlit_server

    with streamlit_server() as (url, _):
        yield url


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    from harness.browser import launch_chromium

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def tab(chromium):
    from harness.browser import new_page

    page = new_page(chromium, 1400, 1000)
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    page.context.close()
