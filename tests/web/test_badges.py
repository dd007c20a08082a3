"""Digital Badges through the test client: the candidate's tab and downloads, the public badge
page, the documents verifiers fetch, and the transcript's CLR download."""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from certportal.documents.badges import unbake_png, unbake_svg
from certportal.domain import badges, credentials
from certportal.domain.certifications import revoke_certification
from certportal.models import (
    AuditEvent,
    Candidate,
    CandidateCertification,
    IssuedCredential,
    Transcript,
)
from tests.conftest import PARTIAL, TEST_BASE_URL, csrf_token_from, log_in
from tests.factories import MEI, held, john
from tests.independent_verifier import run_verifier

TODAY = date.today()
BADGE_ID = re.compile(r'id="badge-([0-9A-Z]{20})"')


def current(code: str, who=None) -> IssuedCredential:
    certification = held(code) if who is None else held(code, who)
    return IssuedCredential.get(
        (IssuedCredential.candidate_certification == certification.id)
        & IssuedCredential.superseded_by.is_null()
    )


def withdraw_consent():
    Candidate.update(verification_consent=False).where(Candidate.id == john().id).execute()


def path_of(url: str) -> str:
    assert url.startswith(TEST_BASE_URL + "/"), url
    return url.removeprefix(TEST_BASE_URL)


# --- The tab ---------------------------------------------------------------------------------


def test_the_tab_needs_a_login(client):
    response = client.get("/digital-badges")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_tab_shows_one_badge_per_active_certification(candidate_client, db):
    page = candidate_client.get("/digital-badges").text

    assert BADGE_ID.findall(page) == [held(code).badge_id
                                      for code in ("CCNA", "CCIE-EI", "SPEC-ENCOR")]
    ccna = held("CCNA")
    card = page[page.index(f'id="badge-{ccna.badge_id}"'):]
    card = card[: card.index("</li>")]
    assert "<h2>CCNA</h2>" in card
    assert f"<dt>Issued</dt><dd>{ccna.active_on:%Y-%b-%d}</dd>" in card
    assert f"<dt>Expires</dt><dd>{ccna.expires_on:%Y-%b-%d}</dd>" in card
    assert 'status-active">Active<' in card
    assert "CCENT" not in page  # expired before badges: no badge, no history
    assert '<a href="/digital-badges" aria-current="page">Digital Badges</a>' in page


def test_an_htmx_partial_request_gets_the_panel_alone(candidate_client, db):
    response = candidate_client.get("/digital-badges", headers=PARTIAL)
    assert response.text.lstrip().startswith('<section id="badges-panel"')
    assert "<html" not in response.text


def test_a_revoked_certification_leaves_the_badges_for_history(candidate_client, db):
    revoke_certification(held("CCNA"), reason="Exam misconduct")

    page = candidate_client.get("/digital-badges").text

    assert held("CCNA").badge_id not in BADGE_ID.findall(page)
    history = page[page.index("Badge history"):]
    assert re.search(r"<th scope=\"row\">CCNA</th>.*?status-revoked\">Revoked<", history, re.S)
    assert f"{TODAY:%Y-%b-%d}" in history
    assert candidate_client.get(f"/digital-badges/{held('CCNA').badge_id}.json").status_code \
        == 404


def test_sharing_links_fill_in_linkedins_form(candidate_client, db):
    page = candidate_client.get("/digital-badges").text
    ccna = held("CCNA")
    link = f"{TEST_BASE_URL}/badges/{ccna.badge_id}"

    assert f'value="{link}" readonly' in page
    add = re.search(r'href="(https://www.linkedin.com/profile/add\?[^"]+)"', page)[1]
    add = add.replace("&amp;", "&")
    assert "startTask=CERTIFICATION_NAME&name=CCNA&organizationName=Cisco" in add
    assert f"issueYear={ccna.active_on.year}&issueMonth={ccna.active_on.month}" in add
    assert f"expirationYear={ccna.expires_on.year}&expirationMonth={ccna.expires_on.month}" in add
    assert f"certId={ccna.badge_id}" in add and "certUrl=http%3A%2F%2Flocalhost%2Fbadges%2F" in add
    assert "https://www.facebook.com/sharer/sharer.php?u=http%3A%2F%2Flocalhost%2Fbadges%2F" \
        in page


def test_the_tab_says_when_public_pages_are_hidden(candidate_client, db):
    withdraw_consent()
    page = candidate_client.get("/digital-badges").text
    assert 'answer "not available" while Verification of Certification is No' in page


# --- Downloads -------------------------------------------------------------------------------


def test_the_json_download_is_the_signed_credential(candidate_client, db):
    ccna = held("CCNA")
    response = candidate_client.get(f"/digital-badges/{ccna.badge_id}.json")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="CCNA-badge.json"'
    assert response.json == json.loads(current("CCNA").document)


def test_the_baked_png_and_svg_hold_the_same_credential(candidate_client, db):
    badge_id = held("CCIE-EI").badge_id
    png = candidate_client.get(f"/digital-badges/{badge_id}.png")
    svg = candidate_client.get(f"/digital-badges/{badge_id}.svg")

    stored = json.loads(current("CCIE-EI").document)
    assert png.mimetype == "image/png" and svg.mimetype == "image/svg+xml"
    assert json.loads(unbake_png(png.data)) == stored
    assert json.loads(unbake_svg(svg.text)) == stored
    assert 'filename="CCIE-EI-badge.svg"' in svg.headers["Content-Disposition"]


@pytest.mark.parametrize("badge_id", ["0" * 20, "not-a-badge", "A" * 21])
def test_unknown_badges_are_404(candidate_client, badge_id):
    assert candidate_client.get(f"/digital-badges/{badge_id}.json").status_code == 404


def test_another_candidates_badge_is_404(candidate_client, db):
    theirs = held("CCNA", MEI).badge_id
    for fmt in ("json", "png", "svg"):
        assert candidate_client.get(f"/digital-badges/{theirs}.{fmt}").status_code == 404


def test_withdrawn_consent_keeps_the_owners_downloads(candidate_client, db):
    withdraw_consent()
    assert candidate_client.get(f"/digital-badges/{held('CCNA').badge_id}.png").status_code \
        == 200


@pytest.fixture
def third_party(app):
    """Someone else's browser: the candidate's own session is not theirs."""
    return app.test_client()


# --- The search engine setting ----------------------------------------------------------------


def test_opting_in_to_search_engines(candidate_client, third_party, db):
    token = csrf_token_from(candidate_client.get("/digital-badges").text)
    public = f"/badges/{held('CCNA').badge_id}"
    assert "noindex" in third_party.get(public).headers["X-Robots-Tag"]

    saved = candidate_client.post("/digital-badges/settings",
                                  data={"csrf_token": token, "searchable": "y"})

    assert saved.status_code == 303 and saved.headers["Location"] == "/digital-badges"
    assert john().badges_searchable is True
    (audited,) = AuditEvent.select().where(AuditEvent.action == "badges_searchable")
    assert (audited.candidate_id, audited.old_value, audited.new_value) == (john().id, "No", "Yes")
    page = third_party.get(public)
    assert "X-Robots-Tag" not in page.headers
    assert 'name="robots"' not in page.text

    fragment = candidate_client.post("/digital-badges/settings", data={"csrf_token": token},
                                     headers=PARTIAL)
    assert "Saved: your choice for search engines" in fragment.text
    assert john().badges_searchable is False


def test_the_setting_needs_the_csrf_token(candidate_client, db):
    response = candidate_client.post("/digital-badges/settings", data={"searchable": "y"})
    assert response.status_code == 400
    assert john().badges_searchable is False


# --- The public page -------------------------------------------------------------------------


def test_the_public_page_shows_the_badge_without_a_login(client, db):
    ccna = held("CCNA")
    response = client.get(f"/badges/{ccna.badge_id}")

    assert response.status_code == 200
    page = response.text
    assert '<h1 id="badge-heading">CCNA</h1>' in page
    assert "Held by <strong>John Doe</strong>" in page
    assert 'class="status-active">Active</strong>: valid until ' \
        f"{ccna.expires_on:%Y-%b-%d}" in page
    assert "<li>Pass exam 200-301</li>" in page  # the criteria, as a list
    assert "Networking fundamentals" in page
    assert f'<meta property="og:url" content="{TEST_BASE_URL}/badges/{ccna.badge_id}">' in page
    assert (f'<meta property="og:image" content="{TEST_BASE_URL}/badges/achievements/CCNA/'
            'image.png">') in page
    assert '<meta property="og:title" content="CCNA — John Doe">' in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in response.headers
    assert "<script" not in page
    assert "csco10000000@" not in page  # no address, plain or otherwise


def test_the_public_page_revalidates_with_its_etag(client, db):
    url = f"/badges/{held('CCNA').badge_id}"
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304

    revoke_certification(held("CCNA"), reason="Misconduct")

    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "Revoked" in changed.text


def test_the_public_credential_is_the_signed_one(client, db):
    response = client.get(f"/badges/{held('CCNA').badge_id}/credential.json")
    assert response.status_code == 200
    assert response.json == json.loads(current("CCNA").document)


@pytest.mark.parametrize("badge_id", ["0" * 20, "nonsense", "A" * 20])
def test_unknown_badges_get_the_neutral_page(client, badge_id):
    response = client.get(f"/badges/{badge_id}")
    assert response.status_code == 404
    assert "This badge is not available" in response.text
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_withdrawn_consent_makes_every_public_answer_neutral(client, db):
    Candidate.update(verification_consent=True).where(Candidate.login_id == MEI).execute()
    withdraw_consent()
    for code in ("CCNA", "CCIE-EI"):
        badge_id = held(code).badge_id
        page = client.get(f"/badges/{badge_id}")
        credential = client.get(f"/badges/{badge_id}/credential.json")
        assert page.status_code == 404 and credential.status_code == 404
        assert "This badge is not available" in page.text and "John Doe" not in page.text
    # Another candidate's pages are unaffected.
    assert client.get(f"/badges/{held('CCNA', MEI).badge_id}").status_code == 200


def test_an_expired_badge_says_so(client, db):
    ccna = held("CCNA")
    ended = TODAY - timedelta(days=1)
    CandidateCertification.update(status="expired", expires_on=ended).where(
        CandidateCertification.id == ccna.id).execute()
    IssuedCredential.update(valid_until=ended).where(
        IssuedCredential.candidate_certification == ccna.id).execute()

    page = client.get(f"/badges/{ccna.badge_id}").text

    assert f'class="status-expired">Expired</strong> on {ended:%Y-%b-%d}' in page


def test_revocation_reaches_verification_the_pdf_the_badge_page_and_status_list(
    candidate_client, third_party, db
):
    ccna = held("CCNA")
    issued = json.loads(current("CCNA").document)
    assert candidate_client.get("/certifications/CCNA/certificate.pdf").status_code == 200

    revoke_certification(ccna, reason="Exam misconduct")

    assert '"status":"revoked"' in third_party.get(
        f"/api/v1/verifications/{ccna.verification_code}").get_data(as_text=True).replace(" ", "")
    assert candidate_client.get("/certifications/CCNA/certificate.pdf").status_code == 404
    badge_page = third_party.get(f"/badges/{ccna.badge_id}").text
    assert 'class="status-revoked">Revoked</strong>' in badge_page
    listing = third_party.get(path_of(issued["credentialStatus"]["statusListCredential"])).json
    keys = badges.trusted_keys(badges.current_settings())
    assert credentials.is_revoked(issued, listing, keys) is True


def test_the_public_pages_are_rate_limited_per_client(app_config, db):
    from certportal import create_app
    from certportal.web.security import limiter

    app_config.update(RATELIMIT_ENABLED=True, BADGE_RATE_LIMIT="3 per minute")
    limited = create_app(app_config)
    limiter.reset()
    viewer = limited.test_client()
    url = f"/badges/{held('CCNA').badge_id}"

    assert [viewer.get(url).status_code for _ in range(2)] == [200, 200]
    assert viewer.get(url + "/credential.json").status_code == 200
    refused = viewer.get(url)
    assert refused.status_code == 429
    assert "Too many requests" in refused.text and "John Doe" not in refused.text
    assert "Set-Cookie" not in refused.headers


# --- What verifiers fetch --------------------------------------------------------------------


def test_every_address_a_badge_names_is_served(client, db):
    issued = json.loads(current("CCNA").document)
    achievement = issued["credentialSubject"]["achievement"]
    addresses = {
        issued["issuer"]["id"]: "application/ld+json",
        issued["proof"]["verificationMethod"]: "application/ld+json",
        issued["credentialStatus"]["statusListCredential"]: "application/ld+json",
        achievement["id"]: "application/ld+json",
        achievement["image"]["id"]: "image/png",
    }
    for url, mimetype in addresses.items():
        response = client.get(path_of(url))
        assert response.status_code == 200, url
        assert response.mimetype == mimetype, url
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert response.headers["Cache-Control"].startswith("public, max-age="), url
    profile = client.get("/badges/issuer").json
    assert profile["assertionMethod"] == [issued["proof"]["verificationMethod"]]
    assert client.get(path_of(achievement["id"])).json["name"] == "CCNA"


def test_the_status_list_is_signed_cached_and_revalidated(client, db):
    response = client.get("/badges/status/1")

    assert response.headers["Cache-Control"] == "public, max-age=300"
    listing = response.json
    check = credentials.verify_credential(
        listing, badges.trusted_keys(badges.current_settings()), datetime.now(UTC))
    assert check.verified, check.reason
    again = client.get("/badges/status/1", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/badges/status/2").status_code == 404
    assert client.get("/badges/status/0").status_code == 404


def test_unknown_keys_and_achievements_are_404(client, db):
    assert client.get("/badges/issuer/keys/z6MkNotAKey").status_code == 404
    assert client.get("/badges/achievements/NOPE").status_code == 404
    assert client.get("/badges/achievements/NOPE/image.png").status_code == 404


def test_without_a_signing_key_nothing_is_published(app_config, db):
    from certportal import create_app

    app_config["BADGE_SIGNING_KEY"] = ""
    unsigned = create_app(app_config)
    viewer = unsigned.test_client()
    assert viewer.get("/badges/issuer").status_code == 404
    assert viewer.get("/badges/status/1").status_code == 404
    owner = unsigned.test_client()
    log_in(owner)
    assert "This portal does not issue digital badges yet" in owner.get("/digital-badges").text


# --- The transcript as a CLR ------------------------------------------------------------------


def make_transcript(candidate_client, **changes) -> Transcript:
    page = candidate_client.get("/transcripts/new").text
    form = {"csrf_token": csrf_token_from(page), "name_form": "full", "show_dates": "y",
            "only_active": "y", "expires_after": "30", "selection": "active", **changes}
    response = candidate_client.post(
        "/transcripts/new", data={key: value for key, value in form.items() if value is not None})
    assert response.status_code == 303, response.text
    return Transcript.select().order_by(Transcript.id.desc()).first()


def test_the_public_transcript_offers_its_signed_clr(candidate_client, third_party, db):
    transcript = make_transcript(candidate_client)
    page = third_party.get(f"/t/{transcript.public_id}").text
    assert f'href="/t/{transcript.public_id}/clr.json"' in page

    response = third_party.get(f"/t/{transcript.public_id}/clr.json")

    assert response.status_code == 200
    clr = response.json
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    embedded = clr["credentialSubject"]["verifiableCredential"]
    assert [badge["id"] for badge in embedded] == [
        current(code).credential_id for code in ("CCNA", "CCIE-EI", "SPEC-ENCOR")]
    check = credentials.verify_credential(
        clr, badges.trusted_keys(badges.current_settings()), datetime.now(UTC) + timedelta(1))
    assert check.verified, check.reason
    assert "Set-Cookie" not in response.headers
    assert Transcript.get_by_id(transcript.id).view_count == 1  # the page, not the download


def test_a_transcript_of_expired_certifications_offers_no_clr(candidate_client, third_party, db):
    transcript = make_transcript(candidate_client, only_active=None, selection="chosen",
                                 certifications=str(held("CCENT").certification_id))
    page = third_party.get(f"/t/{transcript.public_id}").text
    assert "CCENT" in page and "clr.json" not in page
    assert third_party.get(f"/t/{transcript.public_id}/clr.json").status_code == 404


def test_the_clr_follows_the_transcripts_own_rules(candidate_client, third_party, db):
    transcript = make_transcript(candidate_client)
    withdraw_consent()
    response = third_party.get(f"/t/{transcript.public_id}/clr.json")
    assert response.status_code == 404
    assert "This transcript is not available" in response.text
    assert third_party.get("/t/0000000000000000/clr.json").status_code == 404


# --- An independent verifier, given only what the portal serves ------------------------------


def served_documents(client, *signed) -> dict:
    """Every document a verifier fetches for these credentials (the issuer profile, each
    proof's key, each status list), as the portal serves them to anyone."""
    urls = set()
    for credential in signed:
        inside = credential["credentialSubject"].get("verifiableCredential", [])
        for each in [credential, *inside]:
            urls |= {each["issuer"]["id"], each["proof"]["verificationMethod"]}
            if "credentialStatus" in each:
                urls.add(each["credentialStatus"]["statusListCredential"])
    for url in list(urls):
        if "/badges/status/" in url:  # a status list's own proof names its key too
            urls.add(client.get(path_of(url)).json["proof"]["verificationMethod"])
    documents = {}
    for url in urls:
        response = client.get(path_of(url))
        assert response.status_code == 200, url
        documents[url] = response.json
    return documents


def a_minute_later() -> str:
    return f"{datetime.now(UTC) + timedelta(minutes=1):%Y-%m-%dT%H:%M:%SZ}"


def altered(value):
    """The same kind of value, one character (or the truth) different."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    position = len(value) - 2 if value.endswith("Z") else len(value) - 1
    old = value[position]
    new = str((int(old) + 1) % 10) if old.isdigit() else ("b" if old != "b" else "c")
    return value[:position] + new + value[position + 1:]


def leaf_paths(document, path=()):
    if isinstance(document, dict):
        for key, value in document.items():
            yield from leaf_paths(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from leaf_paths(value, (*path, index))
    else:
        yield path


def with_leaf_altered(document: dict, path: tuple) -> dict:
    changed = json.loads(json.dumps(document))
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = altered(parent[path[-1]])
    return changed


def test_what_the_portal_serves_verifies_independently(candidate_client, third_party, node,
                                                        tmp_path, db):
    badge_id = held("CCNA").badge_id
    downloaded = [
        candidate_client.get(f"/digital-badges/{badge_id}.json").json,
        json.loads(unbake_png(candidate_client.get(f"/digital-badges/{badge_id}.png").data)),
        json.loads(unbake_svg(candidate_client.get(f"/digital-badges/{badge_id}.svg").text)),
        third_party.get(f"/badges/{badge_id}/credential.json").json,
    ]
    transcript = make_transcript(candidate_client)
    clr = third_party.get(f"/t/{transcript.public_id}/clr.json").json

    verdicts = run_verifier(node, tmp_path, [*downloaded, clr],
                            served_documents(third_party, *downloaded, clr), a_minute_later())

    assert [(v["verified"], v["error"], v["revoked"]) for v in verdicts[:4]] == [
        (True, None, False)] * 4
    assert verdicts[4]["verified"], verdicts[4]["error"]
    assert [entry["verified"] for entry in verdicts[4]["embedded"]] == [True] * 3


def test_the_independent_verifier_rejects_a_served_badge_with_any_value_changed(
        candidate_client, third_party, node, tmp_path, db):
    badge = candidate_client.get(f"/digital-badges/{held('CCNA').badge_id}.json").json
    paths = list(leaf_paths(badge))
    assert len(paths) > 30  # every value: contexts, issuer, dates, subject, status, proof

    verdicts = run_verifier(node, tmp_path, [with_leaf_altered(badge, path) for path in paths],
                            served_documents(third_party, badge), a_minute_later())

    accepted = [path for path, verdict in zip(paths, verdicts, strict=True)
                if verdict["verified"]]
    assert accepted == []


def test_a_badge_revoked_from_the_command_line_reads_revoked_from_the_served_list(
        app, candidate_client, third_party, node, tmp_path, db):
    badge_id = held("CCNA").badge_id
    badge = candidate_client.get(f"/digital-badges/{badge_id}.json").json
    other = candidate_client.get(f"/digital-badges/{held('CCIE-EI').badge_id}.json").json
    revoked = app.test_cli_runner().invoke(
        args=["certs", "revoke", "csco10000000", "CCNA", "--reason", "Exam misconduct"])
    assert revoked.exit_code == 0, revoked.output

    verdicts = run_verifier(node, tmp_path, [badge, other],
                            served_documents(third_party, badge, other), a_minute_later())

    assert [(v["verified"], v["revoked"]) for v in verdicts] == [(True, True), (True, False)]
    assert "Revoked" in third_party.get(f"/badges/{badge_id}").text


# --- Navigation ------------------------------------------------------------------------------


def test_home_and_help_point_to_digital_badges(candidate_client, db):
    assert candidate_client.get("/section/digital-badges").status_code == 404
    home = candidate_client.get("/").text
    assert 'href="/digital-badges"' in home.split("<main", 1)[1]
    guide = candidate_client.get("/help").text
    assert "Digital Badges" in guide and 'href="/digital-badges"' in guide.split("<main", 1)[1]


def test_a_second_login_sees_only_its_own_badges(client, db):
    log_in(client, "CSCO10000001", "second-demo-password")
    page = client.get("/digital-badges").text
    assert BADGE_ID.findall(page) == [held("CCNA", MEI).badge_id]
