"""Certification logos: which files a candidate may download, and the logo agreement."""

from dataclasses import dataclass
from datetime import date

from certportal.domain.status import is_current
from certportal.models import (
    Agreement,
    AgreementAcceptance,
    Candidate,
    CandidateCertification,
    Certification,
    LogoFile,
)

LOGO_FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


def anniversary(day: date, years: int) -> date:
    """The same day `years` later; 29 February falls on the 28th in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def milestone_reached(first_earned_on: date | None, years: int, today: date) -> bool:
    """Held since `first_earned_on` for at least `years` full years on `today`."""
    return first_earned_on is not None and today >= anniversary(first_earned_on, years)


@dataclass(frozen=True)
class AvailableLogo:
    logo: LogoFile
    certification: Certification

    @property
    def code(self) -> str:
        return self.logo.code

    @property
    def title(self) -> str:
        return self.logo.title


def available_logos(candidate: Candidate, today: date) -> list[AvailableLogo]:
    """Logos of the candidate's current certifications, milestone ones once reached.

    Two queries whatever the number of certifications: the held ones, then their logos.
    """
    held_by_certification = {
        held.certification_id: held
        for held in CandidateCertification.select(CandidateCertification, Certification)
        .join(Certification)
        .where(
            (CandidateCertification.candidate == candidate)
            & (CandidateCertification.status == "active")
        )
        if is_current(held, today)
    }
    if not held_by_certification:
        return []
    logos = (
        LogoFile.select(LogoFile, Certification)
        .join(Certification)
        .where(LogoFile.certification.in_(list(held_by_certification)))
        .order_by(
            Certification.group_order, Certification.sort_order, Certification.code,
            LogoFile.sort_order, LogoFile.code,
        )
    )
    available = []
    for logo in logos:
        held = held_by_certification[logo.certification_id]
        if logo.milestone_years is None or milestone_reached(
            held.first_earned_on, logo.milestone_years, today
        ):
            available.append(AvailableLogo(logo, logo.certification))
    return available


def available_logo(candidate: Candidate, code: str, today: date) -> AvailableLogo | None:
    """One downloadable logo by its code, or None (another's, expired, not yet reached)."""
    return next((item for item in available_logos(candidate, today) if item.code == code), None)


def own_logo_codes() -> dict[int, str]:
    """certification id → the code of its own (non-milestone) logo, for the whole catalog."""
    query = (
        LogoFile.select(LogoFile.certification, LogoFile.code)
        .where(LogoFile.milestone_years.is_null())
        .order_by(LogoFile.sort_order.desc())
        .tuples()
    )
    # Descending sort order, so the first logo (lowest sort_order) is written last and wins.
    return dict(query)


def logo_agreement() -> Agreement | None:
    return Agreement.get_or_none((Agreement.kind == "logo") & Agreement.is_current)


def logo_agreement_accepted_on(candidate: Candidate, agreement: Agreement | None) -> date | None:
    if agreement is None:
        return None
    acceptance = AgreementAcceptance.get_or_none(
        (AgreementAcceptance.candidate == candidate) & (AgreementAcceptance.agreement == agreement)
    )
    return acceptance.accepted_on if acceptance else None


def accept_logo_agreement(candidate: Candidate, today: date, ip_address: str = "") -> bool:
    """Record that downloading a logo accepted the current logo agreement; True if new."""
    agreement = logo_agreement()
    if agreement is None or logo_agreement_accepted_on(candidate, agreement) is not None:
        return False
    # A concurrent first download may insert the same row: the unique index keeps one.
    inserted = (
        AgreementAcceptance.insert(
            candidate=candidate, agreement=agreement, accepted_on=today,
            ip_address=ip_address[:45],
        )
        .on_conflict_ignore()
        .execute()
    )
    return bool(inserted)
