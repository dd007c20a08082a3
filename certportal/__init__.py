"""CertPortal: an open-source certification tracking portal."""

import logging
from pathlib import Path

from flask import Flask

from certportal import (
    auth,
    blueprints,
    cli,
    config,
    db,
    errors,
    htmx,
    mail,
    security,
    templating,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the portal: config, database, login, CSRF, htmx, mail, blueprints, CLI."""
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.update(config.load(app.instance_path, test_config))
    logging.basicConfig(level=logging.INFO)

    db.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    htmx.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    mail.init_app(app)
    blueprints.init_app(app)
    cli.init_app(app)
    return app
