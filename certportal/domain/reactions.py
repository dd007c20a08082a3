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


def _no_announcement():
    return None


# Where the congratulations message comes from, asked at each earning: create_app sets it to
# give certportal.notifications.congratulations inside the application and None outside it
# (scripts, the test seed), where earnings are recorded now and announced later by
# `flask --app app mail send-pending`. Messages render the app's templates: the domain only
# calls them.
_congratulations: list[Callable[[], kits.Notify | None]] = [_no_announcement]


def configure(congratulations: Callable[[], kits.Notify | None]) -> None:
    _congratulations[0] = congratulations


def _earnings(candidate: Candidate, events: Sequence[CertificationEvent]) -> None:
    """An earning brings its initial kits and one congratulations email."""
    kits.record_earnings(candidate, events, congratulate=_congratulations[0]())


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
