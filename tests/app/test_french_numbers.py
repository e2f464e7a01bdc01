"""French numbers: decimal comma, narrow no-break space between thousands, no-break space before %,
written by Babel from CLDR data wherever the catalogue gives a number a format spec; English as
Python writes them."""

import numpy as np
import pytest

from ui.shell.i18n import catalogue, fill, number

NNBSP = "\u202f"  # CLDR's French group separator (a narrow no-break space)
NBSP = "\u00a0"  # and its no-break space before %


@pytest.mark.parametrize(
    ("value", "spec", "french", "english"),
    [
        (1.3164, ".3f", "1,316", "1.316"),
        (2317637.0, "g", f"2{NNBSP}317{NNBSP}637", "2.31764e+06"),
        (54864.82, ".1f", f"54{NNBSP}864,8", "54864.8"),
        (0.393, ".1%", f"39,3{NBSP}%", "39.3%"),
        (0.5, ".0%", f"50{NBSP}%", "50%"),
        (-0.5, "+.2f", "-0,50", "-0.50"),
        (0.25, "+.2f", "+0,25", "+0.25"),
        (0.00012, ".1e", "1,2E-4", "1.2e-04"),
        (np.float32(1316.5), ".2f", f"1{NNBSP}316,50", "1316.50"),
    ],
)
def test_a_number_is_written_the_way_the_language_writes_it(value, spec, french, english):
    assert number(value, spec, "fr") == french
    assert number(value, spec, "en") == english


def test_the_catalogue_fills_french_numbers_and_leaves_the_rest_alone():
    assert fill("{x:.2f} nats · #{i} · {name}", "fr", x=1316.5, i=8628, name="mnist-z2") == f"1{NNBSP}316,50 nats · #8628 · mnist-z2"
    assert fill("{x:.2f} nats · #{i}", "en", x=1316.5, i=8628) == "1316.50 nats · #8628"
    # every French entry with a number spec still fills (no spec Babel cannot write)
    for text in catalogue("fr").values():
        if ":." in text or ":g}" in text or ":+" in text:
            names = {part.split(":")[0].split("}")[0] for part in text.split("{")[1:] if part and not part.startswith("{")}
            fill(text, "fr", **dict.fromkeys(names, 0.5))
