"""Requirement trees: numbering, counts, windows, and properties that hold for any facts."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from certportal.domain.requirements import Credit, ExamPass, Window, evaluate, is_met

DAY = date(2024, 6, 1)
CCNA_RECERTIFY = {
    "type": "any",
    "children": [
        {"type": "exam", "exams": ["200-301", "350-401"]},
        {"type": "ce", "credits": 30},
    ],
}


def credit(id, points, active_on=DAY - timedelta(days=30)):
    return Credit(id, points, active_on, active_on + timedelta(days=1000))


def test_the_guides_numbering_and_counts():
    window = Window(DAY, credits=(credit(1, 5), credit(2, 5)))
    result = evaluate(CCNA_RECERTIFY, window)
    assert [node.heading for _, node in result.walk()] == [
        "1 – (0 / 1)",
        "1.1 – (0 / 1)",
        "1.2 – (10 / 30)",
    ]
    assert [node.state for _, node in result.walk()] == [
        "in_progress",
        "not_started",
        "in_progress",
    ]
    assert not result.met


def test_an_exam_meets_the_tree_and_is_named():
    passed = ExamPass(7, "350-401", DAY - timedelta(days=3), DAY + timedelta(days=900))
    result = evaluate(CCNA_RECERTIFY, Window(DAY, exams=(passed,)))
    assert result.met and result.heading == "1 – (1 / 1)"
    assert result.exam_codes == ("350-401",) and result.exam_ids == (7,)


def test_expired_exams_and_inactive_credits_do_not_count():
    lapsed = ExamPass(1, "200-301", date(2019, 1, 1), date(2022, 1, 1))
    old = Credit(2, 30, date(2019, 1, 1), date(2022, 1, 1))
    future = Credit(3, 30, DAY + timedelta(days=1), DAY + timedelta(days=900))
    result = evaluate(CCNA_RECERTIFY, Window(DAY, exams=(lapsed,), credits=(old, future)))
    assert not result.met and result.earned == 0 and result.children[1].earned == 0


def test_at_least_and_all_count_met_children_and_certifications():
    tree = {
        "type": "all",
        "children": [
            {"type": "certification", "code": "CCENT"},
            {
                "type": "at_least",
                "n": 2,
                "children": [
                    {"type": "exam", "exams": ["A"]},
                    {"type": "exam", "exams": ["B"]},
                    {"type": "exam", "exams": ["C"]},
                ],
            },
        ],
    }
    exams = (ExamPass(1, "A", DAY, None),)
    result = evaluate(tree, Window(DAY, exams=exams, holds=lambda code: code == "CCENT"))
    assert [node.heading for _, node in result.walk()] == [
        "1 – (1 / 2)",
        "1.1 – (1 / 1)",
        "1.2 – (1 / 2)",
        "1.2.1 – (1 / 1)",
        "1.2.2 – (0 / 1)",
        "1.2.3 – (0 / 1)",
    ]
    assert result.children[0].label == "Hold the CCENT certification"


# -- properties ---------------------------------------------------------------------------

CODES = ["A", "B", "C", "D"]
leaf = st.one_of(
    st.builds(
        lambda exams: {"type": "exam", "exams": exams},
        st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True),
    ),
    st.builds(lambda n: {"type": "ce", "credits": n}, st.integers(1, 60)),
)


def _branch(children):
    return st.one_of(
        st.builds(
            lambda c: {"type": "all", "children": c}, st.lists(children, min_size=1, max_size=3)
        ),
        st.builds(
            lambda c: {"type": "any", "children": c}, st.lists(children, min_size=1, max_size=3)
        ),
        st.lists(children, min_size=1, max_size=3).flatmap(
            lambda c: st.integers(1, len(c)).map(
                lambda n: {"type": "at_least", "n": n, "children": c}
            )
        ),
    )


trees = st.recursive(leaf, _branch, max_leaves=8)
exam_facts = st.lists(
    st.builds(
        lambda i, code, age: ExamPass(
            i, code, DAY - timedelta(days=age), DAY + timedelta(days=400 - age)
        ),
        st.integers(1, 10_000),
        st.sampled_from(CODES),
        st.integers(0, 800),
    ),
    max_size=6,
    unique_by=lambda p: p.id,
)
credit_facts = st.lists(
    st.builds(
        lambda i, points, age: credit(i, points, DAY - timedelta(days=age)),
        st.integers(1, 10_000),
        st.integers(1, 20),
        st.integers(0, 1200),
    ),
    max_size=6,
    unique_by=lambda c: c.id,
)


def nodes(result):
    return [node for _, node in result.walk()]


@settings(max_examples=150, deadline=None)
@given(trees, exam_facts, credit_facts)
def test_counts_never_exceed_what_is_required(tree, exams, credits):
    for node in nodes(evaluate(tree, Window(DAY, tuple(exams), tuple(credits)))):
        assert 0 <= node.earned <= node.required
        assert node.met == (node.earned == node.required)


@settings(max_examples=150, deadline=None)
@given(trees, exam_facts, credit_facts, exam_facts, credit_facts)
def test_more_facts_never_take_progress_away(tree, exams, credits, more_exams, more_credits):
    fewer = evaluate(tree, Window(DAY, tuple(exams), tuple(credits)))
    known = {p.id for p in exams}
    known_credits = {c.id for c in credits}
    more = evaluate(
        tree,
        Window(
            DAY,
            tuple(exams) + tuple(p for p in more_exams if p.id not in known),
            tuple(credits) + tuple(c for c in more_credits if c.id not in known_credits),
        ),
    )
    for before, after in zip(nodes(fewer), nodes(more), strict=True):
        assert before.number == after.number
        assert after.earned >= before.earned
        assert after.met or not before.met


@settings(max_examples=100, deadline=None)
@given(trees, exam_facts, credit_facts, st.randoms())
def test_the_order_of_facts_does_not_matter(tree, exams, credits, rng):
    shuffled_exams, shuffled_credits = list(exams), list(credits)
    rng.shuffle(shuffled_exams)
    rng.shuffle(shuffled_credits)
    first = evaluate(tree, Window(DAY, tuple(exams), tuple(credits)))
    second = evaluate(tree, Window(DAY, tuple(shuffled_exams), tuple(shuffled_credits)))
    assert first == second


# The replay checks trees with is_met, a fast path that counts and names nothing; a page
# shows evaluate(). Both must say the same about every tree.
certification_leaf = st.builds(
    lambda code: {"type": "certification", "code": code}, st.sampled_from(["CCENT", "CCNA"])
)
trees_with_certifications = st.recursive(st.one_of(leaf, certification_leaf), _branch,
                                         max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(trees_with_certifications, exam_facts, credit_facts,
       st.sets(st.sampled_from(["CCENT", "CCNA"])))
def test_the_fast_check_agrees_with_the_full_evaluation(tree, exams, credits, held):
    window = Window(DAY, tuple(exams), tuple(credits), holds=held.__contains__)
    assert is_met(tree, window) == evaluate(tree, window).met
