"""The page/fragment rule, security headers, error pages, and the candidate's home."""

import re

import pytest

from tests.conftest import BOOSTED, HISTORY_RESTORE, PARTIAL, log_in


def test_home_lists_the_candidates_active_certifications(candidate_client):
    page = candidate_client.get("/").text
    assert "CCNA (CCNA)" in page
    assert "CCIE Enterprise Infrastructure" in page
    # Expired ones (CCENT, 2019-Dec-09 to 2022-Dec-09) are not active.
    assert "CCENT" not in page


def test_home_never_shows_another_candidates_data(client):
    log_in(client, "CSCO10000001", "second-demo-password")
    page = client.get("/").text
    assert "Welcome, Mei Wang" in page
    assert "CSCO10000000" not in page
    assert "John Doe" not in page
    assert "CCIE" not in page


def test_full_page_for_a_plain_request(candidate_client):
    response = candidate_client.get("/")
    assert response.text.lstrip().startswith("<!doctype html>")
    assert 'aria-label="Main"' in response.text
    assert {"HX-Request", "HX-Request-Type"} <= set(response.vary)


def test_only_the_block_for_an_htmx_partial_request(candidate_client):
    response = candidate_client.get("/", headers=PARTIAL)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'aria-label="Main"' not in response.text
    assert "Welcome, John Doe" in response.text


@pytest.mark.parametrize("headers", [BOOSTED, HISTORY_RESTORE], ids=["boosted", "history"])
def test_boosted_and_history_restore_requests_get_the_full_page(candidate_client, headers):
    response = candidate_client.get("/", headers=headers)
    assert response.text.lstrip().startswith("<!doctype html>")


def test_security_headers_on_every_page(client):
    headers = client.get("/login").headers
    csp = headers["Content-Security-Policy"]
    for directive in (
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers


def test_hsts_and_secure_cookie_over_https(app_config):
    from certportal import create_app

    app_config["BASE_URL"] = "https://portal.example"
    client = create_app(app_config).test_client()
    response = client.get("/login", base_url="https://portal.example")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_httponly_and_samesite(client):
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_page_carries_no_inline_script_or_handler(client):
    html = client.get("/login").text
    assert "<script>" not in html
    assert " onclick=" not in html and " onload=" not in html
    assert 'src="/static/vendor/htmx-4.0.1.min.js"' in html


def test_csrf_token_rides_on_body_for_htmx(client):
    html = client.get("/login").text
    assert 'data-hx-boost:inherited="true"' in html
    assert "data-hx-headers:inherited='{\"X-CSRFToken\": \"" in html


def test_not_found_is_a_full_page_or_a_fragment(candidate_client):
    full = candidate_client.get("/no-such-page")
    assert full.status_code == 404
    assert "<!doctype html>" in full.text and "Page not found" in full.text
    fragment = candidate_client.get("/no-such-page", headers=PARTIAL)
    assert fragment.status_code == 404
    assert "<html" not in fragment.text and "Page not found" in fragment.text


def test_unexpected_error_shows_no_traceback(app_config):
    from certportal import create_app

    app_config["TESTING"] = False
    app = create_app(app_config)

    @app.get("/explode")
    def explode():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/explode")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text


def test_every_section_of_the_navigation_is_a_built_page(candidate_client):
    html = candidate_client.get("/").text
    navigation = html.split('aria-label="Main"')[1].split("</nav>")[0]
    links = re.findall(r'<li><a href="([^"]+)"', navigation)
    assert len(links) == 7
    for href in links:
        page = candidate_client.get(href)
        assert page.status_code == 200, href
        assert "Coming to this page" not in page.text


def test_navigation_follows_the_guide(candidate_client):
    html = candidate_client.get("/").text
    labels = [
        "Home",
        "Personal Info",
        "Testing History",
        "Certifications",
        "Certificates &amp; Plaques",
        "Transcripts",
        "Digital Badges",
    ]
    positions = [html.index(f">{label}</a>") for label in labels]
    assert positions == sorted(positions)
    assert 'aria-current="page">Home</a>' in html
    # The guide's header: Certification Online, Support/FAQs, User Guide, Logout.
    header = html[html.index('<div class="account-menu">'):html.index("</header>")]
    names = ["Certification Online", "Support/FAQs", "User Guide", "Logout"]
    positions = [header.index(f">{name}</") for name in names]
    assert positions == sorted(positions)
    assert ('<a href="https://www.cisco.com/site/us/en/learn/training-certifications/index.html">'
            'Certification Online</a>') in header


def test_without_a_program_site_the_header_has_no_certification_online_link(app, client):
    app.config["PROGRAM_SITE_URL"] = ""
    log_in(client)
    header = client.get("/").text.split("</header>")[0]
    assert "Certification Online" not in header and "Support/FAQs" in header


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"
