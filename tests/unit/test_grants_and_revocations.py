"""Grants and revocations: one function each, used by the CLI and the console alike."""

from datetime import date

import pytest

from certportal.domain import certificates, certifications, transcripts
from certportal.domain.certifications import RevocationError, revoke_certification
from certportal.models import (
    AuditEvent,
    Candidate,
    CandidateCertification,
    CertificationEvent,
    OutgoingEmail,
    StaffUser,
    Transcript,
)

TODAY = date.today()


def john():
    return Candidate.get(Candidate.login_id == "CSCO10000000")


def ccna():
    return certifications.held_by_code(john(), "CCNA")


def test_revocation_ends_the_certification_at_every_door(db):
    support = StaffUser.get(StaffUser.username == "support")
    held = ccna()
    assert held.status == "active"
    assert certificates.verify(held.verification_code, TODAY).status == "active"
    transcript = Transcript.create(candidate=john(), public_id="T" * 16, selection="all_new",
                                   expires_on=date(TODAY.year + 1, 1, 1))
    assert held.id in {c.id for c in transcripts.listed_certifications(transcript, TODAY)}
    revoke_certification(held, reason="Exam fraud established", staff_user=support)

    held = ccna()
    assert (held.status, held.revocation_reason) == ("revoked", "Exam fraud established")
    assert held.revoked_at is not None
    # Certifications page: neither active, in progress nor expired.
    overview = certifications.overview(john())
    shown = [row.certification.code for _, rows in overview.active_groups for row in rows]
    shown += [row.certification.code for row in overview.in_progress + overview.expired]
    assert "CCNA" not in shown
    # PDF and verification.
    assert not certificates.pdf_certificate_available(held, TODAY)
    assert certificates.verify(held.verification_code, TODAY).status == "revoked"
    assert certificates.verify(held.verification_code, TODAY).as_json()["status"] == "revoked"
    # Transcripts never list a revoked certification.
    assert held.id not in {c.id for c in transcripts.showable_certifications(john())}
    assert held.id not in {c.id for c in transcripts.listed_certifications(transcript, TODAY)}
    # The history and the audit log say so.
    event = CertificationEvent.get(CertificationEvent.candidate_certification == held,
                                   CertificationEvent.kind == "revoked")
    assert event.description == "Revoked: Exam fraud established"
    entry = AuditEvent.get(AuditEvent.action == "certification_revoked")
    assert (entry.staff_user_id, entry.candidate_id, entry.reason, entry.subject) == (
        support.id, john().id, "Exam fraud established", "certification CCNA")
    assert (entry.old_value, entry.new_value) == ("active", "revoked: Exam fraud established")


def test_revocation_is_idempotent_and_survives_recompute(db):
    revoke_certification(ccna(), reason="first")
    revoke_certification(ccna(), reason="second")
    certifications.recompute(john(), TODAY)
    assert (ccna().status, ccna().revocation_reason) == ("revoked", "first")
    assert AuditEvent.select().where(AuditEvent.action == "certification_revoked").count() == 1
    assert CertificationEvent.select().where(CertificationEvent.kind == "revoked").count() == 1


def test_a_reason_is_required(db):
    with pytest.raises(RevocationError):
        revoke_certification(ccna(), reason="  ")
    assert ccna().status == "active"


def test_cli_revokes(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["certs", "revoke", "csco10000000", "CCNA", "--reason", "Fraud"])
    assert result.exit_code == 0, result.output
    assert "Revoked CCNA of CSCO10000000." in result.output
    assert ccna().status == "revoked"
    told = OutgoingEmail.get(OutgoingEmail.kind == "certification_revoked")
    assert told.to_address == john().email and "Reason: Fraud" in told.body_text
    assert "http://localhost/support/cases/new" in told.body_text
    assert runner.invoke(args=["certs", "revoke", "CSCO10000000", "CCNA"]).exit_code != 0
    again = runner.invoke(args=["certs", "revoke", "CSCO10000000", "CCNA", "--reason", "x"])
    assert "already revoked: nothing changed" in again.output
    missing = runner.invoke(args=["certs", "revoke", "CSCO10000001", "CCIE-EI", "--reason", "x"])
    assert missing.exit_code != 0 and 'holds no certification with the code "CCIE-EI"' in \
        missing.output


def test_a_grant_names_the_staff_member_and_reason_in_the_audit_log(db):
    support = StaffUser.get(StaffUser.username == "support")
    certifications.grant("CSCO10000002", "CCNA", TODAY, TODAY, reason="Partner program",
                         staff_user=support)
    ana = Candidate.get(Candidate.login_id == "CSCO10000002")
    assert certifications.held_by_code(ana, "CCNA").status == "active"
    entry = AuditEvent.get(AuditEvent.action == "certification_granted")
    assert (entry.staff_user_id, entry.candidate_id, entry.reason) == (
        support.id, ana.id, "Partner program")
    assert entry.new_value.startswith("active")
    assert CandidateCertification.select().where(
        CandidateCertification.candidate == ana).count() >= 1
