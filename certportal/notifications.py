"""Every message the portal sends, one function each: its subject, plain text and HTML.

Nothing else composes mail. A domain function whose change must be reported takes the
message as `notify` and calls it inside its own transaction, e.g.
`accounts.change_password(…, notify=notifications.password_changed)`: the message exists
exactly when the change does. Each function queues its message in the outbox
(`certportal.mail`), which delivers it after the response. Links in messages are absolute,
on BASE_URL. Templates: templates/email/<message>.txt and .html.
"""

from dataclasses import dataclass

from flask import current_app, has_app_context, render_template

from certportal.domain import accounts, kits, mapping, support
from certportal.domain import transcripts as transcript_rules
from certportal.domain.planner import deadline_text
from certportal.formatting import guide_date, long_date, money
from certportal.mail import queue_email, queue_emails
from certportal.models import utcnow
from certportal.web.navigation import absolute_section_url, absolute_url, public_transcript_url


def where_renderable(message):
    """`message` when it can be rendered now (inside the application), else None: outside it
    (scripts, the test seed) the domain records what happened, to announce it later."""
    return message if has_app_context() else None


def _program() -> str:
    return current_app.config["PROGRAM_NAME"]


def _system() -> str:
    return f"{_program()} Certification Tracking System"


def _queue_rendered(template: str, *, kind: str, to: str, subject: str, candidate=None,
                    **context) -> int:
    """Queue email/<template>.txt and .html rendered with `context` (and `candidate`);
    returns the queued message's id."""
    context.setdefault("program_name", _program())
    context["candidate"] = candidate
    return queue_email(
        kind=kind,
        to=to,
        subject=subject,
        text=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", **context),
        candidate=candidate,
    ).id


def _report_url(login_ids) -> str:
    """Where the owner of an account reports something they did not do."""
    return absolute_url("support.new_case", kind="other", login_ids=" ".join(login_ids))


# --- Account mapping and passwords ---------------------------------------------------------

MAPPING_SUBJECTS = {
    mapping.ONE_UNMAPPED: "set your password",
    mapping.ONE_MAPPED: "reset your password",
    mapping.NOT_ON_FILE: "your login request",
    mapping.SEVERAL: "your accounts must be merged",
    mapping.ADDRESS_TAKEN: "this email address is already on file",
    mapping.EMAIL_MOVED: "the email address on file was changed",
    mapping.MAPPING_REFUSED: "someone tried to map your account",
}


def mapping_notice(notice: mapping.MappingNotice) -> None:
    """Tell the owner of an address what their First Time Login or Forgot password request
    found: a one-time link, guidance, a merge case, or a warning."""
    context = {
        "notice": notice,
        "link": absolute_url("auth.set_password", token=notice.token) if notice.token else "",
        "lifetime_hours": int(mapping.TOKEN_LIFETIME.total_seconds() // 3600),
        "first_time_login_url": absolute_url("auth.first_time_login"),
        "support_case_url": absolute_url(
            "support.new_case", kind="merge", email=notice.to, login_ids=" ".join(notice.login_ids)
        ),
        "report_url": _report_url(notice.login_ids),
        "login_url": absolute_url("auth.login"),
        "forgot_password_url": absolute_url("auth.forgot_password"),
    }
    if notice.kind == mapping.EMAIL_MOVED:
        context["masked_address"] = mapping.mask_email(notice.candidate.email)
    _queue_rendered(
        notice.kind,
        kind=f"mapping_{notice.kind}",
        to=notice.to,
        subject=f"{_system()}: {MAPPING_SUBJECTS[notice.kind]}",
        candidate=notice.candidate,
        **context,
    )


def password_changed(candidate, how: str) -> None:
    """Tell the address on file that the password changed, whoever changed it; `how` is one
    of accounts.PASSWORD_SET, PASSWORD_RESET, PASSWORD_CHANGED."""
    verb = "set" if how == accounts.PASSWORD_SET else "changed"
    _queue_rendered(
        "password_changed",
        kind=how,
        to=candidate.email,
        subject=f"{_system()}: your password was {verb}",
        candidate=candidate,
        how=how,
        when=f"{utcnow():%Y-%m-%d %H:%M}",
        forgot_password_url=absolute_url("auth.forgot_password"),
        report_url=_report_url((candidate.login_id,)),
    )


# --- Support cases -------------------------------------------------------------------------


def support_case_opened(case) -> None:
    """Acknowledge a support case. Anyone can open one for any address, so the message
    carries nothing the visitor typed (description, login IDs): the case number and fixed
    text only."""
    _queue_rendered(
        "support_case_opened",
        kind="support_case_opened",
        to=case.contact_email,
        subject=f"Support case {case.case_number} received",
        candidate=case.candidate,
        case_number=case.case_number,
        kind_label=support.KINDS[case.kind],
    )


def case_reply(case, message) -> None:
    """A staff member's reply to the person who opened a case; the case number in the
    subject keeps the conversation one thread in their mailbox."""
    _queue_rendered(
        "case_reply",
        kind="case_reply",
        to=message.to_address or case.contact_email,
        subject=f"Re: Support case {case.case_number}",
        candidate=case.candidate,
        case_number=case.case_number,
        body=message.body,
    )


# --- What staff did to an account ----------------------------------------------------------


def email_corrected(candidate, old_email: str) -> None:
    """Staff put a new address on file: tell the old one (never move an account silently),
    with the new address masked and a way to report it."""
    _queue_rendered(
        "email_corrected",
        kind="email_corrected",
        to=old_email,
        subject=f"{_system()}: the email address on file was changed",
        candidate=candidate,
        masked_address=mapping.mask_email(candidate.email),
        report_url=_report_url((candidate.login_id,)),
    )


def records_merged(survivor, retired) -> None:
    """Two records of the candidate became one; both login IDs now open it."""
    _queue_rendered(
        "records_merged",
        kind="records_merged",
        to=survivor.email,
        subject=f"{_system()}: your records were merged",
        candidate=survivor,
        retired_login_id=retired.login_id,
        login_url=absolute_url("auth.login"),
    )


def certification_granted(candidate, held) -> None:
    _queue_rendered(
        "certification_granted",
        kind="certification_granted",
        to=candidate.email,
        subject=f"{_system()}: {held.certification.display_name} was granted",
        candidate=candidate,
        certification=held.certification,
        held=held,
        certifications_url=absolute_url("certifications.index"),
    )


def certification_revoked(candidate, held) -> None:
    _queue_rendered(
        "certification_revoked",
        kind="certification_revoked",
        to=candidate.email,
        subject=f"{_system()}: {held.certification.display_name} was revoked",
        candidate=candidate,
        certification=held.certification,
        reason=held.revocation_reason,
        support_url=absolute_url("support.new_case", kind="other",
                                 login_ids=candidate.login_id),
    )


# --- Transcripts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def transcript_email(program_name: str, transcript, link: str) -> Message:
    """The guide's sample email; Preview Email and Send both show this one message.

    It goes to any address the candidate types, so it carries no words of the candidate's
    (description, remarks): only the name on record, the link and the expiry date.
    """
    name = transcript_rules.shown_name(transcript.candidate, transcript.name_form)
    text = (
        f"This email was sent because we received a request to have transcript information "
        f"for {name} emailed to you.\n"
        f"\n"
        f"Please click the following link to view transcript\n"
        f"{link}\n"
        f"\n"
        f"This transcript currently expires on {long_date(transcript.expires_on)}.\n"
    )
    return Message(subject=f"{program_name} - Transcript for {name}", text=text)


def transcript_preview(transcript) -> Message:
    return transcript_email(_program(), transcript, public_transcript_url(transcript))


def transcript_shared(candidate, transcript, to: str) -> None:
    """Send a transcript's link to the one address its owner typed."""
    message = transcript_preview(transcript)
    queue_email(kind=transcript_rules.EMAIL_KIND, to=to, subject=message.subject,
                text=message.text, candidate=candidate)


# --- Certificates & Plaques ----------------------------------------------------------------


def congratulations(candidate, earning, items) -> None:
    """The candidate earned (or recertified, when its kits come again) a certification:
    how to claim the initial kit. `items` are the kits it brings at their initial price."""
    held = earning.held
    certification = held.certification
    recertified = earning.kind == "recertified"
    _queue_rendered(
        "congratulations",
        kind="congratulations",
        to=candidate.email,
        subject=(
            f"Congratulations on recertifying {certification.display_name}" if recertified
            else f"Congratulations on your {certification.display_name} certification"
        ),
        candidate=candidate,
        certification=certification,
        held=held,
        recertified=recertified,
        kits=[(item.name, money(item.initial_price_cents, item.currency)) for item in items],
        free=all(item.initial_price_cents == 0 for item in items),
        login_url=absolute_url("auth.login"),
        first_time_login_url=absolute_url("auth.first_time_login"),
        mapped=candidate.password_hash is not None,
    )


def order_confirmation(order) -> None:
    """The confirmation screen's content by email, with the receipt: what was ordered, at
    what price, how it was paid, and where it goes."""
    lines = kits.lines_of(order)
    _queue_rendered(
        "order_confirmation",
        kind="order_confirmation",
        to=order.candidate.email,
        subject=f"{_program()} order {order.reference}: "
                + ("claim submitted" if order.total_cents == 0 else "receipt"),
        candidate=order.candidate,
        order=order,
        lines=lines,
        ship_to=order.ship_to,
        order_url=absolute_url("kits.order", reference=order.reference),
        history_url=absolute_section_url("certificates-plaques"),
    )


def _kit_line_message(template: str, subject: str, line) -> None:
    _queue_rendered(
        template,
        kind=template,
        to=line.candidate.email,
        subject=subject,
        candidate=line.candidate,
        line=line,
        kit_name=kits.history_name(line),
        history_url=absolute_section_url("certificates-plaques"),
    )


def kit_sent(line) -> None:
    """A printed kit went out, with its tracking number."""
    _kit_line_message("kit_sent", f"Your {kits.history_name(line)} is on its way", line)


def kit_cancelled(line, refunded_cents: int) -> None:
    """Staff cancelled a printed kit before it was sent; what was paid for it is refunded."""
    _queue_rendered(
        "kit_cancelled",
        kind="kit_cancelled",
        to=line.candidate.email,
        subject=f"Your {kits.history_name(line)} was cancelled",
        candidate=line.candidate,
        line=line,
        kit_name=kits.history_name(line),
        refund=money(refunded_cents, line.currency) if refunded_cents else "",
        history_url=absolute_section_url("certificates-plaques"),
    )


def kit_complete(line) -> None:
    """A printed kit's fulfillment is complete."""
    _kit_line_message("kit_complete",
                      f"Your {kits.history_name(line)}: fulfillment complete", line)

# --- Keeping certifications ----------------------------------------------------------------


def expiry_reminders(reminders) -> list[int]:
    """Expiry reminders (domain/reminders.DueReminder), each with its certification's plan,
    queued with one INSERT; returns their ids in the same order. Candidates can turn these
    off in Settings, unlike service messages.

    A catch-up run queues a hundred thousand: the templates are looked up and the context
    processors run once for all, as render_template would for each, and each certification's
    link is built once.
    """
    app = current_app._get_current_object()
    shared = {"settings_url": absolute_url("personal.settings")}
    app.update_template_context(shared)
    shared.setdefault("program_name", _program())
    text_template = app.jinja_env.get_template("email/expiry_reminder.txt")
    html_template = app.jinja_env.get_template("email/expiry_reminder.html")
    system = _system()
    certification_urls: dict[str, str] = {}
    messages = []
    for reminder in reminders:
        if reminder.days_before == 0:
            when = subject_when = "today"
        else:
            when = f"on {deadline_text(reminder.expires_on, reminder.today)}"
            subject_when = f"on {guide_date(reminder.expires_on)}"
        if reminder.code not in certification_urls:
            certification_urls[reminder.code] = absolute_url(
                "certifications.detail", code=reminder.code
            )
        context = {
            **shared,
            "candidate": reminder.candidate_id,
            "reminder": reminder,
            "when": when,
            "certification_url": certification_urls[reminder.code],
        }
        messages.append(
            {
                "kind": "expiry_reminder",
                "to": reminder.email,
                "subject": f"{system}: {reminder.name} expires {subject_when}",
                "text": text_template.render(context),
                "html": html_template.render(context),
                "candidate": reminder.candidate_id,
            }
        )
    return queue_emails(messages)


def ce_submission_reviewed(outcome) -> int:
    """The staff decision on a self-submitted CE activity (domain/ce_submissions.ReviewOutcome):
    the points awarded and what they recertified, or the reason it was rejected."""
    credit = outcome.credit
    candidate = credit.candidate
    decision = "approved" if outcome.approved else "not approved"
    return _queue_rendered(
        "ce_submission_reviewed",
        kind="ce_submission_reviewed",
        to=candidate.email,
        subject=f"{_system()}: your CE activity was {decision}",
        candidate=candidate,
        outcome=outcome,
        credit=credit,
        activities_url=absolute_url("history.ce_activities"),
    )
