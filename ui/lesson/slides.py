"""The lesson as a slide deck (PPTX and PDF): one slide per step of ui.lesson.STEPS, with the step's
title, the speaker's key points (also in the PPTX notes) and its figure drawn from the real models by
ui/lesson/slide_figures.py, in English or French.

    vae-explorer slides --lang fr --out lesson-fr.pptx      # or lesson-fr.pdf, or --format pdf

The deck is built without a Streamlit session (the models come through ui.shell.resources, which caches
them in the process either way); the Lesson page offers it through `deferred_file`, which builds it on
the first click and keeps it per (language, model, model files). The figures (matplotlib) and the writers
(python-pptx, matplotlib's PDF backend) are imported when a deck is built or written, not with this module,
which the Lesson page imports for its download buttons.
"""

from __future__ import annotations

import io
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st
from PIL import Image
from streamlit.logger import set_log_level

if TYPE_CHECKING:  # python-pptx is imported where a deck is written (pptx_bytes)
    from pptx.slide import Slide as PptxSlide
    from pptx.util import Length

from ui.lesson import MAIN_MODEL, STEPS, open_lesson, two_d_lesson
from ui.shell.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALES, catalogue, say
from ui.shell.resources import zoo, zoo_key
from vae.data.command_line import command_parser

EXAMPLES = (
    "vae-explorer slides --out lesson.pptx",
    "vae-explorer slides --lang fr --out lesson-fr.pdf --model mnist-z16",
)

SLIDE_INCHES = (13.333, 7.5)  # 16:9
_PDF_LOCK = threading.Lock()
MIMES = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Slide:
    number: int  # the step, 1-based
    title: str
    points: tuple[str, ...]  # the speaker's key points
    caption: str  # what the figure shows
    figure_png: bytes


@dataclass(frozen=True)
class Deck:
    lang: str
    model: str  # the lesson's model
    title: str
    slides: tuple[Slide, ...]

    def footer(self, slide: Slide) -> str:
        return say(self.lang, "slides.footer", model=self.model, k=slide.number, n=len(self.slides))


def key_points(lang: str, step: int, facts: dict) -> tuple[str, ...]:
    """The step's key points slides.s<step>.p1…, filled with the figure's facts; a point that quotes a
    fact the models could not give (no card, no GAN decoder) is left out."""
    points = []
    for k in range(1, 10):
        key = f"slides.s{step}.p{k}"
        if key not in catalogue(DEFAULT_LANGUAGE):
            break
        try:
            points.append(say(lang, key, **facts))
        except (KeyError, ValueError):
            continue
    return tuple(points)


def build_deck(lang: str, model: str | None = None, progress: Callable[[int, int, str], None] | None = None) -> Deck:
    """The nine slides in `lang`, on the shipped MNIST model `model` (default: the lesson's, mnist-z2;
    steps 4 and 8 use the course's 2-D model, step 9 celeba-z64). progress(k, n, title) is called
    before each step. ValueError for an unknown language or a model that cannot be loaded."""
    from ui.lesson.slide_figures import STEP_FIGURES  # matplotlib: loaded for a deck, not for the page

    model = model or MAIN_MODEL
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    lesson = open_lesson(model)
    if lesson is None:
        raise ValueError(f"model {model!r} cannot be loaded from the models folder")
    two_d = [e.name for e in zoo() if e.available and e.config is not None and e.config.dataset == "mnist" and e.config.latent_dim == 2]
    z2 = two_d_lesson(lesson, two_d)
    slides = []
    for k, (step, figure) in enumerate(zip(STEPS, STEP_FIGURES, strict=True), start=1):
        title = say(lang, step.TITLE)
        if progress:
            progress(k, len(STEPS), title)
        drawn = figure(lesson, z2, lang)
        slides.append(Slide(k, title, key_points(lang, k, drawn.facts), say(lang, f"slides.s{k}.caption"), drawn.png))
    return Deck(lang, model, say(lang, "lesson.title"), tuple(slides))


# ---- PPTX -----------------------------------------------------------------------------------------
def pptx_bytes(deck: Deck) -> bytes:
    """The deck as a PowerPoint file: a title, the key points as bullets, the figure and its caption
    per slide; the notes repeat the key points for the speaker."""
    from pptx import Presentation  # python-pptx is slow to import: only for a PPTX
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_INCHES[0]), Inches(SLIDE_INCHES[1])
    prs.core_properties.title = deck.title
    prs.core_properties.language = LOCALES[deck.lang].replace("_", "-")
    layout = prs.slide_layouts[1]  # "Title and Content": a real title and a bulleted body
    for slide in deck.slides:
        page = prs.slides.add_slide(layout)
        title = page.shapes.title
        title.left, title.top, title.width, title.height = Inches(0.5), Inches(0.25), Inches(12.3), Inches(1.0)
        title.text = f"{slide.number}. {slide.title}"
        title.text_frame.paragraphs[0].runs[0].font.size = Pt(30)
        body = page.placeholders[1]
        body.left, body.top, body.width, body.height = Inches(0.5), Inches(1.4), Inches(5.4), Inches(5.4)
        frame = body.text_frame
        for i, point in enumerate(slide.points):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.text = point
            paragraph.runs[0].font.size = Pt(15)
            paragraph.space_after = Pt(6)
        _add_picture(page, slide.figure_png, Inches(6.1), Inches(1.35), Inches(6.9), Inches(5.2))
        _add_text(page, slide.caption, (Inches(6.1), Inches(6.6), Inches(6.9), Inches(0.6)), Pt(11), italic=True)
        _add_text(page, deck.footer(slide), (Inches(0.5), Inches(7.0), Inches(6.0), Inches(0.35)), Pt(10))
        notes = page.notes_slide.notes_text_frame
        notes.text = "\n".join([say(deck.lang, "slides.notes") + ":", *(f"• {p}" for p in slide.points), "", slide.caption])
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _add_picture(page: PptxSlide, png: bytes, left: Length, top: Length, width: Length, height: Length) -> None:
    """The PNG fitted into the box, aspect kept, centred."""
    from pptx.util import Emu  # see pptx_bytes

    w, h = Image.open(io.BytesIO(png)).size
    scale = min(width / w, height / h)
    shown_w, shown_h = int(w * scale), int(h * scale)
    page.shapes.add_picture(
        io.BytesIO(png), Emu(left + (width - shown_w) // 2), Emu(top + (height - shown_h) // 2), Emu(shown_w), Emu(shown_h)
    )


def _add_text(page: PptxSlide, text: str, box: tuple[Length, Length, Length, Length], size: Length, italic: bool = False) -> None:
    frame = page.shapes.add_textbox(*box).text_frame
    frame.word_wrap = True
    frame.text = text
    font = frame.paragraphs[0].runs[0].font
    font.size, font.italic = size, italic


# ---- PDF ------------------------------------------------------------------------------------------
def pdf_bytes(deck: Deck) -> bytes:
    """The deck as a PDF, one 16:9 page per slide laid out as the PPTX; text embedded as TrueType
    (pdf.fonttype 42), so it can be searched and copied."""
    import matplotlib  # slow to import: only for a PDF
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    buf = io.BytesIO()
    # rc_context sets matplotlib's global rcParams: one PDF at a time, or two sessions' exports could
    # restore each other's font type halfway through.
    with _PDF_LOCK, matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buf, metadata={"Title": deck.title}) as pdf:
        for slide in deck.slides:
            fig = Figure(figsize=SLIDE_INCHES)
            fig.text(0.04, 0.93, f"{slide.number}. {slide.title}", fontsize=26, weight="bold", va="top")
            y = 0.8
            for point in slide.points:
                lines = textwrap.wrap(point, 52)
                fig.text(0.04, y, "•", fontsize=14, va="top")
                fig.text(0.06, y, "\n".join(lines), fontsize=14, va="top", linespacing=1.3)
                y -= (len(lines) * 1.3 * 14 / 72 + 0.16) / SLIDE_INCHES[1]
            ax = fig.add_axes((0.46, 0.13, 0.52, 0.7))
            ax.imshow(Image.open(io.BytesIO(slide.figure_png)), interpolation="none")  # embedded as is, not resampled
            ax.set_axis_off()
            fig.text(0.46, 0.1, "\n".join(textwrap.wrap(slide.caption, 90)), fontsize=10, style="italic", va="top")
            fig.text(0.04, 0.03, deck.footer(slide), fontsize=10, color="#555")
            pdf.savefig(fig)
    return buf.getvalue()


WRITERS: dict[str, Callable[[Deck], bytes]] = {"pptx": pptx_bytes, "pdf": pdf_bytes}


# ---- the Lesson page's download: built on the first click, kept per language and model files ------
@st.cache_resource(show_spinner=False, max_entries=4)
def cached_deck(lang: str, model: str, signature: tuple) -> Deck:
    """build_deck, once per process for each language, model and models' file signature (zoo_key)."""
    return build_deck(lang, model)


@st.cache_resource(show_spinner=False, max_entries=8)  # bytes are immutable: no copy per hit needed
def cached_file(lang: str, model: str, fmt: str, signature: tuple) -> bytes:
    """The cached deck written as `fmt` ("pptx" or "pdf")."""
    return WRITERS[fmt](cached_deck(lang, model, signature))


def deferred_file(lang: str, model: str, fmt: str) -> Callable[[], bytes]:
    """A no-argument callable for st.download_button(data=…): the deck file, built when it is called
    (on a server thread, after the click). The models' file signature is read now, so a retrained
    model gives a new deck."""
    signature = zoo_key().signature
    return lambda: cached_file(lang, model, fmt, signature)


def file_name(lang: str, fmt: str) -> str:
    return f"vae-lesson-{lang}.{fmt}"


# ---- command line -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("slides", "Export the VAE lesson as a slide deck (PPTX or PDF).", EXAMPLES)
    parser.add_argument("--lang", default="en", choices=list(LANGUAGES), help="language of the slides (default: en)")
    parser.add_argument("--out", required=True, type=Path, help="file to write: .pptx or .pdf")
    parser.add_argument("--format", choices=list(WRITERS), help="pptx or pdf (default: from the extension of --out)")
    parser.add_argument("--model", help="shipped MNIST model of the lesson (default: the lesson's, mnist-z2)")
    args = parser.parse_args(argv)
    fmt = args.format or args.out.suffix.lower().lstrip(".")
    if fmt not in WRITERS:
        parser.error(f"cannot tell the format from {str(args.out)!r}: name it .pptx or .pdf, or pass --format")
    if not args.out.parent.is_dir():
        parser.error(f"folder {str(args.out.parent)!r} does not exist")
    set_log_level("error")  # no "no runtime" warnings: this is a command, not a page
    start = time.perf_counter()
    try:
        deck = build_deck(args.lang, args.model, lambda k, n, title: print(f"[{k}/{n}] {title}", file=sys.stderr, flush=True))
    except ValueError as err:
        parser.error(str(err))
    data = WRITERS[fmt](deck)
    try:
        args.out.write_bytes(data)
    except OSError as err:
        print(f"error: cannot write {args.out}: {err.strerror or err}", file=sys.stderr)
        return 1
    print(
        f"{args.out}: {len(deck.slides)} slides, {fmt.upper()}, {len(data) / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
