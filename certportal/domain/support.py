"""Support cases: a request for an account merge or other help, handled by staff later."""

from collections.abc import Callable

from peewee import JOIN

from certportal.db import database
from certportal.domain import audit
from certportal.domain.accounts import LOGIN_ID_PATTERN, login_id_key
from certportal.models import SupportCase, SupportCaseMessage, random_code, utcnow

KINDS = {"merge": "Merge my accounts", "other": "Other help"}
MAX_DESCRIPTION = 5000


def normalize_login_ids(text: str) -> str:
    """'csco1, CSCO2 csco1' → 'CSCO1, CSCO2': separated by anything, upper-cased, unique."""
    seen = []
    for login_id in LOGIN_ID_PATTERN.findall(text or ""):
        login_id = login_id_key(login_id)
        if login_id not in seen:
            seen.append(login_id)
    return ", ".join(seen)


def new_case_number() -> str:
    """A case number to quote to staff: SC- and 10 readable characters (50 bits)."""
    while True:
        number = f"SC-{random_code(10)}"
        if not SupportCase.select().where(SupportCase.case_number == number).exists():
            return number


def open_case(*, kind: str, contact_email: str, login_ids: str, description: str,
              candidate=None, notify: Callable[[SupportCase], None] | None = None) -> SupportCase:
    """Store a case; `notify` acknowledges it (certportal.notifications.support_case_opened)
    in the same transaction, so a case and its acknowledgement exist together."""
    if kind not in KINDS:
        raise ValueError(f"unknown support case kind {kind!r}")
    with database.atomic():
        case = SupportCase.create(
            case_number=new_case_number(),
            candidate=candidate,
            kind=kind,
            contact_email=contact_email.strip(),
            login_ids=normalize_login_ids(login_ids)[:255],
            description=description.strip()[:MAX_DESCRIPTION],
        )
        if notify is not None:
            notify(case)
    return case


# --- Staff handling cases ------------------------------------------------------------------

QUEUES = {
    "open": "Open",
    "mine": "Assigned to me",
    "resolved": "Resolved",
}
MAX_REPLY = 10000


class CaseActionRefused(ValueError):
    """The case action did not happen; `field` names the input to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def case_queue(queue: str, staff_user, page: int = 1, per_page: int = 50):
    """(cases, has_next) of one queue, oldest open first, newest resolved first."""
    from certportal.models import StaffUser

    query = SupportCase.select(SupportCase, StaffUser).join(
        StaffUser, JOIN.LEFT_OUTER, on=SupportCase.assigned_to == StaffUser.id
    )
    if queue == "mine":
        query = query.where(
            (SupportCase.assigned_to == staff_user) & (SupportCase.status != "resolved")
        ).order_by(SupportCase.created_at, SupportCase.id)
    elif queue == "resolved":
        query = query.where(SupportCase.status == "resolved").order_by(
            SupportCase.created_at.desc(), SupportCase.id.desc()
        )
    else:
        query = query.where(SupportCase.status != "resolved").order_by(
            SupportCase.created_at, SupportCase.id
        )
    page = max(page, 1)
    rows = list(query.limit(per_page + 1).offset((page - 1) * per_page))
    return rows[:per_page], len(rows) > per_page


def find_case(case_number: str) -> SupportCase | None:
    return SupportCase.get_or_none(SupportCase.case_number == (case_number or "").strip().upper())


def thread(case: SupportCase) -> list[SupportCaseMessage]:
    return list(
        SupportCaseMessage.select()
        .where(SupportCaseMessage.case == case)
        .order_by(SupportCaseMessage.created_at, SupportCaseMessage.id)
    )


def assign_case(case: SupportCase, assignee, staff_user, ip_address: str = "") -> None:
    """Give the case to a staff member (None: back to the open queue)."""
    before = case.assigned_to.username if case.assigned_to_id else ""
    with database.atomic():
        case.assigned_to = assignee
        if case.status == "open" and assignee is not None:
            case.status = "assigned"
        elif assignee is None and case.status == "assigned":
            case.status = "open"
        case.save()
        audit.record("case_assigned", candidate=case.candidate_id, staff_user=staff_user,
                     subject=f"case {case.case_number}", old_value=before,
                     new_value=assignee.username if assignee else "", ip_address=ip_address)


def reply_to_case(case: SupportCase, body: str, staff_user, ip_address: str = "",
                  notify=None) -> SupportCaseMessage:
    """Keep a reply in the case's thread; `notify(case, message)` emails it to the contact
    address in the same transaction."""
    body = (body or "").strip()
    if not body:
        raise CaseActionRefused("body", "Write the reply.")
    if len(body) > MAX_REPLY:
        raise CaseActionRefused("body", f"Keep the reply under {MAX_REPLY} characters.")
    if case.status == "resolved":
        raise CaseActionRefused("body", "This case is resolved; it takes no more replies.")
    with database.atomic():
        message = SupportCaseMessage.create(
            case=case, staff_user=staff_user, kind="reply", to_address=case.contact_email,
            body=body,
        )
        audit.record("case_replied", candidate=case.candidate_id, staff_user=staff_user,
                     subject=f"case {case.case_number}", new_value=case.contact_email,
                     ip_address=ip_address)
        if notify is not None:
            notify(case, message)
    return message


def resolve_case(case: SupportCase, resolution: str, staff_user, ip_address: str = "",
                 now=None) -> None:
    resolution = (resolution or "").strip()
    if not resolution:
        raise CaseActionRefused("resolution", "Say how the case was resolved.")
    if case.status == "resolved":
        raise CaseActionRefused("resolution", "This case is resolved already.")
    with database.atomic():
        before = case.status
        case.status = "resolved"
        case.resolution = resolution[:MAX_DESCRIPTION]
        case.resolved_at = now or utcnow()
        case.save()
        SupportCaseMessage.create(case=case, staff_user=staff_user, kind="resolution",
                                  body=case.resolution)
        audit.record("case_resolved", candidate=case.candidate_id, staff_user=staff_user,
                     subject=f"case {case.case_number}", old_value=before, new_value="resolved",
                     reason=case.resolution, ip_address=ip_address)


def candidates_named(case: SupportCase) -> list:
    """The records a case is about: its login IDs, and those with its contact email."""
    from certportal.domain.mapping import email_key
    from certportal.models import Candidate

    login_ids = [value for value in case.login_ids.split(", ") if value]
    condition = Candidate.email_key == email_key(case.contact_email)
    if login_ids:
        condition |= Candidate.login_id.in_(login_ids)
    if case.candidate_id:
        condition |= Candidate.id == case.candidate_id
    return list(Candidate.select().where(condition).order_by(Candidate.login_id).limit(20))
