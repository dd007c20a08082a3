"""Download Logos: the agreement, which files are offered, milestones, downloads."""

from datetime import date, timedelta

import pytest

from certportal.domain.logos import anniversary
from certportal.models import (
    Agreement,
    AgreementAcceptance,
)
from tests.conftest import log_in
from tests.factories import held, john

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MILESTONES = ("10-year", "15-year", "20-year")


def logo_acceptances():
    return (
        AgreementAcceptance.select()
        .join(Agreement)
        .where((AgreementAcceptance.candidate == john()) & (Agreement.kind == "logo"))
        .count()
    )


def offered_milestones(client) -> list[str]:
    page = client.get("/certifications/logos").text
    return [years for years in MILESTONES if f"CCIE Certification - {years} Achievement" in page]


def test_the_page_has_the_guides_text_agreement_and_files(candidate_client):
    response = candidate_client.get("/certifications/logos")
    assert response.status_code == 200
    page = response.text
    assert "Certification Logos" in page
    assert (
        "By selecting and downloading a Cisco logo, you agree to the logo guidelines and "
        "agreement available below." in page
    )
    assert "Cisco Certification Logo Agreement and Usage Guidelines (V4)" in page
    assert "Available logo files" in page
    for title in (
        "CCIE Certification - Enterprise Infrastructure",
        "CCIE Certification - 10-year Achievement",
        "CCIE Certification - 15-year Achievement",
        "CCIE Certification - 20-year Achievement",
        "Cisco Certified Specialist - Enterprise Core",
        "CCNA Certification",
    ):
        assert f">{title}</a>" in page


def test_expired_certifications_offer_no_logo(candidate_client):
    page = candidate_client.get("/certifications/logos").text
    # CCENT and CCNA Routing and Switching (guide, 2019) expired in 2022.
    assert "CCENT Certification" not in page
    assert "CCNA Routing and Switching Certification" not in page
    assert candidate_client.get("/certifications/logos/CCENT-LOGO.png").status_code == 404


@pytest.mark.parametrize(
    "years_ago, offered",
    [
        (9, []),
        (10, ["10-year"]),
        (15, ["10-year", "15-year"]),
        (20, ["10-year", "15-year", "20-year"]),
    ],
)
def test_milestone_logos_appear_exactly_on_the_anniversary(candidate_client, db, years_ago,
                                                           offered):
    ccie = held("CCIE-EI")
    today = date.today()
    first = today.replace(year=today.year - years_ago)
    if anniversary(first, years_ago) != today:  # today is 29 February
        first = first - timedelta(days=1)
    # The day before the anniversary, the newest milestone is not there yet.
    ccie.first_earned_on = first + timedelta(days=1)
    ccie.save()
    assert offered_milestones(candidate_client) == offered[:-1]
    ccie.first_earned_on = first
    ccie.save()
    assert offered_milestones(candidate_client) == offered


def test_a_milestone_not_reached_cannot_be_downloaded(candidate_client, db):
    ccie = held("CCIE-EI")
    ccie.first_earned_on = date.today() - timedelta(days=365 * 12)
    ccie.save()
    assert candidate_client.get("/certifications/logos/CCIE-EI-10Y.svg").status_code == 200
    assert candidate_client.get("/certifications/logos/CCIE-EI-15Y.svg").status_code == 404


def test_png_and_svg_downloads_are_our_own_artwork(candidate_client):
    png = candidate_client.get("/certifications/logos/CCIE-EI-20Y.png")
    assert png.status_code == 200
    assert png.mimetype == "image/png" and png.data.startswith(PNG_SIGNATURE)
    assert png.headers["Content-Disposition"] == 'attachment; filename="ccie-ei-20y.png"'
    svg = candidate_client.get("/certifications/logos/CCIE-EI-20Y.svg")
    assert svg.mimetype == "image/svg+xml"
    assert svg.text.startswith("<svg") and ">CCIE</text>" in svg.text and ">20</text>" in svg.text
    assert ">Enterprise Infrastructure</text>" in svg.text  # the abbreviation says CCIE


def test_the_first_download_records_acceptance_of_the_logo_agreement(candidate_client, db):
    assert logo_acceptances() == 0
    assert "You accepted the logo agreement" not in candidate_client.get(
        "/certifications/logos"
    ).text
    candidate_client.get("/certifications/logos/CCNA-LOGO.png")
    candidate_client.get("/certifications/logos/CCNA-LOGO.svg")
    assert logo_acceptances() == 1
    page = candidate_client.get("/certifications/logos").text
    assert "You accepted the logo agreement on" in page


def test_another_candidates_logos_are_not_found(client, db):
    log_in(client, "CSCO10000001", "second-demo-password")
    page = client.get("/certifications/logos").text
    assert "CCNA Certification" in page and "CCIE" not in page
    assert client.get("/certifications/logos/CCIE-EI-LOGO.png").status_code == 404
    assert client.get("/certifications/logos/NO-SUCH-LOGO.png").status_code == 404
    assert client.get("/certifications/logos/CCNA-LOGO.gif").status_code == 404


def test_logos_need_a_login(client):
    assert client.get("/certifications/logos").status_code == 302
    assert client.get("/certifications/logos/CCNA-LOGO.png").status_code == 302
