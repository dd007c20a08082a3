"""CE review in the staff console: the queue of self-submitted activities, a submission with
its evidence, approve (points awarded, recompute) or reject (reason), for support; the
auditor reads; everyone else gets 404; every look and decision is audited."""

from datetime import date

import pytest

from certportal.domain import ce_submissions
from certportal.domain.ce_submissions import Upload
from certportal.models import (
    AuditEvent,
    Candidate,
    CandidateCertification,
    CeCredit,
    CeEvidence,
    Certification,
    OutgoingEmail,
)
from tests.conftest import STAFF_ROLES, csrf_token_from

TODAY = date.today()
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
QUEUE = "/staff/ce-submissions"


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app_config


def john():
    return Candidate.get(Candidate.login_id == "CSCO10000000")


def ccna_expires_on():
    return (
        CandidateCertification.select().join(Certification)
        .where((CandidateCertification.candidate == john()) & (Certification.code == "CCNA"))
        .get().expires_on
    )


@pytest.fixture
def submission(app, db):
    """John's pending submission: 35 points claimed today, with a PDF."""
    checked = ce_submissions.check_submission(
        john().id, name="Cisco Live session BRKENS-2000", provider="Cisco Live",
        activity_on=TODAY.isoformat(), points="35",
        uploads=[Upload("attendance.pdf", PDF)], today=TODAY,
        max_points=app.config["CE_SUBMISSION_MAX_POINTS"])
    return ce_submissions.submit(john().id, checked, upload_dir=app.config["UPLOAD_DIR"],
                                 today=TODAY)


def evidence_url(credit):
    return f"/staff/ce-submissions/evidence/{CeEvidence.get(CeEvidence.credit == credit).id}"


def pages(credit):
    return {
        QUEUE: ("admin", "support", "auditor"),
        f"{QUEUE}/{credit.id}": ("admin", "support", "auditor"),
        evidence_url(credit): ("admin", "support", "auditor"),
    }


def actions(credit):
    return {
        f"{QUEUE}/{credit.id}/approve": ("admin", "support"),
        f"{QUEUE}/{credit.id}/reject": ("admin", "support"),
    }


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_page_and_form_for_its_roles_and_404_for_the_others(staff_client, submission,
                                                                  role):
    client = staff_client(role)
    for url, allowed in pages(submission).items():
        expected = 200 if role in allowed else 404
        assert client.get(url).status_code == expected, (role, url)
    token = csrf_token_from(client.get("/staff/catalog").text)
    for url, allowed in actions(submission).items():
        # An empty decision: refused beside its field (422) for those allowed, else 404.
        expected = 422 if role in allowed else 404
        assert client.post(url, data={"csrf_token": token}).status_code == expected, (role, url)
    assert CeCredit.get_by_id(submission.id).review == "pending"


def test_candidates_get_no_review(candidate_client, submission):
    for url in pages(submission):
        assert candidate_client.get(url).status_code == 404, url
    token = csrf_token_from(candidate_client.get("/testing-history/ce-activities").text)
    for url in actions(submission):
        response = candidate_client.post(url, data={"csrf_token": token, "reason": "x"})
        assert response.status_code == 404, url
    assert CeCredit.get_by_id(submission.id).review == "pending"


def test_the_nav_leads_support_and_auditors_to_the_queue(staff_client, submission):
    for role, shown in (("support", True), ("auditor", True), ("fulfillment", False)):
        home = staff_client(role).get("/staff").text
        assert (f'href="{QUEUE}"' in home) is shown, role
    queue = staff_client("support").get(QUEUE).text
    assert "Waiting for review (1)" in queue
    assert f'href="{QUEUE}/{submission.id}">Cisco Live session BRKENS-2000</a>' in queue
    assert 'href="/staff/candidates/CSCO10000000">CSCO10000000</a>' in queue


def test_every_form_needs_the_csrf_token(staff_client, submission):
    client = staff_client("support")
    approve = client.post(f"{QUEUE}/{submission.id}/approve", data={"points_awarded": "30"})
    reject = client.post(f"{QUEUE}/{submission.id}/reject", data={"reason": "No"})
    assert (approve.status_code, reject.status_code) == (400, 400)
    assert CeCredit.get_by_id(submission.id).review == "pending"


def test_reading_a_submission_and_its_evidence_is_audited(staff_client, submission):
    client = staff_client("auditor")
    page = client.get(f"{QUEUE}/{submission.id}").text
    assert "attendance.pdf" in page and "Approve" not in page  # the auditor only reads
    download = client.get(evidence_url(submission))
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    actions_logged = [e.action for e in AuditEvent.select().where(
        AuditEvent.candidate == john()).order_by(AuditEvent.id)]
    assert actions_logged[-2:] == ["ce_submission_viewed", "ce_evidence_downloaded"]


def post_decision(client, credit, decision, data):
    url = f"{QUEUE}/{credit.id}"
    token = csrf_token_from(client.get(url).text)
    return client.post(f"{url}/{decision}", data={**data, "csrf_token": token})


def test_approving_more_than_claimed_is_refused_beside_the_field(staff_client, submission):
    client = staff_client("support")
    response = post_decision(client, submission, "approve", {"points_awarded": "36"})
    assert response.status_code == 422
    assert 'id="points_awarded-error">Award at most 35 points (what was claimed).' in response.text
    assert 'aria-invalid="true"' in response.text
    assert CeCredit.get_by_id(submission.id).review == "pending"
    assert not OutgoingEmail.select().where(
        OutgoingEmail.kind == "ce_submission_reviewed").exists()


def test_approval_counts_the_credit_recertifies_and_emails(staff_client, submission):
    before = ccna_expires_on()
    client = staff_client("support")
    response = post_decision(client, submission, "approve",
                             {"points_awarded": "30", "note": "Thanks"})
    assert response.status_code == 303 and response.headers["Location"] == QUEUE
    queue = client.get(QUEUE).text
    assert "Approved 30 points for CSCO10000000; recertified or earned: CCNA (CCNA)." in queue
    assert "No CE activity is waiting for review." in queue
    credit = CeCredit.get_by_id(submission.id)
    assert (credit.review, credit.points, credit.review_note) == ("approved", 30, "Thanks")
    assert ccna_expires_on() > before
    mail = OutgoingEmail.get(OutgoingEmail.kind == "ce_submission_reviewed")
    assert mail.to_address == john().email and "approved" in mail.subject
    event = AuditEvent.get(AuditEvent.action == "ce_submission_approved")
    assert event.staff_user.username == "support" and event.candidate_id == john().id
    # Decided once: the page now shows the decision and offers no form.
    page = client.get(f"{QUEUE}/{submission.id}").text
    assert "Approved" in page and "support" in page and 'action="/staff/ce-submissions' not in page


def test_rejection_needs_a_reason_the_candidate_reads(staff_client, candidate_client,
                                                      submission):
    client = staff_client("support")
    bad = post_decision(client, submission, "reject", {"reason": "  "})
    assert bad.status_code == 422 and "Give the reason for the rejection" in bad.text
    done = post_decision(client, submission, "reject", {"reason": "Not a CE activity."})
    assert done.status_code == 303
    assert "Rejected the submission of CSCO10000000" in client.get(QUEUE).text
    credit = CeCredit.get_by_id(submission.id)
    assert (credit.review, credit.review_note) == ("rejected", "Not a CE activity.")
    assert OutgoingEmail.get(OutgoingEmail.kind == "ce_submission_reviewed").to_address == \
        john().email
    assert AuditEvent.get(AuditEvent.action == "ce_submission_rejected").new_value.endswith(
        "Not a CE activity.")


def test_a_second_decision_is_refused_and_changes_nothing(staff_client, app, submission):
    first, second = staff_client("support"), staff_client("admin")
    token = csrf_token_from(second.get(f"{QUEUE}/{submission.id}").text)
    assert post_decision(first, submission, "reject", {"reason": "Duplicate"}).status_code == 303
    late = second.post(f"{QUEUE}/{submission.id}/approve",
                       data={"points_awarded": "30", "csrf_token": token})
    assert late.status_code == 422 and "This submission was already reviewed." in late.text
    assert CeCredit.get_by_id(submission.id).review == "rejected"


def test_imported_credits_and_unknown_ids_are_404(staff_client, submission):
    client = staff_client("support")
    imported = CeCredit.select().where(CeCredit.source != "Self-submitted").first()
    assert client.get(f"{QUEUE}/{imported.id}").status_code == 404
    assert client.get(f"{QUEUE}/999999").status_code == 404
    assert client.get("/staff/ce-submissions/evidence/999999").status_code == 404


def test_the_queue_is_paged_oldest_first(staff_client, app, submission, monkeypatch):
    from certportal.web.blueprints import staff as console

    monkeypatch.setattr(console, "CE_PAGE_SIZE", 1)
    checked = ce_submissions.check_submission(
        john().id, name="Second activity", provider="Cisco Live",
        activity_on=TODAY.isoformat(), points="5",
        uploads=[Upload("second.pdf", PDF)], today=TODAY,
        max_points=app.config["CE_SUBMISSION_MAX_POINTS"])
    ce_submissions.submit(john().id, checked, upload_dir=app.config["UPLOAD_DIR"], today=TODAY)
    client = staff_client("auditor")
    first, second = client.get(QUEUE).text, client.get(f"{QUEUE}?page=2").text
    assert "Waiting for review (2)" in first and "Waiting for review (2)" in second
    assert "Cisco Live session BRKENS-2000" in first and "Second activity" not in first
    assert f'rel="next" href="{QUEUE}?page=2"' in first
    assert "Second activity" in second and f'rel="prev" href="{QUEUE}?page=1"' in second
    assert 'rel="next"' not in second
    assert client.get(f"{QUEUE}?page=nonsense").status_code == 200
