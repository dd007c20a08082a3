"""The planner on the certification detail and Home, the what-if form, Add to calendar."""

from datetime import date, timedelta

import icalendar

from certportal.domain.lifecycle import add_months
from certportal.models import Candidate, CandidateCertification, Certification, ExamResult
from tests.conftest import PARTIAL

TODAY = date.today()


def guide(day: date) -> str:
    return f"{day:%Y}-{day:%b}-{day:%d}"


def held(login_id="CSCO10000000", code="CCNA"):
    return (
        CandidateCertification.select()
        .join(Certification)
        .where(
            (CandidateCertification.candidate
             == Candidate.get(Candidate.login_id == login_id))
            & (Certification.code == code)
        )
        .get()
    )


def test_detail_shows_the_plan_with_the_deadline(candidate_client, db):
    page = candidate_client.get("/certifications/CCNA").text
    expires = held().expires_on
    assert "Keeping this certification" in page
    assert f"It expires on <strong>{guide(expires)} (in " in page
    assert "Pass one of these exams (200-301, 350-401, 350-701" in page
    # John's two recent 5-point credits are in CCNA's current cycle.
    assert "Earn 30 CE credits; you have 10; 20 more." in page
    assert 'href="/certifications/CCNA/expiry.ics"' in page
    assert "Earning or recertifying CCNP Enterprise (CCNP)" in page


def test_ce_credits_show_only_where_they_can_count(candidate_client, db):
    """CCNP in progress asks no CE credits to be earned, and CCENT has expired."""
    for code in ("CCNP-ENT", "CCENT"):
        page = candidate_client.get(f"/certifications/{code}").text
        assert "No CE credits count toward this certification." in page
        assert "Keeping this certification" not in page
    assert ('<td data-label="Points">5</td><td data-label="Status">Active</td>'
            in candidate_client.get("/certifications/CCNA").text)


def test_a_credit_used_by_one_certification_says_so_under_the_others(candidate_client, db):
    from certportal.domain.certifications import recompute
    from certportal.models import CeCredit

    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    CeCredit.create(candidate=john, name="Big course", points=20, active_on=TODAY,
                    inactive_on=add_months(TODAY, 36), updated_on=TODAY, source="Test",
                    external_id="big-1")
    recompute(john, TODAY)
    ccna = candidate_client.get("/certifications/CCNA").text
    assert "No CE credits count toward this certification." in ccna
    spec = candidate_client.get("/certifications/SPEC-ENCOR").text
    assert spec.count('<td data-label="Status">Used for CCNA (CCNA)</td>') == 3
    assert "+0 Cisco CE Credits" in spec


def test_what_if_without_javascript_is_a_get_form_on_the_page(candidate_client, db):
    before = held().expires_on
    response = candidate_client.get("/certifications/CCNA?exam=350-401")
    assert response.status_code == 200
    page = response.text
    assert "<html" in page
    assert "If you passed 350-401" in page
    assert (f"CCNA (CCNA) would be recertified: it would expire on "
            f"{guide(add_months(before, 36))} instead of {guide(before)}") in page
    assert '<option value="350-401" selected>' in page
    assert "Nothing was recorded" in page
    assert held().expires_on == before
    hypothetical = ExamResult.registration_number.startswith("what-if")
    assert not ExamResult.select().where(hypothetical).exists()


def test_what_if_with_htmx_swaps_only_its_section(candidate_client, db):
    response = candidate_client.get("/certifications/CCNA?exam=200-301", headers=PARTIAL)
    assert response.status_code == 200
    text = response.text
    assert text.lstrip().startswith('<div id="what-if-CCNA" class="what-if">')
    assert "Keeping this certification" not in text and "<html" not in text
    assert "would be recertified" in text
    assert 'data-hx-target="#what-if-CCNA"' in text and 'data-hx-push-url="true"' in text


def test_what_if_refuses_an_exam_not_listed_beside_the_field(candidate_client, db):
    for exam in ("100-105", "", "<script>"):
        response = candidate_client.get("/certifications/CCNA", query_string={"exam": exam})
        assert response.status_code == 422
        assert ('id="what-if-exam-CCNA-error">Choose one of the exams listed.</p>'
                in response.text)
    partial = candidate_client.get("/certifications/CCNA?exam=100-105", headers=PARTIAL)
    assert partial.status_code == 422 and 'aria-invalid="true"' in partial.text


def test_no_what_if_for_a_certification_without_a_plan(candidate_client, db):
    assert candidate_client.get("/certifications/CCNP-ENT?exam=350-401").status_code == 404


def test_another_candidates_certification_is_404(candidate_client, db):
    assert candidate_client.get("/certifications/SPEC-ENARSI?exam=300-410").status_code == 404
    assert candidate_client.get("/certifications/SPEC-ENARSI/expiry.ics").status_code == 404


def test_add_to_calendar_downloads_an_event_with_an_alarm(candidate_client, db):
    response = candidate_client.get("/certifications/CCNA/expiry.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == 'attachment; filename="ccna-expiry.ics"'
    calendar = icalendar.Calendar.from_ical(response.data)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == held().expires_on
    assert event.decoded("dtend") == held().expires_on + timedelta(days=1)
    assert str(event["summary"]) == "CCNA (CCNA) expires"
    assert "To keep it: Pass one of these exams" in str(event["description"])
    assert str(event["url"]) == "http://localhost/certifications/CCNA"
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("trigger") == -timedelta(days=30)
    assert held().badge_id in str(event["uid"])


def test_calendar_only_for_an_active_certification(candidate_client, db):
    assert candidate_client.get("/certifications/CCENT/expiry.ics").status_code == 404
    assert candidate_client.get("/certifications/CCNP-ENT/expiry.ics").status_code == 404


def test_planner_pages_need_a_login(client):
    for url in ("/certifications/CCNA?exam=350-401", "/certifications/CCNA/expiry.ics"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
