"""Transcript rules without a database: the email text, who may see a transcript."""

from datetime import date, datetime

from certportal import notifications
from certportal.domain import transcripts as rules
from certportal.models import Candidate, Transcript


def sample(**overrides) -> Transcript:
    candidate = Candidate(first_name="John", last_name="Doe", verification_consent=True)
    fields = {
        "public_id": "15KDEQ4K1BV1133H",
        "name_form": "full",
        "expires_on": date(2019, 12, 10),
        "disabled_at": None,
        "candidate": candidate,
    }
    fields.update(overrides)
    return Transcript(**fields)


def test_the_email_is_the_guides_sample_message():
    link = "https://certs.example.org/t/15KDEQ4K1BV1133H"
    message = notifications.transcript_email("CertMetrics", sample(), link)
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


def person(first, last, localized_first="", localized_last=""):
    return Candidate(first_name=first, last_name=last, localized_first_name=localized_first,
                     localized_last_name=localized_last)


def test_the_name_forms_come_from_the_record_alone():
    assert rules.name_forms(person("John", "Doe")) == {"full": "John Doe", "initials": "J. Doe"}
    assert rules.name_forms(person("Mary Ann", "Smith-Jones"))["initials"] == "M. A. Smith-Jones"
    assert rules.name_forms(person("Jean-Luc", "Picard"))["initials"] == "J.-L. Picard"
    assert rules.name_forms(person("Mei", "Wang", "美", "王")) == {
        "full": "Mei Wang", "initials": "M. Wang", "localized": "王美"}
    # No given name: the initials would read like the full name, so they are not offered.
    assert rules.name_forms(person("", "Doe")) == {"full": "Doe"}


def test_a_form_the_record_no_longer_has_shows_the_full_name():
    assert rules.shown_name(person("Mei", "Wang", "美", "王"), "localized") == "王美"
    assert rules.shown_name(person("Mei", "Wang"), "localized") == "Mei Wang"
    assert rules.shown_name(person("Mei", "Wang"), "Somebody Else") == "Mei Wang"


def test_an_old_free_text_name_maps_to_the_form_it_reads_like():
    john = person("John", "Doe", "约翰", "多伊")
    assert rules.closest_name_form(john, "JOHN  DOE") == "full"
    assert rules.closest_name_form(john, "J Doe") == "initials"
    assert rules.closest_name_form(john, "多伊 约翰") == "localized"
    assert rules.closest_name_form(john, "Verified by the certification team") == "full"
