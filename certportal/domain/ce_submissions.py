"""CE activities a candidate submits themself, with evidence, for staff to review.

A submission is a CeCredit with source "Self-submitted" and review "pending" (status
"Pending"): it is listed in CE Activities as "Pending review" and counts toward nothing,
because recompute reads only credits whose review is "n/a" or "approved". Staff approve it
with the points actually awarded (it then counts like an imported credit, the reviewer
recorded, and recompute runs: it may recertify) or reject it with a reason.

Evidence files are checked by their content (magic bytes), never by name or declared type,
and stored outside static/ under random names; the name the candidate gave a file is only
shown. No Flask: the caller passes the upload folder and the settings.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from certportal.db import database
from certportal.domain import audit
from certportal.domain.certifications import load_rules, recompute
from certportal.domain.lifecycle import add_months
from certportal.formatting import guide_date
from certportal.models import (
    Candidate,
    CandidateCertification,
    CeCredit,
    CeEvidence,
    Certification,
    StaffUser,
    random_code,
    utcnow,
)
from certportal.models.compiled import INT, CompiledQuery

SOURCE = "Self-submitted"
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 3
# A submitted activity counts as long as an imported credit without an inactive date.
CE_VALIDITY_MONTHS = 36
NAME_MAX_LENGTH = 200
REASON_MAX_LENGTH = 2000
EVIDENCE_FOLDER = "ce-evidence"

# What each accepted type starts with, and the type it is served as.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


class SubmissionRefused(ValueError):
    """Bad input: `errors` maps each field to its messages; nothing was stored."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


class ReviewError(ValueError):
    """A review was refused: `errors` maps each field to its messages (field "" for the
    submission as a whole); nothing changed."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


@dataclass(frozen=True)
class Upload:
    """One file as the request carried it."""

    filename: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The content type of a PDF, PNG or JPEG file, read from its first bytes; None otherwise."""
    for signature, content_type in SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def shown_filename(filename: str) -> str:
    """The name to show for a file: its last path part, without control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or "evidence"


def _uses_ce(node: dict | None) -> bool:
    if node is None:
        return False
    return node["type"] == "ce" or any(_uses_ce(c) for c in node.get("children", ()))


@dataclass(frozen=True)
class DateLimit:
    """The earliest activity date that can count, and why."""

    after: date | None  # the activity must be dated after this day (None: no cycle limits it)
    certification: str = ""

    def message(self) -> str:
        return (
            f"The activity must be after {guide_date(self.after)}, when the current cycle of "
            f"{self.certification} began: earlier activities cannot count toward it."
        )


def date_limit(candidate_id: int, today: date) -> DateLimit:
    """Activities count toward recertifying only when dated after the current cycle's first
    day; the earliest such day among the candidate's active certifications that CE credits
    recertify is the limit. Without one, an activity older than a credit's validity could
    never count."""
    ce_codes = {rule.code for rule in load_rules() if _uses_ce(rule.recertify)}
    earliest = None
    for code, name, abbreviation, started in (
        CandidateCertification.select(
            Certification.code,
            Certification.name,
            Certification.abbreviation,
            CandidateCertification.cycle_started_on,
        )
        .join(Certification)
        .where(
            (CandidateCertification.candidate == candidate_id)
            & (CandidateCertification.status == "active")
            & (CandidateCertification.expires_on >= today)
        )
        .tuples()
    ):
        if code in ce_codes and started is not None and (earliest is None or started < earliest[0]):
            earliest = (started, f"{name} ({abbreviation})")
    if earliest is not None:
        return DateLimit(earliest[0], earliest[1])
    return DateLimit(None)


def _clean_text(value: str | None) -> str:
    return " ".join((value or "").split())


def _parse_date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime((value or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def _parse_points(value) -> int | None:
    if isinstance(value, int):
        return value
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    return int(text)


@dataclass(frozen=True)
class Submission:
    name: str
    provider: str
    activity_on: date
    points: int
    files: tuple[tuple[Upload, str], ...]  # each upload with its sniffed content type


def check_submission(
    candidate_id: int,
    *,
    name,
    provider,
    activity_on,
    points,
    uploads: list[Upload],
    today: date,
    max_points: int,
) -> Submission:
    """The submission as it will be stored, or SubmissionRefused naming every bad field."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    name, provider = _clean_text(name), _clean_text(provider)
    if not name:
        refuse("name", "Enter the activity's name.")
    elif len(name) > NAME_MAX_LENGTH:
        refuse("name", f"Use at most {NAME_MAX_LENGTH} characters for the name.")
    if not provider:
        refuse("provider", "Enter who provided the activity.")
    elif len(provider) > NAME_MAX_LENGTH:
        refuse("provider", f"Use at most {NAME_MAX_LENGTH} characters for the provider.")

    day = _parse_date(activity_on)
    if day is None:
        refuse("activity_on", "Enter the date as YYYY-MM-DD, e.g. 2026-03-15.")
    elif day > today:
        refuse("activity_on", "The date cannot be in the future.")
    else:
        limit = date_limit(candidate_id, today)
        if limit.after is not None and day <= limit.after:
            refuse("activity_on", limit.message())
        elif limit.after is None and add_months(day, CE_VALIDITY_MONTHS) <= today:
            refuse(
                "activity_on",
                f"The activity is more than {CE_VALIDITY_MONTHS} months old: its credits "
                "would no longer count.",
            )

    claimed = _parse_points(points)
    if claimed is None:
        refuse("points", "Enter the points as a whole number, e.g. 5.")
    elif claimed < 1:
        refuse("points", "Claim at least 1 point.")
    elif claimed > max_points:
        refuse("points", f"At most {max_points} points can be claimed for one activity.")

    files = []
    real = [upload for upload in uploads if upload.filename or upload.data]
    if not real:
        refuse("evidence", "Attach at least one file as evidence (PDF, PNG or JPEG).")
    elif len(real) > MAX_FILES:
        refuse("evidence", f"Attach at most {MAX_FILES} files.")
    else:
        for upload in real:
            shown = shown_filename(upload.filename)
            if len(upload.data) > MAX_FILE_BYTES:
                refuse("evidence", f"{shown} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
                continue
            content_type = sniff(upload.data)
            if content_type is None:
                refuse("evidence", f"{shown} is not a PDF, PNG or JPEG file.")
                continue
            files.append((Upload(shown, upload.data), content_type))
    if errors:
        raise SubmissionRefused(errors)
    return Submission(name, provider, day, claimed, tuple(files))


def evidence_folder(upload_dir: Path | str) -> Path:
    return Path(upload_dir) / EVIDENCE_FOLDER


def submit(
    candidate_id: int,
    submission: Submission,
    *,
    upload_dir: Path | str,
    today: date,
) -> CeCredit:
    """Store a checked submission: its files first (under random names), then its rows in one
    transaction; if the rows cannot be written, the files are removed again."""
    folder = evidence_folder(upload_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: list[tuple[Path, Upload, str, str]] = []
    try:
        for upload, content_type in submission.files:
            stored_name = secrets.token_hex(24)
            path = folder / stored_name
            # "x": never overwrite; 0o600: readable by the portal only.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(upload.data)
            written.append((path, upload, content_type, stored_name))
        with database.atomic():
            credit = CeCredit.create(
                candidate=candidate_id,
                name=submission.name,
                points=submission.points,
                points_claimed=submission.points,
                active_on=submission.activity_on,
                inactive_on=add_months(submission.activity_on, CE_VALIDITY_MONTHS),
                review="pending",
                status="Pending",
                provider_name=submission.provider,
                source=SOURCE,
                external_id=f"S{random_code(15)}",
                updated_on=today,
            )
            for _, upload, content_type, stored_name in written:
                CeEvidence.create(
                    credit=credit,
                    stored_name=stored_name,
                    original_name=upload.filename,
                    content_type=content_type,
                    size_bytes=len(upload.data),
                    sha256=hashlib.sha256(upload.data).hexdigest(),
                )
    except BaseException:
        for path, *_ in written:
            path.unlink(missing_ok=True)
        raise
    return credit


def evidence_of(evidence_id: int, candidate_id: int | None) -> CeEvidence | None:
    """One evidence file with its credit: the candidate's own (`candidate_id`), or any for
    staff (`candidate_id` None); None when it is not theirs or does not exist."""
    query = (
        CeEvidence.select(CeEvidence, CeCredit)
        .join(CeCredit)
        .where(CeEvidence.id == evidence_id)
    )
    if candidate_id is not None:
        query = query.where(CeCredit.candidate == candidate_id)
    return query.first()


def _evidence_where(condition):
    return CeEvidence.select(CeEvidence).join(CeCredit).where(condition).order_by(CeEvidence.id)


# Every CE Activities page and search asks for it: its SQL is built once.
_EVIDENCE_OF_CANDIDATE = CompiledQuery(
    lambda candidate_id: _evidence_where(CeCredit.candidate == candidate_id), INT
)


def evidence_by_credit(candidate_id: int) -> dict[int, list[CeEvidence]]:
    """The candidate's evidence files by credit id, in one query (for the CE Activities list)."""
    return _by_credit(_EVIDENCE_OF_CANDIDATE(candidate_id))


def evidence_of_credits(credit_ids) -> dict[int, list[CeEvidence]]:
    """The evidence files of the credits named, by credit id, in one query (staff's queue)."""
    return _by_credit(_evidence_where(CeCredit.id.in_(list(credit_ids))))


def _by_credit(evidence) -> dict[int, list[CeEvidence]]:
    files: dict[int, list[CeEvidence]] = {}
    for stored in evidence:
        files.setdefault(stored.credit_id, []).append(stored)
    return files


def evidence_path(upload_dir: Path | str, evidence: CeEvidence) -> Path:
    return evidence_folder(upload_dir) / evidence.stored_name


def pending_submissions():
    """Staff's review queue: pending submissions with their candidates, oldest first."""
    return (
        CeCredit.select(CeCredit, Candidate)
        .join(Candidate)
        .where((CeCredit.review == "pending") & (CeCredit.source == SOURCE))
        .order_by(CeCredit.created_at, CeCredit.id)
    )


def find_submission(credit_id: int) -> CeCredit | None:
    """A self-submitted activity, pending or reviewed, with its candidate; None for any other
    credit (imported credits are not reviewed)."""
    return (
        CeCredit.select(CeCredit, Candidate)
        .join(Candidate)
        .where((CeCredit.id == credit_id) & (CeCredit.source == SOURCE))
        .first()
    )


@dataclass(frozen=True)
class ReviewOutcome:
    credit: CeCredit
    approved: bool
    # Certifications recertified or earned by the approval (display names).
    changed: tuple[str, ...] = ()


def review(
    credit_id: int,
    *,
    staff_user: StaffUser | int,
    approve: bool,
    points_awarded=None,
    reason: str = "",
    today: date,
    max_points: int,
    notify=None,
) -> ReviewOutcome:
    """Approve (with the points awarded) or reject (with a reason) a pending submission.

    Approving makes it a CE credit like an imported one and recomputes the candidate, in one
    transaction; `notify(outcome)` tells the candidate in that transaction, either way. Only
    a pending submission can be reviewed, decided by one conditional UPDATE, so two staff
    reviewing at once cannot both succeed.
    """
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    credit = CeCredit.get_or_none((CeCredit.id == credit_id) & (CeCredit.source == SOURCE))
    if credit is None:
        raise ReviewError({"": ["No such submission."]})
    awarded = None
    if approve:
        awarded = _parse_points(points_awarded)
        limit = min(max_points, credit.points_claimed or max_points)
        if awarded is None:
            errors["points_awarded"] = ["Enter the points awarded as a whole number."]
        elif awarded < 1:
            errors["points_awarded"] = ["Award at least 1 point, or reject the submission."]
        elif awarded > limit:
            errors["points_awarded"] = [f"Award at most {limit} points (what was claimed)."]
    elif not reason:
        errors["reason"] = ["Give the reason for the rejection; the candidate reads it."]
    if len(reason) > REASON_MAX_LENGTH:
        errors.setdefault("reason", []).append(
            f"Use at most {REASON_MAX_LENGTH} characters for the reason."
        )
    if errors:
        raise ReviewError(errors)
    staff_id = staff_user if isinstance(staff_user, int) else staff_user.id
    now = utcnow()
    with database.atomic():
        values = {
            CeCredit.reviewer: staff_id,
            CeCredit.reviewed_at: now,
            CeCredit.review_note: reason,
            CeCredit.updated_on: today,
        }
        if approve:
            values.update(
                {CeCredit.review: "approved", CeCredit.status: "Active", CeCredit.points: awarded}
            )
        else:
            values.update({CeCredit.review: "rejected", CeCredit.status: "Rejected"})
        changed = (
            CeCredit.update(values)
            .where((CeCredit.id == credit.id) & (CeCredit.review == "pending"))
            .execute()
        )
        if not changed:
            raise ReviewError({"": ["This submission was already reviewed."]})
        audit.record(
            "ce_submission_approved" if approve else "ce_submission_rejected",
            candidate=credit.candidate_id,
            staff_user=staff_id,
            old_value=f"pending, {credit.points_claimed} points claimed",
            new_value=(f"approved, {awarded} points" if approve else "rejected")
            + (f": {reason}" if reason else ""),
        )
        before = _active_expirations(credit.candidate_id)
        if approve:
            recompute(credit.candidate_id, today)
        after = _active_expirations(credit.candidate_id)
        changed_names = tuple(
            name for name, expires in after.items() if before.get(name) != expires
        )
        outcome = ReviewOutcome(CeCredit.get_by_id(credit.id), approve, changed_names)
        if notify is not None:
            notify(outcome)
    return outcome


def _active_expirations(candidate_id: int) -> dict[str, date]:
    return {
        f"{name} ({abbreviation})": expires_on
        for name, abbreviation, expires_on in CandidateCertification.select(
            Certification.name, Certification.abbreviation, CandidateCertification.expires_on
        )
        .join(Certification)
        .where(
            (CandidateCertification.candidate == candidate_id)
            & (CandidateCertification.status == "active")
        )
        .tuples()
    }
