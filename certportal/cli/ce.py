"""flask --app app ce pending|approve|reject: staff review of self-submitted CE activities.

The same domain rule as the staff console's review page (domain/ce_submissions.review), so a
program can review from the command line too; the candidate is emailed either way.
"""

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from certportal.db import database

group = AppGroup("ce", help="Self-submitted CE activities awaiting review.")


@group.command("pending")
def ce_pending():
    """List the submissions waiting for review, oldest first, with their evidence files."""
    from certportal.domain import ce_submissions

    with database.connection_context():
        rows = list(ce_submissions.pending_submissions())
        for credit in rows:
            folder = current_app.config["UPLOAD_DIR"]
            files = ", ".join(
                f"{stored.original_name} ({ce_submissions.evidence_path(folder, stored)})"
                for stored in credit.evidence
            )
            click.echo(
                f"{credit.id}\t{credit.candidate.login_id}\t{credit.active_on:%Y-%m-%d}\t"
                f"{credit.points_claimed} points\t{credit.name} ({credit.provider_name})\t{files}"
            )
    click.echo(f"{len(rows)} submission(s) pending review.")


def _review(submission_id: int, staff: str, **decision) -> None:
    from certportal import notifications
    from certportal.domain import ce_submissions
    from certportal.models import StaffUser

    with (
        current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]),
        database.connection_context(),
    ):
        reviewer = StaffUser.get_or_none(StaffUser.username == staff)
        if reviewer is None:
            raise click.ClickException(f'No staff account is named "{staff}".')
        try:
            outcome = ce_submissions.review(
                submission_id,
                staff_user=reviewer,
                today=date.today(),
                max_points=current_app.config["CE_SUBMISSION_MAX_POINTS"],
                notify=notifications.ce_submission_reviewed,
                **decision,
            )
        except ce_submissions.ReviewError as refused:
            raise click.ClickException(str(refused)) from None
    if outcome.approved:
        changed = ", ".join(outcome.changed)
        changed = f"; recertified or earned: {changed}" if changed else ""
        click.echo(f"Approved submission {submission_id}: {outcome.credit.points} points{changed}.")
    else:
        click.echo(f"Rejected submission {submission_id}.")


@group.command("approve")
@click.argument("submission_id", type=int)
@click.option("--points", required=True, help="The points awarded (at most those claimed).")
@click.option("--staff", required=True, help="The reviewing staff member's username.")
@click.option("--note", default="", help="A note for the candidate (optional).")
def ce_approve(submission_id: int, points: str, staff: str, note: str):
    """Approve submission SUBMISSION_ID with the points awarded; recompute follows."""
    _review(submission_id, staff, approve=True, points_awarded=points, reason=note)


@group.command("reject")
@click.argument("submission_id", type=int)
@click.option("--reason", required=True, help="Why it is rejected; the candidate reads it.")
@click.option("--staff", required=True, help="The reviewing staff member's username.")
def ce_reject(submission_id: int, reason: str, staff: str):
    """Reject submission SUBMISSION_ID with a reason."""
    _review(submission_id, staff, approve=False, reason=reason)
