"""Test and benchmark harness shared by tests/ and benchmarks/: a Streamlit server on a free
loopback port and headless Debian Chromium driven by Playwright (harness.browser).

Installed with the project (pyproject.toml), so neither tests nor benchmarks edit sys.path.
"""
