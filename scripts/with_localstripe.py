#!/usr/bin/env python3
"""Run a command against localstripe, a local stateful Stripe emulator.

    python scripts/with_localstripe.py -- CMD [ARGS...]
    python scripts/with_localstripe.py --webhook-url URL -- CMD [ARGS...]
    python scripts/with_localstripe.py --check     # exit 0 if localstripe can run, 3 if not

Starts the emulator on 127.0.0.1 at a free port, waits until it answers, runs CMD with

    STRIPE_API_BASE=http://127.0.0.1:PORT      (also LOCALSTRIPE_URL)
    STRIPE_API_KEY=sk_test_localstripe          any sk_test_… key is accepted
    STRIPE_PUBLISHABLE_KEY=pk_test_localstripe
    STRIPE_WEBHOOK_SECRET=whsec_…               only with --webhook-url

then always stops it, also on Ctrl-C or SIGTERM. With --webhook-url, the emulator signs and
POSTs every event to URL with a fresh secret, as Stripe does (e.g. the portal's webhook route
for `make run`). Stripe.js's stand-in is served at STRIPE_API_BASE/js.stripe.com/v3/.

Exit status: CMD's own (128+N if it died from signal N); 3 if localstripe is not installed;
4 if it did not start; 2 for usage errors; 127 if CMD was not found.

Also a library for the tests and bench scripts: `LocalStripe` starts, resets and stops one
emulator. It runs in its own process, in the interpreter named by $LOCALSTRIPE_PYTHON (for a
separate virtualenv) or else this one. This launcher adds three things to localstripe 1.15,
whose own command line cannot do them:

- it listens on 127.0.0.1 only (`localstripe --port` binds every interface, IPv4 and IPv6),
  on a port the OS picks, so parallel runs never race for a port;
- its state stays in memory (`localstripe` pickles the whole store to the one file
  /tmp/localstripe.pickle after every write, shared by every emulator on the machine);
- Stripe's idempotent requests: a POST repeated with the same Idempotency-Key gets the first
  answer back (a different request with that key gets Stripe's 400 `idempotency_error`, one
  still running 409), which localstripe ignores; `DELETE /_config/data` also forgets the keys
  and the webhooks, and `DELETE /_config/webhooks/ID` removes one webhook.

Where localstripe 1.15 differs from Stripe (write tests and flows with these in mind):

- `payment_method` is accepted when a PaymentIntent is created, not on confirm (500 "Not
  implemented"); parameters it does not know (`description`, `receipt_email`,
  `automatic_payment_methods`, `return_url` on confirm, ...) are a 400 "Unexpected ...".
- 4000000000000002 and `pm_card_visa_chargeDeclined` are declined only when attached to a
  customer: on a PaymentIntent they pay. Use 4000000000000341 or `pm_card_chargeCustomerFail`
  for a declined charge; 4000002500003155 asks for 3-D Secure.
- A PaymentIntent declined once cannot be confirmed again with another card: pay with a new
  intent (a new attempt). Its 402 error does not name the intent.
- Webhooks arrive about a second after the event; there is no retry of failed deliveries.
- The Stripe.js stand-in has no `createPaymentMethod` (a no-op); `createToken(element)` works
  (its `card.id` is accepted as a `payment_method`), and `confirmCardPayment(secret)` only
  plays the 3-D Secure step of an intent already confirmed on the server.

The control side is standard library only; the server side needs localstripe (and aiohttp).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import secrets
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throwaway import (  # noqa: E402 - sibling script
    EXIT_SETUP_FAILED,
    EXIT_USAGE,
    Terminated,
    run_child,
)

API_KEY = "sk_test_localstripe"
PUBLISHABLE_KEY = "pk_test_localstripe"
PYTHON_ENV = "LOCALSTRIPE_PYTHON"
PORT_LINE = "localstripe-port="
STARTUP_SECONDS = 20
EXIT_NOT_INSTALLED = 3  # as with_postgres.py's EXIT_NO_POSTGRES


def log(msg: str) -> None:
    print(f"with_localstripe: {msg}", file=sys.stderr, flush=True)


class NotInstalled(Exception):
    """The interpreter meant to run localstripe does not have it."""


class StartError(Exception):
    """localstripe was installed but did not come up."""


def emulator_python() -> str:
    return os.environ.get(PYTHON_ENV) or sys.executable


def available(python: str | None = None) -> bool:
    """Whether `python` (default: $LOCALSTRIPE_PYTHON or this one) can run localstripe."""
    python = python or emulator_python()
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        return all(importlib.util.find_spec(name) for name in ("localstripe", "aiohttp"))
    try:
        probe = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [python, "-c", "import localstripe, aiohttp"],
            capture_output=True, timeout=30, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


class LocalStripe:
    """One emulator process: `start()`, `url`, `env()`, `reset()`, webhooks, `stop()`."""

    api_key = API_KEY
    publishable_key = PUBLISHABLE_KEY

    def __init__(self, python: str | None = None, startup_timeout: float = STARTUP_SECONDS):
        self.python = python or emulator_python()
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self.log_path: Path | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> LocalStripe:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if not available(self.python):
            raise NotInstalled(
                f"localstripe is not installed for {self.python} "
                "(pip install -e '.[test]', or set LOCALSTRIPE_PYTHON to a venv that has it)"
            )
        fd, log_name = tempfile.mkstemp(prefix="certportal-localstripe-", suffix=".log")
        self.log_path = Path(log_name)
        with os.fdopen(fd, "wb") as log_file:
            self.process = subprocess.Popen(  # noqa: S603 - our own script, no shell
                [self.python, str(Path(__file__).resolve()), "--serve"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log_file,
                # Its own session: a terminal's Ctrl-C reaches us, and we stop it in order.
                start_new_session=True,
            )
        deadline = time.monotonic() + self.startup_timeout
        try:
            self.port = self._read_port(deadline)
            self._wait_until_answering(deadline)
        except StartError:
            self.stop(keep_log=True)
            raise

    def _read_port(self, deadline: float) -> int:
        assert self.process is not None and self.process.stdout is not None
        line = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while not line.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise StartError(f"localstripe did not start in time; log: {self._tail()}")
                chunk = os.read(self.process.stdout.fileno(), 1)
                if not chunk:
                    raise StartError(f"localstripe exited at startup; log: {self._tail()}")
                line += chunk
        text = line.decode(errors="replace").strip()
        if not text.startswith(PORT_LINE):
            raise StartError(f"unexpected output from localstripe: {text!r}")
        return int(text.removeprefix(PORT_LINE))

    def _wait_until_answering(self, deadline: float) -> None:
        # The Stripe.js stand-in needs no key: it answering means the API does too.
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/js.stripe.com/v3/", timeout=2) as reply:  # noqa: S310
                    if reply.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if self.process is None or self.process.poll() is not None:
                raise StartError(f"localstripe exited at startup; log: {self._tail()}")
            if time.monotonic() > deadline:
                raise StartError(f"localstripe did not answer in time; log: {self._tail()}")
            time.sleep(0.05)

    def stop(self, keep_log: bool = False) -> None:
        process, self.process = self.process, None
        if process is not None:
            if process.stdout is not None:
                process.stdout.close()
            for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                if process.poll() is not None:
                    break
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=grace)
        if self.log_path is not None and not keep_log:
            self.log_path.unlink(missing_ok=True)

    def _tail(self, lines: int = 20) -> str:
        if self.log_path is None:
            return "(no log)"
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty)"

    # -- use ---------------------------------------------------------------------------------
    def env(self, webhook_secret: str = "") -> dict[str, str]:
        """The settings a portal (or any Stripe client) needs to use this emulator."""
        env = {
            "STRIPE_API_BASE": self.url,
            "STRIPE_API_KEY": self.api_key,
            "STRIPE_PUBLISHABLE_KEY": self.publishable_key,
            "LOCALSTRIPE_URL": self.url,
        }
        if webhook_secret:
            env["STRIPE_WEBHOOK_SECRET"] = webhook_secret
        return env

    def _config(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> None:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
            reply.read()

    def reset(self) -> None:
        """Forget every object, idempotency key and webhook (between tests)."""
        self._config("DELETE", "/_config/data")

    def register_webhook(self, webhook_id: str, url: str, secret: str,
                         events: list[str] | None = None) -> None:
        """Have every event (or only `events`) POSTed to `url`, signed with `secret`."""
        form = [("url", url), ("secret", secret)]
        form += [("events[]", event) for event in events or ()]
        self._config("POST", f"/_config/webhooks/{urllib.parse.quote(webhook_id)}", form)

    def remove_webhook(self, webhook_id: str) -> None:
        self._config("DELETE", f"/_config/webhooks/{urllib.parse.quote(webhook_id)}")


# -- the emulator process (--serve) ----------------------------------------------------------

def serve() -> int:
    """Run localstripe on 127.0.0.1 at a free port; print the port; serve until signalled."""
    import asyncio
    import hashlib
    import logging
    import socket

    from aiohttp import web
    from localstripe import resources, server, webhooks

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    resources.Store.dump_to_disk = lambda self: None  # memory only: see the module docstring

    saved: dict[tuple[str, str], tuple[tuple[str, str], int, bytes, str]] = {}
    running: set[tuple[str, str]] = set()

    def stripe_error(status: int, code: str, message: str) -> web.Response:
        body = {"error": {"type": "idempotency_error", "code": code, "message": message}}
        return web.json_response(body, status=status)

    @web.middleware
    async def idempotent_requests(request, handler):
        if request.method == "DELETE" and request.path == "/_config/data":
            saved.clear()
            webhooks._webhooks.clear()
            return await handler(request)
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        scope = (request.headers.get("Authorization", ""), key)
        fingerprint = (request.path, hashlib.sha256(await request.read()).hexdigest())
        if scope in saved:
            first_fingerprint, status, body, content_type = saved[scope]
            if first_fingerprint != fingerprint:
                return stripe_error(
                    400, "idempotency_key_reused",
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                )
            return web.Response(status=status, body=body, content_type=content_type,
                                headers={"Idempotent-Replayed": "true", "Idempotency-Key": key})
        if scope in running:
            return stripe_error(409, "idempotency_key_in_use",
                                "There is currently another in-progress request using this "
                                "Idempotency-Key. Please try again later.")
        running.add(scope)
        try:
            response = await handler(request)
        finally:
            running.discard(scope)
        if response.status not in (401, 409, 429) and isinstance(response, web.Response):
            saved[scope] = (fingerprint, response.status, response.body, response.content_type)
        return response

    async def remove_webhook(request):
        webhooks._webhooks.pop(request.match_info["id"], None)
        return web.Response()

    async def exit_with_parent(app):
        # Never outlive the process that started us, even if it was killed outright.
        parent = os.getppid()

        async def watch():
            while os.getppid() == parent:
                await asyncio.sleep(1)
            os.kill(os.getpid(), signal.SIGTERM)

        task = asyncio.ensure_future(watch())
        yield
        task.cancel()

    app = server.app
    app.middlewares.insert(0, idempotent_requests)  # outermost: replays errors too
    app.router.add_delete("/_config/webhooks/{id}", remove_webhook)
    app.cleanup_ctx.append(exit_with_parent)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(f"{PORT_LINE}{sock.getsockname()[1]}", flush=True)
    web.run_app(app, sock=sock, print=None, shutdown_timeout=1, access_log=None)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Run CMD against a throwaway localstripe (Stripe emulator).",
        usage="%(prog)s [--check] [--webhook-url URL] -- CMD [ARGS...]",
    )
    parser.add_argument("--check", action="store_true",
                        help="only report whether localstripe can run (exit 0 or 3)")
    parser.add_argument("--webhook-url", default="",
                        help="POST every event to URL, signed with STRIPE_WEBHOOK_SECRET")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    if "--" in argv:
        split = argv.index("--")
        opts, cmd = argv[:split], argv[split + 1 :]
    else:
        opts, cmd = argv, []
    args = parser.parse_args(opts)

    if args.serve:
        return serve()
    if not available():
        log(f"localstripe is not installed for {emulator_python()}: "
            "pip install -e '.[test]' (or set LOCALSTRIPE_PYTHON to a venv that has it)")
        return EXIT_NOT_INSTALLED
    if args.check:
        print(emulator_python())
        return 0
    if not cmd:
        parser.print_usage(sys.stderr)
        log("no command given (put it after --)")
        return EXIT_USAGE

    def on_signal(signum: int, _frame: object) -> None:
        raise Terminated(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, on_signal)

    emulator = LocalStripe()
    try:
        started = time.monotonic()
        emulator.start()
        secret = ""
        if args.webhook_url:
            secret = f"whsec_{secrets.token_hex(24)}"
            emulator.register_webhook("portal", args.webhook_url, secret)
        log(f"localstripe ready on {emulator.url} in {time.monotonic() - started:.1f}s"
            + (f"; events go to {args.webhook_url}" if args.webhook_url else ""))
        return run_child(cmd, dict(os.environ, **emulator.env(secret)))
    except StartError as exc:
        log(str(exc))
        return EXIT_SETUP_FAILED
    except KeyboardInterrupt:
        log("interrupted")
        return 128 + signal.SIGINT
    except Terminated as exc:
        log(f"terminated by signal {exc.signum}")
        return 128 + exc.signum
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
