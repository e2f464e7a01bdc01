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
