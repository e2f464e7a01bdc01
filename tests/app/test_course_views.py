"""AppTest: the course's views on the real shipped models, in English and French — lesson step 1's
autoencoder vs VAE maps, the β view and the autoencoder's place on the KL vs reconstruction page, and
the note every page shows on an autoencoder."""

from __future__ import annotations

import numpy as np
import pytest

from tests.apptest_media import arr, chart, open_page
from tests.conftest import MODELS_DIR, needs
from ui.shell.i18n import catalogue, fill, number
from vae.analysis.lesson import mass_within_radius
from vae.artifacts.atlas import load_atlas
from vae.core.checkpoint import load_card

VAE_NAME, AE_NAME = "mnist-dense-z2", "mnist-dense-z2-ae"
FAMILY = [AE_NAME, "mnist-dense-z2-beta0.5", VAE_NAME, "mnist-dense-z2-beta2", "mnist-dense-z2-beta4", "mnist-dense-z2-beta8"]
LANGS = ["en", "fr"]


def titles(spec: dict) -> list[str]:
    """The subplot titles, in panel order."""
    return [a["text"] for a in spec["layout"]["annotations"]]


def expected_title(name: str, lang: str) -> str:
    card = load_card(MODELS_DIR / name)
    if card.beta == 0:
        return fill(catalogue(lang)["cm.panel.ae"], lang, recon=card.test.recon_nats)
    return fill(catalogue(lang)["cm.panel.vae"], lang, beta=card.beta, kl=card.test.kl_nats, recon=card.test.recon_nats)


def panel_points(spec: dict, panel: int) -> np.ndarray:
    """The test codes drawn on panel `panel` (0-based), (N, 2), from its ten digit traces."""
    axis = "x" if panel == 0 else f"x{panel + 1}"
    traces = [tr for tr in spec["data"] if tr["type"] == "scattergl" and tr.get("xaxis", "x") == axis]
    assert [tr["name"] for tr in traces] == [str(d) for d in range(10)]
    return np.concatenate([np.stack([arr(tr["x"]), arr(tr["y"])], 1) for tr in traces])


def same_scale(spec: dict, panels: int) -> None:
    layout = spec["layout"]
    ranges = [tuple(layout["xaxis" if i == 0 else f"xaxis{i + 1}"]["range"]) for i in range(panels)]
    ranges += [tuple(layout["yaxis" if i == 0 else f"yaxis{i + 1}"]["range"]) for i in range(panels)]
    assert len(set(ranges)) == 1, ranges
    ((lo, hi),) = set(ranges)
    assert lo == -hi and hi >= 2.5  # centred on the prior, its 2σ circle inside


@needs(VAE_NAME, AE_NAME)
@pytest.mark.parametrize("lang", LANGS)
def test_lesson_step_1_shows_the_autoencoder_and_the_vae_on_one_scale(real_root, lang):
    at = open_page("lesson.py", "mnist-z16", query={"lang": lang, "step": "1"})
    assert not at.exception
    spec = chart(at, "ls1_ae_vae")
    assert titles(spec) == [expected_title(AE_NAME, lang), expected_title(VAE_NAME, lang)]
    same_scale(spec, 2)
    for panel, name in enumerate((AE_NAME, VAE_NAME)):
        points = panel_points(spec, panel)
        atlas = load_atlas(MODELS_DIR / name)
        assert len(points) == len(atlas.mean) == 10000
        np.testing.assert_allclose(np.sort(points[:, 0]), np.sort(atlas.mean[:, 0]), rtol=1e-6)
    names = {tr.get("name") for tr in spec["data"]}
    assert {catalogue(lang)["cm.legend.circles"], catalogue(lang)["cm.legend.hole"]} <= names
    table = at.table[0].value
    assert list(table.index) == [catalogue(lang)[k] for k in ("cm.s1.row_ae", "cm.s1.row_vae", "cm.s1.row_prior")]
    # the prior's own row: 39 % and 86 % of N(0, I) lie within its 1σ and 2σ circles
    inside = table.loc[catalogue(lang)["cm.s1.row_prior"], catalogue(lang)["cm.s1.col.inside"]]
    assert inside == " / ".join(number(float(mass_within_radius(r)), ".0%", lang) for r in (1.0, 2.0))
    assert inside.startswith("39") and "86" in inside
    # without the draws (a link's ls_draws=0), the same maps; a scale fitted to the VAE says what it leaves out
    at = open_page("lesson.py", "mnist-z16", query={"lang": lang, "step": "1", "ls_draws": "0", "ls_scale": "vae"})
    assert not at.exception
    spec = chart(at, "ls1_ae_vae")
    assert catalogue(lang)["cm.legend.hole"] not in {tr.get("name") for tr in spec["data"]}
    same_scale(spec, 2)
    assert spec["layout"]["xaxis"]["range"][1] < 10  # fitted to the VAE's codes, not the autoencoder's
    spill = catalogue(lang)["cm.spill"].split("{")[0]
    assert any(c.value.startswith(spill) for c in at.caption)


@needs(*FAMILY)
@pytest.mark.parametrize("lang", LANGS)
def test_beta_view_lays_the_family_side_by_side(real_root, lang):
    # on mnist-z16, the view opens on its own β family (0.5 … 8, PCA planes: no holes measured)
    at = open_page("kl_vs_recon.py", "mnist-z16", query={"lang": lang})
    assert not at.exception
    assert at.selectbox(key="kr_family").value == "mnist-z16"
    assert len(titles(chart(at, "kr_beta_chart"))) == 5
    assert catalogue(lang)["cm.beta.caption_pca"] in [c.value for c in at.caption]
    # the course's family, from a link
    at = open_page("kl_vs_recon.py", "mnist-z16", query={"lang": lang, "kr_family": VAE_NAME, "kr_scale": "all"})
    assert not at.exception and at.selectbox(key="kr_family").value == VAE_NAME
    spec = chart(at, "kr_beta_chart")
    assert titles(spec) == [expected_title(name, lang) for name in FAMILY]
    ae_kl = load_card(MODELS_DIR / AE_NAME).test.kl_nats
    assert number(ae_kl, ".1f", lang) not in titles(spec)[0]  # the autoencoder's panel gives no KL value
    same_scale(spec, len(FAMILY))
    for panel, name in enumerate(FAMILY):
        atlas = load_atlas(MODELS_DIR / name)
        np.testing.assert_allclose(np.sort(panel_points(spec, panel)[:, 1]), np.sort(atlas.mean[:, 1]), rtol=1e-6)
    captions = [c.value for c in at.caption]
    assert catalogue(lang)["cm.beta.ae_note"] in captions


@needs(VAE_NAME, AE_NAME, "mnist-z16")
@pytest.mark.parametrize("lang", LANGS)
def test_rate_distortion_plane_keeps_the_autoencoder_off_the_rate_axis(real_root, lang):
    at = open_page("kl_vs_recon.py", AE_NAME, query={"lang": lang})
    assert not at.exception
    rd = chart(at, "kr_rd_chart")
    clickable = {d[0] for tr in rd["data"] if tr.get("customdata") for d in tr["customdata"]}
    assert VAE_NAME in clickable and AE_NAME not in clickable
    card = load_card(MODELS_DIR / AE_NAME)
    (line,) = [tr for tr in rd["data"] if tr.get("name", "").startswith(AE_NAME)]
    assert line["name"] == fill(catalogue(lang)["cm.rd.ae"], lang, name=AE_NAME, recon=card.test.recon_nats)
    assert arr(line["y"]).tolist() == [card.test.recon_nats] * 2
    assert arr(line["x"]).tolist() == list(rd["layout"]["xaxis"]["range"])  # across the plane, not out on the KL axis
    # the page says what it is: no KL term, no prior to sample from
    assert catalogue(lang)["cm.ae_note"] in [i.value for i in at.info]
    assert catalogue(lang)["cm.rd.ae_help"] in [c.value for c in at.caption]


@needs(AE_NAME, VAE_NAME)
@pytest.mark.parametrize("page", ["latent_map.py", "generate.py"])
def test_autoencoder_note_on_the_pages_that_sample_or_map(real_root, page):
    note = catalogue("en")["cm.ae_note"]
    assert note in [i.value for i in open_page(page, AE_NAME, query={"lang": "en"}).info]
    assert note not in [i.value for i in open_page(page, VAE_NAME, query={"lang": "en"}).info]
