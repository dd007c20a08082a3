"""The append-only audit log (AuditEvent): who changed what, when, from what to what.

Every feature writes it through record(), so the log keeps one shape.
"""

from certportal.models import AuditEvent, Candidate, StaffUser


def record(
    action: str,
    *,
    candidate: Candidate | int | None = None,
    staff_user: StaffUser | int | None = None,
    old_value: str = "",
    new_value: str = "",
    ip_address: str = "",
) -> AuditEvent:
    return AuditEvent.create(
        action=action,
        candidate=candidate,
        staff_user=staff_user,
        old_value=old_value,
        new_value=new_value,
        ip_address=(ip_address or "")[:45],
    )
