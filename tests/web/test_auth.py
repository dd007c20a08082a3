"""Log in and out (F1): credentials, lockout, server-side sessions, redirects, CSRF."""

from datetime import timedelta

from certportal.models import Candidate, LoginSession, utcnow
from tests.conftest import PARTIAL, csrf_token_from, log_in

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


def test_ten_failures_lock_the_account_even_for_the_right_password(client, app):
    for _ in range(10):
        log_in(client, "CSCO10000000", "wrong-password-123")
    locked = log_in(client, "CSCO10000000", "certportal-demo")
    assert locked.status_code == 422
    assert "locked for 15 minutes" in locked.text
    assert client.get("/").status_code == 302


def test_lockout_ends_after_fifteen_minutes(client, db):
    Candidate.update(locked_until=utcnow() - timedelta(seconds=1)).where(
        Candidate.login_id == "CSCO10000000"
    ).execute()
    assert log_in(client, "CSCO10000000", "certportal-demo").status_code == 303


def test_failures_outside_the_window_do_not_add_up(client, db):
    for _ in range(9):
        log_in(client, "CSCO10000000", "wrong-password-123")
    Candidate.update(first_failed_login_at=utcnow() - timedelta(minutes=16)).where(
        Candidate.login_id == "CSCO10000000"
    ).execute()
    log_in(client, "CSCO10000000", "wrong-password-123")
    assert log_in(client, "CSCO10000000", "certportal-demo").status_code == 303


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
    response = log_in(client, "staff", "certportal-staff")
    assert response.headers["Location"] == "/staff"
    assert "Staff console" in client.get("/staff").text
    assert client.get("/").status_code == 404


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
