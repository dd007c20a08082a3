"""The engine tells the features about new certification history (domain/reactions.py)."""

from datetime import date

import pytest

from certportal.domain import reactions
from certportal.domain.certifications import grant, held_by_code, recompute
from tests.factories import john

TODAY = date.today()


@pytest.fixture
def heard(db, monkeypatch):
    calls = []
    monkeypatch.setattr(
        reactions,
        "HANDLERS",
        [lambda changes: calls.extend((person.login_id, events) for person, events in changes)],
    )
    return calls


def test_handlers_hear_each_new_event_once_per_candidate(heard):
    grant("CSCO10000000", "CCNP-ENT", TODAY, TODAY)
    recompute(john(), TODAY)  # nothing new

    ((login_id, events),) = heard
    assert login_id == "CSCO10000000"
    assert [(event.kind, event.candidate_certification.certification.code) for event in events] \
        == [("granted", "CCNP-ENT")]


def test_a_rewritten_history_reports_only_the_events_it_added(heard):
    person = john()
    ccna = held_by_code(person, "CCNA")
    later = ccna.expires_on.replace(year=ccna.expires_on.year + 1)

    recompute(person, later)  # CCNA and others expire

    ((_, events),) = heard
    assert {event.kind for event in events} == {"expired"}
    assert "CCNA" in {event.candidate_certification.certification.code for event in events}


def test_a_failing_handler_undoes_the_engines_change(heard, monkeypatch):
    def fail(changes):
        raise RuntimeError("a handler failed")

    monkeypatch.setattr(reactions, "HANDLERS", [fail])

    with pytest.raises(RuntimeError):
        grant("CSCO10000000", "CCNP-ENT", TODAY, TODAY)

    assert held_by_code(john(), "CCNP-ENT").status == "in_progress"
