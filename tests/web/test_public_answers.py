"""Public pages answered again in front of Flask: the same answers, never a stale one."""

import pytest
from flask import request_started

from certportal import create_app
from certportal.domain.certifications import revoke_certification
from certportal.models import Candidate, Transcript, utcnow
from tests.conftest import PARTIAL, log_in
from tests.factories import held
from tests.web.test_transcripts import create, newest_transcript


@pytest.fixture
def dispatched(app):
    """How many requests reached Flask's views."""
    seen = []

    def count(sender, **extra):
        seen.append(1)

    request_started.connect(count, app)
    yield seen
    request_started.disconnect(count, app)


@pytest.fixture
def transcript_url(app, db):
    owner = app.test_client()
    log_in(owner)
    create(owner)
    return f"/t/{newest_transcript().public_id}"


def same_answer(first, second) -> None:
    assert second.status_code == first.status_code
    assert second.data == first.data
    assert sorted(second.headers.items()) == sorted(first.headers.items())


def test_a_repeat_view_gets_flasks_own_answer_without_the_view(app, transcript_url,
                                                                  dispatched):
    viewer = app.test_client()
    first = viewer.get(transcript_url)
    assert first.status_code == 200 and "John Doe" in first.text
    assert len(dispatched) == 1
    second = viewer.get(transcript_url, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    same_answer(first, second)
    assert len(dispatched) == 1, "answered in front of Flask"


def test_a_revalidation_gets_the_same_304_flask_gives(app, transcript_url, dispatched):
    viewer = app.test_client()
    etag = viewer.get(transcript_url).headers["ETag"]
    flask_only = create_app({**app.config, "PUBLIC_PAGES_KEPT": 0}).test_client()
    from_flask = flask_only.get(transcript_url, headers={"If-None-Match": etag})
    in_front = viewer.get(transcript_url, headers={"If-None-Match": etag})
    assert in_front.status_code == 304 and in_front.data == b""
    same_answer(from_flask, in_front)
    assert in_front.headers["ETag"] == etag and "Content-Type" not in in_front.headers
    assert len(dispatched) == 1


def test_every_viewer_is_counted_once_when_answered_in_front(app, transcript_url, dispatched):
    viewer = app.test_client()
    for address in ["203.0.113.1", "203.0.113.2", "203.0.113.2", "203.0.113.3"]:
        assert viewer.get(transcript_url, environ_base={"REMOTE_ADDR": address}).status_code == 200
    assert len(dispatched) == 1
    public_id = transcript_url.rsplit("/", 1)[1]
    assert Transcript.get(Transcript.public_id == public_id).view_count == 3


def test_a_change_shows_at_once(app, transcript_url, dispatched):
    viewer = app.test_client()
    assert viewer.get(transcript_url).status_code == 200
    public_id = transcript_url.rsplit("/", 1)[1]

    Transcript.update(disabled_at=utcnow()).where(Transcript.public_id == public_id).execute()
    gone = viewer.get(transcript_url)
    assert gone.status_code == 404 and "This transcript is not available" in gone.text

    Transcript.update(disabled_at=None).where(Transcript.public_id == public_id).execute()
    assert viewer.get(transcript_url).status_code == 200
    Candidate.update(first_name="Jonathan").where(
        Candidate.login_id == "CSCO10000000").execute()
    renamed = viewer.get(transcript_url)
    assert renamed.status_code == 200 and "Jonathan Doe" in renamed.text
    assert "CCNA (CCNA)" in renamed.text

    revoke_certification(held("CCNA"), reason="Exam misconduct")
    after = viewer.get(transcript_url)
    assert after.status_code == 200 and "CCNA (CCNA)" not in after.text

    Candidate.update(verification_consent=False).where(
        Candidate.login_id == "CSCO10000000").execute()
    assert viewer.get(transcript_url).status_code == 404


def test_the_owner_and_unusual_requests_go_to_flask(app, transcript_url, dispatched):
    app.test_client().get(transcript_url)
    owner = app.test_client()
    log_in(owner)
    before = len(dispatched)
    assert owner.get(transcript_url).status_code == 200
    assert app.test_client().get(transcript_url + "?utm_source=mail").status_code == 200
    assert app.test_client().head(transcript_url).status_code == 200
    assert len(dispatched) == before + 3


def test_the_rate_limit_counts_answers_given_in_front(app_config, db, dispatched):
    from certportal.web.security import limiter

    app_config.update(RATELIMIT_ENABLED=True, TRANSCRIPT_RATE_LIMIT="3 per minute")
    limited = create_app(app_config)
    limiter.reset()
    owner = limited.test_client()
    log_in(owner)
    create(owner)
    url = f"/t/{newest_transcript().public_id}"
    viewer = limited.test_client()
    counted = []
    request_started.connect(lambda sender, **extra: counted.append(1), limited, weak=False)
    assert [viewer.get(url).status_code for _ in range(3)] == [200, 200, 200]
    assert len(counted) == 1
    refused = viewer.get(url)
    assert refused.status_code == 429 and "Too many requests" in refused.text


def test_a_revoked_badge_shows_at_once(app, db, dispatched):
    ccna = held("CCNA")
    viewer = app.test_client()
    url = f"/badges/{ccna.badge_id}"
    first = viewer.get(url)
    assert first.status_code == 200
    same_answer(first, viewer.get(url))
    assert len(dispatched) == 1

    revoke_certification(ccna, reason="Exam misconduct")
    page = viewer.get(url)
    assert 'class="status-revoked">Revoked</strong>' in page.text
    assert len(dispatched) == 2


def test_the_verification_page_keeps_its_partial_and_full_answers_apart(app, db, dispatched):
    code = held("CCNA").verification_code
    viewer = app.test_client()
    full = viewer.get(f"/verify/{code}")
    assert full.status_code == 200 and "<html" in full.text
    same_answer(full, viewer.get(f"/verify/{code}"))
    assert len(dispatched) == 1

    partial = viewer.get(f"/verify/{code}", headers=PARTIAL)
    assert partial.status_code == 200 and "<html" not in partial.text
    assert len(dispatched) == 2
    assert "<html" in viewer.get(f"/verify/{code}").text

    revoke_certification(held("CCNA"), reason="Exam misconduct")
    assert "Revoked" in viewer.get(f"/verify/{code}").text
