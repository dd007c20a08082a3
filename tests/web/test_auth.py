"""Log in and out: credentials, throttling, server-side sessions, redirects, CSRF."""

import re
from datetime import timedelta

from certportal.models import AuditEvent, Candidate, LoginSession, LoginThrottle, utcnow
from tests.conftest import PARTIAL, csrf_token_from, log_in, log_in_staff

WRONG_CREDENTIALS = "The login ID, email address or password is not correct."


def test_login_by_login_id_lands_on_home_with_the_candidates_id(client):
    response = log_in(client, "CSCO10000000", "certportal-demo")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "ID: <strong>CSCO10000000</strong>" in home.text
    assert "Welcome, John Doe" in home.text


def test_login_id_is_not_case_sensitive(client):
    assert log_in(client, "csco10000000", "certportal-demo").status_code == 303


def test_login_by_email_address_in_any_case(client):
    response = log_in(client, "CSCO10000000@CertPortal.example", "certportal-demo")
    assert response.status_code == 303


def test_wrong_password_and_unknown_id_get_the_same_answer(client):
    wrong_password = log_in(client, "CSCO10000000", "not-the-password")
    unknown_id = log_in(client, "CSCO99999999", "not-the-password")
    assert wrong_password.status_code == unknown_id.status_code == 422
    assert WRONG_CREDENTIALS in wrong_password.text
    assert WRONG_CREDENTIALS in unknown_id.text
    assert client.get("/").status_code == 302


def test_empty_fields_are_reported_beside_each_field(client):
    response = log_in(client, "", "")
    assert response.status_code == 422
    assert "Enter your login ID or email address." in response.text
    assert "Enter your password." in response.text
    assert 'aria-invalid="true"' in response.text


def fail_logins(client, identifier, times, address="203.0.113.7"):
    return [
        log_in(client, identifier, "wrong-password-123",
               environ_base={"REMOTE_ADDR": address})
        for _ in range(times)
    ]


def _message(response) -> str:
    # The throttle names the time to come back: the rest of the answer is compared as is.
    html = re.sub(r'value="[^"]*"|X-CSRFToken(?:&#34;|"): (?:&#34;|")[^&"]*', "", response.text)
    return re.sub(r"\d\d:\d\d UTC", "HH:MM UTC", html)


def test_repeated_failures_answer_the_same_for_known_and_unknown_ids(client):
    known = fail_logins(client, "CSCO10000000", 7)
    unknown = fail_logins(client, "CSCO99999999", 7)
    assert [r.status_code for r in known] == [422] * 5 + [429] * 2
    assert [r.status_code for r in unknown] == [422] * 5 + [429] * 2
    for mine, theirs in zip(known, unknown, strict=True):
        assert _message(mine) == _message(theirs)
    assert "Too many failed log-ins" in known[-1].text
    assert "locked" not in known[-1].text
    assert 1 <= int(known[-1].headers["Retry-After"]) <= 60


def test_throttled_attempts_are_not_checked_even_with_the_right_password(client):
    fail_logins(client, "CSCO10000000", 5)
    right = log_in(client, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert right.status_code == 429
    assert client.get("/").status_code == 302


def test_failing_on_purpose_does_not_lock_the_owner_out(client, app):
    fail_logins(client, "CSCO10000000", 30)
    fail_logins(client, "admin", 30)
    owner = app.test_client()
    assert log_in(owner, environ_base={"REMOTE_ADDR": "198.51.100.20"}).status_code == 303
    staff = app.test_client()
    assert log_in(staff, "admin", "certportal-staff",
                  environ_base={"REMOTE_ADDR": "198.51.100.21"}).status_code == 303


def test_the_wait_doubles_and_ends(client, db):
    fail_logins(client, "CSCO10000000", 5)
    row = LoginThrottle.get()
    assert row.failures == 5
    # Once the wait is over the next try is checked again; a success starts afresh.
    LoginThrottle.update(last_failure_at=utcnow() - timedelta(seconds=31)).execute()
    assert log_in(client, environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 303
    assert LoginThrottle.select().count() == 0


def test_failures_are_forgotten_after_a_day(client, db):
    fail_logins(client, "CSCO10000000", 9)
    LoginThrottle.update(last_failure_at=utcnow() - timedelta(hours=24, seconds=1)).execute()
    fail_logins(client, "CSCO10000000", 1)
    assert LoginThrottle.get().failures == 1


def test_a_password_reset_clears_the_throttle(client, db):
    from certportal.domain import mapping

    fail_logins(client, "CSCO10000000", 8)
    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    token = mapping.issue_token(john)
    mapping.set_password_with_token(token, "a brand new passphrase")
    assert LoginThrottle.select().count() == 0
    assert log_in(client, "CSCO10000000", "a brand new passphrase",
                  environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 303


def test_failed_and_throttled_logins_are_audited_without_unknown_identifiers(client, db):
    fail_logins(client, "CSCO10000000", 6)
    fail_logins(client, "my secret password", 1)
    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    actions = [
        (event.action, event.candidate_id, event.new_value, event.ip_address)
        for event in AuditEvent.select().where(AuditEvent.action.startswith("login_"))
        .order_by(AuditEvent.id)
    ]
    assert actions[:5] == [("login_failed", john.id, "CSCO10000000", "203.0.113.7")] * 5
    assert actions[5] == ("login_throttled", john.id, "", "203.0.113.7")
    assert actions[6] == ("login_failed", None, "", "203.0.113.7")


def test_next_goes_to_a_local_path_only(client):
    token = csrf_token_from(client.get("/login").text)
    form = {"identifier": "CSCO10000000", "password": "certportal-demo", "csrf_token": token}
    local = client.post("/login?next=/help", data=form)
    assert local.headers["Location"] == "/help"


def test_next_to_another_site_is_ignored(client):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        token = csrf_token_from(client.get("/login").text)
        form = {"identifier": "CSCO10000000", "password": "certportal-demo", "csrf_token": token}
        response = client.post("/login", query_string={"next": target}, data=form)
        assert response.headers["Location"] == "/"
        client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})


def test_login_without_csrf_token_is_refused(client):
    response = client.post(
        "/login", data={"identifier": "CSCO10000000", "password": "certportal-demo"}
    )
    assert response.status_code == 400
    assert "Form expired" in response.text
    assert client.get("/").status_code == 302


def test_logout_revokes_the_session_on_the_server(candidate_client, db):
    session_cookie = candidate_client.get_cookie("session").value
    token = csrf_token_from(candidate_client.get("/").text)
    response = candidate_client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert LoginSession.select().where(LoginSession.revoked_at.is_null()).count() == 0
    # Replaying the cookie from before logout no longer opens the home page.
    candidate_client.set_cookie("session", session_cookie)
    assert candidate_client.get("/").status_code == 302


def test_logout_needs_a_post_with_csrf(candidate_client):
    assert candidate_client.get("/logout").status_code == 405
    assert candidate_client.post("/logout").status_code == 400
    assert candidate_client.get("/").status_code == 200


def test_idle_session_expires_after_thirty_minutes(candidate_client, db):
    LoginSession.update(last_seen_at=utcnow() - timedelta(minutes=31)).execute()
    assert candidate_client.get("/").status_code == 302


def test_active_session_ends_after_twelve_hours(candidate_client, db):
    LoginSession.update(
        created_at=utcnow() - timedelta(hours=12, minutes=1), last_seen_at=utcnow()
    ).execute()
    assert candidate_client.get("/").status_code == 302


def test_htmx_request_without_session_is_sent_to_login_whole(client):
    response = client.get("/", headers=PARTIAL)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/login?next=/"
    assert response.text == ""


def test_staff_log_in_to_the_staff_console_and_have_no_candidate_pages(client):
    response = log_in_staff(client, "admin")
    assert response.headers["Location"] == "/staff"
    assert "Staff console" in client.get("/staff").text
    # Home leads staff to the console; candidate pages do not exist for them.
    assert client.get("/").headers["Location"] == "/staff"
    assert client.get("/certifications/").status_code == 404


def test_candidates_have_no_staff_console(candidate_client):
    assert candidate_client.get("/staff").status_code == 404


def test_password_hash_is_upgraded_when_parameters_change(client, db):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    Candidate.update(password_hash=weak.hash("certportal-demo")).where(
        Candidate.login_id == "CSCO10000000"
    ).execute()
    assert log_in(client).status_code == 303
    upgraded = Candidate.get(Candidate.login_id == "CSCO10000000").password_hash
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_login_is_rate_limited_per_address(app_config):
    from certportal import create_app

    app_config.update(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = create_app(app_config).test_client()
    statuses = [log_in(client, "CSCO10000000", "wrong-password-1").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert "Too many attempts" in log_in(client).text
