"""Running tests/verifier/verify.mjs, the independent credential verifier (Digital Bazaar's
JavaScript stack on Node), from the tests.

`node` is a session fixture: the node binary with the verifier's packages installed by
`npm ci` from the committed lock file (again only when it changes). Without node/npm the
tests using it skip, except under CI=true, where they fail.
"""

import json
import subprocess
from pathlib import Path

import pytest

from certportal.domain.linked_data import CONTEXT_FILES, CONTEXTS_DIR
from tests.node_packages import ToolMissing, install_locked, node_binary, running_in_ci

VERIFIER_DIR = Path(__file__).resolve().parent / "verifier"


def _unavailable(reason: str):
    if running_in_ci():
        pytest.fail(f"{reason}; CI must run the independent credential verifier", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def node():
    """The node binary, with the verifier's packages installed from the lock file."""
    try:
        install_locked(VERIFIER_DIR)
        return node_binary()
    except ToolMissing as missing:
        _unavailable(str(missing))


def run_verifier(node: str, folder: Path, credentials, published: dict, now: str) -> list[dict]:
    """One verdict per credential; `published` maps URLs (issuer profile, key documents,
    status lists) to the documents the verifier may load besides the shipped contexts."""
    documents = {url: CONTEXTS_DIR / name for url, name in CONTEXT_FILES.items()}
    for number, (url, document) in enumerate(published.items()):
        if document is not None:
            documents[url] = folder / f"document-{number}.json"
            documents[url].write_text(json.dumps(document))
    command = [node, str(VERIFIER_DIR / "verify.mjs"), "--now", now]
    for url, path in documents.items():
        command += ["--document", f"{url}={path}"]
    for number, credential in enumerate(credentials):
        path = folder / f"credential-{number}.json"
        path.write_text(json.dumps(credential))
        command += ["--credential", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(verdicts) == len(credentials), result.stdout
    return verdicts
