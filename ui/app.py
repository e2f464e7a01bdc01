"""The app shell: page list, navigation, the shared sidebar (language, dataset, model picker).

dashboard.py calls main(). Every page script starts with `ensure_entry()`: on the first request
after a server start, Streamlit runs a deep-linked script from pages/ directly, without the entry
point (streamlit#9624); ensure_entry() then runs the whole app (navigation included), which
renders the requested page with its sidebar, and stops the direct run.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import streamlit as st
import streamlit.commands.navigation as _navigation_module
from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

from ui.components.reconnect import resume_session
from ui.serve import warm
from ui.shell import state
from ui.shell.i18n import LANGUAGES, browser_language, t
from ui.shell.resources import Ready, loaded, zoo
from vae.analysis.zoo import DEFAULT_MODEL, ZooEntry

ROOT = Path(__file__).resolve().parent.parent
# The pages in navigation order: file in pages/ (its stem is the URL path, so a cold deep link finds
# the file), i18n key of the title, Material icon.
_PAGE_TABLE = """
home.py            nav.home          home
lesson.py          nav.lesson        school
latent_map.py      nav.map           scatter_plot
latent_sliders.py  nav.sliders       tune
interpolation.py   nav.interpolation linear_scale
generate.py        nav.generate      auto_awesome
your_input.py      nav.your_input    draw
kl_vs_recon.py     nav.kl_recon      show_chart
compare_models.py  nav.compare       compare
face_editor.py     nav.face_editor   face_retouching_natural
composer.py        nav.composer      group
anomalies.py       nav.anomalies     report
"""
PAGES = [(file, title, f":material/{icon}:") for file, title, icon in (line.split() for line in _PAGE_TABLE.strip().splitlines())]
DATASETS = {"mnist": "MNIST", "celeba": "CelebA"}

_entry = threading.local()  # set while the entry point runs a page, per script thread


def ensure_entry() -> None:
    """The first statement of every page script, after its imports: run through the app shell if Streamlit ran
    the page directly. Streamlit 1.67 still does on a cold deep link (/latent_map in a new tab): because a
    pages/ folder sits beside dashboard.py, its script runner takes the pages-folder route (`_mpa_v1`), which
    runs pages/latent_map.py itself, not dashboard.py (streamlit#9624). Here the shell's main() runs instead,
    builds the navigation and runs the page inside it; this direct run then stops."""
    if not getattr(_entry, "active", False):
        main()
        st.stop()


# Every mode: a label too long for its button or metric wraps onto a second line instead of ending
# in an ellipsis ("Précéd…" on a projector is worse than a taller button).
APP_CSS = """
<style>
  .st-key-ip_animations img { image-rendering: pixelated; }
  button [data-testid="stMarkdownContainer"], button [data-testid="stMarkdownContainer"] p,
  [data-testid="stMetricValue"] > div, [data-testid="stMetricLabel"] div {
    white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  }
  button [data-testid="stMarkdownContainer"] p { overflow-wrap: break-word; }
  [data-testid="stWidgetLabel"] [data-testid="stMarkdownContainer"],
  [data-testid="stWidgetLabel"] [data-testid="stMarkdownContainer"] p {  /* a toggle's label: p is nowrap there */
    white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  }
  /* widgets.float_slider outside English: the value is in the label, written the language's way; Streamlit's
     own value and ends (printf, a decimal point) are hidden */
  [class*="st-key-localslider_"] [data-testid="stSliderThumbValue"],
  [class*="st-key-localslider_"] [data-testid="stSliderTickBar"] { display: none; }
  .katex-display > .katex { padding: 0 0.2em; }  /* sub-pixel glyph overhang stays inside the box */
  .st-key-vae_resume_session, .st-key-vae_resume_reload { display: none; }  /* ui.components.reconnect: no HTML, and no gap */
  /* A segmented control's options wrap onto a second row instead of scrolling sideways out of sight (a
     phone, a column on a projector). */
  [data-testid="stButtonGroup"] > div { flex-wrap: wrap; overflow-x: visible; }
  /* widgets.image_row: small pictures side by side with their captions, as st.image draws a caption */
  .vae-image-row { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; }
  .vae-image-row figure { margin: 0; flex: 1 1 0; min-width: 3.5rem; max-width: 8rem; text-align: center; }
  .vae-image-row img { display: block; width: 100%; image-rendering: pixelated; }
  .vae-image-row figcaption { font-size: 0.875rem; opacity: 0.6; padding-top: 0.25rem; overflow-wrap: anywhere; }
</style>
"""

# A phone (narrow screens only; the desktop and presenter layouts are untouched): the page's picture and the
# control that moves it come on the first screen. The server cannot know the width, so pages mark containers
# with words in their keys (Streamlit gives st.container(key=K) the class st-key-K), and this CSS acts on them:
#   wideonly, phoneonly  shown on a wide screen only, on a phone only (widgets.intro: an explanation folds);
#   phonefirst  the container comes first among its siblings;  phonelast  after them;
#   phoneflat   its columns dissolve into one column, so that the blocks of all of them follow one order
#               (with phonefirst inside: the picture of a right-hand column above the sliders of the left);
#   phonerow    its columns stay side by side;  phonegrid  its columns go two by two;
#   phonegridwide  the same, its first column across the screen.
# The latent map's plot takes its height from --vae-map-height there (frontend/src/map/dom.js).
PHONE_CSS = """
<style>
  @media (min-width: 641px) {
    [data-testid="stLayoutWrapper"]:has(> [class*="phoneonly"]) { display: none; }
  }
  @media (max-width: 640px) {
    [data-testid="stMainBlockContainer"] { padding-top: 3.75rem; }
    [data-testid="stMain"] h1 { font-size: 2rem; padding-top: 0.5rem; padding-bottom: 0.25rem; }
    [data-testid="stLayoutWrapper"]:has(> [class*="wideonly"]) { display: none; }
    [data-testid="stLayoutWrapper"]:has(> [class*="phonefirst"]) { order: -1; }
    [data-testid="stLayoutWrapper"]:has(> [class*="phonelast"]) { order: 1; }
    [class*="phoneflat"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] {
      flex-direction: column; flex-wrap: nowrap; gap: 1rem;
    }
    [class*="phoneflat"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"],
    [class*="phoneflat"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] > [data-testid="stVerticalBlock"] {
      display: contents;
    }
    [class*="phonerow"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] { flex-wrap: nowrap; gap: 0.5rem; }
    [class*="phonerow"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
      min-width: 0 !important; width: auto !important; flex: 1 1 0 !important;
    }
    [class*="phonegrid"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] { gap: 0.5rem; }
    [class*="phonegrid"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
      min-width: calc(50% - 0.25rem) !important; width: calc(50% - 0.25rem) !important; flex: 1 1 calc(50% - 0.25rem) !important;
    }
    [class*="phonegridwide"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:first-child {
      min-width: 100% !important; width: 100% !important; flex: 1 1 100% !important;
    }
    [class*="st-key-live_map_"] { --vae-map-height: min(46vh, 400px); }
    [data-testid="stMain"] [data-testid="stImageContainer"] { max-width: 100%; }  /* a picture wider than the screen shrinks */
    [data-testid="stMain"] [data-testid="stImageContainer"] img { height: auto; }
  }
</style>
"""

PRESENTER_CSS = """
<style>
  html, body, [data-testid="stAppViewContainer"] { font-size: 21px; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
  [data-testid="stCaptionContainer"], label, [data-testid="stWidgetLabel"] p { font-size: 1.05rem !important; line-height: 1.45 !important; }
  [data-testid="stVerticalBlock"] { gap: 0.55rem !important; }
  [data-testid="stMain"] [data-testid="stImage"] img { max-height: 15rem; width: auto !important; }
  .katex-display { margin: 0.3em 0 !important; }
  h1 { font-size: 2.6rem !important; } h3 { font-size: 1.6rem !important; }
  [data-testid="stMetricValue"], [data-testid="stMetricValue"] p { font-size: 2.2rem !important; }
  [data-baseweb="select"] div, [data-baseweb="input"] input, [data-testid="stNumberInput"] input,
  [data-testid="stTextInput"] input, [data-baseweb="popover"] li { font-size: 1.2rem !important; }
  [data-testid="stTable"] td, [data-testid="stTable"] th, [data-testid="stMarkdownContainer"] td,
  [data-testid="stMarkdownContainer"] th { font-size: 1.1rem !important; }
  [data-testid="stCode"] code, [data-testid="stCode"] pre { font-size: 0.85rem !important; line-height: 1.35 !important; }
  header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], footer { display: none !important; }
  [data-testid="stMainBlockContainer"], .block-container {
    padding: 0.6rem 2.5rem 2rem !important; max-width: 100% !important;
  }
  h1, h2, h3 { padding-top: 0.3rem !important; padding-bottom: 0.3rem !important; }
  h2 { font-size: 2rem !important; }
  .st-key-presenter_bar {
    position: fixed; top: 0.45rem; right: 0.8rem; z-index: 999990; width: auto !important;
    background: rgba(255, 255, 255, 0.94); border-radius: 0.6rem; padding: 0.1rem;
  }
  .st-key-presenter_bar button { font-size: 0.8rem !important; min-height: 0 !important; padding: 0.15rem 0.6rem !important; }
  .st-key-presenter_bar button p { font-size: 0.8rem !important; }
  /* the first row of a page leaves the floating bar's room */
  .st-key-lesson_nav { padding-right: 17rem; }
  .st-key-lesson_nav [data-baseweb="select"] div { font-size: 1rem !important; }
</style>
"""


def main() -> None:
    warm.start_once()  # a no-op under `vae-explorer serve`, which started it before Streamlit
    presenter = _presenter_from_url()
    st.set_page_config(
        page_title="VAE Latent Explorer",
        page_icon="🌀",
        layout="wide",
        initial_sidebar_state="collapsed" if presenter else "auto",
    )
    state.from_query("lang", browser_language(), state.parse_choice(LANGUAGES))
    st.html(APP_CSS + PHONE_CSS)
    resume_session()  # before anything reads the session: it may stop this run and reload the page
    if presenter:
        st.html(PRESENTER_CSS)
    pages = [
        st.Page(str(ROOT / "pages" / file), title=t(title), icon=icon, url_path=Path(file).stem, default=i == 0)
        for i, (file, title, icon) in enumerate(PAGES)
        if (ROOT / "pages" / file).exists()  # tests check that every listed page exists
    ]
    navigation = st.navigation(pages)
    sidebar()
    missing = st.session_state.pop(PAGE_NOT_FOUND, None)
    if missing is not None:
        st.toast(t("nav.page_not_found", name=missing) if missing else t("nav.page_not_found_unnamed"), icon=":material/link_off:")

    if presenter:
        presenter_bar(pages)
    _entry.active = True
    try:
        navigation.run()
    finally:
        _entry.active = False
        notices = state.pop_notices()  # link parameters the shell or the page could not use
        if notices:
            st.toast(t("sidebar.bad_params", params=", ".join(dict.fromkeys(notices))), icon=":material/link_off:")


PAGE_NOT_FOUND = "_page_not_found"  # session key: the page name a link asked for that no page has


def _page_not_found(ctx: ScriptRunContext) -> None:
    """Replaces Streamlit's answer to a link to an unknown page (an English "Page not found" dialog):
    the name is kept for the session, and main() says it in the reader's language over the home page,
    which Streamlit runs in that case. Installed below; Streamlit 1.67 calls it from st.navigation."""
    with contextlib.suppress(Exception):
        st.session_state[PAGE_NOT_FOUND] = str(ctx.pages_manager.intended_page_name or "")


_navigation_module.send_page_not_found = _page_not_found


def presenter_bar(pages: list) -> None:
    """Presenter mode hides Streamlit's header, and with it the control that opens the sidebar: this
    compact bar keeps the page menu, the language and the way out within reach on every page. It floats
    at the top right (PRESENTER_CSS), so a projector screen keeps its height for the content."""
    other = next(code for code in LANGUAGES if code != st.session_state.get("lang"))
    with st.container(key="presenter_bar", horizontal=True, vertical_alignment="center", gap="small"):
        with st.popover(t("presenter.pages"), icon=":material/menu:"):
            for page in pages:
                st.page_link(page)
        st.button(
            other.upper(), key="presenter_lang", icon=":material/translate:", help=LANGUAGES[other], on_click=_set_language, args=(other,)
        )
        st.button(
            t("presenter.exit_short"),
            key="presenter_exit",
            icon=":material/close_fullscreen:",
            help=t("presenter.exit"),
            on_click=_leave_presenter,
        )


def _set_language(code: str) -> None:
    st.session_state["lang"] = code  # the sidebar's language widget, before it is drawn again


def _leave_presenter() -> None:
    st.session_state["presenter"] = False  # the sidebar's toggle, bound to the URL


def _presenter_from_url() -> bool:
    if "presenter" in st.session_state:
        return bool(st.session_state["presenter"])
    try:
        return state.parse_bool(state.raw_param("presenter", "bool", "0") or "0")
    except ValueError:
        return False


def sidebar() -> None:
    entries = zoo()
    with st.sidebar:
        st.selectbox("🌐", list(LANGUAGES), format_func=LANGUAGES.__getitem__, key="lang", label_visibility="collapsed")
        st.toggle(t("sidebar.presenter"), help=t("sidebar.presenter_help"), **state.bound("presenter", False, state.parse_bool))
        available = {ds: [e.name for e in entries if e.available and e.dataset == ds] for ds in DATASETS}
        datasets = [ds for ds in DATASETS if available[ds]] or list(DATASETS)
        state.from_query("dataset", datasets[0], state.parse_choice(datasets))
        st.radio(
            t("sidebar.dataset"), datasets, format_func=DATASETS.__getitem__, key="dataset", horizontal=True, on_change=_dataset_changed
        )
        names = available.get(st.session_state["dataset"], [])
        default = DEFAULT_MODEL.get(st.session_state["dataset"])
        default = default if default in names else (names[0] if names else None)
        state.from_query("model", default, state.parse_choice(names))
        if st.session_state.get("model") not in names:
            st.session_state["model"] = default
        if names:
            labels = {e.name: _model_label(e) for e in entries}  # once per run, not once per option
            st.selectbox(t("sidebar.model"), names, key="model", format_func=labels.__getitem__)
        else:
            st.warning(t("sidebar.no_models"))
        broken = [e for e in entries if not e.available]
        if broken:
            with st.expander(t("sidebar.unavailable", n=len(broken))):
                for e in broken:
                    st.caption(f"**{e.name}** — {e.error}")
        state.to_query("lang", "dataset", "model")


def _dataset_changed() -> None:
    st.session_state.pop("model", None)
    st.query_params.pop("model", None)  # the old dataset's model is not a bad link parameter


def _model_label(entry: ZooEntry) -> str:
    if entry.config is None:
        return entry.name
    c = entry.config
    return f"{entry.name}  (z={c.latent_dim}, β={c.beta:g})"


def current() -> Ready:
    """The model picked in the sidebar, loaded; stops the page with a message if it cannot be used."""
    name = st.session_state.get("model")
    if not name:
        st.info(t("common.no_model"))
        st.stop()
    result = loaded(name)
    ready = result.ready()
    if ready is None:
        st.error(t("common.model_unavailable", name=name, error=result.error))
        st.stop()
    return ready
