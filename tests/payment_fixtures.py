"""Fixtures for payments: a localstripe emulator, a gateway on it, a webhook receiver.

`localstripe_server` (session) starts one emulator for the whole run, like PostgreSQL;
`localstripe` (per test) hands it over emptied: no objects, idempotency keys or webhooks
left by an earlier test. Without localstripe installed the payment tests are skipped, except
under CI=true, where that is an error.
"""

import importlib.util
import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

LAUNCHER_PATH = Path(__file__).resolve().parent.parent / "scripts" / "with_localstripe.py"


def load_launcher():
    """scripts/with_localstripe.py as a module (scripts/ is not a package)."""
    if "with_localstripe" not in sys.modules:
        spec = importlib.util.spec_from_file_location("with_localstripe", LAUNCHER_PATH)
        module = importlib.util.module_from_spec(spec)
        sys.modules["with_localstripe"] = module
        spec.loader.exec_module(module)
    return sys.modules["with_localstripe"]


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def start_or_skip(emulator):
    """Start `emulator`; if localstripe is missing, skip the test, or fail it under CI."""
    try:
        emulator.start()
    except load_launcher().NotInstalled as error:
        if running_in_ci():
            pytest.fail(f"CI must run the payment tests: {error}", pytrace=False)
        pytest.skip(str(error))
    return emulator


@pytest.fixture(scope="session")
def localstripe_server():
    emulator = start_or_skip(load_launcher().LocalStripe())
    yield emulator
    emulator.stop()


@pytest.fixture
def localstripe(localstripe_server):
    """The session's emulator, emptied for this test."""
    localstripe_server.reset()
    yield localstripe_server


@pytest.fixture
def stripe_settings(localstripe):
    """STRIPE_* settings for the emulator, with a webhook secret of this test's own.

    Merge them into `app_config` for a portal that pays through localstripe.
    """
    return localstripe.env(webhook_secret=f"whsec_{secrets.token_hex(16)}")


@pytest.fixture
def payment_gateway(stripe_settings):
    from certportal.payments import PaymentGateway  # stripe takes a while to import

    # No network retries: a test that expects a failure should not wait for backoff.
    return PaymentGateway.from_settings(stripe_settings, max_network_retries=0, timeout=10)


class WebhookReceiver:
    """A tiny HTTP server that keeps every POST it receives (body and headers)."""

    def __init__(self):
        self.deliveries: list[tuple[bytes, dict[str, str]]] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._arrived:
                    receiver.deliveries.append((body, dict(self.headers)))
                    receiver._arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def wait_for(self, event_type: str, object_id: str, timeout: float = 10):
        """The first delivery of `event_type` about `object_id`: (body bytes, headers)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for body, headers in self.deliveries:
                    event = json.loads(body)
                    if event.get("type") == event_type \
                            and event.get("data", {}).get("object", {}).get("id") == object_id:
                        return body, headers
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [json.loads(body).get("type") for body, _ in self.deliveries]
                    raise AssertionError(f"no {event_type} for {object_id}; received {seen}")
                self._arrived.wait(remaining)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver(localstripe, stripe_settings):
    """Receives the emulator's events, signed with `stripe_settings`' webhook secret."""
    receiver = WebhookReceiver()
    localstripe.register_webhook("tests", receiver.url, stripe_settings["STRIPE_WEBHOOK_SECRET"])
    yield receiver
    localstripe.remove_webhook("tests")
    receiver.close()
