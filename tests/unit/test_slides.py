"""The lesson as a slide deck (ui/lesson/slides.py) on the real shipped models and data: one PPTX slide and one
PDF page per lesson step, in English and in French, each with the step's title, its key points (on the
slide and in the speaker notes) and a figure computed from the models; the numbers the points quote
are the models' own, written the language's way; the command line and the Lesson page's download."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
import torch
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader
from pypdf.generic import ContentStream

from tests.apptest_media import download_bytes, open_page, record_media  # noqa: F401
from tests.conftest import needs
from ui.lesson import MAIN_MODEL, STEPS, slides
from ui.lesson.kl import MU_DEFAULT, SIGMA_DEFAULT
from ui.shell.i18n import catalogue
from ui.shell.resources import models_dir, zoo_key
from vae import load_card, load_model
from vae.analysis.lesson import kl_posterior_prior
from vae.artifacts.atlas import load_atlas
from vae.data.datasets import load_mnist, to_tensor
from vae.training.gan import load_adversarial

pytestmark = needs(MAIN_MODEL, "celeba-z64")
LANGS = ("en", "fr")


@pytest.fixture(scope="module")
def signature() -> tuple:
    return zoo_key().signature  # read once: the decks below and the page's download share one cache entry


@pytest.fixture(scope="module")
def decks(real_root, celeba_root, signature) -> dict[str, slides.Deck]:
    return {lang: slides.cached_deck(lang, MAIN_MODEL, signature) for lang in LANGS}


@pytest.fixture(scope="module")
def pptx_files(decks, signature) -> dict[str, bytes]:
    return {lang: slides.cached_file(lang, MAIN_MODEL, "pptx", signature) for lang in LANGS}


@pytest.fixture(scope="module")
def english_pdf(decks, signature) -> bytes:
    return slides.cached_file("en", MAIN_MODEL, "pdf", signature)


def titles(lang: str) -> list[str]:
    return [f"{k}. {catalogue(lang)[step.TITLE]}" for k, step in enumerate(STEPS, start=1)]


def rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


def assert_real_figure(image: Image.Image) -> None:
    """A picture with content: large enough, many colours, not one flat tone."""
    pixels = rgb(image).astype(np.uint32)
    assert image.width >= 800 and image.height >= 600, image.size
    assert len(np.unique(pixels[..., 0] << 16 | pixels[..., 1] << 8 | pixels[..., 2])) > 50
    assert pixels.std() > 20


def check_pdf(data: bytes, deck: slides.Deck) -> None:
    """One page per step, with the step's title in its text and the slide's figure drawn on it."""
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == len(STEPS) == len(deck.slides)
    for page, title, slide in zip(reader.pages, titles(deck.lang), deck.slides):
        text = " ".join(page.extract_text().split())  # lines joined, narrow no-break spaces as spaces
        assert title in text
        assert " ".join(slide.points[0].split())[:40] in text
        drawn = [ops[0] for ops, op in ContentStream(page.get_contents(), reader).operations if op == b"Do"]
        assert len(drawn) == 1, drawn
        shown = page.images[drawn[0]].image
        pixels, figure = rgb(shown), rgb(Image.open(io.BytesIO(slide.figure_png)))
        # matplotlib stores the rows bottom-up and flips them with the placement matrix
        assert np.array_equal(pixels, figure) or np.array_equal(pixels[::-1], figure)
        assert_real_figure(shown)


def test_every_step_has_three_to_five_key_points_and_a_caption_in_both_languages():
    en, fr = catalogue("en"), catalogue("fr")
    for k in range(1, len(STEPS) + 1):
        points = [key for key in en if re.fullmatch(rf"slides\.s{k}\.p\d", key)]
        assert 3 <= len(points) <= 5, (k, points)
        assert all(key in fr and fr[key] != en[key] for key in [*points, f"slides.s{k}.caption"])


@pytest.mark.parametrize("lang", LANGS)
def test_pptx_has_one_slide_per_step_with_its_title_points_figure_and_notes(lang, decks, pptx_files):
    deck, prs = decks[lang], Presentation(io.BytesIO(pptx_files[lang]))
    assert len(prs.slides) == len(STEPS) == len(deck.slides)
    assert prs.core_properties.title == catalogue(lang)["lesson.title"]
    for page, title, slide in zip(prs.slides, titles(lang), deck.slides):
        assert page.shapes.title.text == title
        assert 3 <= len(slide.points) <= 5
        assert page.placeholders[1].text_frame.text == "\n".join(slide.points)
        notes = page.notes_slide.notes_text_frame.text
        assert all(point in notes for point in slide.points) and catalogue(lang)["slides.notes"] in notes
        pictures = [shape for shape in page.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1
        assert pictures[0].image.blob == slide.figure_png
        image = Image.open(io.BytesIO(pictures[0].image.blob))
        assert image.format == "PNG"
        assert_real_figure(image)
    assert len({slide.figure_png for slide in deck.slides}) == len(STEPS)  # nine different figures


def test_english_pdf_has_one_page_per_step_with_its_title_and_figure(decks, english_pdf):
    check_pdf(english_pdf, decks["en"])


def test_the_command_writes_the_french_pdf_with_progress(decks, tmp_path, capsys):
    out = tmp_path / "lesson-fr.pdf"
    assert slides.main(["--lang", "fr", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert [f"[{k}/{len(STEPS)}] {catalogue('fr')[step.TITLE]}" for k, step in enumerate(STEPS, 1)] == re.findall(r"\[\d/\d\] .*", err)
    assert f"{out}: {len(STEPS)} slides, PDF" in err
    check_pdf(out.read_bytes(), decks["fr"])  # a new build in a new deck: the same figures, seeded


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "de", "--out", "x.pptx"], "invalid choice: 'de'"),
        (["--out", "{tmp}/missing/x.pptx"], "does not exist"),
        (["--out", "{tmp}/lesson.txt"], "name it .pptx or .pdf"),
        (["--out", "{tmp}/x.pptx", "--format", "odp"], "invalid choice: 'odp'"),
        (["--out", "{tmp}/x.pdf", "--model", "no-such-model"], "'no-such-model' cannot be loaded"),
    ],
)
def test_the_command_refuses_bad_arguments(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        slides.main([a.replace("{tmp}", str(tmp_path)) for a in args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_french_deck_writes_numbers_with_a_decimal_comma(decks):
    kl = f"{float(kl_posterior_prior(MU_DEFAULT, SIGMA_DEFAULT)):.3f}"  # step 5's closed form, 1.316
    en, fr = (" ".join(decks[lang].slides[4].points) for lang in LANGS)
    assert f"{kl} nats" in en and f"{kl.replace('.', ',')} nats" in fr
    french = " ".join(point for slide in decks["fr"].slides for point in slide.points)
    assert re.search(r"\d,\d", french) and not re.search(r"\d\.\d", french)
    assert re.search(r"68,3\s%", decks["fr"].slides[3].points[1]) and "68.3%" in decks["en"].slides[3].points[1]


def test_the_key_points_quote_what_the_models_compute(decks, real_root):
    folder = models_dir() / MAIN_MODEL
    model, atlas = load_model(folder), load_atlas(folder)
    images, labels = load_mnist("test", real_root)
    index = int(atlas.test_index[0])
    with torch.inference_mode():
        posterior = model.encode(to_tensor(np.array(images[index : index + 1])))
    mu, sigma = posterior.mean[0].numpy(), posterior.std[0].numpy()
    first = decks["en"].slides[0].points[1]
    assert f"test image #{index} (digit {labels[index]})" in first
    assert f"μ = ({mu[0]:.3f}, {mu[1]:.3f}) and σ = ({sigma[0]:.3f}, {sigma[1]:.3f})" in first
    assert f"μ = ({mu[0]:.3f} ; {mu[1]:.3f})".replace(".", ",") in decks["fr"].slides[0].points[1]
    test = load_card(folder).test
    assert f"−ELBO {test.neg_elbo_nats:.1f} nats" in decks["en"].slides[7].points[3]
    report = load_adversarial(models_dir() / "celeba-z64")[1]
    gan = decks["en"].slides[8].points[2]
    assert f"from {report['plain']['fd']['learned']:.1f} to {report['adversarial']['fd']['learned']:.1f}" in gan


@pytest.mark.app
@pytest.mark.usefixtures("record_media")
@pytest.mark.parametrize(("lang", "fmt"), [("fr", "pptx"), ("en", "pdf")])
def test_the_lesson_page_offers_the_deck_in_its_language(lang, fmt, pptx_files, english_pdf, signature):
    at = open_page("lesson.py", "mnist-z16", query={"lang": lang, "step": "3"})
    assert not at.exception
    buttons = {b.key: b for b in at.download_button}
    assert set(buttons) == {"lesson_slides_pptx", "lesson_slides_pdf"}
    assert [b.label for b in buttons.values()] == [catalogue(lang)["slides.get"].format(fmt=f.upper()) for f in ("pptx", "pdf")]
    button = buttons[f"lesson_slides_{fmt}"]
    assert button.proto.HasField("deferred_file_id")  # built on click, not on every rerun
    assert button.proto.ignore_rerun  # and the click does not rerun the page
    data = download_bytes(button)
    assert data == slides.cached_file(lang, MAIN_MODEL, fmt, signature)  # the deck the tests above open
    if fmt == "pptx":
        assert [page.shapes.title.text for page in Presentation(io.BytesIO(data)).slides] == titles(lang)
    else:
        assert [page.extract_text().splitlines()[0] for page in PdfReader(io.BytesIO(data)).pages] == titles(lang)
