"""scripts/with_redis.py: a throwaway Redis for a command, or for tests and bench as a library."""

import subprocess
import sys
import textwrap

import pytest
import redis

from tests.conftest import load_script, project_root
from tests.payment_fixtures import running_in_ci


@pytest.fixture
def with_redis():
    module = load_script("with_redis")
    if not module.find_server():
        if running_in_ci():
            pytest.fail("CI must run the Redis tests: install redis-server", pytrace=False)
        pytest.skip("redis-server is not installed")
    return module


def test_the_command_gets_a_live_server_that_is_gone_afterwards(with_redis):
    probe = textwrap.dedent("""
        import os, sys, redis
        url = os.environ["CERTPORTAL_TEST_REDIS_URL"]
        assert url.startswith("redis://127.0.0.1:"), url
        assert redis.Redis.from_url(url).ping()
        print(url)
        sys.exit(7)
    """)
    run = subprocess.run(
        [sys.executable, "scripts/with_redis.py", "--", sys.executable, "-c", probe],
        cwd=project_root(), capture_output=True, text=True, timeout=60, check=False,
    )
    assert run.returncode == 7, run.stderr
    port = int(run.stdout.strip().rsplit(":", 1)[1].split("/")[0])
    assert not with_redis.ping(port)


def test_a_restart_keeps_the_port_and_forgets_every_key(with_redis):
    with with_redis.RedisServer() as server:
        client = redis.Redis.from_url(server.url)
        client.set("counter", 3)
        port = server.port
        server.restart()
        assert server.port == port
        assert client.get("counter") is None  # the client reconnects by itself
    assert not with_redis.ping(port)
