"""Certifications, certification detail and the certification agreement."""

from datetime import date, timedelta

from certportal.domain.certifications import recompute
from certportal.domain.lifecycle import add_months
from certportal.models import (
    AgreementAcceptance,
    Candidate,
    CandidateCertification,
    CeCredit,
)
from tests.conftest import BOOSTED, PARTIAL, csrf_token_from, log_in
from tests.factories import held, john, publish_certification_agreement

TODAY = date.today()


def test_certifications_need_a_login(client):
    response = client.get("/certifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/certifications/CCNA", headers=PARTIAL).headers.get("HX-Redirect")


def test_list_groups_active_certifications_with_the_guides_columns(candidate_client):
    page = candidate_client.get("/certifications/").text
    assert "Partner Requirements are no longer supported" in page
    for column in ("Name", "Started", "Active", "Expires", "Downloads"):
        assert f'<th scope="col">{column}</th>' in page
    associate = page.index("General Certifications - Associate")
    expert = page.index("General Certifications - Expert")
    assert associate < page.index("CCNA (CCNA)") < expert
    assert expert < page.index("CCIE Enterprise Infrastructure (CCIE)")
    # Started is n/a for a held certification; expired and in-progress ones come below.
    assert '<td data-label="Started">n/a</td>' in page
    assert page.index("Certifications in progress") < page.index("CCNP Enterprise (CCNP)")
    assert page.index("Expired certifications") < page.index("CCENT (CCENT)")
    assert 'href="/certifications/agreement"' in page
    assert 'aria-current="page">Certifications</a>' in page


def test_list_is_a_fragment_only_for_an_htmx_partial_request(candidate_client):
    assert "<html" not in candidate_client.get("/certifications/", headers=PARTIAL).text
    assert "<html" in candidate_client.get("/certifications/", headers=BOOSTED).text


def test_detail_shows_the_guides_progress_credits_and_history(candidate_client):
    page = candidate_client.get("/certifications/CCNA").text
    assert "<html" in page and "<h1" in page and "Back to Certifications" in page
    for heading in ("1 – (0 / 1)", "1.1 – (0 / 1)", "1.2 – (10 / 30)"):
        assert heading in page
    assert "Icon Legend" in page and "Not started:" in page and "In progress:" in page
    assert "+10 Cisco CE Credits" in page
    for column in ("Active Date", "Inactive Date", "Points", "Status"):
        assert column in page
    assert "Earned by exam 200-301" in page and "Recertified by exam 350-401" in page


def test_detail_expands_in_place_as_a_fragment(candidate_client):
    response = candidate_client.get("/certifications/CCNA", headers=PARTIAL)
    assert response.status_code == 200
    assert "<html" not in response.text and "Back to Certifications" not in response.text
    assert '<h3 id="title-CCNA">CCNA (CCNA)</h3>' in response.text
    assert "1.2 – (10 / 30)" in response.text


def test_history_of_a_granted_certification(candidate_client):
    page = candidate_client.get("/certifications/CCENT").text
    assert "2019-Dec-09" in page and "Manually granted certification" in page
    assert "2022-Dec-09" in page and "Expired" in page


def test_another_candidates_certification_is_not_found(client):
    log_in(client, "CSCO10000001", "second-demo-password")
    assert client.get("/certifications/CCIE-EI").status_code == 404
    assert client.get("/certifications/NO-SUCH-CODE").status_code == 404
    assert "CCIE" not in client.get("/certifications/").text


def test_twenty_more_credits_recertify_ccna_and_time_expires_it(candidate_client, db):
    before = held("CCNA")
    for external_id in ("7000001", "7000002"):
        CeCredit.create(
            candidate=john(),
            name="Cisco CE Credits",
            points=10,
            active_on=TODAY,
            inactive_on=add_months(TODAY, 36),
            updated_on=TODAY,
            source="CertMetrics",
            external_id=external_id,
        )
    recompute(john(), TODAY)
    after = held("CCNA")
    assert after.expires_on == add_months(before.expires_on, 36) > before.expires_on
    page = candidate_client.get("/certifications/CCNA").text
    assert "Recertified with 30 CE credits" in page
    # A new cycle: the used credits no longer count.
    assert "1.2 – (0 / 30)" in page and "+0 Cisco CE Credits" in page

    recompute(john(), after.expires_on + timedelta(days=1))
    expired = held("CCNA")
    assert expired.status == "expired"
    assert expired.events[-1].description == "Expired"


def test_agreement_shows_version_and_when_it_was_accepted(candidate_client):
    page = candidate_client.get("/certifications/agreement").text
    assert "Cisco Certification and Confidentiality Agreement (V9)" in page
    assert "V9" in page and "2006-Jun-20" in page
    assert "Section 7. Verification of Certification" in page
    assert 'name="accept"' not in page  # accepted already


def test_accepting_the_agreement_needs_the_box_ticked(client, db):
    new_version = publish_certification_agreement()
    log_in(client, "CSCO10000001", "second-demo-password")
    page = client.get("/certifications/agreement").text
    assert "Not accepted yet" in page and "V10" in page
    token = csrf_token_from(page)
    refused = client.post("/certifications/agreement", data={"csrf_token": token})
    assert refused.status_code == 422
    assert "Tick the box to accept the agreement." in refused.text
    mei = Candidate.get(Candidate.login_id == "CSCO10000001")
    assert not AgreementAcceptance.select().where(
        (AgreementAcceptance.candidate == mei) & (AgreementAcceptance.agreement == new_version)
    ).exists()

    accepted = client.post("/certifications/agreement", data={"csrf_token": token, "accept": "y"})
    assert accepted.status_code == 303
    page = client.get("/certifications/agreement").text
    assert "you accepted the Certification Agreement" in page
    assert f"{TODAY.year:04d}-{TODAY:%b}-{TODAY.day:02d}" in page


def test_accepting_by_htmx_answers_with_the_fragment(client, db):
    publish_certification_agreement()
    log_in(client, "CSCO10000001", "second-demo-password")
    token = csrf_token_from(client.get("/certifications/agreement").text)
    response = client.post(
        "/certifications/agreement", data={"csrf_token": token, "accept": "y"}, headers=PARTIAL
    )
    assert response.status_code == 200
    assert (
        "<html" not in response.text and "you accepted the Certification Agreement" in response.text
    )


def test_a_certification_in_progress_drops_out_when_its_exam_lapses(candidate_client, db):
    ccnp = held("CCNP-ENT")
    assert ccnp.status == "in_progress"
    page = candidate_client.get("/certifications/").text
    assert page.index("Certifications in progress") < page.index("CCNP Enterprise (CCNP)")
    # The 350-401 pass behind it expires: CCNP is no longer in progress.
    later = TODAY + timedelta(days=3 * 366)
    recompute(john(), later)
    assert not CandidateCertification.select().where(CandidateCertification.id == ccnp.id).exists()
