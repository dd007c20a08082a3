"""What the portal does when candidates' certifications change.

Recompute (and so grants and imports) calls after_certification_events_of_many() once per
chunk of candidates whose certifications recorded new history events, inside the same
transaction, after every change is written: an import of thousands of candidates runs each
handler a few times, not once per candidate. A single candidate's change goes through the
same handlers (after_certification_events). Each feature adds one handler to HANDLERS; a
handler gets every (candidate, events) pair of the chunk at once. A handler must be
idempotent: a recompute that changes nothing records no events, and the same change may
come again.
"""

from collections.abc import Callable, Sequence

from certportal.domain import badges, kits, reminders
from certportal.models import Candidate, CertificationEvent

# One candidate and the history events a recompute added for them.
Change = tuple[Candidate, Sequence[CertificationEvent]]
Handler = Callable[[Sequence[Change]], None]


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


def _earnings(changes: Sequence[Change]) -> None:
    """An earning brings its initial kits and one congratulations email."""
    kits.record_earnings(changes, congratulate=_congratulations[0]())


HANDLERS: list[Handler] = [
    badges.after_certification_events,  # issue or re-issue the certification's badge
    reminders.after_certification_events,  # withdraw queued reminders that no longer apply
    _earnings,  # the free initial kit, and the congratulations email
]


def after_certification_events_of_many(changes: Sequence[Change]) -> None:
    """Run every handler once for these candidates' new events (each event's
    `candidate_certification` is loaded with it); candidates without events are left out."""
    changes = [(candidate, events) for candidate, events in changes if events]
    if not changes:
        return
    for handler in HANDLERS:
        handler(changes)


def after_certification_events(candidate: Candidate, events: Sequence[CertificationEvent]) -> None:
    """One candidate's new events: the same handlers, with a chunk of one."""
    after_certification_events_of_many([(candidate, events)])
