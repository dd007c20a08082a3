"""Login IDs stored in lower or mixed case before imports upper-cased them are moved over."""

import importlib.util

from certportal.db import MIGRATIONS_DIR, database
from certportal.domain.accounts import find_account
from certportal.models import Candidate


def migration():
    path = MIGRATIONS_DIR / "018_login_ids_upper_case.py"
    spec = importlib.util.spec_from_file_location("login_ids_upper_case", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def candidate(login_id, **fields):
    return Candidate.create(
        login_id=login_id,
        program_id=fields.pop("program_id", login_id),
        email=f"{login_id}@example.com",
        email_key=f"{login_id}@example.com".lower(),
        **fields,
    )


def test_lower_case_login_ids_become_upper_case_unless_that_one_exists(db):
    alone = candidate("csco50000001", password_hash="x")
    mixed = candidate("Csco50000002")
    twin_upper = candidate("CSCO50000003")
    twin_lower = candidate("csco50000003")
    first, second = candidate("csco50000004", program_id="P1"), candidate("Csco50000004")
    with database.atomic():
        left = migration().upper_case_login_ids(database)
    login_id = {c.id: c.login_id for c in Candidate.select(Candidate.id, Candidate.login_id)}
    assert login_id[alone.id] == "CSCO50000001"
    assert login_id[mixed.id] == "CSCO50000002"
    assert (login_id[twin_upper.id], login_id[twin_lower.id]) == ("CSCO50000003", "csco50000003")
    # Two lower-case spellings of one ID: the older record gets the upper-case form.
    assert (login_id[first.id], login_id[second.id]) == ("CSCO50000004", "Csco50000004")
    assert sorted(left) == ["Csco50000004", "csco50000003"]
    # The program ID is a separate identifier and stays as it was.
    assert Candidate.get_by_id(alone.id).program_id == "csco50000001"
    assert find_account("csco50000001").id == alone.id
    assert migration().upper_case_login_ids(database) == left  # running again changes nothing
