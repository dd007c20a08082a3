"""scripts/with_localstripe.py: the emulator starts, serves the command, and is gone after."""

import os
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request

import pytest

from certportal.payments import PaymentRejected, PaymentStatus
from tests.conftest import project_root
from tests.payment_fixtures import LAUNCHER_PATH, load_launcher, start_or_skip

MISSING_PYTHON = "/nonexistent/python3"


def run_launcher(*args, env=None, timeout=60):
    return subprocess.run(
        [sys.executable, str(LAUNCHER_PATH), *args],
        capture_output=True, text=True, timeout=timeout, check=False,
        env={**os.environ, **(env or {})}, cwd=project_root(),
    )


def test_the_command_runs_against_a_live_emulator_that_stops_afterwards(localstripe_server):
    probe = textwrap.dedent("""
        import os, sys, urllib.request
        base = os.environ["STRIPE_API_BASE"]
        assert base.startswith("http://127.0.0.1:"), base
        assert os.environ["STRIPE_API_KEY"].startswith("sk_test_")
        assert os.environ["STRIPE_PUBLISHABLE_KEY"].startswith("pk_test_")
        assert os.environ["STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
        request = urllib.request.Request(base + "/v1/customers", data=b"email=a@example.com")
        request.add_header("Authorization", "Bearer " + os.environ["STRIPE_API_KEY"])
        assert b'"object": "customer"' in urllib.request.urlopen(request).read()
        print(base)
        sys.exit(7)
    """)

    done = run_launcher("--webhook-url", "http://127.0.0.1:9/hook", "--",
                        sys.executable, "-c", probe)

    assert done.returncode == 7, done.stderr
    base = done.stdout.strip()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=2)  # noqa: S310


def test_a_missing_localstripe_is_reported_with_exit_status_3():
    done = run_launcher("--check", env={"LOCALSTRIPE_PYTHON": MISSING_PYTHON})

    assert done.returncode == 3
    assert "localstripe is not installed" in done.stderr


def test_a_missing_command_is_a_usage_error(localstripe_server):
    assert run_launcher().returncode == 2


def test_resetting_forgets_objects_and_idempotency_keys_between_tests(
        localstripe, payment_gateway):
    order = {"order_reference": "ORD-RESET", "amount_cents": 100, "currency": "USD"}
    before = payment_gateway.create_intent(**order)

    localstripe.reset()

    # Replaying the old answer would name an intent the emulator no longer has.
    after = payment_gateway.create_intent(**order)
    assert after.intent_id != before.intent_id
    assert payment_gateway.retrieve_intent(after.intent_id).status is PaymentStatus.UNPAID
    with pytest.raises(PaymentRejected):
        payment_gateway.retrieve_intent(before.intent_id)


@pytest.mark.parametrize(("ci", "outcome"), [
    ("true", pytest.fail.Exception),
    ("1", pytest.fail.Exception),
    ("", pytest.skip.Exception),
    ("false", pytest.skip.Exception),
])
def test_without_localstripe_payment_tests_skip_except_under_ci(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    emulator = load_launcher().LocalStripe(python=MISSING_PYTHON)

    with pytest.raises(outcome, match="localstripe is not installed"):
        start_or_skip(emulator)
    assert emulator.process is None
