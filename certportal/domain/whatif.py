"""What-if: what passing one more exam today would do to a candidate's certifications.

The real engine answers: the hypothetical exam result is written, recompute runs on the
candidate's stored facts exactly as an import would, the outcome is read, and the transaction
is rolled back, so nothing is kept (nor any message sent: mail queued inside it is rolled
back with it). No Flask.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from certportal.db import database
from certportal.domain.certifications import recompute
from certportal.domain.lifecycle import add_months
from certportal.models import (
    CandidateCertification,
    Certification,
    CertificationEvent,
    Exam,
    ExamResult,
)

# What the outcome says for each kind of change, in the order it is listed.
CHANGE_KINDS = ("earned", "recertified", "renewed", "granted")


class WhatIfError(ValueError):
    """The exam cannot be tried; the message says why."""


@dataclass(frozen=True)
class Change:
    code: str
    name: str
    kind: str  # earned | recertified | renewed
    expires_before: date | None  # None: not held before
    expires_after: date

    @property
    def description(self) -> str:
        return {
            "earned": "would be earned",
            "recertified": "would be recertified",
            "renewed": "would be renewed",
        }.get(self.kind, f"would be {self.kind}")


@dataclass(frozen=True)
class WhatIf:
    exam_code: str
    exam_name: str
    taken_on: date
    changes: tuple[Change, ...]


def _states(candidate_id: int) -> dict[str, tuple[str, date | None]]:
    return {
        code: (status, expires_on)
        for code, status, expires_on in CandidateCertification.select(
            Certification.code, CandidateCertification.status, CandidateCertification.expires_on
        )
        .join(Certification)
        .where(CandidateCertification.candidate == candidate_id)
        .tuples()
    }


def what_if_exam(candidate_id: int, exam_code: str, today: date) -> WhatIf:
    """The certifications a pass of `exam_code` today would earn, recertify or renew, with
    their new expiration dates; nothing is written."""
    exam = Exam.get_or_none(Exam.code == exam_code)
    if exam is None:
        raise WhatIfError(f'No exam has the code "{exam_code}".')
    with database.atomic() as transaction:
        before = _states(candidate_id)
        ExamResult.create(
            candidate=candidate_id,
            exam=exam,
            registration_number=f"what-if-{secrets.token_hex(12)}",
            grade="Pass",
            taken_on=today,
            expires_on=add_months(today, exam.validity_months) if exam.validity_months else None,
        )
        recompute(candidate_id, today)
        after = _states(candidate_id)
        kinds_today = {
            code: kind
            for code, kind in CertificationEvent.select(Certification.code, CertificationEvent.kind)
            .join(CandidateCertification)
            .join(Certification)
            .where(
                (CandidateCertification.candidate == candidate_id)
                & (CertificationEvent.occurred_on == today)
                & CertificationEvent.kind.in_(CHANGE_KINDS)
            )
            .order_by(CertificationEvent.id)
            .tuples()
        }
        transaction.rollback()
    names = {c.code: c.display_name for c in Certification.select()}
    changes = []
    for code, (status, expires_after) in after.items():
        was_status, expires_before = before.get(code, ("none", None))
        if status != "active" or (was_status == "active" and expires_before == expires_after):
            continue
        kind = kinds_today.get(code, "earned" if was_status != "active" else "recertified")
        changes.append(
            Change(
                code,
                names[code],
                kind,
                expires_before if was_status == "active" else None,
                expires_after,
            )
        )
    order = {kind: n for n, kind in enumerate(CHANGE_KINDS)}
    changes.sort(key=lambda change: (order.get(change.kind, 9), change.name))
    return WhatIf(exam.code, exam.name, today, tuple(changes))
