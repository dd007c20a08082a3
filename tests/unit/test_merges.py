"""Merging duplicate records: preview, one transaction, recompute, alias, undo by an admin."""

import json
from datetime import date, timedelta

import pytest

from certportal.domain import accounts, merges
from certportal.domain.certifications import held_by_code
from certportal.domain.demo import DUPLICATE_LOGIN_IDS
from certportal.domain.support import find_case
from certportal.models import (
    AuditEvent,
    Candidate,
    CandidateMerge,
    ExamResult,
    LoginSession,
    StaffUser,
    SupportCase,
    Transcript,
    utcnow,
)

TODAY = date.today()
POLICY = accounts.LoginPolicy()


def records():
    return (Candidate.get(Candidate.login_id == DUPLICATE_LOGIN_IDS[0]),
            Candidate.get(Candidate.login_id == DUPLICATE_LOGIN_IDS[1]))


def staff(name):
    return StaffUser.get(StaffUser.username == name)


def test_preview_lists_what_moves_and_writes_nothing(db):
    survivor, retired = records()
    Transcript.create(candidate=retired, public_id="R" * 16, expires_on=TODAY)
    preview = merges.preview_merge(survivor, retired)
    moves = {label: count for label, count, _ in preview.moves}
    assert moves["Exam results"] == 1 and moves["Transcripts"] == 1
    assert moves["Certifications"] >= 1
    assert ExamResult.select().where(ExamResult.candidate == retired).count() == 1
    assert Candidate.get_by_id(retired.id).merged_into_id is None


def test_merge_moves_everything_recomputes_and_keeps_the_login_id_as_an_alias(db):
    survivor, retired = records()
    case = SupportCase.get(SupportCase.kind == "merge")
    LoginSession.create(token_hash="s" * 64, candidate=retired)
    Transcript.create(candidate=retired, public_id="R" * 16, expires_on=TODAY)
    assert held_by_code(survivor, "CCNP-ENT") is None or held_by_code(
        survivor, "CCNP-ENT").status != "active"
    merge = merges.merge_candidates(survivor, retired, staff_user=staff("support"),
                                    reason="Same person, case " + case.case_number,
                                    today=TODAY, case=case)
    assert ExamResult.select().where(ExamResult.candidate == retired).count() == 0
    assert ExamResult.select().where(ExamResult.candidate == survivor).count() == 2
    assert Transcript.get(Transcript.public_id == "R" * 16).candidate_id == survivor.id
    assert Candidate.get_by_id(retired.id).merged_into_id == survivor.id
    assert LoginSession.get(LoginSession.token_hash == "s" * 64).revoked_at is not None
    # Recomputed from both records' facts: the ENCOR pass counts for the survivor now.
    specialist = [h for h in Candidate.get_by_id(survivor.id).certifications]
    assert len(specialist) >= 2
    moved = json.loads(merge.moved)
    assert moved["exam_result"] and moved["transcript"]
    # The retired login ID logs in to the survivor, with the survivor's password.
    outcome = accounts.authenticate(DUPLICATE_LOGIN_IDS[1].lower(), "third-demo-password",
                                    POLICY)
    assert outcome.succeeded and outcome.account.id == survivor.id
    # The email is one record's now.
    assert accounts.find_account("ravi.kumar@certportal.example").id == survivor.id
    actions = {e.action for e in AuditEvent.select()}
    assert {"candidates_merged", "candidate_retired_by_merge"} <= actions
    assert find_case(case.case_number).merges.count() == 1


def test_merge_needs_a_reason_and_two_unmerged_records(db):
    survivor, retired = records()
    with pytest.raises(merges.MergeRefused) as refused:
        merges.merge_candidates(survivor, retired, staff_user=None, reason="", today=TODAY)
    assert refused.value.field == "reason"
    with pytest.raises(merges.MergeRefused):
        merges.preview_merge(survivor, survivor)
    merges.merge_candidates(survivor, retired, staff_user=None, reason="dup", today=TODAY)
    with pytest.raises(merges.MergeRefused):
        merges.merge_candidates(survivor, Candidate.get_by_id(retired.id), staff_user=None,
                                reason="again", today=TODAY)


def test_an_admin_undoes_a_merge_within_30_days(db):
    survivor, retired = records()
    merge = merges.merge_candidates(survivor, retired, staff_user=staff("support"),
                                    reason="dup", today=TODAY)
    with pytest.raises(merges.MergeRefused):
        merges.undo_merge(merge, staff_user=staff("support"), reason="wrong", today=TODAY)
    with pytest.raises(merges.MergeRefused):
        merges.undo_merge(merge, staff_user=staff("admin"), reason="wrong", today=TODAY,
                          now=utcnow() + timedelta(days=31))
    merges.undo_merge(merge, staff_user=staff("admin"), reason="Different people", today=TODAY)
    assert ExamResult.select().where(ExamResult.candidate == retired).count() == 1
    assert ExamResult.select().where(ExamResult.candidate == survivor).count() == 1
    assert Candidate.get_by_id(retired.id).merged_into_id is None
    assert CandidateMerge.get_by_id(merge.id).undone_at is not None
    assert AuditEvent.select().where(AuditEvent.action == "merge_undone").count() == 2
    with pytest.raises(merges.MergeRefused):
        merges.undo_merge(merge, staff_user=staff("admin"), reason="again", today=TODAY)
