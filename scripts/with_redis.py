#!/usr/bin/env python3
"""Run a command against a throwaway Redis server.

    python scripts/with_redis.py -- CMD [ARGS...]
    python scripts/with_redis.py --check      # exit 0 if redis-server is usable, 3 if not

Starts `redis-server` on 127.0.0.1 at a free port (no persistence, its files in a temporary
directory), waits until it answers PING, runs CMD with
``CERTPORTAL_TEST_REDIS_URL=redis://127.0.0.1:PORT/0``, then always stops it and deletes the
directory, also on Ctrl-C or SIGTERM. The portal takes it as ``RATELIMIT_STORAGE_URI``.

Also a library for tests and bench scripts: `RedisServer()` with `up()`, `url`, `restart()`
(stopped and started again on the same port, its data gone, as after a crash) and `down()`;
the server dies with the process that started it. Exit statuses and the start-run-clean-up
sequence are those of `throwaway.py` (3: redis-server missing; Debian package
`redis-server`). Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throwaway import (  # noqa: E402 - sibling script
    SetupError,
    die_with_parent,
    free_port,
    launcher_main,
    logger,
    stop_process,
    tail,
)

URL_ENV = "CERTPORTAL_TEST_REDIS_URL"
STARTUP_SECONDS = 10

log = logger("with_redis")


def find_server() -> str | None:
    return os.environ.get("REDIS_SERVER") or shutil.which("redis-server")


def ping(port: int, timeout: float = 1.0) -> bool:
    """Whether a Redis server answers PING on 127.0.0.1:port (RESP, no client library)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable or find_server()
        self.root: Path | None = None
        self.port: int | None = None
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> RedisServer:
        self.up()
        return self

    def __exit__(self, *exc_info) -> None:
        self.down()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def logfile(self) -> Path:
        assert self.root is not None
        return self.root / "redis.log"

    def up(self) -> None:
        if not self.executable:
            raise SetupError("redis-server not found (Debian: apt-get install -y redis-server)")
        base = os.environ.get("TMPDIR") or "/tmp"  # noqa: S108
        self.root = Path(tempfile.mkdtemp(prefix="certportal-redis-", dir=base))
        self.port = free_port()
        self.start()

    def start(self) -> None:
        """Start on self.port (the same one again after stop())."""
        assert self.root is not None and self.port is not None
        command = [
            self.executable,
            "--bind", "127.0.0.1", "--port", str(self.port), "--protected-mode", "yes",
            "--dir", str(self.root), "--logfile", str(self.logfile),
            "--save", "", "--appendonly", "no", "--daemonize", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C reaches us; we stop it in order
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only a prctl, no locks taken
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while not ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SetupError(f"redis-server did not start on port {self.port}:\n"
                                 f"{tail(self.logfile)}")
            time.sleep(0.02)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process(process)

    def restart(self) -> None:
        """Stop and start again on the same port: every stored key is gone, and clients see
        their connections drop, as when Redis restarts in production."""
        self.stop()
        self.start()

    # -- the throwaway.serve_command protocol ------------------------------------------------
    def down(self, interrupted: bool = False) -> None:
        self.stop()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            with contextlib.suppress(OSError):
                if self.root.exists():
                    log(f"could not remove {self.root}")

    def env(self) -> dict[str, str]:
        return {URL_ENV: self.url}

    def ready(self) -> str:
        return f"Redis ({self.executable}) ready on 127.0.0.1:{self.port}; {URL_ENV}={self.url}"


def main(argv: list[str]) -> int:
    return launcher_main(
        argv,
        description="Run CMD against a throwaway Redis server.",
        log=log,
        locate=find_server,
        missing="redis-server not found on PATH or in $REDIS_SERVER. "
        "On Debian: apt-get install -y --no-install-recommends redis-server",
        make_server=RedisServer,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
