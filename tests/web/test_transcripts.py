"""Transcripts: create, edit, disable, share by email, the public page, views."""

import html
import re
from datetime import date, timedelta

import pytest

from certportal.domain.certifications import grant
from certportal.formatting import guide_date
from certportal.models import (
    Candidate,
    CandidateCertification,
    Certification,
    OutgoingEmail,
    Transcript,
    TranscriptView,
    random_code,
    utcnow,
)
from tests.conftest import PARTIAL, csrf_token_from, log_in
from tests.factories import held, john

TODAY = date.today()


def cert_id(code):
    return Certification.get(Certification.code == code).id


def transcript_form(**overrides):
    fields = {
        "name_form": "full",
        "show_dates": "y",
        "only_active": "y",
        "expires_after": "30",
        "expires_on": "",
        "description": "For my employer",
        "remarks": "Ask me about CCIE.",
        "selection": "active",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def post_form(client, url, data, headers=None):
    token = csrf_token_from(client.get(url).text)
    return client.post(url, data={"csrf_token": token, **data}, headers=headers or {})


def create(client, headers=None, **overrides):
    return post_form(client, "/transcripts/new", transcript_form(**overrides), headers)


def newest_transcript():
    return Transcript.select().order_by(Transcript.id.desc()).first()


def post_action(client, url):
    token = csrf_token_from(client.get("/transcripts").text)
    return client.post(url, data={"csrf_token": token})


# --- The Transcripts page --------------------------------------------------------------


def test_transcripts_page_shows_the_guides_instruction_and_columns(candidate_client):
    page = candidate_client.get("/transcripts")
    assert page.status_code == 200
    assert ("Create a new transcript or edit an existing one. Then, select the transcript and "
            "enter an email address to send directions") in page.text
    assert "Create new transcript" in page.text
    assert 'aria-current="page">Transcripts<' in page.text
    assert "You have no transcripts yet" in page.text


def test_transcripts_need_a_login(client):
    response = client.get("/transcripts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    partial = client.get("/transcripts/new", headers=PARTIAL)
    assert "/login" in partial.headers["HX-Redirect"]


def test_new_form_is_a_page_alone_and_a_fragment_for_htmx(candidate_client):
    full = candidate_client.get("/transcripts/new")
    assert full.status_code == 200 and "<html" in full.text
    fragment = candidate_client.get("/transcripts/new", headers=PARTIAL)
    assert "<html" not in fragment.text and fragment.text.lstrip().startswith("<form")
    # The id is the server's to choose, when it saves: the form has no field for it.
    assert 'name="public_id"' not in full.text and "Assigned when you save." in full.text
    for label in ("Transcript ID", "Display name", "Show certification dates", "Show address",
                  "Show only active certifications", "Expires after", "Description", "Remarks",
                  "Active certifications", "All New Certificates",
                  "Certification to display in transcript", "Certification Name"):
        assert label in full.text
    # The full name on record and 30 days are the defaults.
    assert re.search(r'checked id="name_form-0"[^>]*value="full"', full.text)
    assert "John Doe (full name)" in full.text
    assert re.search(r'checked id="expires_after-0"[^>]*value="30"', full.text)


def test_the_expiry_date_field_says_which_format_it_takes(candidate_client):
    """The browser shows its own order (mm/dd/yyyy in the US), the portal writes 2026-Dec-30:
    the hint beside the field says both, and the field points to it."""
    page = candidate_client.get("/transcripts/new").text
    field = re.search(r'<input[^>]*id="expires_on"[^>]*>', page).group(0)
    assert 'aria-describedby="expires_on-hint"' in field
    hint = re.search(r'<p class="hint" id="expires_on-hint">([^<]*)</p>', page).group(1)
    assert "mm/dd/yyyy" in hint
    assert guide_date(date.today()) in hint


# --- Create ------------------------------------------------------------------------------


def test_create_saves_the_transcript_and_redirects_with_a_message(candidate_client, db):
    response = create(candidate_client)
    assert response.status_code == 303 and response.headers["Location"] == "/transcripts"
    transcript = newest_transcript()
    assert transcript.candidate_id == john().id
    assert transcript.expires_on == TODAY + timedelta(days=30)
    assert (transcript.show_dates, transcript.show_address, transcript.only_active) == (
        True, False, True)
    page = candidate_client.get("/transcripts").text
    assert "Transcript created" in page
    assert "For my employer" in page and transcript.public_id in page


def test_a_posted_transcript_id_is_ignored_the_server_chooses_it(candidate_client, client, db):
    chosen = "15KDEQ4K1BV1133H"
    assert create(candidate_client, public_id=chosen).status_code == 303
    created = newest_transcript()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{16}", created.public_id)
    assert created.public_id != chosen
    assert not Transcript.select().where(Transcript.public_id == chosen).exists()
    assert client.get(f"/t/{chosen}").status_code == 404
    # Nor does an edit move a transcript to the posted id.
    response = post_form(candidate_client, f"/transcripts/{created.public_id}/edit",
                         transcript_form(public_id=chosen, description="Moved?"))
    assert response.status_code == 303
    edited = Transcript.get_by_id(created.id)
    assert (edited.public_id, edited.description) == (created.public_id, "Moved?")
    assert Transcript.select().count() == 1


def test_create_with_htmx_answers_the_updated_list_with_the_new_row(candidate_client, db):
    response = create(candidate_client, headers=PARTIAL)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="transcripts-panel"' in response.text
    assert "Transcript created" in response.text
    assert newest_transcript().public_id in response.text
    # The form is closed: the slot that held it is empty again.
    assert '<div id="transcript-form-slot"></div>' in response.text


def test_a_chosen_date_sets_the_expiry(candidate_client, db):
    chosen = TODAY + timedelta(days=45)
    create(candidate_client, expires_after="date", expires_on=chosen.isoformat())
    assert newest_transcript().expires_on == chosen


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"expires_after": "date", "expires_on": (TODAY - timedelta(days=1)).isoformat()},
         "The expiry date is in the past"),
        ({"expires_after": "date", "expires_on": ""}, "Enter the expiry date as YYYY-MM-DD."),
        ({"expires_after": "date", "expires_on": (TODAY + timedelta(days=4000)).isoformat()},
         "A transcript can last at most three years"),
        ({"expires_after": "forever"}, "Choose when the transcript expires."),
        ({"selection": "chosen"}, "Select at least one certification to display."),
        ({"name_form": None}, "Choose how the transcript shows your name."),
        ({"name_form": "Somebody Else"}, "Choose one of the forms of your name listed"),
        # John's record has no localized name: that form is not his to choose.
        ({"name_form": "localized"}, "Choose one of the forms of your name listed"),
        ({"description": "D" * 201}, "Use at most 200 characters."),
        ({"remarks": "R" * 1001}, "Use at most 1000 characters."),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_nothing_is_saved(
    candidate_client, db, overrides, field_message
):
    response = create(candidate_client, **overrides)
    assert response.status_code == 422
    assert field_message in response.text
    assert 'class="field-error"' in response.text
    assert "Nothing was saved" in response.text
    assert Transcript.select().count() == 0


def test_a_refused_htmx_form_answers_the_form_alone(candidate_client, db):
    response = create(candidate_client, headers=PARTIAL, selection="chosen")
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form")
    assert "Select at least one certification to display." in response.text


def test_another_candidates_certification_cannot_be_chosen(candidate_client, db):
    mei = Candidate.get(Candidate.login_id == "CSCO10000001")
    mei_only = CandidateCertification.create(
        candidate=mei, certification=cert_id("CCNP-ENT"), status="active",
        active_on=TODAY, expires_on=TODAY + timedelta(days=900),
        verification_code=random_code(16), badge_id=random_code(20))
    response = create(candidate_client, selection="chosen",
                      certifications=[str(mei_only.certification_id)])
    assert response.status_code == 422
    assert Transcript.select().count() == 0


# --- Edit, disable, enable ---------------------------------------------------------------


def test_edit_changes_the_transcript(candidate_client, db):
    create(candidate_client)
    transcript = newest_transcript()
    url = f"/transcripts/{transcript.public_id}/edit"
    form_page = candidate_client.get(url).text
    assert "For my employer" in form_page and "Edit transcript" in form_page
    response = post_form(candidate_client, url, transcript_form(
        description="For the partner portal", show_address="y", only_active=None,
        expires_after="90", selection="chosen", certifications=[str(cert_id("CCENT"))]))
    assert response.status_code == 303
    saved = Transcript.get_by_id(transcript.id)
    assert saved.public_id == transcript.public_id
    assert (saved.description, saved.show_address, saved.only_active) == (
        "For the partner portal", True, False)
    assert saved.expires_on == TODAY + timedelta(days=90)
    assert "Transcript saved" in candidate_client.get("/transcripts").text


def test_edit_refuses_bad_input_and_keeps_the_transcript(candidate_client, db):
    create(candidate_client)
    transcript = newest_transcript()
    response = post_form(candidate_client, f"/transcripts/{transcript.public_id}/edit",
                         transcript_form(description="changed", selection="chosen"))
    assert response.status_code == 422
    assert Transcript.get_by_id(transcript.id).description == "For my employer"


def test_disable_hides_the_public_page_at_once_and_enable_restores_it(
    candidate_client, client, db
):
    create(candidate_client)
    transcript = newest_transcript()
    assert candidate_client.get(f"/t/{transcript.public_id}").status_code == 200

    response = post_action(candidate_client, f"/transcripts/{transcript.public_id}/disable")
    assert response.status_code == 303
    assert "Transcript disabled" in candidate_client.get("/transcripts").text
    gone = candidate_client.get(f"/t/{transcript.public_id}")
    assert gone.status_code == 404 and "This transcript is not available" in gone.text

    partial = candidate_client.post(
        f"/transcripts/{transcript.public_id}/enable",
        data={"csrf_token": csrf_token_from(candidate_client.get("/transcripts").text)},
        headers=PARTIAL,
    )
    assert partial.status_code == 200 and "Transcript enabled" in partial.text
    assert candidate_client.get(f"/t/{transcript.public_id}").status_code == 200


def test_another_candidates_transcript_is_never_reachable(candidate_client, app, db):
    create(candidate_client)
    transcript = newest_transcript()
    other = app.test_client()
    log_in(other, "CSCO10000001", "second-demo-password")
    token = csrf_token_from(other.get("/transcripts").text)
    public_id = transcript.public_id
    assert other.get(f"/transcripts/{public_id}/edit").status_code == 404
    assert other.get(f"/transcripts/{public_id}/email").status_code == 404
    assert other.get(f"/transcripts/{public_id}/views").status_code == 404
    for action in ("disable", "enable", "edit", "email", "email/preview"):
        response = other.post(f"/transcripts/{public_id}/{action}",
                              data={"csrf_token": token, **transcript_form(), "to": "x@y.org"})
        assert response.status_code == 404, action
    assert public_id not in other.get("/transcripts").text
    unchanged = Transcript.get_by_id(transcript.id)
    assert unchanged.disabled_at is None and unchanged.description == "For my employer"
    assert OutgoingEmail.select().count() == 0


# --- Which certifications a transcript shows ----------------------------------------------


def public_names(client, transcript):
    """The certification names on the public page, in order (dates left out)."""
    page = client.get(f"/t/{transcript.public_id}").text
    cells = re.findall(r"<td[^>]*>([^<]+?)(?: — expired)?</td>", page)
    return [cell for cell in cells if not re.fullmatch(r"\d{4}-\w{3}-\d{2}", cell)]


def test_active_certifications_shows_those_active_when_created(candidate_client, client, db):
    create(candidate_client, selection="active")
    names = public_names(client, newest_transcript())
    assert names == [
        "CCNA (CCNA)",
        "CCIE Enterprise Infrastructure (CCIE)",
        "Cisco Certified Specialist - Enterprise Core (Specialist)",
    ]


def test_all_new_certificates_picks_up_a_certification_earned_later(
    candidate_client, client, db
):
    create(candidate_client, selection="all_new")
    transcript = newest_transcript()
    assert "CCNP Enterprise (CCNP)" not in public_names(client, transcript)
    grant("CSCO10000000", "CCNP-ENT", TODAY, TODAY, reason="Earned after the transcript")
    assert "CCNP Enterprise (CCNP)" in public_names(client, transcript)


def test_a_chosen_list_shows_exactly_those_certifications(candidate_client, client, db):
    create(candidate_client, selection="chosen",
           certifications=[str(cert_id("CCNA")), str(cert_id("SPEC-ENCOR"))])
    transcript = newest_transcript()
    assert public_names(client, transcript) == [
        "CCNA (CCNA)", "Cisco Certified Specialist - Enterprise Core (Specialist)"]
    # A later certification does not join a chosen list.
    grant("CSCO10000000", "CCNP-ENT", TODAY, TODAY, reason="Earned after the transcript")
    assert "CCNP Enterprise (CCNP)" not in public_names(client, transcript)


def test_only_active_hides_a_certification_once_it_expires(candidate_client, client, db):
    create(candidate_client, selection="chosen",
           certifications=[str(cert_id("CCNA")), str(cert_id("SPEC-ENCOR"))])
    transcript = newest_transcript()
    ccna = held("CCNA")
    ccna.status, ccna.expires_on = "expired", TODAY - timedelta(days=1)
    ccna.save()
    assert public_names(client, transcript) == [
        "Cisco Certified Specialist - Enterprise Core (Specialist)"]

    Transcript.update(only_active=False).where(Transcript.id == transcript.id).execute()
    page = client.get(f"/t/{transcript.public_id}").text
    assert "CCNA (CCNA) — expired" in page


# --- The public page ---------------------------------------------------------------------


def test_public_page_shows_the_guides_transcript_without_a_login(candidate_client, client, db):
    # The guide's sample: two certifications granted in December 2019, dates shown.
    create(candidate_client, show_address="y", only_active=None, selection="chosen",
           certifications=[str(cert_id("CCENT")), str(cert_id("CCNA-RS"))])
    transcript = newest_transcript()
    response = client.get(f"/t/{transcript.public_id}")
    assert response.status_code == 200
    page = response.text
    assert "View Transcript" in page and "John Doe" in page
    assert "Test123test Test2 Cor" in page and "North Carolina" in page
    assert ("The following information has been provided to you by John Doe as a validation "
            "of current exam and certification achievements.") in page
    assert "General Certifications - Entry" in page
    assert "2019-Dec-09" in page and "2019-Dec-08" in page
    assert "Ask me about CCIE." in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert "Set-Cookie" not in response.headers
    assert "<script" not in page


def test_public_page_leaves_out_address_and_dates_unless_chosen(candidate_client, client, db):
    create(candidate_client, show_dates=None)
    page = client.get(f"/t/{newest_transcript().public_id}").text
    assert "Test123test" not in page
    assert "2019-Dec-08" not in page and ">Date<" not in page


def test_expired_transcript_says_so_with_410(candidate_client, client, db):
    create(candidate_client)
    transcript = newest_transcript()
    Transcript.update(expires_on=TODAY - timedelta(days=1)).where(
        Transcript.id == transcript.id).execute()
    response = client.get(f"/t/{transcript.public_id}")
    assert response.status_code == 410
    assert "This transcript is not available" in response.text
    assert "has expired" in response.text
    assert "John Doe" not in response.text
    assert Transcript.get_by_id(transcript.id).view_count == 0


def test_withdrawn_consent_hides_every_transcript(candidate_client, client, db):
    create(candidate_client)
    transcript = newest_transcript()
    Candidate.update(verification_consent=False).where(Candidate.id == john().id).execute()
    response = client.get(f"/t/{transcript.public_id}")
    assert response.status_code == 404
    assert "This transcript is not available" in response.text and "John Doe" not in response.text


def test_the_list_tells_the_owner_when_withdrawn_consent_hides_a_transcript(
    candidate_client, db
):
    create(candidate_client)
    assert 'status-active">Active<' in candidate_client.get("/transcripts").text
    Candidate.update(verification_consent=False).where(Candidate.id == john().id).execute()
    page = candidate_client.get("/transcripts").text
    assert 'status-active">Active<' not in page
    assert "Not shown" in page and "Verification of Certification is No" in page


@pytest.mark.parametrize("public_id", ["0000000000000000", "nonsense", "15KDEQ4K1BV1133H"])
def test_unknown_ids_get_the_same_neutral_page(client, public_id):
    response = client.get(f"/t/{public_id}")
    assert response.status_code == 404
    assert "This transcript is not available" in response.text
    assert response.headers["Referrer-Policy"] == "no-referrer"


def section(page, css_class):
    """The HTML of the public page's <section class="css_class">."""
    match = re.search(rf'<section class="{css_class}".*?</section>', page, re.S)
    assert match, f"no {css_class} section"
    return match.group(0)


def test_verified_facts_and_the_candidates_own_words_are_kept_apart(candidate_client, client,
                                                                    db):
    create(candidate_client, remarks="Verified by the certification team.",
           selection="chosen", certifications=[str(cert_id("CCNA"))])
    page = client.get(f"/t/{newest_transcript().public_id}").text
    verified = section(page, "transcript-verified")
    own_words = section(page, "transcript-own-words")
    assert "Verified by Cisco" in verified
    assert "CCNA (CCNA)" in verified and "the name John Doe as on record" in verified
    assert "Remarks from John Doe (not verified by Cisco)" in own_words
    assert "Verified by the certification team." in own_words
    assert "Verified by the certification team." not in verified
    # No remarks, no box for them.
    create(candidate_client, remarks="")
    assert "transcript-own-words" not in client.get(f"/t/{newest_transcript().public_id}").text


def test_the_display_name_is_a_form_of_the_name_on_record(candidate_client, client, db):
    form = candidate_client.get("/transcripts/new").text
    assert "John Doe (full name)" in form and "J. Doe (initials of given names)" in form
    # John's record has no localized name, so it is not offered.
    assert "(localized name)" not in form
    create(candidate_client, name_form="initials")
    page = client.get(f"/t/{newest_transcript().public_id}").text
    assert '<h1 id="transcript-heading">J. Doe</h1>' in page
    assert "John" not in page


def test_the_localized_name_is_offered_when_the_record_has_one(app, db):
    mei = app.test_client()
    log_in(mei, "CSCO10000001", "second-demo-password")
    assert "王美 (localized name)" in mei.get("/transcripts/new").text
    create(mei, name_form="localized", selection="all_new")
    transcript = newest_transcript()
    Candidate.update(verification_consent=True).where(
        Candidate.login_id == "CSCO10000001").execute()
    assert transcript.name_form == "localized"
    assert '<h1 id="transcript-heading">王美</h1>' in app.test_client().get(
        f"/t/{transcript.public_id}").text


def test_a_free_text_display_name_is_not_taken_and_a_tampered_form_changes_nothing(
    candidate_client, client, db
):
    # The old free-text field, posted anyway, is not read.
    create(candidate_client, display_name="Somebody Else")
    transcript = newest_transcript()
    page = client.get(f"/t/{transcript.public_id}").text
    assert "Somebody Else" not in page and '<h1 id="transcript-heading">John Doe</h1>' in page

    url = f"/transcripts/{transcript.public_id}/edit"
    refused = post_form(candidate_client, url,
                        transcript_form(name_form="Somebody Else", description="Changed"))
    assert refused.status_code == 422
    assert 'id="name_form-error">Choose one of the forms of your name listed' in refused.text
    unchanged = Transcript.get_by_id(transcript.id)
    assert (unchanged.name_form, unchanged.description) == ("full", "For my employer")


def test_a_saved_form_the_record_no_longer_has_shows_the_full_name(candidate_client, client,
                                                                   db):
    Candidate.update(localized_first_name="约翰", localized_last_name="多伊").where(
        Candidate.id == john().id).execute()
    create(candidate_client, name_form="localized")
    transcript = newest_transcript()
    assert '<h1 id="transcript-heading">多伊约翰</h1>' in client.get(
        f"/t/{transcript.public_id}").text
    Candidate.update(localized_first_name="", localized_last_name="").where(
        Candidate.id == john().id).execute()
    assert '<h1 id="transcript-heading">John Doe</h1>' in client.get(
        f"/t/{transcript.public_id}").text


# --- Views -------------------------------------------------------------------------------


def test_a_viewer_counts_once_a_day_and_their_revalidations_add_nothing(
    candidate_client, app, db, monkeypatch
):
    create(candidate_client)
    transcript = newest_transcript()
    url = f"/t/{transcript.public_id}"
    viewer = app.test_client()
    etag = viewer.get(url).headers["ETag"]
    assert viewer.get(url).status_code == 200
    again = viewer.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Referrer-Policy"] == "no-referrer"
    counted = Transcript.get_by_id(transcript.id)
    assert counted.view_count == 1 and counted.last_viewed_at is not None

    # Another browser at the same address, and another address: a viewer each.
    viewer.get(url, headers={"User-Agent": "Another browser"})
    viewer.get(url, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    # The next day the first viewer counts again.
    tomorrow = utcnow() + timedelta(days=1)
    monkeypatch.setattr("certportal.domain.transcripts.utcnow", lambda: tomorrow)
    viewer.get(url, headers={"If-None-Match": etag})
    viewer.get(url)
    assert Transcript.get_by_id(transcript.id).view_count == 4

    # The log holds every counted view, and nothing that names an address or a browser.
    logged = list(TranscriptView.select().where(TranscriptView.transcript == transcript))
    assert len(logged) == 4
    for row in logged:
        assert row.user_agent == "" and re.fullmatch(r"[0-9a-f]{64}", row.viewer_hash)
        assert "203.0.113.9" not in row.viewer_hash and "127.0.0.1" not in row.viewer_hash
    page = candidate_client.get("/transcripts").text
    assert '>4<span class="visually-hidden"> views of transcript' in page
    log = candidate_client.get(f"/transcripts/{transcript.public_id}/views").text
    assert log.count("<tr><td") == 4 and "Time (UTC)" in log


def test_the_owner_has_a_view_link_and_their_own_views_do_not_count(candidate_client, app, db):
    """The owner checks the page as a third party sees it; the count stays the third
    parties'."""
    create(candidate_client)
    transcript = newest_transcript()
    url = f"/t/{transcript.public_id}"
    row = re.search(rf'<tr id="transcript-{transcript.public_id}">.*?</tr>',
                    candidate_client.get("/transcripts").text, re.S).group(0)
    assert re.search(rf'<a href="{url}"[^>]*>View<span class="visually-hidden">', row)
    seen_by_owner = candidate_client.get(url)
    assert seen_by_owner.status_code == 200 and "John Doe" in seen_by_owner.text
    assert Transcript.get_by_id(transcript.id).view_count == 0
    assert app.test_client().get(url).status_code == 200
    assert Transcript.get_by_id(transcript.id).view_count == 1


@pytest.fixture
def limited_app(app_config):
    from certportal import create_app
    from certportal.web.security import limiter

    app_config.update(RATELIMIT_ENABLED=True, TRANSCRIPT_RATE_LIMIT="3 per minute")
    limited = create_app(app_config)
    limiter.reset()
    return limited


def test_the_public_page_is_rate_limited_per_client(limited_app, db):
    owner = limited_app.test_client()
    log_in(owner)
    create(owner)
    url = f"/t/{newest_transcript().public_id}"
    viewer = limited_app.test_client()
    assert [viewer.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = viewer.get(url)
    assert refused.status_code == 429
    assert "Too many requests" in refused.text and "John Doe" not in refused.text
    assert "Set-Cookie" not in refused.headers
    assert refused.headers["Referrer-Policy"] == "no-referrer"
    # Guessing other ids draws on the same allowance.
    assert viewer.get("/t/0000000000000000").status_code == 429
    # Another client keeps its own.
    other = viewer.get(url, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 200


def test_a_head_request_is_not_counted_as_a_view(candidate_client, client, db):
    create(candidate_client)
    transcript = newest_transcript()
    assert client.head(f"/t/{transcript.public_id}").status_code == 200
    assert Transcript.get_by_id(transcript.id).view_count == 0


def test_a_changed_transcript_gets_a_new_etag(candidate_client, client, db):
    create(candidate_client)
    transcript = newest_transcript()
    etag = client.get(f"/t/{transcript.public_id}").headers["ETag"]
    post_form(candidate_client, f"/transcripts/{transcript.public_id}/edit",
              transcript_form(remarks="New remark"))
    fresh = client.get(f"/t/{transcript.public_id}", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and "New remark" in fresh.text


# --- Email -------------------------------------------------------------------------------


def test_email_page_offers_send_preview_copy_link_and_networks(candidate_client, db):
    create(candidate_client)
    transcript = newest_transcript()
    page = candidate_client.get(f"/transcripts/{transcript.public_id}/email").text
    for text in ("Email this Transcript", "To:", ">Send<", "Preview Email", "Copy link",
                 f'value="http://localhost/t/{transcript.public_id}" readonly',
                 "https://www.linkedin.com/sharing/share-offsite/?url=http%3A%2F%2Flocalhost%2Ft%2F",
                 "https://www.facebook.com/sharer/sharer.php?u=",
                 "https://x.com/intent/post?url="):
        assert text in page, text


def test_preview_shows_the_guides_message(candidate_client, db):
    create(candidate_client)
    transcript = newest_transcript()
    url = f"/transcripts/{transcript.public_id}/email"
    token = csrf_token_from(candidate_client.get(url).text)
    response = candidate_client.post(f"{url}/preview", data={"csrf_token": token,
                                                             "to": "hr@example.org"})
    assert response.status_code == 200
    page = response.text
    expires = transcript.expires_on
    assert "Cisco - Transcript for John Doe" in page
    assert ("This email was sent because we received a request to have transcript information "
            "for John Doe emailed to you.") in page
    assert "Please click the following link to view transcript" in page
    assert f"http://localhost/t/{transcript.public_id}" in page
    assert (f"This transcript currently expires on {expires:%A}, {expires:%B} {expires.day}, "
            f"{expires.year}.") in page
    assert OutgoingEmail.select().count() == 0


@pytest.mark.parametrize("address", ["", "not-an-address", "a@b.org, c@d.org"])
def test_a_bad_address_is_refused_beside_the_field(candidate_client, db, address):
    create(candidate_client)
    transcript = newest_transcript()
    url = f"/transcripts/{transcript.public_id}/email"
    token = csrf_token_from(candidate_client.get(url).text)
    response = candidate_client.post(url, data={"csrf_token": token, "to": address})
    assert response.status_code == 422
    assert 'class="field-error"' in response.text
    assert OutgoingEmail.select().count() == 0
    preview = candidate_client.post(f"{url}/preview", data={"csrf_token": token, "to": address})
    assert preview.status_code == 422
    assert 'class="field-error"' in preview.text


def test_the_preview_keeps_the_csrf_token_out_of_urls(candidate_client, db):
    create(candidate_client)
    url = f"/transcripts/{newest_transcript().public_id}/email"
    page = candidate_client.get(url).text
    preview_button = re.search(r"<button[^>]*>Preview Email</button>", page, re.S).group(0)
    assert "formmethod" not in preview_button  # submitted with the form's POST
    assert candidate_client.get(f"{url}/preview?to=hr@example.org").status_code == 405
    refused = candidate_client.post(f"{url}/preview", data={"to": "hr@example.org"})
    assert refused.status_code == 400


def test_a_disabled_transcript_is_not_emailed(candidate_client, db):
    create(candidate_client)
    transcript = newest_transcript()
    post_action(candidate_client, f"/transcripts/{transcript.public_id}/disable")
    url = f"/transcripts/{transcript.public_id}/email"
    token = csrf_token_from(candidate_client.get(url).text)
    response = candidate_client.post(url, data={"csrf_token": token, "to": "hr@example.org"})
    assert response.status_code == 422 and "cannot be viewed now" in response.text
    assert OutgoingEmail.select().count() == 0


@pytest.fixture
def mail_client(app_config, request):
    app_config["TRANSCRIPT_EMAILS_PER_DAY"] = 2
    # Built after the limit is set: mail_app reads app_config when it creates the app.
    client = request.getfixturevalue("mail_app").test_client()
    assert log_in(client).status_code == 303
    return client


def test_sent_email_over_smtp_matches_the_preview(mail_client, smtp_server, db):
    create(mail_client)
    transcript = newest_transcript()
    url = f"/transcripts/{transcript.public_id}/email"
    token = csrf_token_from(mail_client.get(url).text)
    preview = mail_client.post(f"{url}/preview", data={"csrf_token": token,
                                                       "to": "hr@example.org"}).text
    response = mail_client.post(url, data={"csrf_token": token, "to": "hr@example.org"})
    assert response.status_code == 303
    assert "Transcript sent to hr@example.org." in mail_client.get(url).text

    [message] = smtp_server.messages
    assert message["To"] == "hr@example.org"
    assert message["Subject"] == "Cisco - Transcript for John Doe"
    assert message["Subject"] in preview
    body = message.get_body(("plain",)).get_content()
    previewed = re.search(r'<pre class="email-text">(.*?)</pre>', preview, re.S).group(1)
    # The same text, line for line (SMTP carries CRLF line ends; the page escapes HTML).
    assert body.replace("\r\n", "\n").strip() == html.unescape(previewed).strip()
    assert f"http://localhost/t/{transcript.public_id}" in body
    stored = OutgoingEmail.get()
    assert (stored.kind, stored.status, stored.candidate_id) == ("transcript", "sent", john().id)


def test_the_email_carries_no_words_of_the_candidates_only_the_name_on_record(
    mail_client, smtp_server, db
):
    planted = "Verified by the certification team: call 555-0100"
    create(mail_client, display_name=planted, description=planted, remarks=planted)
    transcript = newest_transcript()
    url = f"/transcripts/{transcript.public_id}/email"
    token = csrf_token_from(mail_client.get(url).text)
    preview = mail_client.post(f"{url}/preview", data={"csrf_token": token,
                                                       "to": "hr@example.org"}).text
    previewed = re.search(r'<section class="email-preview".*?</section>', preview, re.S).group(0)
    assert mail_client.post(url, data={"csrf_token": token, "to": "hr@example.org"}
                            ).status_code == 303
    [delivered] = smtp_server.messages
    stored = OutgoingEmail.get()
    assert delivered["Subject"] == "Cisco - Transcript for John Doe"
    for part in (previewed, delivered["Subject"], delivered.get_body(("plain",)).get_content(),
                 stored.subject, stored.body_text, stored.body_html):
        assert "certification team" not in part and "555-0100" not in part
    assert f"http://localhost/t/{transcript.public_id}" in stored.body_text


def test_the_daily_limit_stops_more_emails_with_a_clear_message(mail_client, smtp_server, db):
    create(mail_client)
    transcript = newest_transcript()
    url = f"/transcripts/{transcript.public_id}/email"
    statuses = []
    for number in range(3):
        token = csrf_token_from(mail_client.get(url).text)
        response = mail_client.post(url, data={"csrf_token": token,
                                               "to": f"hr{number}@example.org"})
        statuses.append(response.status_code)
    assert statuses == [303, 303, 429]
    assert "You have sent 2 transcript emails in the last 24 hours" in response.text
    assert len(smtp_server.messages) == 2
