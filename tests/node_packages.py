"""Node tools the tests run (the credential verifier, the Nu Html Checker, Lighthouse).

Each lives in a folder of tests/ with its package.json and a committed package-lock.json;
`npm ci` installs exactly the locked versions on first use, and again only when the lock
file changes. Without the tools a run skips what needs them, except under CI=true, where
that is a failure: CI must run every check.
"""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

MINIMUM_NODE = 20
STAMP_NAME = ".certportal-lock-sha256"


class ToolMissing(Exception):
    """A tool a check needs is absent or could not be installed."""


def running_in_ci() -> bool:
    return os.environ.get("CI", "") in {"true", "TRUE", "True", "1", "yes"}


def node_binary() -> str:
    """The node binary, at least MINIMUM_NODE; ToolMissing otherwise."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise ToolMissing("node and npm are not on PATH")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    if int(version.strip().lstrip("v").split(".")[0]) < MINIMUM_NODE:
        raise ToolMissing(f"Node {version.strip()} is older than {MINIMUM_NODE}")
    return node


def install_locked(folder: Path) -> Path:
    """`npm ci` in `folder` unless its node_modules already match the lock file."""
    node_binary()
    lock = hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()
    stamp = folder / "node_modules" / STAMP_NAME
    if not stamp.is_file() or stamp.read_text() != lock:
        install = subprocess.run(
            [shutil.which("npm"), "ci", "--ignore-scripts", "--no-audit", "--no-fund",
             "--loglevel=error"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if install.returncode != 0:
            raise ToolMissing(f"npm ci in {folder.name} failed: {install.stderr[-2000:]}")
        stamp.write_text(lock)
    return folder / "node_modules"
