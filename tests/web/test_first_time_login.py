"""First Time Login: mapping by email or score report over a real SMTP server."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from certportal import create_app
from certportal.domain import mapping
from certportal.domain.demo import (
    UNMAPPED_EMAIL,
    UNMAPPED_LOGIN_ID,
    UNMAPPED_REGISTRATION_NUMBER,
)
from certportal.models import (
    AuditEvent,
    Candidate,
    EmailToken,
    LoginSession,
    OutgoingEmail,
    utcnow,
)
from tests import factories
from tests.conftest import (
    BOOSTED,
    PARTIAL,
    csrf_token_from,
    log_in,
    unused_smtp_url,
)

NEW_PASSWORD = "violet kettle harbour 42"
GUIDE_CONFIRMATION = "An email has been sent to the email address we have on file"
NO_MATCH = "No score report matches this last name and registration number"
LINK = re.compile(r"http://localhost(/set-password/[A-Za-z0-9_-]+)")


@pytest.fixture
def web(mail_app):
    return mail_app.test_client()


def csrf(client, path="/first-time-login") -> str:
    return csrf_token_from(client.get(path).text)


def request_by_email(client, address):
    return client.post(
        "/first-time-login/by-email", data={"email": address, "csrf_token": csrf(client)}
    )


def request_by_score_report(client, last_name, registration_number, new_email):
    return client.post(
        "/first-time-login/by-score-report",
        data={
            "last_name": last_name,
            "registration_number": registration_number,
            "new_email": new_email,
            "csrf_token": csrf(client),
        },
    )


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_path(message) -> str:
    match = LINK.search(text_of(message))
    assert match, text_of(message)
    return match.group(1)


def set_password(client, path, password=NEW_PASSWORD, confirm=None):
    token = csrf_token_from(client.get(path).text)
    return client.post(
        path,
        data={"password": password, "confirm": confirm or password, "csrf_token": token},
    )


def candidate(login_id=UNMAPPED_LOGIN_ID) -> Candidate:
    return factories.candidate(login_id)


# --- The page ------------------------------------------------------------------------------


def test_the_page_has_the_guides_two_panels_and_notes(client):
    page = client.get("/first-time-login")
    assert page.status_code == 200
    for text in (
        "The system will send an email that includes a link which will allow you to set your "
        "password and obtain your login ID.",
        "By email address",
        "By score report",
        'for="email">Email address',
        'for="last_name">Last name',
        'for="registration_number">Registration number',
        'for="new_email">New email address',
        "If the email address is not available, please map your account using the information "
        "provided in the score report.",
        "you will need to <a",
    ):
        assert text in page.text
    assert page.text.count(">Submit</button>") == 2
    assert 'href="/first-time-login"' in client.get("/login").text
    assert 'href="/forgot-password"' in client.get("/login").text


def test_a_logged_in_candidate_does_not_see_the_mapping_screen(candidate_client):
    response = candidate_client.get("/first-time-login")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_full_page_for_boosted_requests_and_the_block_for_partial_ones(client):
    assert "<html" in client.get("/first-time-login", headers=BOOSTED).text
    partial = client.get("/first-time-login", headers=PARTIAL)
    assert "<html" not in partial.text and "By score report" in partial.text


def test_a_form_without_its_csrf_token_is_refused(web, smtp_server):
    response = web.post("/first-time-login/by-email", data={"email": UNMAPPED_EMAIL})
    assert response.status_code == 400
    assert smtp_server.messages == []


# --- By email address ------------------------------------------------------------------


def test_by_email_whole_flow_email_link_password_login(web, smtp_server, db):
    answer = request_by_email(web, UNMAPPED_EMAIL.upper())
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/first-time-login/email-sent"
    assert GUIDE_CONFIRMATION in web.get(answer.headers["Location"]).text

    [message] = smtp_server.messages
    assert message["To"] == UNMAPPED_EMAIL.upper()
    assert "set your password" in message["Subject"]
    assert f"Your login ID is: {UNMAPPED_LOGIN_ID}" in text_of(message)
    assert "set your password" in message.get_body(("html",)).get_content()
    path = link_path(message)

    form = web.get(path)
    assert form.status_code == 200
    assert UNMAPPED_LOGIN_ID in form.text
    done = set_password(web, path)
    assert done.status_code == 303
    complete = web.get(done.headers["Location"])
    assert "Your account mapping is complete." in complete.text
    assert UNMAPPED_LOGIN_ID in complete.text and 'href="/login"' in complete.text

    assert candidate().mapped_at is not None
    assert log_in(web, UNMAPPED_LOGIN_ID, NEW_PASSWORD).status_code == 303
    assert "Welcome, Ana Núñez" in web.get("/").text


def test_by_email_answer_is_byte_identical_whoever_the_address_belongs_to(
    web, smtp_server, db
):
    Candidate.update(email="shared@example.org", email_key="shared@example.org").where(
        Candidate.login_id == "CSCO10000001"
    ).execute()
    Candidate.create(login_id="CSCO10000009", program_id="CSCO10000009", last_name="Wang",
                     email="Shared@example.org", email_key="shared@example.org")
    # flask-login marks an anonymous session "not fresh" on its first POST (a Set-Cookie
    # that depends on the session's history, not on the address): settle that first.
    request_by_email(web, "warm-up@example.org")
    answers = []
    for address in (UNMAPPED_EMAIL, "shared@example.org", "nobody@example.org",
                    "csco10000000@certportal.example"):
        response = request_by_email(web, address)
        answers.append((response.status_code, sorted(response.headers.items()), response.data))
    assert answers[0] == answers[1] == answers[2] == answers[3]
    assert answers[0][0] == 303 and "Set-Cookie" not in dict(answers[0][1])

    by_recipient = {message["To"]: text_of(message) for message in smtp_server.messages}
    assert UNMAPPED_LOGIN_ID in by_recipient[UNMAPPED_EMAIL]
    several = by_recipient["shared@example.org"]
    assert "must be merged" in several and "/support/cases/new?kind=merge" in several
    assert "CSCO10000001, CSCO10000009" in several
    assert "already mapped" in by_recipient["csco10000000@certportal.example"]
    unknown = by_recipient["nobody@example.org"]
    assert "not on file" in unknown and "By score report" in unknown
    assert "/set-password/" not in several + unknown


def test_an_invalid_email_address_is_refused_beside_the_field(web, smtp_server):
    response = request_by_email(web, "not-an-address")
    assert response.status_code == 422
    assert 'id="email-error">Enter an email address' in response.text
    assert smtp_server.messages == []


def test_already_mapped_account_gets_a_password_reset_and_other_sessions_end(
    web, mail_app, smtp_server, db
):
    other_device = mail_app.test_client()
    assert log_in(other_device).status_code == 303
    request_by_email(web, "csco10000000@certportal.example")
    [message] = smtp_server.messages
    assert "reset your password" in message["Subject"]
    assert "already mapped" in text_of(message)
    path = link_path(message)
    assert "Reset your password" in web.get(path).text

    done = set_password(web, path)
    assert "Your password has been changed." in web.get(done.headers["Location"]).text
    assert other_device.get("/").status_code == 302  # logged out everywhere
    assert log_in(web, "CSCO10000000", "certportal-demo").status_code == 422
    assert log_in(web, "CSCO10000000", NEW_PASSWORD).status_code == 303
    john = candidate("CSCO10000000")
    assert LoginSession.select().where(
        (LoginSession.candidate == john) & LoginSession.revoked_at.is_null()
    ).count() == 1


def test_forgot_password_uses_the_same_link(web, smtp_server):
    page = web.get("/forgot-password")
    assert page.status_code == 200
    response = web.post(
        "/forgot-password",
        data={"email": "wang.mei@certportal.example", "csrf_token": csrf_token_from(page.text)},
    )
    assert response.status_code == 303
    assert GUIDE_CONFIRMATION in web.get(response.headers["Location"]).text
    [message] = smtp_server.messages
    set_password(web, link_path(message))
    assert log_in(web, "CSCO10000001", NEW_PASSWORD).status_code == 303


# --- One-time links ------------------------------------------------------------------------


def test_a_link_works_once(web, smtp_server, db):
    request_by_email(web, UNMAPPED_EMAIL)
    path = link_path(smtp_server.messages[0])
    token = csrf_token_from(web.get(path).text)
    assert set_password(web, path).status_code == 303
    again = web.get(path)
    assert again.status_code == 404 and "This link is not valid" in again.text
    reuse = web.post(path, data={"password": "another long password", "confirm":
                                 "another long password", "csrf_token": token})
    assert reuse.status_code == 404
    assert log_in(web, UNMAPPED_LOGIN_ID, NEW_PASSWORD).status_code == 303


def test_a_newer_password_spends_every_older_link(web, smtp_server):
    request_by_email(web, UNMAPPED_EMAIL)
    request_by_email(web, UNMAPPED_EMAIL)
    first, second = (link_path(message) for message in smtp_server.messages)
    assert set_password(web, second).status_code == 303
    assert web.get(first).status_code == 404


def test_an_expired_link_is_refused(web, db):
    token = mapping.issue_token(candidate(), now=utcnow() - timedelta(hours=24, minutes=1))
    response = web.get(f"/set-password/{token}")
    assert response.status_code == 404 and "This link is not valid" in response.text


def test_a_tampered_link_is_refused(web, smtp_server):
    request_by_email(web, UNMAPPED_EMAIL)
    path = link_path(smtp_server.messages[0])
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    assert web.get(tampered).status_code == 404
    assert web.get("/set-password/x").status_code == 404
    assert web.get(path).status_code == 200


def test_the_token_is_256_bits_and_stored_only_hashed(web, smtp_server, db):
    request_by_email(web, UNMAPPED_EMAIL)
    token = link_path(smtp_server.messages[0]).rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes in URL-safe base64
    stored = EmailToken.get()
    assert stored.token_hash != token and token not in stored.token_hash
    assert stored.token_hash == mapping.hash_token(token)
    assert timedelta(hours=23, minutes=59) < stored.expires_at - stored.created_at <= timedelta(
        hours=24
    )


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short pass", None, "Use at least 12 characters."),
        ("x" * 129, None, "Use at most 128 characters."),
        ("qwerty123456", None, "one of the most common passwords"),
        ("Password1234", None, "one of the most common passwords"),
        (NEW_PASSWORD, "something else entirely", "The two passwords are not the same."),
    ],
)
def test_a_refused_password_changes_nothing_and_keeps_the_link(
    web, smtp_server, db, password, confirm, message
):
    request_by_email(web, UNMAPPED_EMAIL)
    path = link_path(smtp_server.messages[0])
    response = set_password(web, path, password, confirm)
    assert response.status_code == 422
    assert message in response.text
    assert candidate().password_hash is None
    assert set_password(web, path).status_code == 303


def test_no_composition_rules_twelve_lowercase_letters_will_do(web, smtp_server):
    request_by_email(web, UNMAPPED_EMAIL)
    assert set_password(web, link_path(smtp_server.messages[0]), "zebracupboard").status_code == 303


# --- By score report -------------------------------------------------------------------


def test_by_score_report_whole_flow_changes_the_email_on_file(web, smtp_server, db):
    response = request_by_score_report(
        web, "  NUNEZ ", UNMAPPED_REGISTRATION_NUMBER, "ana@new-employer.example"
    )
    assert response.status_code == 303
    assert "An email has been sent to the new email address" in web.get(
        response.headers["Location"]
    ).text

    ana = candidate()
    assert ana.email == "ana@new-employer.example"
    audit = AuditEvent.get(AuditEvent.candidate == ana)
    assert (audit.action, audit.old_value, audit.new_value) == (
        "email_changed_by_score_report", UNMAPPED_EMAIL, "ana@new-employer.example"
    )
    link_message, old_address_notice = smtp_server.messages
    assert link_message["To"] == "ana@new-employer.example"
    # The old address is told where the record went, masked, with a way to report it.
    assert old_address_notice["To"] == UNMAPPED_EMAIL
    assert "changed" in old_address_notice["Subject"]
    notice = text_of(old_address_notice)
    assert "a***@n***.example" in notice and "ana@new-employer.example" not in notice
    assert "http://localhost/support/cases/new?kind=other&login_ids=CSCO10000002" in notice
    assert set_password(web, link_path(link_message)).status_code == 303
    assert log_in(web, "ana@new-employer.example", NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize("typed", ["vue-92000002", "  VUE-92000002  ", "Vue-92000002\t"])
def test_registration_numbers_match_without_case_or_surrounding_spaces(
    web, smtp_server, db, typed
):
    assert UNMAPPED_REGISTRATION_NUMBER == "VUE-92000002"
    response = request_by_score_report(web, "Núñez", typed, "ana@new-employer.example")
    assert response.status_code == 303
    assert candidate().email == "ana@new-employer.example"


def test_registration_number_lookup_uses_the_case_insensitive_index(db):
    from certportal.db import is_sqlite

    query = mapping.ExamResult.select().where(
        mapping.fn.LOWER(mapping.ExamResult.registration_number) == "vue-92000002"
    )
    sql, params = query.sql()
    if is_sqlite():
        plan = " ".join(str(row) for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "exam_result_registration_key" in plan, plan
    else:
        db.execute_sql("SET enable_seqscan = off")
        plan = " ".join(row[0] for row in db.execute_sql(f"EXPLAIN {sql}", params))
        assert "exam_result_registration_key" in plan, plan


def test_last_name_matches_without_case_or_accents_either_way(web, smtp_server, db):
    Candidate.update(last_name="Nunez").where(Candidate.login_id == UNMAPPED_LOGIN_ID).execute()
    response = request_by_score_report(
        web, "núÑez", UNMAPPED_REGISTRATION_NUMBER, UNMAPPED_EMAIL
    )
    assert response.status_code == 303
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    ("last_name", "registration_number"),
    [("Smith", UNMAPPED_REGISTRATION_NUMBER), ("Núñez", "VUE-00000000"), ("Doe", "n7dnt5")],
)
def test_no_match_gives_one_neutral_message_and_changes_nothing(
    web, smtp_server, db, last_name, registration_number
):
    response = request_by_score_report(web, last_name, registration_number, "x@example.org")
    assert response.status_code == 422
    assert NO_MATCH in response.text and 'role="alert"' in response.text
    assert candidate().email == UNMAPPED_EMAIL
    assert AuditEvent.select().count() == 0
    assert smtp_server.messages == [] and OutgoingEmail.select().count() == 0


def test_missing_fields_are_named_beside_each_field(web, smtp_server):
    response = request_by_score_report(web, "", "", "")
    assert response.status_code == 422
    assert 'id="last_name-error">Enter your last name' in response.text
    assert 'id="registration_number-error">Enter the registration number' in response.text
    assert 'id="new_email-error">Enter an email address' in response.text


def test_a_new_email_of_another_candidate_gets_the_neutral_answer_and_changes_nothing(
    web, smtp_server, db
):
    taken = request_by_score_report(
        web, "Núñez", UNMAPPED_REGISTRATION_NUMBER, "Wang.Mei@certportal.example"
    )
    free = request_by_score_report(
        web, "Núñez", UNMAPPED_REGISTRATION_NUMBER, "ana@new-employer.example"
    )
    # Whether an address is another candidate's is not told on the page…
    assert taken.status_code == free.status_code == 303
    assert taken.headers["Location"] == free.headers["Location"]
    assert "another candidate" not in web.get(taken.headers["Location"]).text
    # …but in the email to that address, with the way to merge.
    explained = smtp_server.messages[0]
    assert explained["To"] == "Wang.Mei@certportal.example"
    assert "already on file" in explained["Subject"]
    assert "/support/cases/new?kind=merge" in text_of(explained)
    assert "/set-password/" not in text_of(explained)
    assert AuditEvent.select().where(
        AuditEvent.action == "email_changed_by_score_report"
    ).count() == 1  # only the second, free address moved the record


def _without_csrf(html: str) -> str:
    return re.sub(r'value="[^"]*"|X-CSRFToken(?:&#34;|"): (?:&#34;|")[^&"]*', "", html)


def test_a_mapped_account_cannot_be_taken_over_by_score_report(mail_app, web, smtp_server, db):
    john = candidate("CSCO10000000")
    owner = mail_app.test_client()
    assert log_in(owner).status_code == 303
    attack = request_by_score_report(web, "doe", " 219142598 ", "attacker@evil.example")
    mismatch = request_by_score_report(web, "doe", "000000000", "attacker@evil.example")
    # Exactly the answer of a mismatch, and nothing changed.
    assert attack.status_code == mismatch.status_code == 422
    assert _without_csrf(attack.text) == _without_csrf(mismatch.text)
    assert NO_MATCH in attack.text
    after = candidate("CSCO10000000")
    assert (after.email, after.password_hash) == (john.email, john.password_hash)
    assert EmailToken.select().where(EmailToken.candidate == john).count() == 0
    assert owner.get("/").status_code == 200  # the owner stays logged in
    # The owner hears of the attempt; the attacker's address gets nothing.
    [notice] = smtp_server.messages
    assert notice["To"] == john.email
    assert "someone tried" in notice["Subject"]
    assert "nothing was changed" in text_of(notice)
    assert "attacker@evil.example" not in text_of(notice)


# --- Delivery ------------------------------------------------------------------------------


def test_smtp_down_keeps_the_message_and_send_pending_delivers_it_later(
    app_config, smtp_server
):
    app_config["MAIL_URL"] = unused_smtp_url()
    down = create_app(app_config)
    client = down.test_client()
    response = request_by_email(client, UNMAPPED_EMAIL)
    assert response.status_code == 303
    with down.app_context():
        [kept] = OutgoingEmail.select()
        assert (kept.status, kept.kind) == ("pending", "mapping_set_password")
        assert kept.last_error

    app_config["MAIL_URL"] = smtp_server.url
    up = create_app(app_config)
    assert up.test_cli_runner().invoke(args=["mail", "send-pending"]).exit_code == 0
    [message] = smtp_server.messages
    path = link_path(message)
    web = up.test_client()
    assert set_password(web, path).status_code == 303


# --- Abuse limits --------------------------------------------------------------------------


@pytest.fixture
def limited(app_config, smtp_server):
    app_config.update(
        RATELIMIT_ENABLED=True,
        MAIL_URL=smtp_server.url,
        MAPPING_RATE_LIMIT="6 per minute",
        MAPPING_ADDRESS_RATE_LIMIT="2 per minute",
    )
    return create_app(app_config).test_client()


def test_one_address_is_limited_then_answered_try_again_later(limited, smtp_server):
    assert request_by_email(limited, UNMAPPED_EMAIL).status_code == 303
    assert request_by_email(limited, UNMAPPED_EMAIL.upper()).status_code == 303
    refused = request_by_email(limited, UNMAPPED_EMAIL)
    assert refused.status_code == 429
    assert "try again" in refused.text
    assert len(smtp_server.messages) == 2
    assert request_by_email(limited, "someone.else@example.org").status_code == 303


def test_one_ip_is_limited_across_addresses_and_forms(limited):
    statuses = [request_by_email(limited, f"person{n}@example.org").status_code for n in range(4)]
    statuses += [
        request_by_score_report(limited, "Nobody", "n7dnt508", f"p{n}@example.org").status_code
        for n in range(3)
    ]
    assert statuses[:6] == [303, 303, 303, 303, 422, 422]
    assert statuses[6] == 429


def test_forgot_password_shares_the_allowance_of_an_address(limited, smtp_server):
    assert request_by_email(limited, UNMAPPED_EMAIL).status_code == 303
    assert request_by_email(limited, UNMAPPED_EMAIL).status_code == 303
    token = csrf(limited, "/forgot-password")
    refused = limited.post("/forgot-password", data={"email": UNMAPPED_EMAIL, "csrf_token": token})
    assert refused.status_code == 429
    assert len(smtp_server.messages) == 2


def test_support_cases_are_limited_per_address(limited, smtp_server):
    def open_case():
        return limited.post(
            "/support/cases/new",
            data={"kind": "other", "email": "a@example.org", "description": "Help",
                  "csrf_token": csrf(limited, "/support/cases/new")},
        )

    assert [open_case().status_code for _ in range(3)] == [303, 303, 429]


# --- Support cases --------------------------------------------------------------------


def test_open_a_merge_case_without_logging_in(web, smtp_server, db):
    page = web.get("/support/cases/new?kind=merge&email=a@example.org&login_ids=CSCO1+CSCO2")
    assert page.status_code == 200
    assert 'value="a@example.org"' in page.text and 'value="CSCO1 CSCO2"' in page.text
    response = web.post(
        "/support/cases/new",
        data={
            "kind": "merge",
            "email": "a@example.org",
            "login_ids": "csco1 CSCO2, csco1",
            "description": "Two records share my address; please merge them.",
            "csrf_token": csrf_token_from(page.text),
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/support"
    from certportal.models import SupportCase

    case = SupportCase.get(SupportCase.contact_email == "a@example.org")
    assert (case.kind, case.login_ids, case.contact_email, case.candidate) == (
        "merge", "CSCO1, CSCO2", "a@example.org", None
    )
    assert re.fullmatch(r"SC-[0-9A-Z]{10}", case.case_number)
    assert f"Your support case {case.case_number} has been opened" in web.get("/support").text
    [ack] = smtp_server.messages
    assert ack["To"] == "a@example.org" and case.case_number in ack["Subject"]
    assert "Two records share my address" not in text_of(ack)


def test_a_case_needs_an_address_and_a_description(web, smtp_server, db):
    token = csrf(web, "/support/cases/new")
    response = web.post(
        "/support/cases/new",
        data={"kind": "other", "email": "nope", "description": " ", "csrf_token": token},
    )
    assert response.status_code == 422
    assert 'id="email-error">Enter an email address' in response.text
    assert 'id="description-error">Describe what you need' in response.text
    from certportal.models import SupportCase

    assert not SupportCase.select().where(SupportCase.contact_email == "nope").exists()
    assert smtp_server.messages == []


def test_a_signed_in_candidate_gets_the_form_filled_in_and_the_case_linked(
    candidate_client, db
):
    page = candidate_client.get("/support/cases/new")
    assert 'value="CSCO10000000"' in page.text
    assert 'value="csco10000000@certportal.example"' in page.text
    candidate_client.post(
        "/support/cases/new",
        data={"kind": "other", "email": "csco10000000@certportal.example",
              "login_ids": "CSCO10000000", "description": "My CCIE number is missing.",
              "csrf_token": csrf_token_from(page.text)},
    )
    from certportal.models import SupportCase

    case = SupportCase.get(SupportCase.description == "My CCIE number is missing.")
    assert case.candidate.login_id == "CSCO10000000"


# --- Development outbox --------------------------------------------------------------------


def test_the_outbox_lists_messages_in_development_with_clickable_links(app_config):
    app_config["DEVELOPMENT"] = True
    client = create_app(app_config).test_client()
    request_by_email(client, UNMAPPED_EMAIL)
    listing = client.get("/dev/outbox/")
    assert listing.status_code == 200
    assert UNMAPPED_EMAIL in listing.text and "set your password" in listing.text
    href = re.search(r'href="(/dev/outbox/\d+)"', listing.text).group(1)
    message = client.get(href).text
    link = re.search(r'<a href="(http://localhost/set-password/[^"]+)"', message).group(1)
    assert client.get(urlsplit(link).path).status_code == 200


def test_the_outbox_does_not_exist_in_production(client):
    assert client.get("/dev/outbox/").status_code == 404
