"""The portal remembers the links it builds: each must still be the link Flask builds."""

from flask import Flask

from certportal.web import application


def flask_link(app, endpoint, **values):
    return Flask.url_for(app, endpoint, **values)


def test_a_remembered_link_is_the_link_flask_builds(app):
    cases = [("history.exams", {}), ("history.exams", {"sort": "grade", "dir": "desc"}),
             ("static", {"filename": "css/portal.css"}),
             ("history.exams", {"sort": "date", "page": 2})]
    with app.test_request_context("/testing-history/"):
        for endpoint, values in cases * 2:
            assert app.url_for(endpoint, **values) == flask_link(app, endpoint, **values)
        assert app.url_for("history.exams", _anchor="exam-table") == "/testing-history/#exam-table"
        assert app.url_for("history.exams", _external=True) == "http://localhost/testing-history/"


def test_a_relative_endpoint_names_the_blueprint_of_each_request(app):
    with app.test_request_context("/testing-history/"):
        assert app.url_for(".exams") == "/testing-history/"
    with app.test_request_context("/transcripts"):
        assert app.url_for(".index") == flask_link(app, "transcripts.index")
    with app.test_request_context("/certifications/"):
        assert app.url_for(".index") == flask_link(app, "certifications.index")


def test_each_script_root_gets_its_own_links(app):
    with app.test_request_context("/testing-history/"):
        assert app.url_for("history.exams") == "/testing-history/"
    with app.test_request_context("/testing-history/", base_url="http://localhost/portal/"):
        assert app.url_for("history.exams") == "/portal/testing-history/"


def test_values_that_cannot_be_remembered_still_build(app):
    with app.test_request_context("/"):
        link = app.url_for("history.exams", sort=["grade", "date"])
        assert link == flask_link(app, "history.exams", sort=["grade", "date"])


def test_a_url_defaults_callback_is_never_bypassed(app):
    app._got_first_request = False
    with app.test_request_context("/"):
        before = app.url_for("history.exams")

    @app.url_defaults
    def add_language(endpoint, values):
        if endpoint == "history.exams":
            values.setdefault("lang", "en")

    with app.test_request_context("/"):
        assert before == "/testing-history/"
        assert app.url_for("history.exams") == "/testing-history/?lang=en"


def test_the_memory_is_bounded(app, monkeypatch):
    monkeypatch.setattr(application, "LINKS_KEPT", 5)
    with app.test_request_context("/"):
        links = [app.url_for("history.exams", page=number) for number in range(1, 13)]
        assert links[11] == "/testing-history/?page=12"
        assert len(app._links) <= 5
