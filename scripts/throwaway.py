"""What every scripts/with_*.py shares: start a throwaway server on 127.0.0.1, run a command
with its address in the environment, and always clean up, also on Ctrl-C, SIGTERM or SIGHUP.

A server is any object with

    up()                 create and start it; raises SetupError when it cannot
    env() -> dict        what the command needs to find it (e.g. a URL variable)
    ready() -> str       one line for the log once it is up
    down(interrupted)    stop it and delete its files; must not raise

and `serve_command(log, server, cmd)` runs the whole sequence; `launcher_main` is the command
line around it (`[--check] -- CMD [ARGS...]`). Exit statuses are shared by
every launcher: CMD's own (128+N if it died from signal N); 2 usage; 3 the server software is
not installed; 4 it could not be set up; 127 CMD not found. Standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

EXIT_USAGE = 2
EXIT_NOT_INSTALLED = 3
EXIT_SETUP_FAILED = 4
EXIT_NOT_FOUND = 127


class SetupError(Exception):
    """The throwaway server could not be created or started."""


class Terminated(BaseException):
    """Raised from the SIGTERM/SIGHUP handler so that cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def logger(name: str) -> Callable[[str], None]:
    """A log function writing `name: message` lines to stderr."""

    def log(msg: str) -> None:
        print(f"{name}: {msg}", file=sys.stderr, flush=True)

    return log


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux), so a detached server can be reaped by us.

    pg_ctl detaches the server; once it exits it would linger as a zombie until PID 1
    reaps it, which some container inits do late or never.
    """
    return _prctl(36, 1)  # PR_SET_CHILD_SUBREAPER


def die_with_parent() -> None:
    """For Popen(preexec_fn=…): the child gets SIGTERM when the process that started it dies,
    even by SIGKILL, so a killed test run leaves no server behind (Linux)."""
    _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def reap(pid: int | None = None, timeout: float = 0.0) -> None:
    """Collect exited adopted processes; wait up to timeout for pid to exit."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if pid is not None:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done == pid:
                    pid = None
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pid = None  # not (or no longer) our child
        if pid is None or time.monotonic() >= deadline:
            return
        time.sleep(0.05)


def split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """(the launcher's own options, CMD) from `[OPTIONS] -- CMD [ARGS...]`."""
    if "--" in argv:
        split = argv.index("--")
        return argv[:split], argv[split + 1 :]
    return argv, []


def run_child(cmd: list[str], env: dict[str, str],
              log: Callable[[str], None] | None = None) -> int:
    log = log or logger("throwaway")
    try:
        child = subprocess.Popen(cmd, env=env)  # noqa: S603 - the caller's own command
    except FileNotFoundError:
        log(f"command not found: {cmd[0]}")
        return EXIT_NOT_FOUND
    except PermissionError:
        log(f"command not executable: {cmd[0]}")
        return 126
    try:
        rc = child.wait()
    except KeyboardInterrupt:
        # A terminal Ctrl-C reached the child too (same process group): let it finish its
        # own teardown; further Ctrl-Cs go to it alone. Then make sure it is gone.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop_process(child, first_signal=signal.SIGINT, grace=10)
        raise
    except Terminated as exc:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_process(child, first_signal=exc.signum, grace=0)
        raise
    return 128 - rc if rc < 0 else rc


def stop_process(child: subprocess.Popen, first_signal: int = signal.SIGTERM,
                 grace: float = 0) -> None:
    """Wait `grace` seconds, then signal `first_signal`, SIGTERM, SIGKILL until it is gone."""
    steps = [(None, grace), (first_signal, 5), (signal.SIGTERM, 5), (signal.SIGKILL, None)]
    for sig, timeout in steps:
        if child.poll() is not None:
            return
        if sig is not None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=timeout)


def serve_command(log: Callable[[str], None], server, cmd: list[str]) -> int:
    """Bring `server` up, run CMD with `server.env()` added, and always take it down."""

    def on_signal(signum: int, _frame: object) -> None:
        raise Terminated(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is not signal.SIG_IGN:  # e.g. keep nohup's choice
            signal.signal(sig, on_signal)

    become_subreaper()
    interrupted = False
    try:
        started = time.monotonic()
        server.up()
        log(f"{server.ready()} in {time.monotonic() - started:.1f}s")
        return run_child(cmd, dict(os.environ, **server.env()), log)
    except SetupError as exc:
        log(str(exc))
        return EXIT_SETUP_FAILED
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted")
        return 128 + signal.SIGINT
    except Terminated as exc:
        interrupted = True
        log(f"terminated by signal {exc.signum}")
        return 128 + exc.signum
    finally:
        # Cleanup must not be cut short by a second Ctrl-C or SIGTERM.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        server.down(interrupted)
        reap()


def launcher_main(argv: list[str], *, description: str, log: Callable[[str], None],
                  locate: Callable[[], object], missing: str,
                  make_server: Callable[[object], object]) -> int:
    """`[--check] -- CMD [ARGS...]`: `locate()` finds the server software (falsy: not
    installed, exit 3 with `missing` logged), `--check` prints what it found, otherwise CMD
    runs against `make_server(found)`."""
    parser = argparse.ArgumentParser(description=description,
                                     usage="%(prog)s [--check] -- CMD [ARGS...]")
    parser.add_argument("--check", action="store_true",
                        help="only report whether the server software is installed (exit 0 or 3)")
    opts, cmd = split_command(argv)
    args = parser.parse_args(opts)
    found = locate()
    if not found:
        log(missing)
        return EXIT_NOT_INSTALLED
    if args.check:
        print(found)
        return 0
    if not cmd:
        parser.print_usage(sys.stderr)
        log("no command given (put it after --)")
        return EXIT_USAGE
    return serve_command(log, make_server(found), cmd)
