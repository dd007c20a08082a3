"""Playwright on Debian's Chromium against the portal served by a live thread."""

import shutil
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

HTTP_STATUS_NOTICE = "Failed to load resource: the server responded with a status of 4"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture
def live_server(app):
    """The app on a free loopback port for the length of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def console_errors(page):
    """Every console error (CSP violations, script errors) the page raises.

    Chromium also logs each 4xx answer as an error; a 422 for a form with mistakes is the
    designed answer, not a fault, so those lines are left out.
    """
    errors = []

    def keep_errors(message):
        if message.type == "error" and not message.text.startswith(HTTP_STATUS_NOTICE):
            errors.append(message.text)

    page.on("console", keep_errors)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def log_in_through_the_form(page, base_url, identifier="CSCO10000000", password="certportal-demo"):
    """Log in as a user would; returns once the signed-in page is shown (or the error)."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Login ID or email address").fill(identifier)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # With JavaScript the boosted form swaps the page without a navigation to wait for.
    expect(page.get_by_role("button", name="Logout").or_(page.get_by_role("alert"))).to_be_visible()


def assert_no_axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
