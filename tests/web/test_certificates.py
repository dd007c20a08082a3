"""PDF certificates and the Downloads cell: content, fonts, QR code, who gets one."""

import subprocess
from datetime import date, timedelta

import pytest
from flask import render_template_string

from certportal.documents import pdf
from certportal.domain.certificates import group_code
from certportal.formatting import guide_date
from certportal.models import CandidateCertification, Certification, random_code
from tests.conftest import log_in
from tests.factories import candidate, held


def grant(login_id, code, active_on=None, expires_on=None):
    active_on = active_on or date.today() - timedelta(days=30)
    return CandidateCertification.create(
        candidate=candidate(login_id), certification=Certification.get(Certification.code == code),
        status="active", first_earned_on=active_on, active_on=active_on,
        expires_on=expires_on or active_on + timedelta(days=3 * 365),
        verification_code=random_code(16), badge_id=random_code(20),
    )


def run(*command, stdin: bytes) -> bytes:
    return subprocess.run(command, input=stdin, capture_output=True, check=True).stdout


def pdf_text(data: bytes) -> str:
    return run("pdftotext", "-layout", "-", "-", stdin=data).decode()


def pdf_fonts(data: bytes) -> str:
    # pdffonts reads only files.
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        return subprocess.run(
            ["pdffonts", file.name], capture_output=True, check=True, text=True
        ).stdout


def qr_codes_in(data: bytes) -> list[str]:
    """Rasterize the page as a printer would and scan it as a phone would."""
    png = run("pdftoppm", "-r", "100", "-png", "-singlefile", "-", stdin=data)
    scanned = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-"], input=png, capture_output=True, check=False
    )
    return scanned.stdout.decode().split()


def test_the_pdf_certificate_holds_name_certification_dates_code_and_qr(candidate_client, db):
    ccna = held("CCNA", "CSCO10000000")
    response = candidate_client.get("/certifications/CCNA/certificate.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="CCNA-certificate-John-Doe.pdf"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response.data)
    for expected in ("CISCO CERTIFICATION PROGRAM", "John Doe", "CCNA", guide_date(ccna.active_on),
                     guide_date(ccna.expires_on), group_code(ccna.verification_code)):
        assert expected in text
    assert qr_codes_in(response.data) == [f"http://localhost/verify/{ccna.verification_code}"]


@pytest.mark.parametrize(
    "family, given",
    [("王", "美"), ("山田", "太郎"), ("김", "민준")],
    ids=["chinese", "japanese", "korean"],
)
def test_localized_names_render_with_the_embedded_cjk_font(client, db, family, given):
    mei = candidate("CSCO10000001")
    mei.localized_last_name, mei.localized_first_name = family, given
    mei.save()
    log_in(client, "CSCO10000001", "second-demo-password")
    response = client.get("/certifications/CCNA/certificate.pdf")
    assert response.status_code == 200
    assert f"{family}{given}" in pdf_text(response.data)
    assert "Mei Wang" in pdf_text(response.data)
    fonts = pdf_fonts(response.data)
    assert "WenQuanYiZenHei" in fonts
    embedded = [line for line in fonts.splitlines() if "WenQuanYiZenHei" in line]
    assert all(" yes yes yes " in line for line in embedded)


@pytest.mark.parametrize("name", ["王美", "山田太郎", "김민준", "Łukasz Nowak-Dvořák"])
def test_xhtml2pdf_misses_no_glyph(app, name):
    from certportal.domain.certificates import CertificateContent

    content = CertificateContent(
        program_name="Cisco", holder_name="Łukasz Nowak", localized_name=name,
        certification_name="CCNA", abbreviation="CCNA", active_on=date(2026, 1, 1),
        expires_on=date(2029, 1, 1), verification_code="K7Q29XMDB4TR0HWE",
        verification_url="http://localhost/verify/K7Q29XMDB4TR0HWE",
    )
    with app.app_context():
        result = pdf.render_certificate(content)
    assert (result.errors, result.warnings) == (0, 0)
    assert name in pdf_text(result.data)


def test_expired_certifications_have_no_pdf(candidate_client, db):
    assert held("CCENT", "CSCO10000000").expires_on < date.today()
    assert candidate_client.get("/certifications/CCENT/certificate.pdf").status_code == 404


def test_non_qualifying_certifications_have_no_pdf(candidate_client, db):
    grant("CSCO10000000", "CCIE-DSL")
    assert Certification.get(Certification.code == "CCIE-DSL").pdf_certificate is False
    assert candidate_client.get("/certifications/CCIE-DSL/certificate.pdf").status_code == 404


def test_another_candidates_certificate_is_not_found(candidate_client, db):
    grant("CSCO10000001", "CCNP-ENT")
    assert candidate_client.get("/certifications/CCNP-ENT/certificate.pdf").status_code == 404
    assert candidate_client.get("/certifications/NO-SUCH/certificate.pdf").status_code == 404


def test_certificates_need_a_login(client):
    response = client.get("/certifications/CCNA/certificate.pdf")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_repeat_download_comes_from_the_cache_until_the_content_changes(
    candidate_client, db, monkeypatch
):
    pdf.clear_cache()
    renders = []
    real_render = pdf.render_certificate
    monkeypatch.setattr(
        pdf, "render_certificate", lambda content: renders.append(content) or real_render(content)
    )
    first = candidate_client.get("/certifications/CCNA/certificate.pdf").data
    second = candidate_client.get("/certifications/CCNA/certificate.pdf").data
    assert first == second and len(renders) == 1
    john = candidate()
    john.first_name = "Johnny"
    john.save()
    third = candidate_client.get("/certifications/CCNA/certificate.pdf").data
    assert len(renders) == 2
    assert "Johnny Doe" in pdf_text(third)


def downloads_cell(app, held_row) -> str:
    with app.test_request_context():
        return render_template_string(
            '{% from "certifications/_downloads.html" import downloads_cell %}'
            "{{ downloads_cell(held) }}",
            held=held_row,
        )


def test_downloads_cell_links_logo_and_pdf_for_a_current_certification(app, db):
    cell = downloads_cell(app, held("CCIE-EI", "CSCO10000000"))
    assert 'href="/certifications/logos/CCIE-EI-LOGO.png"' in cell
    assert 'href="/certifications/CCIE-EI/certificate.pdf"' in cell
    assert ">PDF Certificate</a>" in cell and ">Logo</a>" in cell


def test_downloads_cell_is_empty_for_an_expired_certification(app, db):
    assert "<a" not in downloads_cell(app, held("CCENT", "CSCO10000000"))


def test_downloads_cell_has_a_logo_but_no_pdf_for_a_non_qualifying_one(app, db):
    cell = downloads_cell(app, grant("CSCO10000000", "CCIE-DSL"))
    assert 'href="/certifications/logos/CCIE-DSL-LOGO.png"' in cell
    assert "PDF Certificate" not in cell
