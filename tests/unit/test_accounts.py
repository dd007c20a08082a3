"""Passwords, log-in throttling and server-side sessions, below the web layer."""

from datetime import timedelta

from certportal.domain import accounts, passwords
from certportal.models import Candidate, LoginSession, utcnow

POLICY = accounts.LoginPolicy()


def test_hash_is_argon2id_with_the_designed_parameters():
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse batterY")


def test_no_hash_never_verifies():
    assert not passwords.verify_password(None, "certportal-timing-equaliser")


def test_unmapped_candidate_cannot_log_in_by_email(db):
    Candidate.update(password_hash=None).where(Candidate.login_id == "CSCO10000000").execute()
    outcome = accounts.authenticate("csco10000000@certportal.example", "certportal-demo", POLICY)
    assert not outcome.succeeded


def test_email_on_two_mapped_records_logs_in_neither(db):
    Candidate.update(email_key="csco10000000@certportal.example").where(
        Candidate.login_id == "CSCO10000001"
    ).execute()
    outcome = accounts.authenticate("csco10000000@certportal.example", "certportal-demo", POLICY)
    assert not outcome.succeeded
    assert accounts.authenticate("CSCO10000000", "certportal-demo", POLICY).succeeded


def test_session_token_is_stored_only_as_a_hash(db):
    candidate = Candidate.get(Candidate.login_id == "CSCO10000000")
    token = accounts.open_session(candidate)
    stored = LoginSession.get()
    assert stored.token_hash != token and token not in stored.token_hash
    assert accounts.resume_session(token, POLICY).candidate_id == candidate.id
    assert accounts.resume_session(token + "x", POLICY) is None


def test_revoked_session_does_not_resume(db):
    token = accounts.open_session(Candidate.get(Candidate.login_id == "CSCO10000000"))
    accounts.revoke_session(token)
    assert accounts.resume_session(token, POLICY) is None


def test_last_seen_is_written_at_most_once_a_minute(db):
    token = accounts.open_session(Candidate.get(Candidate.login_id == "CSCO10000000"))
    first_seen = LoginSession.get().last_seen_at
    accounts.resume_session(token, POLICY)
    assert LoginSession.get().last_seen_at == first_seen
    LoginSession.update(last_seen_at=utcnow() - timedelta(minutes=5)).execute()
    accounts.resume_session(token, POLICY)
    assert utcnow() - LoginSession.get().last_seen_at < timedelta(seconds=5)


def test_the_wait_is_free_then_doubles_up_to_the_longest():
    from certportal.domain.accounts import LoginPolicy, throttle_delay

    policy = LoginPolicy(free_failures=5, first_delay=timedelta(seconds=30),
                         max_delay=timedelta(minutes=15))
    waits = [throttle_delay(failures, policy).total_seconds() for failures in range(12)]
    assert waits == [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900]
    assert throttle_delay(10_000, policy) == timedelta(minutes=15)


def test_the_throttle_key_ignores_case_and_spaces_of_the_identifier_not_the_address():
    from certportal.domain.accounts import throttle_key

    assert throttle_key("203.0.113.7", " csco10000000 ") == throttle_key(
        "203.0.113.7", "CSCO10000000"
    )
    assert throttle_key("203.0.113.7", "CSCO10000000") != throttle_key(
        "203.0.113.8", "CSCO10000000"
    )
