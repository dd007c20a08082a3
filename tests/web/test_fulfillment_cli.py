"""flask --app app fulfillment list|mark-sent|mark-complete: staff move kits along, and the
candidate is told by email each time."""

from certportal.domain import kits
from certportal.models import Candidate, OrderLine, OutgoingEmail


def run(app, *args):
    return app.test_cli_runner().invoke(args=["fulfillment", *args])


def johns_queued_plaque() -> OrderLine:
    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    return OrderLine.get((OrderLine.candidate == john) & (OrderLine.status == "queued"))


def test_list_shows_the_kits_waiting_to_be_sent(app, db):
    line = johns_queued_plaque()
    result = run(app, "list")
    assert result.exit_code == 0, result.output
    assert f"{line.verification_code}  {line.queued_on:%Y-%m-%d}  " \
           "CCIE Enterprise Infrastructure (Plaque)  CSCO10000000" in result.output


def test_mark_sent_records_the_tracking_number_and_emails_the_candidate(app, db):
    line = johns_queued_plaque()
    code = line.verification_code.lower()
    result = run(app, "mark-sent", f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}",
                 "--tracking", "1Z 999 AA1 01234 5678 4")
    assert result.exit_code == 0, result.output
    assert "marked sent" in result.output and "tracking 1Z 999 AA1 01234 5678 4" in result.output
    sent = OrderLine.get_by_id(line.id)
    assert (sent.status, sent.tracking_number) == ("sent", "1Z 999 AA1 01234 5678 4")
    message = OutgoingEmail.get(OutgoingEmail.kind == "kit_sent")
    assert message.to_address == "csco10000000@certportal.example"
    assert message.subject == "Your CCIE Enterprise Infrastructure (Plaque) is on its way"
    assert "Tracking number: 1Z 999 AA1 01234 5678 4" in message.body_text
    assert "http://localhost/" in message.body_text

    again = run(app, "mark-sent", line.verification_code, "--tracking", "1Z999")
    assert again.exit_code != 0
    assert "This kit is sent: only a queued kit can be marked sent." in again.output
    assert OutgoingEmail.select().where(OutgoingEmail.kind == "kit_sent").count() == 1

    done = run(app, "mark-complete", line.verification_code)
    assert done.exit_code == 0, done.output
    assert OrderLine.get_by_id(line.id).status == "complete"
    assert OutgoingEmail.select().where(OutgoingEmail.kind == "kit_complete").count() == 1


def test_bad_input_changes_nothing_and_says_why(app, db):
    line = johns_queued_plaque()
    for args, message in (
        (["mark-sent", "0000-0000-0000-0000", "--tracking", "1Z999"], "No kit has"),
        (["mark-sent", "nope", "--tracking", "1Z999"], "16 letters and digits"),
        (["mark-sent", line.verification_code, "--tracking", "<b>"], "tracking number has"),
        (["mark-complete", line.verification_code], "only a sent kit"),
    ):
        result = run(app, *args)
        assert result.exit_code != 0
        assert message in result.output
        assert "Traceback" not in result.output
    assert OrderLine.get_by_id(line.id).status == "queued"
    assert not OutgoingEmail.select().where(OutgoingEmail.kind.startswith("kit_")).exists()
    missing = run(app, "mark-sent", line.verification_code)
    assert missing.exit_code != 0 and "--tracking" in missing.output
    assert kits.queued_lines()[0].id == line.id
