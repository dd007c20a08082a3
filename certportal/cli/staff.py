"""Staff accounts from the command line: flask --app app staff create|set-roles|disable.

`staff create` bootstraps the first admin; the console manages staff after that.
"""

import click
from flask.cli import AppGroup

from certportal.db import database

group = AppGroup("staff", help="Staff accounts of the console.")


def _find(username: str):
    from certportal.domain.staff import find_staff

    staff_user = find_staff(username)
    if staff_user is None:
        raise click.ClickException(f'No staff account has the username "{username}".')
    return staff_user


@group.command("create")
@click.argument("username")
@click.option("--email", required=True, help="Where the console's mail to this person goes.")
@click.option("--roles", required=True,
              help="Comma-separated: admin, support, fulfillment, auditor.")
@click.option("--name", "display_name", default="", help="The name shown in the console.")
@click.password_option(help="At least 12 characters (asked for when not given).")
def staff_create(username, email, roles, display_name, password):
    """Create a staff account; its owner enrols an authenticator at the first sign-in."""
    from certportal.domain.staff import StaffError, create_staff

    try:
        with database.connection_context():
            staff_user = create_staff(username, email, password, roles, display_name)
    except StaffError as error:
        raise click.ClickException(f"{error.field}: {error}") from None
    click.echo(f"Created staff account {staff_user.username} ({staff_user.roles}).")


@group.command("set-roles")
@click.argument("username")
@click.argument("roles")
def staff_set_roles(username, roles):
    """Replace the roles of a staff account (comma-separated)."""
    from certportal.domain.staff import StaffError, set_roles

    try:
        with database.connection_context():
            staff_user = _find(username)
            set_roles(staff_user, roles)
    except StaffError as error:
        raise click.ClickException(f"{error.field}: {error}") from None
    click.echo(f"{staff_user.username} now has the role(s) {staff_user.roles}.")


@group.command("disable")
@click.argument("username")
def staff_disable(username):
    """Stop a staff account from signing in and end its sessions."""
    from certportal.domain.staff import disable_staff

    with database.connection_context():
        disable_staff(_find(username))
    click.echo(f"{username} is disabled; its sessions have ended.")


@group.command("reset-second-factor")
@click.argument("username")
def staff_reset_second_factor(username):
    """Make the account enrol a new authenticator at its next sign-in (a lost phone)."""
    from certportal.domain.staff import reset_second_factor

    with database.connection_context():
        reset_second_factor(_find(username))
    click.echo(f"{username} enrols a new authenticator at the next sign-in.")


@group.command("demo-code")
@click.argument("username")
def staff_demo_code(username):
    """The current TOTP code of a demo staff account (their secrets are published)."""
    import pyotp

    from certportal.domain.demo import demo_totp_secret

    with database.connection_context():
        staff_user = _find(username)
    if staff_user.totp_secret != demo_totp_secret(staff_user.username):
        raise click.ClickException("Only demo accounts, whose secrets are published, have this.")
    click.echo(pyotp.TOTP(staff_user.totp_secret).now())
