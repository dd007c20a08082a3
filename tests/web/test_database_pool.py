"""The connection pool: requests reuse connections; a database that is down, restarting or
out of free connections gets a clear 503 "try again in a moment", and service comes back by
itself once the database does."""

import threading

import pytest

from certportal import create_app
from certportal.db import database, pool_status, upgrade_schema
from tests.conftest import PARTIAL, load_script, unused_port
from tests.payment_fixtures import running_in_ci

UNKNOWN_CODE = "K7Q2-9XMD-B4TR-0HWE"  # well formed, held by nobody


def assert_try_again_page(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Try again in a moment" in response.text
    assert "Traceback" not in response.text


def test_requests_reuse_one_pooled_connection(candidate_client):
    for _ in range(20):
        assert candidate_client.get("/testing-history/").status_code == 200
    status = pool_status()
    assert status["opened"] == 1
    assert status["in_use"] == 0


def test_no_free_connection_within_the_wait_is_a_503_then_service_resumes(app_config):
    app_config.update(DATABASE_POOL_SIZE=1, DATABASE_POOL_TIMEOUT=0.2)
    client = create_app(app_config).test_client()
    taken, release = threading.Event(), threading.Event()

    def hold_the_only_connection():
        with database.connection_context():
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_only_connection)
    holder.start()
    try:
        assert taken.wait(10)
        assert_try_again_page(client.get(f"/verify/{UNKNOWN_CODE}"))
        fragment = client.get(f"/verify/{UNKNOWN_CODE}", headers=PARTIAL)
        assert_try_again_page(fragment)
        assert "<html" not in fragment.text
        api = client.get(f"/api/v1/verifications/{UNKNOWN_CODE}")
        assert api.status_code == 503
        assert api.json["error"] == "try_again_in_a_moment"
    finally:
        release.set()
        holder.join()
    assert client.get(f"/api/v1/verifications/{UNKNOWN_CODE}").status_code == 404


def test_database_down_is_a_503_page_not_a_hang_or_a_trace(app_config):
    app_config["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{unused_port()}/certportal"
    client = create_app(app_config).test_client()
    assert_try_again_page(client.get("/login"))
    assert_try_again_page(client.get("/testing-history/"))
    api = client.get(f"/api/v1/verifications/{UNKNOWN_CODE}")
    assert api.status_code == 503
    assert "Traceback" not in api.text


@pytest.fixture
def own_postgres():
    """A PostgreSQL cluster of this test's own, which it may stop and start."""
    with_postgres = load_script("with_postgres")
    bindir = with_postgres.find_bindir()
    if bindir is None:
        if running_in_ci():
            pytest.fail("CI must run the PostgreSQL restart test", pytrace=False)
        pytest.skip("PostgreSQL is not installed")
    cluster = with_postgres.Cluster(bindir)
    try:
        cluster.up()
        yield cluster
    finally:
        cluster.down()


def test_service_comes_back_after_a_postgresql_restart(own_postgres, app_config):
    app_config["DATABASE_URL"] = own_postgres.url
    client = create_app(app_config).test_client()
    with database.connection_context():
        upgrade_schema()

    def verify():
        return client.get(f"/api/v1/verifications/{UNKNOWN_CODE}")

    assert verify().status_code == 404  # served: the code is simply unknown
    opened = pool_status()["opened"]

    # Restarted between two requests: the pooled connection is dead, and is never used.
    own_postgres.stop()
    own_postgres.start()
    assert verify().status_code == 404
    assert pool_status()["opened"] == opened + 1

    # Down: a clear 503 at once; back up: served again without restarting the portal.
    own_postgres.stop()
    down = verify()
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "5"
    own_postgres.start()
    assert verify().status_code == 404
    assert pool_status()["in_use"] == 0


def test_building_the_app_opens_no_connection(app_config):
    # gunicorn --preload builds the app once and forks it into every worker: a connection
    # opened then would be one socket shared by all of them.
    create_app(app_config)
    assert pool_status() == {"opened": 0, "idle": 0, "in_use": 0}
