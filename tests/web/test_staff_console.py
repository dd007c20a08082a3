"""The staff console through the test client: sign-in with a second factor, every route for
every role (allowed or 404), CSRF, and what each action changes, emails and audits."""

import html
import re
from datetime import date, timedelta

import pyotp
import pytest

from certportal.domain import kits
from certportal.domain.demo import DUPLICATE_LOGIN_IDS, demo_totp_secret
from certportal.models import (
    AuditEvent,
    Candidate,
    CandidateCertification,
    Certification,
    ExamResult,
    LoginSession,
    LoginThrottle,
    OrderLine,
    OutgoingEmail,
    StaffUser,
    SupportCase,
    utcnow,
)
from tests.conftest import PARTIAL, STAFF_ROLES, csrf_token_from, log_in, log_in_staff

TODAY = date.today()
CCNA_REVOKE = "/staff/candidates/CSCO10000000/certifications/CCNA/revoke"


def merge_case_number():
    return SupportCase.get(SupportCase.kind == "merge").case_number


def placeholders():
    """The demo's merge case, a queued kit and its order, for the URLs below."""
    kit = OrderLine.select().where(OrderLine.status == "queued").order_by(OrderLine.id).first()
    return {"case": merge_case_number(), "kit": kit.verification_code,
            "order": kit.order.reference}


# Every console page a GET reaches, and the roles that may open it (admin: all of them).
PAGES = {
    "/staff": ("admin", "support", "fulfillment", "auditor"),
    "/staff/candidates?q=kumar": ("admin", "support", "auditor"),
    "/staff/candidates/CSCO10000000": ("admin", "support", "auditor"),
    "/staff/candidates/CSCO10000000/grant": ("admin", "support"),
    CCNA_REVOKE: ("admin", "support"),
    "/staff/imports": ("admin", "support", "auditor"),
    "/staff/cases": ("admin", "support", "auditor"),
    "/staff/cases/{case}": ("admin", "support", "auditor"),
    "/staff/merge?survivor=CSCO10000003&retired=CSCO10000004": ("admin", "support"),
    "/staff/catalog": ("admin", "support", "fulfillment", "auditor"),
    "/staff/audit": ("admin", "auditor"),
    "/staff/fulfillment": ("admin", "fulfillment", "auditor"),
    "/staff/fulfillment?status=sent": ("admin", "fulfillment", "auditor"),
    "/staff/fulfillment/orders/{order}/packing-slip.pdf": ("admin", "fulfillment", "auditor"),
    "/staff/accounts": ("admin",),
}
# Every form a POST reaches, and the roles that may send it.
ACTIONS = {
    "/staff/candidates/CSCO10000000/mapping-email": ("admin", "support"),
    "/staff/candidates/CSCO10000000/email": ("admin", "support"),
    "/staff/candidates/CSCO10000000/unlock": ("admin", "support"),
    "/staff/candidates/CSCO10000000/log-out": ("admin", "support"),
    "/staff/candidates/CSCO10000000/grant": ("admin", "support"),
    CCNA_REVOKE: ("admin", "support"),
    "/staff/imports": ("admin", "support"),
    "/staff/imports/apply": ("admin", "support"),
    "/staff/cases/{case}/assign": ("admin", "support"),
    "/staff/cases/{case}/reply": ("admin", "support"),
    "/staff/cases/{case}/resolve": ("admin", "support"),
    "/staff/merge": ("admin", "support"),
    "/staff/merges/1/undo": ("admin",),
    "/staff/fulfillment/{kit}/sent": ("admin", "fulfillment"),
    "/staff/fulfillment/{kit}/complete": ("admin", "fulfillment"),
    "/staff/fulfillment/{kit}/cancel": ("admin", "fulfillment"),
    "/staff/accounts": ("admin",),
    "/staff/accounts/auditor/roles": ("admin",),
    "/staff/accounts/auditor/reset-second-factor": ("admin",),
    "/staff/accounts/auditor/disable": ("admin",),
}


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_page_opens_for_its_roles_and_is_404_for_the_others(staff_client, db, role):
    client = staff_client(role)
    names = placeholders()
    for url, allowed in PAGES.items():
        response = client.get(url.format(**names))
        expected = 200 if role in allowed else 404
        assert response.status_code == expected, (role, url, response.status_code)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_form_refuses_roles_it_does_not_name(staff_client, db, role):
    client = staff_client(role)
    token = csrf_token_from(client.get("/staff/catalog").text)
    names = placeholders()
    for url, allowed in ACTIONS.items():
        response = client.post(url.format(**names), data={"csrf_token": token})
        if role in allowed:
            assert response.status_code != 404 or url.startswith("/staff/merges/"), (role, url)
        else:
            assert response.status_code == 404, (role, url, response.status_code)


def test_the_nav_lists_only_what_the_role_opens(staff_client, db):
    nav = re.compile(r'<nav class="main-nav staff-nav".*?</nav>', re.S)
    fulfillment = nav.search(staff_client("fulfillment").get("/staff").text).group(0)
    assert "Catalog" in fulfillment and "Candidates" not in fulfillment
    auditor = nav.search(staff_client("auditor").get("/staff").text).group(0)
    assert "Audit log" in auditor and "Candidates" in auditor


def test_candidates_and_visitors_get_no_console(candidate_client, client, app):
    names = placeholders()
    for url in PAGES:
        assert candidate_client.get(url.format(**names)).status_code == 404
    anonymous = app.test_client()
    response = anonymous.get("/staff/candidates")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert anonymous.get("/staff/candidates", headers=PARTIAL).headers["HX-Redirect"]


def test_every_form_needs_the_csrf_token(staff_client, db):
    client = staff_client("admin")
    names = placeholders()
    for url in ACTIONS:
        response = client.post(url.format(**names), data={
            "reason": "x", "email": "a@b.cc", "tracking_number": "1Z999"})
        assert response.status_code == 400, url
    assert not AuditEvent.select().where(AuditEvent.action.in_(
        ["email_corrected", "login_throttles_cleared", "sessions_ended_by_staff"])).exists()


# --- Signing in ----------------------------------------------------------------------------


def test_staff_sign_in_needs_the_code_and_lands_on_the_console(client, db):
    response = log_in(client, "support", "certportal-staff")
    assert response.headers["Location"] == "/staff/sign-in"
    assert client.get("/staff").status_code == 302  # not signed in yet
    token = csrf_token_from(client.get("/staff/sign-in").text)
    wrong = client.post("/staff/sign-in", data={"code": "12345", "csrf_token": token})
    assert wrong.status_code == 422 and "This code is not right" in wrong.text
    right = client.post("/staff/sign-in", data={
        "code": pyotp.TOTP(demo_totp_secret("support")).now(), "csrf_token": token})
    assert right.headers["Location"] == "/staff"
    page = client.get("/staff")
    assert page.status_code == 200 and "Staff console" in page.text
    # Home and the brand link lead to the console, never to a 404 loop.
    assert client.get("/").headers["Location"] == "/staff"
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and 'href="/staff">Go to Home' in missing.text
    assert AuditEvent.select().where(AuditEvent.action == "staff_logged_in").count() == 1


def test_the_same_code_does_not_sign_in_twice(app, db):
    first, second = app.test_client(), app.test_client()
    code = pyotp.TOTP(demo_totp_secret("auditor")).now()
    for client in (first, second):
        log_in(client, "auditor", "certportal-staff")
    responses = [
        c.post("/staff/sign-in", data={"code": code, "csrf_token": csrf_token_from(
            c.get("/staff/sign-in").text)}) for c in (first, second)
    ]
    assert sorted(r.status_code for r in responses) == [303, 422]


def test_first_sign_in_enrols_an_authenticator(client, app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["staff", "create", "newbie", "--email", "n@example.org",
                               "--roles", "support", "--password",
                               "a long new password"]).exit_code == 0
    response = log_in(client, "newbie", "a long new password")
    assert client.get(response.headers["Location"]).headers["Location"] == "/staff/enrol"
    page = client.get("/staff/enrol")
    assert page.status_code == 200 and "<svg" in page.text
    secret = StaffUser.get(StaffUser.username == "newbie").totp_secret
    assert secret in page.text
    token = csrf_token_from(page.text)
    bad = client.post("/staff/enrol", data={"code": "", "csrf_token": token})
    assert bad.status_code == 422 and "Enter the 6-digit code" in bad.text
    done = client.post("/staff/enrol", data={"code": pyotp.TOTP(secret).now(),
                                              "csrf_token": token})
    assert done.status_code == 200
    assert len(re.findall(r"<li><code>[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}</code></li>",
                          done.text)) == 10
    assert client.get("/staff").status_code == 200


def test_staff_sessions_idle_out_after_15_minutes(staff_client, db):
    client = staff_client("support")
    assert client.get("/staff").status_code == 200
    LoginSession.update(last_seen_at=utcnow() - timedelta(minutes=16)).where(
        LoginSession.staff_user.is_null(False)).execute()
    assert client.get("/staff").status_code == 302


def test_a_disabled_staff_member_is_out_at_once(staff_client, app, db):
    client = staff_client("support")
    assert app.test_cli_runner().invoke(args=["staff", "disable", "support"]).exit_code == 0
    assert client.get("/staff").status_code == 302
    assert log_in(app.test_client(), "support", "certportal-staff").status_code == 422


# --- Candidates -----------------------------------------------------------------------------


def test_search_then_record_shows_what_the_candidate_sees_and_more(staff_client, db):
    client = staff_client("support")
    results = client.get("/staff/candidates?q=Nunez")
    assert "CSCO10000002" in results.text
    fragment = client.get("/staff/candidates?q=nunez", headers=PARTIAL)
    assert fragment.text.lstrip().startswith('<section id="candidate-results"')
    record = client.get("/staff/candidates/CSCO10000000")
    for text in ("Certifications", "CCNA", "219142598", "CE credits", "Orders",
                 "Transcripts", "Emails sent", "Support cases", "Audit trail"):
        assert text in record.text
    viewed = AuditEvent.get(AuditEvent.action == "candidate_viewed")
    assert viewed.staff_user.username == "support"
    assert client.get("/staff/candidates/NOBODY").status_code == 404


def test_the_record_lists_each_order_with_its_kits(staff_client, db):
    """What was ordered, each kit's own state and code, the order's state and total."""
    kit = OrderLine.get(OrderLine.verification_code == placeholders()["kit"])
    order = kit.order
    record = staff_client("support").get(
        f"/staff/candidates/{order.candidate.login_id}").text
    orders = record.split('id="orders-heading"', 1)[1].split("</section>", 1)[0]
    row = re.search(rf"<tr>\s*<td data-label=\"Order\">{order.reference}</td>.*?</tr>",
                    orders, re.S).group(0)
    assert '<td data-label="Status">Submitted</td>' in row
    for line in OrderLine.select().where(OrderLine.order == order):
        shown = html.unescape(re.sub(r"<[^>]+>", "", row))
        assert f"{kits.history_name(line)}: {kits.STATUS_LABELS[line.status]}" in shown
        assert f"(code {line.verification_code})" in shown
    assert f"${order.total_cents / 100:,.2f}" in row


def test_the_record_shows_each_certifications_progress(staff_client, db):
    """As on the candidate's own page: the tree that matters now, earned of required."""
    record = staff_client("auditor").get("/staff/candidates/CSCO10000000").text
    rows = {re.sub(r"<[^>]+>", "", row.split("</td>", 1)[0]).strip(): row
            for row in record.split("<tr>")[1:]}
    assert "<td>Earn: 1 / 2</td>" in rows["CCNP Enterprise (CCNP)"]  # in progress
    assert "<td>Recertify: 0 / 1</td>" in rows["CCNA (CCNA)"]  # active: its recertify tree


def post_form(client, page_url, action_url, data):
    token = csrf_token_from(client.get(page_url).text)
    return client.post(action_url, data={**data, "csrf_token": token})


def test_correct_email_needs_a_reason_and_tells_the_old_address(staff_client, db):
    client = staff_client("support")
    record = "/staff/candidates/CSCO10000001"
    bad = post_form(client, record, record + "/email", {"email": "not-an-email", "reason": ""})
    assert bad.status_code == 422
    assert "Give the reason" in bad.text and "Enter an email address" in bad.text
    taken = post_form(client, record, record + "/email",
                      {"email": "csco10000000@certportal.example", "reason": "typo"})
    assert taken.status_code == 422 and "merge the records instead" in taken.text
    assert Candidate.get(Candidate.login_id == "CSCO10000001").email == \
        "wang.mei@certportal.example"
    done = post_form(client, record, record + "/email",
                     {"email": "mei.wang@example.org", "reason": "Asked by phone"})
    assert done.status_code == 303
    assert Candidate.get(Candidate.login_id == "CSCO10000001").email == "mei.wang@example.org"
    notice = OutgoingEmail.get(OutgoingEmail.kind == "email_corrected")
    assert notice.to_address == "wang.mei@certportal.example"
    assert "mei.wang@example.org" not in notice.body_text and "m***@e***.org" in notice.body_text
    entry = AuditEvent.get(AuditEvent.action == "email_corrected")
    assert (entry.old_value, entry.new_value, entry.reason) == (
        "wang.mei@certportal.example", "mei.wang@example.org", "Asked by phone")


def test_resend_unlock_and_log_out_everywhere(staff_client, app, db):
    candidate = log_in(app.test_client())
    assert candidate.status_code == 303
    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    LoginThrottle.create(key_hash="k" * 64, candidate=john, failures=9)
    client = staff_client("support")
    record = "/staff/candidates/CSCO10000000"
    assert post_form(client, record, record + "/mapping-email", {}).status_code == 303
    assert OutgoingEmail.select().where(OutgoingEmail.to_address == john.email,
                                        OutgoingEmail.kind == "mapping_reset_password").exists()
    assert post_form(client, record, record + "/unlock", {}).status_code == 303
    assert not LoginThrottle.select().where(LoginThrottle.candidate == john).exists()
    assert post_form(client, record, record + "/log-out", {}).status_code == 303
    assert not LoginSession.select().where(LoginSession.candidate == john,
                                           LoginSession.revoked_at.is_null()).exists()
    actions = {e.action for e in AuditEvent.select().where(AuditEvent.staff_user.is_null(False))}
    assert {"mapping_email_resent", "login_throttles_cleared",
            "sessions_ended_by_staff"} <= actions


def test_grant_needs_a_reason_then_grants_recomputes_and_emails(staff_client, db):
    client = staff_client("support")
    page = "/staff/candidates/CSCO10000002/grant"
    bad = post_form(client, page, page, {"certification": "CCNA", "granted_on": "",
                                         "reason": ""})
    assert bad.status_code == 422 and "Give the reason" in bad.text
    future = post_form(client, page, page, {"certification": "CCNA",
                                            "granted_on": str(TODAY + timedelta(days=2)),
                                            "reason": "x"})
    assert future.status_code == 422 and "in the future" in future.text
    ana = Candidate.get(Candidate.login_id == "CSCO10000002")
    assert not CandidateCertification.select().join(Certification).where(
        (CandidateCertification.candidate == ana) & (Certification.code == "CCNP-ENT")).exists()
    done = post_form(client, page, page, {"certification": "CCNP-ENT",
                                          "granted_on": str(TODAY), "reason": "Partner"})
    assert done.status_code == 303
    held = CandidateCertification.select().join(Certification).where(
        (CandidateCertification.candidate == ana) & (Certification.code == "CCNP-ENT")).get()
    assert held.status == "active"
    assert OutgoingEmail.select().where(OutgoingEmail.kind == "certification_granted").exists()
    assert AuditEvent.get(AuditEvent.action == "certification_granted").reason == "Partner"


def test_revocation_is_visible_at_every_door(staff_client, candidate_client, client, db):
    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    held = CandidateCertification.select().join(Certification).where(
        (CandidateCertification.candidate == john) & (Certification.code == "CCNA")).get()
    code = held.verification_code
    assert candidate_client.get("/certifications/CCNA/certificate.pdf").status_code == 200
    staff = staff_client("support")
    bad = post_form(staff, CCNA_REVOKE, CCNA_REVOKE, {"reason": "  "})
    assert bad.status_code == 422 and "Give the reason" in bad.text
    done = post_form(staff, CCNA_REVOKE, CCNA_REVOKE, {"reason": "Exam fraud"})
    assert done.status_code == 303
    certifications_page = candidate_client.get("/certifications")
    assert "CCNA" not in re.sub(r"CCNA-RS|CCNA Routing", "", certifications_page.text) or \
        "Revoked" in certifications_page.text
    assert candidate_client.get("/certifications/CCNA/certificate.pdf").status_code == 404
    verify = client.get(f"/api/v1/verifications/{code}")
    assert verify.json["status"] == "revoked"
    assert "revoked" in client.get(f"/verify/{code}").text.lower()
    assert OutgoingEmail.get(OutgoingEmail.kind == "certification_revoked").to_address == \
        john.email
    assert staff.get(CCNA_REVOKE).status_code == 404  # nothing left to revoke


# --- Imports --------------------------------------------------------------------------------

HEADER = "login_id,email,first_name,last_name,exam_code,registration_number,grade,taken_on\n"


def upload(client, content: bytes, name="results.csv", kind="exams"):
    import io

    token = csrf_token_from(client.get("/staff/imports").text)
    return client.post("/staff/imports", data={
        "kind": kind, "csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data")


def test_import_dry_run_then_apply(staff_client, db):
    client = staff_client("support")
    content = (HEADER + f"CSCO30000001,x@example.org,Xu,Li,200-301,WEB-1,Pass,{TODAY}\n"
               + f"CSCO10000001,wang.mei@certportal.example,Mei,Wang,350-401,WEB-2,Pass,"
               f"{TODAY}\n").encode()
    before = ExamResult.select().count()
    dry = upload(client, content)
    assert dry.status_code == 200
    assert "results.csv: 2 row(s): 2 imported, 0 already imported, 1 new candidate" in dry.text
    assert ExamResult.select().count() == before
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', dry.text).group(1)
    applied = client.post("/staff/imports/apply", data={
        "upload": token, "csrf_token": csrf_token_from(dry.text)})
    assert applied.status_code == 303
    assert ExamResult.select().count() == before + 2
    history = client.get("/staff/imports").text
    assert "Imported: results.csv: 2 row(s): 2 imported" in history
    assert "support" in history and str(len(content)) + " B" in history
    again = client.post("/staff/imports/apply", data={
        "upload": token, "csrf_token": csrf_token_from(dry.text)})
    assert again.status_code == 422 and "no longer kept" in again.text


def test_import_lists_every_line_error_and_writes_nothing(staff_client, db):
    client = staff_client("support")
    content = (HEADER + f"CSCO30000001,bad,Xu,Li,200-301,WEB-1,Pass,{TODAY}\n"
               + f"CSCO30000002,y@example.org,Y,Y,999-999,WEB-2,Pass,{TODAY}\n").encode()
    before = ExamResult.select().count()
    response = upload(client, content)
    assert response.status_code == 422
    assert "line 2: email" in response.text and "line 3: exam_code" in response.text
    assert 'name="upload"' not in response.text
    assert ExamResult.select().count() == before
    assert upload(client, b"", name="empty.csv").status_code == 422


# --- Cases and merges --------------------------------------------------------------------------


def test_case_assign_reply_resolve(staff_client, db):
    client = staff_client("support")
    case = merge_case_number()
    page = f"/staff/cases/{case}"
    assert case in client.get("/staff/cases").text
    assert post_form(client, page, page + "/assign", {"assignee": "support"}).status_code == 303
    assert case in client.get("/staff/cases?queue=mine").text
    empty = post_form(client, page, page + "/reply", {"body": ""})
    assert empty.status_code == 422 and "Write the reply." in empty.text
    assert post_form(client, page, page + "/reply",
                     {"body": "We will merge them today."}).status_code == 303
    reply = OutgoingEmail.get(OutgoingEmail.kind == "case_reply")
    assert reply.subject == f"Re: Support case {case}"
    assert "We will merge them today." in reply.body_text
    assert "We will merge them today." in client.get(page).text
    assert post_form(client, page, page + "/resolve",
                     {"resolution": "Merged."}).status_code == 303
    assert case in client.get("/staff/cases?queue=resolved").text


def test_merge_from_the_case_then_undo_by_an_admin(staff_client, db):
    client = staff_client("support")
    case = merge_case_number()
    preview_url = (f"/staff/merge?survivor={DUPLICATE_LOGIN_IDS[0]}"
                   f"&retired={DUPLICATE_LOGIN_IDS[1]}&case={case}")
    preview = client.get(preview_url)
    assert "What moves from CSCO10000004 to CSCO10000003" in preview.text
    no_reason = client.post("/staff/merge", data={
        "survivor": DUPLICATE_LOGIN_IDS[0], "retired": DUPLICATE_LOGIN_IDS[1], "case": case,
        "reason": "", "csrf_token": csrf_token_from(preview.text)})
    assert no_reason.status_code == 422 and "Give the reason" in no_reason.text
    retired = Candidate.get(Candidate.login_id == DUPLICATE_LOGIN_IDS[1])
    assert retired.merged_into_id is None
    done = client.post("/staff/merge", data={
        "survivor": DUPLICATE_LOGIN_IDS[0], "retired": DUPLICATE_LOGIN_IDS[1], "case": case,
        "reason": "Same person", "csrf_token": csrf_token_from(preview.text)})
    assert done.status_code == 303
    assert Candidate.get_by_id(retired.id).merged_into_id is not None
    assert ExamResult.select().where(ExamResult.candidate == retired).count() == 0
    assert OutgoingEmail.select().where(OutgoingEmail.kind == "records_merged").exists()
    admin = staff_client("admin")
    log = admin.get("/staff/audit?action=candidates_merged")
    undo_url = re.search(r'href="(/staff/merges/\d+/undo)">Undo', log.text).group(1)
    undone = post_form(admin, undo_url, undo_url, {"reason": "Different people after all"})
    assert undone.status_code == 303
    assert Candidate.get_by_id(retired.id).merged_into_id is None
    assert ExamResult.select().where(ExamResult.candidate == retired).count() == 1


def test_audit_log_filters_and_fragment(staff_client, db):
    client = staff_client("auditor")
    staff_client("support").get("/staff/candidates/CSCO10000001")
    page = client.get("/staff/audit?action=candidate_viewed&login_id=CSCO10000001")
    assert page.status_code == 200 and "candidate_viewed" in page.text
    fragment = client.get("/staff/audit?staff=support", headers=PARTIAL)
    assert fragment.text.lstrip().startswith('<section id="audit-results"')
    assert "Undo" not in client.get("/staff/audit").text


def test_catalog_shows_the_last_refused_load(staff_client, app, tmp_path, db):
    (tmp_path / "exams.toml").write_text('[[exam]]\ncode = "999-002"\n')
    assert app.test_cli_runner().invoke(args=["catalog", "load", str(tmp_path)]).exit_code != 0
    page = staff_client("fulfillment").get("/staff/catalog")
    assert "The last catalog load was refused" in page.text
    assert 'exams.toml: exam "999-002": name' in html.unescape(page.text)


def test_log_in_as_staff_twice_is_fine(app, db):
    client = app.test_client()
    assert log_in_staff(client, "admin").status_code == 303
    assert client.get("/login").headers["Location"] == "/staff"


def test_an_upload_over_the_limit_is_refused_beside_the_field(staff_client, db):
    from certportal.domain.staff_imports import MAX_UPLOAD_BYTES

    response = upload(staff_client("support"), b"x" * (MAX_UPLOAD_BYTES + 10))
    assert response.status_code == 422 and "The file is larger than 5 MB." in response.text


# --- Fulfillment ---------------------------------------------------------------------------


def test_mark_sent_then_complete_from_the_queue(staff_client, db):
    client = staff_client("fulfillment")
    code = placeholders()["kit"]
    page = client.get("/staff/fulfillment")
    assert code in page.text and "Packing slip (PDF)" in page.text
    bad = client.post(f"/staff/fulfillment/{code}/sent", data={
        "tracking_number": "", "csrf_token": csrf_token_from(page.text)})
    assert bad.status_code == 422 and "Enter the carrier&#39;s tracking number." in bad.text
    assert OrderLine.get(OrderLine.verification_code == code).status == "queued"
    sent = client.post(f"/staff/fulfillment/{code}/sent", data={
        "tracking_number": "1Z 999 AA1 0123", "csrf_token": csrf_token_from(page.text)})
    assert sent.status_code == 303
    line = OrderLine.get(OrderLine.verification_code == code)
    assert (line.status, line.tracking_number) == ("sent", "1Z 999 AA1 0123")
    email = OutgoingEmail.get(OutgoingEmail.kind == "kit_sent")
    assert "1Z 999 AA1 0123" in email.body_text and email.to_address == line.candidate.email
    assert code in client.get("/staff/fulfillment?status=sent").text
    done = client.post(f"/staff/fulfillment/{code}/complete", data={
        "csrf_token": csrf_token_from(page.text)})
    assert done.status_code == 303
    assert OrderLine.get(OrderLine.verification_code == code).status == "complete"
    assert {"kit_marked_sent", "kit_marked_complete"} <= {e.action for e in AuditEvent.select()}


def test_a_paid_kit_needs_the_payment_provider_to_be_cancelled(staff_client, db):
    from certportal.domain.fulfillment_queue import refund_due

    client = staff_client("fulfillment")
    line = next(line for line in OrderLine.select().where(OrderLine.status == "queued")
                if refund_due(line))
    page = client.get("/staff/fulfillment")
    response = client.post(f"/staff/fulfillment/{line.verification_code}/cancel", data={
        "reason": "Out of stock", "csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 422 and "Payments are not configured" in response.text
    assert OrderLine.get_by_id(line.id).status == "queued"


def test_the_packing_slip_is_a_pdf_attachment(staff_client, db):
    reference = placeholders()["order"]
    response = staff_client("fulfillment").get(
        f"/staff/fulfillment/orders/{reference}/packing-slip.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert staff_client("fulfillment").get(
        "/staff/fulfillment/orders/NOPE/packing-slip.pdf").status_code == 404


def test_five_wrong_codes_send_the_staff_member_back_to_the_password(client, db):
    log_in(client, "auditor", "certportal-staff")
    token = csrf_token_from(client.get("/staff/sign-in").text)
    right = pyotp.TOTP(demo_totp_secret("auditor")).now()
    wrong = f"{(int(right) + 500000) % 1000000:06d}"
    for _ in range(4):
        assert client.post("/staff/sign-in", data={"code": wrong, "csrf_token": token}
                           ).status_code == 422
    fifth = client.post("/staff/sign-in", data={"code": wrong, "csrf_token": token})
    assert fifth.status_code == 303 and fifth.headers["Location"] == "/login"
    # The right code no longer helps: the password must be given again.
    late = client.post("/staff/sign-in", data={"code": right, "csrf_token": token})
    assert late.headers["Location"] == "/login"
    assert AuditEvent.select().where(
        AuditEvent.action == "staff_second_factor_failed").count() == 5


# --- Staff accounts ------------------------------------------------------------------------


def test_an_admin_creates_changes_resets_and_disables_staff(staff_client, db):
    client = staff_client("admin")
    page = client.get("/staff/accounts")
    assert page.status_code == 200 and "auditor" in page.text
    token = csrf_token_from(page.text)
    bad = client.post("/staff/accounts", data={
        "username": "Bad Name", "email": "x", "password": "short", "csrf_token": token})
    assert bad.status_code == 422 and "Choose at least one role." in bad.text
    assert not StaffUser.select().where(StaffUser.email == "x").exists()
    done = client.post("/staff/accounts", data={
        "username": "newbie", "display_name": "New Person", "email": "n@example.org",
        "roles": ["support", "auditor"], "password": "a long first password",
        "csrf_token": token})
    assert done.status_code == 303
    assert StaffUser.get(StaffUser.username == "newbie").role_names == ("auditor", "support")
    assert client.post("/staff/accounts/newbie/roles", data={
        "roles": ["fulfillment"], "csrf_token": token}).status_code == 303
    assert StaffUser.get(StaffUser.username == "newbie").role_names == ("fulfillment",)
    assert client.post("/staff/accounts/support/reset-second-factor", data={
        "csrf_token": token}).status_code == 303
    assert StaffUser.get(StaffUser.username == "support").totp_enrolled_at is None
    assert client.post("/staff/accounts/newbie/disable", data={
        "csrf_token": token}).status_code == 303
    assert not StaffUser.get(StaffUser.username == "newbie").is_active
    actions = [e.action for e in AuditEvent.select().where(
        AuditEvent.subject.startswith("staff "))]
    assert actions == ["staff_created", "staff_roles_set", "staff_second_factor_reset",
                       "staff_disabled"]
