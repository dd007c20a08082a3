"""Digital badges issued by the engine: one signed credential per active certification,
re-issued with new dates, revoked through the status list; the transcript as a CLR.

The seeded demo candidates' badges were issued while the demo data was loaded (conftest
configures badges before seeding), exactly as an import or a grant issues them.
"""

import json
from datetime import UTC, date, datetime, timedelta, timezone

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
    Certification,
    CertificationEvent,
    Exam,
    ExamResult,
    IssuedCredential,
    StatusListAllocation,
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
    def fail(changes):
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
    assert badges.issue_missing() == 0  # `certs refresh` says nothing was issued

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


def test_a_certification_whose_badge_is_current_gets_none_again(settings):
    assert badges.issue_current([held_by_code(candidate(), "CCNA").id]) == 0


def test_issuing_in_chunks_issues_and_counts_every_one(settings, monkeypatch):
    badges.configure(None)
    for code in ("CCNP-ENT", "CCNA-SEC"):
        grant("CSCO10000000", code, TODAY, TODAY)
    badges.configure(settings)
    monkeypatch.setattr(badges, "CHUNK", 1)

    assert badges.issue_missing() == 2

    assert all(current(held_by_code(candidate(), code)) for code in ("CCNP-ENT", "CCNA-SEC"))


def test_the_criteria_narrative_is_the_requirement_tree_as_an_indented_list(settings):
    ccent = Certification.get(Certification.code == "CCENT")

    grant("CSCO10000000", "CCNA-SEC", TODAY, TODAY)

    badge = document(current(held_by_code(candidate(), "CCNA-SEC")))
    narrative = badge["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert narrative.splitlines()[2:6] == [
        "- All of the following",
        "  - Pass exam 210-260",
        "  - One of the following",
        f"    - Hold the {ccent.name} ({ccent.abbreviation}) certification",
    ]


def test_a_criteria_narrative_outline_keeps_nesting_siblings_and_windows_line_ends():
    narrative = ("Intro\r\n\r\n- a\r\n  - a1\r\n    - a1x\r\n  - a2\r\n- b"
                 "\r\n\r\n\r\n\r\nAfter a blank block.")

    intro, items, after = badges.narrative_outline(narrative)

    def shape(nodes):
        return [(node.text, shape(node.children)) for node in nodes]

    assert intro == "Intro"
    assert shape(items) == [("a", [("a1", [("a1x", [])]), ("a2", [])]), ("b", [])]
    assert after == "After a blank block."


def test_the_badge_holder_is_named_by_the_badging_email_else_the_address_on_file():
    def holder(badging_email):
        return badges.recipient_email(
            Candidate(email="john@example.com", badging_email=badging_email))

    assert holder(None) == holder("   ") == "john@example.com"
    assert holder(" badges@example.com ") == "badges@example.com"


def test_settings_from_configuration(settings):
    retired = signing.public_key_multibase(signing.generate_signing_key())

    configured = badges.BadgeSettings.from_config({
        "BASE_URL": "https://portal.example/", "PROGRAM_NAME": "Cisco",
        "BADGE_SIGNING_KEY": signing.signing_key_to_text(settings.signing_key),
        "BADGE_RETIRED_KEYS": (retired,),
    })

    assert configured.issuer.id == "https://portal.example/badges/issuer"
    assert configured.achievement_url("CCNA/SEC X") == \
        "https://portal.example/badges/achievements/CCNA%2FSEC%20X"
    assert [signing.public_key_multibase(key) for key in configured.retired_keys] == [retired]
    assert badges.BadgeSettings.from_config({"BADGE_SIGNING_KEY": ""}) is None


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


def test_a_badge_is_active_through_its_expiry_day(settings):
    held = held_by_code(candidate(), "CCNA")
    issued = current(held)

    assert badges.badge_status(held, issued, issued.valid_until) == "active"
    assert badges.badge_status(held, issued, issued.valid_until + timedelta(days=1)) == "expired"


def test_positions_past_the_first_list_go_to_the_second(settings):
    john = candidate()
    last_of_first, first_of_second = current(held_by_code(john, "CCIE-EI")), current(
        held_by_code(john, "CCNA"))
    length = badges.LIST_LENGTH
    for issued, index in ((last_of_first, length - 1), (first_of_second, length)):
        IssuedCredential.update(status_index=index).where(
            IssuedCredential.id == issued.id).execute()
    counter = StatusListAllocation.purpose == credentials.REVOCATION

    StatusListAllocation.update(next_index=length).where(counter).execute()
    assert badges.status_lists_in_use() == 1 and badges.status_list_document(2) is None

    StatusListAllocation.update(next_index=length + 1).where(counter).execute()
    assert badges.status_lists_in_use() == 2
    assert badges.status_list_document(2)["id"] == "http://localhost/badges/status/2"
    assert badges.withdrawn_positions(2) == []

    for code in ("CCIE-EI", "CCNA"):
        revoke_certification(held_by_code(john, code), reason="Misconduct")

    assert max(badges.withdrawn_positions(1)) == length - 1
    assert badges.withdrawn_positions(2) == [0]


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


def test_configured_retired_keys_are_published_even_before_they_sign_again(settings):
    retired = signing.generate_signing_key().public_key()
    with_retired = badges.BadgeSettings(
        base_url=settings.base_url, program_name=settings.program_name,
        signing_key=settings.signing_key, retired_keys=(retired,),
    )

    listed = [method["publicKeyMultibase"]
              for method in badges.issuer_document(with_retired)["verificationMethod"]]

    assert listed == [settings.public_key, signing.public_key_multibase(retired)]
    assert badges.key_document(with_retired, signing.public_key_multibase(retired)) is not None


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


def test_a_clr_leaves_out_a_badge_the_record_no_longer_supports(settings):
    john = candidate()
    transcript = transcript_of(john)
    ccna = held_by_code(john, "CCNA")
    CandidateCertification.update(expires_on=current(ccna).valid_until - timedelta(days=1)).where(
        CandidateCertification.id == ccna.id).execute()

    clr = badges.transcript_clr(transcript, TODAY)

    embedded = clr["credentialSubject"]["verifiableCredential"]
    assert [badge["credentialSubject"]["achievement"]["humanCode"] for badge in embedded] == [
        "CCIE-EI", "SPEC-ENCOR"]


def test_a_clr_names_the_holder_as_the_transcript_does(settings):
    clr = badges.transcript_clr(transcript_of(candidate(), name_form="initials"), TODAY)
    assert clr["name"] == "Transcript of J. Doe"


def test_a_clr_is_signed_at_the_moment_given_in_utc(settings):
    transcript = transcript_of(candidate())
    naive = datetime(2030, 1, 2, 10, 0, 0)
    two_hours_ahead = datetime(2030, 1, 2, 10, 0, 0, tzinfo=timezone(timedelta(hours=2)))

    assert badges.transcript_clr(transcript, TODAY, naive)["validFrom"] == "2030-01-02T10:00:00Z"
    assert badges.transcript_clr(transcript, TODAY, two_hours_ahead)["validFrom"] == \
        "2030-01-02T08:00:00Z"


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
