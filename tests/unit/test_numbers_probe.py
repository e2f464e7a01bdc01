"""harness/numbers.py's reading of shown texts: a decimal number written with a point is found wherever
it stands in a text; French decimals, integers, model names, versions and headings' section numbers are not."""

from __future__ import annotations

from harness.numbers import english_numbers


def test_point_decimals_are_found_and_names_and_section_numbers_are_not():
    found = english_numbers(["1.50", "μ : 1,50", "β = 0.5", "KL 23.6 · recon. 70,6 nats", "−0.35", "+0.0", "12 500 images"])
    assert found == ["1.50", "β = 0.5", "KL 23.6 · recon. 70,6 nats", "−0.35", "+0.0"]
    ignored = ["mnist-z16-beta0.5 · z = 16 · β = 0,5", "8.1 · Chargement des données", "torch 2.14.1", "celeba-z64", "1 234,5 nats"]
    assert english_numbers(ignored) == []
