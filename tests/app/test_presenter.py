"""Presenter mode: opened by a link (presenter=1), large type without chrome, kept in the URL."""

from streamlit.testing.v1 import AppTest

from tests.conftest import REPO, needs


@needs("mnist-z2")
def test_presenter_link_opens_the_lesson_in_presenter_mode():
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.query_params.update({"presenter": "1", "step": "3"})
    at.switch_page("pages/lesson.py")
    at.run()
    assert not at.exception
    assert at.session_state["presenter"] is True and at.sidebar.toggle(key="presenter").value is True
    styles = [h.proto.body for h in at.get("html")]
    assert any("font-size: 21px" in body and "stToolbar" in body for body in styles)
    assert at.session_state["lesson_step"] == 3 and at.query_params["presenter"] == "true"  # the binding's spelling
    at.sidebar.toggle(key="presenter").set_value(False).run()
    assert not any("font-size: 21px" in h.proto.body for h in at.get("html"))


@needs("mnist-z2")
def test_presenter_mode_keeps_the_pages_the_language_and_the_exit_within_reach():
    """Presenter mode hides Streamlit's header (and the sidebar's opener): its own bar has a page
    menu with every page, a language switch and the way out."""
    from ui.app import PAGES

    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.query_params.update({"presenter": "1", "lang": "fr"})
    at.run()  # the home page (AppTest cannot switch the language under a page whose choice labels are translated)
    assert not at.exception
    links = [e for e in at.get("page_link")]
    assert len(links) == len([p for p in PAGES if (REPO / "pages" / p[0]).exists()])
    exit_button, language = at.button(key="presenter_exit"), at.button(key="presenter_lang")
    assert (exit_button.label, exit_button.help) == ("Quitter", "Quitter le mode présentateur")
    assert (language.label, language.help) == ("EN", "English")
    at.button(key="presenter_lang").click().run()
    assert at.session_state["lang"] == "en" and at.button(key="presenter_exit").help == "Leave presenter mode"
    at.button(key="presenter_exit").click().run()
    assert not at.exception and at.session_state["presenter"] is False
    assert not any("font-size: 21px" in h.proto.body for h in at.get("html"))
    assert all(b.key != "presenter_exit" for b in at.button)  # the bar is gone with presenter mode


@needs("mnist-z2")
def test_presenter_mode_walks_a_step_one_sub_step_at_a_time():
    """On a projector a step is cut into sub-steps of one screen each: Next shows the next one, then
    the next step's first; Previous goes back to the previous step's last; the URL keeps the position.
    Normally the whole step shows at once."""
    from ui.lesson import STEPS

    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.query_params.update({"presenter": "1", "step": "4"})
    at.switch_page("pages/lesson.py")
    at.run()
    assert not at.exception and STEPS[3].PARTS == 3

    def where() -> tuple[str, set[str]]:
        ids = [c.proto.id for c in at.get("plotly_chart")]
        return at.header[0].value, {k for k in ("ls4_1d", "ls4_2d", "ls4_prior", "ls5_densities") if any(k in i for i in ids)}

    assert where() == ("4. The normal distribution, in 1-D then in n-D (1/3)", {"ls4_1d"})
    at.button(key="lesson_next").click().run()
    assert where() == ("4. The normal distribution, in 1-D then in n-D (2/3)", {"ls4_2d"}) and at.query_params["part"] == "2"
    at.button(key="lesson_next").click().run()
    assert where()[1] == {"ls4_prior"}
    at.button(key="lesson_next").click().run()
    assert at.session_state["lesson_step"] == 5 and where()[0].endswith("(1/3)") and "part" not in at.query_params
    at.button(key="lesson_prev").click().run()
    assert where() == ("4. The normal distribution, in 1-D then in n-D (3/3)", {"ls4_prior"})
    at.sidebar.toggle(key="presenter").set_value(False).run()  # a reader at a desk: the whole step
    assert where() == ("4. The normal distribution, in 1-D then in n-D", {"ls4_1d", "ls4_2d", "ls4_prior"})
