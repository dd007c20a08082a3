"""Outgoing email: stored first, delivered over real SMTP, kept when the server is down."""

import pytest
from flask import Response

from certportal.mail import deliver_pending, queue_email
from certportal.models import Candidate, OutgoingEmail
from tests.conftest import unused_smtp_url


@pytest.fixture
def app_with_send_route(mail_app):
    @mail_app.post("/test-only/send")
    def send_for_test():
        queue_email(kind="test", to="ana@example.org", subject="Hello", text="Body")
        return Response("queued")

    return mail_app


def _queue_greeting(candidate=None):
    return queue_email(
        kind="test",
        to="王美 <mei@example.org>",
        subject="Cisco - Transcript for 王美",
        text="Plain body: ümlaut and 中文.",
        html="<p>HTML body: ümlaut and 中文.</p>",
        candidate=candidate,
    )


def test_a_queued_message_is_delivered_with_utf8_headers_and_both_parts(mail_app, smtp_server):
    with mail_app.app_context():
        mei = Candidate.get(Candidate.login_id == "CSCO10000001")
        stored = _queue_greeting(mei)
        assert deliver_pending() == (1, 0)
        stored = OutgoingEmail.get_by_id(stored.id)

    assert stored.status == "sent" and stored.sent_at is not None
    [received] = smtp_server.messages
    assert received["Subject"] == "Cisco - Transcript for 王美"
    assert received["To"] == "王美 <mei@example.org>"
    assert "Cisco" in received["From"]
    assert received.get_body(("plain",)).get_content().strip() == "Plain body: ümlaut and 中文."
    assert "<p>HTML body" in received.get_body(("html",)).get_content()


def test_a_message_queued_in_a_request_is_sent_once_the_response_has_gone(
    app_with_send_route, smtp_server
):
    client = app_with_send_route.test_client()
    app_with_send_route.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/test-only/send", buffered=False)
    assert response.text == "queued"
    # The response is complete and nothing was sent while the request waited ...
    assert smtp_server.messages == []
    response.close()
    # ... the server closing the sent response delivers the message.
    assert [message["To"] for message in smtp_server.messages] == ["ana@example.org"]


def test_smtp_down_keeps_the_message_pending_until_send_pending_delivers_it(
    app_config, smtp_server
):
    from certportal import create_app

    app_config["MAIL_URL"] = unused_smtp_url()
    down = create_app(app_config)
    with down.app_context():
        stored = _queue_greeting()
        assert deliver_pending() == (0, 1)
        kept = OutgoingEmail.get_by_id(stored.id)
    assert (kept.status, kept.attempts) == ("pending", 1)
    assert "Connection" in kept.last_error or "refused" in kept.last_error.lower()
    assert smtp_server.messages == []

    app_config["MAIL_URL"] = smtp_server.url
    up = create_app(app_config)
    result = up.test_cli_runner().invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 message(s)" in result.output
    assert [message["Subject"] for message in smtp_server.messages] == [
        "Cisco - Transcript for 王美"
    ]
    with up.app_context():
        assert OutgoingEmail.get_by_id(stored.id).status == "sent"


def test_send_pending_reports_failure_and_exits_non_zero_while_smtp_is_down(app_config):
    from certportal import create_app

    app_config["MAIL_URL"] = unused_smtp_url()
    down = create_app(app_config)
    with down.app_context():
        _queue_greeting()
    result = down.test_cli_runner().invoke(args=["mail", "send-pending"])
    assert result.exit_code == 1
    assert "1 could not be delivered and stay pending" in result.output


def test_without_mail_url_messages_stay_in_the_table(app):
    with app.app_context():
        stored = _queue_greeting()
        assert deliver_pending() == (0, 0)
        assert OutgoingEmail.get_by_id(stored.id).status == "pending"
    result = app.test_cli_runner().invoke(args=["mail", "send-pending"])
    assert result.exit_code != 0
    assert "MAIL_URL is not set" in result.output


def test_a_message_is_sent_once_even_if_delivery_runs_twice(mail_app, smtp_server):
    with mail_app.app_context():
        _queue_greeting()
        assert deliver_pending() == (1, 0)
        assert deliver_pending() == (0, 0)
    assert len(smtp_server.messages) == 1
