"""flask --app app demo load: the guide's demo candidates."""

import click
from flask.cli import AppGroup

from certportal.db import database

group = AppGroup("demo", help="Demonstration data.")


@group.command("load")
def demo_load():
    """Load the guide's demo candidates into an empty database."""
    from certportal.domain.demo import load_demo_data

    with database.connection_context():
        loaded = load_demo_data()
    if loaded:
        click.echo("Demo data loaded. Log in as CSCO10000000 / certportal-demo.")
    else:
        click.echo("The database already has candidates: demo data not loaded.")
