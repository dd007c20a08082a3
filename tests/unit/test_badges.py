"""Digital badges issued by the engine: one signed credential per active certification,
re-issued with new dates, revoked through the status list; the transcript as a CLR.

The seeded demo candidates' badges were issued while the demo data was loaded (conftest
configures badges before seeding), exactly as an import or a grant issues them.
"""

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from certportal.domain import badges, credentials, reactions, signing
from certportal.domain.certifications import (
    RevocationError,
    grant,
    held_by_code,
    recompute,
    revoke_certification,
)
from certportal.domain.transcripts import TranscriptInput, create_transcript
from certportal.models import (
    AuditEvent,
    Candidate,
    CandidateCertification,
    CertificationEvent,
    Exam,
    ExamResult,
    IssuedCredential,
    certifications_of,
)
from tests.conftest import badge_settings_for_tests
from tests.credential_samples import schema_validator
from tests.factories import MEI, candidate
from tests.independent_verifier import run_verifier

TODAY = date.today()
NOW = datetime.now(UTC)


@pytest.fixture
def settings(db):
    configured = badge_settings_for_tests()
    badges.configure(configured)
    return configured


def current(held) -> IssuedCredential | None:
    return IssuedCredential.get_or_none(
        (IssuedCredential.candidate_certification == held.id)
        & IssuedCredential.superseded_by.is_null()
    )


def document(issued: IssuedCredential) -> dict:
    return json.loads(issued.document)


def pass_exam(person, code, registration_number, on=TODAY):
    ExamResult.create(candidate=person, exam=Exam.get(Exam.code == code),
                      registration_number=registration_number, grade="Pass", taken_on=on,
                      expires_on=on + timedelta(days=3 * 365))


# --- issuing ---------------------------------------------------------------------------------


def test_every_active_certification_has_one_current_signed_badge(settings):
    john = candidate()
    rows = list(certifications_of(john))
    active = [held for held in rows if held.status == "active"]
    assert {held.certification.code for held in active} == {"CCNA", "CCIE-EI", "SPEC-ENCOR"}
    for held in rows:
        issued = current(held)
        if held.status != "active":
            assert issued is None, f"{held.certification.code} ({held.status}) has a badge"
            continue
        badge = document(issued)
        assert credentials.verify_credential(badge, badges.trusted_keys(settings), NOW).verified
        assert badge["credentialSubject"]["achievement"]["name"] == held.certification.name
        assert badge["validFrom"] == f"{held.active_on:%Y-%m-%d}T00:00:00Z"
        assert badge["validUntil"] == f"{held.expires_on:%Y-%m-%d}T23:59:59Z"
        assert badge["issuer"]["id"] == "http://localhost/badges/issuer"


def test_issued_badges_are_valid_under_the_official_schema(settings):
    validator = schema_validator()
    for issued in IssuedCredential.select():
        errors = [error.message for error in validator.iter_errors(document(issued))]
        assert errors == [], issued.credential_id


def test_the_recipient_is_the_badging_email_hashed_never_written(settings):
    john = candidate()
    john.badging_email = "Badges.John@Example.com"
    john.save()
    grant("CSCO10000000", "CCNP-ENT", TODAY, TODAY)

    badge = document(current(held_by_code(john, "CCNP-ENT")))

    (identity,) = badge["credentialSubject"]["identifier"]
    assert credentials.identity_matches("badges.john@example.com", identity)
    assert not credentials.identity_matches(john.email, identity)
    assert "badges.john" not in json.dumps(badge).lower()


def test_the_criteria_come_from_the_requirement_tree(settings):
    badge = document(current(held_by_code(candidate(), "CCIE-EI")))

    criteria = badge["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert "- All of the following" in criteria
    assert "  - Pass exam 350-401" in criteria


def test_a_grant_issues_the_new_certifications_badge(settings):
    john = candidate()
    assert held_by_code(john, "CCNP-ENT").status == "in_progress"

    grant("CSCO10000000", "CCNP-ENT", TODAY, TODAY)

    held = held_by_code(john, "CCNP-ENT")
    issued = current(held)
    assert held.status == "active" and issued is not None
    assert (issued.valid_from, issued.valid_until) == (held.active_on, held.expires_on)


def test_recomputing_again_issues_nothing(settings):
    before = IssuedCredential.select().count()

    recompute(candidate(), TODAY)
    grant("CSCO10000000", "CCNA", TODAY, TODAY)  # active already, expiry unchanged
    assert badges.issue_missing() == 0

    assert IssuedCredential.select().count() == before


def test_recertification_issues_a_new_badge_and_supersedes_the_old(settings):
    mei = candidate(MEI)
    held = held_by_code(mei, "CCNA")
    old = current(held)

    pass_exam(mei, "350-401", "VUE-RECERT-1")
    recompute(mei, TODAY)

    held = held_by_code(mei, "CCNA")
    new = current(held)
    assert new.id != old.id and new.valid_until == held.expires_on > old.valid_until
    assert IssuedCredential.get_by_id(old.id).superseded_by_id == new.id
    assert new.status_index != old.status_index
    # The old badge said nothing untrue: it is not withdrawn, it ends at its own date.
    assert old.status_index not in badges.withdrawn_positions(1)


def test_badges_are_issued_inside_the_engines_transaction(settings, monkeypatch):
    def fail(candidate, events):
        raise RuntimeError("a later handler failed")

    monkeypatch.setattr(reactions, "HANDLERS", [*reactions.HANDLERS, fail])
    before = IssuedCredential.select().count()

    with pytest.raises(RuntimeError):
        grant("CSCO10000000", "CCNP-ENT", TODAY, TODAY)

    assert IssuedCredential.select().count() == before
    assert held_by_code(candidate(), "CCNP-ENT").status == "in_progress"


def test_without_badge_settings_the_engine_still_runs_and_refresh_catches_up(settings):
    badges.configure(None)
    grant("CSCO10000000", "CCNP-ENT", TODAY, TODAY)
    held = held_by_code(candidate(), "CCNP-ENT")
    assert held.status == "active" and current(held) is None

    badges.configure(settings)
    assert badges.issue_missing() == 1
    assert current(held) is not None
    assert badges.issue_missing() == 0


def test_status_positions_are_never_reused(settings):
    positions = {issued.status_index for issued in IssuedCredential.select()}
    Candidate.get(Candidate.login_id == "CSCO10000002").delete_instance(recursive=True)

    grant("CSCO10000000", "CCNP-ENT", TODAY, TODAY)

    new = current(held_by_code(candidate(), "CCNP-ENT"))
    assert new.status_index > max(positions)


# --- revocation and the status list ----------------------------------------------------------


def revoked_in_list(issued: IssuedCredential, settings) -> bool:
    number, _ = badges.status_position(issued.status_index)
    listing = badges.status_list_document(number)
    return credentials.is_revoked(document(issued), listing, badges.trusted_keys(settings))


def test_revoking_sets_the_badges_bit_and_only_its(settings):
    john = candidate()
    ccna, ccie = held_by_code(john, "CCNA"), held_by_code(john, "CCIE-EI")
    assert not revoked_in_list(current(ccna), settings)

    revoke_certification(ccna, reason="Exam misconduct")

    assert revoked_in_list(current(ccna), settings)
    assert not revoked_in_list(current(ccie), settings)
    assert badges.badge_status(held_by_code(john, "CCNA"), current(ccna), TODAY) == "revoked"


def test_revocation_is_recorded_once_and_survives_recompute(settings):
    john = candidate()
    ccna = held_by_code(john, "CCNA")

    revoke_certification(ccna, reason="  Exam   misconduct ")
    revoke_certification(held_by_code(john, "CCNA"), reason="again")
    recompute(john, TODAY)

    held = held_by_code(john, "CCNA")
    assert (held.status, held.revocation_reason) == ("revoked", "Exam misconduct")
    events = CertificationEvent.select().where(
        (CertificationEvent.candidate_certification == held)
        & (CertificationEvent.kind == "revoked")
    )
    assert [event.description for event in events] == ["Revoked: Exam misconduct"]
    audit = AuditEvent.select().where(AuditEvent.action == "certification_revoked")
    assert [(entry.old_value, entry.new_value) for entry in audit] == [
        ("active", "revoked: Exam misconduct")
    ]
    assert IssuedCredential.select().where(IssuedCredential.candidate_certification == held) \
        .count() == 1


def test_revoking_needs_a_reason(settings):
    ccna = held_by_code(candidate(), "CCNA")

    with pytest.raises(RevocationError, match="reason"):
        revoke_certification(ccna, reason="   ")

    assert held_by_code(candidate(), "CCNA").status == "active"


def test_an_expired_certification_is_expired_not_revoked(settings):
    john = candidate()
    ccna = held_by_code(john, "CCNA")
    issued = current(ccna)
    later = ccna.expires_on + timedelta(days=1)

    recompute(john, later)

    assert held_by_code(john, "CCNA").status == "expired"
    assert not revoked_in_list(issued, settings)
    assert badges.badge_status(held_by_code(john, "CCNA"), issued, later) == "expired"


def test_a_record_that_now_ends_earlier_withdraws_the_longer_badge(settings):
    ccna = held_by_code(candidate(), "CCNA")
    issued = current(ccna)
    CandidateCertification.update(expires_on=ccna.expires_on - timedelta(days=400)).where(
        CandidateCertification.id == ccna.id
    ).execute()

    assert revoked_in_list(issued, settings)
    assert badges.badge_status(held_by_code(candidate(), "CCNA"), issued, TODAY) == "revoked"


def test_the_status_list_is_signed_once_while_nothing_changes(settings):
    first = badges.status_list_document(1)
    assert badges.status_list_document(1) is first
    assert badges.status_list_document(2) is None
    assert badges.status_list_document(0) is None

    revoke_certification(held_by_code(candidate(), "CCNA"), reason="Misconduct")

    assert badges.status_list_document(1) != first


# --- keys ------------------------------------------------------------------------------------


def test_a_rotated_key_stays_published_and_old_badges_keep_verifying(settings):
    old_badge = document(current(held_by_code(candidate(), "CCNA")))
    rotated = badges.BadgeSettings(
        base_url=settings.base_url, program_name=settings.program_name,
        signing_key=signing.generate_signing_key(),
    )
    badges.configure(rotated)

    grant("CSCO10000000", "CCNP-ENT", TODAY, TODAY)

    profile = badges.issuer_document(rotated)
    listed = [method["publicKeyMultibase"] for method in profile["verificationMethod"]]
    assert listed == [rotated.public_key, settings.public_key]
    trusted = badges.trusted_keys(rotated)
    new_badge = document(current(held_by_code(candidate(), "CCNP-ENT")))
    assert credentials.verify_credential(old_badge, trusted, NOW).verified
    assert credentials.verify_credential(new_badge, trusted, NOW).verified
    assert badges.key_document(rotated, settings.public_key)["controller"] == profile["id"]
    assert badges.key_document(rotated, signing.public_key_multibase(
        signing.generate_signing_key())) is None


# --- the transcript as a CLR -----------------------------------------------------------------


def transcript_of(person, **changes):
    data = TranscriptInput(expires_on=TODAY + timedelta(days=30), **changes)
    return create_transcript(person, data, TODAY)


def test_a_transcript_clr_embeds_the_badges_it_shows(settings):
    john = candidate()
    transcript = transcript_of(john)

    clr = badges.transcript_clr(transcript, TODAY)

    embedded = clr["credentialSubject"]["verifiableCredential"]
    codes = [badge["credentialSubject"]["achievement"]["humanCode"] for badge in embedded]
    assert codes == ["CCNA", "CCIE-EI", "SPEC-ENCOR"]
    assert embedded[0] == document(current(held_by_code(john, "CCNA")))
    assert clr["name"] == "Transcript of John Doe"
    assert clr["validUntil"] == f"{transcript.expires_on:%Y-%m-%d}T23:59:59Z"
    check = credentials.verify_credential(clr, badges.trusted_keys(settings), datetime.now(UTC))
    assert check.verified, check.reason


def test_a_clr_leaves_out_revoked_and_unlisted_certifications(settings):
    john = candidate()
    ccna = held_by_code(john, "CCNA")
    transcript = transcript_of(john, selection="chosen",
                               certification_ids=[ccna.certification_id])
    revoke_certification(ccna, reason="Misconduct")

    assert badges.transcript_clr(transcript, TODAY) is None


# --- the independent verifier ----------------------------------------------------------------


def moments_later() -> str:
    """A verifier's clock just after now, when a CLR signed now is already valid."""
    return f"{datetime.now(UTC) + timedelta(minutes=1):%Y-%m-%dT%H:%M:%SZ}"


def published_documents(settings) -> dict:
    documents = {settings.issuer.id: badges.issuer_document(settings)}
    for public_key in badges.published_keys(settings):
        documents[f"{settings.issuer.id}/keys/{public_key}"] = badges.key_document(
            settings, public_key
        )
    for number in range(1, badges.status_lists_in_use() + 1):
        documents[settings.status_list_url(number)] = badges.status_list_document(number)
    return documents


def test_the_independent_verifier_accepts_issued_badges_and_the_clr(settings, node, tmp_path):
    john = candidate()
    issued = [document(current(held_by_code(john, code))) for code in ("CCNA", "CCIE-EI")]
    clr = badges.transcript_clr(transcript_of(john), TODAY)

    verdicts = run_verifier(node, tmp_path, [*issued, clr], published_documents(settings),
                            moments_later())

    assert [(v["verified"], v["error"], v["revoked"]) for v in verdicts[:2]] == [
        (True, None, False), (True, None, False)
    ]
    assert verdicts[2]["verified"], verdicts[2]["error"]
    assert [entry["verified"] for entry in verdicts[2]["embedded"]] == [True] * 3


def test_the_independent_verifier_rejects_a_changed_badge(settings, node, tmp_path):
    badge = document(current(held_by_code(candidate(), "CCNA")))
    changed = [json.loads(json.dumps(badge)) for _ in range(4)]
    changed[0]["credentialSubject"]["achievement"]["name"] = "CCIE"
    changed[1]["validUntil"] = "2099-12-31T23:59:59Z"
    changed[2]["credentialStatus"]["statusListIndex"] = "99"
    changed[3]["credentialSubject"]["identifier"][0]["salt"] = "0"

    verdicts = run_verifier(node, tmp_path, changed, published_documents(settings),
                            moments_later())

    assert [verdict["verified"] for verdict in verdicts] == [False] * 4


def test_the_independent_verifier_reads_a_revoked_badge_as_revoked(settings, node, tmp_path):
    john = candidate()
    revoke_certification(held_by_code(john, "CCNA"), reason="Misconduct")
    revoked = document(current(held_by_code(john, "CCNA")))
    other = document(current(held_by_code(john, "CCIE-EI")))

    verdicts = run_verifier(node, tmp_path, [revoked, other], published_documents(settings),
                            moments_later())

    assert [verdict["revoked"] for verdict in verdicts] == [True, False]


def test_a_criteria_narrative_reads_back_as_paragraphs_and_nested_lists(settings):
    narrative = badges.criteria_narrative(held_by_code(candidate(), "CCIE-EI").certification,
                                          badges.certification_names())

    intro, tree, validity = badges.narrative_outline(narrative)

    assert intro == "Requirements to earn this certification:"
    assert [item.text for item in tree] == ["All of the following"]
    assert tree[0].children[0].text == "Pass exam 350-401"
    assert validity.startswith("The certification is valid for 36 months")
    assert badges.narrative_outline("Plain words\nover two lines.") == [
        "Plain words over two lines."]
