"""Expiry reminders: each window once, overlapping runs, catch-up, opt-out, recertification."""

import threading
from datetime import date, timedelta

import pytest

from certportal.db import database
from certportal.domain import reminders
from certportal.domain.certifications import recompute, revoke_certification
from certportal.domain.lifecycle import add_months
from certportal.models import (
    Candidate,
    CandidateCertification,
    Exam,
    ExamResult,
    ExpiryReminder,
    OutgoingEmail,
)
from tests import factories

MEI = "CSCO10000001"


def candidate(login_id=MEI):
    return Candidate.get(Candidate.login_id == login_id)


def held(login_id=MEI, code="CCNA"):
    return factories.held(code, login_id)


def run(app, day: date, *extra):
    result = app.test_cli_runner().invoke(
        args=["reminders", "send", "--today", day.isoformat(), *extra]
    )
    assert result.exit_code == 0, result.output
    return result.output


def reminder_emails(login_id=MEI):
    return list(
        OutgoingEmail.select()
        .where(
            (OutgoingEmail.candidate == candidate(login_id))
            & (OutgoingEmail.kind == "expiry_reminder")
        )
        .order_by(OutgoingEmail.id)
    )


def windows_recorded(login_id=MEI, code="CCNA"):
    """The windows recorded for a certification, smallest first."""
    return sorted(r.days_before for r in ExpiryReminder.select().where(
        ExpiryReminder.candidate_certification == held(login_id, code)))


def test_due_window_is_the_most_recent_one_passed():
    assert reminders.due_window(181) is None
    assert reminders.due_window(180) == 180
    assert reminders.due_window(91) == 180
    assert reminders.due_window(90) == 90
    assert reminders.due_window(31) == 90
    assert reminders.due_window(30) == 30
    assert reminders.due_window(8) == 30
    assert reminders.due_window(7) == 7
    assert reminders.due_window(1) == 7
    assert reminders.due_window(0) == 0
    assert reminders.due_window(-1) is None


def test_each_window_is_sent_once_with_the_plan(app, db):
    expires = held().expires_on
    sent_days = []
    for days_before in range(181, -2, -1):
        day = expires - timedelta(days=days_before)
        before = len(reminder_emails())
        run(app, day)
        run(app, day)  # the same day again sends nothing more
        if len(reminder_emails()) > before:
            sent_days.append(days_before)
    assert sent_days == [180, 90, 30, 7, 0]
    emails = reminder_emails()
    assert len(emails) == 5
    assert emails[0].to_address == "wang.mei@certportal.example"
    assert emails[0].subject == (
        f"Cisco Certification Tracking System: CCNA (CCNA) expires on "
        f"{expires:%Y}-{expires:%b}-{expires:%d}"
    )
    assert "(in 180 days)" in emails[0].body_text or "(in 5 months)" in emails[0].body_text
    assert "Pass one of these exams (200-301, 350-401" in emails[0].body_text
    assert "or earn 30 CE credits; you have 0; 30 more by" in emails[0].body_text
    assert "http://localhost/certifications/CCNA" in emails[0].body_text
    assert "http://localhost/personal-info/settings" in emails[0].body_text
    assert emails[-1].subject.endswith("CCNA (CCNA) expires today")
    rows = list(ExpiryReminder.select().where(ExpiryReminder.candidate_certification == held()))
    assert sorted(r.days_before for r in rows) == [0, 7, 30, 90, 180]
    assert {r.outgoing_email_id for r in rows} == {e.id for e in emails}


def test_missed_days_send_only_the_most_recent_reminder(app, db):
    expires = held().expires_on
    output = run(app, expires - timedelta(days=85))
    assert "1 sent" in output or reminder_emails()
    assert windows_recorded() == [90]
    run(app, expires - timedelta(days=20))
    # Going back in time never sends an older window once a later one was sent.
    run(app, expires - timedelta(days=100))
    run(app, expires - timedelta(days=170))
    assert windows_recorded() == [30, 90]
    assert len(reminder_emails()) == 2
    # After the expiry day nothing is sent: the certification has expired.
    run(app, expires + timedelta(days=1))
    assert len(reminder_emails()) == 2


def test_a_skipped_window_is_not_sent_later(app, db):
    """180 days before, then 20 days before (the 90-day reminder missed): a run dated in
    between afterwards does not send the 90-day one, which is older than the 30-day one."""
    expires = held().expires_on
    run(app, expires - timedelta(days=180))
    run(app, expires - timedelta(days=20))
    run(app, expires - timedelta(days=85))
    assert windows_recorded() == [30, 180]
    assert len(reminder_emails()) == 2


def test_a_run_that_loses_the_race_sends_nothing(app, db, monkeypatch):
    """Another run recorded the reminder after this one read: its insert is ignored, and the
    run says so among the others it sent."""
    from certportal import notifications

    ccie = held(factories.JOHN, "CCIE-EI")  # the first to expire that day
    day = held().expires_on - timedelta(days=180)
    ExpiryReminder.create(candidate_certification=ccie, expires_on=ccie.expires_on,
                          days_before=reminders.due_window((ccie.expires_on - day).days),
                          sent_on=day, run_token="another-run")
    monkeypatch.setattr(reminders, "_recorded", lambda rows: {})
    with app.test_request_context("/", base_url="http://localhost"):
        outcome = reminders.send_due_reminders(day, notifications.expiry_reminders, batch=1)
    recorded = ExpiryReminder.select().where(ExpiryReminder.candidate_certification == ccie)
    assert recorded.count() == 1
    assert not OutgoingEmail.select().where(
        (OutgoingEmail.candidate == ccie.candidate_id) & OutgoingEmail.subject.contains("CCIE")
    ).exists()
    assert outcome.already_sent == 1
    assert outcome.sent == outcome.considered - 1 == len(outcome.email_ids) >= 3
    assert len(reminder_emails()) == 1


def test_overlapping_runs_send_each_reminder_once(app, db):
    expires = held().expires_on
    day = expires - timedelta(days=7)
    from certportal import notifications

    errors = []
    barrier = threading.Barrier(4)

    def one_run():
        try:
            with app.test_request_context("/", base_url="http://localhost"):
                barrier.wait()
                reminders.send_due_reminders(day, notifications.expiry_reminders, batch=1)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            if not database.is_closed():
                database.close()

    threads = [threading.Thread(target=one_run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(reminder_emails()) == 1
    # Every certification due that day got exactly one reminder.
    per_held = {}
    for reminder in ExpiryReminder.select():
        key = (reminder.candidate_certification_id, reminder.expires_on, reminder.days_before)
        per_held[key] = per_held.get(key, 0) + 1
    assert set(per_held.values()) == {1}
    assert OutgoingEmail.select().where(OutgoingEmail.kind == "expiry_reminder").count() == len(
        per_held
    )


def test_turned_off_in_settings_sends_none(app, db):
    Candidate.update(expiry_reminders=False).where(Candidate.login_id == MEI).execute()
    expires = held().expires_on
    output = run(app, expires - timedelta(days=30))
    # Two other candidates' certifications are due that day too.
    assert output == (
        f"Expiry reminders for {expires - timedelta(days=30):%Y-%m-%d}: 2 sent, 0 already sent,"
        " 1 turned off by the candidate, 3 certification(s) expiring within 180 days.\n"
    )
    assert reminder_emails() == []
    # Turned on again: the reminder due now is sent.
    Candidate.update(expiry_reminders=True).where(Candidate.login_id == MEI).execute()
    run(app, expires - timedelta(days=29))
    assert len(reminder_emails()) == 1


def test_service_emails_are_sent_whatever_the_reminder_answer(client, db):
    from tests.conftest import csrf_token_from

    Candidate.update(expiry_reminders=False).where(Candidate.login_id == MEI).execute()
    token = csrf_token_from(client.get("/forgot-password").text)
    client.post("/forgot-password",
                data={"email": "wang.mei@certportal.example", "csrf_token": token})
    assert OutgoingEmail.select().where(
        OutgoingEmail.to_address == "wang.mei@certportal.example").count() == 1


def test_recertifying_stops_the_reminders_of_the_old_cycle(app, db):
    expires = held().expires_on
    run(app, expires - timedelta(days=90))
    assert len(reminder_emails()) == 1
    pending = reminder_emails()[0]
    # Recertified by exam 60 days before the expiry.
    day = expires - timedelta(days=60)
    ExamResult.create(candidate=candidate(), exam=Exam.get(Exam.code == "350-401"),
                      registration_number="VUE-RECERT-1", grade="Pass", taken_on=day,
                      expires_on=add_months(day, 36))
    recompute(candidate(), day)
    assert held().expires_on == add_months(expires, 36)
    # The queued reminder of the old cycle was withdrawn (the engine's reaction), once.
    assert OutgoingEmail.get_by_id(pending.id).status == "withdrawn"
    assert OutgoingEmail.get_by_id(pending.id).last_error == "The reminder no longer applies."
    assert reminders.cancel_stale_reminders([held().id]) == 0
    for days_before in (30, 7, 0):
        run(app, expires - timedelta(days=days_before))
    assert len(reminder_emails()) == 1


def test_withdrawing_leaves_current_reminders_and_other_mail_alone(app, db):
    """Only a reminder of a cycle that no longer applies is withdrawn: the current cycle's,
    and every other queued email (another candidate's reminder, a service email), stay."""
    from certportal.mail import queue_email

    day = held(MEI).expires_on - timedelta(days=180)
    run(app, day)
    queue_email(kind="test", to="someone@example.org", subject="Hello", text="Body")
    pending_before = {e.id for e in OutgoingEmail.select().where(OutgoingEmail.status == "pending")}
    assert len(pending_before) >= 4
    assert reminders.cancel_stale_reminders([held().id]) == 0
    # John's CCIE-EI recertified: only its reminder goes.
    ccie = held(factories.JOHN, "CCIE-EI")
    (ccie_email,) = [r.outgoing_email_id for r in ExpiryReminder.select().where(
        ExpiryReminder.candidate_certification == ccie)]
    CandidateCertification.update(expires_on=add_months(ccie.expires_on, 36)).where(
        CandidateCertification.id == ccie.id).execute()
    assert reminders.cancel_stale_reminders([ccie.id, held().id]) == 1
    pending_after = {e.id for e in OutgoingEmail.select().where(OutgoingEmail.status == "pending")}
    assert pending_after == pending_before - {ccie_email}


def test_a_revoked_or_expired_certification_gets_no_reminder(app, db):
    expires = held().expires_on
    CandidateCertification.update(status="revoked").where(
        CandidateCertification.id == held().id).execute()
    run(app, expires - timedelta(days=7))
    assert reminder_emails() == []


def test_bad_today_is_refused_with_a_message(app):
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--today", "2026-13-01"])
    assert result.exit_code != 0
    assert "YYYY-MM-DD" in result.output or "does not match" in result.output


@pytest.mark.parametrize("batch", [1, 2, 500])
def test_batches_cover_every_due_certification_once(app, db, batch):
    """Keyset batches: every active certification expiring within 180 days is read once, in
    expiry order, however the batch boundaries fall (two of them expire the same day)."""
    day = held(MEI).expires_on - timedelta(days=180)
    in_window = CandidateCertification.select().where(
        (CandidateCertification.status == "active")
        & CandidateCertification.expires_on.between(day, day + timedelta(days=180))
    )
    # The oldest row expires last, so reading in row order would differ from expiry order.
    CandidateCertification.update(expires_on=day + timedelta(days=180)).where(
        CandidateCertification.id == min(h.id for h in in_window)
    ).execute()
    batches = list(reminders.expiring_batches(day, batch))
    seen = [row[0] for rows in batches for row in rows]
    by_expiry = in_window.order_by(CandidateCertification.expires_on, CandidateCertification.id)
    expected = [h.id for h in by_expiry]
    assert len(expected) >= 4
    assert seen == expected
    assert max(len(rows) for rows in batches) <= batch


SETTINGS = {
    "is_employee": "no",
    "is_partner": "no",
    "email_notifications": "yes",
    "is_netacad_student": "yes",
    "verification_consent": "yes",
}


def post_settings(client, answers):
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/personal-info/settings").text)
    return client.post("/personal-info/settings", data={**answers, "csrf_token": token})


def test_settings_ask_a_sixth_optional_question_on_by_default(candidate_client, db):
    page = candidate_client.get("/personal-info/settings").text
    assert "<legend>Expiry reminders</legend>" in page
    assert 'checked id="expiry_reminders-0"' in page  # Yes, the default
    assert page.count("Required *") == 5
    # Left out, the five still confirm and the answer stays on.
    assert post_settings(candidate_client, SETTINGS).status_code == 303
    assert candidate("CSCO10000000").expiry_reminders is True
    turned_off = post_settings(candidate_client, {**SETTINGS, "expiry_reminders": "no"})
    assert turned_off.status_code == 303
    assert candidate("CSCO10000000").expiry_reminders is False
    assert 'checked id="expiry_reminders-1"' in candidate_client.get("/personal-info/settings").text


def test_settings_refuse_a_reminder_answer_other_than_yes_or_no(candidate_client, db):
    response = post_settings(candidate_client, {**SETTINGS, "expiry_reminders": "sometimes"})
    assert response.status_code == 422
    assert 'id="expiry_reminders-error">Choose Yes or No.</p>' in response.text
    assert candidate("CSCO10000000").expiry_reminders is True


def test_recompute_withdraws_the_old_cycles_queued_reminder_by_itself(app, db):
    """The engine's reaction: recertifying withdraws a reminder not delivered yet."""
    expires = held().expires_on
    run(app, expires - timedelta(days=30))
    (pending,) = reminder_emails()
    day = expires - timedelta(days=20)
    ExamResult.create(candidate=candidate(), exam=Exam.get(Exam.code == "200-301"),
                      registration_number="VUE-RECERT-2", grade="Pass", taken_on=day,
                      expires_on=add_months(day, 36))
    recompute(candidate(), day)
    assert OutgoingEmail.get_by_id(pending.id).status == "withdrawn"
    # A recompute that changes nothing leaves everything as it is.
    recompute(candidate(), day)
    assert OutgoingEmail.get_by_id(pending.id).status == "withdrawn"


def test_revoking_withdraws_the_queued_reminder(app, db):
    """A revoked certification has no cycle left to keep: its undelivered reminder goes."""
    expires = held().expires_on
    run(app, expires - timedelta(days=30))
    (pending,) = reminder_emails()
    revoke_certification(held(), reason="Exam misconduct")
    assert OutgoingEmail.get_by_id(pending.id).status == "withdrawn"


def test_one_run_gives_each_reminder_its_own_email_and_plan(app, db):
    """Due certifications of several candidates, two of them one candidate's, are sent in one
    batch: every reminder is linked to the email that names its certification, goes to its
    candidate and carries the plan the certification's page shows."""
    from certportal.domain.planner import plans_for

    day = held(factories.JOHN, "CCIE-EI").expires_on - timedelta(days=7)
    run(app, day)
    reminders_sent = list(ExpiryReminder.select().order_by(ExpiryReminder.id))
    owners = {(r.candidate_certification.candidate.login_id,
               r.candidate_certification.certification.code) for r in reminders_sent}
    assert {(factories.JOHN, "CCIE-EI"), (factories.JOHN, "SPEC-ENCOR"), (MEI, "CCNA")} <= owners
    assert len(reminders_sent) == len(owners)
    for reminder in reminders_sent:
        held_row = reminder.candidate_certification
        owner, code = held_row.candidate, held_row.certification.code
        email = OutgoingEmail.get_by_id(reminder.outgoing_email_id)
        assert email.candidate_id == owner.id
        assert email.to_address == owner.email
        assert f"{held_row.certification.display_name} expires on" in email.subject
        assert f"{held_row.expires_on:%Y}-{held_row.expires_on:%b}" in email.subject
        assert email.body_text.startswith(f"Hello {owner.first_name},")
        assert f"http://localhost/certifications/{code}\n" in email.body_text
        plan = plans_for(owner.id, day)[code]
        assert f"To keep it: {plan.summary}" in " ".join(email.body_text.split())
        assert reminder.days_before == reminders.due_window((held_row.expires_on - day).days)
    # Again the same day, in batches of one: each is known as sent, none is sent again.
    from certportal import notifications

    with app.test_request_context("/", base_url="http://localhost"):
        again = reminders.send_due_reminders(day, notifications.expiry_reminders, batch=1)
    assert (again.sent, again.already_sent) == (0, len(reminders_sent))


def test_a_batchs_facts_are_read_through_each_candidates_index(db):
    """The facts of a batch of candidates are read through the candidate indexes, never a
    scan of every candidate's rows (an hour's difference on a million candidates)."""
    from certportal.db import is_sqlite
    from certportal.domain.certifications import load_facts

    if not is_sqlite():
        pytest.skip("EXPLAIN QUERY PLAN output checked here is SQLite's")
    statements = []
    connection = database.connection()
    connection.set_trace_callback(statements.append)
    try:
        # A batch's worth of ids: with a few, SQLite picks the candidate index anyway.
        load_facts(sorted({candidate(MEI).id, *range(1, reminders.BATCH)}))
    finally:
        connection.set_trace_callback(None)
    per_candidate = [sql for sql in statements if "candidate_id" in sql]
    assert len(per_candidate) == 3  # exam passes, CE credits, grants
    for sql in per_candidate:
        plan = " ".join(str(row[-1]) for row in database.execute_sql(f"EXPLAIN QUERY PLAN {sql}"))
        assert "USING INDEX" in plan and "(candidate_id=?)" in plan, (sql, plan)
        assert "SCAN" not in plan, (sql, plan)
