"""CertPortal: an open-source certification tracking portal.

Where things live (each layer imports only the ones below it: web → domain → models → db):

    __init__.py       create_app(): config, database, web, mail, CLI
    config.py         every setting: its environment variable, default and parsing, once
    db.py             the one DatabaseProxy, connected (and pooled) from DATABASE_URL; migrations
    models/           Peewee tables by area; compiled.py: hot queries whose SQL is built once
    domain/           the rules as plain functions over models, no Flask
    formatting.py     dates as the guide prints them (pages, emails and PDFs share them)
    web/              everything that knows HTTP:
      blueprints/     one blueprint per URL prefix (the table in blueprints/__init__.py)
      application.py  the Flask class: remembers the links it built
      login.py        who is signed in: sessions, candidate_required, staff_only
      security.py     CSRF, rate limits (configured_limit), request guards, security headers
      errors.py       error pages and JSON errors; no traceback reaches a user
      htmx.py         render_page(): the whole page, or one block for an htmx partial request
      templating.py   template filters and globals
      navigation.py   the candidate navigation; absolute links on BASE_URL
    documents/        files we render: pdf.py (certificates), artwork.py (logos), badges.py
    notifications.py  one function per message the portal sends; views never compose mail
    mail.py           the outbox: messages stored first, delivered after the response
    payments.py       card payments through Stripe (a service adapter like mail.py)
    cli/              flask --app app …: one module per command group
    templates/ static/ data/
"""

import logging
from pathlib import Path

from flask import Flask

from certportal import cli, config, db, mail, notifications, web
from certportal.domain import badges, reactions
from certportal.web.application import Portal

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the portal: config, database, badges and the engine's messages, web, mail, CLI."""
    app = Portal(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.update(config.load(app.instance_path, test_config))
    logging.basicConfig(level=logging.INFO)

    db.init_app(app)
    badges.configure(badges.BadgeSettings.from_config(app.config))
    if badges.current_settings() is None:
        app.logger.warning("BADGE_SIGNING_KEY is not set: digital badges are not issued.")
    reactions.configure(lambda: notifications.where_renderable(notifications.congratulations))
    web.init_app(app)
    mail.init_app(app)
    cli.init_app(app)
    return app
