"""CE self-submission rules: dates, points, files by content; review makes a credit that
counts like an imported one and may recertify."""

from datetime import date, timedelta

import pytest

from certportal.domain import ce_submissions as rules
from certportal.domain.ce_submissions import SubmissionRefused, Upload
from certportal.models import (
    AuditEvent,
    Candidate,
    CandidateCertification,
    CeCredit,
    CeEvidence,
    Certification,
    StaffUser,
)

TODAY = date.today()
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
MAX_POINTS = 40


def john():
    return Candidate.get(Candidate.login_id == "CSCO10000000")


def ccna():
    return (
        CandidateCertification.select()
        .join(Certification)
        .where((CandidateCertification.candidate == john()) & (Certification.code == "CCNA"))
        .get()
    )


def check(**changes):
    fields = {
        "name": "Cisco Live session",
        "provider": "Cisco Live",
        "activity_on": (TODAY - timedelta(days=3)).isoformat(),
        "points": "8",
        "uploads": [Upload("certificate.pdf", PDF)],
    }
    fields.update(changes)
    return rules.check_submission(john().id, today=TODAY, max_points=MAX_POINTS, **fields)


def errors_of(**changes) -> dict:
    with pytest.raises(SubmissionRefused) as refused:
        check(**changes)
    return refused.value.errors


def test_a_good_submission_is_checked_and_its_type_read_from_content(db):
    submission = check(uploads=[Upload("a.pdf", PDF), Upload("b.bin", PNG), Upload("c", JPEG)])
    assert submission.points == 8
    assert [t for _, t in submission.files] == ["application/pdf", "image/png", "image/jpeg"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the activity's name."),
        ({"name": "x" * 201}, "name", "Use at most 200 characters for the name."),
        ({"provider": ""}, "provider", "Enter who provided the activity."),
        ({"activity_on": "15/03/2026"}, "activity_on", "Enter the date as YYYY-MM-DD"),
        ({"activity_on": (TODAY + timedelta(days=1)).isoformat()}, "activity_on",
         "The date cannot be in the future."),
        ({"points": "0"}, "points", "Claim at least 1 point."),
        ({"points": "41"}, "points", "At most 40 points can be claimed for one activity."),
        ({"points": "-3"}, "points", "Enter the points as a whole number"),
        ({"points": "2.5"}, "points", "Enter the points as a whole number"),
        ({"points": "٣"}, "points", "Enter the points as a whole number"),
        ({"uploads": []}, "evidence", "Attach at least one file as evidence"),
        ({"uploads": [Upload("x.pdf", PDF)] * 4}, "evidence", "Attach at most 3 files."),
        ({"uploads": [Upload("notes.pdf", b"<html>not a pdf")]}, "evidence",
         "notes.pdf is not a PDF, PNG or JPEG file."),
        ({"uploads": [Upload("big.pdf", PDF + b"0" * (5 * 1024 * 1024))]}, "evidence",
         "big.pdf is larger than 5 MB."),
    ],
)
def test_bad_input_is_refused_beside_its_field(db, changes, field, message):
    errors = errors_of(**changes)
    assert any(text.startswith(message) for text in errors[field]), errors


def test_a_file_of_exactly_5_mb_is_accepted(db):
    data = PDF + b"0" * (5 * 1024 * 1024 - len(PDF))
    assert len(check(uploads=[Upload("exact.pdf", data)]).files) == 1


def test_a_date_before_the_current_cycle_is_refused(db):
    """John's CCNA cycle started when 350-401 recertified it; the Specialist's then too."""
    started = ccna().cycle_started_on
    errors = errors_of(activity_on=started.isoformat())
    assert errors["activity_on"][0].startswith(
        f"The activity must be after {started:%Y}-{started:%b}-{started:%d}, when the current "
        "cycle of"
    )
    assert check(activity_on=(started + timedelta(days=1)).isoformat())


def test_without_a_ce_certification_an_activity_older_than_a_credit_lasts_is_refused(db):
    mei = Candidate.get(Candidate.login_id == "CSCO10000001")
    CandidateCertification.update(status="expired").where(
        CandidateCertification.candidate == mei).execute()
    old = (TODAY - timedelta(days=365 * 3 + 5)).isoformat()
    with pytest.raises(SubmissionRefused) as refused:
        rules.check_submission(mei.id, name="a", provider="b", activity_on=old, points="3",
                               uploads=[Upload("a.pdf", PDF)], today=TODAY, max_points=40)
    assert "more than 36 months old" in refused.value.errors["activity_on"][0]


def test_every_bad_field_is_reported_at_once(db):
    errors = errors_of(name="", points="0", uploads=[])
    assert set(errors) == {"name", "points", "evidence"}


def test_file_names_are_only_shown(db):
    assert rules.shown_filename("../../etc/passwd") == "passwd"
    assert rules.shown_filename("C:\\Users\\me\\cert.pdf") == "cert.pdf"
    assert rules.shown_filename("a\x00b\nc.pdf") == "abc.pdf"
    assert rules.shown_filename("") == "evidence"


def submit(tmp_path, **changes):
    return rules.submit(john().id, check(**changes), upload_dir=tmp_path, today=TODAY)


def test_submit_stores_files_under_random_names_outside_static(db, tmp_path):
    credit = submit(tmp_path, uploads=[Upload("../cert.pdf", PDF), Upload("photo.png", PNG)])
    assert (credit.review, credit.status, credit.source) == ("pending", "Pending", "Self-submitted")
    assert credit.points_claimed == 8
    files = list(CeEvidence.select().where(CeEvidence.credit == credit).order_by(CeEvidence.id))
    assert [f.original_name for f in files] == ["cert.pdf", "photo.png"]
    for stored in files:
        path = rules.evidence_path(tmp_path, stored)
        assert path.parent == tmp_path / "ce-evidence"
        assert len(stored.stored_name) == 48 and "." not in stored.stored_name
        assert path.stat().st_mode & 0o777 == 0o600
    assert rules.evidence_path(tmp_path, files[0]).read_bytes() == PDF


def test_a_pending_submission_counts_toward_nothing(db, tmp_path):
    from certportal.domain.certifications import recompute

    before = ccna().expires_on
    submit(tmp_path, points="40", activity_on=TODAY.isoformat())
    recompute(john(), TODAY)
    assert ccna().expires_on == before


def test_a_failed_write_leaves_no_file(db, tmp_path, monkeypatch):
    def broken(**fields):
        raise RuntimeError("database gone")

    monkeypatch.setattr(CeEvidence, "create", broken)
    with pytest.raises(RuntimeError):
        submit(tmp_path)
    assert list((tmp_path / "ce-evidence").iterdir()) == []
    assert not CeCredit.select().where(CeCredit.source == "Self-submitted").exists()


def test_evidence_is_reachable_by_its_owner_and_staff_only(db, tmp_path):
    credit = submit(tmp_path)
    evidence = CeEvidence.get(CeEvidence.credit == credit)
    assert rules.evidence_of(evidence.id, john().id).id == evidence.id
    assert rules.evidence_of(evidence.id, None).id == evidence.id
    mei = Candidate.get(Candidate.login_id == "CSCO10000001")
    assert rules.evidence_of(evidence.id, mei.id) is None


def staff():
    return StaffUser.get(StaffUser.username == "support")


def test_approval_makes_a_counting_credit_and_may_recertify(db, tmp_path):
    before = ccna().expires_on
    credit = submit(tmp_path, points="35", activity_on=TODAY.isoformat())
    outcome = rules.review(credit.id, staff_user=staff(), approve=True, points_awarded="30",
                           today=TODAY, max_points=MAX_POINTS)
    credit = CeCredit.get_by_id(credit.id)
    assert (credit.review, credit.points, credit.points_claimed) == ("approved", 30, 35)
    assert credit.reviewer_id == staff().id and credit.reviewed_at is not None
    # 30 credits recertify CCNA: the credit is used, the expiration moved on.
    assert ccna().expires_on > before
    assert credit.status == "Used" and credit.used_for_id == ccna().id
    assert "CCNA (CCNA)" in outcome.changed
    assert AuditEvent.select().where(AuditEvent.action == "ce_submission_approved").count() == 1


def test_rejection_needs_a_reason_and_counts_nothing(db, tmp_path):
    credit = submit(tmp_path)
    with pytest.raises(rules.ReviewError) as refused:
        rules.review(credit.id, staff_user=staff(), approve=False, reason=" ", today=TODAY,
                     max_points=MAX_POINTS)
    assert "reason" in refused.value.errors
    assert CeCredit.get_by_id(credit.id).review == "pending"
    rules.review(credit.id, staff_user=staff(), approve=False, reason="Not a CE activity.",
                 today=TODAY, max_points=MAX_POINTS)
    credit = CeCredit.get_by_id(credit.id)
    assert (credit.review, credit.status, credit.review_note) == (
        "rejected", "Rejected", "Not a CE activity.")


@pytest.mark.parametrize(("awarded", "message"), [
    ("0", "Award at least 1 point"), ("9", "Award at most 8 points"), ("x", "Enter the points"),
])
def test_points_awarded_are_checked(db, tmp_path, awarded, message):
    credit = submit(tmp_path)
    with pytest.raises(rules.ReviewError) as refused:
        rules.review(credit.id, staff_user=staff(), approve=True, points_awarded=awarded,
                     today=TODAY, max_points=MAX_POINTS)
    assert refused.value.errors["points_awarded"][0].startswith(message)


def test_a_submission_is_reviewed_once(db, tmp_path):
    credit = submit(tmp_path)
    rules.review(credit.id, staff_user=staff(), approve=True, points_awarded="8", today=TODAY,
                 max_points=MAX_POINTS)
    with pytest.raises(rules.ReviewError) as refused:
        rules.review(credit.id, staff_user=staff(), approve=False, reason="Late", today=TODAY,
                     max_points=MAX_POINTS)
    assert refused.value.errors[""] == ["This submission was already reviewed."]
    assert CeCredit.get_by_id(credit.id).review == "approved"


def test_imported_credits_cannot_be_reviewed(db):
    imported = CeCredit.get(CeCredit.external_id == "1462600")
    with pytest.raises(rules.ReviewError):
        rules.review(imported.id, staff_user=staff(), approve=True, points_awarded="5",
                     today=TODAY, max_points=MAX_POINTS)


def test_the_candidate_is_emailed_either_way(app, db, tmp_path):
    from certportal import notifications
    from certportal.models import OutgoingEmail

    approved = submit(tmp_path, points="12")
    rejected = submit(tmp_path, points="3")
    with app.test_request_context("/"):
        rules.review(approved.id, staff_user=staff(), approve=True, points_awarded="10",
                     today=TODAY, max_points=MAX_POINTS,
                     notify=notifications.ce_submission_reviewed)
        rules.review(rejected.id, staff_user=staff(), approve=False,
                     reason="The certificate does not name you.", today=TODAY,
                     max_points=MAX_POINTS, notify=notifications.ce_submission_reviewed)
    sent = list(OutgoingEmail.select().where(OutgoingEmail.kind == "ce_submission_reviewed")
                .order_by(OutgoingEmail.id))
    assert [m.to_address for m in sent] == ["csco10000000@certportal.example"] * 2
    assert sent[0].subject.endswith("your CE activity was approved")
    assert "was approved: 10 CE credits of the 12 you claimed" in sent[0].body_text
    assert sent[1].subject.endswith("your CE activity was not approved")
    assert "The reason: The certificate does not name you." in sent[1].body_text
    assert "http://localhost/testing-history/ce-activities" in sent[1].body_text


def test_staff_review_from_the_command_line(app, db, tmp_path):
    from certportal.models import OutgoingEmail

    app.config["UPLOAD_DIR"] = str(tmp_path)
    credit = submit(tmp_path, points="30", activity_on=TODAY.isoformat())
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["ce", "pending"])
    assert listed.exit_code == 0
    assert f"{credit.id}\tCSCO10000000\t" in listed.output and "certificate.pdf" in listed.output
    refused = runner.invoke(args=["ce", "approve", str(credit.id), "--points", "31",
                                  "--staff", "support"])
    assert refused.exit_code != 0 and "Award at most 30 points" in refused.output
    unknown = runner.invoke(args=["ce", "reject", str(credit.id), "--reason", "x",
                                  "--staff", "nobody"])
    assert unknown.exit_code != 0 and 'No staff account is named "nobody"' in unknown.output
    approved = runner.invoke(args=["ce", "approve", str(credit.id), "--points", "30",
                                   "--staff", "support"])
    assert approved.exit_code == 0, approved.output
    assert "recertified or earned: CCNA (CCNA)" in approved.output
    assert OutgoingEmail.select().where(OutgoingEmail.kind == "ce_submission_reviewed").count() == 1
    assert "0 submission(s) pending review." in runner.invoke(args=["ce", "pending"]).output
