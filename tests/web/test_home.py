"""Home: what needs the candidate's attention, with a link to act on each."""

from datetime import date, timedelta

from certportal.models import (
    Candidate,
    CandidateCertification,
    Certification,
    KitEntitlement,
    utcnow,
)
from tests.conftest import log_in


def test_unclaimed_initial_kit_is_offered(candidate_client):
    page = candidate_client.get("/").text
    assert (
        "Your free initial kit for Cisco Certified Specialist - Enterprise Core (Specialist) "
        "has not been claimed yet." in page
    )
    assert "Your free initial kit for CCNA" not in page  # claimed already


def expire_ccna_in(days: int) -> date:
    expires = date.today() + timedelta(days=days)
    CandidateCertification.update(expires_on=expires).where(
        CandidateCertification.certification
        == Certification.get(Certification.code == "CCNA").id
    ).execute()
    return expires


def test_certification_expiring_within_180_days_is_listed_with_its_plan(candidate_client, db):
    expires = expire_ccna_in(45)
    page = candidate_client.get("/").text
    assert f"CCNA (CCNA) expires on {expires:%Y-%b-%d} (45 days left)." in page
    assert ("To keep it: Pass one of these exams (200-301, 350-401, 350-701" in page
            and "or earn 30 CE credits; you have 10; 20 more." in page)
    assert 'href="/certifications/CCNA">What is still needed' in page
    assert 'href="/certifications/CCNA/expiry.ics" download>Add to calendar' in page


def test_certification_expiring_later_is_not_listed(candidate_client, db):
    # The last day of the notice period is listed, the day after is not.
    expires = expire_ccna_in(180)
    assert f"CCNA (CCNA) expires on {expires:%Y-%b-%d} (180 days left)." in (
        candidate_client.get("/").text
    )
    expire_ccna_in(181)
    assert "expires on" not in candidate_client.get("/").text


def test_new_account_must_confirm_settings_before_anything_else(client, db):
    log_in(client, "CSCO10000001", "second-demo-password")
    page = client.get("/").text
    assert "Please confirm your personal information before anything else" in page
    assert 'href="/personal-info/settings">Go to Settings</a>' in page
    assert "initial kit" not in page


def test_nothing_to_do_says_so(candidate_client, db):
    KitEntitlement.update(claimed_at=utcnow()).execute()
    assert "Nothing needs your attention right now." in candidate_client.get("/").text


def test_latest_activity_shows_recent_exams_and_credits(candidate_client):
    page = candidate_client.get("/").text
    assert "350-401" in page and "200-301" in page
    assert "Cisco Learning Network" in page
    # Only the three most recent exams: the 1995 result is not on Home.
    assert "1995-Oct-04" not in page


def test_home_never_lists_another_candidates_items(client, db):
    Candidate.update(settings_confirmed_at=Candidate.created_at).where(
        Candidate.login_id == "CSCO10000001"
    ).execute()
    Candidate.update(
        is_employee=False,
        is_partner=False,
        email_notifications=False,
        is_netacad_student=False,
        verification_consent=False,
    ).where(Candidate.login_id == "CSCO10000001").execute()
    log_in(client, "CSCO10000001", "second-demo-password")
    page = client.get("/").text
    assert "Specialist" not in page and "350-401" not in page
    assert "Your free initial kit for CCNA (CCNA)" in page
