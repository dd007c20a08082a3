"""What the portal does when a candidate's certifications change.

Recompute (and so grants and imports) calls after_certification_events() once per candidate
whose certifications recorded new history events, inside the same transaction, after every
change is written. Each feature adds one handler to HANDLERS. A handler must be idempotent:
a recompute that changes nothing records no events, and the same change may come again.
"""

from collections.abc import Callable, Sequence

from certportal.domain import badges
from certportal.models import Candidate, CertificationEvent

Handler = Callable[[Candidate, Sequence[CertificationEvent]], None]

HANDLERS: list[Handler] = [
    badges.after_certification_events,  # issue or re-issue the certification's badge
]


def after_certification_events(candidate: Candidate, events: Sequence[CertificationEvent]) -> None:
    """Run every handler for one candidate's new events (each event's
    `candidate_certification` is loaded with it)."""
    if not events:
        return
    for handler in HANDLERS:
        handler(candidate, events)
