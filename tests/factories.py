"""The demo candidates and their certifications, as the tests look them up.

The seeded database holds the demo data (certportal/domain/demo.py): John Doe, the guide's
sample candidate; Mei Wang, a second candidate for isolation tests; Ana Núñez, who has never
logged in.
"""

from certportal.domain.demo import UNMAPPED_LOGIN_ID
from certportal.models import Agreement, Candidate, CandidateCertification, Certification

JOHN = "CSCO10000000"
MEI = "CSCO10000001"
ANA = UNMAPPED_LOGIN_ID


def candidate(login_id: str = JOHN) -> Candidate:
    """A candidate as stored now (read again on every call)."""
    return Candidate.get(Candidate.login_id == login_id)


def john() -> Candidate:
    return candidate(JOHN)


def held(code: str, who: str | Candidate = JOHN) -> CandidateCertification:
    """A candidate's certification by catalog code, with its catalog row; `who` is a login ID
    or a Candidate (John by default)."""
    owner = who if isinstance(who, Candidate) else candidate(who)
    return (
        CandidateCertification.select(CandidateCertification, Certification)
        .join(Certification)
        .where((CandidateCertification.candidate == owner) & (Certification.code == code))
        .get()
    )


def publish_certification_agreement(version: str = "V10") -> Agreement:
    """A new version of the certification agreement, which nobody has accepted yet."""
    current = Agreement.get((Agreement.kind == "certification") & Agreement.is_current)
    Agreement.update(is_current=False).where(Agreement.id == current.id).execute()
    return Agreement.create(code=f"CCA-{version}", kind="certification", version=version,
                            name=current.name.replace(current.version, version),
                            text=current.text, is_current=True)
