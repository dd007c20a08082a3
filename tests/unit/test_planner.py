"""The recertification planner: deadlines, the ways worded from the rules, the CE credits a
certification lists, and CE numbers that are what the engine will do."""

from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from certportal.domain.lifecycle import Facts, Grant, Replay, Rule, add_months
from certportal.domain.planner import (
    CreditShown,
    credits_shown,
    deadline_text,
    plan_from_facts,
    time_until,
)
from certportal.domain.requirements import Credit, ExamPass

CCENT = Rule("CCENT", "CCENT (CCENT)", 36, {"type": "exam", "exams": ["100-105"]},
             recertify={"type": "exam", "exams": ["100-105", "200-301"]})
CCNA = Rule(
    "CCNA", "CCNA (CCNA)", 36, {"type": "exam", "exams": ["200-301"]},
    recertify={"type": "any", "children": [
        {"type": "exam", "exams": ["200-301", "350-401"]},
        {"type": "ce", "credits": 30},
    ]},
    renews=("CCENT",),
)
CCNP = Rule(
    "CCNP", "CCNP Enterprise (CCNP)", 36,
    {"type": "all", "children": [
        {"type": "exam", "exams": ["350-401"]},
        {"type": "exam", "exams": ["300-410"]},
    ]},
    recertify={"type": "any", "children": [
        {"type": "exam", "exams": ["350-401"]},
        {"type": "ce", "credits": 80},
        {"type": "all", "children": [
            {"type": "exam", "exams": ["300-410", "300-415"]},
            {"type": "ce", "credits": 40},
        ]},
        {"type": "at_least", "n": 2, "children": [
            {"type": "exam", "exams": ["300-410"]},
            {"type": "exam", "exams": ["300-415"]},
            {"type": "exam", "exams": ["300-420"]},
        ]},
    ]},
    renews=("CCNA",),
)
SPEC = Rule("SPEC", "Specialist (Specialist)", 36, {"type": "exam", "exams": ["350-401"]},
            recertify={"type": "any", "children": [
                {"type": "exam", "exams": ["350-401"]},
                {"type": "ce", "credits": 40},
            ]})
NO_RECERT = Rule("OLD", "Old (OLD)", 24, {"type": "exam", "exams": ["350-001"]})
RULES = [CCENT, CCNA, CCNP, SPEC, NO_RECERT]
TODAY = date(2026, 6, 1)


def passed(id, code, day, months=36):
    return ExamPass(id, code, day, add_months(day, months))


def credit(id, points, day, months=36):
    return Credit(id, points, day, add_months(day, months))


def test_time_until_in_days_then_whole_months():
    assert time_until(TODAY, TODAY) == "today"
    assert time_until(TODAY + timedelta(days=1), TODAY) == "in 1 day"
    assert time_until(TODAY + timedelta(days=60), TODAY) == "in 60 days"
    assert time_until(TODAY + timedelta(days=61), TODAY) == "in 2 months"
    assert time_until(date(2026, 12, 1), TODAY) == "in 6 months"
    assert time_until(date(2026, 11, 30), TODAY) == "in 5 months"
    assert time_until(date(2031, 10, 26), date(2026, 5, 27)) == "in 64 months"
    assert time_until(TODAY - timedelta(days=1), TODAY) == "1 day ago"
    assert time_until(TODAY - timedelta(days=3), TODAY) == "3 days ago"


def test_deadline_in_the_guides_date_format():
    assert deadline_text(date(2031, 10, 26), date(2031, 9, 26)) == "2031-Oct-26 (in 30 days)"


def test_the_issues_example_plan():
    """Pass one of these exams (…) or earn 30 CE credits; you have 10; 20 more by …"""
    earned = date(2025, 10, 26)
    facts = Facts(
        exams=(passed(1, "200-301", earned),),
        credits=(credit(7, 5, date(2026, 1, 10)), credit(8, 5, date(2026, 3, 2))),
    )
    plan = plan_from_facts(RULES, facts, TODAY)["CCNA"]
    assert plan.expires_on == date(2028, 10, 26)
    assert plan.days_left == (date(2028, 10, 26) - TODAY).days
    assert plan.summary == (
        "Pass one of these exams (200-301, 350-401) or earn 30 CE credits; you have 10; "
        "20 more by 2028-Oct-26 (in 28 months)."
    )
    exam_way, ce_way = plan.ways
    assert exam_way.exam_codes == ("200-301", "350-401")
    assert (ce_way.credits_required, ce_way.credits_have, ce_way.credits_more) == (30, 10, 20)
    assert [c.credit_id for c in plan.credits] == [7, 8]
    assert all(c.counts for c in plan.credits)
    assert plan.exam_codes == ("200-301", "350-401")


def test_combined_and_at_least_ways_are_worded_with_progress():
    earned = date(2025, 1, 10)
    facts = Facts(
        exams=(passed(1, "350-401", earned), passed(2, "300-410", earned),
               passed(3, "300-410", date(2026, 2, 1))),
        credits=(credit(9, 15, date(2026, 2, 1)),),
    )
    plan = plan_from_facts(RULES, facts, TODAY)["CCNP"]
    texts = [way.text for way in plan.ways]
    assert texts[0] == "pass exam 350-401"
    assert texts[1] == "earn 80 CE credits; you have 15; 65 more"
    assert texts[2] == (
        "pass one of these exams (300-410, 300-415) (done: 300-410) and earn 40 CE credits "
        "(you have 15; 25 more)"
    )
    assert texts[3] == "pass 2 of these exams (300-410, 300-415, 300-420); you have passed 300-410"
    assert plan.ways[2].credits_more == 25
    assert plan.renewed_by == ()


def test_a_certification_without_recertification_says_so():
    facts = Facts(exams=(passed(1, "350-001", date(2025, 1, 1), months=60),))
    plan = plan_from_facts(RULES, facts, TODAY)["OLD"]
    assert plan.ways == ()
    assert plan.summary == "It cannot be recertified; it expires on 2027-Jan-01 (in 7 months)."


def test_only_active_certifications_get_a_plan():
    facts = Facts(exams=(passed(1, "200-301", date(2020, 1, 1)),))
    assert plan_from_facts(RULES, facts, TODAY) == {}


def test_renewing_certifications_are_named():
    facts = Facts(exams=(passed(1, "200-301", date(2025, 1, 1)),))
    assert plan_from_facts(RULES, facts, TODAY)["CCNA"].renewed_by == ("CCNP Enterprise (CCNP)",)


def test_credits_are_listed_only_where_they_can_count():
    """CCNP in progress (its earn tree asks no CE) and an expired CCENT list none; CCNA
    lists them; a credit CCNA used says so under the Specialist."""
    facts = Facts(
        exams=(passed(1, "100-105", date(2019, 12, 9)), passed(2, "200-301", date(2024, 1, 10)),
               passed(3, "350-401", date(2024, 1, 20))),
        credits=(credit(5, 30, date(2025, 2, 1)), credit(6, 10, date(2025, 3, 1))),
    )
    assert credits_shown(RULES, facts, TODAY, "CCNP") == ()
    assert credits_shown(RULES, facts, TODAY, "CCENT") == ()
    ccna = credits_shown(RULES, facts, TODAY, "CCNA")
    # The 30 recertified CCNA on 2025-Feb-01 (a new cycle): the 10 after it count.
    assert [(c.credit_id, c.used_for) for c in ccna] == [(6, None)]
    spec = credits_shown(RULES, facts, TODAY, "SPEC")
    assert [(c.credit_id, c.used_for) for c in spec] == [(6, None), (5, "CCNA (CCNA)")]
    plan = plan_from_facts(RULES, facts, TODAY)["SPEC"]
    assert plan.ways[1].credits_have == 10


def test_a_certification_that_takes_new_credits_first_is_named():
    facts = Facts(
        exams=(passed(1, "200-301", date(2025, 1, 10)), passed(2, "350-401", date(2025, 3, 10))),
        credits=(credit(5, 10, date(2025, 6, 1)),),
    )
    way = plan_from_facts(RULES, facts, TODAY)["SPEC"].ways[1]
    assert [(s.code, s.points) for s in way.credit_steps] == [("CCNA", 20), ("SPEC", 40)]
    assert way.text == (
        "earn 40 CE credits; you have 10; CCNA (CCNA) would use new CE credits first "
        "(20 more recertify it), then 40 more"
    )
    assert way.credits_more == 40


def test_a_cycle_that_started_today_counts_credits_from_tomorrow():
    facts = Facts(exams=(passed(1, "200-301", TODAY),), credits=(credit(5, 10, TODAY),))
    way = plan_from_facts(RULES, facts, TODAY)["CCNA"].ways[1]
    assert way.credits_have == 0
    assert way.credits_more == 30


def _recertified_on(rules, facts, code, day) -> bool:
    replay = Replay(rules, facts)
    replay.run(day)
    return any(e.kind == "recertified" and e.occurred_on == day
               for e in replay.states[code].events)


@st.composite
def candidate_facts(draw):
    start = date(2022, 1, 1)
    exams = tuple(
        passed(n + 1, draw(st.sampled_from(["200-301", "350-401", "300-410", "100-105"])),
               start + timedelta(days=draw(st.integers(0, 1600))))
        for n in range(draw(st.integers(1, 4)))
    )
    credits = tuple(
        credit(n + 100, draw(st.integers(1, 40)),
               start + timedelta(days=draw(st.integers(0, 1600))))
        for n in range(draw(st.integers(0, 5)))
    )
    grants = tuple(
        Grant(draw(st.sampled_from(["CCNA", "SPEC"])),
              start + timedelta(days=draw(st.integers(0, 1600))))
        for _ in range(draw(st.integers(0, 1)))
    )
    return Facts(exams, credits, grants)


@settings(max_examples=150, deadline=None)
@given(facts=candidate_facts(), offset=st.integers(0, 200))
def test_n_more_credits_is_what_the_engine_needs(facts, offset):
    """Earning the plan's steps today recertifies the certification; one point fewer in its
    own step does not (when no other way asks for CE credits)."""
    today = date(2026, 6, 1) + timedelta(days=offset)
    facts = Facts(facts.exams, tuple(c for c in facts.credits if c.active_on <= today),
                  tuple(g for g in facts.grants if g.granted_on <= today))
    facts = Facts(tuple(e for e in facts.exams if e.taken_on <= today), facts.credits,
                  facts.grants)
    plans = plan_from_facts(RULES, facts, today)
    checked = 0
    next_id = 1 + max((c.id for c in facts.credits), default=0)
    for code, plan in plans.items():
        for way in plan.ways:
            if not way.credit_steps:
                continue
            day = max(today, Replay(RULES, facts).run(today).states[code].cycle_started_on
                      + timedelta(days=1))

            def with_points(points, day=day):
                extra = tuple(credit(next_id + n, p, day) for n, p in enumerate(points))
                return Facts(facts.exams, facts.credits + extra, facts.grants)

            steps = [step.points for step in way.credit_steps]
            assert _recertified_on(RULES, with_points(steps), code, day)
            # Fewest for this way; another way asking CE credits too may need fewer.
            other_ce_ways = [w for w in plan.ways if w is not way and w.credits_required]
            if steps[-1] > 1 and not other_ce_ways:
                fewer = [*steps[:-1], steps[-1] - 1]
                assert not _recertified_on(RULES, with_points(fewer), code, day)
            checked += 1
    assume(checked)


@pytest.mark.parametrize("days", [0, 1, 7, 30, 61, 180])
def test_plan_days_left_match_the_deadline(days):
    earned = add_months(TODAY + timedelta(days=days), -36)
    facts = Facts(exams=(passed(1, "200-301", earned),))
    plan = plan_from_facts(RULES, facts, TODAY)["CCNA"]
    assert plan.days_left == days
    assert plan.deadline.endswith(f"({time_until(TODAY + timedelta(days=days), TODAY)})")


# -- what mutation testing found unchecked ---------------------------------------------------

NESTED = Rule(
    "NEST", "Nested (NEST)", 36, {"type": "exam", "exams": ["500-001"]},
    recertify={"type": "any", "children": [
        {"type": "all", "children": [
            {"type": "certification", "code": "CCNA"},
            {"type": "any", "children": [
                {"type": "exam", "exams": ["500-002"]},
                {"type": "exam", "exams": ["500-003"]},
            ]},
            {"type": "at_least", "n": 1, "children": [
                {"type": "all", "children": [
                    {"type": "exam", "exams": ["500-004"]},
                    {"type": "ce", "credits": 10},
                ]},
                {"type": "certification", "code": "GONE"},
            ]},
        ]},
        {"type": "ce", "credits": 50},
    ]},
)
# CE credits count toward earning this one: its page lists them before it is held.
CE_EARNED = Rule("CEE", "Earned by CE (CEE)", 12, {"type": "ce", "credits": 100})


def test_nested_ways_are_worded_with_what_is_held_and_passed():
    earned = date(2025, 1, 10)
    facts = Facts(exams=(passed(1, "500-001", earned), passed(2, "200-301", earned),
                         passed(3, "500-003", date(2025, 6, 1))))
    plan = plan_from_facts([CCNA, NESTED], facts, TODAY)["NEST"]
    assert (plan.code, plan.name) == ("NEST", "Nested (NEST)")
    assert plan.ways[0].text == (
        "hold CCNA (CCNA) (you do) and either pass exam 500-002 or pass exam 500-003 "
        "(done: 500-003) and 1 of: pass exam 500-004 and earn 10 CE credits (you have 0; "
        "10 more); hold GONE"
    )
    assert plan.ways[0].exam_codes == ()
    assert plan.ways[1].text == (
        "earn 50 CE credits; you have 0; CCNA (CCNA) would use new CE credits first "
        "(30 more recertify it), then 50 more"
    )
    assert [(s.code, s.name, s.points) for s in plan.ways[1].credit_steps] == [
        ("CCNA", "CCNA (CCNA)", 30), ("NEST", "Nested (NEST)", 50)]
    alone = plan_from_facts([NESTED], facts, TODAY)["NEST"].ways[1]
    assert [(s.code, s.name, s.points) for s in alone.credit_steps] == [
        ("NEST", "Nested (NEST)", 50)]
    without_ccna = plan_from_facts([NESTED], Facts(exams=facts.exams), TODAY)["NEST"]
    assert without_ccna.ways[0].text.startswith("hold CCNA and either pass exam 500-002")


def test_at_least_of_exams_says_passed_only_when_some_are():
    facts = Facts(exams=(passed(1, "350-401", date(2025, 1, 10)),
                         passed(2, "300-410", date(2025, 1, 10))))
    way = plan_from_facts(RULES, facts, TODAY)["CCNP"].ways[3]
    assert way.text == "pass 2 of these exams (300-410, 300-415, 300-420)"
    combined = plan_from_facts(RULES, facts, TODAY)["CCNP"].ways[2]
    assert combined.text.startswith("pass one of these exams (300-410, 300-415) and earn")


def test_time_until_can_be_one_month():
    assert time_until(date(2026, 8, 31), date(2026, 7, 1)) == "in 1 month"
    assert time_until(date(2026, 9, 1), date(2026, 7, 1)) == "in 2 months"
    assert time_until(date(2027, 7, 1), date(2026, 7, 1)) == "in 12 months"


def test_credits_shown_while_earning_start_from_any_date_and_lapse():
    facts = Facts(credits=(credit(1, 30, date(2024, 1, 1)), credit(2, 20, date(2025, 1, 1)),
                           credit(3, 5, date(2022, 1, 1))))
    shown = credits_shown([CE_EARNED], facts, TODAY, "CEE")
    # The 2022 credit lapsed (36 months): not listed.
    assert shown == (
        CreditShown(1, 30, date(2024, 1, 1), date(2027, 1, 1)),
        CreditShown(2, 20, date(2025, 1, 1), date(2028, 1, 1)),
    )


def test_a_credit_on_the_cycles_first_day_is_not_listed_one_after_it_is():
    start = date(2025, 3, 10)
    facts = Facts(exams=(passed(1, "200-301", start),),
                  credits=(credit(5, 5, start), credit(6, 5, start + timedelta(days=1))))
    assert [c.credit_id for c in credits_shown(RULES, facts, TODAY, "CCNA")] == [6]


def test_credits_used_by_the_certification_itself_are_not_listed_but_later_ones_are():
    facts = Facts(
        exams=(passed(1, "200-301", date(2024, 1, 10)),),
        credits=(credit(5, 30, date(2025, 2, 1)), credit(6, 4, date(2025, 2, 1)),
                 credit(7, 6, date(2025, 5, 1))),
    )
    # 5 recertified CCNA on 2025-Feb-01 (with 6, oldest first by id: 30 alone was enough).
    shown = credits_shown(RULES, facts, TODAY, "CCNA")
    assert [c.credit_id for c in shown] == [7]
