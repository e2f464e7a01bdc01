"""The test suite: unit/ (vae on its own), app/ (AppTest of every page, marker app), browser/
(Chromium, marker browser). Shared: conftest.py (data root, tiny models, markers by folder),
apptest_media.py (the one AppTest launcher, media helpers), card_samples.py (a complete ModelCard)."""
