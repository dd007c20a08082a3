"""Command-line tasks, one module per group: flask --app app
db|catalog|demo|mail|import|certs|fulfillment|reminders|ce|staff …

Every command opens its own database connection and calls the same domain functions as the
web views: one rule, two doors.
"""

from certportal.cli import (
    catalog,
    ce,
    certs,
    database,
    demo,
    fulfillment,
    imports,
    mail,
    reminders,
    staff,
)
from certportal.cli.catalog import CATALOG_DIR

__all__ = ["CATALOG_DIR", "init_app"]

GROUPS = (database.group, catalog.group, demo.group, mail.group, imports.group, certs.group,
          fulfillment.group, reminders.group, ce.group, staff.group)


def init_app(app):
    for group in GROUPS:
        app.cli.add_command(group)
