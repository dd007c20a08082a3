"""Verification codes, PDF eligibility and milestone dates (domain rules, no database)."""

from datetime import date, datetime

import pytest

from certportal.domain import certificates
from certportal.domain.certificates import (
    CertificateContent,
    CodeError,
    group_code,
    new_verification_code,
    normalize_code,
    pdf_certificate_available,
)
from certportal.domain.logos import anniversary, milestone_reached
from certportal.models import CandidateCertification, Certification

TODAY = date(2026, 6, 15)


def certification_row(status="active", active_on=date(2025, 1, 1),
                      expires_on=date(2028, 1, 1), pdf_certificate=True, revoked_at=None):
    """A candidate's certification in memory only: the rules read no database."""
    return CandidateCertification(
        certification=Certification(code="CCNA", name="CCNA", abbreviation="CCNA",
                                    pdf_certificate=pdf_certificate),
        status=status, active_on=active_on, expires_on=expires_on, revoked_at=revoked_at,
    )


def test_verification_codes_carry_at_least_80_random_bits():
    assert certificates.VERIFICATION_CODE_BITS >= 80
    codes = {new_verification_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 16 and normalize_code(code) == code for code in codes)


def test_codes_are_shown_in_groups_of_four():
    assert group_code("K7Q29XMDB4TR0HWE") == "K7Q2-9XMD-B4TR-0HWE"


@pytest.mark.parametrize(
    "typed",
    ["K7Q2-9XMD-B4TR-0HWE", "k7q2 9xmd b4tr 0hwe", " K7Q29XMDB4TR0HWE ", "K7Q2-9XMD-B4TR-OHWE"],
)
def test_typed_codes_are_normalized(typed):
    assert normalize_code(typed) == "K7Q29XMDB4TR0HWE"


def test_look_alike_letters_read_as_digits():
    assert normalize_code("IL00-0000-0000-0000") == "1100000000000000"


@pytest.mark.parametrize(
    "typed", ["", "   ", "K7Q2", "K7Q2-9XMD-B4TR-0HWU", "K7Q2-9XMD-B4TR-0HWE-1"]
)
def test_what_cannot_be_a_code_is_refused_with_a_message(typed):
    with pytest.raises(CodeError) as error:
        normalize_code(typed)
    assert "code" in str(error.value)


def test_pdf_only_for_active_unexpired_qualifying_certifications():
    assert pdf_certificate_available(certification_row(), TODAY)
    assert pdf_certificate_available(certification_row(expires_on=TODAY), TODAY)
    assert not pdf_certificate_available(certification_row(expires_on=date(2026, 6, 14)), TODAY)
    assert not pdf_certificate_available(certification_row(status="expired"), TODAY)
    assert not pdf_certificate_available(certification_row(status="in_progress"), TODAY)
    assert not pdf_certificate_available(certification_row(pdf_certificate=False), TODAY)
    assert not pdf_certificate_available(certification_row(revoked_at=datetime(2026, 1, 1)), TODAY)
    assert not pdf_certificate_available(certification_row(active_on=date(2026, 7, 1)), TODAY)


@pytest.mark.parametrize("years", [10, 15, 20])
def test_milestones_are_reached_exactly_on_the_anniversary(years):
    first = date(2006, 6, 15)
    assert not milestone_reached(first, years, anniversary(first, years).replace(day=14))
    assert milestone_reached(first, years, anniversary(first, years))
    assert not milestone_reached(None, years, TODAY)


def test_a_leap_day_anniversary_falls_on_the_28th():
    assert anniversary(date(2004, 2, 29), 10) == date(2014, 2, 28)
    assert anniversary(date(2004, 2, 29), 20) == date(2024, 2, 29)


def content(**changes):
    fields = dict(
        program_name="Cisco", holder_name="Mei Wang", localized_name="王美",
        certification_name="CCNA", abbreviation="CCNA", active_on=date(2026, 1, 1),
        expires_on=date(2029, 1, 1), verification_code="K7Q29XMDB4TR0HWE",
        verification_url="https://portal.example/verify/K7Q29XMDB4TR0HWE",
    )
    return CertificateContent(**{**fields, **changes})


def test_the_cache_key_changes_with_anything_printed():
    assert content().fingerprint() == content().fingerprint()
    assert content(holder_name="Mei W. Wang").fingerprint() != content().fingerprint()
    assert content(expires_on=date(2030, 1, 1)).fingerprint() != content().fingerprint()


def test_file_names_are_ascii():
    assert content().file_name == "CCNA-certificate-Mei-Wang.pdf"
    assert content(holder_name="王美", abbreviation="Specialist").file_name == (
        "Specialist-certificate.pdf"
    )
