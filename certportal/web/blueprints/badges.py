"""Digital Badges: the candidate's tab and downloads (/digital-badges/…), each badge's public
page (/badges/<id>), and the documents verifiers fetch: the issuer profile, its keys, the
status lists and the achievements (/badges/issuer, /badges/status/<n>, …)."""

import hashlib
import json
import re
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import BooleanField

from certportal.documents import artwork
from certportal.documents.badges import bake_png, bake_svg
from certportal.domain import badges
from certportal.web import public_answers
from certportal.web.errors import render_error
from certportal.web.htmx import redirect_after_post, render_page
from certportal.web.login import candidate_required, current_candidate
from certportal.web.navigation import (
    linkedin_add_certification_url,
    public_badge_url,
    share_links,
)
from certportal.web.security import configured_limit, limiter

bp = Blueprint("badges", __name__)

SAVED = "Saved: your choice for search engines applies to every public badge page."
DOWNLOADS = {"json": "application/json", "png": "image/png", "svg": "image/svg+xml"}
# Verifiers (wallets, other sites' scripts) fetch these from anywhere; they change rarely.
ISSUER_MAX_AGE = 300
STATUS_LIST_MAX_AGE = 300
KEY_MAX_AGE = 86400
ACHIEVEMENT_MAX_AGE = 3600
PUBLIC_ENDPOINTS = ("badges.public", "badges.public_credential")

# One budget per client for the page and its credential: guessing ids through one does not
# get a fresh allowance from the other.
public_limit = limiter.shared_limit(configured_limit("BADGE_RATE_LIMIT"), scope="badge-pages")


class SearchableForm(FlaskForm):
    searchable = BooleanField("Let search engines list my public badge pages")


def _today() -> date:
    return date.today()


def _program() -> str:
    return current_app.config["PROGRAM_NAME"]


def badge_svg(certification) -> str:
    """A certification's badge image: the portal's own logo artwork for it."""
    return artwork.logo_svg(
        certification.code, certification.abbreviation, certification.name, _program()
    )


def image_url(certification) -> str:
    return url_for("badges.achievement_image", code=certification.code)


# --- The tab ---------------------------------------------------------------------------------


def _share(badge: badges.Badge) -> dict:
    """The public link, LinkedIn's Add to profile form, and post links for one badge."""
    link = public_badge_url(badge.badge_id)
    name = badge.held.certification.name
    return {
        "link": link,
        "add_to_linkedin": linkedin_add_certification_url(
            name=name, organization=_program(), issued=badge.issued.valid_from,
            expires=badge.issued.valid_until, url=link, credential_id=badge.badge_id,
        ),
        "posts": share_links(link, f"My {_program()} {name} badge"),
    }


def _render_index(form=None, saved=None, status=200):
    candidate = current_candidate()
    shelf = badges.badges_of(candidate, _today())
    if form is None:
        form = SearchableForm(data={"searchable": candidate.badges_searchable})
    return render_page(
        "badges/index.html",
        "badges_panel",
        status=status,
        section="digital-badges",
        shelf=shelf,
        shares={badge.badge_id: _share(badge) for badge in shelf.live},
        issuing=badges.current_settings() is not None,
        consents=candidate.verification_consent is True,
        form=form,
        saved=saved,
        image_url=image_url,
    )


@bp.get("/digital-badges")
@candidate_required
def index():
    """Digital Badges: a signed badge per active certification, its downloads and sharing."""
    return _render_index()


@bp.post("/digital-badges/settings")
@candidate_required
def save_settings():
    """Whether search engines may list the candidate's public badge pages."""
    form = SearchableForm()
    if not form.validate():
        abort(400)  # only a missing or stale CSRF token fails: a checkbox has no bad value
    badges.set_searchable(current_candidate(), bool(form.searchable.data),
                          request.remote_addr or "")
    return redirect_after_post(
        url_for("badges.index"),
        lambda: _render_index(saved=SAVED),
        message=SAVED,
    )


@bp.get("/digital-badges/<badge_id>.<any(json, png, svg):fmt>")
@candidate_required
def download(badge_id: str, fmt: str):
    """A live badge's credential: JSON, or baked into its PNG or SVG image."""
    badge = badges.own_badge(current_candidate(), badge_id, _today())
    if badge is None:
        abort(404)
    credential = badge.credential
    certification = badge.held.certification
    if fmt == "json":
        body = json.dumps(credential, indent=2, ensure_ascii=False).encode()
    elif fmt == "png":
        body = bake_png(artwork.svg_to_png(badge_svg(certification)), credential)
    else:
        body = bake_svg(badge_svg(certification), credential).encode()
    response = Response(body, mimetype=DOWNLOADS[fmt])
    stem = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-"
                   for c in certification.code)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}-badge.{fmt}"'
    return response


# --- The public page -------------------------------------------------------------------------


def _public_headers(response, searchable: bool = False):
    response.headers["Referrer-Policy"] = "no-referrer"
    if not searchable:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    # Revalidate every time: the page follows revocation and consent at once.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _unavailable(status: int = 404, too_many: bool = False):
    body = render_template("transcripts/unavailable.html", thing="badge", too_many=too_many)
    return _public_headers(make_response(body, status))


@bp.errorhandler(429)
def _too_many_requests(error):
    if request.endpoint not in PUBLIC_ENDPOINTS:
        return render_error(429)
    # A third party's page: the public layout, no session cookie, no name.
    return _unavailable(429, too_many=True)


@bp.get("/badges/<badge_id>")
@public_limit
def public(badge_id: str):
    """A badge as anyone sees it, without logging in: what it recognises, whose it is, who
    issued it, and whether it holds today."""
    today = _today()
    found = badges.find_public(badge_id, today)
    if found is None:
        return _unavailable()
    etag = found.content_tag(today)
    public_answers.offer(etag)
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        badge = found.badge
        credential = badge.credential
        achievement = credential["credentialSubject"]["achievement"]
        response = make_response(render_template(
            "badges/public.html",
            found=found,
            badge=badge,
            credential=credential,
            achievement=achievement,
            criteria=badges.narrative_outline(achievement["criteria"]["narrative"]),
            page_url=public_badge_url(badge_id),
            # Previews fetch the image at its address on BASE_URL; the page itself loads it
            # from wherever it was served.
            og_image=achievement["image"]["id"],
            image=url_for("badges.achievement_image", code=achievement["humanCode"]),
        ))
    response.set_etag(etag)
    return _public_headers(response, found.searchable)


def _current_public_page(badge_id: str) -> public_answers.Seen | None:
    today = _today()
    found = badges.find_public(badge_id, today)
    return None if found is None else public_answers.Seen(found.content_tag(today))


public_answers.register(public_answers.PublicPage(
    path=re.compile(r"/badges/([^/]+)"),
    limit_setting="BADGE_RATE_LIMIT",
    limit_scope="badge-pages",
    current=_current_public_page,
))


@bp.get("/badges/<badge_id>/credential.json")
@public_limit
def public_credential(badge_id: str):
    """The badge's signed credential, for a third party to verify with their own tools."""
    found = badges.find_public(badge_id, _today())
    if found is None:
        return _unavailable()
    response = Response(found.badge.issued.document, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="badge-{badge_id}.json"'
    return _public_headers(response, found.searchable)


# --- What verifiers fetch --------------------------------------------------------------------


def _settings() -> badges.BadgeSettings:
    settings = badges.current_settings()
    if settings is None:
        abort(404)
    return settings


def _published(document: dict, max_age: int) -> Response:
    """A public JSON-LD document any site may read, cached for `max_age` seconds."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, mimetype="application/ld+json")
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    return response.make_conditional(request)


@bp.get("/badges/issuer")
def issuer():
    """The issuer's Profile, naming every key that has signed its badges."""
    return _published(badges.issuer_document(_settings()), ISSUER_MAX_AGE)


@bp.get("/badges/issuer/keys/<public_key>")
def key(public_key: str):
    """One signing key's Multikey document (a badge's proof names it)."""
    document = badges.key_document(_settings(), public_key)
    if document is None:
        abort(404)
    return _published(document, KEY_MAX_AGE)


@bp.get("/badges/status/<int:number>")
def status_list(number: int):
    """A Bitstring Status List: the revoked badges' bits, from the stored statuses."""
    _settings()
    document = badges.status_list_document(number)
    if document is None:
        abort(404)
    return _published(document, STATUS_LIST_MAX_AGE)


def _certification(code: str):
    certification = badges.certification_by_code(code)
    if certification is None:
        abort(404)
    return certification


@bp.get("/badges/achievements/<code>")
def achievement(code: str):
    """What a certification's badges recognise: its Achievement."""
    certification = _certification(code)
    return _published(badges.achievement_document(certification, _settings()),
                      ACHIEVEMENT_MAX_AGE)


@bp.get("/badges/achievements/<code>/image.png")
def achievement_image(code: str):
    """A certification's badge image."""
    certification = _certification(code)
    response = Response(artwork.svg_to_png(badge_svg(certification)), mimetype="image/png")
    response.headers["Cache-Control"] = f"public, max-age={ACHIEVEMENT_MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
