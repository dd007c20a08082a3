"""Personal Info: Settings, Attributes, Identification."""

import re

import pytest

from certportal.models import AuditEvent, Candidate
from tests.conftest import PARTIAL, csrf_token_from, log_in
from tests.factories import john

ALL_YES = {
    "is_employee": "yes",
    "is_partner": "yes",
    "email_notifications": "yes",
    "is_netacad_student": "yes",
    "verification_consent": "yes",
}


def post_settings(client, answers, headers=None):
    token = csrf_token_from(client.get("/personal-info/settings").text)
    return client.post(
        "/personal-info/settings", data={**answers, "csrf_token": token}, headers=headers or {}
    )


def post_job_title(client, value, headers=None, **extra):
    token = csrf_token_from(client.get("/personal-info/attributes").text)
    return client.post(
        "/personal-info/attributes",
        data={"job_title": value, "csrf_token": token, **extra},
        headers=headers or {},
    )


def test_settings_show_the_five_questions_with_the_programs_name(candidate_client):
    page = candidate_client.get("/personal-info/settings").text
    for text in (
        "Cisco Employee",
        "Are you a Cisco employee?",
        "Cisco Partner or Reseller",
        "Do you work for a Cisco Partner or Reseller?",
        "Email Notifications",
        "Net Academy Student",
        "Verification of Certification",
        "Section 7 &#34;Verification of Certification&#34;",
        "Update/Confirm",
    ):
        assert text in page
    assert page.count("Required *") == 5
    # The stored answers are preselected (John consents to verification).
    assert re.search(r'<input [^>]*checked id="verification_consent-0"[^>]*value="yes">', page)


def test_settings_follow_program_name(app_config):
    from certportal import create_app

    app_config["PROGRAM_NAME"] = "Acme"
    client = create_app(app_config).test_client()
    log_in(client)
    page = client.get("/personal-info/settings").text
    assert "Are you a Acme employee?" in page and "Cisco" not in page


def test_confirm_saves_all_answers_and_the_time(candidate_client, db):
    answers = {**ALL_YES, "is_employee": "no"}
    response = post_settings(candidate_client, answers)
    assert response.status_code == 303
    assert response.headers["Location"] == "/personal-info/settings"
    saved = john()
    assert (saved.is_employee, saved.is_partner, saved.verification_consent) == (False, True, True)
    followed = candidate_client.get("/personal-info/settings").text
    assert "Your settings have been confirmed." in followed


@pytest.mark.parametrize("unanswered", list(ALL_YES))
def test_an_unanswered_question_is_marked_and_nothing_is_saved(candidate_client, db, unanswered):
    before = john()
    answers = {key: "no" for key in ALL_YES if key != unanswered}
    response = post_settings(candidate_client, answers)
    assert response.status_code == 422
    assert f'id="{unanswered}-error">Required * — choose Yes or No.</p>' in response.text
    assert response.text.count('class="field-error"') == 1
    after = john()
    assert after.settings_confirmed_at == before.settings_confirmed_at
    assert after.is_employee == before.is_employee


def test_a_value_other_than_yes_or_no_is_refused(candidate_client, db):
    response = post_settings(candidate_client, {**ALL_YES, "is_partner": "maybe"})
    assert response.status_code == 422
    assert 'id="is_partner-error">Required * — choose Yes or No.</p>' in response.text
    assert john().is_partner is False


def test_withdrawing_consent_is_audited_with_old_and_new(candidate_client, db):
    post_settings(candidate_client, {**ALL_YES, "verification_consent": "no"})
    event = AuditEvent.get(AuditEvent.action == "verification_consent")
    assert (event.old_value, event.new_value) == ("Yes", "No")
    assert event.candidate_id == john().id
    assert event.ip_address == "127.0.0.1"


def test_confirming_without_changing_consent_writes_no_audit(candidate_client, db):
    post_settings(candidate_client, ALL_YES)
    assert AuditEvent.select().where(AuditEvent.action == "verification_consent").count() == 0


def test_htmx_confirm_answers_with_the_form_fragment(candidate_client, db):
    response = post_settings(candidate_client, ALL_YES, headers=PARTIAL)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<form id="settings-form"')
    assert "Your settings have been confirmed." in response.text
    # The message is shown in place, not left behind for the next page.
    assert "Your settings have been confirmed." not in candidate_client.get("/").text


def test_htmx_invalid_settings_swap_the_form_with_errors(candidate_client):
    response = post_settings(candidate_client, {}, headers=PARTIAL)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<form id="settings-form"')
    assert response.text.count('class="field-error"') == 5


def test_settings_post_needs_csrf(candidate_client, db):
    response = candidate_client.post("/personal-info/settings", data=ALL_YES)
    assert response.status_code == 400
    assert john().is_partner is False


def test_attributes_show_nothing_set_and_job_title(candidate_client):
    page = candidate_client.get("/personal-info/attributes").text
    assert "Candidate Attributes" in page
    assert page.count("[Nothing set]") == 2  # CCDE and CCIE numbers
    assert 'value="Jester"' in page
    assert "8682608" in page
    assert 'You can only update "Job Title" on this page.' in page.replace("&#34;", '"')


def test_job_title_is_trimmed_and_saved(candidate_client, db):
    response = post_job_title(candidate_client, "   Chief   Network Jester  ")
    assert response.status_code == 303
    assert john().job_title == "Chief Network Jester"
    assert "Your job title has been updated." in candidate_client.get(response.location).text


def test_job_title_in_any_script(candidate_client, db):
    assert post_job_title(candidate_client, "网络工程师").status_code == 303
    assert john().job_title == "网络工程师"


def test_a_too_long_job_title_is_refused_beside_the_field(candidate_client, db):
    response = post_job_title(candidate_client, "x" * 101)
    assert response.status_code == 422
    assert 'id="job_title-error"' in response.text
    assert "Use at most 100 characters" in response.text
    assert john().job_title == "Jester"


@pytest.mark.parametrize("value", ["", "   "])
def test_job_title_can_be_cleared(candidate_client, db, value):
    """No job title is a valid answer (between jobs, or not wanting to say)."""
    response = post_job_title(candidate_client, value)
    assert response.status_code == 303
    assert john().job_title == ""
    page = candidate_client.get(response.location).text
    assert "Your job title has been updated." in page
    assert 'id="job_title-error"' not in page


def test_job_title_html_is_shown_as_text(candidate_client, db):
    post_job_title(candidate_client, "<script>alert(1)</script>")
    page = candidate_client.get("/personal-info/attributes").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_other_attributes_cannot_be_posted(candidate_client, db):
    post_job_title(
        candidate_client,
        "Jester",
        ccie_number="12345",
        ccde_number="2020::1",
        netacad_id="1",
        login_id="CSCO10000001",
    )
    saved = john()
    assert (saved.ccie_number, saved.ccde_number, saved.netacad_id) == ("", "", "8682608")
    other = Candidate.get(Candidate.login_id == "CSCO10000001")
    assert other.job_title == "Network Engineer"


def test_htmx_job_title_update_answers_with_the_fragment(candidate_client, db):
    response = post_job_title(candidate_client, "Court Jester", headers=PARTIAL)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<form id="attributes-form"')
    assert 'value="Court Jester"' in response.text


def test_identification_lists_the_accounts_ids(candidate_client):
    page = candidate_client.get("/personal-info/identification").text
    assert "Cisco Identifiers" in page
    assert (
        "Below are the different IDs assigned to your account including Testing IDs and "
        "System IDs." in page
    )
    assert "Candidate IDs used externally" in page
    for label, value in (
        ("Login ID", "CSCO10000000"),
        ("Cisco Systems, Inc.", "CSCO10000000"),
        ("Credly (Acclaim) Badging", "csco10000000@certportal.example"),
        ("Vue Testing ID", "226754252"),
    ):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in page
    assert "<input" not in page.split('id="main"')[1].split("</main>")[0]


@pytest.mark.parametrize(
    ("path", "block_start"),
    [
        ("/personal-info/settings", '<form id="settings-form"'),
        ("/personal-info/attributes", '<form id="attributes-form"'),
        ("/personal-info/identification", '<section class="panel"'),
    ],
)
def test_each_tab_is_a_full_page_or_its_fragment(candidate_client, path, block_start):
    full = candidate_client.get(path)
    assert full.text.lstrip().startswith("<!doctype html>")
    assert 'aria-label="Personal Info"' in full.text
    fragment = candidate_client.get(path, headers=PARTIAL).text
    assert fragment.lstrip().startswith(block_start)


@pytest.mark.parametrize(
    "path",
    ["/personal-info/settings", "/personal-info/attributes", "/personal-info/identification"],
)
def test_tabs_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_tabs_show_only_the_signed_in_candidate(client):
    log_in(client, "CSCO10000001", "second-demo-password")
    for path in ("/personal-info/attributes", "/personal-info/identification"):
        page = client.get(path).text
        assert "CSCO10000000" not in page and "Jester" not in page
    assert "CSCO10000001" in client.get("/personal-info/identification").text
