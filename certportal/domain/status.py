"""A candidate's certification today: current (active), expired or revoked, and what pages
call each status. A leaf of the domain (it imports none of it), so every rule that asks
"is this certification active now?" (PDF certificates, logos, transcripts, badges) asks here.
"""

from datetime import date

from certportal.models import CandidateCertification

# What pages call each status of a candidate's certification.
STATUS_LABELS = {
    "active": "Active",
    "expired": "Expired",
    "in_progress": "In progress",
    "revoked": "Revoked",
}


def is_expired(held: CandidateCertification, today: date) -> bool:
    return held.status == "expired" or (held.expires_on is not None and held.expires_on < today)


def is_revoked(held: CandidateCertification) -> bool:
    return held.status == "revoked" or held.revoked_at is not None


def is_current(held: CandidateCertification, today: date) -> bool:
    """Currently active: earned, begun, not expired and not revoked on `today`. The one rule
    for what a PDF certificate, a logo and a transcript showing "only active" may name."""
    return (
        held.status == "active"
        and not is_revoked(held)
        and held.active_on is not None
        and held.active_on <= today
        and not is_expired(held, today)
    )
