"""Transcript rules without a database: the email text, who may see a transcript."""

from datetime import date, datetime

from certportal.domain import transcripts as rules
from certportal.models import Candidate, Transcript


def sample(**overrides) -> Transcript:
    candidate = Candidate(first_name="John", last_name="Doe", verification_consent=True)
    fields = {
        "public_id": "15KDEQ4K1BV1133H",
        "display_name": "John Doe",
        "expires_on": date(2019, 12, 10),
        "disabled_at": None,
        "candidate": candidate,
    }
    fields.update(overrides)
    return Transcript(**fields)


def test_the_email_is_the_guides_sample_message():
    link = "https://certs.example.org/t/15KDEQ4K1BV1133H"
    message = rules.transcript_email("CertMetrics", sample(), link)
    assert message.subject == "CertMetrics - Transcript for John Doe"
    assert message.text == (
        "This email was sent because we received a request to have transcript information "
        "for John Doe emailed to you.\n"
        "\n"
        "Please click the following link to view transcript\n"
        "https://certs.example.org/t/15KDEQ4K1BV1133H\n"
        "\n"
        "This transcript currently expires on Tuesday, December 10, 2019.\n"
    )


def test_a_transcript_is_public_until_its_expiry_day_has_passed():
    transcript = sample()
    assert rules.public_state(transcript, date(2019, 12, 10)) == rules.AVAILABLE
    assert rules.public_state(transcript, date(2019, 12, 11)) == rules.EXPIRED


def test_disabled_or_without_consent_is_unavailable_even_when_expired():
    disabled = sample(disabled_at=datetime(2019, 12, 1))
    assert rules.public_state(disabled, date(2019, 12, 1)) == rules.UNAVAILABLE
    assert rules.public_state(disabled, date(2020, 1, 1)) == rules.UNAVAILABLE
    for consent in (False, None):
        withdrawn = sample()
        withdrawn.candidate.verification_consent = consent
        assert rules.public_state(withdrawn, date(2019, 12, 1)) == rules.UNAVAILABLE
    assert rules.public_state(None, date(2019, 12, 1)) == rules.UNAVAILABLE


def test_public_ids_are_16_readable_characters_and_malformed_ids_are_never_looked_up():
    assert rules.PUBLIC_ID_PATTERN.match("15KDEQ4K1BV1133H")
    for malformed in ("15kdeq4k1bv1133h", "15KDEQ4K1BV1133", "15KDEQ4K1BV1133HX", "ILOU" * 4):
        assert not rules.PUBLIC_ID_PATTERN.match(malformed)
        assert rules.find_public(malformed) is None
