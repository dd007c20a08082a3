"""Support cases: what the acknowledgement an anonymous visitor triggers may carry."""

import pytest

from certportal.models import OutgoingEmail, SupportCase
from tests.conftest import csrf_token_from

# Text a visitor could try to have the portal mail, under its name, to any address.
PLANTED_DESCRIPTION = "Your account is suspended: sign in again at https://evil.example/login"
PLANTED_LOGIN_IDS = "WWW.EVIL.EXAMPLE CALL-555-0100"


@pytest.fixture
def web(mail_app):
    return mail_app.test_client()


def test_the_acknowledgement_echoes_no_text_the_visitor_typed(web, smtp_server, db):
    token = csrf_token_from(web.get("/support/cases/new").text)
    response = web.post(
        "/support/cases/new",
        data={"kind": "other", "email": "victim@example.org", "login_ids": PLANTED_LOGIN_IDS,
              "description": PLANTED_DESCRIPTION, "csrf_token": token},
    )
    assert response.status_code == 303
    case = SupportCase.get(SupportCase.contact_email == "victim@example.org")
    # Staff still get every word of the case.
    assert case.description == PLANTED_DESCRIPTION
    assert case.login_ids == "WWW.EVIL.EXAMPLE, CALL-555-0100"

    [delivered] = smtp_server.messages
    stored = OutgoingEmail.get()
    text = delivered.get_body(("plain",)).get_content()
    html = delivered.get_body(("html",)).get_content()
    assert delivered["To"] == "victim@example.org"
    assert delivered["Subject"] == f"Support case {case.case_number} received"
    assert case.case_number in text and case.case_number in html
    assert "Other help" in text
    for message_part in (delivered["Subject"], text, html, stored.body_text, stored.body_html):
        assert "evil.example" not in message_part.lower()
        assert "suspended" not in message_part and "555" not in message_part
    assert "If you did not open this case" in text
