"""Public verification by code: the page, the JSON API, consent, noindex, rate limit."""

from datetime import datetime

import pytest

from certportal.domain.certificates import group_code
from certportal.formatting import guide_date
from certportal.models import Candidate
from tests.conftest import PARTIAL
from tests.factories import held

UNKNOWN_CODE = "K7Q2-9XMD-B4TR-0HWE"
NEUTRAL = "This code cannot be verified."


def main_of(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def withdraw_consent(login_id="CSCO10000000"):
    Candidate.update(verification_consent=False).where(Candidate.login_id == login_id).execute()


def test_the_form_is_public_and_not_indexed(client):
    response = client.get("/verify")
    assert response.status_code == 200
    assert '<label for="code">Verification code</label>' in response.text
    assert '<meta name="robots" content="noindex, nofollow">' in response.text
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_an_anonymous_visit_sets_no_session_cookie(client, db):
    code = held("CCNA").verification_code
    for path in ("/verify", f"/verify/{code}", f"/api/v1/verifications/{code}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path


def test_an_active_certification_is_verified_with_holder_and_dates(client, db):
    ccna = held("CCNA")
    response = client.get(f"/verify/{ccna.verification_code}")
    assert response.status_code == 200
    page = response.text
    assert "Certification active" in page
    assert "John Doe" in page and "CCNA (CCNA)" in page
    assert guide_date(ccna.active_on) in page and guide_date(ccna.expires_on) in page
    # The code is filled in, grouped for reading.
    assert f'value="{group_code(ccna.verification_code)}"' in page


def test_the_form_accepts_a_code_as_typed(client, db):
    code = held("CCNA").verification_code
    typed = group_code(code).lower().replace("-", " ")
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 200
    assert "Certification active" in response.text


def test_an_expired_certification_says_expired(client, db):
    response = client.get(f"/verify/{held('CCENT').verification_code}")
    assert "Certification expired" in response.text
    assert '<dd class="status status-expired">Expired</dd>' in response.text


def test_a_revoked_certification_says_revoked(client, db):
    ccna = held("CCNA")
    ccna.revoked_at = datetime(2026, 1, 5, 9, 30)
    ccna.save()
    response = client.get(f"/verify/{ccna.verification_code}")
    assert "Certification revoked" in response.text
    assert "2026-Jan-05" in response.text


def test_withdrawn_consent_gives_the_same_answer_as_an_unknown_code(client, db):
    code = held("CCNA").verification_code
    withdraw_consent()
    withdrawn = client.get(f"/verify/{code}")
    unknown = client.get(f"/verify/{UNKNOWN_CODE}")
    assert withdrawn.status_code == unknown.status_code == 200
    assert NEUTRAL in withdrawn.text and NEUTRAL in unknown.text
    assert "John Doe" not in withdrawn.text and "CCNA" not in withdrawn.text
    # Apart from the code typed, nothing on the page tells the two apart.
    assert main_of(withdrawn.text).replace(group_code(code), UNKNOWN_CODE) == main_of(unknown.text)


def test_a_candidate_who_never_answered_is_not_disclosed(client, db):
    Candidate.update(verification_consent=None).where(
        Candidate.login_id == "CSCO10000001"
    ).execute()
    response = client.get(f"/verify/{held('CCNA', 'CSCO10000001').verification_code}")
    assert NEUTRAL in response.text and "Mei Wang" not in response.text


@pytest.mark.parametrize("typed", ["", "K7Q2-9XMD", "K7Q2-9XMD-B4TR-0HW!"])
def test_malformed_codes_get_422_with_the_message_beside_the_field(client, typed):
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text
    assert '<p class="field-error" id="code-error">' in response.text


def test_a_partial_request_gets_only_the_form_and_answer(client, db):
    response = client.get(f"/verify?code={held('CCNA').verification_code}", headers=PARTIAL)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="verification">')
    assert "<html" not in response.text and "Certification active" in response.text


def test_json_answer_for_an_active_certification(client, db):
    ccna = held("CCNA")
    response = client.get(f"/api/v1/verifications/{group_code(ccna.verification_code)}")
    assert response.status_code == 200
    assert response.json == {
        "verified": True,
        "code": group_code(ccna.verification_code),
        "holder": {"name": "John Doe", "localized_name": None},
        "certification": "CCNA (CCNA)",
        "status": "active",
        "first_earned_on": ccna.first_earned_on.isoformat(),
        "active_on": ccna.active_on.isoformat(),
        "expires_on": ccna.expires_on.isoformat(),
        "revoked_on": None,
        "printed_kit": None,
    }
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_json_shows_the_localized_name_and_expiry(client, db):
    Candidate.update(verification_consent=True).where(
        Candidate.login_id == "CSCO10000001"
    ).execute()
    mei = client.get(f"/api/v1/verifications/{held('CCNA', 'CSCO10000001').verification_code}")
    assert mei.json["holder"] == {"name": "Mei Wang", "localized_name": "王美"}
    expired = client.get(f"/api/v1/verifications/{held('CCENT').verification_code}")
    assert expired.json["status"] == "expired"


def test_json_neutral_answer_is_identical_for_unknown_and_withdrawn(client, db):
    code = held("CCNA").verification_code
    withdraw_consent()
    withdrawn = client.get(f"/api/v1/verifications/{code}")
    unknown = client.get(f"/api/v1/verifications/{UNKNOWN_CODE}")
    assert withdrawn.status_code == unknown.status_code == 404
    assert withdrawn.json == unknown.json
    assert withdrawn.json["verified"] is False


def test_json_refuses_a_malformed_code(client):
    response = client.get("/api/v1/verifications/not-a-code")
    assert response.status_code == 422
    assert response.json["error"] == "invalid_code"


class TestRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_ENABLED": True, "VERIFICATION_RATE_LIMIT": "3 per minute"}

    def test_verification_is_rate_limited(self, client):
        from certportal.web.security import limiter

        limiter.reset()
        url = f"/api/v1/verifications/{UNKNOWN_CODE}"
        statuses = [client.get(url).status_code for _ in range(3)]
        assert statuses == [404, 404, 404]
        # The page and the API share one allowance.
        limited = client.get(f"/verify/{UNKNOWN_CODE}")
        assert limited.status_code == 429
        assert "Too many attempts" in limited.text


def johns_kit_line(name):
    from certportal.models import OrderLine

    return OrderLine.get((OrderLine.name == name) & (OrderLine.status.in_(("sent", "complete"))))


def test_a_printed_kits_own_code_verifies_the_certification_it_was_printed_for(client, db):
    line = johns_kit_line("CCNA Certificate")
    page = client.get(f"/verify/{group_code(line.verification_code)}").text
    assert "Certification active" in page
    assert "<dt>Printed kit</dt><dd>CCNA Certificate (Certificate)</dd>" in page
    assert "CCNA (CCNA)" in page and "John Doe" in page
    answer = client.get(f"/api/v1/verifications/{line.verification_code}").json
    assert answer["printed_kit"] == {"name": "CCNA Certificate", "kind": "Certificate"}
    assert answer["certification"] == "CCNA (CCNA)" and answer["status"] == "active"


def test_a_kit_not_yet_paid_or_of_a_holder_without_consent_is_not_verifiable(client, db):
    from certportal.domain import kits
    from certportal.models import OrderLine

    line = johns_kit_line("CCNA Certificate")
    OrderLine.update(status="pending").where(OrderLine.id == line.id).execute()
    assert NEUTRAL in client.get(f"/verify/{line.verification_code}").text
    OrderLine.update(status="complete").where(OrderLine.id == line.id).execute()
    withdraw_consent()
    response = client.get(f"/api/v1/verifications/{line.verification_code}")
    assert response.status_code == 404 and response.json["error"] == "not_verifiable"
    assert kits.line_by_code(line.verification_code).id == line.id
