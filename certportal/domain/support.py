"""Support cases: a request for an account merge or other help, handled by staff later."""

from collections.abc import Callable

from certportal.db import database
from certportal.domain.accounts import LOGIN_ID_PATTERN, login_id_key
from certportal.models import SupportCase, random_code

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
