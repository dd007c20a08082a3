"""The lifecycle replay: earn, recertify, renew, grant, expire — for the guide and any facts."""

import random
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from certportal.domain.lifecycle import Facts, Grant, Rule, add_months, replay
from certportal.domain.requirements import Credit, ExamPass

CCNA = Rule(
    code="CCNA",
    name="CCNA (CCNA)",
    validity_months=36,
    earn={"type": "exam", "exams": ["200-301"]},
    recertify={
        "type": "any",
        "children": [
            {"type": "exam", "exams": ["200-301", "350-401"]},
            {"type": "ce", "credits": 30},
        ],
    },
    renews=("CCENT",),
)
CCENT = Rule("CCENT", "CCENT (CCENT)", 36, {"type": "exam", "exams": ["100-105"]})
CCNP = Rule(
    "CCNP",
    "CCNP Enterprise (CCNP)",
    36,
    {
        "type": "all",
        "children": [
            {"type": "exam", "exams": ["350-401"]},
            {"type": "certification", "code": "CCNA"},
        ],
    },
    recertify={"type": "ce", "credits": 80},
    recertify_from="completion",
    renews=("CCNA",),
)
RULES = [CCENT, CCNA, CCNP]
START = date(2020, 1, 15)


def exam(id, code, day, months=36):
    return ExamPass(id, code, day, add_months(day, months))


def credit(id, points, day):
    return Credit(id, points, day, add_months(day, 36))


def test_earn_then_expire():
    outcome = replay(RULES, Facts(exams=(exam(1, "200-301", START),)), date(2024, 1, 1))
    ccna = outcome.states["CCNA"]
    assert (ccna.status, ccna.active_on, ccna.expires_on) == ("expired", START, date(2023, 1, 15))
    assert [(e.occurred_on, e.description) for e in ccna.events] == [
        (START, "Earned by exam 200-301"),
        (date(2023, 1, 15), "Expired"),
    ]


def test_active_through_the_expiration_date():
    facts = Facts(exams=(exam(1, "200-301", START),))
    assert replay(RULES, facts, date(2023, 1, 15)).states["CCNA"].status == "active"
    assert replay(RULES, facts, date(2023, 1, 16)).states["CCNA"].status == "expired"


def test_ce_credits_recertify_from_the_old_expiration_and_are_used():
    credits = (credit(10, 10, date(2021, 1, 1)), credit(11, 20, date(2022, 3, 1)))
    outcome = replay(
        RULES, Facts(exams=(exam(1, "200-301", START),), credits=credits), date(2022, 6, 1)
    )
    ccna = outcome.states["CCNA"]
    assert ccna.expires_on == date(2026, 1, 15)
    assert ccna.cycle_started_on == date(2022, 3, 1)
    assert ccna.events[-1].description == "Recertified with 30 CE credits"
    assert outcome.credit_used_by == {10: "CCNA", 11: "CCNA"}


def test_credits_from_before_the_cycle_do_not_count():
    early = credit(10, 30, START - timedelta(days=1))
    outcome = replay(
        RULES, Facts(exams=(exam(1, "200-301", START),), credits=(early,)), date(2021, 1, 1)
    )
    assert len(outcome.states["CCNA"].events) == 1 and outcome.credit_used_by == {}


def test_completion_based_recertification_counts_from_the_day():
    facts = Facts(
        exams=(exam(1, "200-301", START), exam(2, "350-401", START)),
        credits=(credit(5, 80, date(2021, 5, 5)),),
    )
    ccnp = replay(RULES, facts, date(2021, 6, 1)).states["CCNP"]
    assert ccnp.first_earned_on == START
    assert ccnp.expires_on == date(2024, 5, 5)


def test_a_higher_certification_renews_a_lower_one():
    facts = Facts(
        exams=(exam(1, "200-301", START), exam(2, "350-401", date(2021, 3, 1))),
    )
    outcome = replay(RULES, facts, date(2021, 6, 1))
    ccna = outcome.states["CCNA"]
    # 350-401 recertifies CCNA itself (it is in CCNA's recertify tree) and earns CCNP.
    assert outcome.states["CCNP"].status == "active"
    assert ccna.events[1].description == "Recertified by exam 350-401"


def test_renewal_moves_the_lower_expiration_up():
    rules = [CCENT, CCNA]
    facts = Facts(exams=(exam(1, "100-105", START), exam(2, "200-301", date(2021, 1, 1))))
    ccent = replay(rules, facts, date(2021, 6, 1)).states["CCENT"]
    assert ccent.expires_on == date(2024, 1, 1)
    assert ccent.events[-1].description == "Renewed by certification CCNA (CCNA)"


def test_a_grant_is_a_fact():
    outcome = replay(RULES, Facts(grants=(Grant("CCNA", START),)), date(2021, 1, 1))
    ccna = outcome.states["CCNA"]
    assert (ccna.status, ccna.active_on) == ("active", START)
    assert ccna.events[0].description == "Manually granted certification"


def test_an_expired_certification_is_earned_again_by_new_facts():
    facts = Facts(exams=(exam(1, "200-301", START), exam(2, "200-301", date(2024, 2, 1))))
    ccna = replay(RULES, facts, date(2024, 3, 1)).states["CCNA"]
    assert (ccna.status, ccna.first_earned_on, ccna.active_on) == (
        "active",
        START,
        date(2024, 2, 1),
    )
    assert [e.kind for e in ccna.events] == ["earned", "expired", "earned"]


# -- properties ---------------------------------------------------------------------------

days = st.integers(0, 3000).map(lambda n: START + timedelta(days=n))
facts_strategy = st.builds(
    lambda exams, credits, grants: Facts(
        tuple(exam(i, code, day) for i, (code, day) in enumerate(exams, 1)),
        tuple(credit(i, points, day) for i, (points, day) in enumerate(credits, 100)),
        tuple(Grant(code, day) for code, day in grants),
    ),
    st.lists(st.tuples(st.sampled_from(["100-105", "200-301", "350-401"]), days), max_size=6),
    st.lists(st.tuples(st.integers(1, 40), days), max_size=6),
    st.lists(st.tuples(st.sampled_from(["CCENT", "CCNA", "CCNP"]), days), max_size=2),
)
TODAY = START + timedelta(days=3200)


def summary(outcome):
    return {
        code: (s.status, s.first_earned_on, s.active_on, s.expires_on, s.events)
        for code, s in outcome.states.items()
    }, outcome.credit_used_by


@settings(max_examples=150, deadline=None)
@given(facts_strategy, st.integers(0, 2**32))
def test_the_order_facts_were_recorded_in_does_not_matter(facts, seed):
    rng = random.Random(seed)
    shuffled = Facts(
        *(
            tuple(rng.sample(group, len(group)))
            for group in (facts.exams, facts.credits, facts.grants)
        )
    )
    assert summary(replay(RULES, facts, TODAY)) == summary(replay(RULES, shuffled, TODAY))


@settings(max_examples=150, deadline=None)
@given(facts_strategy)
def test_every_change_moves_the_expiration_later(facts):
    for state in replay(RULES, facts, TODAY).states.values():
        previous = None
        for event in state.events:
            if event.kind in ("recertified", "renewed"):
                assert previous is not None and event.expires_on > previous
            if event.expires_on is not None:
                previous = event.expires_on
            if event.kind == "expired":
                assert event.occurred_on == previous


@settings(max_examples=100, deadline=None)
@given(facts_strategy)
def test_a_credit_is_used_at_most_once_and_only_when_it_was_active(facts):
    outcome = replay(RULES, facts, TODAY)
    by_id = {c.id: c for c in facts.credits}
    for credit_id, code in outcome.credit_used_by.items():
        assert code in outcome.states and by_id[credit_id].active_on <= TODAY


@settings(max_examples=150, deadline=None)
@given(facts_strategy, st.integers(1, 40), days)
def test_more_credits_never_shorten_a_held_certification(facts, points, day):
    """Monotonic in facts: a new CE credit can extend an expiration but never shorten it.

    (With only CCNA using credits: when two certifications compete for the same credits, an
    extra credit can let one of them take credits the other would have used later.)
    """
    rules = [CCENT, CCNA]
    before = replay(rules, facts, TODAY).states
    more = Facts(facts.exams, facts.credits + (credit(999, points, day),), facts.grants)
    after = replay(rules, more, TODAY).states
    for code in ("CCNA",):
        if before[code].expires_on and before[code].status == "active":
            assert after[code].expires_on >= before[code].expires_on
