"""What the portal does when a candidate's certifications change.

Recompute (and so grants and imports) calls after_certification_events() once per candidate
whose certifications recorded new history events, inside the same transaction, after every
change is written. Each feature adds one handler to HANDLERS. A handler must be idempotent:
a recompute that changes nothing records no events, and the same change may come again.
"""

from collections.abc import Callable, Sequence

from certportal.domain import badges, kits, reminders
from certportal.models import Candidate, CertificationEvent

Handler = Callable[[Candidate, Sequence[CertificationEvent]], None]


def _earnings(candidate: Candidate, events: Sequence[CertificationEvent]) -> None:
    """An earning brings its initial kits and one congratulations email (F18, F28)."""
    from flask import has_app_context

    congratulate = None
    if has_app_context():
        # Imported here: messages render the app's templates, and they import the domain.
        from certportal import notifications

        congratulate = notifications.congratulations
    # Outside the application (scripts, the test seed) the earnings are recorded now and
    # announced by `flask --app app mail send-pending`.
    kits.record_earnings(candidate, events, congratulate=congratulate)


HANDLERS: list[Handler] = [
    badges.after_certification_events,  # issue or re-issue the certification's badge
    reminders.after_certification_events,  # withdraw queued reminders that no longer apply
    _earnings,  # the free initial kit, and the congratulations email
]


def after_certification_events(candidate: Candidate, events: Sequence[CertificationEvent]) -> None:
    """Run every handler for one candidate's new events (each event's
    `candidate_certification` is loaded with it)."""
    if not events:
        return
    for handler in HANDLERS:
        handler(candidate, events)
