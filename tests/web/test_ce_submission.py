"""Submit a CE activity (Testing History → CE Activities): the form, its messages beside the
fields, Pending review rows, the evidence download, and a 413 shown on the form."""

import io
from datetime import date, timedelta

import pytest

from certportal.models import CeCredit, CeEvidence
from tests.conftest import BOOSTED, csrf_token_from, log_in

TODAY = date.today()
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
URL = "/testing-history/ce-activities/submit"


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app_config


def fields(**changes):
    data = {
        "name": "Cisco Live session BRKENS-2000",
        "provider": "Cisco Live",
        "activity_on": (TODAY - timedelta(days=2)).isoformat(),
        "points": "6",
        "evidence": [(io.BytesIO(PDF), "attendance.pdf")],
    }
    data.update(changes)
    return data


def post(client, headers=None, **changes):
    token = csrf_token_from(client.get(URL).text)
    return client.post(URL, data={**fields(**changes), "csrf_token": token},
                       content_type="multipart/form-data", headers=headers or {})


def submissions():
    return list(CeCredit.select().where(CeCredit.source == "Self-submitted"))


def test_the_form_is_linked_from_ce_activities(candidate_client):
    page = candidate_client.get("/testing-history/ce-activities").text
    assert f'href="{URL}"' in page and "Submit a CE activity" in page
    form = candidate_client.get(URL).text
    for label in ("Activity name", "Provider", "Date of the activity", "Points claimed",
                  "Evidence"):
        assert f">{label}</label>" in form
    assert 'enctype="multipart/form-data"' in form
    assert 'type="file"' in form and "multiple" in form
    assert f'max="{TODAY.isoformat()}"' in form


def test_a_submission_shows_as_pending_review_and_counts_nothing(candidate_client, db):
    before = candidate_client.get("/testing-history/ce-activities").text
    response = post(candidate_client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/testing-history/ce-activities"
    page = candidate_client.get("/testing-history/ce-activities").text
    assert "Your CE activity was submitted." in page
    assert "Cisco Live session BRKENS-2000" in page and "Pending review" in page
    assert "Self-submitted" in page
    # Active points do not change while it waits.
    active = before.split("Active points: <strong>")[1].split("<")[0]
    assert f"Active points: <strong>{active}</strong>" in page
    (credit,) = submissions()
    assert (credit.review, credit.points_claimed) == ("pending", 6)


def test_bad_input_answers_422_with_messages_beside_the_fields(candidate_client, db):
    response = post(
        candidate_client,
        name="",
        activity_on=(TODAY + timedelta(days=1)).isoformat(),
        points="0",
        evidence=[(io.BytesIO(b"MZ\x90\x00 not a document"), "tool.pdf")],
    )
    assert response.status_code == 422
    text = response.text
    assert 'id="name-error">Enter the activity&#39;s name.</p>' in text
    assert 'id="activity_on-error">The date cannot be in the future.</p>' in text
    assert 'id="points-error">Claim at least 1 point.</p>' in text
    assert 'id="evidence-error">tool.pdf is not a PDF, PNG or JPEG file.</p>' in text
    assert 'aria-invalid="true"' in text
    # What was typed is kept.
    assert 'value="Cisco Live"' in text
    assert submissions() == []


def test_too_many_points_and_too_many_files(candidate_client, db):
    response = post(candidate_client, points="41",
                    evidence=[(io.BytesIO(PDF), f"{n}.pdf") for n in range(4)])
    assert response.status_code == 422
    assert "At most 40 points can be claimed for one activity." in response.text
    assert "Attach at most 3 files." in response.text


def test_a_date_before_the_cycle_is_refused(candidate_client, db):
    response = post(candidate_client, activity_on="2001-01-01")
    assert response.status_code == 422
    assert 'id="activity_on-error">The activity must be after' in response.text


def test_an_oversized_file_is_refused_on_the_form(candidate_client, db):
    big = PDF + b"0" * (5 * 1024 * 1024)
    response = post(candidate_client, evidence=[(io.BytesIO(big), "scan.pdf")])
    assert response.status_code == 422
    assert "scan.pdf is larger than 5 MB." in response.text


def test_a_request_over_the_form_limit_is_a_clear_413_on_the_form(candidate_client, db):
    huge = [(io.BytesIO(PDF + b"0" * (6 * 1024 * 1024)), f"{n}.pdf") for n in range(3)]
    response = post(candidate_client, evidence=huge)
    assert response.status_code == 413
    assert "<html" in response.text and 'id="ce-submit-form"' in response.text
    assert 'id="evidence-error">The files you chose are too large together' in response.text
    assert "Traceback" not in response.text
    assert submissions() == []


def test_boosted_submission_gets_the_whole_page(candidate_client, db):
    response = post(candidate_client, headers=BOOSTED, points="0")
    assert response.status_code == 422 and "<html" in response.text


def test_csrf_is_required(candidate_client, db):
    response = candidate_client.post(URL, data=fields(), content_type="multipart/form-data")
    assert response.status_code in (400, 422)
    assert submissions() == []


def test_evidence_downloads_only_for_its_owner_as_an_attachment(app, db):
    owner = app.test_client()
    log_in(owner)
    post(owner, evidence=[(io.BytesIO(PDF), "../../report <1>.pdf"), (io.BytesIO(PNG), "a.png")])
    stored = list(CeEvidence.select().order_by(CeEvidence.id))
    page = owner.get("/testing-history/ce-activities").text
    url = f"/testing-history/ce-activities/evidence/{stored[0].id}"
    assert f'href="{url}"' in page and "report &lt;1&gt;.pdf" in page
    response = owner.get(url)
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    other = app.test_client()
    log_in(other, "CSCO10000001", "second-demo-password")
    assert other.get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302  # to the login page
    assert owner.get("/testing-history/ce-activities/evidence/999999").status_code == 404


def test_the_submission_form_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_home_marks_a_pending_submission_and_leaves_out_a_rejected_one(candidate_client, db):
    from certportal.models import StaffUser

    post(candidate_client, name="Pending course", points="4")
    post(candidate_client, name="Rejected course", points="3")
    rejected = CeCredit.get(CeCredit.name == "Rejected course")
    from certportal.domain import ce_submissions

    ce_submissions.review(rejected.id, staff_user=StaffUser.select().first(), approve=False,
                          reason="No evidence of attendance.", today=TODAY, max_points=40)
    page = candidate_client.get("/").text
    assert "Pending course, 4 points (Cisco Live), pending review" in page
    assert "Rejected course" not in page
