"""Fixtures: a seeded database per test (SQLite file or PostgreSQL), the app, clients."""

import os
import re
import shutil
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from certportal import create_app
from certportal.db import bind, database, release_connections, upgrade_schema

pytest_plugins = (
    "tests.payment_fixtures",
    "tests.independent_verifier",
    "tests.standards.html_check",
)

POSTGRES_URL = os.environ.get("CERTPORTAL_TEST_DATABASE_URL", "")
TEST_BASE_URL = "http://localhost"
# The key that signs the seeded candidates' badges and every test app's: fixed, so a
# failure can be replayed.
TEST_BADGE_SIGNING_KEY = "z3u2en7t5LR2WtQH5PfsxwQUFeBTVzt3tkm4tKsQMDGzNjfH"
CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def pytest_addoption(parser):
    parser.addoption("--lighthouse", action="store_true",
                     help="run the Lighthouse audits (slow: `make lighthouse`) and nothing else")


def pytest_collection_modifyitems(config, items):
    """Lighthouse runs alone, with --lighthouse; every other run leaves it out."""
    wanted = config.getoption("--lighthouse")
    keep = [item for item in items if bool(item.get_closest_marker("lighthouse")) == wanted]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def badge_settings_for_tests():
    from certportal.domain.badges import BadgeSettings

    return BadgeSettings.from_config({
        "BASE_URL": TEST_BASE_URL,
        "PROGRAM_NAME": "Cisco",
        "BADGE_SIGNING_KEY": TEST_BADGE_SIGNING_KEY,
    })


def _seed_current_database() -> None:
    from certportal.cli import CATALOG_DIR
    from certportal.domain import badges
    from certportal.domain.catalog import load_catalog
    from certportal.domain.demo import load_demo_data

    # The demo candidates' certifications get their badges as they become active.
    badges.configure(badge_settings_for_tests())
    with database.connection_context():
        upgrade_schema()
        load_catalog(CATALOG_DIR)
        load_demo_data(date.today())
    # Pooled connections stay open; close them so the file is whole before it is copied.
    release_connections()


def _postgres_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(sql)


def _postgres_url_for(name: str) -> str:
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory):
    """Migrate and seed (catalog + demo data) once; each test gets its own copy."""
    if POSTGRES_URL:
        template = f"seed_{uuid.uuid4().hex[:8]}"
        _postgres_admin(f'CREATE DATABASE "{template}"')
        bind(_postgres_url_for(template))
        _seed_current_database()
        yield template
        release_connections()
        _postgres_admin(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    else:
        path = tmp_path_factory.mktemp("seed") / "seed.sqlite3"
        bind(f"sqlite:///{path}")
        _seed_current_database()
        yield path


@pytest.fixture
def database_url(seeded_database, tmp_path):
    """A fresh copy of the seeded database for one test."""
    if POSTGRES_URL:
        name = f"test_{uuid.uuid4().hex[:12]}"
        _postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{seeded_database}"')
        yield _postgres_url_for(name)
        # The pool keeps connections open: close them, not leave them for the server to
        # cut off when the database is dropped.
        release_connections()
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        copy = tmp_path / "portal.sqlite3"
        shutil.copyfile(seeded_database, copy)
        yield f"sqlite:///{copy}"
        release_connections()


@pytest.fixture
def app_config(database_url):
    """Settings for the app under test; a test may change them before `app` is built."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": False,
        "BASE_URL": TEST_BASE_URL,
        "BADGE_SIGNING_KEY": TEST_BADGE_SIGNING_KEY,
    }


class ServerLikeClient(FlaskClient):
    """A test client that closes every response once it has read it, as a WSGI server does
    once it has sent it: what the portal runs after the response (mail delivery) has run when
    the call returns. Pass buffered=False to look at a response before it is closed."""

    def open(self, *args, buffered=True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


Flask.test_client_class = ServerLikeClient


@pytest.fixture
def app(app_config):
    return create_app(app_config)


@pytest.fixture
def mail_app(app_config, smtp_server):
    """The app with MAIL_URL pointing at the test's SMTP server (`smtp_server.messages`)."""
    app_config["MAIL_URL"] = smtp_server.url
    return create_app(app_config)


@pytest.fixture
def db(app):
    """The database for tests that read or write models directly.

    Requests through the test client run in this thread and close the connection on
    teardown; peewee reconnects on the next query, so no context is held across them.
    """
    database.connect(reuse_if_open=True)
    yield database
    if not database.is_closed():
        database.close()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF token field"
    return match.group(1)


def log_in(client, identifier="CSCO10000000", password="certportal-demo",
           environ_base=None, headers=None, **extra):
    """Log in through the real form, CSRF token included, from `environ_base`'s address."""
    token = csrf_token_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"identifier": identifier, "password": password, "csrf_token": token, **extra},
        environ_base=environ_base or {},
        headers=headers or {},
    )


@pytest.fixture
def candidate_client(client):
    """A test client logged in as the guide's sample candidate, CSCO10000000."""
    response = log_in(client)
    assert response.status_code == 303, response.text
    return client


PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}
BOOSTED = {"HX-Request": "true", "HX-Request-Type": "full", "HX-Boosted": "true"}
HISTORY_RESTORE = {
    "HX-Request": "true",
    "HX-Request-Type": "full",
    "HX-History-Restore-Request": "true",
}


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


class CollectingHandler:
    """An aiosmtpd handler that keeps every message it receives, parsed."""

    def __init__(self):
        self.messages = []

    def delivered(self, count: int, timeout: float = 10.0) -> list:
        """The messages once `count` have arrived: a live server delivers after it has sent
        the response, so a browser may see the page first."""
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1: `.url` for MAIL_URL, `.messages` as received."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.url = f"smtp://127.0.0.1:{port}"
    handler.controller = controller
    yield handler
    controller.stop()


def unused_port() -> int:
    """A loopback port where nothing listens (connections are refused at once)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unused_smtp_url() -> str:
    """An SMTP URL where nothing listens: delivery fails as when the server is down."""
    return f"smtp://127.0.0.1:{unused_port()}"


def load_script(name: str):
    """scripts/<name>.py as a module (scripts/ is not a package), e.g. the throwaway
    PostgreSQL and Redis launchers used as libraries."""
    import importlib.util
    import sys

    if name not in sys.modules:
        path = project_root() / "scripts" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def redis_server():
    """A throwaway Redis on 127.0.0.1 for the whole run (scripts/with_redis.py); skipped
    when redis-server is not installed, except under CI."""
    from tests.payment_fixtures import running_in_ci

    with_redis = load_script("with_redis")
    if not with_redis.find_server():
        if running_in_ci():
            pytest.fail("CI must run the Redis tests: install redis-server", pytrace=False)
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = with_redis.RedisServer()
    server.up()
    yield server
    server.down()


STAFF_ROLES = ("admin", "support", "fulfillment", "auditor")


def log_in_staff(client, username="admin", password="certportal-staff"):  # noqa: S107
    """Sign a demo staff member in: password, then the current TOTP code of their published
    demo secret. Returns the response to the code."""
    import time

    import pyotp

    from certportal.domain.demo import demo_totp_secret
    from certportal.models import StaffUser

    first = log_in(client, username, password)
    assert first.status_code == 303 and first.headers["Location"] == "/staff/sign-in", first.text
    token = csrf_token_from(client.get("/staff/sign-in").text)
    totp = pyotp.TOTP(demo_totp_secret(username))
    # A code is accepted once: signing the same person in again within its 30 seconds
    # takes the next one (accepted a step early, as for a slow clock).
    step = totp.timecode(time.time())
    with database.connection_context():
        last = StaffUser.get(StaffUser.username == username).totp_last_step
    if last is not None and last >= step:
        step = last + 1
    return client.post("/staff/sign-in", data={
        "code": totp.generate_otp(step), "csrf_token": token,
    })


@pytest.fixture
def staff_client(app):
    """A factory: a test client signed in as the demo staff member of a role."""

    def make(username="admin"):
        client = app.test_client()
        response = log_in_staff(client, username)
        assert response.status_code == 303, response.text
        return client

    return make
