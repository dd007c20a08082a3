#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL cluster.

    python scripts/with_postgres.py -- CMD [ARGS...]
    python scripts/with_postgres.py --check      # exit 0 if PostgreSQL is usable, 3 if not

Creates a temporary cluster (initdb, trust auth, UTF8, fsync off) listening on 127.0.0.1
at a free port, creates the database ``certportal_test``, runs CMD with
``CERTPORTAL_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:PORT/certportal_test``,
then always stops the cluster and deletes its directory, also on Ctrl-C or SIGTERM.

Exit status: CMD's own (128+N if it died from signal N); 3 if the PostgreSQL binaries
are missing; 4 if the cluster could not be set up; 2 for usage errors; 127 if CMD was not
found. Since CMD may itself exit 3 (pytest does on an internal error), callers that want
to skip when PostgreSQL is absent should ask ``--check`` first rather than read 3 from a
real run.

Also a library for tests and bench scripts: `Cluster(find_bindir())` with `up()`, `url`,
`stop()` and `start()` (a restart on the same port) and `down()`. The start-run-clean-up
sequence shared with the other launchers is in `throwaway.py`.

Binaries are looked up in $PG_BINDIR, then the newest /usr/lib/postgresql/*/bin, then
``pg_config --bindir``. As root, the server runs as the ``postgres`` user (PostgreSQL
refuses to run as root) via ``runuser -u postgres --``. Standard library only.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throwaway import (  # noqa: E402 - sibling script
    SetupError,
    free_port,
    launcher_main,
    logger,
    reap,
    tail,
)

DB_NAME = "certportal_test"
SUPERUSER = "postgres"
URL_ENV = "CERTPORTAL_TEST_DATABASE_URL"
NEEDED = ("initdb", "pg_ctl", "createdb")


log = logger("with_postgres")


def _has_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in NEEDED)


def _version_key(path: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); /usr/lib/postgresql/9.6/bin -> (9, 6)
    version = Path(path).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (-1,)


def find_bindir() -> Path | None:
    override = os.environ.get("PG_BINDIR")
    if override:
        return Path(override) if _has_binaries(Path(override)) else None
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        if _has_binaries(Path(candidate)):
            return Path(candidate)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(  # noqa: S603 - fixed argv, no shell
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()
            if out and _has_binaries(Path(out)):
                return Path(out)
    return None


def pick_locale() -> str:
    """C.UTF-8 when the system has it (codepoint order, Unicode-aware case), else C.

    Pinned so that results do not depend on the caller's LANG.
    """
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["locale", "-a"],  # noqa: S607 - looked up on PATH on purpose
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        if any(line.strip().lower() in ("c.utf8", "c.utf-8") for line in out.splitlines()):
            return "C.UTF-8"
    return "C"


class Cluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.root: Path | None = None
        self.port: int | None = None
        self.start_attempted = False
        self.started_once = False

    # -- paths ---------------------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DB_NAME}"

    # -- helpers -------------------------------------------------------------------------
    def _server_cmd(self, name: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / name), *args]
        if self.as_root:
            cmd = ["runuser", "-u", SUPERUSER, "--", *cmd]
        return cmd

    def _run(self, cmd: list[str], what: str, timeout: float = 120) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(  # noqa: S603 - argv list, no shell
                cmd,
                cwd=self.root,  # runuser'd commands cannot chdir into e.g. /root
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SetupError(f"{what} failed: {exc}") from exc

    @staticmethod
    def _check(proc: subprocess.CompletedProcess, what: str) -> None:
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr).strip()
            raise SetupError(f"{what} failed (exit {proc.returncode}):\n{output}")

    # -- lifecycle -----------------------------------------------------------------------
    def create(self) -> None:
        # Short, space-free path: the Unix socket lives here (path limit ~107 bytes) and
        # pg_ctl passes -o through a shell.
        base = os.environ.get("TMPDIR") or "/tmp"  # noqa: S108
        if len(base) > 60:
            base = "/tmp"  # noqa: S108
        self.root = Path(tempfile.mkdtemp(prefix="certportal-pg-", dir=base))
        if self.as_root:
            try:
                pw = pwd.getpwnam(SUPERUSER)
            except KeyError as exc:
                raise SetupError(
                    f"running as root but there is no '{SUPERUSER}' user to run the server as"
                ) from exc
            if not shutil.which("runuser"):
                raise SetupError("running as root but 'runuser' is not installed (util-linux)")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.root.chmod(0o700)

    def initdb(self) -> None:
        proc = self._run(
            self._server_cmd(
                "initdb",
                "-D", str(self.datadir),
                "-U", SUPERUSER,
                "-A", "trust",
                "-E", "UTF8",
                f"--locale={pick_locale()}",
                "--no-sync",
            ),
            "initdb",
        )  # fmt: skip
        self._check(proc, "initdb")

    def start(self, attempts: int = 3) -> None:
        """Start the server: on a free port the first time, on the same port again after
        stop() (a restart, as clients that keep the URL expect)."""
        for attempt in range(1, attempts + 1):
            same_port = self.port is not None and self.started_once
            if not same_port:
                self.port = free_port()
            options = " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-p {self.port}",
                    f"-k {shlex.quote(str(self.root))}",
                    "-c fsync=off",
                    "-c full_page_writes=off",
                    "-c synchronous_commit=off",
                ]
            )
            self.start_attempted = True
            proc = self._run(
                self._server_cmd(
                    "pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile),
                    "-w", "-t", "60", "-o", options, "start",
                ),
                "pg_ctl start",
            )  # fmt: skip
            if proc.returncode == 0:
                self.started_once = True
                return
            server_log = tail(self.logfile)
            port_taken = "could not bind" in server_log or "already in use" in server_log
            if port_taken and attempt < attempts and not same_port:
                log(f"port {self.port} was taken meanwhile; retrying with another")
                continue
            output = (proc.stdout + proc.stderr).strip()
            raise SetupError(
                f"pg_ctl start failed (exit {proc.returncode}):\n{output}\n"
                f"--- tail of {self.logfile} ---\n{server_log}"
            )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server, keeping its data: start() brings it back on the same port."""
        server_pid = self._server_pid()
        proc = self._run(
            self._server_cmd("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "-t", "30",
                             "stop"),
            f"pg_ctl -m {mode} stop",
            timeout=60,
        )
        self._check(proc, f"pg_ctl -m {mode} stop")
        reap(server_pid, timeout=10)

    def createdb(self) -> None:
        proc = self._run(
            [
                str(self.bindir / "createdb"),
                "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, DB_NAME,
            ],
            "createdb",
        )  # fmt: skip
        self._check(proc, "createdb")

    def _server_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.datadir / "postmaster.pid").read_text().splitlines()[0])
        return None

    def _server_running(self) -> bool:
        return self.root is not None and (self.datadir / "postmaster.pid").exists()

    def destroy(self, interrupted: bool) -> None:
        if self.root is None:
            return
        if interrupted and self.start_attempted and not self._server_running():
            # pg_ctl start may have been killed after forking the server but before the
            # server wrote its pid file: give it a moment so it can be stopped, not orphaned.
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and not self._server_running():
                time.sleep(0.1)
        # Before any start attempt a postmaster.pid can only be initdb's own single-user
        # backend, which dies with initdb.
        if self.start_attempted and self._server_running():
            server_pid = self._server_pid()
            for mode in ("fast", "immediate"):
                try:
                    proc = self._run(
                        self._server_cmd(
                            "pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "-t", "30", "stop"
                        ),
                        f"pg_ctl -m {mode} stop",
                        timeout=60,
                    )
                except SetupError as exc:
                    log(str(exc))
                    continue
                if proc.returncode == 0:
                    break
                log(f"pg_ctl -m {mode} stop failed: {(proc.stdout + proc.stderr).strip()}")
            reap(server_pid, timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)
        if self.root.exists():
            log(f"could not remove {self.root}")

    # -- the throwaway.serve_command protocol ------------------------------------------------
    def up(self) -> None:
        self.create()
        self.initdb()
        self.start()
        self.createdb()

    def down(self, interrupted: bool = False) -> None:
        self.destroy(interrupted)

    def env(self) -> dict[str, str]:
        return {URL_ENV: self.url}

    def ready(self) -> str:
        return f"PostgreSQL ({self.bindir}) ready on 127.0.0.1:{self.port}; {URL_ENV}={self.url}"


def main(argv: list[str]) -> int:
    return launcher_main(
        argv,
        description="Run CMD against a throwaway PostgreSQL cluster.",
        log=log,
        locate=find_bindir,
        missing="PostgreSQL server binaries (initdb, pg_ctl, createdb) not found in $PG_BINDIR, "
        "/usr/lib/postgresql/*/bin or `pg_config --bindir`. "
        "On Debian: apt-get install -y --no-install-recommends postgresql",
        make_server=Cluster,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
