"""What-if on the stored demo candidates: the real recompute, rolled back; and the plan's CE
numbers against what the stored recompute does."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certportal.db import database
from certportal.domain.certifications import recompute
from certportal.domain.lifecycle import add_months
from certportal.domain.planner import plans_for
from certportal.domain.whatif import WhatIfError, what_if_exam
from certportal.models import (
    ALL_MODELS,
    CeCredit,
    Exam,
)
from tests.factories import candidate, held

TODAY = date.today()
# The database is the test's own copy; a what-if must leave it as it was for every example.
FIXTURE_CHECK = [HealthCheck.function_scoped_fixture]
LOGINS = ("CSCO10000000", "CSCO10000001", "CSCO10000002")



def snapshot() -> dict:
    """Every row of every table, in id order."""
    tables = {}
    for model in ALL_MODELS:
        query = model.select().order_by(*model._meta.get_primary_keys()).tuples()
        tables[model._meta.table_name] = list(query)
    return tables



def test_passing_350_401_today_would_recertify_and_renew(db):
    john = candidate()
    ccna = held("CCNA")
    before = snapshot()
    outcome = what_if_exam(john.id, "350-401", TODAY)
    assert snapshot() == before
    changes = {change.code: change for change in outcome.changes}
    assert changes["CCNA"].kind == "recertified"
    assert changes["CCNA"].expires_before == ccna.expires_on
    assert changes["CCNA"].expires_after == add_months(ccna.expires_on, 36)
    assert "SPEC-ENCOR" in changes
    assert outcome.exam_name and outcome.taken_on == TODAY


def test_an_exam_that_changes_nothing_says_so(db):
    outcome = what_if_exam(candidate("CSCO10000001").id, "100-105", TODAY)
    # CCENT is earned by 100-105 alone.
    assert [c.code for c in outcome.changes] == ["CCENT"]
    assert outcome.changes[0].kind == "earned" and outcome.changes[0].expires_before is None
    assert what_if_exam(candidate("CSCO10000001").id, "350-001", TODAY).changes == ()


def test_an_unknown_exam_is_refused(db):
    with pytest.raises(WhatIfError):
        what_if_exam(candidate().id, "999-999", TODAY)


EXAM_CODES = st.sampled_from(["200-301", "350-401", "300-410", "100-105", "LAB-CCIE-EI",
                              "350-701", "400-007"])


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURE_CHECK)
@given(login_id=st.sampled_from(LOGINS), exam_code=EXAM_CODES, days=st.integers(-30, 400))
def test_a_what_if_never_writes(db, login_id, exam_code, days):
    before = snapshot()
    what_if_exam(candidate(login_id).id, exam_code, TODAY + timedelta(days=days))
    assert snapshot() == before


def test_a_what_if_inside_a_transaction_rolls_back_only_its_own_work(db):
    john = candidate()
    expires = held("CCNA").expires_on
    with database.atomic():
        john.job_title = "Changed in the outer transaction"
        john.save()
        what_if_exam(john.id, "350-401", TODAY)
        assert candidate().job_title == "Changed in the outer transaction"
    assert held("CCNA").expires_on == expires
    assert candidate().job_title == "Changed in the outer transaction"


@settings(max_examples=12, deadline=None, suppress_health_check=FIXTURE_CHECK)
@given(points=st.lists(st.integers(1, 25), max_size=3))
def test_plan_n_more_is_what_the_stored_recompute_needs(db, points):
    """On the stored candidate: earning the plan's CE steps today and recomputing recertifies
    CCNA; one point fewer does not."""
    john = candidate()
    with database.atomic() as transaction:
        cycle_start = held("CCNA").cycle_started_on
        for n, value in enumerate(points):
            _credit(john, value, cycle_start + timedelta(days=1 + n), f"given-{n}")
        recompute(john, TODAY)
        plan = plans_for(john.id, TODAY).get("CCNA")
        if plan is None or not plan.ways[1].credit_steps:
            transaction.rollback()
            return
        steps = [step.points for step in plan.ways[1].credit_steps]
        expires = held("CCNA").expires_on
        with database.atomic() as fewer:
            for n, value in enumerate([*steps[:-1], steps[-1] - 1]):
                if value:
                    _credit(john, value, TODAY, f"fewer-{n}")
            recompute(john, TODAY)
            assert held("CCNA").expires_on == expires
            fewer.rollback()
        for n, value in enumerate(steps):
            _credit(john, value, TODAY, f"plan-{n}")
        recompute(john, TODAY)
        assert held("CCNA").expires_on > expires
        transaction.rollback()


def _credit(candidate, points, day, external_id):
    CeCredit.create(
        candidate=candidate, name="Test credit", points=points, active_on=day,
        inactive_on=add_months(day, 36), updated_on=day, source="Test",
        external_id=external_id,
    )


def test_exam_codes_named_by_the_plan_exist(db):
    codes = set(plans_for(candidate().id, TODAY)["CCNA"].exam_codes)
    assert codes <= {exam.code for exam in Exam.select()}
