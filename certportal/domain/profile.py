"""The candidate's own answers and details: Settings and the editable attribute."""

from dataclasses import dataclass
from datetime import date, timedelta

from certportal.db import database
from certportal.domain import kits, planner
from certportal.models import (
    SETTINGS_QUESTIONS,
    AuditEvent,
    Candidate,
    CandidateCertification,
    CeCredit,
    Certification,
    ExamResult,
    certifications_of,
    utcnow,
)

JOB_TITLE_MAX_LENGTH = 100
# Home lists a certification this long before it expires (the first expiry reminder's window).
EXPIRY_NOTICE = timedelta(days=180)


class ProfileError(ValueError):
    """A value the candidate typed that the portal cannot accept; the message says why."""


def settings_confirmed(candidate: Candidate) -> bool:
    return candidate.settings_confirmed_at is not None and all(
        getattr(candidate, question) is not None for question in SETTINGS_QUESTIONS
    )


def confirm_settings(candidate: Candidate, answers: dict[str, bool], ip_address: str = "") -> None:
    """Save all five answers at once and record when; a consent change is audited. The
    optional sixth, "expiry_reminders", is saved when given and left as it is otherwise."""
    missing = [question for question in SETTINGS_QUESTIONS if answers.get(question) is None]
    if missing:
        raise ProfileError(f"Unanswered: {', '.join(missing)}")
    with database.atomic():
        previous_consent = candidate.verification_consent
        for question in SETTINGS_QUESTIONS:
            setattr(candidate, question, bool(answers[question]))
        if answers.get("expiry_reminders") is not None:
            candidate.expiry_reminders = bool(answers["expiry_reminders"])
        candidate.settings_confirmed_at = utcnow()
        candidate.save()
        if previous_consent != candidate.verification_consent:
            # Consent governs every disclosure to third parties: keep when it changed.
            AuditEvent.create(
                candidate=candidate,
                action="verification_consent",
                old_value=_yes_no(previous_consent),
                new_value=_yes_no(candidate.verification_consent),
                ip_address=ip_address[:45],
            )


def clean_job_title(value: str | None) -> str:
    """The job title as stored: trimmed, at most 100 characters, any script. Empty is a
    valid answer: between jobs, or not wanting to say."""
    title = " ".join((value or "").split())
    if len(title) > JOB_TITLE_MAX_LENGTH:
        raise ProfileError(f"Use at most {JOB_TITLE_MAX_LENGTH} characters for your job title.")
    return title


def update_job_title(candidate: Candidate, value: str | None) -> None:
    """Job Title is the only attribute a candidate may change."""
    candidate.job_title = clean_job_title(value)
    Candidate.update(job_title=candidate.job_title).where(Candidate.id == candidate.id).execute()


def _yes_no(answer: bool | None) -> str:
    return {True: "Yes", False: "No", None: "unanswered"}[answer]


@dataclass(frozen=True)
class Attention:
    """One thing on Home the candidate should act on."""

    kind: str  # confirm_settings | expiring | claim_kit
    certification: Certification | None = None
    due: date | None = None
    # For an expiring certification: the ways to keep it (planner), "" when it has none.
    plan: str = ""


def attention_items(candidate: Candidate, today: date) -> list[Attention]:
    """What needs the candidate now; until Settings are confirmed, only that."""
    if not settings_confirmed(candidate):
        return [Attention("confirm_settings")]
    expiring = list(
        certifications_of(candidate, "active")
        .where(CandidateCertification.expires_on <= today + EXPIRY_NOTICE)
        .order_by(CandidateCertification.expires_on)
    )
    plans = planner.plans_for(candidate.id, today) if expiring else {}
    items = []
    for held in expiring:
        plan = plans.get(held.certification.code)
        items.append(
            Attention(
                "expiring", held.certification, held.expires_on, plan.ways_text if plan else ""
            )
        )
    items += [
        Attention("claim_kit", certification)
        for certification in kits.free_kits_to_claim(candidate, today)
    ]
    return items


def latest_activity(candidate: Candidate, limit: int = 3):
    """The most recent exam results and CE credits, newest first."""
    exams = (
        ExamResult.select(ExamResult, ExamResult.exam.rel_model)
        .join(ExamResult.exam.rel_model)
        .where(ExamResult.candidate == candidate)
        .order_by(ExamResult.taken_on.desc(), ExamResult.id.desc())
        .limit(limit)
    )
    credits = (
        CeCredit.select()
        # A rejected submission never counted: it is not activity to show.
        .where((CeCredit.candidate == candidate) & (CeCredit.review != "rejected"))
        .order_by(CeCredit.active_on.desc(), CeCredit.id.desc())
        .limit(limit)
    )
    return list(exams), list(credits)
