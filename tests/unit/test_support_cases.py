"""Support cases as staff handle them: queues, assignment, the thread, resolution."""

import pytest

from certportal.domain import support
from certportal.models import AuditEvent, StaffUser, SupportCase


def staff(name):
    return StaffUser.get(StaffUser.username == name)


def test_queue_assign_reply_resolve(db):
    sam = staff("support")
    case = SupportCase.get(SupportCase.kind == "merge")
    open_cases, _ = support.case_queue("open", sam)
    assert case.id in [c.id for c in open_cases]
    support.assign_case(case, sam, staff("admin"))
    assert [c.id for c in support.case_queue("mine", sam)[0]] == [case.id]
    support.reply_to_case(case, "We are looking into it.", sam)
    support.resolve_case(case, "Merged the two records.", sam)
    assert case.id in [c.id for c in support.case_queue("resolved", sam)[0]]
    assert case.id not in [c.id for c in support.case_queue("open", sam)[0]]
    kinds = [(m.kind, m.body) for m in support.thread(case)]
    assert kinds == [("reply", "We are looking into it."),
                     ("resolution", "Merged the two records.")]
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions[-3:] == ["case_assigned", "case_replied", "case_resolved"]
    with pytest.raises(support.CaseActionRefused):
        support.reply_to_case(case, "more", sam)


def test_empty_reply_and_resolution_are_refused(db):
    case = SupportCase.get(SupportCase.kind == "merge")
    with pytest.raises(support.CaseActionRefused) as refused:
        support.reply_to_case(case, "  ", staff("support"))
    assert refused.value.field == "body"
    with pytest.raises(support.CaseActionRefused):
        support.resolve_case(case, "", staff("support"))
    assert SupportCase.get_by_id(case.id).status == "open"


def test_a_case_names_its_records(db):
    case = SupportCase.get(SupportCase.kind == "merge")
    assert [c.login_id for c in support.candidates_named(case)] == ["CSCO10000003",
                                                                    "CSCO10000004"]
