"""The owner's side of account security: password change, sessions, logout, caching, notices."""

import pytest

from certportal import create_app
from certportal.models import AuditEvent, Candidate, LoginSession, OutgoingEmail
from tests.conftest import csrf_token_from, log_in
from tests.factories import john

NEW_PASSWORD = "a fresh and long passphrase"


def change_password(client, current="certportal-demo", new=NEW_PASSWORD, confirm=None):
    token = csrf_token_from(client.get("/personal-info/security").text)
    return client.post(
        "/personal-info/security/password",
        data={"current_password": current, "new_password": new,
              "confirm": NEW_PASSWORD if confirm is None else confirm, "csrf_token": token},
    )


def test_the_tab_is_reached_from_personal_info(candidate_client):
    page = candidate_client.get("/personal-info/settings").text
    assert 'href="/personal-info/security">Password &amp; Sessions</a>' in page
    security = candidate_client.get("/personal-info/security")
    assert security.status_code == 200
    assert "Change your password" in security.text and "(this session)" in security.text


def test_changing_the_password_needs_the_current_one(candidate_client, db):
    before = john().password_hash
    wrong = change_password(candidate_client, current="not my password")
    assert wrong.status_code == 422
    assert 'id="current_password-error">This is not your current password.' in wrong.text
    assert john().password_hash == before
    assert AuditEvent.select().where(AuditEvent.action == "password_change_failed").count() == 1


@pytest.mark.parametrize(
    ("new", "confirm", "field", "message"),
    [
        ("short", "short", "new_password", "at least 12 characters"),
        ("aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaa", "new_password", "most common passwords"),
        (NEW_PASSWORD, "something else entirely", "confirm", "not the same"),
        ("certportal-demo", "certportal-demo", "new_password", "not using now"),
    ],
)
def test_a_refused_new_password_is_named_beside_its_field(candidate_client, db, new, confirm,
                                                            field, message):
    before = john().password_hash
    response = change_password(candidate_client, new=new, confirm=confirm)
    assert response.status_code == 422
    assert f'id="{field}-error">' in response.text and message in response.text
    assert john().password_hash == before


def test_a_changed_password_ends_other_sessions_keeps_this_one_and_tells_the_owner(
    app, candidate_client, db
):
    other_device = app.test_client()
    assert log_in(other_device).status_code == 303
    response = change_password(candidate_client)
    assert response.status_code == 303
    assert "Your password has been changed." in candidate_client.get(
        response.headers["Location"]
    ).text
    assert other_device.get("/").status_code == 302
    assert candidate_client.get("/").status_code == 200
    assert log_in(app.test_client(), "CSCO10000000", NEW_PASSWORD).status_code == 303
    notice = OutgoingEmail.get(OutgoingEmail.kind == "password_changed")
    assert notice.to_address == john().email
    assert "password was changed" in notice.subject
    assert AuditEvent.select().where(AuditEvent.action == "password_changed").count() == 1


def test_wrong_current_passwords_are_throttled_like_log_ins(candidate_client, db):
    for _ in range(5):
        change_password(candidate_client, current="not my password")
    throttled = change_password(candidate_client)
    assert throttled.status_code == 422
    assert "Too many wrong passwords" in throttled.text


def test_a_reset_link_also_tells_the_owner(app, db):
    from certportal.domain import mapping

    token = mapping.issue_token(john())
    client = app.test_client()
    path = f"/set-password/{token}"
    csrf = csrf_token_from(client.get(path).text)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                            "csrf_token": csrf})
    notice = OutgoingEmail.get(OutgoingEmail.kind == "password_reset")
    assert notice.to_address == john().email


# --- Sessions --------------------------------------------------------------------------------


def test_the_owner_sees_and_ends_another_session(app, candidate_client, db):
    phone = app.test_client()
    log_in(phone, environ_base={"REMOTE_ADDR": "198.51.100.9"},
           headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile"})
    page = candidate_client.get("/personal-info/security").text
    assert "Chrome 130 on Android" in page and "198.51.100.9" in page
    phone_session = LoginSession.get(LoginSession.ip_address == "198.51.100.9")
    token = csrf_token_from(page)
    response = candidate_client.post(
        f"/personal-info/security/sessions/{phone_session.id}/end", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert phone.get("/").status_code == 302
    assert candidate_client.get("/").status_code == 200


def test_another_candidates_session_cannot_be_ended(app, candidate_client, db):
    mei = app.test_client()
    log_in(mei, "CSCO10000001", "second-demo-password")
    meis = LoginSession.get(LoginSession.candidate == Candidate.get(
        Candidate.login_id == "CSCO10000001"))
    token = csrf_token_from(candidate_client.get("/personal-info/security").text)
    response = candidate_client.post(
        f"/personal-info/security/sessions/{meis.id}/end", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert mei.get("/").status_code == 200


def test_log_out_all_other_sessions(app, candidate_client, db):
    others = [app.test_client() for _ in range(2)]
    for other in others:
        log_in(other)
    token = csrf_token_from(candidate_client.get("/personal-info/security").text)
    candidate_client.post("/personal-info/security/sessions/end-others",
                          data={"csrf_token": token})
    assert [other.get("/").status_code for other in others] == [302, 302]
    assert candidate_client.get("/").status_code == 200


def test_ending_this_session_logs_out(candidate_client, db):
    mine = LoginSession.get()
    token = csrf_token_from(candidate_client.get("/personal-info/security").text)
    response = candidate_client.post(f"/personal-info/security/sessions/{mine.id}/end",
                                     data={"csrf_token": token})
    assert response.headers["Location"] == "/login?logged_out=1"
    assert candidate_client.get("/").status_code == 302


# --- Headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/personal-info/settings", "/testing-history/",
                                  "/certifications/", "/transcripts",
                                  "/personal-info/security"])
def test_pages_with_personal_data_are_never_stored(candidate_client, path):
    assert candidate_client.get(path).headers["Cache-Control"] == "no-store"


def test_logout_clears_what_the_browser_kept(candidate_client):
    token = csrf_token_from(candidate_client.get("/").text)
    response = candidate_client.post("/logout", data={"csrf_token": token})
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "You have logged out." in candidate_client.get(response.headers["Location"]).text


def test_over_https_the_session_cookie_has_the_host_prefix(app_config):
    app_config["BASE_URL"] = "https://portal.example"
    client = create_app(app_config).test_client()
    cookie = client.get("/login", base_url="https://portal.example").headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
