"""End-to-end tests in headless Chromium against a real server (marker: browser)."""
