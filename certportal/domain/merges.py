"""Merging two records of one person (duplicate emails, F4), and undoing a merge.

Staff choose the surviving record. Everything the retired record holds moves to it in one
transaction: exam results, CE credits, grants, certifications (those the survivor does not
hold already), agreements, orders and their lines and payments, transcripts and support
cases. The survivor is then recomputed from the facts of both. The retired record stays, as
an alias: its login ID logs in to the survivor, its sessions and links end. What moved is
kept with the merge so that an admin can move it back within UNDO_PERIOD.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from certportal.db import database
from certportal.domain import audit
from certportal.domain.accounts import clear_throttles
from certportal.domain.certifications import recompute
from certportal.models import (
    AgreementAcceptance,
    Candidate,
    CandidateCertification,
    CandidateMerge,
    CeCredit,
    CertificationEarning,
    CertificationGrant,
    EcommerceTransaction,
    EmailToken,
    ExamResult,
    FulfillmentOrder,
    KitEntitlement,
    LoginSession,
    OrderLine,
    SupportCase,
    Transcript,
    utcnow,
)

UNDO_PERIOD = timedelta(days=30)

# What moves, in the words of the preview, with the table it lives in.
MOVABLE = (
    ("Exam results", ExamResult),
    ("CE credits", CeCredit),
    ("Certification grants", CertificationGrant),
    ("Certifications", CandidateCertification),
    ("Kit earnings", CertificationEarning),
    ("Kit entitlements", KitEntitlement),
    ("Agreements", AgreementAcceptance),
    ("Orders", FulfillmentOrder),
    ("Kit lines", OrderLine),
    ("Payments", EcommerceTransaction),
    ("Transcripts", Transcript),
    ("Support cases", SupportCase),
)
# Tables where the survivor may already hold the same thing (one row per candidate and it).
_ONE_PER_CANDIDATE = {
    CandidateCertification: CandidateCertification.certification,
    AgreementAcceptance: AgreementAcceptance.agreement,
}


class MergeRefused(ValueError):
    """The merge (or its undo) did not happen; `field` names the input to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MergePreview:
    survivor: Candidate
    retired: Candidate
    # (label, how many rows move, how many stay because the survivor has the same already)
    moves: list[tuple[str, int, int]]

    @property
    def total(self) -> int:
        return sum(count for _, count, _ in self.moves)


# Rows that belong to another moving row: they move with it (an earning with its
# certification, a kit entitlement with its earning), or stay behind with it.
_FOLLOWS = {
    CertificationEarning: (CertificationEarning.held, CandidateCertification),
    KitEntitlement: (KitEntitlement.earning, CertificationEarning),
}


def _rows_to_move(model, survivor: Candidate, retired: Candidate,
                  moving: dict | None = None) -> tuple[list[int], int]:
    """Ids of the retired record's rows that move, and how many stay behind. `moving`: the
    ids already chosen to move, by model (the tables are taken in MOVABLE's order)."""
    ids = [row_id for (row_id,) in model.select(model.id).where(model.candidate == retired)
           .order_by(model.id).tuples()]
    follows = _FOLLOWS.get(model)
    if follows is not None and ids:
        owner_field, owner_model = follows
        owners = set((moving or {}).get(owner_model, ()))
        moving_ids = [row_id for row_id, owner in model.select(model.id, owner_field)
                      .where(model.id.in_(ids)).tuples() if owner in owners]
        return moving_ids, len(ids) - len(moving_ids)
    key = _ONE_PER_CANDIDATE.get(model)
    if key is None or not ids:
        return ids, 0
    held = {value for (value,) in model.select(key).where(model.candidate == survivor).tuples()}
    moving = [row_id for row_id, value in model.select(model.id, key)
              .where(model.id.in_(ids)).tuples() if value not in held]
    return moving, len(ids) - len(moving)


def _check_pair(survivor: Candidate, retired: Candidate) -> None:
    if survivor.id == retired.id:
        raise MergeRefused("retired", "Choose two different records.")
    for record, field in ((survivor, "survivor"), (retired, "retired")):
        if record.merged_into_id is not None:
            raise MergeRefused(field, f"{record.login_id} is already merged into another record.")


def preview_merge(survivor: Candidate, retired: Candidate) -> MergePreview:
    """What a merge of `retired` into `survivor` would move; nothing is written."""
    _check_pair(survivor, retired)
    moves, moving = [], {}
    for label, model in MOVABLE:
        moving[model], staying = _rows_to_move(model, survivor, retired, moving)
        moves.append((label, len(moving[model]), staying))
    return MergePreview(survivor, retired, moves)


def merge_candidates(survivor: Candidate, retired: Candidate, *, staff_user, reason: str,
                     today: date, case: SupportCase | None = None,
                     ip_address: str = "", notify=None) -> CandidateMerge:
    """Merge `retired` into `survivor` in one transaction; returns the merge record.
    `notify(survivor, retired)` tells the candidate, in the same transaction."""
    reason = (reason or "").strip()
    if not reason:
        raise MergeRefused("reason", "Give the reason for the merge.")
    now = utcnow()
    with database.atomic():
        # Read again inside the transaction: a concurrent merge must not be merged twice.
        survivor = Candidate.get_by_id(survivor.id)
        retired = Candidate.get_by_id(retired.id)
        _check_pair(survivor, retired)
        moved: dict[str, list[int]] = {}
        moving = {}
        for _, model in MOVABLE:
            ids, _ = _rows_to_move(model, survivor, retired, moving)
            moving[model] = ids
            if ids:
                model.update(candidate=survivor).where(model.id.in_(ids)).execute()
                moved[model._meta.table_name] = ids
        # The survivor's login keeps working; the retired one becomes an alias of it.
        if survivor.password_hash is None and retired.password_hash is not None:
            survivor.password_hash = retired.password_hash
            survivor.mapped_at = retired.mapped_at
            survivor.save()
            moved["password"] = [retired.id]
        retired.merged_into = survivor
        retired.save()
        LoginSession.update(revoked_at=now).where(
            (LoginSession.candidate == retired) & LoginSession.revoked_at.is_null()
        ).execute()
        EmailToken.update(used_at=now).where(
            (EmailToken.candidate == retired) & EmailToken.used_at.is_null()
        ).execute()
        clear_throttles(retired)
        merge = CandidateMerge.create(
            survivor=survivor, retired=retired, staff_user=staff_user, case=case,
            reason=reason, moved=json.dumps(moved, sort_keys=True),
        )
        recompute(retired, today)
        recompute(survivor, today)
        audit.record(
            "candidates_merged", candidate=survivor, staff_user=staff_user,
            subject=f"merge {merge.id}", old_value=retired.login_id,
            new_value=f"{survivor.login_id}: " + ", ".join(
                f"{name} {len(ids)}" for name, ids in sorted(moved.items())
            ),
            reason=reason, ip_address=ip_address,
        )
        audit.record("candidate_retired_by_merge", candidate=retired, staff_user=staff_user,
                     subject=f"merge {merge.id}", new_value=survivor.login_id, reason=reason,
                     ip_address=ip_address)
        if notify is not None:
            notify(survivor, retired)
    return merge


def can_undo(merge: CandidateMerge, now: datetime | None = None) -> bool:
    return merge.undone_at is None and (now or utcnow()) - merge.created_at <= UNDO_PERIOD


def undo_merge(merge: CandidateMerge, *, staff_user, reason: str, today: date,
               ip_address: str = "", now: datetime | None = None) -> None:
    """Move back what the merge moved and make the retired record a record of its own again.
    Rows created since on the survivor stay there."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if staff_user is None or "admin" not in staff_user.role_names:
        raise MergeRefused("merge", "Only an admin can undo a merge.")
    if not reason:
        raise MergeRefused("reason", "Give the reason for undoing the merge.")
    with database.atomic():
        merge = CandidateMerge.get_by_id(merge.id)
        if merge.undone_at is not None:
            raise MergeRefused("merge", "This merge was undone already.")
        if not can_undo(merge, now):
            raise MergeRefused("merge", "A merge can be undone only within 30 days.")
        survivor = Candidate.get_by_id(merge.survivor_id)
        retired = Candidate.get_by_id(merge.retired_id)
        if Candidate.select().where(Candidate.merged_into == retired).exists() or (
            survivor.merged_into_id is not None
        ):
            raise MergeRefused("merge", "Records were merged again since: undo those first.")
        moved = json.loads(merge.moved)
        tables = {model._meta.table_name: model for _, model in MOVABLE}
        for table, ids in moved.items():
            model = tables.get(table)
            if model is not None and ids:
                model.update(candidate=retired).where(
                    model.id.in_(ids) & (model.candidate == survivor)
                ).execute()
        if "password" in moved:
            survivor.password_hash = None
            survivor.mapped_at = None
            survivor.save()
        retired.merged_into = None
        retired.save()
        merge.undone_at = now
        merge.undone_by = staff_user
        merge.save()
        recompute(survivor, today)
        recompute(retired, today)
        for record, other in ((survivor, retired), (retired, survivor)):
            audit.record("merge_undone", candidate=record, staff_user=staff_user,
                         subject=f"merge {merge.id}", new_value=other.login_id, reason=reason,
                         ip_address=ip_address)
